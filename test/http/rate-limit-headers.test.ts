/**
 * RateLimit-Policy, RateLimit, X-RateLimit-* and Retry-After through the local stack (injected
 * clock, gateway responses mapping context headers as with keygate:gatewayResponseContextHeaders):
 * on admitted requests (keys Lambda middleware), on 429s from a rate limit and from a quota, and
 * a client that waits Retry-After is admitted, for every policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local';

type Json = Record<string, unknown>;

let nowMs = Date.parse('2032-07-01T10:00:05.000Z');
const nowSec = () => nowMs / 1000;
/** Seconds from 2032-07-01T10:00:05Z to the next UTC midnight. */
const TO_MIDNIGHT = 13 * 3600 + 59 * 60 + 55;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ clock: { now: () => new Date(nowMs) }, gatewayResponseContextHeaders: true });
});
afterAll(async () => {
  await stack?.stop();
});

async function create(body: Json): Promise<{ id: string; key: string }> {
  const res = await stack.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: JSON.stringify({ name: 'headers', scopes: ['echo:read'], ...body }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

const echo = (key: string) => stack.call('/v1/echo', { key });

function limitHeaders(res: Response): Record<string, string | null> {
  return {
    policy: res.headers.get('ratelimit-policy'),
    state: res.headers.get('ratelimit'),
    limit: res.headers.get('x-ratelimit-limit'),
    remaining: res.headers.get('x-ratelimit-remaining'),
    reset: res.headers.get('x-ratelimit-reset'),
    retryAfter: res.headers.get('retry-after'),
  };
}

describe('response headers of a key with a rate limit and a daily quota', () => {
  it('an admitted request carries RateLimit-Policy, RateLimit and X-RateLimit-*, and no Retry-After', async () => {
    // Prepare
    const k = await create({ rateLimit: { limit: 2, windowSeconds: 60 }, quota: { daily: 100 } });
    // Act
    const res = await echo(k.key);
    // Assess
    expect(res.status).toBe(200);
    expect(limitHeaders(res)).toEqual({
      policy: '"rate";q=2;w=60;keygate-policy="fixed", "daily";q=100;w=86400',
      state: `"rate";r=1;t=55, "daily";r=99;t=${TO_MIDNIGHT}`,
      limit: '2',
      remaining: '1',
      reset: String(Date.parse('2032-07-01T10:01:00Z') / 1000),
      retryAfter: null,
    });
  });

  it('a request refused by the rate limit gets a 429 with the same fields, t = Retry-After until the window ends', async () => {
    // Prepare
    const k = await create({ rateLimit: { limit: 2, windowSeconds: 60 }, quota: { daily: 100 } });
    for (let i = 0; i < 2; i++) expect((await echo(k.key)).status).toBe(200);
    // Act
    const res = await echo(k.key);
    // Assess
    expect(res.status).toBe(429);
    expect(limitHeaders(res)).toEqual({
      policy: '"rate";q=2;w=60;keygate-policy="fixed", "daily";q=100;w=86400',
      state: `"rate";r=0;t=55, "daily";r=98;t=${TO_MIDNIGHT}`,
      limit: '2',
      remaining: '0',
      reset: String(Date.parse('2032-07-01T10:01:00Z') / 1000),
      retryAfter: '55',
    });
    expect((await res.json()) as Json).toMatchObject({ code: 'rate_limited', retryAfter: '55', remaining: '0' });
  });

  it('a request refused by the daily quota waits until midnight UTC, however soon the rate window ends', async () => {
    // Prepare
    const k = await create({ rateLimit: { limit: 10, windowSeconds: 1 }, quota: { daily: 1 } });
    expect((await echo(k.key)).status).toBe(200);
    // Act
    const res = await echo(k.key);
    // Assess
    expect(res.status).toBe(429);
    const h = limitHeaders(res);
    expect(h.policy).toBe('"rate";q=10;w=1;keygate-policy="fixed", "daily";q=1;w=86400');
    expect(h.state).toBe(`"rate";r=9;t=1, "daily";r=0;t=${TO_MIDNIGHT}`);
    expect(h.retryAfter).toBe(String(TO_MIDNIGHT));
    expect(h.remaining).toBe('0');
    expect((await res.json()) as Json).toMatchObject({ code: 'daily_quota_exceeded', retryAfter: String(TO_MIDNIGHT) });
  });

  it('a monthly quota is described with w = the length of the UTC month (July: 31 days)', async () => {
    const k = await create({ quota: { monthly: 5 } });
    const res = await echo(k.key);
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-policy')).toBe(`"monthly";q=5;w=${31 * 86400}`);
    expect(res.headers.get('ratelimit')).toBe(`"monthly";r=4;t=${Date.parse('2032-08-01T00:00:00Z') / 1000 - nowSec()}`);
  });

  it('a key with no limit gets none of the headers', async () => {
    const k = await create({});
    const res = await echo(k.key);
    expect(res.status).toBe(200);
    expect(Object.values(limitHeaders(res))).toEqual([null, null, null, null, null, null]);
  });
});

describe('a client that waits Retry-After', () => {
  it.each<[string, { limit: number; windowSeconds: number; policy?: string; burst?: number }]>([
    ['fixed', { limit: 1, windowSeconds: 1 }],
    ['sliding', { limit: 1, windowSeconds: 1, policy: 'sliding' }],
    ['tokenBucket', { limit: 1, windowSeconds: 1, policy: 'tokenBucket' }],
    ['tokenBucket with burst', { limit: 1, windowSeconds: 1, policy: 'tokenBucket', burst: 2 }],
  ])('is admitted again (%s, 1 s window), and its 429 names the policy', async (name, rateLimit) => {
    // Prepare: a fractional moment, so rounding matters; use up the allowance.
    nowMs = Math.floor(nowMs / 1000) * 1000 + 10_300;
    const k = await create({ rateLimit });
    let refused: Response | undefined;
    for (let i = 0; i < 5 && !refused; i++) {
      const res = await echo(k.key);
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(200);
    }
    expect(refused, `${name}: refused within 5 requests`).toBeDefined();
    const wait = Number(refused!.headers.get('retry-after'));
    expect(Number.isInteger(wait) && wait >= 1).toBe(true);
    expect(refused!.headers.get('ratelimit-policy')).toContain(`keygate-policy="${rateLimit.policy ?? 'fixed'}"`);
    const t = Number(/^"rate";r=0;t=(\d+)$/.exec(refused!.headers.get('ratelimit') ?? '')?.[1]);
    expect(wait).toBeGreaterThanOrEqual(t);
    // Act
    nowMs += wait * 1000;
    const again = await echo(k.key);
    // Assess
    expect(again.status).toBe(200);
  });
});
