/**
 * One key-lifecycle scenario written against a generic `{ baseUrl, adminKey }` target
 * (test/support/e2e.ts). It always runs against the local stack, and also against a deployed
 * stack when KEYGATE_E2E_URL and KEYGATE_E2E_ADMIN_KEY are set (skipped otherwise):
 *
 *   KEYGATE_E2E_URL=https://abc123.execute-api.eu-west-1.amazonaws.com/prod \
 *   KEYGATE_E2E_ADMIN_KEY=kg_live_... npx vitest run test/http/deployed.test.ts
 *
 * On a deployed stack a revocation takes up to the authorizer cache TTL to show, so the
 * "now rejected" steps retry for KEYGATE_E2E_REVOCATION_LAG_SECONDS (default 15). Every key the
 * scenario creates belongs to a fresh ownerId and is revoked afterwards.
 *
 * The rate-limit step checks the 429 the way docs/authorizer.md says to on a first deploy; set
 * KEYGATE_E2E_CONTEXT_HEADERS=true when the stack was deployed with
 * `-c keygate:gatewayResponseContextHeaders=true`, so the 429 headers are checked too.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../core/key-format';
import { startTestStack, type TestStack } from '../support/local';
import {
  type ApiRequest,
  type ApiResponse,
  deployedTarget,
  type E2eTarget,
  eventually,
  expectProblem,
  expectRateLimited,
  expectUnauthorized,
  localTarget,
  request,
  UNKNOWN_KEY_ID,
} from '../support/e2e';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Declares the scenario's tests; `getTarget` is read once the suite's beforeAll has run. */
function lifecycleScenario(getTarget: () => E2eTarget, timeoutMs: number): void {
  const ownerId = `e2e-${Date.now()}-${randomBytes(3).toString('hex')}`;
  const created: string[] = [];
  let t: E2eTarget;
  let first: Json;
  let second: Json;

  const call = (path: string, req: ApiRequest = {}): Promise<ApiResponse> => request(t, path, req);
  const admin = (path: string, req: Omit<ApiRequest, 'key'> = {}): Promise<ApiResponse> => call(path, { ...req, key: t.adminKey });
  const rejectedSoon = (key: string): Promise<boolean> =>
    eventually(async () => (await call('/v1/echo', { key })).status === 401, t.revocationLagMs);

  beforeAll(() => {
    t = getTarget();
  });
  afterAll(async () => {
    // Leave nothing usable behind on a shared deployment.
    if (!t) return;
    for (const id of created) await admin(`/v1/keys/${id}`, { method: 'DELETE' });
  });

  it('answers /health without a key', async () => {
    const res = await call('/health');
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ status: 'ok' });
  });

  it('creates a key with echo:read and calls echo with it', async () => {
    const res = await admin('/v1/keys', { method: 'POST', body: { name: 'e2e lifecycle', ownerId, scopes: ['echo:read'], metadata: { suite: 'e2e' } } });
    expect(res.status, res.text).toBe(201);
    first = res.body;
    created.push(first.id);
    expect(res.headers.get('location')).toBe(`/v1/keys/${first.id}`);
    expect(first).toMatchObject({ ownerId, scopes: ['echo:read'], status: 'active', metadata: { suite: 'e2e' } });
    expect(first.key).toMatch(/^[a-z][a-z0-9]{0,15}_live_[0-9A-Za-z]{49}$/);
    expect(first).not.toHaveProperty('hash');

    const echo = await call('/v1/echo', { key: first.key });
    expect(echo.status, echo.text).toBe(200);
    expect(echo.body).toMatchObject({ keyId: first.id, ownerId, scopes: ['echo:read'], method: 'GET' });
  }, timeoutMs);

  it('rotates the key: both the old and the new key work during the grace period', async () => {
    const res = await admin(`/v1/keys/${first.id}/rotate`, { method: 'POST', body: { gracePeriodSeconds: 3600 } });
    expect(res.status, res.text).toBe(201);
    second = res.body;
    created.push(second.id);
    expect(second).toMatchObject({ replaces: first.id, ownerId, scopes: ['echo:read'], metadata: { suite: 'e2e' } });
    expect(second.previous).toMatchObject({ id: first.id, status: 'active' });
    expect(second.key).not.toBe(first.key);
    expect((await call('/v1/echo', { key: first.key })).status).toBe(200);
    expect((await call('/v1/echo', { key: second.key })).status).toBe(200);
    expect((await admin(`/v1/keys/${first.id}`)).body.replacedBy).toBe(second.id);
  }, timeoutMs);

  it('revokes both keys, after which each is rejected with 401', async () => {
    for (const k of [first, second]) {
      const res = await admin(`/v1/keys/${k.id}`, { method: 'DELETE' });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ id: k.id, status: 'revoked', revokedAt: expect.any(String) });
    }
    expect(await rejectedSoon(first.key), 'old key still accepted after the revocation lag').toBe(true);
    expect(await rejectedSoon(second.key), 'new key still accepted after the revocation lag').toBe(true);
    expectUnauthorized(await call('/v1/echo', { key: second.key }));
  }, timeoutMs);

  it('lists the owner’s keys, newest first, both revoked', async () => {
    // The list reads an index, which a deployed table updates shortly after the write.
    const listed = async () => (await admin(`/v1/keys?ownerId=${ownerId}`)).body?.items?.map((k: Json) => [k.id, k.status]) ?? [];
    await eventually(async () => (await listed()).filter(([, s]: string[]) => s === 'revoked').length === 2, t.revocationLagMs);
    expect(await listed()).toEqual([
      [second.id, 'revoked'],
      [first.id, 'revoked'],
    ]);
  }, timeoutMs);

  it('rejects a request without a key with 401', async () => {
    expectUnauthorized(await call('/v1/echo'));
  });

  it('rejects a key that was never issued with 401', async () => {
    expectUnauthorized(await call('/v1/whoami', { key: generateKey('kg', 'live').plaintext }));
  });

  it('rejects a key lacking echo:read with 403 insufficient_scope', async () => {
    const res = await admin('/v1/keys', { method: 'POST', body: { name: 'e2e no scope', ownerId } });
    expect(res.status).toBe(201);
    created.push(res.body.id);
    const body = expectProblem(await call('/v1/echo', { key: res.body.key }), 403, 'forbidden');
    expect(body.reason).toBe('insufficient_scope');
  }, timeoutMs);

  it('refuses a key over its rate limit with 429, the numbers in the body (and headers if mapped)', async () => {
    const res = await admin('/v1/keys', {
      method: 'POST',
      body: { name: 'e2e rate limit', ownerId, scopes: ['echo:read'], rateLimit: { limit: 1, windowSeconds: 3600 } },
    });
    expect(res.status, res.text).toBe(201);
    created.push(res.body.id);
    const first = await call('/v1/echo', { key: res.body.key });
    expect(first.status, first.text).toBe(200);
    expectRateLimited(await call('/v1/echo', { key: res.body.key }), t, 1);
  }, timeoutMs);

  it('rejects malformed JSON with 400 malformed_json', async () => {
    expectProblem(await admin('/v1/keys', { method: 'POST', body: '{"name":' }), 400, 'malformed_json');
  });

  it('rejects an invalid field with 400 validation_failed naming it', async () => {
    const body = expectProblem(await admin('/v1/keys', { method: 'POST', body: { name: 'x', ownerId, allowedIps: ['10.0.0.0/99'] } }), 400, 'validation_failed');
    expect(body.errors).toEqual([{ field: 'allowedIps[0]', message: expect.stringMatching(/not a valid/) }]);
  });

  it('answers an unknown key id with 404 key_not_found', async () => {
    expectProblem(await admin(`/v1/keys/${UNKNOWN_KEY_ID}`), 404, 'key_not_found');
  });

  it('answers an unknown route with 404 route_not_found', async () => {
    expectProblem(await admin('/v1/nope'), 404, 'route_not_found');
  });
}

