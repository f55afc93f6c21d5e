/**
 * Rate limits and quotas: fixed windows counted exactly.
 *
 *   rate     a window of `windowSeconds` aligned to the Unix epoch (1 s to 1 h)
 *   daily    the UTC calendar day
 *   monthly  the UTC calendar month
 *
 * All of a key's counters live in one item, so checking and moving every limit is one
 * conditional write: a request is counted against all limits or none. A counter item's
 * windows only ever move forward (advanceWindows), so a request that reaches the store after a
 * boundary it did not see is counted in the newer window. This file decides every write and
 * reads its outcome (nextCounterStep); the DynamoDB adapter (adapters/dynamodb/counter-store.ts)
 * only executes it. See docs/rate-limiting.md.
 */
import type { ProblemCode } from './problem-codes';
import type { AuthzRecord, Quota, RateLimit, RatePolicy } from './records';

export type LimitName = 'rate' | 'daily' | 'monthly';

/** The limits that apply to one request: the key's own, else the deployment default rate limit. */
export interface LimitPlan {
  readonly rateLimit?: RateLimit;
  readonly quota?: Quota;
}

export function effectivePlan(key: Pick<AuthzRecord, 'rateLimit' | 'quota'>, defaultRateLimit?: RateLimit | null): LimitPlan {
  const rateLimit = key.rateLimit ?? defaultRateLimit ?? undefined;
  return { ...(rateLimit ? { rateLimit } : {}), ...(key.quota ? { quota: key.quota } : {}) };
}

export function planIsEmpty(plan: LimitPlan): boolean {
  return !plan.rateLimit && plan.quota?.daily === undefined && plan.quota?.monthly === undefined;
}

/** The windows a moment falls in. Ids are what the counter item stores; resets are epoch seconds. */
export interface Windows {
  readonly rateStart: number;
  readonly rateReset: number;
  readonly day: string;
  readonly dayReset: number;
  readonly month: string;
  readonly monthReset: number;
}

export function windowsAt(now: Date, windowSeconds = 1): Windows {
  const sec = Math.floor(now.getTime() / 1000);
  const rateStart = sec - (sec % windowSeconds);
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    rateStart,
    rateReset: rateStart + windowSeconds,
    day: `${y}${pad(m + 1)}${pad(d)}`,
    dayReset: Date.UTC(y, m, d + 1) / 1000,
    month: `${y}${pad(m + 1)}`,
    monthReset: Date.UTC(y, m + 1, 1) / 1000,
  };
}

/** What the counter item holds (absent = never counted). */
export interface CounterState {
  /** rate window start (epoch s) and count; `ws` is the window length it was counted with */
  readonly rw?: number;
  readonly ws?: number;
  readonly rc?: number;
  readonly dw?: string;
  readonly dc?: number;
  readonly mw?: string;
  readonly mc?: number;
}

export interface Counts {
  readonly rate: number;
  readonly daily: number;
  readonly monthly: number;
}

/** Counts in the current windows: a counter from an earlier window counts as zero. */
export function currentCounts(state: CounterState | undefined, w: Windows, plan: LimitPlan): Counts {
  const s = state ?? {};
  return {
    rate: s.rw === w.rateStart && s.ws === plan.rateLimit?.windowSeconds ? (s.rc ?? 0) : 0,
    daily: s.dw === w.day ? (s.dc ?? 0) : 0,
    monthly: s.mw === w.month ? (s.mc ?? 0) : 0,
  };
}

/** True when the state's windows are all current for the limits in the plan (an increment can apply). */
export function windowsCurrent(state: CounterState | undefined, w: Windows, plan: LimitPlan): boolean {
  if (!state) return false;
  if (plan.rateLimit && (state.rw !== w.rateStart || state.ws !== plan.rateLimit.windowSeconds)) return false;
  if (plan.quota?.daily !== undefined && state.dw !== w.day) return false;
  if (plan.quota?.monthly !== undefined && state.mw !== w.month) return false;
  return true;
}

/** Epoch seconds at the end of the UTC day `YYYYMMDD`. */
function dayEnd(day: string): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8)) + 1) / 1000;
}

/** Epoch seconds at the end of the UTC month `YYYYMM`. */
function monthEnd(month: string): number {
  return Date.UTC(Number(month.slice(0, 4)), Number(month.slice(4, 6)), 1) / 1000;
}

/**
 * Windows never move backwards. A request whose clock was read before a boundary can reach the
 * item after another request has already moved it to the next window; it is then counted in
 * that newer window, never by resetting the item to its own, older one (which would give the
 * old window a second allowance and the new window another). Window ids compare in time order:
 * rate windows are epoch seconds, days `YYYYMMDD` and months `YYYYMM` compare as strings.
 */
