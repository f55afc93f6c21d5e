/**
 * Rate limits and quotas, counted exactly on one DynamoDB item per key (or per rotation
 * lineage). This file decides every write and reads its outcome; the adapter
 * (adapters/dynamodb/counter-store.ts) only translates a CounterWrite into one UpdateItem.
 * See docs/rate-limiting.md.
 *
 *   rate     one of three policies (RateLimit.policy):
 *              fixed        a window of `windowSeconds` aligned to the Unix epoch (1 s to 1 h)
 *              sliding      SUBWINDOWS sub-windows per window: at most `limit` in any
 *                           `windowSeconds`-long interval
 *              tokenBucket  GCRA: refills `limit` per `windowSeconds`, holds at most `burst`
 *   daily    the UTC calendar day
 *   monthly  the UTC calendar month
 *
 * Every limit of a key lives in the same item, so checking and moving all of them is one
 * conditional write: a request is counted against all limits or none. Each limit contributes
 * its own conditions and updates to that write (a "part"), chosen from the item as last seen:
 *
 *   inc      the item is in the request's window: ADD the cost, if it still fits
 *   roll     the item's window is older: SET the new window, if the item is still older
 *   reshape  the limit's shape changed (window length, policy, burst): SET a converted state,
 *            if the item still holds exactly what was read; counted units carry over
 *
 * A part guessed from a stale view only makes its condition fail; DynamoDB then returns the
 * item, and the next step is decided from it. Windows never move backwards: a request whose
 * clock is behind the item's window is counted in the item's (newer) window.
 */
import { DependencyError } from './ports';
import type { ProblemCode } from './problem-codes';
import { type AuthzRecord, type Quota, type RateLimit, type RatePolicy, ratePolicyOf } from './records';

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

/** Sub-windows per sliding window: the sliding policy may refuse up to windowSeconds/SUBWINDOWS early. */
export const SUBWINDOWS = 10;

