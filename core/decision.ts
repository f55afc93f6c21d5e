/**
 * The verification decision: one pure function shared by the authorizer, the local stack
 * and any later verify endpoint. Outcomes are data; only the edge maps them to HTTP.
 */
import { ipAllowed } from './cidr';
import type { LimitResult } from './limits';
import type { ProblemCode } from './problem-codes';
import type { AuthzRecord } from './records';
import { missingScopes } from './scopes';

export type VerificationOutcome =
  | { readonly code: 'VALID'; readonly key: AuthzRecord; readonly limits?: LimitResult }
  | { readonly code: 'RATE_LIMITED' | 'QUOTA_EXCEEDED'; readonly keyId: string; readonly key: AuthzRecord; readonly limits: LimitResult }
  | { readonly code: 'MISSING' }
  | { readonly code: 'MALFORMED' }
  | { readonly code: 'NOT_FOUND' }
  | { readonly code: 'REVOKED'; readonly keyId: string }
  | { readonly code: 'EXPIRED'; readonly keyId: string }
  | { readonly code: 'INSUFFICIENT_SCOPE'; readonly keyId: string; readonly missing: readonly string[] }
  | { readonly code: 'IP_NOT_ALLOWED'; readonly keyId: string };

export type VerificationCode = VerificationOutcome['code'];

export interface DecisionInput {
  /** The record found by hash, or undefined when no key has that hash. */
  readonly record: AuthzRecord | undefined;
  readonly now: Date;
  readonly requiredScopes: readonly string[];
  /** The caller's address as the gateway saw it; undefined when unknown. */
  readonly sourceIp: string | undefined;
}

/** Order matters: identity problems (401) before permission problems (403). */
export function decide(input: DecisionInput): VerificationOutcome {
  const r = input.record;
  if (!r) return { code: 'NOT_FOUND' };
  if (r.status === 'revoked') return { code: 'REVOKED', keyId: r.keyId };
  // A rotated key stays active until its grace period ends: its expiresAt is the end of the grace.
  if (r.expiresAt !== undefined && Date.parse(r.expiresAt) <= input.now.getTime()) return { code: 'EXPIRED', keyId: r.keyId };
  if (r.allowedIps !== undefined && (input.sourceIp === undefined || !ipAllowed(input.sourceIp, r.allowedIps))) {
    return { code: 'IP_NOT_ALLOWED', keyId: r.keyId };
  }
  const missing = missingScopes(r.scopes, input.requiredScopes);
  if (missing.length > 0) return { code: 'INSUFFICIENT_SCOPE', keyId: r.keyId, missing };
  return { code: 'VALID', key: r };
}

/** 401 = who are you?; 403 = you may not; 429 = not now. */
export function httpStatusFor(code: VerificationCode): 200 | 401 | 403 | 429 {
  switch (code) {
    case 'VALID':
      return 200;
    case 'RATE_LIMITED':
    case 'QUOTA_EXCEEDED':
      return 429;
    case 'INSUFFICIENT_SCOPE':
    case 'IP_NOT_ALLOWED':
      return 403;
    default:
      return 401;
  }
}

/** Problem `reason` and `detail` for a 403, safe to show the caller. */
export function denialDetail(outcome: VerificationOutcome): { code: ProblemCode; detail: string } {
  switch (outcome.code) {
    case 'INSUFFICIENT_SCOPE':
      return { code: 'insufficient_scope', detail: `The key lacks the scope(s) this route requires: ${outcome.missing.join(', ')}.` };
    case 'IP_NOT_ALLOWED':
      return { code: 'ip_not_allowed', detail: 'The key may not be used from this source IP address.' };
    default:
      return { code: 'unauthorized', detail: 'A valid API key is required.' };
  }
}
