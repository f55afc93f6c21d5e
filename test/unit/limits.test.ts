/**
 * The counting engine (core/limits.ts), decided against an in-memory table with DynamoDB's
 * condition rules (test/support/memory-counter-store.ts) and injected clocks: every policy's
 * bound, window boundaries, all-or-nothing, concurrency and retryAt. The same writes run
 * against DynamoDB Local in test/integration/rate-policies.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { type CounterState, countsAt, firstCounterWrite, type LimitPlan, type LimitResult, leaseValidUntil, nextCounterStep, SUBWINDOWS } from '../../core/limits';
import type { RateLimit } from '../../core/records';
import { applyWrite, containersOn, MemoryCounterStore } from '../support/memory-counter-store';

const T0 = Date.parse('2031-05-10T12:00:00Z');
const at = (ms: number) => new Date(ms);
const sec = (iso: string) => Date.parse(iso) / 1000;

/** A small deterministic PRNG, so a failing case can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

async function run(store: MemoryCounterStore, plan: LimitPlan, times: readonly number[], cost = 1, id = 'k'): Promise<{ t: number; r: LimitResult }[]> {
  const out: { t: number; r: LimitResult }[] = [];
  for (const t of times) out.push({ t, r: await store.consume(id, plan, at(t), cost) });
  return out;
}

describe('fixed windows', () => {
  it('counts a late request in the item’s newer window and reports that window’s reset', async () => {
    // Prepare: limit 3 per second; the item already moved to 12:00:01 with 3 counted
    const plan: LimitPlan = { rateLimit: { limit: 3, windowSeconds: 1 } };
    const store = new MemoryCounterStore();
    await run(store, plan, [T0 + 1000, T0 + 1000, T0 + 1000]);

    // Act: a request whose clock still reads 12:00:00.999
    const [late] = await run(store, plan, [T0 + 999]);

    // Assess
    expect(late!.r).toMatchObject({ admitted: false, blocking: 'rate', rate: { used: 3, resetAt: sec('2031-05-10T12:00:02Z'), retryAt: sec('2031-05-10T12:00:02Z') } });
  });

  it('never writes a window older than the one the item holds, for any pair of clocks', () => {
    const base = Date.parse('2031-05-31T23:59:58Z');
    const p: LimitPlan = { rateLimit: { limit: 3, windowSeconds: 1 }, quota: { daily: 5, monthly: 50 } };
    for (let item = 0; item < 16; item++) {
      for (let req = 0; req < 16; req++) {
        const t = base + item * 250;
        const write = firstCounterWrite(p, at(t));
        const current = applyWrite(undefined, write).item as CounterState;
        const step = nextCounterStep(p, at(base + req * 250), 1, { ok: false, current });
        if (!('write' in step)) continue;
        const next = applyWrite(current as Record<string, unknown>, step.write);
        if (!next.ok) continue;
        const n = next.item as CounterState;
        expect(n.rw!).toBeGreaterThanOrEqual(current.rw!);
        expect(n.dw! >= current.dw!).toBe(true);
        expect(n.mw! >= current.mw!).toBe(true);
      }
    }
  });

  it('carries the units of a still-open window over a change of window length', async () => {
    // Prepare: 50 of 60 used in a 60 s window
    const store = new MemoryCounterStore();
    await run(store, { rateLimit: { limit: 60, windowSeconds: 60 } }, Array(50).fill(T0 + 5000));

    // Act: the key's window becomes 10 s (limit 60) while the 60 s window is still open
    const after = await run(store, { rateLimit: { limit: 60, windowSeconds: 10 } }, Array(15).fill(T0 + 6000));

    // Assess: only the 10 units left are admitted, not a fresh 60
    expect(after.filter((x) => x.r.admitted)).toHaveLength(10);
  });

  it('charges a route’s cost to every limit, and refuses when the cost does not fit', async () => {
    const plan: LimitPlan = { rateLimit: { limit: 10, windowSeconds: 60 }, quota: { daily: 12 } };
    const store = new MemoryCounterStore();
    const [a, b, c] = await run(store, plan, [T0, T0, T0], 5);
    expect(a!.r).toMatchObject({ admitted: true, rate: { used: 5 }, daily: { used: 5 } });
    expect(b!.r).toMatchObject({ admitted: true, rate: { used: 10, remaining: 0 }, daily: { used: 10, remaining: 2 } });
    // both limits block a third: the one that frees up last (the day) decides
    expect(c!.r).toMatchObject({ admitted: false, blocking: 'daily' });
  });
});

describe('all or nothing, for every policy', () => {
  const rates: RateLimit[] = [
    { limit: 5, windowSeconds: 10 },
    { limit: 5, windowSeconds: 10, policy: 'sliding' },
    { limit: 5, windowSeconds: 10, policy: 'tokenBucket', burst: 5 },
  ];
  for (const rateLimit of rates) {
    it(`${rateLimit.policy ?? 'fixed'}: a refusal by the quota moves no rate counter, and a refusal by the rate moves no quota`, async () => {
      // Prepare: daily quota 3 used up while the rate limit still has room
      const store = new MemoryCounterStore();
      await run(store, { rateLimit, quota: { daily: 3 } }, [T0, T0, T0]);
      const before = structuredClone(store.items.get('k'));
      const [q] = await run(store, { rateLimit, quota: { daily: 3 } }, [T0 + 1]);
      expect(q!.r).toMatchObject({ admitted: false, blocking: 'daily' });
      expect(store.items.get('k')).toEqual(before);

      // and the other way round: rate exhausted, quota with room
      const other = new MemoryCounterStore();
      await run(other, { rateLimit, quota: { daily: 100 } }, Array(5).fill(T0));
      const before2 = structuredClone(other.items.get('k'));
      const [r] = await run(other, { rateLimit, quota: { daily: 100 } }, [T0 + 1]);
      expect(r!.r).toMatchObject({ admitted: false, blocking: 'rate', daily: { used: 5 } });
      expect(other.items.get('k')).toEqual(before2);
    });
  }
});

describe('exact under concurrency, for every policy', () => {
  const cases: [string, LimitPlan, number][] = [
    ['fixed', { rateLimit: { limit: 100, windowSeconds: 60 }, quota: { daily: 1000 } }, 100],
    ['sliding', { rateLimit: { limit: 100, windowSeconds: 60, policy: 'sliding' }, quota: { daily: 1000 } }, 100],
    ['tokenBucket', { rateLimit: { limit: 10, windowSeconds: 60, policy: 'tokenBucket', burst: 100 }, quota: { daily: 1000 } }, 100],
    ['quota', { rateLimit: { limit: 1000, windowSeconds: 60, policy: 'sliding' }, quota: { daily: 100 } }, 100],
  ];
  for (const [name, plan, allowance] of cases) {
    it(`${name}: 240 concurrent requests on 4 containers admit exactly ${allowance}`, async () => {
      const table = new MemoryCounterStore();
      const containers = containersOn(table, 4);
      const results = await Promise.all(Array.from({ length: 240 }, (_, i) => containers[i % 4]!.consume('k', plan, at(T0 + 100))));
      expect(results.filter((r) => r.admitted)).toHaveLength(allowance);
    });
  }
});

describe('sliding window', () => {
  const W = 10;
  const L = 20;
  const plan: LimitPlan = { rateLimit: { limit: L, windowSeconds: W, policy: 'sliding' } };

  it('never admits more than the limit in any windowSeconds-long interval (random traffic, 4 containers)', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rand = rng(seed);
      const table = new MemoryCounterStore();
      const containers = containersOn(table, 4);
      const admitted: { t: number; cost: number }[] = [];
      let t = T0 + Math.floor(rand() * 5000);
      for (let batch = 0; batch < 150; batch++) {
        t += Math.floor(rand() * 900);
        const size = 1 + Math.floor(rand() * 6);
        const results = await Promise.all(
          Array.from({ length: size }, (_, i) => {
            const cost = 1 + Math.floor(rand() * 3);
            return containers[i % 4]!.consume('k', plan, at(t), cost).then((r) => ({ r, cost }));
          }),
        );
        for (const { r, cost } of results) if (r.admitted) admitted.push({ t, cost });
      }
      for (const a of admitted) {
        const inWindow = admitted.filter((b) => b.t > a.t - W * 1000 && b.t <= a.t).reduce((n, b) => n + b.cost, 0);
        expect(inWindow).toBeLessThanOrEqual(L);
      }
      expect(admitted.length).toBeGreaterThan(L); // the traffic did span several windows
    }
  });

  it('admits at least SUBWINDOWS/(SUBWINDOWS+1) of the limit per window to a client that keeps asking', async () => {
    const store = new MemoryCounterStore();
    const times = Array.from({ length: 10 * L * 4 }, (_, i) => T0 + Math.floor((i * W * 1000) / (L * 4)));
    const results = await run(store, plan, times);
    const admitted = results.filter((x) => x.r.admitted).length;
    expect(admitted / 10).toBeGreaterThanOrEqual(Math.floor((L * SUBWINDOWS) / (SUBWINDOWS + 1)));
    expect(admitted / 10).toBeLessThanOrEqual(L);
  });

  it('admits a refused request again at its retryAt, and forgets units one window and one sub-window after they were counted', async () => {
    const store = new MemoryCounterStore();
    await run(store, plan, Array(L).fill(T0 + 2500));
    const [refused] = await run(store, plan, [T0 + 4000]);
    expect(refused!.r).toMatchObject({ admitted: false, rate: { remaining: 0, policy: 'sliding' } });
    // the units were counted in sub-window [2 s, 3 s); they stop counting at 2 s + 10 s + 1 s
    expect(refused!.r.rate!.retryAt).toBe(T0 / 1000 + 13);
    expect(refused!.r.rate!.resetAt).toBe(T0 / 1000 + 13);
    const [before] = await run(store, plan, [T0 + 12_999]);
    expect(before!.r.admitted).toBe(false);
    const [again] = await run(store, plan, [refused!.r.rate!.retryAt * 1000]);
    expect(again!.r.admitted).toBe(true);
  });
});

describe('token bucket', () => {
  // 10 per second refill, burst 5: one unit every 100 ms
  const plan: LimitPlan = { rateLimit: { limit: 10, windowSeconds: 1, policy: 'tokenBucket', burst: 5 } };

  it('admits a full burst at once, then one request per refill interval', async () => {
    const store = new MemoryCounterStore();
    const burst = await run(store, plan, Array(8).fill(T0));
    expect(burst.map((x) => x.r.admitted)).toEqual([true, true, true, true, true, false, false, false]);
    expect(burst[4]!.r.rate).toMatchObject({ limit: 5, remaining: 0, burst: 5, policy: 'tokenBucket' });
    const later = await run(store, plan, [T0 + 99, T0 + 100, T0 + 150, T0 + 200]);
    expect(later.map((x) => x.r.admitted)).toEqual([false, true, false, true]);
  });

  it('never admits more than burst + elapsed × rate in any interval (random traffic, 4 containers)', async () => {
    for (const seed of [7, 8, 9]) {
      const rand = rng(seed);
      const table = new MemoryCounterStore();
      const containers = containersOn(table, 4);
      const admitted: { t: number; cost: number }[] = [];
      let t = T0;
      for (let batch = 0; batch < 200; batch++) {
        t += Math.floor(rand() * 300);
        const size = 1 + Math.floor(rand() * 5);
        const results = await Promise.all(
          Array.from({ length: size }, (_, i) => {
            const cost = 1 + Math.floor(rand() * 2);
            return containers[i % 4]!.consume('k', plan, at(t), cost).then((r) => ({ r, cost }));
          }),
        );
        for (const { r, cost } of results) if (r.admitted) admitted.push({ t, cost });
      }
      for (const a of admitted) {
        for (const b of admitted) {
          if (b.t < a.t) continue;
          const units = admitted.filter((c) => c.t >= a.t && c.t <= b.t).reduce((n, c) => n + c.cost, 0);
          expect(units).toBeLessThanOrEqual(5 + Math.floor(((b.t - a.t) * 10) / 1000));
        }
      }
    }
  });

  it('keeps its state across midnight UTC (the base moves, the allowance does not)', async () => {
    const midnight = Date.parse('2031-05-11T00:00:00Z');
    const store = new MemoryCounterStore();
    const before = await run(store, plan, Array(5).fill(midnight - 100));
    expect(before.every((x) => x.r.admitted)).toBe(true);
    const after = await run(store, plan, [midnight, midnight, midnight + 100]);
    // 100 ms refilled one unit by midnight; the next one at midnight + 100 ms
    expect(after.map((x) => x.r.admitted)).toEqual([true, false, true]);
    expect(store.items.get('k')).toMatchObject({ tb: midnight });
  });

  it('admits a refused request at its retryAt', async () => {
    const slow: LimitPlan = { rateLimit: { limit: 1, windowSeconds: 10, policy: 'tokenBucket', burst: 2 } };
    const store = new MemoryCounterStore();
    const [, , refused] = await run(store, slow, [T0, T0, T0 + 3000]);
    expect(refused!.r).toMatchObject({ admitted: false, rate: { retryAt: T0 / 1000 + 10, resetAt: T0 / 1000 + 20 } });
    const [again] = await run(store, slow, [refused!.r.rate!.retryAt * 1000]);
    expect(again!.r.admitted).toBe(true);
  });

  it('converts the bucket when its rate changes, never handing out a fresh burst', async () => {
    const store = new MemoryCounterStore();
    await run(store, plan, Array(5).fill(T0));
    const faster: LimitPlan = { rateLimit: { limit: 20, windowSeconds: 1, policy: 'tokenBucket', burst: 5 } };
    const after = await run(store, faster, [T0 + 10, T0 + 10]);
    expect(after.map((x) => x.r.admitted)).toEqual([false, false]);
  });
});

describe('countsAt and leaseValidUntil', () => {
  it('shows the counts of the item’s newer window to a caller whose clock is behind', () => {
    const r = countsAt({ quota: { daily: 5 } }, { dw: '20310511', dc: 2 }, new Date('2031-05-10T23:59:59.999Z'));
    expect(r.daily).toMatchObject({ limit: 5, used: 2, remaining: 3, resetAt: sec('2031-05-12T00:00:00Z') });
  });

  it('lets leased units live until the fixed window, the sliding sub-window or the day ends, and never for a token bucket', async () => {
    const store = new MemoryCounterStore();
    const t = T0 + 3_456;
    const fixed = await store.consume('f', { rateLimit: { limit: 100, windowSeconds: 10 }, quota: { daily: 1000 } }, at(t));
    expect(leaseValidUntil({ rateLimit: { limit: 100, windowSeconds: 10 }, quota: { daily: 1000 } }, fixed)).toBe(T0 + 10_000);
    const slidingPlan: LimitPlan = { rateLimit: { limit: 100, windowSeconds: 10, policy: 'sliding' } };
    const sliding = await store.consume('s', slidingPlan, at(t));
    expect(leaseValidUntil(slidingPlan, sliding)).toBe(T0 + 4_000);
    const tbPlan: LimitPlan = { rateLimit: { limit: 100, windowSeconds: 10, policy: 'tokenBucket' } };
    expect(leaseValidUntil(tbPlan, await store.consume('t', tbPlan, at(t)))).toBeUndefined();
  });
});
