/**
 * Retries, backoff, Retry-After and timeouts against a real node:http server on 127.0.0.1. Waits
 * between attempts go through an injected sleep that records them: nothing here waits on the clock
 * except the timeout tests, whose 100 ms limit is the behaviour under test, not an assertion.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KeygateClient, KeygateConnectionError, KeygateProblemError, parseRetryAfter } from '../../packages/client/src/index';
import { ok, problem, recordingSleep, startScriptedServer, type Reply, type ScriptedServer } from './scripted-server';

const API_KEY = 'kg_test_retryTestKey0000000000000000000000000000000000';
const NOW = Date.parse('2026-11-26T12:00:00Z');
const WHOAMI = { keyId: 'key_1', ownerId: 'acme', scopes: [], expiresAt: null };

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The answers in order; past the end, the last one again. */
async function serve(...replies: Reply[]): Promise<ScriptedServer> {
  server = await startScriptedServer((_req, i) => replies[Math.min(i, replies.length - 1)]!);
  return server;
}

function client(url: string, options: Partial<ConstructorParameters<typeof KeygateClient>[0]> = {}) {
  const { sleeps, sleep } = recordingSleep();
  const api = new KeygateClient({ endpoint: url, apiKey: API_KEY, sleep, random: () => 0.5, now: () => NOW, ...options });
  return { api, sleeps };
}

const throttled = (retryAfter?: string): Reply => ({
  ...problem(429, 'rate_limited', 'Too many requests.'),
  headers: { 'content-type': 'application/problem+json', ...(retryAfter !== undefined && { 'retry-after': retryAfter }) },
});

