/**
 * Rotation shares one allowance, through the local stack: POST /v1/verify and the gateway count
 * the old and the new key on one set of counters, GET /v1/keys/{id}/usage shows the same numbers
 * for both, and the end of the grace period changes nothing for the new key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// 10:00:05 inside the hour-long window 10:00–11:00.
let nowMs = Date.parse('2032-08-02T10:00:05.000Z');
let stack: TestStack;
let verifierKey: string;

beforeAll(async () => {
  stack = await startTestStack({ clock: { now: () => new Date(nowMs) } });
  verifierKey = (await create({ name: 'backend', scopes: ['keys:verify'] })).key;
});
afterAll(async () => {
  await stack?.stop();
});

async function create(body: Json): Promise<{ id: string; key: string }> {
  const res = await stack.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: JSON.stringify({ name: 'rotating', scopes: ['echo:read'], ...body }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

async function rotate(id: string, gracePeriodSeconds: number): Promise<{ id: string; key: string }> {
  const res = await stack.call(`/v1/keys/${id}/rotate`, { method: 'POST', key: stack.adminKey, body: JSON.stringify({ gracePeriodSeconds }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

async function verify(key: string): Promise<Json> {
  const res = await stack.call('/v1/verify', { method: 'POST', key: verifierKey, body: JSON.stringify({ key, scopes: ['echo:read'] }) });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

async function usage(id: string): Promise<Json> {
  const res = await stack.call(`/v1/keys/${id}/usage`, { key: stack.adminKey });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

const echo = async (key: string): Promise<number> => (await stack.call('/v1/echo', { key })).status;

describe('a rotated key and its replacement', () => {
  it('count on one allowance in POST /v1/verify and at the gateway, and usage shows the same numbers for both', async () => {
    // Prepare: 2 of 10 used by the old key, then a rotation with a 10-minute grace period
    const old = await create({ rateLimit: { limit: 10, windowSeconds: 3600 }, quota: { daily: 100 } });
    for (let i = 0; i < 2; i++) expect(await echo(old.key)).toBe(200);
    const next = await rotate(old.id, 600);

    // Act: one request through each key at the gateway, then one verify each
    expect(await echo(next.key)).toBe(200);
    expect(await echo(old.key)).toBe(200);
    const byOld = await verify(old.key);
    const byNew = await verify(next.key);

    // Assess: consecutive counts on one counter, not 10 − 3 and 10 − 1
    expect(byOld).toMatchObject({ code: 'VALID', keyId: old.id, rateLimit: { limit: 10, remaining: 5 } });
    expect(byNew).toMatchObject({ code: 'VALID', keyId: next.id, rateLimit: { limit: 10, remaining: 4 } });
    const [a, b] = [await usage(old.id), await usage(next.id)];
    expect(a.rateLimit).toMatchObject({ limit: 10, used: 6, remaining: 4, windowSeconds: 3600, windowStart: '2032-08-02T10:00:00.000Z' });
    expect(a.quota.daily).toMatchObject({ limit: 100, used: 6, remaining: 94 });
    expect(b).toEqual({ ...a, keyId: next.id });
  });

  it('are both refused once either used up the allowance, with the same remaining count', async () => {
    // Prepare
    const old = await create({ rateLimit: { limit: 4, windowSeconds: 3600 } });
    const next = await rotate(old.id, 600);
    for (let i = 0; i < 4; i++) expect(await echo(next.key)).toBe(200);

    // Act
    const status = await echo(old.key);
    const byOld = await verify(old.key);
    const byNew = await verify(next.key);

    // Assess
    expect(status).toBe(429);
    expect(byOld).toMatchObject({ valid: false, code: 'RATE_LIMITED', keyId: old.id, rateLimit: { limit: 4, remaining: 0 } });
    expect(byNew).toMatchObject({ valid: false, code: 'RATE_LIMITED', keyId: next.id, rateLimit: { limit: 4, remaining: 0 } });
    expect((await usage(old.id)).rateLimit).toEqual((await usage(next.id)).rateLimit);
  });

  it('keeps the new key on the shared count when the grace period ends, until the window resets', async () => {
    // Prepare: a fresh window, the allowance used up by the old key during a 60-second grace period
    nowMs = Date.parse('2032-08-02T12:00:05.000Z');
    const old = await create({ rateLimit: { limit: 3, windowSeconds: 3600 } });
    const next = await rotate(old.id, 60);
    for (let i = 0; i < 3; i++) expect(await echo(old.key)).toBe(200);

    // Act: the grace period ends (same window), then the window ends
    nowMs += 61_000;
    const oldAfterGrace = await echo(old.key);
    const newAfterGrace = await verify(next.key);
    nowMs = Date.parse('2032-08-02T13:00:00.000Z');
    const newNextWindow = await verify(next.key);

    // Assess: the old key expired, the new one did not get a fresh allowance from it
    expect(oldAfterGrace).toBe(401);
    expect(newAfterGrace).toMatchObject({ code: 'RATE_LIMITED', rateLimit: { limit: 3, remaining: 0 } });
    expect(newNextWindow).toMatchObject({ code: 'VALID', rateLimit: { limit: 3, remaining: 2 } });
    expect((await usage(next.id)).rateLimit).toMatchObject({ used: 1, windowStart: '2032-08-02T13:00:00.000Z' });
  });

  it('does not share with a key created separately', async () => {
    // Prepare
    nowMs = Date.parse('2032-08-02T14:00:05.000Z');
    const a = await create({ rateLimit: { limit: 2, windowSeconds: 3600 } });
    const b = await create({ rateLimit: { limit: 2, windowSeconds: 3600 } });
    for (let i = 0; i < 2; i++) expect(await echo(a.key)).toBe(200);

    // Act
    const byB = await verify(b.key);

    // Assess
    expect(await echo(a.key)).toBe(429);
    expect(byB).toMatchObject({ code: 'VALID', rateLimit: { limit: 2, remaining: 1 } });
    expect((await usage(b.id)).rateLimit).toMatchObject({ used: 1 });
  });
});
