/**
 * Every public type of `@keygate/client`: requests, responses, options and the route shapes.
 *
 * These are written by hand today. They are meant to be replaced by types generated from
 * docs/openapi.json; keeping them all in this one module makes that swap local (the other
 * modules import their types from here only).
 */

// --- routes ------------------------------------------------------------------------------

/** One operation per route of the API (the server's core/routes.ts names them the same). */
export type Operation =
  | 'health'
  | 'openApi'
  | 'createKey'
  | 'importKeys'
  | 'listKeys'
  | 'getKey'
  | 'updateKey'
  | 'revokeKey'
  | 'rotateKey'
  | 'keyUsage'
  | 'usageReport'
  | 'listAudit'
  | 'verifyAudit'
  | 'revokeLeaked'
  | 'verifyKey'
  | 'listScopes'
  | 'listTemplates'
  | 'whoami'
  | 'echo';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export interface RouteSpec {
  readonly method: HttpMethod;
  /** Path template with `{param}` placeholders, e.g. `/v1/keys/{id}`. */
  readonly path: string;
  /** Whether the route takes an API key; the client sends none to a route that does not. */
  readonly authorized: boolean;
}

// --- keys --------------------------------------------------------------------------------

export type KeyStatus = 'active' | 'revoked' | 'expired';
export type KeyEnvironment = 'live' | 'test';

export interface RateLimit {
  readonly limit: number;
  readonly windowSeconds: number;
}

export interface Quota {
  readonly daily?: number;
  readonly monthly?: number;
}

/** A key as the API shows it (never the secret or its hash). */
export interface KeyView {
  readonly id: string;
  readonly ownerId: string;
  readonly name: string;
  readonly description?: string;
  readonly environment: KeyEnvironment;
  /** Display prefix, e.g. `kg_live_AbCd`. */
  readonly start: string;
  readonly scopes: readonly string[];
  readonly status: KeyStatus;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly expiresAt?: string | null;
  readonly lastUsedAt?: string | null;
  readonly revokedAt?: string | null;
  readonly replaces?: string | null;
  readonly replacedBy?: string | null;
  readonly rateLimit?: RateLimit | null;
  readonly quota?: Quota | null;
  readonly allowedIps?: readonly string[] | null;
  readonly metadata?: Readonly<Record<string, unknown>> | null;
  /** The key template the key was created from. */
  readonly template?: string | null;
}

/** Returned by create and rotate: the only time the plaintext key is ever sent. */
export type CreatedKey = KeyView & { readonly key: string };

export type RotatedKey = CreatedKey & {
  readonly previous: { readonly id: string; readonly status: KeyStatus; readonly expiresAt?: string | null };
};

export interface KeyPage {
  readonly items: readonly KeyView[];
  readonly nextCursor: string | null;
}

export interface CreateKeyBody {
  name: string;
  description?: string;
  ownerId?: string;
  scopes?: string[];
  expiresAt?: string;
  expiresInDays?: number;
  rateLimit?: RateLimit;
  quota?: Quota;
  allowedIps?: string[];
  metadata?: Record<string, unknown>;
  environment?: KeyEnvironment;
  /** A key template (`GET /v1/templates`); the fields given here win over the template's. */
  template?: string;
}

/** `null` clears a field; an absent field is left as it is. */
export interface UpdateKeyBody {
  name?: string;
  description?: string;
  scopes?: string[];
  expiresAt?: string | null;
  rateLimit?: RateLimit | null;
  quota?: Quota | null;
  allowedIps?: string[] | null;
  metadata?: Record<string, unknown> | null;
}

export interface ListKeysQuery {
  ownerId?: string;
  status?: KeyStatus;
  limit?: number;
  cursor?: string;
}

export interface RotateKeyBody {
  gracePeriodSeconds?: number;
}

/**
 * `POST /v1/keys/import`. A loose placeholder until the endpoint's schema is published: rows
 * and answer are passed through as the server defines them.
 */
export interface ImportKeysBody {
  readonly keys: readonly Readonly<Record<string, unknown>>[];
  readonly dryRun?: boolean;
  readonly [field: string]: unknown;
}

export type ImportKeysResult = Readonly<Record<string, unknown>>;

// --- scopes, templates, whoami, echo, health -----------------------------------------------

export interface ScopeList {
  readonly items: readonly { readonly name: string; readonly description: string }[];
}

/** `GET /v1/templates`: the deployment's key templates (keygate:keyTemplates). */
export interface TemplateList {
  readonly items: readonly {
    readonly name: string;
    readonly description?: string;
    readonly scopes: readonly string[];
    readonly rateLimit?: RateLimit;
    readonly quota?: Quota;
    readonly expiresInDays?: number;
    readonly environment?: KeyEnvironment;
    readonly allowedIps?: readonly string[];
  }[];
}