describe('retries of idempotent calls', () => {
  it('retries a GET after 503 with exponential backoff and jitter, then returns the answer', async () => {
    // Prepare
    const s = await serve(problem(503, 'service_unavailable', 'Try again.'), problem(503, 'service_unavailable', 'Try again.'), ok(WHOAMI));
    const { api, sleeps } = client(s.url);
    // Act
    const me = await api.whoami();
    // Assess: base 500 ms doubling, half fixed + half × random (0.5)
    expect(me).toEqual(WHOAMI);
    expect(s.seen).toHaveLength(3);
    expect(sleeps).toEqual([375, 750]);
  });

  it('honours Retry-After in seconds on a 429', async () => {
    const s = await serve(throttled('3'), ok(WHOAMI));
    const { api, sleeps } = client(s.url);
    await api.whoami();
    expect(sleeps).toEqual([3000]);
  });

  it('honours Retry-After as an HTTP date, counted from the injected clock', async () => {
    const s = await serve(throttled(new Date(NOW + 7_000).toUTCString()), ok(WHOAMI));
    const { api, sleeps } = client(s.url);
    await api.whoami();
    expect(sleeps).toEqual([7000]);
  });

  it('caps the backoff at maxDelayMs', async () => {
    // Prepare: three plain 503s with base 1 s doubling past the cap
    const s = await serve(problem(503, 'unavailable', 'x'), problem(503, 'unavailable', 'x'), problem(503, 'unavailable', 'x'), ok(WHOAMI));
    const { api, sleeps } = client(s.url, { maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 1500, random: () => 1 });
    // Act
    await api.whoami();
    // Assess
    expect(sleeps).toEqual([1000, 1500, 1500]);
  });

  it('does not wait out a Retry-After longer than maxDelayMs: the refusal comes at once, with its wait', async () => {
    // Prepare: a used-up quota asks for two minutes
    const s = await serve(throttled('120'), ok(WHOAMI));
    const { api, sleeps } = client(s.url, { maxRetries: 3, maxDelayMs: 1500 });
    // Act
    const err = await api.whoami().catch((e: unknown) => e);
    // Assess
    expect(err).toMatchObject({ status: 429, retryAfterSeconds: 120 });
    expect(s.seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("takes the wait from the 429 body's retryAfter when no Retry-After header came (Keygate's default gateway response)", async () => {
    // Prepare
    const s = await serve(problem(429, 'rate_limited', 'Too many requests.', { limit: '5', remaining: '0', reset: '1700000000', retryAfter: '2' }), ok(WHOAMI));
    const { api, sleeps } = client(s.url);
    // Act
    await api.whoami();
    // Assess
    expect(sleeps).toEqual([2000]);
  });

  it('gives up after maxRetries with the last problem, its Retry-After included', async () => {
    const s = await serve(throttled('2'));
    const { api, sleeps } = client(s.url);
    const err = await api.whoami().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeygateProblemError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 2, retryable: true });
    expect(s.seen).toHaveLength(3); // the first attempt and the default 2 retries
    expect(sleeps).toEqual([2000, 2000]);
  });

  it('does not retry at all with maxRetries: 0', async () => {
    const s = await serve(problem(503, 'unavailable', 'x'), ok(WHOAMI));
    const { api, sleeps } = client(s.url, { maxRetries: 0 });
    await expect(api.whoami()).rejects.toMatchObject({ status: 503 });
    expect(s.seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries DELETE (idempotent) but never a 4xx other than 429', async () => {
    const s = await serve(problem(503, 'unavailable', 'x'), problem(404, 'key_not_found', 'No such key.'));
    const { api } = client(s.url);
    await expect(api.revokeKey('key_1')).rejects.toMatchObject({ status: 404, code: 'key_not_found', retryable: false });
    expect(s.seen.map((r) => r.method)).toEqual(['DELETE', 'DELETE']);
  });
});

describe('non-idempotent calls', () => {
  it('does not retry a POST by default, even on 503', async () => {
    // Prepare
    const s = await serve(problem(503, 'unavailable', 'x'), ok({}));
    const { api, sleeps } = client(s.url);
    // Act
    const err = await api.createKey({ name: 'x' }).catch((e: unknown) => e);
    // Assess
    expect(err).toMatchObject({ status: 503 });
    expect(s.seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('does not retry a PATCH by default', async () => {
    const s = await serve(throttled('1'), ok({}));
    const { api } = client(s.url);
    await expect(api.updateKey('key_1', { name: 'y' })).rejects.toMatchObject({ status: 429 });
    expect(s.seen).toHaveLength(1);
  });

  it('retries a POST when the call asks with { retry: true }', async () => {
    const s = await serve(problem(503, 'unavailable', 'x'), { status: 201, body: { id: 'key_1', key: 'kg_test_x' } });
    const { api } = client(s.url);
    await api.createKey({ name: 'x' }, { retry: true });
    expect(s.seen.map((r) => r.method)).toEqual(['POST', 'POST']);
    expect(s.seen[1]!.body).toBe(JSON.stringify({ name: 'x' }));
  });

  it('retries POST and PATCH when the client is built with retryNonIdempotent', async () => {
    const s = await serve(problem(503, 'unavailable', 'x'), ok({}), problem(503, 'unavailable', 'x'), ok({}));
    const { api } = client(s.url, { retryNonIdempotent: true });
    await api.verifyKey({ key: 'kg_test_other' });
    await api.updateKey('key_1', { name: 'y' });
    expect(s.seen.map((r) => r.method)).toEqual(['POST', 'POST', 'PATCH', 'PATCH']);
  });

  it('lets a call turn retries off with { retry: false }', async () => {
    const s = await serve(problem(503, 'unavailable', 'x'), ok(WHOAMI));
    const { api } = client(s.url);
    await expect(api.whoami({ retry: false })).rejects.toMatchObject({ status: 503 });
    expect(s.seen).toHaveLength(1);
  });
});

describe('timeouts and cancellation', () => {
  it('gives up on an attempt after timeoutMs with a retryable timeout error, and retries a GET', async () => {
    // Prepare: the server never answers
    const s = await serve({ status: 200, hang: true });
    const { api, sleeps } = client(s.url, { timeoutMs: 100, maxRetries: 1 });
    // Act
    const err = await api.whoami().catch((e: unknown) => e);
    // Assess
    expect(err).toBeInstanceOf(KeygateConnectionError);
    expect(err).toMatchObject({ kind: 'timeout', retryable: true, reason: 'no answer within 100 ms' });
    expect(s.seen).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it('takes a per-call timeout over the client default', async () => {
    const s = await serve({ status: 200, hang: true });
    const { api } = client(s.url, { timeoutMs: 60_000, maxRetries: 0 });
    await expect(api.whoami({ timeoutMs: 100 })).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('stops at once, without retrying, when the caller aborts a call in flight', async () => {
    // Prepare
    const s = await serve({ status: 200, hang: true });
    const { api, sleeps } = client(s.url);
    const controller = new AbortController();
    // Act
    const pending = api.whoami({ signal: controller.signal }).catch((e: unknown) => e);
    while (s.seen.length === 0) await new Promise((r) => setImmediate(r));
    controller.abort();
    const err = await pending;
    // Assess
    expect(err).toBeInstanceOf(KeygateConnectionError);
    expect(err).toMatchObject({ kind: 'aborted', retryable: false });
    expect(s.seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const s = await serve(ok(WHOAMI));
    const { api } = client(s.url);
    await expect(api.whoami({ signal: AbortSignal.abort() })).rejects.toMatchObject({ kind: 'aborted' });
    expect(s.seen).toHaveLength(0);
  });
});

describe('connection errors', () => {
  it('retries a refused GET and then says so, retryable', async () => {
    // Prepare: a port that was just closed
    const s = await serve(ok(WHOAMI));
    const url = s.url;
    await s.close();
    server = undefined;
    const { api, sleeps } = client(url);
    // Act
    const err = await api.whoami().catch((e: unknown) => e);
    // Assess
    expect(err).toBeInstanceOf(KeygateConnectionError);
    expect(err).toMatchObject({ kind: 'refused', reason: 'ECONNREFUSED', retryable: true, endpoint: url });
    expect((err as Error).message).toBe(`cannot reach ${url} (ECONNREFUSED)`);
    expect(sleeps).toEqual([375, 750]);
  });

  it('does not retry a refused POST (it may have been received)', async () => {
    const s = await serve(ok({}));
    const url = s.url;
    await s.close();
    server = undefined;
    const { api, sleeps } = client(url);
    await expect(api.createKey({ name: 'x' })).rejects.toMatchObject({ kind: 'refused' });
    expect(sleeps).toEqual([]);
  });

  it('marks a port fetch refuses to use as not retryable', async () => {
    const { api, sleeps } = client('http://127.0.0.1:9');
    await expect(api.whoami()).rejects.toMatchObject({ kind: 'blocked', retryable: false, reason: 'port blocked by fetch' });
    expect(sleeps).toEqual([]);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores anything else', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 42 ', NOW)).toBe(42);
    expect(parseRetryAfter(new Date(NOW + 1_500).toUTCString(), NOW)).toBe(1); // whole seconds in the header
    expect(parseRetryAfter(new Date(NOW - 60_000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter('-1', NOW)).toBeUndefined();
    expect(parseRetryAfter('1.5', NOW)).toBeUndefined();
    expect(parseRetryAfter('Thu, 99 Nonsense 2026', NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });
});
