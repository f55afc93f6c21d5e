/**
 * The web console as the local stack serves it (the console Lambda's handler behind the local
 * gateway, as in AWS): security headers on every answer, types and caching, the /console
 * redirect, 404 problems for names the build does not have and for traversal attempts, and
 * no key needed. A fixture build makes the answers exact; the real build is checked to be
 * complete (every file index.html references is served).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../core/console-assets';
import { ensureConsoleBuilt } from '../../tools/console-build';
import { rawRequest } from '../support/raw-http';
import { startTestStack, type TestStack } from '../support/local';

const INDEX = '<!doctype html><title>fixture</title><script type="module" src="./assets/app-3f2a9c1d.js"></script>';
const SCRIPT = 'export const fixture = 1;\n';
/** Bytes that are not UTF-8: they must arrive unchanged (base64 through the gateway). */
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x80, 0x81]);
const PACKAGE_JSON_MARK = '"name": "keygate"';

let fixture: string;
let stack: TestStack;
let real: TestStack;
beforeAll(async () => {
  fixture = mkdtempSync(join(tmpdir(), 'keygate-console-'));
  mkdirSync(join(fixture, 'assets'));
  writeFileSync(join(fixture, 'index.html'), INDEX);
  writeFileSync(join(fixture, 'assets', 'app-3f2a9c1d.js'), SCRIPT);
  writeFileSync(join(fixture, 'assets', 'logo-9b8c7d6e.png'), PNG);
  writeFileSync(join(fixture, '.build-stamp'), 'not served\n');
  await ensureConsoleBuilt();
  [stack, real] = await Promise.all([startTestStack({ consoleDir: fixture }), startTestStack()]);
}, 180_000);
afterAll(async () => {
  await Promise.all([stack?.stop(), real?.stop()]);
  rmSync(fixture, { recursive: true, force: true });
});

const portOf = (s: TestStack): number => Number(new URL(s.url).port);

function expectSecurityHeaders(res: { headers: Headers }): void {
  expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  expect(res.headers.get('permissions-policy')).toMatch(/camera=\(\)/);
}

describe('the console page', () => {
  it('redirects /console to console/ (relative, so a stage prefix stays), with the security headers', async () => {
    const res = await stack.call('/console', { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('console/');
    expectSecurityHeaders(res);
  });

  it.each(['/console/', '/console/index.html'])('serves index.html at %s as HTML, never cached, with a strict CSP, and no key', async (path) => {
    const res = await stack.call(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expectSecurityHeaders(res);
    expect(await res.text()).toBe(INDEX);
  });

  it('is served whatever key comes with the request (no authorizer on the console routes)', async () => {
    const res = await stack.call('/console/', { key: 'kg_live_not_a_real_key_at_all_000000' });
    expect(res.status).toBe(200);
  });
});

describe('console assets', () => {
  it('serves a hashed script as JavaScript, cached for a year as immutable, with the security headers', async () => {
    const res = await stack.call('/console/assets/app-3f2a9c1d.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expectSecurityHeaders(res);
    expect(await res.text()).toBe(SCRIPT);
  });

  it('serves binary files byte for byte', async () => {
    const res = await stack.call('/console/assets/logo-9b8c7d6e.png');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it('answers a page path (the console routes by #hash) with 404 console_file_not_found', async () => {
    const res = await stack.call('/console/keys');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expectSecurityHeaders(res);
    expect(await res.json()).toMatchObject({ status: 404, code: 'console_file_not_found' });
  });
});

describe('console paths that try to leave the build', () => {
  it.each([
    ['an encoded slash', '/console/..%2f..%2fpackage.json'],
    ['an encoded slash, upper case', '/console/..%2F..%2F..%2Fpackage.json'],
    ['an encoded backslash', '/console/..%5c..%5cpackage.json'],
    ['double encoding', '/console/%252e%252e%252f%252e%252e%252fpackage.json'],
    ['an encoded NUL', '/console/%00'],
    ['a NUL before an extension', '/console/index.html%00.js'],
    ['the build stamp (a dot file)', '/console/.build-stamp'],
    ['an over-long path', `/console/${'a'.repeat(3000)}.js`],
  ])('answers %s with 404 console_file_not_found and no file content', async (_what, target) => {
    const res = await rawRequest(portOf(stack), `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(res.body).toMatchObject({ code: 'console_file_not_found' });
    expect(res.text).not.toContain(PACKAGE_JSON_MARK);
    expect(res.text).not.toContain('not served');
  });

  it('never reaches a file outside the build through dot segments (the path is normalised first)', async () => {
    const res = await rawRequest(portOf(stack), 'GET /console/%2e%2e/%2e%2e/package.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(404);
    expect(res.text).not.toContain(PACKAGE_JSON_MARK);
  });

  it('has GET only: a POST to the console is no route', async () => {
    const res = await stack.call('/console/', { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'route_not_found' });
  });
});

describe('the real console build', () => {
  it('serves index.html and every script, style and icon it references, each with its type', async () => {
    // Prepare
    const index = await real.call('/console/');
    const html = await index.text();
    const refs = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]!);

    // Act
    const answers = await Promise.all(refs.map(async (ref) => ({ ref, res: await real.call(`/console/${ref}`) })));

    // Assess
    expect(index.status).toBe(200);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script: the CSP would block it
    expect(html).not.toMatch(/<style[\s>]/);
    expect(refs.some((r) => r.endsWith('.js'))).toBe(true);
    for (const { ref, res } of answers) {
      expect(res.status, ref).toBe(200);
      if (ref.endsWith('.js')) expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      if (ref.endsWith('.css')) expect(res.headers.get('content-type')).toBe('text/css; charset=utf-8');
      if (ref.startsWith('assets/')) expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect(readFileSync(join(fixture, 'index.html'), 'utf8')).toBe(INDEX);
  });
});