describe('key lifecycle against the local stack', () => {
  let stack: TestStack | undefined;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });
  lifecycleScenario(() => localTarget(stack!), 30_000);
});

const deployed = deployedTarget();

describe.runIf(deployed !== undefined)('key lifecycle against the deployed stack (KEYGATE_E2E_URL)', () => {
  lifecycleScenario(() => deployed!, 30_000 + (deployed?.revocationLagMs ?? 0) * 2);
});

describe('deployed target configuration', () => {
  it('is absent unless both KEYGATE_E2E_URL and KEYGATE_E2E_ADMIN_KEY are set', () => {
    expect(deployedTarget({})).toBeUndefined();
    expect(deployedTarget({ KEYGATE_E2E_URL: 'https://x.example/prod' })).toBeUndefined();
    expect(deployedTarget({ KEYGATE_E2E_ADMIN_KEY: 'kg_live_x' })).toBeUndefined();
  });

  it('strips trailing slashes from the URL and defaults the revocation lag to 15 s', () => {
    expect(deployedTarget({ KEYGATE_E2E_URL: 'https://x.example/prod//', KEYGATE_E2E_ADMIN_KEY: ' kg_live_x ' })).toStrictEqual({
      name: 'deployed',
      baseUrl: 'https://x.example/prod',
      adminKey: 'kg_live_x',
      revocationLagMs: 15_000,
      contextHeaders: false,
    });
    expect(deployedTarget({ KEYGATE_E2E_URL: 'https://x', KEYGATE_E2E_ADMIN_KEY: 'k', KEYGATE_E2E_REVOCATION_LAG_SECONDS: '0' })?.revocationLagMs).toBe(0);
  });

  it('checks 429 headers against the target: present with context headers, absent without', () => {
    const body = { type: 'urn:keygate:problem:rate_limited', status: 429, code: 'rate_limited', limit: '1', remaining: '0', reset: '1999999999', retryAfter: '42' };
    const response = (headers: Record<string, string>, status = 429): ApiResponse => ({
      status,
      headers: new Headers({ 'content-type': 'application/problem+json', ...headers }),
      text: JSON.stringify(body),
      body,
    });
    const mapped = { 'retry-after': '42', 'x-ratelimit-limit': '1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1999999999' };
    expectRateLimited(response(mapped), { contextHeaders: true }, 1);
    expectRateLimited(response({}), { contextHeaders: false }, 1);
    expect(() => expectRateLimited(response({}), { contextHeaders: true }, 1)).toThrow(/not rendered/);
    expect(() => expectRateLimited(response(mapped), { contextHeaders: false }, 1)).toThrow(/body only/);
    expect(() => expectRateLimited(response({}, 403), { contextHeaders: false }, 1)).toThrow(/429/);
  });

  it('expects the 429 headers only when KEYGATE_E2E_CONTEXT_HEADERS=true, and rejects other values', () => {
    const env = { KEYGATE_E2E_URL: 'https://x', KEYGATE_E2E_ADMIN_KEY: 'k' };
    expect(deployedTarget({ ...env, KEYGATE_E2E_CONTEXT_HEADERS: 'true' })?.contextHeaders).toBe(true);
    expect(deployedTarget({ ...env, KEYGATE_E2E_CONTEXT_HEADERS: 'false' })?.contextHeaders).toBe(false);
    expect(() => deployedTarget({ ...env, KEYGATE_E2E_CONTEXT_HEADERS: 'yes' })).toThrow(/KEYGATE_E2E_CONTEXT_HEADERS/);
  });
});
