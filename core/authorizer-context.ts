/**
 * The authorizer's context: what an admitted request carries from the authorizer to whatever
 * serves it. One codec for every reader — the keys Lambda, operator Lambda targets (in
 * `requestContext.authorizer`), upstream services (as request headers), the middleware and the
 * local gateway — so names never drift.
 *
 * API Gateway allows only flat string, number and boolean values, and hands them on as strings.
 */
import type { LimitResult } from './limits';
import { RATE_LIMIT_CONTEXT, RATE_LIMIT_HEADERS, rateLimitContext } from './rate-limit-headers';
import type { AuthzRecord } from './records';
import { DECISION_CONTEXT_KEY } from './usage-record';

export const CONTEXT_KEYS = {
  keyId: 'keyId',
  ownerId: 'ownerId',
  /** Space-separated. */
  scopes: 'scopes',
  environment: 'environment',
  /** ISO time, or empty when the key does not expire. */
  expiresAt: 'expiresAt',
} as const;

/**
 * Request headers every admitted request to an operator route carries, header → context key.
 * The CDK stack maps each as `integration.request.header.<name> = context.authorizer.<key>`;
 * the local gateway sets the same. A value a client sends under one of these names is replaced.
 */
export const UPSTREAM_REQUEST_HEADERS: Readonly<Record<string, string>> = {
  'X-Keygate-Key-Id': CONTEXT_KEYS.keyId,
  'X-Keygate-Owner-Id': CONTEXT_KEYS.ownerId,
  'X-Keygate-Scopes': CONTEXT_KEYS.scopes,
  ...RATE_LIMIT_HEADERS,
};

/**
 * Credential headers replaced with {@link REDACTED_CREDENTIAL} on the way to an operator route
 * that does not set `forwardCredentials`. A REST API cannot delete a request header on a proxy
 * integration, only overwrite it, and an empty static value is not applied, so the value is a
 * fixed marker (docs/protect-your-api.md).
 */
export const CREDENTIAL_HEADERS: readonly string[] = ['Authorization', 'X-API-Key'];
/** The query parameter that carries a key when `allowQueryKey` is on; redacted the same way. */
export const CREDENTIAL_QUERY_PARAMETER = 'api_key';
export const REDACTED_CREDENTIAL = 'keygate-redacted';

/**
 * Context of an admitted request. Every key is always present (empty when not applicable) so a
 * header mapping never refers to a missing value.
 */
export function allowContext(key: Pick<AuthzRecord, 'keyId' | 'ownerId' | 'scopes' | 'environment' | 'expiresAt'>, limits: LimitResult | undefined, now: Date): Record<string, string | number> {
  return {
    [CONTEXT_KEYS.keyId]: key.keyId,
    [CONTEXT_KEYS.ownerId]: key.ownerId,
    [CONTEXT_KEYS.scopes]: key.scopes.join(' '),
    [CONTEXT_KEYS.environment]: key.environment,
    [CONTEXT_KEYS.expiresAt]: key.expiresAt ?? '',
    // The decision code, for the access log (core/usage-record.ts); every outcome with a context sets it.
    [DECISION_CONTEXT_KEY]: 'VALID',
    [RATE_LIMIT_CONTEXT.limit]: '',
    [RATE_LIMIT_CONTEXT.remaining]: '',
    [RATE_LIMIT_CONTEXT.reset]: '',
    [RATE_LIMIT_CONTEXT.policy]: '',
    [RATE_LIMIT_CONTEXT.state]: '',
    ...rateLimitContext(limits, now),
  };
}

export interface ContextCaller {
  readonly keyId: string;
  readonly ownerId: string;
  readonly scopes: readonly string[];
}

/** The calling key from a context as API Gateway delivers it (`requestContext.authorizer`), or undefined. */
export function callerFromContext(ctx: Readonly<Record<string, unknown>> | null | undefined): ContextCaller | undefined {
  if (!ctx || typeof ctx[CONTEXT_KEYS.keyId] !== 'string' || typeof ctx[CONTEXT_KEYS.ownerId] !== 'string') return undefined;
  const scopes = ctx[CONTEXT_KEYS.scopes];
  return {
    keyId: ctx[CONTEXT_KEYS.keyId] as string,
    ownerId: ctx[CONTEXT_KEYS.ownerId] as string,
    scopes: typeof scopes === 'string' && scopes !== '' ? scopes.split(' ') : [],
  };
}

/** Header values from a context, for a header → context-key mapping; empty values are left out. */
export function headersFromContext(mapping: Readonly<Record<string, string>>, ctx: Readonly<Record<string, unknown>> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [header, key] of Object.entries(mapping)) {
    const v = ctx?.[key];
    if (v !== undefined && v !== null && v !== '') out[header] = String(v);
  }
  return out;
}

/** The upstream request headers for an admitted request's context (empty values are left out). */
export function upstreamHeaderValues(ctx: Readonly<Record<string, unknown>>): Record<string, string> {
  return headersFromContext(UPSTREAM_REQUEST_HEADERS, ctx);
}
