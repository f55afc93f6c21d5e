/**
 * Hostile input to the local stack (issue 6, items 2–5 and 8): every request below gets a
 * problem+json answer with a stable code, never a 5xx, and the server keeps answering.
 * Requests fetch cannot send go over a raw socket (test/support/raw-http.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local';
import { ApiClient, expectProblem } from '../support/e2e';
import { rawRequest, type RawResponse } from '../support/raw-http';

let stack: TestStack;
let api: ApiClient;
let port: number;
let targetId: string;

beforeAll(async () => {
  stack = await startTestStack();
  api = new ApiClient({ baseUrl: stack.url });
  port = Number(new URL(stack.url).port);
  const res = await api.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: { name: 'target' } });
  expect(res.status).toBe(201);
  targetId = res.body.id;
});
afterAll(async () => {
  await stack?.stop();
});

/** The server still answers: a crash or a wedged listener fails here. */
async function expectAlive(): Promise<void> {
  const res = await api.call('/health');
  expect(res.status).toBe(200);
}

function expectRawProblem(res: RawResponse, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code, error: res.error }, res.text).toEqual({ status, code, error: undefined });
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.body).toMatchObject({ type: `urn:keygate:problem:${code}`, status, code, detail: expect.any(String) });
}

const BODY_ROUTES = [
  { label: 'POST /v1/keys', method: 'POST', path: () => '/v1/keys' },
  { label: 'PATCH /v1/keys/{id}', method: 'PATCH', path: () => `/v1/keys/${targetId}` },
];

describe('deep JSON (item 2)', () => {
  const arrays = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

  it.each(BODY_ROUTES)('$label: rejects metadata nested 5,000 levels (10 KB) with 400 nesting_too_deep', async (r) => {
    // Prepare: the sample, 5,000 nested arrays in metadata.
    const body = `{"name":"deep","metadata":{"a":${arrays(5000)}}}`;
    expect(body.length).toBeLessThan(10_100);
    // Act
    const res = await api.call(r.path(), { method: r.method, key: stack.adminKey, body });
    // Assess
    const problem = expectProblem(res, 400, 'nesting_too_deep');
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'metadata', code: 'nesting_too_deep' })]);
    await expectAlive();
  });

  it.each(BODY_ROUTES)('$label: rejects metadata one level deeper than 32 with a field error', async (r) => {
    let metadata: unknown = 1;
    for (let i = 0; i < 33; i++) metadata = { a: metadata };
    const res = await api.call(r.path(), { method: r.method, key: stack.adminKey, body: { name: 'deep', metadata } });
    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors).toEqual([{ field: 'metadata', message: 'must be nested at most 32 levels deep', code: 'nesting_too_deep' }]);
  });

  it('rejects a body nested 65 levels on every body route, rotate and verify included', async () => {
    for (const [method, path] of [['POST', '/v1/keys'], ['PATCH', `/v1/keys/${targetId}`], ['POST', `/v1/keys/${targetId}/rotate`], ['POST', '/v1/verify']] as const) {
      const res = await api.call(path, { method, key: stack.adminKey, body: `{"x":${arrays(64)}}` });
      expectProblem(res, 400, 'nesting_too_deep');
    }
  });
});

describe('query parameters named like Object.prototype members (item 3)', () => {
  const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];

  it.each(NAMES)('answers /health?%s=1 with 200', async (name) => {
    expect((await api.call(`/health?${name}=1`)).status).toBe(200);
  });

  it.each(NAMES)('answers /v1/echo?%s=1 with the authorizer’s answer, not a 500', async (name) => {
    expectProblem(await api.call(`/v1/echo?${name}=1&${name}=2`), 401, 'unauthorized');
  });

  it.each(NAMES)('rejects ?%s=1 on GET /v1/keys as an unknown field', async (name) => {
    const problem = expectProblem(await api.call(`/v1/keys?${name}=1`, { key: stack.adminKey }), 400, 'validation_failed');
    expect(problem.errors).toEqual([{ field: name, message: 'unknown field' }]);
  });

  it('accepts a header named like an Object.prototype member', async () => {
    const res = await rawRequest(port, `GET /health HTTP/1.1\r\nHost: x\r\nconstructor: 1\r\n__proto__: 1\r\ntoString: 1\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(200);
  });
});

describe('malformed request targets (item 4)', () => {
  it.each([
    ['an authority-like path //a:99999/x', '//a:99999/x', 404, 'route_not_found'],
    ['the absolute form with an invalid port', 'http://a:99999/health', 400, 'malformed_request_target'],
    ['the absolute form with an invalid host', 'http://[::1/health', 400, 'malformed_request_target'],
    ['a target with another scheme', 'ftp://a/health', 400, 'malformed_request_target'],
    ['a target that is not a path (refused by Node’s parser)', 'health', 400, 'malformed_request'],
    ['the asterisk form', '*', 404, 'route_not_found'],
  ])('answers %s with problem+json and stays up', async (_what, target, status, code) => {
    // Act
    const res = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    // Assess
    expectRawProblem(res, status, code);
    await expectAlive();
  });

  it('serves the absolute form with a valid authority by its path', async () => {
    const res = await rawRequest(port, `GET http://example.com/health?x=1 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers CONNECT with 404 problem+json instead of dropping the connection', async () => {
    expectRawProblem(await rawRequest(port, 'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n'), 404, 'route_not_found');
    await expectAlive();
  });
});

