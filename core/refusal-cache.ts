/**
 * Free refusals: once a container has refused a key's request, it refuses the same or a
 * costlier request for that key, under the same limits, without a DynamoDB write until the
 * moment the refusal could end (the refused result's `retryAtMs`: the latest of the blocking
 * limits' earliest fit). Counters only grow until then — other containers can only count more —
 * so no request this cache refuses would have been admitted by the shared counters, except when
 * units come back (a hot key's lease returning unused quota units; docs/rate-limiting.md).
 *
 * Entries are keyed by counter id (the rotation lineage) and hold the plan they were refused
 * under: a request under different limits (a raised limit reaching this container through its
 * key cache, or the other key of a rotation pair) is never answered from an entry. `forget`
 * drops an entry at once when a key's limits change through this container. Memory is bounded
 * by an LRU.
 */
import type { LimitPlan, LimitResult } from './limits';
import { LruCache } from './lru-cache';
import type { Quota, RateLimit } from './records';

interface Entry {
  readonly plan: LimitPlan;
  readonly cost: number;
  readonly result: LimitResult;
}

const sameRate = (a: RateLimit | undefined, b: RateLimit | undefined): boolean =>
  a === b || (!!a && !!b && a.limit === b.limit && a.windowSeconds === b.windowSeconds && a.policy === b.policy && a.burst === b.burst);
const sameQuota = (a: Quota | undefined, b: Quota | undefined): boolean => a === b || (!!a && !!b && a.daily === b.daily && a.monthly === b.monthly);

export class RefusalCache {
  private readonly entries: LruCache<Entry>;
  /** Requests answered from the cache (no write). */
  hits = 0;

  constructor(maxEntries = 10_000) {
    this.entries = new LruCache<Entry>(maxEntries);
  }

  /** The cached refusal for a request of `cost` under `plan` at `nowMs`, if one still holds. */
  check(counterId: string, plan: LimitPlan, cost: number, nowMs: number): LimitResult | undefined {
    const e = this.entries.get(counterId, nowMs);
    if (!e || cost < e.cost || !sameRate(e.plan.rateLimit, plan.rateLimit) || !sameQuota(e.plan.quota, plan.quota)) return undefined;
    this.hits++;
    return e.result;
  }

  /** Remembers a refusal until its retryAtMs (admissions and results without one are ignored). */
  remember(counterId: string, plan: LimitPlan, cost: number, result: LimitResult, nowMs: number): void {
    if (result.admitted || result.retryAtMs === undefined || !(result.retryAtMs > nowMs)) return;
    // A never-fitting request (cost above a limit) is remembered for a minute, not forever.
    const until = Number.isFinite(result.retryAtMs) ? result.retryAtMs : nowMs + 60_000;
    this.entries.set(counterId, { plan, cost, result }, until);
  }

  forget(counterId: string): void {
    this.entries.delete(counterId);
  }

  get size(): number {
    return this.entries.size;
  }
}
