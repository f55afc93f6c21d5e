/**
 * Free refusals (core/refusal-cache.ts) through the real KeyVerifier and the in-memory table:
 * refused requests after the first cost no write, a cached refusal never outlives the moment
 * the request could be admitted (for every policy), and a changed limit is never answered from
 * the cache.
 */
import { describe, expect, it } from 'vitest';
import { generateKey } from '../../core/key-format';
import type { Clock } from '../../core/ports';
import type { AuthzRecord, RateLimit } from '../../core/records';
import { RefusalCache } from '../../core/refusal-cache';
import { KeyVerifier } from '../../core/verifier';
import { MemoryCounterStore } from '../support/memory-counter-store';

class ManualClock implements Clock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
}

const START = Date.parse('2031-05-10T12:00:00.250Z');

function setup(rateLimit: RateLimit, opts: { cacheTtlSeconds?: number; quota?: AuthzRecord['quota'] } = {}) {
  const records = new Map<string, AuthzRecord>();
  const k = generateKey('kg', 'live');
  const record: AuthzRecord = { keyId: 'key_A', ownerId: 'team-a', environment: 'live', scopes: [], status: 'active', rateLimit, ...(opts.quota ? { quota: opts.quota } : {}) };
  records.set(k.hash, record);
  const clock = new ManualClock(START);
  const store = new MemoryCounterStore();
  const verifier = new KeyVerifier(
    { getAuthzByHash: async (h) => records.get(h) },
    { keyPrefix: 'kg', cacheTtlSeconds: opts.cacheTtlSeconds ?? 60, negativeCacheTtlSeconds: 0, cacheMaxEntries: 100 },
    clock,
    store,
  );
  const call = () => verifier.verify({ key: k.plaintext, requiredScopes: [], sourceIp: undefined });
  return { records, hash: k.hash, clock, store, verifier, call };
}

const POLICIES: [string, RateLimit][] = [
  ['fixed', { limit: 3, windowSeconds: 10 }],
  ['sliding', { limit: 3, windowSeconds: 10, policy: 'sliding' }],
  ['tokenBucket', { limit: 3, windowSeconds: 10, policy: 'tokenBucket', burst: 3 }],
];

describe('free refusals', () => {
  for (const [name, rateLimit] of POLICIES) {
    it(`${name}: a flood of 1,000 refused requests after the first refusal costs no write`, async () => {
      // Prepare: use up the allowance, then one refusal that reaches the table
      const { store, call, verifier } = setup(rateLimit);
      for (let i = 0; i < 3; i++) expect((await call()).code).toBe('VALID');
      expect((await call()).code).toBe('RATE_LIMITED');
      const writes = store.writes;

      // Act
      const flood = await Promise.all(Array.from({ length: 1000 }, () => call()));

      // Assess
      expect(flood.every((o) => o.code === 'RATE_LIMITED')).toBe(true);
      expect(store.writes - writes).toBe(0);
      expect(verifier.refusals!.hits).toBe(1000);
    });

    it(`${name}: the cached refusal ends exactly when the request fits again, never later`, async () => {
      const { call, clock } = setup(rateLimit);
      for (let i = 0; i < 3; i++) await call();
      const refused = await call();
      const until = refused.code === 'RATE_LIMITED' ? refused.limits.retryAtMs! : NaN;
      expect(until).toBeGreaterThan(clock.ms);

      // one millisecond before: still refused (from the cache); at the moment: admitted by the table
      clock.ms = until - 1;
      expect((await call()).code).toBe('RATE_LIMITED');
      clock.ms = until;
      expect((await call()).code).toBe('VALID');
    });
  }

  it('answers a costlier request from the cache, but sends a cheaper one to the table', async () => {
    const { store, call, verifier } = setup({ limit: 5, windowSeconds: 60 });
    for (let i = 0; i < 4; i++) await call();
    const cache = verifier.refusals!;
    const plan = { rateLimit: { limit: 5, windowSeconds: 60 } };
    // a refusal of cost 3 (only 1 unit left) is remembered for cost ≥ 3
    const r = await store.consume('key_A', plan, new Date(START), 3);
    cache.remember('key_A', plan, 3, r, START);
    expect(cache.check('key_A', plan, 3, START)).toBe(r);
    expect(cache.check('key_A', plan, 2, START)).toBeUndefined();
    expect(cache.check('key_A', plan, 4, START)).toBe(r);
  });

  it('never answers from the cache once the key’s limit was raised (new record in this container)', async () => {
    // Prepare: refused under limit 3, record cache off so the raised limit is read at once
    const { records, hash, call, store } = setup({ limit: 3, windowSeconds: 60 }, { cacheTtlSeconds: 0 });
    for (let i = 0; i < 4; i++) await call();
    const writes = store.writes;

    // Act: the limit goes to 5
    records.set(hash, { ...records.get(hash)!, rateLimit: { limit: 5, windowSeconds: 60 } });
    const outcomes = [await call(), await call(), await call()];

    // Assess: the shared counters admit two more, then refuse
    expect(outcomes.map((o) => o.code)).toEqual(['VALID', 'VALID', 'RATE_LIMITED']);
    expect(store.writes).toBeGreaterThan(writes);
  });

  it('forget() drops the cached record and refusal, so a change through this container applies at once', async () => {
    // Prepare: record cache of 60 s; refused under limit 3
    const { records, hash, call, verifier } = setup({ limit: 3, windowSeconds: 60 });
    for (let i = 0; i < 4; i++) await call();
    records.set(hash, { ...records.get(hash)!, rateLimit: { limit: 4, windowSeconds: 60 } });
    expect((await call()).code).toBe('RATE_LIMITED'); // still the cached record

    // Act
    verifier.forget({ hash, counterId: 'key_A' });

    // Assess
    expect((await call()).code).toBe('VALID');
    expect(verifier.refusals!.size).toBe(0);
  });

  it('keeps at most its bound of entries', () => {
    const cache = new RefusalCache(3);
    const plan = { rateLimit: { limit: 1, windowSeconds: 60 } };
    for (let i = 0; i < 10; i++) cache.remember(`k${i}`, plan, 1, { admitted: false, retryAtMs: START + 1000 }, START);
    expect(cache.size).toBe(3);
    expect(cache.check('k0', plan, 1, START)).toBeUndefined();
    expect(cache.check('k9', plan, 1, START)).toBeDefined();
  });
});
