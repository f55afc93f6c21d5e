/**
 * The rate-limit numbers a response carries, defined once for the authorizer context, the 429
 * gateway response, the local gateway, the backend middleware and the OpenAPI document
 * (docs/rate-limiting.md#response-headers).
 */
import { headlineStatus, type LimitResult, type LimitStatus } from './limits';

/** Authorizer context keys carrying the headline limit (flat values, as API Gateway requires). */
export const RATE_LIMIT_CONTEXT = {
  limit: 'rateLimitLimit',
  remaining: 'rateLimitRemaining',
  reset: 'rateLimitReset',
  retryAfter: 'retryAfter',
} as const;

/** Response header → context key, for successful responses (backend middleware). */
export const RATE_LIMIT_HEADERS: Readonly<Record<string, string>> = {
  'X-RateLimit-Limit': RATE_LIMIT_CONTEXT.limit,
  'X-RateLimit-Remaining': RATE_LIMIT_CONTEXT.remaining,
  'X-RateLimit-Reset': RATE_LIMIT_CONTEXT.reset,
};

/** The same plus Retry-After, for the 429 gateway response. */
export const LIMITED_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'Retry-After': RATE_LIMIT_CONTEXT.retryAfter,
  ...RATE_LIMIT_HEADERS,
};

/** The context values for a result: the headline limit's numbers, or nothing when no limit applies. */
export function rateLimitContext(r: LimitResult | undefined, now: Date): Record<string, number> {
  const s = r ? headlineStatus(r) : undefined;
  if (!s) return {};
  return {
    [RATE_LIMIT_CONTEXT.limit]: s.limit,
    [RATE_LIMIT_CONTEXT.remaining]: s.remaining,
    [RATE_LIMIT_CONTEXT.reset]: s.resetAt,
    [RATE_LIMIT_CONTEXT.retryAfter]: secondsUntil(s, now),
  };
}

function secondsUntil(s: LimitStatus, now: Date): number {
  return Math.max(1, Math.ceil(s.resetAt - now.getTime() / 1000));
}

