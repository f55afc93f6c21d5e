/**
 * Hot-key leases (core/hot-keys.ts) over an in-memory counter store: never more admissions than
 * the limit in a window across several containers, leases that end with their window, one
 * write for concurrent first requests, the exact-remaining path, quota returns, pass-through.
 */
import { describe, expect, it } from 'vitest';
import { BackgroundWork } from '../../core/background';
import { isHotPlan, LeasingCounterStore } from '../../core/hot-keys';
import type { LimitPlan, LimitResult, LimitStatus, RateStatus } from '../../core/limits';
import type { CounterStore } from '../../core/ports';

const T0 = Date.parse('2031-05-10T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

interface ReleaseCall {
  readonly keyId: string;
  readonly plan: LimitPlan;
  readonly taken: LimitResult;
  readonly units: number;
}

/**
 * A fixed-window counter store in memory, exact and all-or-nothing like the DynamoDB one: each
 * consume counts `cost` in the window of its own `now` against every limit, or nothing. Its
 * answers arrive after a few microtasks (random with a seed), so calls interleave.
 */
class FakeCounterStore implements CounterStore {
  readonly counts = new Map<string, number>();
  readonly consumes: { keyId: string; cost: number; admitted: boolean }[] = [];
  readonly releases: ReleaseCall[] = [];
  failNext = 0;

  constructor(private readonly delay: () => number = () => 0) {}

  private status(limit: number, used: number, start: number, reset: number): LimitStatus & { windowStart: number } {
    return { limit, used, remaining: Math.max(0, limit - used), resetAt: reset, retryAt: used >= limit ? reset : start, windowStart: start };
  }

  private windows(plan: LimitPlan, now: Date) {
    const sec = Math.floor(now.getTime() / 1000);
    const ws = plan.rateLimit?.windowSeconds ?? 1;
    const rateStart = sec - (sec % ws);
    const dayStart = sec - (sec % 86400);
    return { rateStart, rateReset: rateStart + ws, dayStart, dayReset: dayStart + 86400 };
  }

  private result(keyId: string, plan: LimitPlan, now: Date, blocking: ('rate' | 'daily')[]): LimitResult {
    const w = this.windows(plan, now);
    const rate = plan.rateLimit
      ? (() => {
          const s = this.status(plan.rateLimit.limit, this.counts.get(`${keyId}/r/${w.rateStart}`) ?? 0, w.rateStart, w.rateReset);
          const r: RateStatus = { ...s, policy: 'fixed', windowSeconds: plan.rateLimit.windowSeconds, windowStart: w.rateStart };
          return r;
        })()
      : undefined;
    const daily =
      plan.quota?.daily !== undefined
        ? (({ windowStart: _, ...s }) => s)(this.status(plan.quota.daily, this.counts.get(`${keyId}/d/${w.dayStart}`) ?? 0, w.dayStart, w.dayReset))
        : undefined;
    const decisive = blocking.includes('daily') ? 'daily' : blocking[0];
    return { admitted: blocking.length === 0, ...(decisive ? { blocking: decisive } : {}), ...(rate ? { rate } : {}), ...(daily ? { daily } : {}) };
  }

  async consume(keyId: string, plan: LimitPlan, now: Date, cost = 1): Promise<LimitResult> {
    await ticks(this.delay());
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('store down');
    }
    const w = this.windows(plan, now);
    const rk = `${keyId}/r/${w.rateStart}`;
    const dk = `${keyId}/d/${w.dayStart}`;
    const blocking: ('rate' | 'daily')[] = [];
    if (plan.rateLimit && (this.counts.get(rk) ?? 0) + cost > plan.rateLimit.limit) blocking.push('rate');
    if (plan.quota?.daily !== undefined && (this.counts.get(dk) ?? 0) + cost > plan.quota.daily) blocking.push('daily');
    if (blocking.length === 0) {
      if (plan.rateLimit) this.counts.set(rk, (this.counts.get(rk) ?? 0) + cost);
      if (plan.quota?.daily !== undefined) this.counts.set(dk, (this.counts.get(dk) ?? 0) + cost);
    }
    this.consumes.push({ keyId, cost, admitted: blocking.length === 0 });
    return this.result(keyId, plan, now, blocking);
  }

  async peek(keyId: string, plan: LimitPlan, now: Date): Promise<LimitResult> {
    return this.result(keyId, plan, now, []);
  }

  async release(keyId: string, plan: LimitPlan, taken: LimitResult, units: number): Promise<void> {
    this.releases.push({ keyId, plan, taken, units });
    const dayStart = taken.daily ? taken.daily.resetAt - 86400 : undefined;
    if (plan.quota?.daily !== undefined && dayStart !== undefined) {
      const dk = `${keyId}/d/${dayStart}`;
      this.counts.set(dk, Math.max(0, (this.counts.get(dk) ?? 0) - units));
    }
  }
}

