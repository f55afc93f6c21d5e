/** 429 semantics (body by default, headers when the gateway maps them), X-RateLimit-* on success, the usage and verify endpoints, through the local stack. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayResponse } from '../../core/gateway-responses';
import { startTestStack, type TestStack } from '../support/local';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let nowMs = Date.parse('2032-07-01T10:00:05.000Z');
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ clock: { now: () => new Date(nowMs) } });
});
afterAll(async () => {
  await stack?.stop();
});

async function create(body: Json, on: TestStack = stack): Promise<{ id: string; key: string }> {
  const res = await on.call('/v1/keys', { method: 'POST', key: on.adminKey, body: JSON.stringify({ name: 'limited', scopes: ['echo:read'], ...body }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

const RATE_LIMIT_RESPONSE_HEADERS = ['retry-after', 'ratelimit-policy', 'ratelimit', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'] as const;

describe('rate limited requests', () => {
  it('answers 429 with the numbers in a problem body and no Retry-After or X-RateLimit-* headers by default, and counts nothing', async () => {
    // Prepare
    const k = await create({ rateLimit: { limit: 2, windowSeconds: 60 } });
    const first = await stack.call('/v1/echo', { key: k.key });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset')).toBe(String(Date.parse('2032-07-01T10:01:00.000Z') / 1000));
    expect((await stack.call('/v1/echo', { key: k.key })).status).toBe(200);

    // Act
    const limited = await stack.call('/v1/echo', { key: k.key });

    // Assess: the deployed default (keygate:gatewayResponseContextHeaders off) maps only literal
    // headers, so the numbers travel in the body alone (docs/authorizer.md).
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('application/problem+json');
    for (const h of RATE_LIMIT_RESPONSE_HEADERS) expect(limited.headers.get(h), h).toBeNull();
    const body = (await limited.json()) as Json;
    expect(body).toMatchObject({
      status: 429,
      code: 'rate_limited',
      type: 'urn:keygate:problem:rate_limited',
      limit: '2',
      remaining: '0',
      reset: String(Date.parse('2032-07-01T10:01:00.000Z') / 1000),
      retryAfter: '55',
    });
    // the same gateway response the CDK stack synthesizes
    expect(gatewayResponse('INVALID_API_KEY').statusCode).toBe(429);

    const usage = (await (await stack.call(`/v1/keys/${k.id}/usage`, { key: stack.adminKey })).json()) as Json;
    expect(usage.rateLimit).toMatchObject({ limit: 2, used: 2, remaining: 0, windowSeconds: 60, windowStart: '2032-07-01T10:00:00.000Z', resetAt: '2032-07-01T10:01:00.000Z' });

    nowMs += 60_000;
    expect((await stack.call('/v1/echo', { key: k.key })).status).toBe(200);
  });

  it('answers 429 with Retry-After and X-RateLimit-* headers when the gateway maps them from the authorizer context', async () => {
    // Prepare: a stack whose gateway behaves like a deployment with -c keygate:gatewayResponseContextHeaders=true
    const ownNowMs = Date.parse('2032-07-01T10:00:05.000Z');
    const withHeaders = await startTestStack({ clock: { now: () => new Date(ownNowMs) }, gatewayResponseContextHeaders: true });
    try {
      const k = await create({ rateLimit: { limit: 2, windowSeconds: 60 } }, withHeaders);
      for (let i = 0; i < 2; i++) expect((await withHeaders.call('/v1/echo', { key: k.key })).status).toBe(200);

      // Act
      const limited = await withHeaders.call('/v1/echo', { key: k.key });

      // Assess: the same numbers in the headers and in the body
      const reset = String(Date.parse('2032-07-01T10:01:00.000Z') / 1000);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('content-type')).toBe('application/problem+json');
      expect(limited.headers.get('retry-after')).toBe('55');
      expect(limited.headers.get('x-ratelimit-limit')).toBe('2');
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(limited.headers.get('x-ratelimit-reset')).toBe(reset);
      expect((await limited.json()) as Json).toMatchObject({ status: 429, code: 'rate_limited', limit: '2', remaining: '0', reset, retryAfter: '55' });
    } finally {
      await withHeaders.stop();
    }
  });

  it('names the daily quota when it is the limit that refuses', async () => {
    const k = await create({ quota: { daily: 1, monthly: 10 } });
    expect((await stack.call('/v1/echo', { key: k.key })).status).toBe(200);
    const refused = await stack.call('/v1/echo', { key: k.key });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as Json).code).toBe('daily_quota_exceeded');
    const usage = (await (await stack.call(`/v1/keys/${k.id}/usage`, { key: stack.adminKey })).json()) as Json;
    expect(usage.quota.daily).toMatchObject({ limit: 1, used: 1, remaining: 0 });
    expect(usage.quota.monthly).toMatchObject({ limit: 10, used: 1, remaining: 9 });
    expect(usage.rateLimit).toBeNull();
  });

  it('names the monthly quota when it is the limit that refuses', async () => {
    const k = await create({ quota: { monthly: 1 } });
    expect((await stack.call('/v1/echo', { key: k.key })).status).toBe(200);
    const refused = await stack.call('/v1/echo', { key: k.key });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as Json).code).toBe('monthly_quota_exceeded');
  });

  it('keeps a scope denial a 403 and an invalid key a 401 even when the key is rate limited', async () => {
    const k = await create({ rateLimit: { limit: 1, windowSeconds: 3600 }, scopes: ['echo:read'] });
    expect((await stack.call('/v1/echo', { key: k.key })).status).toBe(200);
    expect((await stack.call('/v1/whoami', { key: k.key })).status).toBe(429);
    expect((await stack.call('/v1/keys', { key: k.key })).status).toBe(403);
    await stack.call(`/v1/keys/${k.id}`, { method: 'DELETE', key: stack.adminKey });
    expect((await stack.call('/v1/echo', { key: k.key })).status).toBe(401);
  });
});

describe('GET /v1/keys/{id}/usage', () => {
  it('rejects another owner’s key as 404', async () => {
    const other = await create({ ownerId: 'globex' });
    const tenant = await create({ ownerId: 'acme', scopes: ['keys:read'] });
    expect((await stack.call(`/v1/keys/${other.id}/usage`, { key: tenant.key })).status).toBe(404);
  });
});

describe('POST /v1/verify', () => {
  let verifier: string;
  beforeAll(async () => {
    verifier = (await create({ name: 'backend', scopes: ['keys:verify'] })).key;
  });
  const verify = async (body: Json) => {
    const res = await stack.call('/v1/verify', { method: 'POST', key: verifier, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Json };
  };

  it('reports VALID with the key’s identity and counts against its limits like the authorizer', async () => {
    const k = await create({ rateLimit: { limit: 2, windowSeconds: 3600 } });
    const first = await verify({ key: k.key, scopes: ['echo:read'] });
    expect(first).toMatchObject({ status: 200, body: { valid: true, code: 'VALID', keyId: k.id, ownerId: 'admin', scopes: ['echo:read'], expiresAt: null } });
    expect(first.body.rateLimit).toMatchObject({ limit: 2, remaining: 1 });
    expect((await stack.call('/v1/echo', { key: k.key })).status).toBe(200);
    const third = await verify({ key: k.key });
    expect(third.body).toMatchObject({ valid: false, code: 'RATE_LIMITED', keyId: k.id, rateLimit: { limit: 2, remaining: 0 } });
  });

  it.each([
    ['NOT_FOUND', async () => 'kg_live_' + 'A'.repeat(49)],
    ['REVOKED', async () => {
      const k = await create({});
      await stack.call(`/v1/keys/${k.id}`, { method: 'DELETE', key: stack.adminKey });
      return k.key;
    }],
  ])('reports %s as data, not as an error', async (code, makeKey) => {
    const r = await verify({ key: await makeKey() });
    expect(r).toMatchObject({ status: 200, body: { valid: false, code } });
  });

  it('reports INSUFFICIENT_SCOPE, IP_NOT_ALLOWED and QUOTA_EXCEEDED', async () => {
    const k = await create({ allowedIps: ['10.0.0.0/8'], quota: { daily: 1 } });
    expect((await verify({ key: k.key, scopes: ['orders:write'], sourceIp: '10.1.2.3' })).body.code).toBe('INSUFFICIENT_SCOPE');
    expect((await verify({ key: k.key, sourceIp: '192.0.2.1' })).body.code).toBe('IP_NOT_ALLOWED');
    expect((await verify({ key: k.key, sourceIp: '10.1.2.3' })).body.code).toBe('VALID');
    expect((await verify({ key: k.key, sourceIp: '10.1.2.3' })).body.code).toBe('QUOTA_EXCEEDED');
  });

  it('charges a cost when the backend passes one, all units or none', async () => {
    const k = await create({ rateLimit: { limit: 10, windowSeconds: 3600 } });
    expect((await verify({ key: k.key, cost: 6 })).body).toMatchObject({ code: 'VALID', rateLimit: { remaining: 4 } });
    expect((await verify({ key: k.key, cost: 5 })).body).toMatchObject({ code: 'RATE_LIMITED', rateLimit: { remaining: 4 } });
    expect((await verify({ key: k.key, cost: 4 })).body).toMatchObject({ code: 'VALID', rateLimit: { remaining: 0 } });
  });

  it('rejects a caller without keys:verify with 403', async () => {
    const k = await create({});
    const res = await stack.call('/v1/verify', { method: 'POST', key: k.key, body: JSON.stringify({ key: k.key }) });
    expect(res.status).toBe(403);
  });

  it.each([
    [{}, 'key'],
    [{ key: 5 }, 'key'],
    [{ key: 'x', extra: 1 }, 'extra'],
    [{ key: 'x', sourceIp: '10.0.0.0/8' }, 'sourceIp'],
    [{ key: 'x', scopes: 'echo:read' }, 'scopes'],
    [{ key: 'x', cost: 0 }, 'cost'],
    [{ key: 'x', cost: 1001 }, 'cost'],
  ])('rejects the bad body %j naming %s', async (body, field) => {
    const r = await verify(body);
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: Json) => e.field)).toContain(field);
  });
});

describe('usage signals', () => {
  it('sets lastUsedAt after a key is used', async () => {
    const k = await create({});
    const before = (await (await stack.call(`/v1/keys/${k.id}`, { key: stack.adminKey })).json()) as Json;
    expect(before.lastUsedAt).toBeUndefined();
    expect((await stack.call('/v1/echo', { key: k.key })).status).toBe(200);
    let after: Json = {};
    for (let i = 0; i < 20 && !after.lastUsedAt; i++) {
      await new Promise((r) => setTimeout(r, 25));
      after = (await (await stack.call(`/v1/keys/${k.id}`, { key: stack.adminKey })).json()) as Json;
    }
    expect(after.lastUsedAt).toBe(new Date(nowMs).toISOString());
  });

  it('appends one keygate.quota.warning to events.ndjson when 80% of a daily quota is used', async () => {
    const k = await create({ quota: { daily: 5 } });
    for (let i = 0; i < 5; i++) expect((await stack.call('/v1/echo', { key: k.key })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const lines = readFileSync(join(stack.home, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Json);
    const mine = lines.filter((e) => e.keyId === k.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ type: 'keygate.quota.warning', quota: 'daily', limit: 5, used: 4 });
  });
});
