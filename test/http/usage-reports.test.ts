/**
 * GET /v1/usage and GET /v1/keys/{id}/usage?from=&to= through the local stack: requests made
 * through the gateway show up exactly counted, admins see every owner, tenants only their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let stack: TestStack;
let acme: Json;
let acmeEcho: Json;
let globexEcho: Json;
let noUsageScope: Json;
const today = new Date().toISOString().slice(0, 10);

async function create(body: Json): Promise<Json> {
  const res = await stack.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: JSON.stringify(body) });
  const created = (await res.json()) as Json;
  expect(res.status, JSON.stringify(created)).toBe(201);
  return created;
}

async function get(path: string, key: string): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await stack.call(path, { key });
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}

async function echo(key: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const res = await stack.call('/v1/echo', { key });
    await res.arrayBuffer();
  }
}

beforeAll(async () => {
  // Prepare
  stack = await startTestStack();
  acme = await create({ name: 'acme reporter', ownerId: 'acme', scopes: ['usage:read', 'keys:read', 'echo:read'] });
  acmeEcho = await create({ name: 'acme echo', ownerId: 'acme', scopes: ['echo:read'] });
  globexEcho = await create({ name: 'globex echo', ownerId: 'globex', scopes: ['echo:read'] });
  noUsageScope = await create({ name: 'acme reader', ownerId: 'acme', scopes: ['keys:read'] });
  // Act: 5 admitted acme calls, 3 globex, 1 with a bad key.
  await echo(acmeEcho.key, 5);
  await echo(globexEcho.key, 3);
  await echo('not-a-key', 1);
  await stack.usage.flush();
});

afterAll(async () => {
  await stack?.stop();
});

describe('GET /v1/usage', () => {
  it('counts every request through the gateway, per owner, for an admin', async () => {
    const res = await get(`/v1/usage?groupBy=owner,status&route=/v1/echo&from=${today}&to=${today}`, stack.adminKey);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: today, to: today, groupBy: ['owner', 'status'], ownerId: null, route: '/v1/echo', truncated: false });
    const counts = res.body.rows.map((r: Json) => [r.ownerId, r.status, r.requests, r.errors]);
    expect(counts).toEqual([
      ['acme', 200, 5, 0],
      ['globex', 200, 3, 0],
      [null, 401, 1, 1],
    ]);
    for (const r of res.body.rows) expect(Object.keys(r)).toEqual(['ownerId', 'status', 'requests', 'errors', 'rateLimited', 'p50LatencyMs', 'p95LatencyMs', 'p99LatencyMs']);
  });

  it('defaults to the last seven days grouped by day', async () => {
    const res = await get('/v1/usage?route=/v1/echo', stack.adminKey);
    expect(res.status).toBe(200);
    const from = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10);
    expect(res.body).toMatchObject({ from, to: today, groupBy: ['day'] });
    expect(res.body.rows.map((r: Json) => [r.day, r.requests])).toEqual([[today, 9]]);
  });

  it('gives a tenant only its own owner\'s rows', async () => {
    const res = await get('/v1/usage?groupBy=owner,key&route=/v1/echo', acme.key);
    expect(res.status).toBe(200);
    expect(res.body.ownerId).toBe('acme');
    expect(res.body.rows.map((r: Json) => [r.ownerId, r.keyId, r.requests])).toEqual([['acme', acmeEcho.id, 5]]);
  });

  it('gives a tenant no rows for another owner\'s key id', async () => {
    const res = await get(`/v1/usage?groupBy=key&keyId=${globexEcho.id}`, acme.key);
    expect(res.status).toBe(200);
    expect(res.body.rows).toEqual([]);
  });

  it('refuses a tenant asking for another owner with 403 owner_not_allowed', async () => {
    const res = await get('/v1/usage?ownerId=globex', acme.key);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.code).toBe('owner_not_allowed');
  });

  it('refuses a key without usage:read with the authorizer\'s 403', async () => {
    const res = await get('/v1/usage', noUsageScope.key);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
  });

  it.each([
    ['an unknown group', '/v1/usage?groupBy=day,colour', 'groupBy[1]'],
    ['a malformed day', '/v1/usage?from=2026-02-30', 'from'],
    ['a range ending before it starts', '/v1/usage?from=2026-03-02&to=2026-03-01', 'to'],
    ['an unknown parameter', '/v1/usage?colour=red', 'colour'],
    ['a queryId that is not one', '/v1/usage?queryId=..%2F..', 'queryId'],
  ])('rejects %s with 400 naming the field', async (_name, path, field) => {
    const res = await get(path, stack.adminKey);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: Json) => e.field)).toEqual([field]);
  });

  it('answers 404 query_not_found for a queryId the engine has no such query for', async () => {
    const res = await get('/v1/usage?queryId=0f8fad5b-d9cb-469f-a165-70867728950e', stack.adminKey);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('query_not_found');
  });
});

describe('GET /v1/keys/{id}/usage with a history range', () => {
  it('adds the key\'s requests per day to its live counters', async () => {
    const res = await get(`/v1/keys/${acmeEcho.id}/usage?from=${today}&to=${today}`, acme.key);
    expect(res.status).toBe(200);
    expect(res.body.keyId).toBe(acmeEcho.id);
    expect(res.body.history).toMatchObject({ from: today, to: today, truncated: false });
    expect(res.body.history.days.map((d: Json) => [d.day, d.requests, d.errors])).toEqual([[today, 5, 0]]);
  });

  it('answers live counters only without from/to, as before', async () => {
    const res = await get(`/v1/keys/${acmeEcho.id}/usage`, acme.key);
    expect(res.status).toBe(200);
    expect(res.body.history).toBeUndefined();
  });

  it('hides another owner\'s key from a tenant with 404', async () => {
    const res = await get(`/v1/keys/${globexEcho.id}/usage?from=${today}`, acme.key);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('key_not_found');
  });

  it('rejects an unknown parameter with 400', async () => {
    const res = await get(`/v1/keys/${acmeEcho.id}/usage?since=${today}`, acme.key);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: Json) => e.field)).toEqual(['since']);
  });
});