/** 40 per second is hot at a threshold of 10 requests/s; the lease cap is 40 / 8 = 5. */
const hot: LimitPlan = { rateLimit: { limit: 40, windowSeconds: 1 } };
const leasing = (inner: CounterStore, background = new BackgroundWork()) => new LeasingCounterStore(inner, { hotKeyThreshold: 10, background });

describe('isHotPlan', () => {
  it('is hot from limit / windowSeconds at the threshold, never for a token bucket or a threshold of 0', () => {
    expect(isHotPlan({ rateLimit: { limit: 600, windowSeconds: 60 } }, 10)).toBe(true);
    expect(isHotPlan({ rateLimit: { limit: 599, windowSeconds: 60 } }, 10)).toBe(false);
    expect(isHotPlan({ rateLimit: { limit: 10_000, windowSeconds: 1, policy: 'tokenBucket' } }, 10)).toBe(false);
    expect(isHotPlan({ rateLimit: { limit: 10_000, windowSeconds: 1 } }, 0)).toBe(false);
    expect(isHotPlan({ quota: { daily: 1_000_000 } }, 10)).toBe(false);
  });
});

describe('LeasingCounterStore: exact upper bound', () => {
  it('never admits more than the limit per window across 4 containers under random interleavings (20 seeds × 400 requests)', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      // Prepare: 4 containers on one store; requests over ~3 windows at ~3× the limit.
      const random = rng(seed);
      const store = new FakeCounterStore(() => Math.floor(random() * 6));
      const containers = Array.from({ length: 4 }, () => leasing(store));
      let nowMs = 0;
      const requests = Array.from({ length: 400 }, () => {
        nowMs += Math.floor(random() * 16);
        return { nowMs, container: containers[Math.floor(random() * 4)]!, cost: random() < 0.1 ? 3 : 1, startDelay: Math.floor(random() * 8) };
      });

      // Act
      const outcomes = await Promise.all(
        requests.map(async (r) => {
          await ticks(r.startDelay);
          return { r, result: await r.container.consume('k1', hot, at(r.nowMs), r.cost) };
        }),
      );

      // Assess: units admitted per window never pass the limit, and none is spent after its window.
      const perWindow = new Map<number, number>();
      for (const { r, result } of outcomes) {
        if (!result.admitted) continue;
        const start = result.rate!.windowStart;
        perWindow.set(start, (perWindow.get(start) ?? 0) + r.cost);
        expect(T0 + r.nowMs).toBeLessThan(result.rate!.resetAt * 1000);
      }
      for (const [start, units] of perWindow) {
        expect(units, `seed ${seed}, window ${start}`).toBeLessThanOrEqual(40);
        expect(units).toBeLessThanOrEqual(store.counts.get(`k1/r/${start}`)!);
      }
      expect(perWindow.size).toBeGreaterThanOrEqual(2);
    }
  });

  it('spends a lease only inside its window: the first request of the next window writes again', async () => {
    // Prepare: after one request, 10 concurrent ones near the window's end take a lease with units to spare.
    const store = new FakeCounterStore();
    const s = leasing(store);
    await s.consume('k1', hot, at(900));
    await Promise.all(Array.from({ length: 10 }, () => s.consume('k1', hot, at(990))));
    expect(store.consumes.map((c) => c.cost)).toEqual([1, 15]);

    // Act: the window's last millisecond, then the next window's first.
    const inLast = await s.consume('k1', hot, at(999));
    const writesAtLast = store.consumes.length;
    const inNext = await s.consume('k1', hot, at(1000));

    // Assess: the last millisecond spent the lease; the next window wrote its own.
    expect(inLast).toMatchObject({ admitted: true, rate: { windowStart: T0 / 1000, used: 12 } });
    expect(writesAtLast).toBe(2);
    expect(store.consumes).toHaveLength(3);
    expect(inNext).toMatchObject({ admitted: true, rate: { windowStart: T0 / 1000 + 1, used: 1 } });
  });
});

