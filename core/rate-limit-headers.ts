/**
 * The rate-limit numbers a response carries, defined once for the authorizer context, the 429
 * gateway response, the local gateway, the backend middleware, upstream request headers and the
 * OpenAPI document (docs/rate-limiting.md#response-headers):
 *
 *   RateLimit-Policy  the key's limits, one item per limit (IETF draft-ietf-httpapi-ratelimit-headers-11)
 *   RateLimit         what is left of each and when (same draft)
 *   X-RateLimit-*     the headline limit's numbers, as before
 *   Retry-After       on a refusal: seconds until every limit that refused fits the request again
 *
 * The values are computed here, in the authorizer, and travel as flat context strings (API
 * Gateway allows only flat string, number and boolean values), so every reader maps them to
 * headers without recomputing anything. The authorizer is the hot path: strings are built by
 * concatenation, with no Structured Fields library.
 */
import { headlineStatus, type LimitName, type LimitResult, type LimitStatus, type RateStatus } from './limits';

/** Authorizer context keys carrying the rate-limit values (flat values, as API Gateway requires). */
export const RATE_LIMIT_CONTEXT = {
  limit: 'rateLimitLimit',
  remaining: 'rateLimitRemaining',
  reset: 'rateLimitReset',
  retryAfter: 'retryAfter',
  /** The `RateLimit-Policy` field value. */
  policy: 'rateLimitPolicy',
  /** The `RateLimit` field value. */
  state: 'rateLimitState',
} as const;

/**
 * Response header → context key, for admitted responses (backend middleware) and the upstream
 * request of an operator route.
 */
export const RATE_LIMIT_HEADERS: Readonly<Record<string, string>> = {
  'X-RateLimit-Limit': RATE_LIMIT_CONTEXT.limit,
  'X-RateLimit-Remaining': RATE_LIMIT_CONTEXT.remaining,
  'X-RateLimit-Reset': RATE_LIMIT_CONTEXT.reset,
  'RateLimit-Policy': RATE_LIMIT_CONTEXT.policy,
  RateLimit: RATE_LIMIT_CONTEXT.state,
};

/**
 * Context values that contain `"` (Structured Field strings). API Gateway substitutes
 * `$context.authorizer.*` into a body template without escaping, so these travel as headers only,
 * never in a gateway response body (the 429 body carries the headline numbers instead).
 */
export const QUOTED_CONTEXT_KEYS: readonly string[] = [RATE_LIMIT_CONTEXT.policy, RATE_LIMIT_CONTEXT.state];

/** The same plus Retry-After, for the 429 gateway response. */
export const LIMITED_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'Retry-After': RATE_LIMIT_CONTEXT.retryAfter,
  ...RATE_LIMIT_HEADERS,
};

/**
 * The policy id of each limit in `RateLimit-Policy` and `RateLimit` (an sf-string, quoted on the
 * wire). Stable: clients match the two fields by it, and a 429's `code` names the same limit.
 */
export const RATE_LIMIT_POLICY_IDS: Readonly<Record<LimitName, string>> = { rate: 'rate', daily: 'daily', monthly: 'monthly' };

/** Vendor parameter naming how the rate limit counts (`fixed`, `sliding`, `tokenBucket`). */
export const POLICY_PARAMETER = 'keygate-policy';

/**
 * A token bucket's status may also say how fast it refills: `refill` units per `windowSeconds`
 * (the configured `limit`; `limit` of the status is the bucket's capacity, `burst`). Without it,
 * the capacity is taken as the refill (`burst` = `limit`, the default).
 */
type TokenBucketStatus = RateStatus & { readonly refill?: number };

/** The header values for one decision. */
export interface RateLimitFields {
  /** `RateLimit-Policy`: one item per limit, e.g. `"rate";q=100;w=60;keygate-policy="fixed", "daily";q=5000;w=86400`. */
  readonly policy: string;
  /** `RateLimit`: one item per limit, e.g. `"rate";r=99;t=42, "daily";r=4999;t=51234`. */
  readonly state: string;
  /** Seconds (≥ 1) until every limit that refused the request fits it again; only on a refusal. */
  readonly retryAfter?: number;
}

/**
 * `RateLimit-Policy`, `RateLimit` and `Retry-After` for a decision at `now` on a request costing
 * `cost` units, or undefined when no limit applies.
 *
 * - A limit refused the request when it is the result's `blocking` limit or has fewer than `cost`
 *   units left (several can refuse at once; the result names only the one that resets last).
 * - `t` is the seconds until `resetAt` (the limit back to full), except for a limit that refused:
 *   seconds until its `retryAt` (the earliest moment a request of this cost fits it again).
 * - `Retry-After` is the largest `t` of the limits that refused, at least 1: never earlier than
 *   any of them announces, so a client that waits it is not refused by these limits again
 *   (unless other requests spend the allowance meanwhile).
 */