export interface Whoami {
  readonly keyId: string;
  readonly ownerId: string;
  readonly scopes: readonly string[];
  readonly expiresAt?: string | null;
}

export interface Health {
  readonly status: string;
}

/** `GET /v1/echo`, the sample protected route. */
export interface Echo {
  readonly message: string;
  readonly keyId: string;
  readonly ownerId: string;
  readonly scopes: readonly string[];
  readonly method: string;
  readonly path: string;
}

/** `GET /v1/openapi.json`: an OpenAPI 3.1 document. */
export type OpenApiDocument = Readonly<Record<string, unknown>>;

// --- verify and leak report ------------------------------------------------------------------

/** `POST /v1/verify`: the key a caller presented to your backend, and what the route needs. */
export interface VerifyKeyBody {
  key: string;
  scopes?: string[];
  sourceIp?: string;
  /** Units to charge against the key's limits, default 1. */
  cost?: number;
}

export type VerifyCode =
  | 'VALID'
  | 'NOT_FOUND'
  | 'REVOKED'
  | 'EXPIRED'
  | 'INSUFFICIENT_SCOPE'
  | 'RATE_LIMITED'
  | 'IP_NOT_ALLOWED'
  | 'QUOTA_EXCEEDED'
  | (string & {});

/** A refused key is a 200 answer saying why, not an error of the call. */
export interface VerifyKeyResult {
  readonly valid: boolean;
  readonly code: VerifyCode;
  readonly keyId: string | null;
  readonly ownerId: string | null;
  readonly scopes: readonly string[];
  readonly expiresAt: string | null;
  readonly rateLimit: { readonly limit: number; readonly remaining: number; readonly resetAt: string } | null;
}

/** `POST /v1/keys/revoke-leaked`: always the same answer, whatever was presented. */
export interface LeakReportAccepted {
  readonly status: string;
  readonly message: string;
}

// --- usage -------------------------------------------------------------------------------------

export interface UsageWindow {
  readonly limit: number;
  readonly used: number;
  readonly remaining: number;
  readonly resetAt: string;
}

/** `GET /v1/keys/{id}/usage` */
export interface KeyUsage {
  readonly keyId: string;
  readonly rateLimit: (UsageWindow & { readonly windowSeconds: number; readonly windowStart: string }) | null;
  readonly quota: { readonly daily: UsageWindow | null; readonly monthly: UsageWindow | null };
}

/** One day of a key's history (a type, not an interface, so it is also a report row). */
export type UsageDay = {
  readonly day: string;
  readonly requests: number;
  readonly errors: number;
  readonly rateLimited: number;
  readonly p50LatencyMs: number | null;
  readonly p95LatencyMs: number | null;
  readonly p99LatencyMs: number | null;
};

/** `GET /v1/keys/{id}/usage?from=&to=`: live counters plus the days with requests. */
export interface KeyUsageWithHistory extends KeyUsage {
  readonly history: { readonly from: string; readonly to: string; readonly days: readonly UsageDay[]; readonly truncated: boolean };
}

/** `from`/`to` (`YYYY-MM-DD`, UTC) of a key's history; `queryId` picks up a query still running. */
export interface HistoryRange {
  from?: string;
  to?: string;
  queryId?: string;
}

export type UsageGroupName = 'day' | 'hour' | 'key' | 'owner' | 'route' | 'status' | 'decision';

export type UsageReportRow = Readonly<Record<string, string | number | null>>;

/** `GET /v1/usage` */
export interface UsageReportBody {
  readonly from: string;
  readonly to: string;
  readonly groupBy: readonly UsageGroupName[];
  /** The owner the rows are limited to (always the caller's for a non-admin), or null for all. */
  readonly ownerId: string | null;
  readonly keyId: string | null;
  readonly route: string | null;
  readonly rows: readonly UsageReportRow[];
  readonly truncated: boolean;
}

/** Query of `GET /v1/usage`; `groupBy: ''` asks for one total row. */
export interface UsageReportQuery {
  from?: string;
  to?: string;
  groupBy?: string;
  keyId?: string;
  ownerId?: string;
  route?: string;
  queryId?: string;
}

// --- audit -------------------------------------------------------------------------------------

export type AuditAction =
  | 'key.created'
  | 'key.updated'
  | 'key.revoked'
  | 'key.rotated'
  | 'key.leak_revoked'
  | 'key.expiring_notified'
  | 'key.expired_notified'
  | (string & {});

/** Who acted: a key (with its owner), the service itself, the bootstrap command, or a leak report. */
export interface AuditActor {
  readonly type: 'key' | 'system' | 'bootstrap' | 'leak-report';
  readonly keyId?: string;
  readonly ownerId?: string;
}