export function advanceWindows(w: Windows, state: CounterState | undefined, plan: LimitPlan): Windows {
  if (!state) return w;
  let out = w;
  if (plan.rateLimit && state.rw !== undefined && state.rw > out.rateStart) {
    out = { ...out, rateStart: state.rw, rateReset: state.rw + plan.rateLimit.windowSeconds };
  }
  if (plan.quota?.daily !== undefined && state.dw !== undefined && state.dw > out.day) out = { ...out, day: state.dw, dayReset: dayEnd(state.dw) };
  if (plan.quota?.monthly !== undefined && state.mw !== undefined && state.mw > out.month) {
    out = { ...out, month: state.mw, monthReset: monthEnd(state.mw) };
  }
  return out;
}

/**
 * One conditional write on a key's counter item, decided here and executed by a CounterStore
 * adapter, which answers with the item (CounterWriteOutcome); nextCounterStep interprets it.
 *   increment  add `cost` to every counter of the plan, if each holds `windows` and has `cost` units left
 *   reset      write `next`, if the item still holds exactly `expected` (absent = no item)
 */
export type CounterWrite =
  | { readonly kind: 'increment'; readonly windows: Windows; readonly cost: number }
  | {
      readonly kind: 'reset';
      readonly windows: Windows;
      readonly cost: number;
      readonly expected: CounterState | undefined;
      readonly next: CounterState & { readonly ttl: number };
    };

/** The item after a write that applied, or the item as it was when the write's condition failed. */
export type CounterWriteOutcome = { readonly ok: true; readonly item: CounterState } | { readonly ok: false; readonly current: CounterState | undefined };

export type CounterStep = { readonly done: LimitResult } | { readonly write: CounterWrite };

/**
 * The first write for a request at `now` costing `cost` units (a route's `cost`, default 1):
 * the increment, assuming every window is current.
 */
export function firstCounterWrite(plan: LimitPlan, now: Date, cost = 1): CounterWrite {
  return { kind: 'increment', windows: windowsAt(now, plan.rateLimit?.windowSeconds), cost };
}

/**
 * What follows a write's outcome: the decision, or the next write. After a failed condition the
 * item's own state decides: a limit exhausted in its (possibly newer) window refuses; windows
 * that are current mean a concurrent writer won, so the increment is tried again; windows that
 * rolled over are reset forward, never back (advanceWindows).
 */
export function nextCounterStep(plan: LimitPlan, write: CounterWrite, outcome: CounterWriteOutcome): CounterStep {
  if (outcome.ok) return { done: limitResult(plan, currentCounts(outcome.item, write.windows, plan), write.windows, []) };
  const current = outcome.current;
  const w = advanceWindows(write.windows, current, plan);
  const counts = currentCounts(current, w, plan);
  const cost = write.cost;
  const blocking = blockingLimits(plan, counts, cost);
  if (blocking.length > 0) return { done: limitResult(plan, counts, w, blocking) };
  if (windowsCurrent(current, w, plan)) return { write: { kind: 'increment', windows: w, cost } };
  const next: CounterState & { ttl: number } = {
    ttl: counterTtl(w),
    ...(plan.rateLimit ? { rw: w.rateStart, ws: plan.rateLimit.windowSeconds, rc: counts.rate + cost } : {}),
    ...(plan.quota?.daily !== undefined ? { dw: w.day, dc: counts.daily + cost } : {}),
    ...(plan.quota?.monthly !== undefined ? { mw: w.month, mc: counts.monthly + cost } : {}),
  };
  return { write: { kind: 'reset', windows: w, cost, expected: current, next } };
}

/**
 * What release() subtracts: one counter per limit, each conditional on its window still being
 * the one `taken` was counted in. Fixed-window rate counters and quotas; other policies later.
 */
export function releaseParts(plan: LimitPlan, taken: LimitResult, _units: number): { window: string; count: string; windowId: number | string }[] {
  const parts: { window: string; count: string; windowId: number | string }[] = [];
  if (plan.rateLimit && taken.rate && taken.rate.policy === 'fixed') parts.push({ window: 'rw', count: 'rc', windowId: taken.rate.windowStart });
  if (plan.quota?.daily !== undefined && taken.daily) parts.push({ window: 'dw', count: 'dc', windowId: windowsAt(new Date((taken.daily.resetAt - 1) * 1000)).day });
  if (plan.quota?.monthly !== undefined && taken.monthly) parts.push({ window: 'mw', count: 'mc', windowId: windowsAt(new Date((taken.monthly.resetAt - 1) * 1000)).month });
  return parts;
}

/**
 * Until when (epoch ms) units counted by the decision `result` may be spent later without ever
 * breaking the plan's bounds: the end of the accounting unit they were counted in (the fixed
 * window; for `sliding`, the sub-window), and never past the end of a quota's day or month.
 * Undefined when they must be spent at once (`tokenBucket`: units taken from the bucket now
 * and spent later would let a later interval hold more than `burst` plus its refill).
 * Hot-key leases (core/hot-keys.ts) expire at this time.
 */
export function leaseValidUntil(plan: LimitPlan, result: LimitResult): number | undefined {
  let until = Number.POSITIVE_INFINITY;
  if (plan.rateLimit) {
    const rate = result.rate;
    if (!rate || rate.policy === 'tokenBucket') return undefined;
    until = Math.min(until, rate.policy === 'sliding' ? subWindowEnd(rate) : rate.resetAt * 1000);
  }
  if (result.daily) until = Math.min(until, result.daily.resetAt * 1000);
  if (result.monthly) until = Math.min(until, result.monthly.resetAt * 1000);
  return Number.isFinite(until) ? until : undefined;
}

