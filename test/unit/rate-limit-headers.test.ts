/**
 * RateLimit-Policy, RateLimit and Retry-After from a decision (pure: no I/O). The fields are
 * checked with a strict parser of the Structured Field subset they use (RFC 9651 lists of
 * sf-string items with sf-integer / sf-string parameters), not by string comparison alone.
 */
import { describe, expect, it } from 'vitest';
import type { LimitResult, LimitStatus, RateStatus } from '../../core/limits';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { rateLimitHeaders } from '../../lambdas/shared/rate-limit-headers';
import { LIMITED_RESPONSE_HEADERS, RATE_LIMIT_CONTEXT, RATE_LIMIT_HEADERS, rateLimitContext, rateLimitFields } from '../../core/rate-limit-headers';

const NOW = new Date('2032-02-10T12:00:00.000Z');
const NOW_SEC = NOW.getTime() / 1000;
const DAY_END = Date.parse('2032-02-11T00:00:00Z') / 1000;
const MONTH_END = Date.parse('2032-03-01T00:00:00Z') / 1000;

const status = (limit: number, remaining: number, resetAt: number, retryAt = remaining > 0 ? NOW_SEC : resetAt): LimitStatus => ({
  limit,
  used: limit - remaining,
  remaining,
  resetAt,
  retryAt,
});
const fixed = (limit: number, remaining: number, windowSeconds: number, resetIn: number): RateStatus => ({
  ...status(limit, remaining, NOW_SEC + resetIn),
  policy: 'fixed',
  windowSeconds,
  windowStart: NOW_SEC + resetIn - windowSeconds,
});

type Param = number | string;
interface SfItem {
  readonly value: string;
  readonly params: Readonly<Record<string, Param>>;
}