describe('oversized headers and malformed HTTP (item 5)', () => {
  it('rejects 64 KB of headers with 431 problem+json', async () => {
    const res = await rawRequest(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expectRawProblem(res, 431, 'headers_too_large');
    await expectAlive();
  });

  it('rejects 64 KB of headers sent with fetch with 431 problem+json', async () => {
    const res = await fetch(`${stack.url}/health`, { headers: { 'x-big': 'a'.repeat(64 * 1024) } }).catch((err: Error) => err);
    expect(res).toBeInstanceOf(Response);
    expect((res as Response).status).toBe(431);
    expect((res as Response).headers.get('content-type')).toBe('application/problem+json');
  });

  it.each([
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n'],
    ['a space inside the target', 'GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a header without a colon', 'GET /health HTTP/1.1\r\nHost: x\r\nbroken\r\n\r\n'],
    ['an invalid header name', 'GET /health HTTP/1.1\r\nHost: x\r\nbad name: 1\r\n\r\n'],
    ['a bad chunk size', 'POST /v1/keys HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['both Content-Length and Transfer-Encoding', 'POST /v1/keys HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['an unknown HTTP version', 'GET /health HTTP/9.9\r\nHost: x\r\n\r\n'],
  ])('rejects %s with 400 malformed_request', async (_what, data) => {
    expectRawProblem(await rawRequest(port, data), 400, 'malformed_request');
    await expectAlive();
  });
});

describe('lenient text (item 8)', () => {
  it.each([
    ['a C1 control (U+0085)', { name: 'a\u0085b' }, 'name', 'control_character'],
    ['a right-to-left override (U+202E)', { name: 'invoice\u202Efdp.exe' }, 'name', 'bidi_control'],
    ['a right-to-left isolate (U+2067)', { name: 'a\u2067b' }, 'name', 'bidi_control'],
    ['a zero-width space (U+200B)', { name: 'ad\u200bmin' }, 'name', 'zero_width_character'],
    ['a byte-order mark inside (U+FEFF)', { name: 'a\ufeffb' }, 'name', 'zero_width_character'],
    ['a zero-width joiner in a description', { name: 'x', description: 'a\u200db' }, 'description', 'zero_width_character'],
    ['a bidi override in a description', { name: 'x', description: '\u202dx' }, 'description', 'bidi_control'],
  ])('rejects a body with %s, naming the field and the rule', async (_what, body, field, code) => {
    const problem = expectProblem(await api.call('/v1/keys', { method: 'POST', key: stack.adminKey, body }), 400, 'validation_failed');
    expect(problem.errors).toEqual([expect.objectContaining({ field, code })]);
  });

  it.each(BODY_ROUTES)('$label: rejects an escaped lone surrogate with 400 lone_surrogate', async (r) => {
    const problem = expectProblem(await api.call(r.path(), { method: r.method, key: stack.adminKey, body: '{"name":"a\\ud800b"}' }), 400, 'lone_surrogate');
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'name', code: 'lone_surrogate' })]);
  });

  it('rejects a lone surrogate in a metadata member name', async () => {
    expectProblem(await api.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: '{"name":"x","metadata":{"\\udfff":1}}' }), 400, 'lone_surrogate');
  });

  it.each([
    ['a 0xFF byte', [0xff], 10],
    ['a lone continuation byte', [0x80], 10],
    ['an overlong "/"', [0xc0, 0xaf], 10],
    ['a UTF-8-encoded surrogate', [0xed, 0xa0, 0x80], 11],
  ])('rejects a body with %s (invalid UTF-8) with 400 invalid_utf8 instead of repairing it', async (_what, bytes, offset) => {
    // Prepare: `{"name":"a` is 10 bytes.
    const body = Buffer.concat([Buffer.from('{"name":"a'), Buffer.from(bytes), Buffer.from('b"}')]);
    // Act
    const res = await api.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: new Uint8Array(body) });
    // Assess
    expect(expectProblem(res, 400, 'invalid_utf8').detail).toContain(`first bad byte at offset ${offset})`);
  });

  it.each([
    ['a duplicate top-level member', '{"name":"a","name":"b"}', 'name'],
    ['a duplicate nested member', '{"name":"a","rateLimit":{"limit":1,"windowSeconds":1,"limit":9}}', 'rateLimit.limit'],
    ['a duplicate member spelt with an escape', '{"name":"a","n\\u0061me":"b"}', 'name'],
  ])('rejects %s with 400 duplicate_member', async (_what, body, field) => {
    const problem = expectProblem(await api.call('/v1/keys', { method: 'POST', key: stack.adminKey, body }), 400, 'duplicate_member');
    expect(problem.errors).toEqual([{ field, message: 'appears more than once', code: 'duplicate_member' }]);
  });

  it('rejects a duplicate member on PATCH, rotate and verify too', async () => {
    for (const [method, path, body] of [
      ['PATCH', `/v1/keys/${targetId}`, '{"name":"a","name":"b"}'],
      ['POST', `/v1/keys/${targetId}/rotate`, '{"gracePeriodSeconds":0,"gracePeriodSeconds":60}'],
      ['POST', '/v1/verify', '{"key":"a","key":"b"}'],
    ] as const) {
      expectProblem(await api.call(path, { method, key: stack.adminKey, body }), 400, 'duplicate_member');
    }
  });

  it('changed nothing: the target key is as created', async () => {
    const res = await api.call(`/v1/keys/${targetId}`, { key: stack.adminKey });
    expect(res.body).toMatchObject({ name: 'target', status: 'active' });
    expect(res.body.metadata).toBeUndefined();
  });
});

describe('every refusal keeps the key out of the answer', () => {
  it('never echoes the caller’s key in any problem detail', () => {
    for (const res of api.responses) expect(res.text).not.toContain(stack.adminKey);
  });
});
