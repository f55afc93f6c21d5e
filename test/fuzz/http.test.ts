/**
 * Property-based fuzzing of the local stack's HTTP surface: random methods, paths, query
 * strings, headers and bodies, with and without a valid admin key, sent over a raw socket
 * (fetch normalises too much). Every answer must be a documented status, problem+json when
 * it is an error, never a 5xx, and the server must still answer /health afterwards.
 * Longer run: `npm run fuzz`; replay: KEYGATE_FUZZ_SEED=<seed printed by fast-check>.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local';
import { UNKNOWN_KEY_ID } from '../support/e2e';
import { FUZZ_SEED, fuzzRuns, hostileJsonText, hostileString, PROTOTYPE_NAMES } from '../support/arbitraries';
import { rawRequest } from '../support/raw-http';

/**
 * The statuses docs/api.md documents ("Errors" and "Input rules"). 409: a random DELETE may
 * revoke the target key that a later PATCH aims at. 429: only if a key has a limit (none here).
 */
const DOCUMENTED = [200, 201, 400, 401, 403, 404, 408, 409, 413, 415, 429, 431];
const RUNS = fuzzRuns(300);

let stack: TestStack;
let port: number;
let targetId: string;
let targetKey: string;

beforeAll(async () => {
  stack = await startTestStack();
  port = Number(new URL(stack.url).port);
  const res = await stack.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: JSON.stringify({ name: 'fuzz target', scopes: ['echo:read'] }) });
  const body = (await res.json()) as { id: string; key: string };
  targetId = body.id;
  targetKey = body.key;
});
afterAll(async () => {
  await stack?.stop();
});

/** Every byte outside unreserved characters percent-encoded (encodeURIComponent throws on lone surrogates). */
const pct = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');

const method = fc.oneof(
  { arbitrary: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE'), weight: 6 },
  { arbitrary: fc.constantFrom('PUT', 'OPTIONS', 'HEAD', 'TRACE', 'get', 'PROPFIND'), weight: 1 },
  { arbitrary: fc.stringMatching(/^[A-Z]{1,8}$/), weight: 1 },
);

const segment = fc.oneof(
  fc.constantFrom('v1', 'keys', 'health', 'echo', 'whoami', 'scopes', 'verify', 'rotate', 'usage', '', '.', '..', '%00', '%2F', '%E0%A4%A', '%F0%9F%94%91', 'a:99999', UNKNOWN_KEY_ID),
  fc.constant('{T}'),
  hostileString(12).map(pct),
);

const path = fc.oneof(
  fc.constantFrom('/health', '/v1/keys', '/v1/keys/{T}', '/v1/keys/{T}/rotate', '/v1/keys/{T}/usage', '/v1/verify', '/v1/scopes', '/v1/whoami', '/v1/echo', '//a:99999/x', '*'),
  fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`),
  fc.constantFrom('http://a:99999/health', 'http://example.com/v1/echo', 'https://[::1]/health', 'ftp://x/health'),
);

const queryName = fc.oneof(fc.constantFrom('api_key', 'limit', 'status', 'cursor', 'ownerId', ...PROTOTYPE_NAMES), hostileString(8));
const query = fc.oneof(
  fc.constant(''),
  fc.array(fc.tuple(queryName, hostileString()), { minLength: 1, maxLength: 4 }).map((pairs) => `?${pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')}`),
  fc.constantFrom('?', '?&&=', '?a=%zz', '?__proto__[x]=1', '?a=1&a=2&a=3', '?constructor'),
);

/** Visible ASCII and obs-text, as Node accepts in a header value. */
const headerValue = fc.array(fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f), { maxLength: 40 }).map((cs) => Buffer.from(cs).toString('latin1').trim());
const headerName = fc.oneof(fc.constantFrom('x-api-key', 'authorization', 'content-type', 'x-forwarded-for', 'accept', 'constructor', '__proto__', 'tostring'), fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/));

const auth = fc.constantFrom('none', 'admin', 'admin-x-api-key', 'target', 'garbage');
const contentType = fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'application/merge-patch+json', 'text/plain', '');
const body = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 2 },
  { arbitrary: hostileJsonText.map((t) => Buffer.from(t, 'utf8')), weight: 5 },
  { arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)), weight: 1 },
);

const requestArb = fc.record({ method, path, query, headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }), auth, contentType, body });
type FuzzRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function render(r: FuzzRequest): Buffer {
  const lines = [`${r.method} ${r.path.replace('{T}', targetId)}${r.path === '*' ? '' : r.query} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  if (r.auth === 'admin') lines.push(`Authorization: Bearer ${stack.adminKey}`);
  if (r.auth === 'admin-x-api-key') lines.push(`X-API-Key: ${stack.adminKey}`);
  if (r.auth === 'target') lines.push(`Authorization: Bearer ${targetKey}`);
  if (r.auth === 'garbage') lines.push('Authorization: Bearer kg_live_nope');
  if (r.contentType !== undefined) lines.push(`Content-Type: ${r.contentType}`);
  for (const [k, v] of r.headers) lines.push(`${k}: ${v}`);
  lines.push(`Content-Length: ${r.body?.length ?? 0}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), r.body ?? Buffer.alloc(0)]);
}

describe(`fuzz: local HTTP surface (seed ${FUZZ_SEED}, ${RUNS} runs)`, () => {
  it(`answers every request with a documented status (${DOCUMENTED.join(', ')}), problem+json on errors, never a 5xx`, async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        // Act
        const res = await rawRequest(port, render(r));
        // Assess
        const context = `${render(r).toString('latin1').slice(0, 300)}\n→ ${res.status} ${res.text.slice(0, 300)}`;
        expect(res.error, context).toBeUndefined();
        expect(DOCUMENTED, context).toContain(res.status);
        if (res.status >= 400) {
          expect(res.headers['content-type'], context).toBe('application/problem+json');
          if (r.method !== 'HEAD') expect(res.body, context).toMatchObject({ status: res.status, code: expect.any(String), detail: expect.any(String) });
        }
        expect(res.text).not.toContain(stack.adminKey);
      }),
      { seed: FUZZ_SEED, numRuns: RUNS },
    );
    // The server is still up.
    expect((await fetch(`${stack.url}/health`)).status).toBe(200);
  }, 60_000 + RUNS * 200);

  it('answers random bytes sent as a whole request with 400 problem+json and stays up', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (junk) => {
        const res = await rawRequest(port, Buffer.concat([Buffer.from(junk), Buffer.from('\r\n\r\n')]));
        const context = `${Buffer.from(junk).toString('hex')} → ${res.status} ${res.text.slice(0, 200)}`;
        expect(res.error, context).toBeUndefined();
        expect(res.status, context).toBe(400);
        expect(res.headers['content-type'], context).toBe('application/problem+json');
      }),
      { seed: FUZZ_SEED, numRuns: Math.ceil(RUNS / 3) },
    );
    expect((await fetch(`${stack.url}/health`)).status).toBe(200);
  }, 60_000 + RUNS * 100);
});