/** Parses an sf-list of sf-string items with integer or string parameters; throws on anything else. */
function parseList(input: string): SfItem[] {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at ${i} in ${JSON.stringify(input)}`);
  };
  const str = (): string => {
    if (input[i] !== '"') fail('expected "');
    i++;
    let out = '';
    for (;;) {
      const c = input[i++];
      if (c === undefined) fail('unterminated string');
      if (c === '\\') {
        const n = input[i++];
        if (n !== '"' && n !== '\\') fail('bad escape');
        out += n;
      } else if (c === '"') return out;
      else if (c! < ' ' || c! > '~') fail('character outside printable ASCII');
      else out += c;
    }
  };
  const int = (): number => {
    const m = /^-?\d{1,15}/.exec(input.slice(i));
    if (!m) fail('expected an integer');
    i += m![0].length;
    if (input[i] === '.') fail('a decimal where an integer belongs');
    return Number(m![0]);
  };
  const items: SfItem[] = [];
  for (;;) {
    const value = str();
    const params: Record<string, Param> = Object.create(null) as Record<string, Param>;
    while (input[i] === ';') {
      i++;
      const m = /^[a-z*][a-z0-9_.*-]*/.exec(input.slice(i));
      if (!m) fail('bad parameter key');
      i += m![0].length;
      if (input[i] !== '=') fail('parameter without value');
      i++;
      params[m![0]] = input[i] === '"' ? str() : int();
    }
    items.push({ value, params });
    if (i === input.length) return items;
    if (input.slice(i, i + 2) !== ', ') fail('expected ", " between members');
    i += 2;
  }
}

/** The draft's rules for both fields: q, w, r, t integers (w > 0, others ≥ 0). */
function checkDraftShape(policy: string, state: string): { policy: SfItem[]; state: SfItem[] } {
  const p = parseList(policy);
  const s = parseList(state);
  for (const item of p) {
    expect(Number.isInteger(item.params.q) && (item.params.q as number) >= 0, `q of ${item.value}`).toBe(true);
    expect(Number.isInteger(item.params.w) && (item.params.w as number) > 0, `w of ${item.value}`).toBe(true);
  }
  for (const item of s) {
    expect(Number.isInteger(item.params.r) && (item.params.r as number) >= 0, `r of ${item.value}`).toBe(true);
    expect(Number.isInteger(item.params.t) && (item.params.t as number) >= 0, `t of ${item.value}`).toBe(true);
  }
  expect(s.map((x) => x.value)).toEqual(p.map((x) => x.value));
  return { policy: p, state: s };
}

describe('rateLimitFields', () => {
  it('describes a fixed window on an admitted request: q/w the limit and window, r the units left, t until the window ends', () => {
    // Prepare
    const r: LimitResult = { admitted: true, rate: fixed(100, 99, 60, 42) };
    // Act
    const f = rateLimitFields(r, NOW)!;
    // Assess
    expect(f).toEqual({ policy: '"rate";q=100;w=60;keygate-policy="fixed"', state: '"rate";r=99;t=42' });
    checkDraftShape(f.policy, f.state);
  });

  it('lists a rate limit and both quotas, quotas with w = the length of the current UTC day and month', () => {
    // Prepare: February 2032 has 29 days.
    const r: LimitResult = {
      admitted: true,
      rate: { ...fixed(10, 4, 10, 3), policy: 'sliding' },
      daily: status(5000, 4990, DAY_END),
      monthly: status(90000, 80000, MONTH_END),
    };
    // Act
    const f = rateLimitFields(r, NOW)!;
    // Assess
    const { policy, state } = checkDraftShape(f.policy, f.state);
    expect(policy).toEqual([
      { value: 'rate', params: { q: 10, w: 10, 'keygate-policy': 'sliding' } },
      { value: 'daily', params: { q: 5000, w: 86400 } },
      { value: 'monthly', params: { q: 90000, w: 29 * 86400 } },
    ]);
    expect(state).toEqual([
      { value: 'rate', params: { r: 4, t: 3 } },
      { value: 'daily', params: { r: 4990, t: 12 * 3600 } },
      { value: 'monthly', params: { r: 80000, t: MONTH_END - NOW_SEC } },
    ]);
    expect(f.retryAfter).toBeUndefined();
  });

  it.each([
    ['2032-01-15T00:00:00Z', '2032-02-01T00:00:00Z', 31],
    ['2031-02-15T00:00:00Z', '2031-03-01T00:00:00Z', 28],
    ['2032-12-31T23:59:59Z', '2033-01-01T00:00:00Z', 31],
    ['2032-04-30T10:00:00Z', '2032-05-01T00:00:00Z', 30],
  ])('gives a monthly quota at %s the w of its month (%s reset: %i days)', (now, reset, days) => {
    const f = rateLimitFields({ admitted: true, monthly: status(10, 5, Date.parse(reset) / 1000) }, new Date(now))!;
    expect(parseList(f.policy)[0]!.params.w).toBe(days * 86400);
  });

  it('describes a token bucket by its burst (q) and the time to refill it (w), so q/w is the sustained rate', () => {
    // Prepare: 3 per second, burst 20 → a full bucket takes 20/3 s, rounded up to 7.
    const bucket: RateStatus & { refill: number } = {
      ...status(20, 20, NOW_SEC),
      policy: 'tokenBucket',
      windowSeconds: 1,
      windowStart: NOW_SEC - 1,
      burst: 20,
      refill: 3,
    };
    // Act
    const f = rateLimitFields({ admitted: true, rate: bucket }, NOW)!;
    // Assess
    expect(f.policy).toBe('"rate";q=20;w=7;keygate-policy="tokenBucket"');
    expect(f.state).toBe('"rate";r=20;t=0');
    const { policy } = checkDraftShape(f.policy, f.state);
    expect((policy[0]!.params.q as number) / (policy[0]!.params.w as number)).toBeLessThanOrEqual(3);
  });

  it('takes a token bucket without a refill rate as burst = limit (w = windowSeconds)', () => {
    const bucket: RateStatus = { ...status(50, 10, NOW_SEC + 48), policy: 'tokenBucket', windowSeconds: 60, windowStart: NOW_SEC - 12, burst: 50 };
    expect(rateLimitFields({ admitted: true, rate: bucket }, NOW)!.policy).toBe('"rate";q=50;w=60;keygate-policy="tokenBucket"');
  });

  it('on a refusal by a fixed window, t and Retry-After are the seconds until the window ends', () => {
    // Prepare
    const r: LimitResult = { admitted: false, blocking: 'rate', rate: fixed(2, 0, 60, 55), daily: status(100, 50, DAY_END) };
    // Act
    const f = rateLimitFields(r, NOW)!;
    // Assess
    expect(f.state).toBe(`"rate";r=0;t=55, "daily";r=50;t=${DAY_END - NOW_SEC}`);
    expect(f.retryAfter).toBe(55);
  });

  it('on a refusal by a token bucket, t of the refusing limit is its retryAt (before the bucket is full), and Retry-After matches', () => {
    // Prepare: empty bucket, one token back in 2 s, full in 40 s.
    const bucket: RateStatus = { ...status(20, 0, NOW_SEC + 40, NOW_SEC + 2), policy: 'tokenBucket', windowSeconds: 40, windowStart: NOW_SEC, burst: 20 };
    // Act
    const f = rateLimitFields({ admitted: false, blocking: 'rate', rate: bucket }, NOW)!;
    // Assess
    expect(f.state).toBe('"rate";r=0;t=2');
    expect(f.retryAfter).toBe(2);
  });

  it('waits for every limit that refused, including one with units left that are fewer than the cost', () => {
    // Prepare: a cost-5 request; the sliding rate refuses (fits in 3 s) and the daily quota has
    // only 2 left (fits at midnight). The result names only one of them.
    const rate: RateStatus = { ...status(10, 1, NOW_SEC + 9, NOW_SEC + 3), policy: 'sliding', windowSeconds: 10, windowStart: NOW_SEC - 10 };
    const r: LimitResult = { admitted: false, blocking: 'rate', rate, daily: status(100, 2, DAY_END, DAY_END), monthly: status(9000, 8000, MONTH_END) };
    // Act
    const f = rateLimitFields(r, NOW, 5)!;
    // Assess
    const { state } = checkDraftShape(f.policy, f.state);
    const t = Object.fromEntries(state.map((s) => [s.value, s.params.t as number]));
    expect(t).toEqual({ rate: 3, daily: DAY_END - NOW_SEC, monthly: MONTH_END - NOW_SEC });
    expect(f.retryAfter).toBe(DAY_END - NOW_SEC);
  });

  it('never answers Retry-After below any refusing limit’s t, nor below 1, at fractional times', () => {
    for (const ms of [0, 1, 300, 999]) {
      // Prepare: a window ending 1 s after NOW, seen a fraction of a second later.
      const now = new Date(NOW.getTime() + ms);
      const r: LimitResult = { admitted: false, blocking: 'rate', rate: fixed(1, 0, 1, 1), daily: status(5, 0, DAY_END) };
      // Act
      const f = rateLimitFields(r, now)!;
      // Assess: rounded up, so a client that waits it is past both resets.
      const { state } = checkDraftShape(f.policy, f.state);
      for (const s of state) expect(f.retryAfter!).toBeGreaterThanOrEqual(s.params.t as number);
      expect(f.retryAfter!).toBeGreaterThanOrEqual(1);
      expect(now.getTime() / 1000 + f.retryAfter!).toBeGreaterThanOrEqual(DAY_END);
    }
  });

  it('answers Retry-After 1 when the refusing limit has already reset', () => {
    const r: LimitResult = { admitted: false, blocking: 'rate', rate: fixed(1, 0, 1, 0) };
    expect(rateLimitFields(r, NOW)).toMatchObject({ state: '"rate";r=0;t=0', retryAfter: 1 });
  });

  it('rounds a fractional remaining down and never reports a negative one', () => {
    const r: LimitResult = { admitted: true, rate: { ...fixed(10, 3.7, 10, 5), policy: 'sliding' }, daily: status(5, -1, DAY_END) };
    const f = rateLimitFields(r, NOW)!;
    expect(f.state).toBe(`"rate";r=3;t=5, "daily";r=0;t=${DAY_END - NOW_SEC}`);
  });

  it('is undefined when no limit applies', () => {
    expect(rateLimitFields({ admitted: true }, NOW)).toBeUndefined();
  });
});

describe('rateLimitContext', () => {
  it('carries the headline X-RateLimit-* numbers and both fields as flat values; Retry-After only on a refusal', () => {
    // Prepare
    const admitted: LimitResult = { admitted: true, rate: fixed(100, 99, 60, 42) };
    const refused: LimitResult = { admitted: false, blocking: 'rate', rate: fixed(100, 0, 60, 42) };
    // Act
    const a = rateLimitContext(admitted, NOW);
    const b = rateLimitContext(refused, NOW);
    // Assess
    expect(a).toEqual({
      rateLimitLimit: 100,
      rateLimitRemaining: 99,
      rateLimitReset: NOW_SEC + 42,
      rateLimitPolicy: '"rate";q=100;w=60;keygate-policy="fixed"',
      rateLimitState: '"rate";r=99;t=42',
    });
    expect(b).toMatchObject({ rateLimitRemaining: 0, retryAfter: 42, rateLimitState: '"rate";r=0;t=42' });
    for (const v of [...Object.values(a), ...Object.values(b)]) expect(['string', 'number']).toContain(typeof v);
  });

  it('is empty when no limit applies', () => {
    expect(rateLimitContext({ admitted: true }, NOW)).toEqual({});
    expect(rateLimitContext(undefined, NOW)).toEqual({});
  });

  it('keeps the largest context (three limits, refused) well inside API Gateway’s limits', () => {
    const r: LimitResult = {
      admitted: false,
      blocking: 'monthly',
      rate: { ...status(1_000_000, 0, NOW_SEC + 3600, NOW_SEC + 3600), policy: 'tokenBucket', windowSeconds: 3600, windowStart: NOW_SEC, burst: 1_000_000 },
      daily: status(100_000_000, 0, DAY_END),
      monthly: status(1_000_000_000, 0, MONTH_END),
    };
    expect(JSON.stringify(rateLimitContext(r, NOW, 1000)).length).toBeLessThan(512);
  });
});

describe('header sets', () => {
  it('maps RateLimit-Policy, RateLimit and X-RateLimit-* on admitted responses, and Retry-After too on the 429', () => {
    expect(RATE_LIMIT_HEADERS).toEqual({
      'X-RateLimit-Limit': RATE_LIMIT_CONTEXT.limit,
      'X-RateLimit-Remaining': RATE_LIMIT_CONTEXT.remaining,
      'X-RateLimit-Reset': RATE_LIMIT_CONTEXT.reset,
      'RateLimit-Policy': RATE_LIMIT_CONTEXT.policy,
      RateLimit: RATE_LIMIT_CONTEXT.state,
    });
    expect(LIMITED_RESPONSE_HEADERS).toEqual({ ...RATE_LIMIT_HEADERS, 'Retry-After': RATE_LIMIT_CONTEXT.retryAfter });
  });
});

describe('rateLimitHeaders() middleware', () => {
  type After = (request: { event: APIGatewayProxyEvent; response: APIGatewayProxyResult }) => Promise<void>;
  const run = async (statusCode: number, authorizer: Record<string, unknown> | null): Promise<APIGatewayProxyResult> => {
    const request = { event: { requestContext: { authorizer } } as unknown as APIGatewayProxyEvent, response: { statusCode, body: '{}', headers: { 'Content-Type': 'application/json' } } };
    await (rateLimitHeaders().after as unknown as After)(request);
    return request.response;
  };
  // The context as API Gateway hands it to a Lambda: every value a string.
  const context = Object.fromEntries(
    Object.entries({ keyId: 'key_1', ...rateLimitContext({ admitted: true, rate: fixed(100, 99, 60, 42), daily: status(5000, 4990, DAY_END) }, NOW) }).map(([k, v]) => [k, String(v)]),
  );

  it('copies RateLimit-Policy, RateLimit and X-RateLimit-* onto a successful response', async () => {
    const res = await run(200, context);
    expect(res.headers).toEqual({
      'Content-Type': 'application/json',
      'RateLimit-Policy': '"rate";q=100;w=60;keygate-policy="fixed", "daily";q=5000;w=86400',
      RateLimit: `"rate";r=99;t=42, "daily";r=4990;t=${DAY_END - NOW_SEC}`,
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '99',
      'X-RateLimit-Reset': String(NOW_SEC + 42),
    });
  });

  it('adds nothing to an error response, nor when no limit applies (empty context values)', async () => {
    expect((await run(404, context)).headers).toEqual({ 'Content-Type': 'application/json' });
    const empty = { keyId: 'key_1', rateLimitLimit: '', rateLimitRemaining: '', rateLimitReset: '', rateLimitPolicy: '', rateLimitState: '' };
    expect((await run(200, empty)).headers).toEqual({ 'Content-Type': 'application/json' });
  });
});
