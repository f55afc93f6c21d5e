/**
 * The management API's happy paths over real HTTP against the local stack: exact response
 * shapes, pagination, status filters, PATCH semantics, revocation and rotation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local';
import { ApiClient, type ApiRequest, type ApiResponse, expectProblem, expectUnauthorized, TestClock } from '../support/e2e';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const KEY_ID = /^key_[0-9A-HJKMNP-TV-Z]{26}$/;
const DAY_MS = 86_400_000;

let stack: TestStack;
let api: ApiClient;
const clock = new TestClock();
let adminKeyId: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const call = (path: string, req: ApiRequest = {}): Promise<ApiResponse> => api.call(path, req);
const admin = (path: string, req: Omit<ApiRequest, 'key'> = {}): Promise<ApiResponse> => call(path, { ...req, key: stack.adminKey });

async function create(body: Record<string, unknown>): Promise<Json> {
  const res = await admin('/v1/keys', { method: 'POST', body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

async function get(id: string): Promise<Json> {
  const res = await admin(`/v1/keys/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function echoStatus(key: string): Promise<number> {
  return (await call('/v1/echo', { key })).status;
}

function withoutKey(created: Json): Json {
  const { key: _key, ...view } = created;
  return view;
}

beforeAll(async () => {
  stack = await startTestStack({ clock });
  api = new ApiClient({ baseUrl: stack.url });
  adminKeyId = (await admin('/v1/whoami')).body.keyId;
});
afterAll(async () => {
  await stack?.stop();
});

describe('GET /health', () => {
  it('answers 200 {status: ok} without a key', async () => {
    const res = await call('/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.body).toStrictEqual({ status: 'ok' });
  });
});

describe('POST /v1/keys', () => {
  it('creates a minimal key: 201, Location, the full record and the plaintext key once', async () => {
    const before = clock.now().getTime();
    const res = await admin('/v1/keys', { method: 'POST', body: { name: 'minimal' } });
    const after = clock.now().getTime();
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const b = res.body;
    expect(res.headers.get('location')).toBe(`/v1/keys/${b.id}`);
    expect(b).toStrictEqual({
      id: expect.stringMatching(KEY_ID),
      ownerId: 'admin',
      name: 'minimal',
      environment: 'live',
      start: b.key.slice(0, 12),
      scopes: [],
      status: 'active',
      createdAt: expect.stringMatching(ISO),
      createdBy: adminKeyId,
      updatedAt: b.createdAt,
      key: expect.stringMatching(/^kg_live_[0-9A-Za-z]{49}$/),
    });
    const createdMs = Date.parse(b.createdAt);
    expect(createdMs).toBeGreaterThanOrEqual(before);
    expect(createdMs).toBeLessThanOrEqual(after);
  });

  it('creates a key with every field and normalises CIDRs and expiry', async () => {
    const res = await admin('/v1/keys', {
      method: 'POST',
      body: {
        name: '  full  ',
        description: 'billing service',
        ownerId: 'acme',
        scopes: ['echo:read', 'orders:read', 'echo:read'],
        expiresInDays: 30,
        rateLimit: { limit: 100, windowSeconds: 60 },
        quota: { daily: 1000, monthly: 20000 },
        allowedIps: ['203.0.113.9/24', '2001:db8::1/32', '198.51.100.7'],
        metadata: { plan: 'pro', tags: ['a', 'b'], nested: { n: 1 } },
        environment: 'test',
      },
    });
    expect(res.status, res.text).toBe(201);
    const b = res.body;
    expect(b).toStrictEqual({
      id: expect.stringMatching(KEY_ID),
      ownerId: 'acme',
      name: 'full',
      description: 'billing service',
      environment: 'test',
      start: b.key.slice(0, 12),
      scopes: ['echo:read', 'orders:read'],
      status: 'active',
      createdAt: expect.stringMatching(ISO),
      createdBy: adminKeyId,
      updatedAt: b.createdAt,
      expiresAt: expect.stringMatching(ISO),
      rateLimit: { limit: 100, windowSeconds: 60 },
      quota: { daily: 1000, monthly: 20000 },
      allowedIps: ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7/32'],
      metadata: { plan: 'pro', tags: ['a', 'b'], nested: { n: 1 } },
      key: expect.stringMatching(/^kg_test_[0-9A-Za-z]{49}$/),
    });
    // expiresInDays is counted from the request; createdAt is taken a moment later.
    const lead = Date.parse(b.createdAt) + 30 * DAY_MS - Date.parse(b.expiresAt);
    expect(lead).toBeGreaterThanOrEqual(0);
    expect(lead).toBeLessThan(1000);
  });

  it('creates a key with an absolute expiresAt, normalised to UTC', async () => {
    const b = await create({ name: 'abs', expiresAt: '2099-06-30T12:00:00+02:00' });
    expect(b.expiresAt).toBe('2099-06-30T10:00:00.000Z');
  });

  it('returns a different plaintext key and id for every key', async () => {
    const a = await create({ name: 'a' });
    const b = await create({ name: 'b' });
    expect(a.key).not.toBe(b.key);
    expect(a.id).not.toBe(b.id);
  });
});

describe('GET /v1/keys/{id}', () => {
  it('returns the same record as create, without the plaintext key', async () => {
    const created = await create({
      name: 'get-me',
      description: 'd',
      scopes: ['orders:write'],
      rateLimit: { limit: 5, windowSeconds: 1 },
      quota: { monthly: 10 },
      allowedIps: ['10.0.0.0/8'],
      metadata: { k: 'v' },
    });
    const res = await admin(`/v1/keys/${created.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.body).toStrictEqual(withoutKey(created));
  });
});

describe('GET /v1/keys', () => {
  it('pages newest first with limit=2 across 3 pages until nextCursor is null', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ name: `page-${i}`, ownerId: 'pager' })).id);
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res: ApiResponse = await admin(`/v1/keys?ownerId=pager&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status, res.text).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      pages.push(res.body.items.map((k: Json) => k.id));
      cursor = res.body.nextCursor;
      expect(pages.length).toBeLessThanOrEqual(3);
    } while (cursor !== null);
    expect(pages).toEqual([
      [ids[4], ids[3]],
      [ids[2], ids[1]],
      [ids[0]],
    ]);
  });

  // BUG (adapters/dynamodb/key-repository.ts, list(): `more = ... || out.LastEvaluatedKey !== undefined`):
  // DynamoDB sets LastEvaluatedKey whenever a query stops at its Limit, so when the number of keys
  // is an exact multiple of `limit` the last full page still carries a nextCursor that leads to an
  // empty page. Remove `.fails` once the repository looks one item ahead.
  it('returns nextCursor null on the last page when the key count is a multiple of limit', async () => {
    for (let i = 0; i < 2; i++) await create({ name: `even-${i}`, ownerId: 'even-pager' });
    const res = await admin('/v1/keys?ownerId=even-pager&limit=2');
    expect(res.body.items).toHaveLength(2);
    expect(res.body.nextCursor).toBeNull();
  });

  it('lists records exactly as GET returns them, without hash, version or plaintext', async () => {
    const created = await create({ name: 'listed', ownerId: 'lister', description: 'x', metadata: { a: 1 } });
    const res = await admin('/v1/keys?ownerId=lister');
    expect(res.body).toStrictEqual({ items: [withoutKey(created)], nextCursor: null });
  });

  it('filters by status active, revoked and expired', async () => {
    const owner = 'status-owner';
    const active = await create({ name: 'active', ownerId: owner });
    const revoked = await create({ name: 'revoked', ownerId: owner });
    const expiring = await create({ name: 'expiring', ownerId: owner, expiresAt: new Date(clock.now().getTime() + 60_000).toISOString() });
    expect((await admin(`/v1/keys/${revoked.id}`, { method: 'DELETE' })).status).toBe(200);

    const before = await admin(`/v1/keys?ownerId=${owner}&status=active`);
    expect(before.body.items.map((k: Json) => k.id)).toEqual([expiring.id, active.id]);

    clock.advance(120_000);
    const ids = async (status: string) => (await admin(`/v1/keys?ownerId=${owner}&status=${status}`)).body.items.map((k: Json) => [k.id, k.status]);
    expect(await ids('active')).toEqual([[active.id, 'active']]);
    expect(await ids('revoked')).toEqual([[revoked.id, 'revoked']]);
    expect(await ids('expired')).toEqual([[expiring.id, 'expired']]);
    expect((await get(expiring.id)).status).toBe('expired');
    expectUnauthorized(await call('/v1/whoami', { key: expiring.key }));
  });
});

describe('PATCH /v1/keys/{id}', () => {
  it('updates each field, keeps createdAt, moves updatedAt and returns the record', async () => {
    const created = await create({ name: 'patch-me', scopes: ['echo:read'] });
    const expiresAt = new Date(clock.now().getTime() + 10 * DAY_MS).toISOString();
    const patch = {
      name: 'patched',
      description: 'now described',
      scopes: ['echo:read', 'orders:read'],
      expiresAt,
      rateLimit: { limit: 10, windowSeconds: 30 },
      quota: { daily: 5 },
      allowedIps: ['127.0.0.0/8', '::1'],
      metadata: { team: 'payments' },
    };
    let current = withoutKey(created);
    for (const [field, value] of Object.entries(patch)) {
      const res = await admin(`/v1/keys/${created.id}`, { method: 'PATCH', body: { [field]: value } });
      expect(res.status, `${field}: ${res.text}`).toBe(200);
      const expected = field === 'allowedIps' ? ['127.0.0.0/8', '::1/128'] : value;
      expect(res.body).toStrictEqual({ ...current, [field]: expected, updatedAt: expect.stringMatching(ISO) });
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThan(Date.parse(current.updatedAt));
      expect(res.body.createdAt).toBe(created.createdAt);
      current = res.body;
    }
    expect(await get(created.id)).toStrictEqual(current);
    // The key still works with its new settings (the authorizer's item was updated too).
    expect(await echoStatus(created.key)).toBe(200);
  });

  it('clears description, expiresAt, rateLimit, quota, allowedIps and metadata with null', async () => {
    const created = await create({
      name: 'clear-me',
      description: 'd',
      expiresInDays: 1,
      rateLimit: { limit: 1, windowSeconds: 1 },
      quota: { daily: 1 },
      allowedIps: ['192.0.2.0/24'],
      metadata: { x: 1 },
      scopes: ['echo:read'],
    });
    // Outside the allowlist before the change.
    expectProblem(await call('/v1/echo', { key: created.key }), 403, 'forbidden');
    const res = await admin(`/v1/keys/${created.id}`, {
      method: 'PATCH',
      body: { description: null, expiresAt: null, rateLimit: null, quota: null, allowedIps: null, metadata: null },
    });
    expect(res.status, res.text).toBe(200);
    const { description: _d, expiresAt: _e, rateLimit: _r, quota: _q, allowedIps: _a, metadata: _m, ...rest } = withoutKey(created);
    expect(res.body).toStrictEqual({ ...rest, updatedAt: expect.stringMatching(ISO) });
    expect(await get(created.id)).toStrictEqual(res.body);
    expect(await echoStatus(created.key)).toBe(200);
  });

  it('enforces a scope change at once: removing echo:read turns echo into 403', async () => {
    const created = await create({ name: 'descope', scopes: ['echo:read'] });
    expect(await echoStatus(created.key)).toBe(200);
    expect((await admin(`/v1/keys/${created.id}`, { method: 'PATCH', body: { scopes: [] } })).status).toBe(200);
    expect((await call('/v1/echo', { key: created.key })).body.reason).toBe('insufficient_scope');
  });

  it('rejects changing a revoked key with 409 key_revoked', async () => {
    const created = await create({ name: 'gone' });
    await admin(`/v1/keys/${created.id}`, { method: 'DELETE' });
    expectProblem(await admin(`/v1/keys/${created.id}`, { method: 'PATCH', body: { name: 'again' } }), 409, 'key_revoked');
  });

  it('answers concurrent conflicting updates with 200 or 409 conflict, never 5xx, and keeps one winner', async () => {
    const created = await create({ name: 'race' });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => admin(`/v1/keys/${created.id}`, { method: 'PATCH', body: { name: `racer-${i}` } })),
    );
    for (const r of results) {
      if (r.status !== 200) expectProblem(r, 409, 'conflict');
    }
    const winners = results.filter((r) => r.status === 200).map((r) => r.body.name);
    expect(winners.length).toBeGreaterThanOrEqual(1);
    expect(winners).toContain((await get(created.id)).name);
  });
});

describe('DELETE /v1/keys/{id}', () => {
  it('revokes at once and is idempotent: a second DELETE is 200 with the same revokedAt', async () => {
    const created = await create({ name: 'revoke-me', scopes: ['echo:read'] });
    expect(await echoStatus(created.key)).toBe(200);
    // lastUsedAt is written off the critical path; let it land so the comparisons below are stable
    for (let i = 0; i < 40 && (await get(created.id)).lastUsedAt === undefined; i++) await new Promise((r) => setTimeout(r, 25));
    const first = await admin(`/v1/keys/${created.id}`, { method: 'DELETE' });
    expect(first.status).toBe(200);
    expect(first.body).toStrictEqual({
      ...withoutKey(created),
      // the echo call above sets lastUsedAt off the critical path: it may or may not have landed yet
      ...(first.body.lastUsedAt !== undefined ? { lastUsedAt: expect.stringMatching(ISO) } : {}),
      status: 'revoked',
      revokedAt: expect.stringMatching(ISO),
      updatedAt: first.body.revokedAt,
    });
    expectUnauthorized(await call('/v1/echo', { key: created.key }));

    const second = await admin(`/v1/keys/${created.id}`, { method: 'DELETE' });
    expect(second.status).toBe(200);
    expect(second.body).toStrictEqual(first.body);
    expect(await get(created.id)).toStrictEqual(first.body);
  });
});

describe('POST /v1/keys/{id}/rotate', () => {
  it('keeps both keys working during the default grace of one day', async () => {
    const old = await create({ name: 'rotate-default', scopes: ['echo:read'] });
    const before = clock.now().getTime();
    const res = await admin(`/v1/keys/${old.id}/rotate`, { method: 'POST' });
    const after = clock.now().getTime();
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/keys/${res.body.id}`);
    expect(res.body.previous).toStrictEqual({ id: old.id, status: 'active', expiresAt: expect.stringMatching(ISO) });
    const graceEnd = Date.parse(res.body.previous.expiresAt);
    expect(graceEnd).toBeGreaterThanOrEqual(before + DAY_MS);
    expect(graceEnd).toBeLessThanOrEqual(after + DAY_MS);
    expect(res.body.key).toMatch(/^kg_live_/);
    expect(res.body.key).not.toBe(old.key);
    expect(await echoStatus(old.key)).toBe(200);
    expect(await echoStatus(res.body.key)).toBe(200);

    const oldNow = await get(old.id);
    expect(oldNow).toMatchObject({ status: 'active', replacedBy: res.body.id, expiresAt: res.body.previous.expiresAt });
    expect((await get(res.body.id)).replaces).toBe(old.id);
  });

  it('revokes the old key at once with gracePeriodSeconds 0', async () => {
    const old = await create({ name: 'rotate-now', scopes: ['echo:read'] });
    const res = await admin(`/v1/keys/${old.id}/rotate`, { method: 'POST', body: { gracePeriodSeconds: 0 } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.previous).toStrictEqual({ id: old.id, status: 'revoked' });
    expectUnauthorized(await call('/v1/echo', { key: old.key }));
    expect(await echoStatus(res.body.key)).toBe(200);
    expect(await get(old.id)).toMatchObject({ status: 'revoked', revokedAt: expect.stringMatching(ISO), replacedBy: res.body.id });
  });

  it('gives the new key the old key’s scopes, limits, allowedIps, metadata, description and expiry', async () => {
    const old = await create({
      name: 'rotate-copy',
      description: 'copied',
      ownerId: 'copier',
      scopes: ['echo:read', 'orders:write'],
      expiresInDays: 90,
      rateLimit: { limit: 7, windowSeconds: 70 },
      quota: { daily: 70, monthly: 700 },
      allowedIps: ['127.0.0.1', '2001:db8::/48'],
      metadata: { plan: 'gold' },
      environment: 'test',
    });
    const res = await admin(`/v1/keys/${old.id}/rotate`, { method: 'POST', body: { gracePeriodSeconds: 60 } });
    expect(res.status, res.text).toBe(201);
    const { key, previous, ...view } = res.body;
    expect(key).toMatch(/^kg_test_[0-9A-Za-z]{49}$/);
    expect(previous).toStrictEqual({ id: old.id, status: 'active', expiresAt: expect.stringMatching(ISO) });
    expect(view).toStrictEqual({
      id: expect.stringMatching(KEY_ID),
      ownerId: 'copier',
      name: 'rotate-copy',
      description: 'copied',
      environment: 'test',
      start: key.slice(0, 12),
      scopes: ['echo:read', 'orders:write'],
      status: 'active',
      createdAt: expect.stringMatching(ISO),
      createdBy: adminKeyId,
      updatedAt: view.createdAt,
      expiresAt: old.expiresAt,
      replaces: old.id,
      rateLimit: { limit: 7, windowSeconds: 70 },
      quota: { daily: 70, monthly: 700 },
      allowedIps: ['127.0.0.1/32', '2001:db8::/48'],
      metadata: { plan: 'gold' },
    });
    expect(await get(view.id)).toStrictEqual(view);
    expect(await echoStatus(key)).toBe(200);
  });

  it('rejects rotating a revoked key with 409 key_revoked', async () => {
    const old = await create({ name: 'rotate-revoked' });
    await admin(`/v1/keys/${old.id}`, { method: 'DELETE' });
    expectProblem(await admin(`/v1/keys/${old.id}/rotate`, { method: 'POST' }), 409, 'key_revoked');
  });

  it('rejects rotating a key twice with 409 key_already_rotated naming the replacement', async () => {
    const old = await create({ name: 'rotate-twice' });
    const first = await admin(`/v1/keys/${old.id}/rotate`, { method: 'POST', body: { gracePeriodSeconds: 3600 } });
    expect(first.status).toBe(201);
    const body = expectProblem(await admin(`/v1/keys/${old.id}/rotate`, { method: 'POST' }), 409, 'key_already_rotated');
    expect(body.detail).toContain(first.body.id);
  });

  it('answers concurrent rotations with exactly one 201 and 409 for the rest', async () => {
    const old = await create({ name: 'rotate-race' });
    const results = await Promise.all(Array.from({ length: 4 }, () => admin(`/v1/keys/${old.id}/rotate`, { method: 'POST' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(r.status, r.text).toBe(409);
      expect(['conflict', 'key_already_rotated']).toContain(r.body.code);
    }
  });

  it('after the grace period ends, rejects the old key with 401 and accepts the new one', async () => {
    const old = await create({ name: 'rotate-grace-end', scopes: ['echo:read'] });
    const res = await admin(`/v1/keys/${old.id}/rotate`, { method: 'POST', body: { gracePeriodSeconds: 300 } });
    expect(res.status).toBe(201);
    expect(await echoStatus(old.key)).toBe(200);
    clock.advance(301_000);
    expectUnauthorized(await call('/v1/echo', { key: old.key }));
    expect(await echoStatus(res.body.key)).toBe(200);
    expect((await get(old.id)).status).toBe('expired');
  });

  it('rejects rotating an expired key with 409 key_expired', async () => {
    const old = await create({ name: 'rotate-expired', expiresAt: new Date(clock.now().getTime() + 30_000).toISOString() });
    clock.advance(31_000);
    expectProblem(await admin(`/v1/keys/${old.id}/rotate`, { method: 'POST' }), 409, 'key_expired');
  });
});

describe('GET /v1/scopes', () => {
  it('lists the built-in scopes and the configured ones, sorted by name', async () => {
    const res = await call('/v1/scopes', { key: (await create({ name: 'scopes-reader' })).key });
    expect(res.status).toBe(200);
    expect(res.body.items.map((s: Json) => s.name)).toEqual(['admin', 'audit:read', 'echo:read', 'keys:read', 'keys:verify', 'keys:write', 'orders:read', 'orders:write', 'usage:read']);
    for (const s of res.body.items) expect(s).toStrictEqual({ name: s.name, description: expect.stringMatching(/\S/) });
    expect(res.body.items.find((s: Json) => s.name === 'orders:read').description).toBe('Read orders.');
  });
});

describe('GET /v1/whoami and GET /v1/echo', () => {
  it('whoami returns the calling key', async () => {
    const created = await create({ name: 'me', ownerId: 'acme', scopes: ['orders:read'], expiresInDays: 3 });
    const res = await call('/v1/whoami', { key: created.key });
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ keyId: created.id, ownerId: 'acme', scopes: ['orders:read'], expiresAt: created.expiresAt });
    expect((await admin('/v1/whoami')).body).toStrictEqual({ keyId: adminKeyId, ownerId: 'admin', scopes: ['admin'], expiresAt: null });
  });

  it('echo returns the caller and the request it saw', async () => {
    const created = await create({ name: 'echoer', ownerId: 'acme', scopes: ['echo:read'] });
    const res = await call('/v1/echo', { key: created.key });
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({
      message: 'Hello from a Keygate-protected route.',
      keyId: created.id,
      ownerId: 'acme',
      scopes: ['echo:read'],
      method: 'GET',
      path: '/v1/echo',
    });
  });
});

describe('every response of this file', () => {
  it('carries no hash or version member, and the plaintext key only in create and rotate responses', () => {
    expect(api.responses.length).toBeGreaterThan(50);
    const walk = (v: unknown, path: string, out: string[]): void => {
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`, out));
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'hash' || k === 'version') out.push(`${path}.${k}`);
          walk(x, `${path}.${k}`, out);
        }
      }
    };
    const offending: string[] = [];
    for (const r of api.responses) walk(r.body, '$', offending);
    expect(offending).toEqual([]);
    const withKey = api.responses.filter((r) => r.body && typeof r.body === 'object' && 'key' in r.body);
    expect(withKey.length).toBeGreaterThan(0);
    for (const r of withKey) expect(r.status).toBe(201);
    expect(api.responses.filter((r) => /kg_(live|test)_[0-9A-Za-z]{49}/.test(r.text)).every((r) => r.status === 201)).toBe(true);
  });
});
