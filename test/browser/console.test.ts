/**
 * The web console in a real browser (Chromium via playwright-core) against the local stack, which
 * serves it at /console/ from the same origin as the API. Tests assert what a person sees, by role
 * and name. Every test also checks that the page asked nothing of any host but 127.0.0.1 and hit
 * no script error or CSP violation; every page is checked with axe-core (no serious or critical
 * violation). Skipped, with a message, only when no Chromium executable exists.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KeygateClient, type CreatedKey } from '../../packages/client/src/index';
import { ensureConsoleBuilt } from '../../tools/console-build';
import { startTestStack, type TestStack } from '../support/local';
import type { PageGlobals, PageNode } from './page-globals';
import { axeViolations, CHROMIUM, type ConsolePage, foreignRequests, HAS_CHROMIUM, hidePlaintext, launchChromium, openContext, screenshot, tabTo } from './support';

if (!HAS_CHROMIUM) {
  console.warn(`Browser tests skipped: no Chromium at ${CHROMIUM} (install the Debian package chromium, or set KEYGATE_CHROMIUM to a Chromium executable).`);
}

const SESSION_NAME = 'keygate.console.key';

let stack: TestStack;
let admin: KeygateClient;
let browser: Browser;
let current: ConsolePage | undefined;

describe.skipIf(!HAS_CHROMIUM)('web console in Chromium', () => {
  beforeAll(async () => {
    // The stack reads the built console once, at start: build first.
    await ensureConsoleBuilt();
    stack = await startTestStack();
    admin = new KeygateClient({ endpoint: stack.url, apiKey: stack.adminKey });
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  afterEach(async () => {
    const c = current;
    current = undefined;
    if (!c) return;
    await c.context.close();
    // Assess (every test): nothing left 127.0.0.1, no script error or CSP violation.
    expect(foreignRequests(c.requests)).toEqual([]);
    expect(c.problems).toEqual([]);
  });

  const consoleUrl = (): string => `${stack.url}/console/`;

  async function open(): Promise<ConsolePage> {
    current = await openContext(browser);
    return current;
  }

  async function expectAccessible(page: Page): Promise<void> {
    expect(await axeViolations(page)).toEqual([]);
  }

  /** Signs in through the form, as a person would. */
  async function signIn(page: Page, key: string): Promise<void> {
    await page.goto(consoleUrl());
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
  }

  async function storage(page: Page): Promise<{ session: Record<string, string>; local: number; cookies: number }> {
    const [session, local] = await page.evaluate(() => {
      const { sessionStorage, localStorage } = globalThis as unknown as PageGlobals;
      const entries: Record<string, string> = {};
      for (let i = 0; i < sessionStorage.length; i++) {
        const name = sessionStorage.key(i)!;
        entries[name] = sessionStorage.getItem(name) ?? '';
      }
      return [entries, localStorage.length] as const;
    });
    return { session, local, cookies: (await page.context().cookies()).length };
  }

  /** Rows of the keys table as the cells' text, once the list has loaded. */
  async function keyRows(page: Page): Promise<string[][]> {
    const table = page.getByRole('table');
    await expect.poll(() => page.getByRole('status').filter({ hasText: /loaded key/ }).count()).toBe(1);
    return table.locator('tbody tr').evaluateAll((rows) => (rows as unknown as PageNode[]).map((r) => Array.from(r.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())));
  }

  it('serves the console with a strict Content-Security-Policy and no framing', async () => {
    // Prepare
    const { page } = await open();
    // Act
    const response = await page.goto(consoleUrl());
    // Assess
    const headers = response!.headers();
    expect(response!.status()).toBe(200);
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(headers['x-frame-options']).toBe('DENY');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Keygate console');
    await screenshot(page, 'sign-in');
    await expectAccessible(page);
  });

  it('refuses a bad key with a clear error and stores nothing', async () => {
    // Prepare
    const { page } = await open();
    await page.goto(consoleUrl());
    // Act
    await page.getByLabel('API key').fill('kg_live_this-is-not-a-real-key-0000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Assess
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/^This key was not accepted: .+Nothing was stored\.$/);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await storage(page)).toEqual({ session: {}, local: 0, cookies: 0 });
    await expectAccessible(page);
  });

  it('refuses a key without a management scope', async () => {
    // Prepare
    const echoOnly = await admin.createKey({ name: 'echo only', scopes: ['echo:read'] });
    const { page } = await open();
    await page.goto(consoleUrl());
    // Act
    await page.getByLabel('API key').fill(echoOnly.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Assess
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('cannot manage keys');
    expect((await storage(page)).session).toEqual({});
  });

  it('signs in with the admin key using the keyboard alone, keeping the key in sessionStorage only', async () => {
    // Prepare
    const { page, requests } = await open();
    await page.goto(consoleUrl());
    // Act: the field has focus on load; type, then Enter submits.
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).toBe('api-key');
    await page.keyboard.type(stack.adminKey);
    await page.keyboard.press('Enter');
    // Assess
    await expect.poll(() => page.getByRole('heading', { level: 1, name: 'Keys' }).isVisible()).toBe(true);
    await expect.poll(() => page.getByRole('banner').textContent()).toContain('admin');
    expect(await storage(page)).toEqual({ session: { [SESSION_NAME]: stack.adminKey }, local: 0, cookies: 0 });
    expect(requests.some((u) => u.includes(encodeURIComponent(stack.adminKey)) || u.includes(stack.adminKey))).toBe(false);
    expect(page.url()).not.toContain(stack.adminKey);
    await expectAccessible(page);
  });

  it('creates a key from the keyboard and shows its plaintext once, with Copy and snippets', async () => {
    // Prepare
    const { page } = await open();
    await signIn(page, stack.adminKey);
    // Act: to the form by keyboard, fill it, Enter to submit.
    await tabTo(page, page.getByRole('link', { name: 'New key' }).first());
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('heading', { level: 1, name: 'Create key' }).isVisible()).toBe(true);
    await expect.poll(() => page.getByRole('checkbox', { name: /echo:read/ }).count()).toBe(1);
    await tabTo(page, page.getByLabel('Name'));
    await page.keyboard.type('checkout-service');
    await tabTo(page, page.getByRole('checkbox', { name: /echo:read/ }));
    await page.keyboard.press('Space');
    await tabTo(page, page.getByLabel('Requests per window'));
    await page.keyboard.type('100');
    await tabTo(page, page.getByRole('button', { name: 'Create key' }));
    await page.keyboard.press('Enter');
    // Assess: the plaintext, once, with Copy and the three snippets.
    const field = page.getByLabel('New API key');
    await expect.poll(() => field.inputValue()).toMatch(/^kg_live_/);
    const plaintext = await field.inputValue();
    expect(await page.getByRole('button', { name: 'Copy' }).isVisible()).toBe(true);
    expect(await page.getByText('it is shown only this once').isVisible()).toBe(true);
    for (const language of ['curl', 'JavaScript', 'Python']) {
      const code = await page.getByLabel(`${language} example`).textContent();
      expect(code).toContain(`${stack.url}/v1/whoami`);
    }
    expect(await page.getByLabel('curl example').textContent()).toContain(`export KEYGATE_API_KEY='${plaintext}'`);
    // The key the page showed is the real one.
    expect((await stack.call('/v1/echo', { key: plaintext })).status).toBe(200);
    // Copy: to the clipboard where allowed; otherwise the key is selected for Ctrl+C.
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => page.getByText(/Copied to the clipboard|the key is selected/).count()).toBe(1);
    expect(await storage(page)).toEqual({ session: { [SESSION_NAME]: stack.adminKey }, local: 0, cookies: 0 });
    await expectAccessible(page);
    if (process.env.KEYGATE_SCREENSHOTS === '1') {
      await hidePlaintext(page, plaintext);
      await screenshot(page, 'create');
    }

    // Act: away and back.
    await page.getByRole('link', { name: 'Keys', exact: true }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1, name: 'Keys' }).isVisible()).toBe(true);
    await page.goBack();
    // Assess: a fresh form; the plaintext is nowhere on the page.
    await expect.poll(() => page.getByRole('button', { name: 'Create key' }).isVisible()).toBe(true);
    expect(await page.getByLabel('New API key').count()).toBe(0);
    expect(await page.content()).not.toContain(plaintext);
    expect(await page.getByLabel('Name').inputValue()).toBe('');
  });

  it('shows the API’s own field errors next to the fields and sends nothing invalid', async () => {
    // Prepare
    const { page, requests } = await open();
    await signIn(page, stack.adminKey);
    await page.goto(`${consoleUrl()}#/create`);
    await expect.poll(() => page.getByRole('button', { name: 'Create key' }).isVisible()).toBe(true);
    // Act
    await page.getByLabel('Allowed IPs (optional)').fill('203.0.113.0/24\n999.1.1.1');
    await page.getByLabel('Metadata (optional)').fill('{"team": ');
    await page.getByRole('button', { name: 'Create key' }).click();
    // Assess
    const summary = page.getByRole('alert');
    await expect.poll(() => summary.textContent()).toContain('The key was not created');
    const text = (await summary.textContent()) ?? '';
    expect(text).toMatch(/Name .+/);
    expect(text).toContain('Allowed IPs line 2');
    expect(text).toContain('Metadata is not valid JSON');
    expect(await page.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Metadata (optional)').getAttribute('aria-invalid')).toBe('true');
    expect(requests.filter((u) => u.endsWith('/v1/keys'))).toEqual([]);
    await expectAccessible(page);
  });

  it('finds a key by search, and filters by status', async () => {
    // Prepare
    const wanted = await admin.createKey({ name: 'search-target-orders', scopes: ['orders:read'] });
    await admin.createKey({ name: 'search-other-billing', scopes: [] });
    const revoked = await admin.createKey({ name: 'search-revoked-one', scopes: [] });
    await admin.revokeKey(revoked.id);
    const { page } = await open();
    await signIn(page, stack.adminKey);
    // Act
    await page.getByLabel('Search keys').fill('target-orders');
    // Assess
    const rows = await keyRows(page);
    expect(rows.map((r) => r[0])).toEqual(['search-target-orders']);
    expect(rows[0]).toEqual(['search-target-orders', `${wanted.start}…`, wanted.ownerId, 'Active', 'orders:read', expect.stringMatching(/UTC$/), 'Never']);
    // Search by prefix finds it too.
    await page.getByLabel('Search keys').fill(wanted.start);
    expect((await keyRows(page)).map((r) => r[0])).toEqual(['search-target-orders']);
    // Act: status filter (server side).
    await page.getByLabel('Search keys').fill('');
    await page.getByLabel('Status').selectOption('revoked');
    // Assess
    await expect.poll(async () => (await keyRows(page)).map((r) => r[3])).not.toContain('Active');
    expect((await keyRows(page)).map((r) => r[0])).toContain('search-revoked-one');
    const headers = await page.getByRole('table').getByRole('columnheader').allTextContents();
    expect(headers).toEqual(['Name', 'Key', 'Owner', 'Status', 'Scopes', 'Created', 'Expires']);
    await page.getByLabel('Status').selectOption('');
    await expect.poll(async () => (await keyRows(page)).map((r) => r[0])).toEqual(expect.arrayContaining(['search-target-orders', 'search-other-billing', 'search-revoked-one']));
    await screenshot(page, 'keys');
    await expectAccessible(page);
  });

  it('rotates a key with a chosen grace period and then lists both keys', async () => {
    // Prepare
    const original = await admin.createKey({ name: 'rotate-me-please', scopes: ['echo:read'], rateLimit: { limit: 50, windowSeconds: 60 } });
    await stack.call('/v1/echo', { key: original.key });
    const { page } = await open();
    await signIn(page, stack.adminKey);
    await page.goto(`${consoleUrl()}#/keys/${original.id}`);
    await expect.poll(() => page.getByRole('heading', { level: 1, name: 'rotate-me-please' }).isVisible()).toBe(true);
    await expect.poll(() => page.getByRole('heading', { name: /Requests per day/ }).isVisible()).toBe(true);
    await expect.poll(() => page.getByRole('table', { name: 'Live usage counters' }).textContent()).toContain('Rate limit');
    await expect.poll(() => page.getByRole('table', { name: 'Audit trail of this key' }).textContent()).toContain('key.created');
    await expect.poll(() => page.locator('.chart canvas').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await screenshot(page, 'key-detail');
    await expectAccessible(page);
    // Act
    await page.getByRole('button', { name: 'Rotate' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate rotate-me-please' });
    await dialog.getByRole('radio', { name: '1 hour' }).check();
    await expectAccessible(page);
    await dialog.getByRole('button', { name: 'Rotate key' }).click();
    // Assess: the replacement's plaintext, once; the old key works for an hour.
    const field = page.getByLabel('New API key');
    await expect.poll(() => field.inputValue()).toMatch(/^kg_live_/);
    const replacement = await field.inputValue();
    expect(replacement).not.toBe(original.key);
    expect((await stack.call('/v1/echo', { key: replacement })).status).toBe(200);
    expect((await stack.call('/v1/echo', { key: original.key })).status).toBe(200);
    expect(await page.getByText(/This key keeps working until/).isVisible()).toBe(true);
    // Both keys in the list, both active, the old one now expiring.
    await page.getByRole('link', { name: 'Keys', exact: true }).click();
    await page.getByLabel('Search keys').fill('rotate-me-please');
    await expect.poll(async () => (await keyRows(page)).length).toBe(2);
    const rows = await keyRows(page);
    expect(rows.map((r) => r[3])).toEqual(['Active', 'Active']);
    expect(rows.map((r) => r[6]).filter((e) => e === 'Never')).toHaveLength(1);
    const previous = (await admin.getKey(original.id)).expiresAt!;
    const graceSeconds = (Date.parse(previous) - Date.now()) / 1000;
    expect(graceSeconds).toBeGreaterThan(3000);
    expect(graceSeconds).toBeLessThanOrEqual(3600);
  });

  it('replaces the chart with a note when usage analytics is off, and says when history is still computing', async () => {
    // Prepare: the local stack always has analytics, so these two answers of the history query
    // (GET /v1/keys/{id}/usage?from=&to=) are played by the browser's request interception,
    // shaped as the API sends them; the live counters (no from/to) still come from the stack.
    const k = await admin.createKey({ name: 'history-states', scopes: [], rateLimit: { limit: 10, windowSeconds: 60 } });
    const { page } = await open();
    await signIn(page, stack.adminKey);
    const problem = { type: 'urn:keygate:problem:usage_analytics_off', title: 'Usage analytics is off', status: 404, code: 'usage_analytics_off', detail: 'from/to: usage history needs usage analytics.' };
    await page.route(/\/v1\/keys\/[^/]+\/usage\?.*from=/, (route) => route.fulfill({ status: 404, contentType: 'application/problem+json', body: JSON.stringify(problem) }));
    // Act
    await page.goto(`${consoleUrl()}#/keys/${k.id}`);
    // Assess
    await expect.poll(() => page.getByText('Usage history is not available').count()).toBe(1);
    expect(await page.locator('.chart').count()).toBe(0);
    await expect.poll(() => page.getByRole('table', { name: 'Live usage counters' }).textContent()).toContain('Rate limit');
    await expectAccessible(page);

    // Prepare: a query that keeps running (202 with Location and Retry-After, as the API answers).
    await page.unroute(/\/v1\/keys\/[^/]+\/usage\?.*from=/);
    let asked = 0;
    await page.route(/\/v1\/keys\/[^/]+\/usage\?.*from=/, (route) => {
      asked++;
      const url = new URL(route.request().url());
      url.searchParams.set('queryId', 'q-console-test');
      return route.fulfill({
        status: 202,
        contentType: 'application/json',
        headers: { Location: url.pathname + url.search, 'Retry-After': '1' },
        body: JSON.stringify({ status: 'running', queryId: 'q-console-test', retryAfterSeconds: 1 }),
      });
    });
    // Act
    await page.reload();
    // Assess: the note, and the client asking again rather than giving up.
    await expect.poll(() => page.getByText('Still computing the usage history').count()).toBe(1);
    await expect.poll(() => asked, { timeout: 10_000 }).toBeGreaterThan(1);
    expect(await page.locator('.chart').count()).toBe(0);
  });

  it('revokes a key only after confirmation, and its badge says Revoked', async () => {
    // Prepare
    const victim = await admin.createKey({ name: 'revoke-me-please', scopes: ['echo:read'] });
    const { page } = await open();
    await signIn(page, stack.adminKey);
    await page.goto(`${consoleUrl()}#/keys/${victim.id}`);
    await expect.poll(() => page.getByRole('heading', { level: 1, name: 'revoke-me-please' }).isVisible()).toBe(true);
    expect(await page.locator('.badge').first().textContent()).toBe('Active');
    // Act: cancel first.
    await page.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke revoke-me-please?' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await expectAccessible(page);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    // Assess: nothing happened.
    expect((await admin.getKey(victim.id)).status).toBe('active');
    // Act: confirm.
    await page.getByRole('button', { name: 'Revoke' }).click();
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    // Assess
    await expect.poll(() => page.locator('.badge').first().textContent()).toBe('Revoked');
    expect(await page.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    expect((await admin.getKey(victim.id)).status).toBe('revoked');
    expect((await stack.call('/v1/echo', { key: victim.key })).status).toBe(401);
  });

  it('shows a tenant only its own owner’s keys', async () => {
    // Prepare
    const tenant: CreatedKey = await admin.createKey({ name: 'tenant-a-console', ownerId: 'tenant-a', scopes: ['keys:read', 'keys:write'] });
    const mine = await admin.createKey({ name: 'tenant-a-service', ownerId: 'tenant-a', scopes: [] });
    const other = await admin.createKey({ name: 'tenant-b-secret-service', ownerId: 'tenant-b', scopes: [] });
    const { page } = await open();
    // Act
    await signIn(page, tenant.key);
    // Assess: own owner's keys only, no owner filter.
    const names = (await keyRows(page)).map((r) => r[0]);
    expect(names).toContain(mine.name);
    expect(names).not.toContain(other.name);
    expect((await keyRows(page)).every((r) => r[2] === 'tenant-a')).toBe(true);
    expect(await page.getByLabel('Owner').count()).toBe(0);
    await expectAccessible(page);
    // Act: the other owner's key by its address.
    await page.goto(`${consoleUrl()}#/keys/${other.id}`);
    // Assess
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Key not found');
    expect(await page.content()).not.toContain(other.name);
    // The audit log needs audit:read, which this key lacks: the page says so.
    await page.goto(`${consoleUrl()}#/audit`);
    await expect.poll(() => page.getByText('Your key cannot read the audit log').count()).toBe(1);
    await expectAccessible(page);
  });

  it('lists the audit log, filtered by action', async () => {
    // Prepare
    const audited = await admin.createKey({ name: 'audited-key', scopes: [] });
    await admin.revokeKey(audited.id);
    const { page } = await open();
    await signIn(page, stack.adminKey);
    await page.getByRole('link', { name: 'Audit log' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1, name: 'Audit log' }).isVisible()).toBe(true);
    // Act
    await page.getByLabel('Action').selectOption('key.revoked');
    await page.getByLabel('Key id').fill(audited.id);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    // Assess
    const table = page.getByRole('table', { name: 'Audit log' });
    await expect.poll(async () => (await table.locator('tbody tr').allTextContents()).length).toBe(1);
    const row = await table.locator('tbody tr td').allTextContents();
    expect(row.slice(1, 4)).toEqual(['key.revoked', 'Success', audited.id]);
    await screenshot(page, 'audit');
    await expectAccessible(page);
  });

  it('signs out and forgets the key', async () => {
    // Prepare
    const { page } = await open();
    await signIn(page, stack.adminKey);
    expect((await storage(page)).session).toEqual({ [SESSION_NAME]: stack.adminKey });
    // Act
    await page.getByRole('button', { name: 'Sign out' }).click();
    // Assess
    await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.length)).toBe(0);
    expect(await storage(page)).toEqual({ session: {}, local: 0, cookies: 0 });
    await page.reload();
    await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  });

  it('ends the session when the key stops being accepted (401)', async () => {
    // Prepare
    const operator = await admin.createKey({ name: 'short-lived-operator', scopes: ['keys:read'] });
    const { page } = await open();
    await signIn(page, operator.key);
    // Act
    await admin.revokeKey(operator.id);
    await page.getByLabel('Status').selectOption('active');
    // Assess
    await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await page.getByRole('status').first().textContent()).toContain('Your session ended');
    expect((await storage(page)).session).toEqual({});
  });
});
