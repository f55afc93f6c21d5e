/**
 * Hot keys: keys limited past what one counter item accepts (about 1,000 writes/s) are counted
 * through per-container allowance leases (docs/rate-limiting.md#hot-keys).
 *
 * A lease is one ordinary conditional write that counts `n` units against every limit of the
 * plan at once (all or nothing). This container then admits requests from those units, with no
 * write, until they are spent or the lease expires at `leaseValidUntil` (the end of the window
 * the units were counted in). Every admission spends a unit the store counted in its window and
 * each unit is spent once, so no window ever admits more than its limit: the upper bound stays
 * exact. What leases can cost is under-admission (units leased to one container and not spent
 * there before the window ends), bounded by the lease cap per container.
 *
 * Plans that are not hot, and token-bucket plans (units taken from a bucket now and spent later
 * would break the bucket's bound), pass straight through: one write per request.
 */
import type { BackgroundWork } from './background';
import { type LimitPlan, type LimitResult, type LimitStatus, leaseValidUntil } from './limits';
import { LruCache } from './lru-cache';
import type { CounterStore, Logger } from './ports';
import { ratePolicyOf } from './records';

/** A lease covers about this much of this container's recent demand for the key. */
export const LEASE_DEMAND_MS = 200;
/** The most a lease holds beyond the requests waiting for it: this fraction of the tightest limit. */
export const LEASE_CAP_FRACTION = 1 / 8;
/** Keys whose lease state one container keeps (least recently used are dropped). */
export const LEASE_STATE_MAX_KEYS = 1000;
/** State of a key unseen for this long is forgotten (the longest rate window: its leases have expired). */
const STATE_IDLE_MS = 3_600_000;
/** Demand is averaged over about this long (exponential, time-weighted). */
const DEMAND_TAU_MS = 1000;
/** Demand is measured over samples at least this long. */
const MIN_SAMPLE_MS = 50;
/** Lease writes one acquisition makes before giving up (each one after a partial refusal). */
const MAX_LEASE_WRITES = 4;
/** How often a request waits on other requests' lease writes before writing its own. */
const MAX_WAITS = 3;
/** Lease writes one request starts before it counts its own units directly. */
const MAX_OWN_LEASES = 2;
/** Unused-quota returns in flight at once; beyond this they are skipped (and logged). */
const MAX_PENDING_RELEASES = 32;

interface Lease {
  /** The plan the units were counted with (a changed plan retires the lease). */
  readonly sig: string;
  readonly plan: LimitPlan;
  /** The store's answer to the lease write (used / remaining as the store counted them). */
  readonly taken: LimitResult;
  readonly units: number;
  spent: number;
  /** Epoch ms from which the units may no longer be spent. */
  readonly validUntilMs: number;
}

interface KeyState {
  leases: Lease[];
  /** A lease write that found nothing left: refuse from it, no write, until `untilMs`. */
  refusal?: { readonly sig: string; readonly result: LimitResult; readonly untilMs: number };
  /** The lease write in flight (single flight per key per container). */
  acquiring?: Promise<unknown>;
  /** Units requested by requests waiting on `acquiring`. */
  waiting: number;
  /** Demand estimate, units per ms, and the units requested since it was last updated. */
  rate?: number;
  requested: number;
  sampledAtMs: number;
}

export interface LeasingOptions {
  /** `keygate:hotKeyThreshold`: requests/s (limit / windowSeconds) from which a plan is leased; 0 = never. */
  readonly hotKeyThreshold: number;
  /** Where unused quota units are returned from, off the request path (the verifier's). */
  readonly background: BackgroundWork;
  readonly logger?: Logger;
  /** @default LEASE_STATE_MAX_KEYS */
  readonly maxKeys?: number;
}

/** True when the plan is counted through leases: a rate limit at or past the threshold, not a token bucket. */
export function isHotPlan(plan: LimitPlan, threshold: number): boolean {
  const r = plan.rateLimit;
  if (!r || threshold <= 0 || ratePolicyOf(r) === 'tokenBucket') return false;
  return r.limit / r.windowSeconds >= threshold;
}

/** The most units one lease takes beyond waiting demand: 1/8 of the tightest limit, at least 1. */
export function leaseCap(plan: LimitPlan): number {
  const limits = [plan.rateLimit?.limit, plan.quota?.daily, plan.quota?.monthly].filter((l): l is number => l !== undefined);
  return Math.max(1, Math.floor(Math.min(...limits) * LEASE_CAP_FRACTION));
}

/** Identifies a plan's limits; a lease taken under one plan is never spent under another. */
function planSignature(plan: LimitPlan): string {
  const r = plan.rateLimit;
  return JSON.stringify([r?.limit, r?.windowSeconds, r ? ratePolicyOf(r) : undefined, r?.burst, plan.quota?.daily, plan.quota?.monthly]);
}

const STATUS_NAMES = ['rate', 'daily', 'monthly'] as const;

/** The fewest units left across the limits a result reports. */
function minRemaining(result: LimitResult): number {
  let min = Number.POSITIVE_INFINITY;
  for (const name of STATUS_NAMES) {
    const s = result[name];
    if (s) min = Math.min(min, s.remaining);
  }
  return Number.isFinite(min) ? min : 0;
}

