/**
 * Every AWS SDK client's timeouts and retries, in one table. Timeouts abort: the request
 * handler is built with `throwOnRequestTimeout`, without which @smithy/node-http-handler only
 * logs a warning when `requestTimeout` passes and keeps waiting (a frozen DynamoDB then holds a
 * request until the Lambda's own timeout). `requestTimeout` counts from the moment the request
 * is handed to the HTTP agent, so time spent waiting for a pooled socket counts too.
 *
 * Budgets (docs/operations.md, "When DynamoDB is slow or down"): the authorizer fails closed within
 * keyRead (2 × 600 ms + backoff ≈ 1.3 s) when the store is down or frozen, and within about
 * 2.5 s in the worst interleaving (the read succeeds, then each counter write times out).
 */
export interface ClientProfile {
  /** Total attempts including the first. */
  readonly maxAttempts: number;
  readonly requestTimeoutMs: number;
  readonly connectionTimeoutMs: number;
}

export const CLIENT_PROFILES = {
  /** The authorizer's key read: idempotent, so one retry. */
  keyRead: { maxAttempts: 2, requestTimeoutMs: 600, connectionTimeoutMs: 300 },
  /** Counter writes: not idempotent (a retry after a lost response counts twice), so none. */
  counterWrite: { maxAttempts: 1, requestTimeoutMs: 600, connectionTimeoutMs: 300 },
  /** The keys Lambda's reads and transactions (transactions carry a ClientRequestToken, so a retry is idempotent). */
  management: { maxAttempts: 2, requestTimeoutMs: 1000, connectionTimeoutMs: 500 },
  /** KMS GenerateDataKey / Decrypt in the keys Lambda. */
  kms: { maxAttempts: 2, requestTimeoutMs: 1000, connectionTimeoutMs: 500 },
  /** PutEvents for quota warnings: attempted once, so an event is never sent twice. */
  events: { maxAttempts: 1, requestTimeoutMs: 500, connectionTimeoutMs: 300 },
} as const satisfies Record<string, ClientProfile>;

/** The profile scaled for a slower host (the local stack's JVM shares a laptop's cores). */
export function scaled(profile: ClientProfile, factor: number): ClientProfile {
  return { ...profile, requestTimeoutMs: profile.requestTimeoutMs * factor, connectionTimeoutMs: profile.connectionTimeoutMs * factor };
}

/** SDK client settings for a profile: retries and a request handler whose timeouts abort. */
export function clientSettings(profile: ClientProfile) {
  return {
    maxAttempts: profile.maxAttempts,
    requestHandler: {
      requestTimeout: profile.requestTimeoutMs,
      connectionTimeout: profile.connectionTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}
