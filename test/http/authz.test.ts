/**
 * Who may call what, over real HTTP: 401 for every key problem, 403 for scope and IP denials,
 * tenant isolation and scope escalation on the management API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../core/key-format';
import { startTestStack, testConfig, type TestStack } from '../support/local';
import {
  ApiClient,
  type ApiRequest,
  type ApiResponse,
  expectProblem,
  expectUnauthorized,
  TestClock,
  UNKNOWN_KEY_ID,
  withBadChecksum,
  withoutRequestId,
} from '../support/e2e';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let stack: TestStack;
let queryStack: TestStack;
let api: ApiClient;
const clock = new TestClock();

const call = (path: string, req: ApiRequest = {}): Promise<ApiResponse> => api.call(path, req);
const admin = (path: string, req: Omit<ApiRequest, 'key'> = {}): Promise<ApiResponse> => call(path, { ...req, key: stack.adminKey });

async function create(body: Record<string, unknown>): Promise<Json> {
  const res = await admin('/v1/keys', { method: 'POST', body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

beforeAll(async () => {
  [stack, queryStack] = await Promise.all([startTestStack({ clock }), startTestStack({ config: testConfig({ allowQueryKey: true }) })]);
  api = new ApiClient({ baseUrl: stack.url });
});
afterAll(async () => {
  await Promise.all([stack?.stop(), queryStack?.stop()]);
});

describe('401 unauthorized', () => {
  let echoKey: Json;
  const cases: { name: string; headers: () => Record<string, string> }[] = [
    { name: 'rejects a request without a key', headers: () => ({}) },
    { name: 'rejects a malformed key', headers: () => ({ authorization: 'Bearer not-a-key' }) },
    { name: 'rejects a key with a bad checksum', headers: () => ({ authorization: `Bearer ${withBadChecksum(echoKey.key)}` }) },
    { name: 'rejects a well-formed key that was never issued', headers: () => ({ authorization: `Bearer ${generateKey('kg', 'live').plaintext}` }) },
    { name: 'rejects a well-formed key with another deployment’s prefix', headers: () => ({ authorization: `Bearer ${generateKey('zz', 'live').plaintext}` }) },
    { name: 'rejects a valid key sent with a non-Bearer scheme', headers: () => ({ authorization: `Basic ${echoKey.key}` }) },
    { name: 'rejects an empty X-API-Key header', headers: () => ({ 'x-api-key': '   ' }) },
  ];

  beforeAll(async () => {
    echoKey = await create({ name: 'echo', scopes: ['echo:read'] });
  });

  it('accepts the key used to build the cases below (control)', async () => {
    expect((await call('/v1/echo', { key: echoKey.key })).status).toBe(200);
  });

  it.each(cases)('$name', async ({ headers }) => {
    const res = await call('/v1/echo', { headers: headers() });
    expectUnauthorized(res);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="keygate", charset="UTF-8"');
    expect(res.body.requestId).toBe(res.headers.get('x-amzn-requestid'));
  });

  it('rejects a revoked key', async () => {
    const k = await create({ name: 'revoked', scopes: ['echo:read'] });
    expect((await call('/v1/echo', { key: k.key })).status).toBe(200);
    expect((await admin(`/v1/keys/${k.id}`, { method: 'DELETE' })).status).toBe(200);
    expectUnauthorized(await call('/v1/echo', { key: k.key }));
  });

  it('rejects an expired key', async () => {
    const k = await create({ name: 'expiring', scopes: ['echo:read'], expiresAt: new Date(clock.now().getTime() + 60_000).toISOString() });
    expect((await call('/v1/echo', { key: k.key })).status).toBe(200);
    clock.advance(61_000);
    expectUnauthorized(await call('/v1/echo', { key: k.key }));
  });

  it('gives every 401 the same body apart from the request id, so the reason does not leak', async () => {
    const missing = await call('/v1/echo');
    const unknown = await call('/v1/echo', { key: generateKey('kg', 'live').plaintext });
    expect(withoutRequestId(unknown.body)).toStrictEqual(withoutRequestId(missing.body));
  });
});

describe('where the key may come from', () => {
  it('accepts the key in the X-API-Key header', async () => {
    const k = await create({ name: 'x-api-key', scopes: ['echo:read'] });
    const res = await call('/v1/whoami', { headers: { 'X-API-Key': k.key } });
    expect(res.status).toBe(200);
    expect(res.body.keyId).toBe(k.id);
  });

  it('accepts a lower-case bearer scheme', async () => {
    const k = await create({ name: 'lower-bearer' });
    expect((await call('/v1/whoami', { headers: { authorization: `bearer ${k.key}` } })).body.keyId).toBe(k.id);
  });

  it('rejects a key in ?api_key= by default with 401', async () => {
    const k = await create({ name: 'query', scopes: ['echo:read'] });
    expectUnauthorized(await call(`/v1/echo?api_key=${k.key}`));
  });

  describe('with allowQueryKey', () => {
    const q = (path: string, req: ApiRequest = {}) => new ApiClient({ baseUrl: queryStack.url }).call(path, req);
    let queryKey: Json;
    beforeAll(async () => {
      const res = await q('/v1/keys', { method: 'POST', key: queryStack.adminKey, body: { name: 'query', scopes: ['echo:read', 'keys:read'] } });
      expect(res.status).toBe(201);
      queryKey = res.body;
    });

    it('accepts a key in ?api_key=', async () => {
      const res = await q(`/v1/echo?api_key=${queryKey.key}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.keyId).toBe(queryKey.id);
    });

    it('still rejects a bad key in ?api_key= with 401', async () => {
      expectUnauthorized(await q(`/v1/echo?api_key=${withBadChecksum(queryKey.key)}`));
    });

    // BUG (core/validation.ts parseListQuery, called from lambdas/keys/app.ts listKeys): the list
    // route validates every query parameter and rejects `api_key` as an unknown field, so with
    // allowQueryKey on, GET /v1/keys?api_key=<key> passes the authorizer and then fails with
    // 400 validation_failed "api_key: unknown field". Remove `.fails` once the list route ignores api_key.
    it('accepts ?api_key= on GET /v1/keys', async () => {
      const res = await q(`/v1/keys?api_key=${queryKey.key}`);
      expect(res.status, res.text).toBe(200);
    });
  });
});

describe('403 forbidden', () => {
  it('rejects a key lacking echo:read on /v1/echo with 403 insufficient_scope', async () => {
    const k = await create({ name: 'no-echo', scopes: ['orders:read'] });
    const res = await call('/v1/echo', { key: k.key });
    const body = expectProblem(res, 403, 'forbidden');
    expect(body.reason).toBe('insufficient_scope');
    expect(body.detail).toContain('echo:read');
    expect(body.requestId).toBe(res.headers.get('x-amzn-requestid'));
  });

  it('rejects a keys:read key on POST /v1/keys with 403 insufficient_scope naming keys:write', async () => {
    const k = await create({ name: 'reader', scopes: ['keys:read'] });
    const body = expectProblem(await call('/v1/keys', { method: 'POST', key: k.key, body: { name: 'x' } }), 403, 'forbidden');
    expect(body).toMatchObject({ reason: 'insufficient_scope', detail: expect.stringContaining('keys:write') });
  });

  it('lets an admin key call echo without holding echo:read', async () => {
    expect((await admin('/v1/echo')).status).toBe(200);
  });

  it('lets a key with no scopes call whoami and scopes', async () => {
    const k = await create({ name: 'bare' });
    expect((await call('/v1/whoami', { key: k.key })).status).toBe(200);
    expect((await call('/v1/scopes', { key: k.key })).status).toBe(200);
  });
});

describe('IP allowlist', () => {
  let k: Json;
  beforeAll(async () => {
    k = await create({ name: 'ip', scopes: ['echo:read'], allowedIps: ['203.0.113.0/24', '2001:db8::/32'] });
  });
  const from = (ip: string) => call('/v1/echo', { key: k.key, headers: { 'x-forwarded-for': ip } });

  it.each(['203.0.113.7', '203.0.113.255', '2001:db8::1', '2001:db8:ffff::abcd', '::ffff:203.0.113.9', '203.0.113.8, 10.0.0.1'])(
    'allows a request from %s',
    async (ip) => {
      const res = await from(ip);
      expect(res.status, res.text).toBe(200);
    },
  );

  it.each(['198.51.100.1', '203.0.114.1', '2001:db9::1', '::1', '10.0.0.1, 203.0.113.8'])('rejects a request from %s with 403 ip_not_allowed', async (ip) => {
    const body = expectProblem(await from(ip), 403, 'forbidden');
    expect(body.reason).toBe('ip_not_allowed');
  });

  it('rejects a request with no forwarded address (the socket is 127.0.0.1) with 403 ip_not_allowed', async () => {
    expect((await call('/v1/echo', { key: k.key })).body.reason).toBe('ip_not_allowed');
  });

  it('rejects a revoked key from a disallowed address with 401, not 403 (identity before permission)', async () => {
    const r = await create({ name: 'ip-revoked', scopes: ['echo:read'], allowedIps: ['203.0.113.0/24'] });
    await admin(`/v1/keys/${r.id}`, { method: 'DELETE' });
    expectUnauthorized(await call('/v1/echo', { key: r.key, headers: { 'x-forwarded-for': '198.51.100.1' } }));
  });
});

describe('tenant isolation', () => {
  let a: Json; // tenant A's management key
  let aOther: Json;
  let b: Json; // one of tenant B's keys
  beforeAll(async () => {
    a = await create({ name: 'tenant-a manager', ownerId: 'tenant-a', scopes: ['keys:read', 'keys:write'] });
    aOther = await create({ name: 'tenant-a other', ownerId: 'tenant-a', scopes: ['keys:read'] });
    b = await create({ name: 'tenant-b key', ownerId: 'tenant-b', scopes: ['keys:read'] });
  });
  const asA = (path: string, req: Omit<ApiRequest, 'key'> = {}) => call(path, { ...req, key: a.key });

  it('lets A read its own keys (control)', async () => {
    expect((await asA(`/v1/keys/${aOther.id}`)).status).toBe(200);
  });

  it.each([
    ['GET', ''],
    ['PATCH', ''],
    ['DELETE', ''],
    ['POST', '/rotate'],
  ] as const)('answers %s of tenant B’s key with 404 key_not_found, the same body as an unknown id', async (method, suffix) => {
    const body = method === 'PATCH' ? { name: 'stolen' } : undefined;
    const other = await asA(`/v1/keys/${b.id}${suffix}`, { method, body });
    const unknown = await asA(`/v1/keys/${UNKNOWN_KEY_ID}${suffix}`, { method, body });
    expectProblem(other, 404, 'key_not_found');
    expect(withoutRequestId(other.body)).toStrictEqual(withoutRequestId(unknown.body));
    expect(other.headers.get('content-type')).toBe(unknown.headers.get('content-type'));
  });

  it('left tenant B’s key unchanged and usable', async () => {
    const res = await admin(`/v1/keys/${b.id}`);
    expect(res.body).toMatchObject({ name: 'tenant-b key', status: 'active', updatedAt: b.createdAt });
    expect(res.body.replacedBy).toBeUndefined();
    expect((await call('/v1/whoami', { key: b.key })).status).toBe(200);
  });

  it('cannot revoke the admin key (404)', async () => {
    const adminId = (await admin('/v1/whoami')).body.keyId;
    expectProblem(await asA(`/v1/keys/${adminId}`, { method: 'DELETE' }), 404, 'key_not_found');
    expect((await admin('/v1/whoami')).status).toBe(200);
  });

  it('rejects listing with ownerId=tenant-b with 403 owner_not_allowed', async () => {
    expectProblem(await asA('/v1/keys?ownerId=tenant-b'), 403, 'owner_not_allowed');
  });

  it('lists only A’s keys without ownerId, and the same with ownerId=tenant-a', async () => {
    const res = await asA('/v1/keys?limit=100');
    expect(res.status).toBe(200);
    const owners = new Set(res.body.items.map((k: Json) => k.ownerId));
    expect([...owners]).toEqual(['tenant-a']);
    expect(res.body.items.map((k: Json) => k.id).sort()).toEqual([a.id, aOther.id].sort());
    const explicit = await asA('/v1/keys?ownerId=tenant-a&limit=100');
    expect(explicit.body.items.map((k: Json) => k.id)).toEqual(res.body.items.map((k: Json) => k.id));
  });
});

describe('scope escalation', () => {
  let a: Json;
  beforeAll(async () => {
    a = await create({ name: 'escalator', ownerId: 'tenant-e', scopes: ['keys:read', 'keys:write'] });
  });
  const asA = (path: string, req: Omit<ApiRequest, 'key'> = {}) => call(path, { ...req, key: a.key });

  it('lets A create a key with a subset of its own scopes for its own owner (control)', async () => {
    const res = await asA('/v1/keys', { method: 'POST', body: { name: 'child', scopes: ['keys:read'] } });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ ownerId: 'tenant-e', createdBy: a.id, scopes: ['keys:read'] });
  });

  it('rejects creating a key with admin with 403 scope_not_grantable', async () => {
    const body = expectProblem(await asA('/v1/keys', { method: 'POST', body: { name: 'x', scopes: ['admin'] } }), 403, 'scope_not_grantable');
    expect(body.detail).toContain('admin');
  });

  it('rejects creating a key with a scope A lacks with 403 scope_not_grantable', async () => {
    const body = expectProblem(
      await asA('/v1/keys', { method: 'POST', body: { name: 'x', scopes: ['keys:read', 'echo:read'] } }),
      403,
      'scope_not_grantable',
    );
    expect(body.detail).toContain('echo:read');
    expect(body.detail).not.toContain('keys:read');
  });

  it('rejects creating a key for another owner with 403 owner_not_allowed', async () => {
    expectProblem(await asA('/v1/keys', { method: 'POST', body: { name: 'x', ownerId: 'tenant-b' } }), 403, 'owner_not_allowed');
  });

  it('rejects an unknown scope name with 400 unknown_scope', async () => {
    const body = expectProblem(await asA('/v1/keys', { method: 'POST', body: { name: 'x', scopes: ['billing:write'] } }), 400, 'unknown_scope');
    expect(body.detail).toContain('billing:write');
    expectProblem(await admin('/v1/keys', { method: 'POST', body: { name: 'x', scopes: ['billing:write'] } }), 400, 'unknown_scope');
  });

  it('rejects PATCHing scopes to add one A lacks with 403 scope_not_grantable', async () => {
    const child = (await asA('/v1/keys', { method: 'POST', body: { name: 'child2' } })).body;
    expectProblem(await asA(`/v1/keys/${child.id}`, { method: 'PATCH', body: { scopes: ['admin'] } }), 403, 'scope_not_grantable');
    expectProblem(await asA(`/v1/keys/${a.id}`, { method: 'PATCH', body: { scopes: ['keys:read', 'keys:write', 'echo:read'] } }), 403, 'scope_not_grantable');
    expect((await admin(`/v1/keys/${a.id}`)).body.scopes).toEqual(['keys:read', 'keys:write']);
  });

  describe('a key of A’s owner holding a scope A lacks', () => {
    let strong: Json;
    beforeAll(async () => {
      strong = await create({ name: 'strong', ownerId: 'tenant-e', scopes: ['echo:read'] });
    });

    it('is visible to A (control)', async () => {
      expect((await asA(`/v1/keys/${strong.id}`)).status).toBe(200);
    });

    it('rejects A’s PATCH with 403 scope_not_grantable', async () => {
      const body = expectProblem(await asA(`/v1/keys/${strong.id}`, { method: 'PATCH', body: { name: 'mine now' } }), 403, 'scope_not_grantable');
      expect(body.detail).toContain('echo:read');
    });

    it('rejects A’s rotation with 403 scope_not_grantable and issues no key', async () => {
      expectProblem(await asA(`/v1/keys/${strong.id}/rotate`, { method: 'POST' }), 403, 'scope_not_grantable');
      const after = (await admin(`/v1/keys/${strong.id}`)).body;
      expect(after.name).toBe('strong');
      expect(after.replacedBy).toBeUndefined();
    });
  });
});