/**
 * The numbers of a request admitted from a lease: the store's counts at the lease write, less
 * the lease's units this container has not spent yet. Units are handed out in counter order,
 * so `used` is the position of the request's last unit in the counter (each value is reported
 * by one request across all containers, which keeps quota warnings firing once).
 */
function leasedResult(lease: Lease, cost: number, nowMs: number): LimitResult {
  const unspent = lease.units - lease.spent;
  const nowSec = Math.floor(nowMs / 1000);
  const adjust = <S extends LimitStatus>(s: S | undefined): S | undefined => {
    if (!s) return undefined;
    const used = Math.max(0, s.used - unspent);
    const remaining = Math.min(s.limit, s.remaining + unspent);
    return { ...s, used, remaining, retryAt: remaining >= cost ? Math.min(nowSec, s.resetAt) : s.resetAt };
  };
  const rate = adjust(lease.taken.rate);
  const daily = adjust(lease.taken.daily);
  const monthly = adjust(lease.taken.monthly);
  return { admitted: true, ...(rate ? { rate } : {}), ...(daily ? { daily } : {}), ...(monthly ? { monthly } : {}) };
}

/**
 * A refusal of a lease write of `n` units, answered for a request that needed `need` ≤ n: the
 * blocking limit is the latest-resetting one among those that cannot fit `need`. Statuses are
 * the store's; their retryAt was computed for `n` units, so Retry-After may be late, never early.
 */
function refusalFor(result: LimitResult, need: number): LimitResult {
  const blocking = STATUS_NAMES.filter((name) => {
    const s = result[name];
    return s !== undefined && s.remaining < need;
  }).sort((a, b) => result[b]!.resetAt - result[a]!.resetAt)[0];
  return blocking && blocking !== result.blocking ? { ...result, blocking } : result;
}

/**
 * A CounterStore that counts hot plans through leases and passes every other call to `inner`.
 * One per container (the authorizer's verifier); its state is per key, bounded (LRU).
 */
export class LeasingCounterStore implements CounterStore {
  private readonly states: LruCache<KeyState>;
  private pendingReleases = 0;

  constructor(
    private readonly inner: CounterStore,
    private readonly options: LeasingOptions,
  ) {
    this.states = new LruCache<KeyState>(options.maxKeys ?? LEASE_STATE_MAX_KEYS);
  }

  peek(keyId: string, plan: LimitPlan, now: Date): Promise<LimitResult> {
    return this.inner.peek(keyId, plan, now);
  }

  release(keyId: string, plan: LimitPlan, taken: LimitResult, units: number, now: Date): Promise<void> {
    return this.inner.release(keyId, plan, taken, units, now);
  }

  async consume(keyId: string, plan: LimitPlan, now: Date, cost = 1): Promise<LimitResult> {
    if (!isHotPlan(plan, this.options.hotKeyThreshold)) return this.inner.consume(keyId, plan, now, cost);
    const nowMs = now.getTime();
    const sig = planSignature(plan);
    const state = this.stateOf(keyId, nowMs);
    state.requested += cost;
    let waits = 0;
    for (let leases = 0; leases < MAX_OWN_LEASES; ) {
      this.retire(keyId, state, sig, nowMs);
      const admitted = this.spend(state, cost, nowMs);
      if (admitted) return admitted;
      if (state.refusal && state.refusal.sig === sig && nowMs < state.refusal.untilMs) return state.refusal.result;
      if (state.acquiring && waits < MAX_WAITS) {
        waits++;
        state.waiting += cost;
        try {
          // A failed lease write fails its waiters too: the store is failing, fail closed.
          await state.acquiring;
        } finally {
          state.waiting -= cost;
        }
        continue;
      }
      leases++;
      const acquisition = this.acquire(keyId, state, plan, sig, now, cost);
      state.acquiring = acquisition;
      try {
        const answer = await acquisition;
        if (answer) return answer;
      } finally {
        if (state.acquiring === acquisition) delete state.acquiring;
      }
    }
    // Our own leases were spent by others before we could use them (a rare race): count directly.
    return this.inner.consume(keyId, plan, now, cost);
  }