/** One changed field; sealed fields (description, metadata) carry digests, never values. */
export interface AuditChange {
  readonly field: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly sealed?: true;
}

export interface AuditEntry {
  /** `aud_` + ULID: sorts by time. */
  readonly id: string;
  readonly at: string;
  readonly action: AuditAction;
  readonly outcome: 'success' | 'denied';
  /** For denied entries: the problem code the caller got. */
  readonly reason?: string;
  readonly actor: AuditActor;
  /** The key acted on; `keyId` is absent for a denied create. */
  readonly target: { readonly keyId?: string; readonly ownerId: string };
  readonly request: { readonly requestId?: string; readonly sourceIp?: string; readonly userAgent?: string };
  readonly changes: readonly AuditChange[];
  /** The hash-chain link of a successful entry about a key. */
  readonly chain?: { readonly seq: number; readonly prev: string | null; readonly prevExpiresAt?: number };
  /** Deleted by retention after this time (epoch seconds). */
  readonly expiresAt: number;
  readonly digest: string;
}

export interface AuditPage {
  readonly items: readonly AuditEntry[];
  readonly nextCursor: string | null;
}

/** Query of `GET /v1/audit` (newest first). */
export interface AuditQuery {
  keyId?: string;
  actorKeyId?: string;
  ownerId?: string;
  action?: AuditAction;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export interface AuditVerifyQuery {
  keyId?: string;
  limit?: number;
  cursor?: string;
}

export interface ChainVerdict {
  readonly keyId: string;
  readonly ok: boolean;
  readonly entries: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly pruned: boolean;
  readonly broken?: {
    readonly reason: 'digest_mismatch' | 'link_mismatch' | 'missing_entry' | 'head_mismatch';
    readonly seq: number;
    readonly entryId?: string;
    readonly detail: string;
  };
}

/** `GET /v1/audit/verify` */
export interface AuditVerifyResult {
  readonly ok: boolean;
  readonly keysChecked: number;
  readonly entriesChecked: number;
  readonly keys: readonly ChainVerdict[];
  readonly firstBroken: ChainVerdict | null;
  readonly nextCursor: string | null;
}

// --- errors ------------------------------------------------------------------------------------

export interface FieldError {
  readonly field: string;
  readonly message: string;
  /** A stable code for the field's problem, e.g. `unknown_template`, when the server gives one. */
  readonly code?: string;
}

/** An RFC 9457 problem as Keygate answers it (`application/problem+json`). */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly code?: string;
  readonly detail?: string;
  readonly requestId?: string;
  readonly errors?: readonly FieldError[];
  readonly [member: string]: unknown;
}

/** Why no answer came: the kind decides whether a retry can help. */
export type ConnectionFailure = 'timeout' | 'refused' | 'dns' | 'network' | 'aborted' | 'blocked';

// --- options -----------------------------------------------------------------------------------

export interface KeygateClientOptions {
  /** Base URL; may carry a path prefix such as an API Gateway stage (`https://…/prod`). */
  readonly endpoint: string;
  /** Sent only as `Authorization: Bearer …`, only to routes that take a key. */
  readonly apiKey?: string;
  /** Per attempt, body included. @default 30000 */
  readonly timeoutMs?: number;
  /** Retries after the first attempt; 0 disables retries. @default 2 */
  readonly maxRetries?: number;
  /** Also retry POST and PATCH (only safe where the server deduplicates). @default false */
  readonly retryNonIdempotent?: boolean;
  /** First backoff step; doubles each retry, with jitter. @default 500 */
  readonly baseDelayMs?: number;
  /** Longest wait before a retry, `Retry-After` included. @default 20000 */
  readonly maxDelayMs?: number;
  /** `User-Agent` where the runtime lets it be set. @default `keygate-client/<version>` */
  readonly userAgent?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** For tests: waits between retries and polls. @default setTimeout */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** For tests: jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** For tests: the clock (HTTP-date `Retry-After`, the wait bound of a running query). @default Date.now */
  readonly now?: () => number;
}

export interface RequestOptions {
  /** Cancels the call (and any wait between retries). */
  readonly signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for each attempt of this call. */
  readonly timeoutMs?: number;
  /** `true` lets a POST/PATCH retry; `false` stops any retry of this call. */
  readonly retry?: boolean;
}

/** Usage queries may answer `202 running`; the client asks again until the answer or `maxWaitMs`. */
export interface PollOptions extends RequestOptions {
  /** Longest time from the first request to giving up on a running query. @default 300000 (5 minutes) */
  readonly maxWaitMs?: number;
  /** Called on each 202 before waiting. */
  readonly onRunning?: (state: { readonly queryId: string; readonly elapsedMs: number }) => void;
}
