/**
 * Leak response over real HTTP against the local stack: POST /v1/keys/revoke-leaked needs no API
 * key, revokes every live key presented, answers the same whatever was presented, and is limited
 * per source IP with the same counters as keys.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../core/key-format';
import { LEAK_REPORT_PLAN } from '../../core/leak-response';
import { startTestStack, type TestStack } from '../support/local';
import { ApiClient, type ApiRequest, type ApiResponse, expectProblem, expectUnauthorized, TestClock, withBadChecksum } from '../support/e2e';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let stack: TestStack;
let api: ApiClient;
const clock = new TestClock();
let ipCounter = 0;
/** A fresh source IP per test, so the per-IP limit of one test does not touch another. */
const freshIp = () => `192.0.2.${++ipCounter}`;

const call = (path: string, req: ApiRequest = {}): Promise<ApiResponse> => api.call(path, req);
const admin = (path: string, req: Omit<ApiRequest, 'key'> = {}): Promise<ApiResponse> => call(path, { ...req, key: stack.adminKey });
const report = (keys: unknown, ip: string, extra: Record<string, string> = {}) =>
  call('/v1/keys/revoke-leaked', { method: 'POST', body: { keys }, headers: { 'x-forwarded-for': ip, ...extra } });

async function create(name: string): Promise<{ id: string; key: string }> {
  const res = await admin('/v1/keys', { method: 'POST', body: { name, ownerId: 'leaky', scopes: ['echo:read'] } });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

const shape = (r: ApiResponse) => ({ status: r.status, type: r.headers.get('content-type'), body: r.body });

beforeAll(async () => {
  stack = await startTestStack({ clock });
  api = new ApiClient({ baseUrl: stack.url });
});
afterAll(async () => {
  await stack?.stop();
});

describe('POST /v1/keys/revoke-leaked', () => {
  it('revokes a presented live key at once, without any API key', async () => {
    // Prepare
    const leaked = await create('pasted-in-a-ticket');
    expect((await call('/v1/echo', { key: leaked.key })).status).toBe(200);
    // Act
    const res = await report([leaked.key], freshIp());
    // Assess
    expect(res.status, res.text).toBe(202);
    expectUnauthorized(await call('/v1/echo', { key: leaked.key }));
    const view = (await admin(`/v1/keys/${leaked.id}`)).body;
    expect(view.status).toBe('revoked');
    const entries = (await admin(`/v1/audit?keyId=${leaked.id}&action=key.leak_revoked`)).body.items;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: { type: 'leak-report' }, request: { sourceIp: `192.0.2.${ipCounter}` } });
    const events = readFileSync(join(stack.home, 'events.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(events.filter((e: Json) => e.type === 'keygate.key.leaked' && e.keyId === leaked.id)).toHaveLength(1);
  });

  it('answers identically for a valid, unknown, malformed or already revoked key', async () => {
    // Prepare
    const valid = await create('valid');
    const revoked = await create('revoked');
    expect((await admin(`/v1/keys/${revoked.id}`, { method: 'DELETE' })).status).toBe(200);
    const unknown = generateKey('kg', 'live').plaintext; // well-formed, right checksum, never stored
    const candidates = { valid: valid.key, unknown, malformed: 'not-a-key', badChecksum: withBadChecksum(valid.key), revoked: revoked.key };
    // Act
    const answers: Record<string, ReturnType<typeof shape>> = {};
    for (const [name, key] of Object.entries(candidates).reverse()) answers[name] = shape(await report([key], freshIp()));
    // Assess
    expect(answers.valid).toEqual({ status: 202, type: 'application/json', body: { status: 'accepted', message: expect.any(String) } });
    for (const name of Object.keys(candidates)) expect(answers[name], name).toEqual(answers.valid);
    expect((await admin(`/v1/keys/${valid.id}`)).body.status).toBe('revoked');
    // The revoked key got no second entry.
    expect((await admin(`/v1/audit?keyId=${revoked.id}&action=key.leak_revoked`)).body.items).toEqual([]);
  });

  it('revokes every live key in one report and ignores repeats', async () => {
    const keys = await Promise.all([create('a'), create('b'), create('c')]);
    const res = await report([keys[0]!.key, keys[1]!.key, keys[0]!.key, keys[2]!.key, 'junk'], freshIp());
    expect(res.status).toBe(202);
    for (const k of keys) {
      const trail = (await admin(`/v1/audit?keyId=${k.id}&action=key.leak_revoked`)).body.items;
      expect(trail, k.id).toHaveLength(1);
    }
  });

  it('ignores an API key sent along, valid or not', async () => {
    const res = await call('/v1/keys/revoke-leaked', { method: 'POST', body: { keys: ['x'] }, key: 'kg_live_garbage', headers: { 'x-forwarded-for': freshIp() } });
    expect(res.status).toBe(202);
  });

  it('limits each source IP, in presented keys, with a 429 and Retry-After', async () => {
    // Prepare
    const ip = freshIp();
    const limit = LEAK_REPORT_PLAN.rateLimit!.limit;
    const batch = Array.from({ length: limit }, (_, i) => `junk-${i}`);
    // Act
    const first = await report(batch, ip);
    const second = await report(['one-more'], ip);
    const elsewhere = await report(['one-more'], freshIp());
    // Assess
    expect(first.status).toBe(202);
    expectProblem(second, 429, 'rate_limited');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(second.headers.get('x-ratelimit-limit')).toBe(String(limit));
    expect(elsewhere.status).toBe(202);
  });

  it('refuses a bad body with a problem naming it', async () => {
    const ip = freshIp();
    expectProblem(await report([], ip), 400, 'validation_failed');
    expectProblem(await report(Array.from({ length: 101 }, () => 'k'), ip), 400, 'validation_failed');
    expectProblem(await report([42], ip), 400, 'validation_failed');
    const res = await call('/v1/keys/revoke-leaked', { method: 'POST', body: { keys: ['k'], extra: 1 }, headers: { 'x-forwarded-for': ip } });
    expect(expectProblem(res, 400, 'validation_failed').errors).toEqual([expect.objectContaining({ field: 'extra' })]);
  });

  it('never logs a presented key', async () => {
    const leaked = await create('log-check');
    await report([leaked.key, 'kg_live_not_a_real_key_but_looks_like_one_123456'], freshIp());
    const text = stack.logs.lines.join('\n');
    expect(text).not.toContain(leaked.key);
    expect(text).not.toContain('kg_live_not_a_real_key_but_looks_like_one_123456');
  });
});