export function rateLimitFields(r: LimitResult, now: Date, cost = 1): RateLimitFields | undefined {
  const nowSec = now.getTime() / 1000;
  let policy = '';
  let state = '';
  let wait = -1;
  let refusedAny = false;
  const add = (name: LimitName, s: LimitStatus | undefined, w: number, extra: string): void => {
    if (!s) return;
    const refused = !r.admitted && (r.blocking === name || s.remaining < cost);
    const t = secondsUntil(refused ? s.retryAt : s.resetAt, nowSec);
    if (refused) {
      refusedAny = true;
      if (t > wait) wait = t;
    }
    const sep = policy === '' ? '' : ', ';
    const id = RATE_LIMIT_POLICY_IDS[name];
    policy += sep + '"' + id + '";q=' + whole(s.limit) + ';w=' + w + extra;
    state += sep + '"' + id + '";r=' + whole(s.remaining) + ';t=' + t;
  };
  const rate = r.rate;
  if (rate) add('rate', rate, rateWindow(rate), ';' + POLICY_PARAMETER + '="' + rate.policy + '"');
  if (r.daily) add('daily', r.daily, 86400, '');
  if (r.monthly) add('monthly', r.monthly, monthLength(r.monthly.resetAt), '');
  if (policy === '') return undefined;
  if (r.admitted) return { policy, state };
  // A refusal the limits do not explain (never expected): wait for the latest of them, never less.
  if (!refusedAny) for (const s of [r.rate, r.daily, r.monthly]) if (s) wait = Math.max(wait, secondsUntil(s.retryAt, nowSec));
  return { policy, state, retryAfter: Math.max(1, wait) };
}

/**
 * The `w` of the rate limit: its window; for a token bucket, the seconds to refill a full bucket
 * (`burst` × `windowSeconds` / `limit`, rounded up), so `q` is the burst and `q`/`w` the sustained
 * rate (never above the true one).
 */
function rateWindow(rate: RateStatus): number {
  if (rate.policy !== 'tokenBucket') return Math.max(1, Math.ceil(rate.windowSeconds));
  const refill = (rate as TokenBucketStatus).refill ?? rate.limit;
  if (!(refill > 0)) return Math.max(1, Math.ceil(rate.windowSeconds));
  return Math.max(1, Math.ceil((rate.limit * rate.windowSeconds) / refill));
}

// The month's length changes once a month: remembered, so the hot path builds no Date for it.
let lastMonthEnd = NaN;
let lastMonthLength = 0;

/** Seconds in the UTC calendar month that ends at `resetAt` (epoch seconds of the 1st, 00:00 UTC). */
function monthLength(resetAt: number): number {
  if (resetAt !== lastMonthEnd) {
    const end = new Date(resetAt * 1000);
    lastMonthLength = resetAt - Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1) / 1000;
    lastMonthEnd = resetAt;
  }
  return lastMonthLength;
}

/** An sf-integer ≥ 0 (counts are whole already; a fractional estimate is rounded down). */
function whole(n: number): number {
  return n > 0 ? Math.floor(n) : 0;
}

/** Whole seconds from `nowSec` until `at` (epoch seconds), rounded up: never early, ≥ 0. */
function secondsUntil(at: number, nowSec: number): number {
  return at > nowSec ? Math.ceil(at - nowSec) : 0;
}

/**
 * The context values for a decision: the headline limit's numbers (X-RateLimit-*), the IETF
 * fields and, on a refusal, Retry-After; nothing when no limit applies. `cost` is the request's
 * cost (the route's), which decides which limits refused it.
 */
export function rateLimitContext(r: LimitResult | undefined, now: Date, cost = 1): Record<string, number | string> {
  const s = r ? headlineStatus(r) : undefined;
  const fields = r ? rateLimitFields(r, now, cost) : undefined;
  if (!s || !fields) return {};
  const out: Record<string, number | string> = {
    [RATE_LIMIT_CONTEXT.limit]: whole(s.limit),
    [RATE_LIMIT_CONTEXT.remaining]: whole(s.remaining),
    [RATE_LIMIT_CONTEXT.reset]: s.resetAt,
    [RATE_LIMIT_CONTEXT.policy]: fields.policy,
    [RATE_LIMIT_CONTEXT.state]: fields.state,
  };
  if (fields.retryAfter !== undefined) out[RATE_LIMIT_CONTEXT.retryAfter] = fields.retryAfter;
  return out;
}