/** Placeholder until the sliding policy lands: the end of the sub-window a sliding result was counted in. */
function subWindowEnd(rate: RateStatus): number {
  return rate.resetAt * 1000;
}

/** The counts a stored item shows at `now`, without counting anything (the usage endpoint). */
export function countsAt(plan: LimitPlan, state: CounterState | undefined, now: Date): LimitResult {
  const w = advanceWindows(windowsAt(now, plan.rateLimit?.windowSeconds), state, plan);
  return limitResult(plan, currentCounts(state, w, plan), w, []);
}

/**
 * The limits that block one more request costing `cost` units (it is admitted only when every
 * limit has `cost` units left: all or nothing). Checked in order rate, daily, monthly; when
 * several block, the one that resets last decides Retry-After (see limitResult).
 */
export function blockingLimits(plan: LimitPlan, counts: Counts, cost = 1): LimitName[] {
  const out: LimitName[] = [];
  if (plan.rateLimit && counts.rate + cost > plan.rateLimit.limit) out.push('rate');
  if (plan.quota?.daily !== undefined && counts.daily + cost > plan.quota.daily) out.push('daily');
  if (plan.quota?.monthly !== undefined && counts.monthly + cost > plan.quota.monthly) out.push('monthly');
  return out;
}

export interface LimitStatus {
  /** For a token bucket: its capacity (`burst`). */
  readonly limit: number;
  readonly used: number;
  readonly remaining: number;
  /** Epoch seconds at which `remaining` is back to `limit` if nothing more is admitted (fixed windows: the window's end). */
  readonly resetAt: number;
  /**
   * Epoch seconds at which a request of the decided cost fits this limit again, if nothing more
   * is admitted: never later than `resetAt`, and the time of the decision when it fits now. For
   * fixed windows and quotas it is the window's end whenever the limit is exhausted.
   * Retry-After is computed from the blocking limits' retryAt, so it is never early.
   */
  readonly retryAt: number;
}

/** The rate limit's own numbers: its status plus how it counts. */
export interface RateStatus extends LimitStatus {
  readonly policy: RatePolicy;
  readonly windowSeconds: number;
  /**
   * Epoch seconds at which the interval the count covers starts: the fixed window's start; for
   * `sliding`, the start of the oldest sub-window counted; for `tokenBucket`, `resetAt − windowSeconds`.
   */
  readonly windowStart: number;
  /** Token bucket only: its capacity (= limit above). */
  readonly burst?: number;
}

export interface LimitResult {
  readonly admitted: boolean;
  /** The limit that refused the request (the latest-resetting one when several did). */
  readonly blocking?: LimitName;
  readonly rate?: RateStatus;
  readonly daily?: LimitStatus;
  readonly monthly?: LimitStatus;
}

/** Builds the result from the counts after the decision (incremented if admitted). */
export function limitResult(plan: LimitPlan, counts: Counts, w: Windows, blocking: readonly LimitName[]): LimitResult {
  const status = (limit: number, used: number, resetAt: number): LimitStatus => ({
    limit,
    used,
    remaining: Math.max(0, limit - used),
    resetAt,
    retryAt: resetAt,
  });
  const resets: Record<LimitName, number> = { rate: w.rateReset, daily: w.dayReset, monthly: w.monthReset };
  const decisive = [...blocking].sort((a, b) => resets[b] - resets[a])[0];
  return {
    admitted: blocking.length === 0,
    ...(decisive ? { blocking: decisive } : {}),
    ...(plan.rateLimit
      ? { rate: { ...status(plan.rateLimit.limit, counts.rate, w.rateReset), policy: 'fixed', windowSeconds: plan.rateLimit.windowSeconds, windowStart: w.rateStart } }
      : {}),
    ...(plan.quota?.daily !== undefined ? { daily: status(plan.quota.daily, counts.daily, w.dayReset) } : {}),
    ...(plan.quota?.monthly !== undefined ? { monthly: status(plan.quota.monthly, counts.monthly, w.monthReset) } : {}),
  };
}

/** The numbers the 429 and the X-RateLimit-* headers carry: those of the blocking limit, else the tightest. */
export function headlineStatus(r: LimitResult): LimitStatus | undefined {
  if (r.blocking) return r[r.blocking];
  const all = [r.rate, r.daily, r.monthly].filter((s): s is LimitStatus => s !== undefined);
  return all.sort((a, b) => a.remaining - b.remaining || a.resetAt - b.resetAt)[0];
}

export const PROBLEM_CODE_FOR: Record<LimitName, ProblemCode> = {
  rate: 'rate_limited',
  daily: 'daily_quota_exceeded',
  monthly: 'monthly_quota_exceeded',
};

/** The counter item expires (TTL) a while after the month it counts, so idle keys leave nothing behind. */
export function counterTtl(w: Windows): number {
  return w.monthReset + 35 * 86400;
}