describe('LeasingCounterStore: leases', () => {
  it('takes one lease write for 64 concurrent first requests', async () => {
    // Prepare: a limit roomy enough for all of them (64 ≤ 400).
    const store = new FakeCounterStore(() => 3);
    const s = leasing(store);
    const plan: LimitPlan = { rateLimit: { limit: 400, windowSeconds: 1 } };

    // Act
    const results = await Promise.all(Array.from({ length: 64 }, () => s.consume('k1', plan, at(10))));

    // Assess
    expect(results.every((r) => r.admitted)).toBe(true);
    expect(store.consumes).toHaveLength(1);
    expect(store.consumes[0]!.cost).toBeGreaterThanOrEqual(64);
    // Each request reports the position of its unit in the counter: 1..64, each once.
    expect(results.map((r) => r.rate!.used).sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(results.every((r) => r.rate!.remaining === 400 - r.rate!.used)).toBe(true);
  });

  it('sizes leases from demand: a container serving one request at a time at 500/s settles below 0.02 writes per request', async () => {
    // Prepare: as in a Lambda container, requests arrive one after another, 2 ms apart.
    const store = new FakeCounterStore();
    const s = leasing(store);
    const plan: LimitPlan = { rateLimit: { limit: 10_000, windowSeconds: 1 } };

    // Act: 4 seconds of traffic, then a fifth.
    for (let i = 0; i < 2000; i++) await s.consume('k1', plan, at(i * 2));
    const writesIn4s = store.consumes.length;
    for (let i = 2000; i < 2500; i++) await s.consume('k1', plan, at(i * 2));
    const writesIn5th = store.consumes.length - writesIn4s;

    // Assess: every request admitted; once settled, a lease covers ~200 ms (about 100 requests).
    expect(writesIn4s).toBeLessThan(2000 * 0.05);
    expect(writesIn5th / 500).toBeLessThanOrEqual(0.02);
    expect(store.consumes.every((c) => c.admitted && c.cost <= 10_000 / 8)).toBe(true);
  });

  it('takes exactly what remains when less than a lease is left, then refuses the rest without writes', async () => {
    // Prepare: 37 of 40 already counted elsewhere.
    const store = new FakeCounterStore(() => 2);
    await store.consume('k1', hot, at(0), 37);
    const s = leasing(store);

    // Act: 64 concurrent requests want more than the 3 left.
    const results = await Promise.all(Array.from({ length: 64 }, () => s.consume('k1', hot, at(5))));
    const later = await s.consume('k1', hot, at(500));

    // Assess: 3 admitted, the window full, the rest refused by the rate limit.
    expect(results.filter((r) => r.admitted)).toHaveLength(3);
    expect(store.counts.get(`k1/r/${T0 / 1000}`)).toBe(40);
    const refused = results.filter((r) => !r.admitted);
    expect(refused.every((r) => r.blocking === 'rate' && r.rate!.remaining === 0 && r.rate!.retryAt === T0 / 1000 + 1)).toBe(true);
    expect(later).toMatchObject({ admitted: false, blocking: 'rate' });
    // 1 the set-up, 1 lease refused (asked for 64), 1 lease of exactly 3, 1 refused with nothing left; `later` wrote nothing.
    expect(store.consumes.map((c) => [c.cost, c.admitted])).toEqual([
      [37, true],
      [64, false],
      [3, true],
      [expect.any(Number), false],
    ]);
  });

  it('refuses only when nothing is left: a request costing more than what remains is refused, a cheaper one still fits', async () => {
    // Prepare: 38 of 40 counted.
    const store = new FakeCounterStore();
    await store.consume('k1', hot, at(0), 38);
    const s = leasing(store);

    // Act
    const big = await s.consume('k1', hot, at(1), 3);
    const small = await s.consume('k1', hot, at(2), 2);

    // Assess
    expect(big).toMatchObject({ admitted: false, blocking: 'rate', rate: { remaining: 2 } });
    expect(small).toMatchObject({ admitted: true, rate: { used: 40, remaining: 0 } });
  });

  it('spends a costly request across the old lease and a new one for the difference', async () => {
    // Prepare: a lease with units left (two single requests 100 ms apart size it above 2).
    const store = new FakeCounterStore();
    const s = leasing(store);
    await s.consume('k1', hot, at(0));
    await s.consume('k1', hot, at(10));
    const counted = store.counts.get(`k1/r/${T0 / 1000}`)!;

    // Act: a request costing more than any lease holds (the cap is 5).
    const r = await s.consume('k1', hot, at(20), 5);

    // Assess: admitted, and the store counted no more than what was leased in total.
    expect(r.admitted).toBe(true);
    const after = store.counts.get(`k1/r/${T0 / 1000}`)!;
    expect(after).toBeGreaterThan(counted);
    expect(after).toBeLessThanOrEqual(counted + 5 + 5);
    expect(r.rate!.used).toBeLessThanOrEqual(after);
  });

  it('fails closed with the store: a failed lease write fails its waiters and leaves no lease', async () => {
    // Prepare
    const store = new FakeCounterStore(() => 1);
    const s = leasing(store);
    store.failNext = 1;

    // Act
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => s.consume('k1', hot, at(0))));
    const next = await s.consume('k1', hot, at(1));

    // Assess: every waiter saw the failure, nothing was counted, and the next request writes a new lease.
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(next.admitted).toBe(true);
    expect(store.consumes).toHaveLength(1);
  });
});

