/**
 * Browser-test helpers: Chromium through playwright-core (the Debian package, no browser download),
 * a page that records every request it makes and every script error, axe-core, and screenshots
 * for docs/ when KEYGATE_SCREENSHOTS=1.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { PageGlobals, PageNode } from './page-globals';

export const CHROMIUM = process.env.KEYGATE_CHROMIUM ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOTS = process.env.KEYGATE_SCREENSHOTS === '1';
const SHOT_DIR = join(REPO, 'docs', 'images');

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

export interface ConsolePage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every URL the page asked for, in order. */
  readonly requests: string[];
  /** Uncaught exceptions and console errors (a CSP violation is one). */
  readonly problems: string[];
}

/**
 * A fresh browser context (own sessionStorage, localStorage and cookies) with axe-core added
 * as an init script: the console's CSP (script-src 'self') rightly blocks an injected <script>
 * (page.addScriptTag), while init scripts are installed by the browser itself.
 */
export async function openContext(browser: Browser): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB', timezoneId: 'UTC' });
  await context.addInitScript({ path: AXE_PATH });
  const page = await context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // A 401/404 the console handles is logged by Chromium as a failed resource load: not a fault.
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|403|404)/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return { context, page, requests, problems };
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly string[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  return page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as PageGlobals;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.map(String).join(' ')) }));
  });
}

/** Presses Tab until `target` has focus (keyboard-only use); fails when it never gets it. */
export async function tabTo(page: Page, target: Locator, maxPresses = 60): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    if (await target.evaluate((el) => el === (globalThis as unknown as PageGlobals).document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target.toString()} in ${maxPresses} presses`);
}

/** Saves docs/images/console-<name>.png when KEYGATE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SHOT_DIR, { recursive: true });
  // Settle: no caret blinking or half-drawn focus ring in the picture.
  await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.blur());
  await page.screenshot({ path: join(SHOT_DIR, `console-${name}.png`), fullPage: true, animations: 'disabled' });
}

/** What a fixed placeholder replaces a plaintext key with before a screenshot. */
export const PLACEHOLDER_KEY = 'kg_live_EXAMPLExKEYxNOTxREALxEXAMPLExKEY0';

/** Replaces every occurrence of `plaintext` on the page (field values and text) with the placeholder. */
export async function hidePlaintext(page: Page, plaintext: string): Promise<void> {
  await page.evaluate(
    ([secret, placeholder]) => {
      const { document } = globalThis as unknown as PageGlobals;
      for (const input of Array.from(document.querySelectorAll('input, textarea'))) {
        if (input.value.includes(secret)) input.value = input.value.split(secret).join(placeholder);
      }
      const walker = document.createTreeWalker(document.body, 4 /* NodeFilter.SHOW_TEXT */);
      for (let n: PageNode | null = walker.nextNode(); n; n = walker.nextNode()) {
        if (n.nodeValue?.includes(secret)) n.nodeValue = n.nodeValue.split(secret).join(placeholder);
      }
    },
    [plaintext, PLACEHOLDER_KEY] as const,
  );
  const left = await page.evaluate((secret) => {
    const { document } = globalThis as unknown as PageGlobals;
    return document.body.innerText.includes(secret) || Array.from(document.querySelectorAll('input, textarea')).some((i) => i.value.includes(secret));
  }, plaintext);
  if (left) throw new Error('the plaintext key is still on the page: no screenshot');
}

/** Hosts other than the local stack's that the page asked for. */
export function foreignRequests(requests: readonly string[]): string[] {
  return requests.filter((u) => {
    if (u.startsWith('data:') || u.startsWith('blob:') || u === 'about:blank') return false;
    try {
      return new URL(u).hostname !== '127.0.0.1';
    } catch {
      return true;
    }
  });
}