  /**
   * Takes a lease big enough for what this request still needs and the requests waiting, plus
   * the container's recent demand (capped). Resolves undefined once the lease is added (the
   * caller spends from it), else to the request's answer: a refusal when less than it needs is
   * left, or its own direct count after repeated lost races.
   */
  private async acquire(keyId: string, state: KeyState, plan: LimitPlan, sig: string, now: Date, cost: number): Promise<LimitResult | undefined> {
    // Requests arriving in the same tick register as waiters first, so one write serves them all.
    await Promise.resolve();
    const nowMs = now.getTime();
    const need = Math.max(1, cost - this.available(state, nowMs));
    let n = this.leaseSize(state, plan, need + state.waiting, nowMs);
    let last: LimitResult | undefined;
    for (let writes = 0; writes < MAX_LEASE_WRITES; writes++) {
      const result = await this.inner.consume(keyId, plan, now, n);
      if (result.admitted) {
        const validUntilMs = leaseValidUntil(plan, result) ?? nowMs;
        state.leases.push({ sig, plan, taken: result, units: n, spent: 0, validUntilMs });
        return undefined;
      }
      last = result;
      const left = minRemaining(result);
      if (left < need) break;
      // Fewer than n left on some limit: take exactly what remains.
      n = left;
    }
    if (!last || minRemaining(last) >= need) {
      // Still units left after MAX_LEASE_WRITES lost races: this request counts its own directly.
      const direct = await this.inner.consume(keyId, plan, now, cost);
      return direct;
    }
    const refused = refusalFor(last, need);
    if (minRemaining(refused) === 0) {
      // Nothing left: no write for this key here until the blocking limit could fit again, and
      // never past the window (another container's unused quota units come back when it ends).
      const blocking = refused.blocking ? refused[refused.blocking] : undefined;
      const windowEnd = leaseValidUntil(plan, refused) ?? nowMs;
      const untilMs = Math.min(windowEnd, (blocking?.retryAt ?? 0) * 1000);
      if (untilMs > nowMs) state.refusal = { sig, result: refused, untilMs };
    }
    return refused;
  }

  /**
   * Units for a lease: what the waiting requests need now, plus about LEASE_DEMAND_MS of this
   * container's recent demand for the key (at most the cap; nothing until a first sample of
   * demand has been taken here).
   */
  private leaseSize(state: KeyState, plan: LimitPlan, waiting: number, nowMs: number): number {
    // Demand is sampled over at least MIN_SAMPLE_MS (shorter samples only accumulate), so a
    // container taking leases every few milliseconds still measures its rate.
    const elapsed = nowMs - state.sampledAtMs;
    if (elapsed >= MIN_SAMPLE_MS) {
      const observed = state.requested / elapsed;
      state.rate = state.rate === undefined ? observed : state.rate + (1 - Math.exp(-elapsed / DEMAND_TAU_MS)) * (observed - state.rate);
      state.requested = 0;
      state.sampledAtMs = nowMs;
    }
    const speculative = state.rate === undefined ? 0 : Math.min(leaseCap(plan), Math.ceil(state.rate * LEASE_DEMAND_MS));
    return Math.max(1, waiting + speculative);
  }

  private available(state: KeyState, nowMs: number): number {
    let units = 0;
    for (const l of state.leases) if (nowMs < l.validUntilMs) units += l.units - l.spent;
    return units;
  }

  /** Spends `cost` units from the valid leases, oldest first, if they hold that many together. */
  private spend(state: KeyState, cost: number, nowMs: number): LimitResult | undefined {
    if (this.available(state, nowMs) < cost) return undefined;
    let left = cost;
    let last: Lease | undefined;
    for (const l of state.leases) {
      if (left === 0) break;
      if (nowMs >= l.validUntilMs) continue;
      const take = Math.min(left, l.units - l.spent);
      if (take === 0) continue;
      l.spent += take;
      left -= take;
      last = l;
    }
    const result = leasedResult(last!, cost, nowMs);
    state.leases = state.leases.filter((l) => l.spent < l.units);
    return result;
  }

  /** Drops expired leases and those of another plan, returning their unused units in the background. */
  private retire(keyId: string, state: KeyState, sig: string, nowMs: number): void {
    if (state.leases.length === 0) return;
    const keep: Lease[] = [];
    for (const l of state.leases) {
      const expired = nowMs >= l.validUntilMs;
      if (!expired && l.sig === sig) {
        keep.push(l);
        continue;
      }
      const unused = l.units - l.spent;
      if (unused === 0) continue;
      // An ended window's rate units need no return; quota units do. A lease of a changed plan
      // still in its window gives back every counter (release() skips windows that moved on).
      const plan = expired ? (l.plan.quota ? { quota: l.plan.quota } : undefined) : l.plan;
      if (plan) this.releaseInBackground(keyId, plan, l.taken, unused, nowMs);
    }
    state.leases = keep;
  }

  private releaseInBackground(keyId: string, plan: LimitPlan, taken: LimitResult, units: number, nowMs: number): void {
    if (this.pendingReleases >= MAX_PENDING_RELEASES) {
      this.options.logger?.log('warn', 'hot key: unused lease units not returned (too many returns in flight)', { keyId, units });
      return;
    }
    this.pendingReleases++;
    const work = this.inner
      .release(keyId, plan, taken, units, new Date(nowMs))
      .catch((err: unknown) => {
        this.options.logger?.log('warn', 'hot key: returning unused lease units failed', { keyId, units, error: err instanceof Error ? err.name : 'unknown' });
      })
      .finally(() => {
        this.pendingReleases--;
      });
    this.options.background.track(work);
  }

  private stateOf(keyId: string, nowMs: number): KeyState {
    let state = this.states.get(keyId, nowMs);
    if (!state) {
      state = { leases: [], waiting: 0, requested: 0, sampledAtMs: nowMs };
    }
    // Refreshes recency and idle expiry; a lease outlives idleness only until it expires anyway.
    this.states.set(keyId, state, nowMs + STATE_IDLE_MS);
    return state;
  }
}