describe('LeasingCounterStore: unused units', () => {
  const withQuota: LimitPlan = { rateLimit: { limit: 400, windowSeconds: 1 }, quota: { daily: 10_000 } };
  const day = Math.floor(T0 / 1000 / 86400) * 86400;
  /** One request, then 64 concurrent ones 100 ms later: a lease of 64 plus demand to spare. */
  async function warm(s: LeasingCounterStore, store: FakeCounterStore): Promise<number> {
    await s.consume('k1', withQuota, at(0));
    await Promise.all(Array.from({ length: 64 }, () => s.consume('k1', withQuota, at(100))));
    expect(store.consumes).toHaveLength(2);
    const lease = store.consumes[1]!.cost;
    expect(lease).toBeGreaterThan(64);
    return lease;
  }

  it('returns a lease’s unused quota units once its window has ended, in the background', async () => {
    // Prepare
    const store = new FakeCounterStore();
    const background = new BackgroundWork();
    const s = leasing(store, background);
    const lease = await warm(s, store);
    expect(store.counts.get(`k1/d/${day}`)).toBe(1 + lease);

    // Act: the next window's first request retires the lease.
    await s.consume('k1', withQuota, at(1000));
    await background.flush();

    // Assess: exactly the unused units, of the quota only (the ended window's rate units stay).
    expect(store.releases).toEqual([{ keyId: 'k1', plan: { quota: { daily: 10_000 } }, taken: store.releases[0]!.taken, units: lease - 64 }]);
    expect(store.releases[0]!.taken).toMatchObject({ admitted: true, daily: { used: 1 + lease } });
    expect(store.counts.get(`k1/d/${day}`)).toBe(1 + 64 + store.consumes[2]!.cost);
  });

  it('returns every counter of a lease when the key’s limits change within the window', async () => {
    // Prepare
    const store = new FakeCounterStore();
    const background = new BackgroundWork();
    const s = leasing(store, background);
    const lease = await warm(s, store);

    // Act: the same key with a raised limit.
    const raised: LimitPlan = { rateLimit: { limit: 800, windowSeconds: 1 }, quota: { daily: 10_000 } };
    const r = await s.consume('k1', raised, at(200));
    await background.flush();

    // Assess: the old lease is not spent under the new plan; its unused units go back under the old one.
    expect(r.admitted).toBe(true);
    expect(store.consumes).toHaveLength(3);
    expect(store.releases.map((c) => [c.plan, c.units])).toEqual([[withQuota, lease - 64]]);
  });

  it('logs and swallows a failed return: the request it came with is still answered', async () => {
    // Prepare
    const store = new FakeCounterStore();
    store.release = async () => {
      throw new Error('store down');
    };
    const background = new BackgroundWork();
    const lines: string[] = [];
    const s = new LeasingCounterStore(store, { hotKeyThreshold: 10, background, logger: { log: (_l, m, f) => lines.push(`${m} ${JSON.stringify(f)}`) } });
    await warm(s, store);

    // Act
    const r = await s.consume('k1', withQuota, at(1000));
    await background.flush();

    // Assess
    expect(r.admitted).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('returning unused lease units failed');
  });
});

describe('LeasingCounterStore: pass-through', () => {
  it('counts a plan below the threshold with one write per request, answering the store’s result', async () => {
    // Prepare: 5/s is below 10/s.
    const store = new FakeCounterStore();
    const s = leasing(store);
    const cold: LimitPlan = { rateLimit: { limit: 5, windowSeconds: 1 } };

    // Act
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await s.consume('k1', cold, at(i), 1));

    // Assess
    expect(store.consumes.map((c) => c.cost)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(results.map((r) => r.admitted)).toEqual([true, true, true, true, true, false, false]);
    expect(results[2]!.rate!.used).toBe(3);
  });

  it('never leases a token bucket, however high its rate', async () => {
    // Prepare
    const store = new FakeCounterStore();
    const s = leasing(store);
    const bucket: LimitPlan = { rateLimit: { limit: 100_000, windowSeconds: 1, policy: 'tokenBucket', burst: 1000 } };

    // Act
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.consume('k1', bucket, at(i), 2)));

    // Assess
    expect(store.consumes).toHaveLength(20);
    expect(store.consumes.every((c) => c.cost === 2)).toBe(true);
  });

  it('passes peek and release to the store', async () => {
    // Prepare
    const store = new FakeCounterStore();
    const s = leasing(store);
    await store.consume('k1', hot, at(0), 7);

    // Act
    const peeked = await s.peek('k1', hot, at(1));
    await s.release('k1', { quota: { daily: 5 } }, { admitted: true }, 2, at(1));

    // Assess
    expect(peeked.rate!.used).toBe(7);
    expect(store.releases).toEqual([{ keyId: 'k1', plan: { quota: { daily: 5 } }, taken: { admitted: true }, units: 2 }]);
  });
});