/** The windows a moment falls in (fixed rate window, UTC day, UTC month). Ids are what the item stores; resets are epoch seconds. */
export interface Windows {
  readonly rateStart: number;
  readonly rateReset: number;
  readonly day: string;
  readonly dayReset: number;
  readonly month: string;
  readonly monthReset: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function windowsAt(now: Date, windowSeconds = 1): Windows {
  const sec = Math.floor(now.getTime() / 1000);
  const rateStart = sec - (sec % windowSeconds);
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  return {
    rateStart,
    rateReset: rateStart + windowSeconds,
    day: `${y}${pad(m + 1)}${pad(d)}`,
    dayReset: Date.UTC(y, m, d + 1) / 1000,
    month: `${y}${pad(m + 1)}`,
    monthReset: Date.UTC(y, m + 1, 1) / 1000,
  };
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
 * What the counter item holds (absent = never counted). Each limit owns its attributes:
 *   fixed        rw window start (epoch s), ws window length, rc count
 *   sliding      sb current sub-window index, sg sub-window length (ms), sc its count,
 *                sl the SUBWINDOWS previous sub-windows' counts (oldest first), sh their sum
 *   tokenBucket  tk shape `limit/windowSeconds/burst`, tb base (epoch ms of a UTC day start),
 *                tt theoretical arrival time in ticks of 1/limit ms after tb
 *   daily        dw day `YYYYMMDD`, dc count;   monthly  mw month `YYYYMM`, mc count
 */
export interface CounterState {
  readonly rw?: number;
  readonly ws?: number;
  readonly rc?: number;
  readonly sb?: number;
  readonly sg?: number;
  readonly sc?: number;
  readonly sh?: number;
  readonly sl?: readonly number[];
  readonly tk?: string;
  readonly tb?: number;
  readonly tt?: number;
  readonly dw?: string;
  readonly dc?: number;
  readonly mw?: string;
  readonly mc?: number;
  readonly ttl?: number;
}

type AttrValue = number | string | readonly number[];

/** A condition on the item; `any` holds when one of its members does. */
export type Cond =
  | { readonly attr: keyof CounterState; readonly cmp: '=' | '<' | '<=' | '>='; readonly value: number | string }
  | { readonly attr: keyof CounterState; readonly absent: true }
  | { readonly any: readonly Cond[] };

/**
 * One conditional UpdateItem, decided here: SET `set`, ADD `add`, if every condition in `when`
 * holds. The adapter answers with the item (CounterWriteOutcome).
 */
export interface CounterWrite {
  readonly when: readonly Cond[];
  readonly set: Readonly<Partial<Record<keyof CounterState, AttrValue>>>;
  readonly add: Readonly<Partial<Record<keyof CounterState, number>>>;
}

/** The item after a write that applied, or the item as it was when the write's condition failed. */
export type CounterWriteOutcome = { readonly ok: true; readonly item: CounterState } | { readonly ok: false; readonly current: CounterState | undefined };

export type CounterStep = { readonly done: LimitResult } | { readonly write: CounterWrite };

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
  /** Token bucket only: units refilled per `windowSeconds` (the configured `limit`). */
  readonly refill?: number;
}

export interface LimitResult {
  readonly admitted: boolean;
  /**
   * Refused results only: epoch ms from which the same request could be admitted, if nothing
   * more is counted (the latest of the blocking limits; the un-rounded retryAt). A container
   * may refuse the same request without a write until then (core/refusal-cache.ts).
   */
  readonly retryAtMs?: number;
  /** The limit that refused the request (the latest-retrying one when several did). */
  readonly blocking?: LimitName;
  readonly rate?: RateStatus;
  readonly daily?: LimitStatus;
  readonly monthly?: LimitStatus;
}

/** A limit's write part for one request. */
interface Part {
  readonly when: Cond[];
  readonly set: Partial<Record<keyof CounterState, AttrValue>>;
  readonly add: Partial<Record<keyof CounterState, number>>;
}

/** One limit of a plan: how it reads the item at a moment, and the part of the write it needs. */
interface Counter<S extends LimitStatus = LimitStatus> {
  readonly name: LimitName;
  /** Whether a request of `cost` at `t` (epoch ms) fits, reading `s` as the item's true state. */
  fits(s: CounterState | undefined, t: number, cost: number): boolean;
  /** The conditions and updates that count `cost` at `t`, given `s` as the item was last seen. */
  part(s: CounterState | undefined, t: number, cost: number): Part;
  /** The limit's numbers in `s` at `t`, for a next request of `cost`. */
  status(s: CounterState | undefined, t: number, cost: number): S;
  /** Epoch ms from which a request of `cost` fits `s` if nothing more is counted (`t` when it fits now; Infinity: never). */
  fitsAtMs(s: CounterState | undefined, t: number, cost: number): number;
}

const ceilSec = (ms: number) => Math.ceil(ms / 1000);
const eq = (attr: keyof CounterState, value: number | string): Cond => ({ attr, cmp: '=', value });

function mkStatus(limit: number, used: number, resetAt: number, t: number, cost: number, retryAtIfFull: number): LimitStatus {
  const remaining = Math.max(0, limit - used);
  return { limit, used, remaining, resetAt, retryAt: remaining >= cost ? Math.min(ceilSec(t), resetAt) : retryAtIfFull };
}

/**
 * A counter of calendar or epoch-aligned windows: a window id attribute and a count attribute,
 * plus (fixed rate windows) a shape attribute holding the window length.
 */
function windowCounter(o: {
  name: LimitName;
  win: 'rw' | 'dw' | 'mw';
  count: 'rc' | 'dc' | 'mc';
  limit: number;
  idAt: (t: number) => number | string;
  endOf: (id: number | string) => number;
  shape?: { attr: 'ws'; value: number };
}): Counter {
  type View = { mode: 'inc' | 'roll' | 'fresh' | 'reshape'; id: number | string; count: number };
  const view = (s: CounterState | undefined, t: number): View => {
    const now = o.idAt(t);
    const sid = s?.[o.win] as number | string | undefined;
    const sc = (s?.[o.count] as number | undefined) ?? 0;
    if (sid === undefined) return { mode: 'fresh', id: now, count: 0 };
    const shapeOk = !o.shape || s?.[o.shape.attr] === o.shape.value;
    if (shapeOk) return sid >= now ? { mode: 'inc', id: sid, count: sc } : { mode: 'roll', id: now, count: 0 };
    // Window length changed: the units counted in a window still open at t carry over.
    const oldEnd = (sid as number) + ((s?.[o.shape!.attr] as number | undefined) ?? 0);
    const id = Math.max(now as number, sid as number);
    return { mode: 'reshape', id, count: oldEnd * 1000 > t ? sc : 0 };
  };
  return {
    name: o.name,
    fits: (s, t, cost) => view(s, t).count + cost <= o.limit,
    part(s, t, cost) {
      const v = view(s, t);
      const shape = o.shape ? { [o.shape.attr]: o.shape.value } : {};
      switch (v.mode) {
        case 'inc':
          return {
            when: [eq(o.win, v.id), ...(o.shape ? [eq(o.shape.attr, o.shape.value)] : []), { attr: o.count, cmp: '<=', value: o.limit - cost }],
            set: {},
            add: { [o.count]: cost },
          };
        case 'fresh':
          return { when: [{ attr: o.win, absent: true }], set: { [o.win]: v.id, [o.count]: cost, ...shape }, add: {} };
        case 'roll':
          return { when: [{ attr: o.win, cmp: '<', value: v.id }], set: { [o.win]: v.id, [o.count]: cost, ...shape }, add: {} };
        case 'reshape':
          return {
            when: [eq(o.win, s![o.win] as number), eq(o.shape!.attr, s![o.shape!.attr] as number), eq(o.count, (s![o.count] as number | undefined) ?? 0)],
            set: { [o.win]: v.id, [o.count]: v.count + cost, ...shape },
            add: {},
          };
      }
    },
    status(s, t, cost) {
      const v = view(s, t);
      const end = o.endOf(v.id);
      return mkStatus(o.limit, v.count, end, t, cost, end);
    },
    fitsAtMs(s, t, cost) {
      const v = view(s, t);
      if (v.count + cost <= o.limit) return t;
      return cost > o.limit ? Number.POSITIVE_INFINITY : o.endOf(v.id) * 1000;
    },
  };
}

function fixedCounter(r: RateLimit): Counter<RateStatus> {
  const W = r.windowSeconds;
  const base = windowCounter({
    name: 'rate',
    win: 'rw',
    count: 'rc',
    limit: r.limit,
    idAt: (t) => {
      const sec = Math.floor(t / 1000);
      return sec - (sec % W);
    },
    endOf: (id) => (id as number) + W,
    shape: { attr: 'ws', value: W },
  });
  return {
    ...base,
    status(s, t, cost) {
      const st = base.status(s, t, cost);
      return { ...st, policy: 'fixed', windowSeconds: W, windowStart: st.resetAt - W };
    },
  };
}

/**
 * Sliding window on SUBWINDOWS sub-windows of g = windowSeconds·1000/SUBWINDOWS ms. A request in
 * sub-window b is admitted when the counts of sub-windows b−SUBWINDOWS … b, plus its cost, fit
 * the limit. Those sub-windows cover at least the last windowSeconds before the request, so no
 * windowSeconds-long interval ever holds more than `limit` admissions; the price is that units
 * are forgotten up to one sub-window late.
 */
function slidingCounter(r: RateLimit): Counter<RateStatus> {
  const W = r.windowSeconds;
  const L = r.limit;
  const g = W * (1000 / SUBWINDOWS);
  const K = SUBWINDOWS;
  const zeros = (): number[] => new Array<number>(K).fill(0);
  type View = { mode: 'inc' | 'roll' | 'fresh' | 'reshape'; id: number; hist: number[]; cur: number };
  const view = (s: CounterState | undefined, t: number): View => {
    const b = Math.floor(t / g);
    if (s?.sb === undefined) return { mode: 'fresh', id: b, hist: zeros(), cur: 0 };
    const hist = s.sl ? [...s.sl] : zeros();
    const cur = s.sc ?? 0;
    if (s.sg !== g) {
      // Sub-window length changed: everything counted stays counted, as the newest history.
      const carried = hist.reduce((a, n) => a + n, 0) + cur;
      const h = zeros();
      h[K - 1] = carried;
      return { mode: 'reshape', id: b, hist: h, cur: 0 };
    }
    if (s.sb >= b) return { mode: 'inc', id: s.sb, hist, cur };
    const shift = b - s.sb;
    const moved = shift > K ? zeros() : [...hist, cur, ...new Array<number>(shift - 1).fill(0)].slice(-K);
    return { mode: 'roll', id: b, hist: moved, cur: 0 };
  };
  const sum = (h: readonly number[]) => h.reduce((a, n) => a + n, 0);
  /** When `cost` fits: sub-window v.id − K + i stops counting when sub-window v.id + i + 1 begins. */
  const fitsAt = (v: View, t: number, cost: number): number => {
    const counts = [...v.hist, v.cur];
    let total = sum(counts);
    if (total + cost <= L) return t;
    if (cost > L) return Number.POSITIVE_INFINITY;
    for (let i = 0; i < counts.length; i++) {
      total -= counts[i]!;
      if (total + cost <= L) return Math.max(t, (v.id + i + 1) * g);
    }
    return Math.max(t, (v.id + K + 1) * g);
  };
  return {
    name: 'rate',
    fitsAtMs: (s, t, cost) => fitsAt(view(s, t), t, cost),
    fits: (s, t, cost) => {
      const v = view(s, t);
      return sum(v.hist) + v.cur + cost <= L;
    },
    part(s, t, cost) {
      const v = view(s, t);
      const h = sum(v.hist);
      if (v.mode === 'inc') {
        return { when: [eq('sb', v.id), eq('sg', g), eq('sh', h), { attr: 'sc', cmp: '<=', value: L - cost - h }], set: {}, add: { sc: cost } };
      }
      const set = { sb: v.id, sg: g, sc: cost, sl: v.hist, sh: h };
      if (v.mode === 'fresh') return { when: [{ attr: 'sb', absent: true }], set, add: {} };
      // roll / reshape: the item must still hold exactly the state the new one was computed from.
      const when: Cond[] = [eq('sb', s!.sb!), eq('sg', s!.sg!), s!.sc === undefined ? { attr: 'sc', absent: true } : eq('sc', s!.sc)];
      return { when, set, add: {} };
    },
    status(s, t, cost) {
      const v = view(s, t);
      // counts[i] is sub-window v.id − K + i; the last one is the current sub-window.
      const counts = [...v.hist, v.cur];
      const used = sum(counts);
      const nowSec = ceilSec(t);
      let last = -1;
      counts.forEach((n, i) => {
        if (n > 0) last = i;
      });
      // Sub-window j stops counting when sub-window j + K + 1 begins.
      const resetAt = last < 0 ? nowSec : Math.max(nowSec, ceilSec((v.id + last + 1) * g));
      const fit = fitsAt(v, t, cost);
      const retryAt = fit === t ? Math.min(nowSec, resetAt) : Number.isFinite(fit) ? ceilSec(fit) : resetAt;
      return {
        limit: L,
        used,
        remaining: Math.max(0, L - used),
        resetAt,
        retryAt: Math.min(retryAt, resetAt),
        policy: 'sliding',
        windowSeconds: W,
        windowStart: ((v.id - K) * g) / 1000,
      };
    },
  };
}

/** Epoch ms of the start of the UTC day of `t`. */
const dayStartMs = (t: number) => t - (((t % 86_400_000) + 86_400_000) % 86_400_000);

/**
 * Token bucket as GCRA on one attribute: `tt` is the theoretical arrival time, in ticks of
 * 1/limit ms after the base `tb` (so one unit is exactly windowSeconds·1000 ticks and numbers
 * stay integers). A request of `cost` at tick `n` is admitted when max(tt, n) + cost·T ≤ n + burst·T.
 * A busy bucket (tt ≥ n) takes an ADD; an idle one a SET; a new UTC day or a changed shape
 * re-bases with a compare-and-set. The base moves daily so ticks stay far below 2^53.
 */
function tokenBucketCounter(r: RateLimit): Counter<RateStatus> {
  const L = r.limit;
  const W = r.windowSeconds;
  const B = r.burst ?? r.limit;
  const T = W * 1000;
  const shape = `${L}/${W}/${B}`;
  type View = { mode: 'busy' | 'idle' | 'fresh' | 'reshape'; base: number; n: number; tat: number };
  const view = (s: CounterState | undefined, t: number): View => {
    const today = dayStartMs(t);
    if (s?.tt === undefined || s.tb === undefined || s.tk === undefined) return { mode: 'fresh', base: today, n: (t - today) * L, tat: (t - today) * L };
    if (s.tk === shape && s.tb >= today) {
      const n = (t - s.tb) * L;
      return s.tt >= n ? { mode: 'busy', base: s.tb, n, tat: s.tt } : { mode: 'idle', base: s.tb, n, tat: n };
    }
    // Convert the stored arrival time to this shape and base, rounding up (never in the caller's favour).
    const oldL = Number(s.tk.split('/')[0]) || L;
    const base = Math.max(today, s.tb);
    const n = (t - base) * L;
    const converted = oldL === L ? s.tt + (s.tb - base) * L : Math.ceil((s.tb - base + s.tt / oldL) * L);
    return { mode: 'reshape', base, n, tat: Math.max(n, converted) };
  };
  return {
    name: 'rate',
    fits: (s, t, cost) => {
      const v = view(s, t);
      return v.tat + cost * T - v.n <= B * T;
    },
    fitsAtMs(s, t, cost) {
      const v = view(s, t);
      if (v.tat + cost * T - v.n <= B * T) return t;
      return cost > B ? Number.POSITIVE_INFINITY : Math.max(t, Math.ceil(v.base + (v.tat + cost * T - B * T) / L));
    },
    part(s, t, cost) {
      const v = view(s, t);
      switch (v.mode) {
        case 'busy':
          return {
            when: [eq('tk', shape), eq('tb', v.base), { attr: 'tt', cmp: '>=', value: v.n }, { attr: 'tt', cmp: '<=', value: v.n + (B - cost) * T }],
            set: {},
            add: { tt: cost * T },
          };
        case 'idle':
          return { when: [eq('tk', shape), eq('tb', v.base), { attr: 'tt', cmp: '<', value: v.n }], set: { tt: v.n + cost * T }, add: {} };
        case 'fresh':
          return { when: [{ attr: 'tt', absent: true }], set: { tk: shape, tb: v.base, tt: v.tat + cost * T }, add: {} };
        case 'reshape':
          return { when: [eq('tk', s!.tk!), eq('tb', s!.tb!), eq('tt', s!.tt!)], set: { tk: shape, tb: v.base, tt: v.tat + cost * T }, add: {} };
      }
    },
    status(s, t, cost) {
      const v = view(s, t);
      const remaining = Math.max(0, Math.min(B, Math.floor((v.n + B * T - v.tat) / T)));
      const fullAt = ceilSec(v.base + v.tat / L);
      const fitsAt = ceilSec(v.base + (v.tat + cost * T - B * T) / L);
      const nowSec = ceilSec(t);
      const resetAt = Math.max(nowSec, fullAt);
      const retryAt = remaining >= cost ? Math.min(nowSec, resetAt) : Math.min(resetAt, Math.max(nowSec, fitsAt));
      return { limit: B, used: B - remaining, remaining, resetAt, retryAt, policy: 'tokenBucket', windowSeconds: W, windowStart: resetAt - W, burst: B, refill: L };
    },
  };
}

function rateCounter(r: RateLimit): Counter<RateStatus> {
  switch (ratePolicyOf(r)) {
    case 'sliding':
      return slidingCounter(r);
    case 'tokenBucket':
      return tokenBucketCounter(r);
    default:
      return fixedCounter(r);
  }
}

const dayId = (t: number) => windowsAt(new Date(t)).day;
const monthId = (t: number) => windowsAt(new Date(t)).month;

interface Counters {
  readonly rate?: Counter<RateStatus>;
  readonly daily?: Counter;
  readonly monthly?: Counter;
  readonly all: readonly Counter[];
}

/**
 * Counters are built once per RateLimit and Quota object: plans are rebuilt per request, but
 * their members come from the cached key record (or the deployment default), so they are stable.
 */
const rateCounters = new WeakMap<RateLimit, Counter<RateStatus>>();
const quotaCounters = new WeakMap<Quota, { daily?: Counter; monthly?: Counter }>();

function countersOf(plan: LimitPlan): Counters {
  let rate: Counter<RateStatus> | undefined;
  if (plan.rateLimit) {
    rate = rateCounters.get(plan.rateLimit);
    if (!rate) rateCounters.set(plan.rateLimit, (rate = rateCounter(plan.rateLimit)));
  }
  let q: { daily?: Counter; monthly?: Counter } | undefined;
  if (plan.quota) {
    q = quotaCounters.get(plan.quota);
    if (!q) {
      const { daily, monthly } = plan.quota;
      q = {
        ...(daily !== undefined ? { daily: windowCounter({ name: 'daily', win: 'dw', count: 'dc', limit: daily, idAt: dayId, endOf: (id) => dayEnd(id as string) }) } : {}),
        ...(monthly !== undefined
          ? { monthly: windowCounter({ name: 'monthly', win: 'mw', count: 'mc', limit: monthly, idAt: monthId, endOf: (id) => monthEnd(id as string) }) }
          : {}),
      };
      quotaCounters.set(plan.quota, q);
    }
  }
  const all: Counter[] = [];
  if (rate) all.push(rate);
  if (q?.daily) all.push(q.daily);
  if (q?.monthly) all.push(q.monthly);
  return { ...(rate ? { rate } : {}), ...(q?.daily ? { daily: q.daily } : {}), ...(q?.monthly ? { monthly: q.monthly } : {}), all };
}

/** The counter item expires (TTL) a while after the month it counts, so idle keys leave nothing behind. */
export function counterTtl(w: Windows): number {
  return w.monthReset + 35 * 86400;
}

/**
 * A write whose condition never holds: it changes nothing and returns the item. Sent instead of
 * a counting write when the item as last seen would refuse the request, because a roll or
 * reshape part is a compare-and-set that would otherwise apply without checking the limit. The
 * refusal it leads to costs one write, like a failed increment.
 */
const PROBE: CounterWrite = { when: [{ attr: 'ttl', cmp: '<', value: -1 }], set: { ttl: -1 }, add: {} };

/** The write counting `cost` at `t`, given the item as last seen (`seen`; undefined = not known or no item). */
function writeFor(c: Counters, seen: CounterState | undefined, t: number, cost: number): CounterWrite {
  if (!c.all.every((k) => k.fits(seen, t, cost))) return PROBE;
  const when: Cond[] = [];
  const set: Partial<Record<keyof CounterState, AttrValue>> = {};
  const add: Partial<Record<keyof CounterState, number>> = {};
  for (const counter of c.all) {
    const p = counter.part(seen, t, cost);
    when.push(...p.when);
    Object.assign(set, p.set);
    Object.assign(add, p.add);
  }
  // Any write that sets a window also refreshes the item's expiry.
  if (Object.keys(set).length > 0) set.ttl = counterTtl(windowsAt(new Date(t)));
  return { when, set, add };
}

/** The decision's numbers, read from `s` (the item after the write, or as it was for a refusal). */
function resultFrom(c: Counters, s: CounterState | undefined, t: number, cost: number, blocking: readonly LimitName[]): LimitResult {
  const rate = c.rate?.status(s, t, cost);
  const daily = c.daily?.status(s, t, cost);
  const monthly = c.monthly?.status(s, t, cost);
  const retry: Record<LimitName, number> = { rate: rate?.retryAt ?? 0, daily: daily?.retryAt ?? 0, monthly: monthly?.retryAt ?? 0 };
  const decisive = [...blocking].sort((a, b) => retry[b] - retry[a])[0];
  let retryAtMs: number | undefined;
  for (const counter of c.all) if (blocking.includes(counter.name)) retryAtMs = Math.max(retryAtMs ?? t, counter.fitsAtMs(s, t, cost));
  return {
    admitted: blocking.length === 0,
    ...(retryAtMs !== undefined ? { retryAtMs } : {}),
    ...(decisive ? { blocking: decisive } : {}),
    ...(rate ? { rate } : {}),
    ...(daily ? { daily } : {}),
    ...(monthly ? { monthly } : {}),
  };
}

/**
 * The first write for a request at `now` costing `cost` units (a route's `cost`, default 1).
 * `seen` is the item as this container last saw it (a hint: only the choice of write depends on
 * it, never the decision), or undefined.
 */
export function firstCounterWrite(plan: LimitPlan, now: Date, cost = 1, seen?: CounterState): CounterWrite {
  return writeFor(countersOf(plan), seen, now.getTime(), cost);
}

/**
 * What follows a write's outcome: the decision, or the next write. A write that applied admits
 * the request, with the numbers of the item it returned. After a failed condition, the returned
 * item is the truth: a limit that does not fit refuses (with no further write), otherwise the
 * write is decided again from that item.
 */
export function nextCounterStep(plan: LimitPlan, now: Date, cost: number, outcome: CounterWriteOutcome): CounterStep {
  return stepFrom(countersOf(plan), now.getTime(), cost, outcome);
}

function stepFrom(c: Counters, t: number, cost: number, outcome: CounterWriteOutcome): CounterStep {
  if (outcome.ok) return { done: resultFrom(c, outcome.item, t, cost, []) };
  const blocking = c.all.filter((k) => !k.fits(outcome.current, t, cost)).map((k) => k.name);
  if (blocking.length > 0) return { done: resultFrom(c, outcome.current, t, cost, blocking) };
  return { write: writeFor(c, outcome.current, t, cost) };
}

/** A lost race costs one more write; after this many, the request fails closed (503). */
export const MAX_COUNTER_WRITES = 8;

/**
 * Decides one request with as many conditional writes as it takes (one in steady state):
 * `execute` performs a write and answers with the item (the adapter's only job).
 */
export async function decideWithWrites(
  plan: LimitPlan,
  now: Date,
  cost: number,
  seen: CounterState | undefined,
  execute: (write: CounterWrite) => Promise<CounterWriteOutcome>,
): Promise<LimitResult> {
  // The plan's counters are looked up once per request, not once per step.
  const c = countersOf(plan);
  const t = now.getTime();
  let step: CounterStep = { write: writeFor(c, seen, t, cost) };
  for (let writes = 0; writes < MAX_COUNTER_WRITES && 'write' in step; writes++) step = stepFrom(c, t, cost, await execute(step.write));
  if ('done' in step) return step.done;
  throw new DependencyError('counter contention: too many concurrent window resets', true);
}

/** The numbers a stored item shows at `now`, without counting anything (the usage endpoint). */
export function countsAt(plan: LimitPlan, state: CounterState | undefined, now: Date): LimitResult {
  return resultFrom(countersOf(plan), state, now.getTime(), 1, []);
}

/**
 * Gives back `units` a decision `taken` counted (a hot key's unused lease): one write per
 * counter, each conditional on the counter still being in the window (fixed, daily, monthly) or
 * sub-window (sliding) `taken` counted in, and holding at least `units`. Token buckets are not
 * leased, so they have nothing to give back.
 */
export function releaseWrites(plan: LimitPlan, taken: LimitResult, units: number): CounterWrite[] {
  const out: CounterWrite[] = [];
  const give = (win: keyof CounterState, id: number | string, count: keyof CounterState, extra: Cond[] = []) =>
    out.push({ when: [eq(win, id), ...extra, { attr: count, cmp: '>=', value: units }], set: {}, add: { [count]: -units } });
  const r = taken.rate;
  if (plan.rateLimit && r) {
    if (r.policy === 'fixed') give('rw', r.windowStart, 'rc', [eq('ws', r.windowSeconds)]);
    else if (r.policy === 'sliding') {
      const g = r.windowSeconds * (1000 / SUBWINDOWS);
      give('sb', Math.round((r.windowStart * 1000) / g) + SUBWINDOWS, 'sc', [eq('sg', g)]);
    }
  }
  if (plan.quota?.daily !== undefined && taken.daily) give('dw', dayId((taken.daily.resetAt - 1) * 1000), 'dc');
  if (plan.quota?.monthly !== undefined && taken.monthly) give('mw', monthId((taken.monthly.resetAt - 1) * 1000), 'mc');
  return out;
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
    if (rate.policy === 'sliding') {
      const g = rate.windowSeconds * (1000 / SUBWINDOWS);
      until = Math.min(until, (Math.round((rate.windowStart * 1000) / g) + SUBWINDOWS + 1) * g);
    } else until = Math.min(until, (rate.windowStart + rate.windowSeconds) * 1000);
  }
  if (result.daily) until = Math.min(until, result.daily.resetAt * 1000);
  if (result.monthly) until = Math.min(until, result.monthly.resetAt * 1000);
  return Number.isFinite(until) ? until : undefined;
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

export interface Counts {
  readonly rate: number;
  readonly daily: number;
  readonly monthly: number;
}

/**
 * A result from plain fixed-window counts (tests and callers that build results by hand): the
 * fixed rate window and the quotas of `w`, with `counts` used.
 */
export function limitResult(plan: LimitPlan, counts: Counts, w: Windows, blocking: readonly LimitName[]): LimitResult {
  const t = (w.rateReset - (plan.rateLimit?.windowSeconds ?? 1)) * 1000;
  const status = (limit: number, used: number, resetAt: number) => mkStatus(limit, used, resetAt, t, 1, resetAt);
  const resets: Record<LimitName, number> = { rate: w.rateReset, daily: w.dayReset, monthly: w.monthReset };
  const decisive = [...blocking].sort((a, b) => resets[b] - resets[a])[0];
  return {
    admitted: blocking.length === 0,
    ...(decisive ? { blocking: decisive } : {}),
    ...(plan.rateLimit
      ? {
          rate: {
            ...status(plan.rateLimit.limit, counts.rate, w.rateReset),
            policy: 'fixed' as const,
            windowSeconds: plan.rateLimit.windowSeconds,
            windowStart: w.rateStart,
          },
        }
      : {}),
    ...(plan.quota?.daily !== undefined ? { daily: status(plan.quota.daily, counts.daily, w.dayReset) } : {}),
    ...(plan.quota?.monthly !== undefined ? { monthly: status(plan.quota.monthly, counts.monthly, w.monthReset) } : {}),
  };
}
