/**
 * Every public type of `@keygate/client`: requests, responses, options and the route shapes.
 *
 * Request and response bodies are aliases of the types generated from the OpenAPI document
 * (./openapi.ts, by tools/client-types.ts), so they follow the schemas the service validates
 * with; options, errors and route shapes are the client's own.
 */

import type { components, operations } from './openapi';

/** Request shapes are built field by field; the generated types are readonly. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

// --- routes ------------------------------------------------------------------------------

/** One operation per route of the API document (the server's core/routes.ts names them the same). */
export type Operation = keyof operations;

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

export type RateLimit = components['schemas']['RateLimit'];

export type Quota = components['schemas']['Quota'];

/** A key as the API shows it (never the secret or its hash). */
export type KeyView = components['schemas']['KeyView'];

/** Returned by create and rotate: the only time the plaintext key is ever sent. */
export type CreatedKey = components['schemas']['CreatedKey'];

export type RotatedKey = components['schemas']['RotatedKey'];

export type KeyPage = components['schemas']['KeyPage'];

export type CreateKeyBody = Writable<components['schemas']['CreateKeyBody']>;

/** `null` clears a field; an absent field is left as it is. */
export type UpdateKeyBody = Writable<components['schemas']['UpdateKeyBody']>;

export type ListKeysQuery = Writable<NonNullable<operations['listKeys']['parameters']['query']>>;

export type RotateKeyBody = Writable<components['schemas']['RotateKeyBody']>;

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

export type ScopeList = components['schemas']['ScopeList'];

/** `GET /v1/templates`: the deployment's key templates (keygate:keyTemplates). */
export type TemplateList = components['schemas']['TemplateList'];

export type Whoami = components['schemas']['Whoami'];

export type Health = components['schemas']['Health'];

/** `GET /v1/echo`, the sample protected route. */
export type Echo = components['schemas']['Echo'];

/** `GET /v1/openapi.json`: an OpenAPI 3.1 document. */
export type OpenApiDocument = Readonly<Record<string, unknown>>;

// --- verify and leak report ------------------------------------------------------------------

/** `POST /v1/verify`: the key a caller presented to your backend, and what the route needs. */
export type VerifyKeyBody = Writable<components['schemas']['VerifyKeyBody']>;

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
export type VerifyKeyResult = components['schemas']['VerifyResult'];

/** `POST /v1/keys/revoke-leaked`: always the same answer, whatever was presented. */
export type LeakReportAccepted = components['schemas']['LeakReportAccepted'];

// --- usage -------------------------------------------------------------------------------------

export interface UsageWindow {
  readonly limit: number;
  readonly used: number;
  readonly remaining: number;
  readonly resetAt: string;
}

/** `GET /v1/keys/{id}/usage` */
export type KeyUsage = components['schemas']['KeyUsage'];

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
export type UsageReportBody = components['schemas']['UsageReport'];

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

/** Open-ended, so a server newer than this client can add actions. */
export type AuditAction = AuditEntry['action'] | (string & {});

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

export type AuditEntry = components['schemas']['AuditEntry'];

export type AuditPage = components['schemas']['AuditPage'];

/** Query of `GET /v1/audit` (newest first). */
export type AuditQuery = Writable<NonNullable<operations['listAudit']['parameters']['query']>>;

export type AuditVerifyQuery = Writable<NonNullable<operations['verifyAudit']['parameters']['query']>>;

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
export type AuditVerifyResult = components['schemas']['AuditVerifyResult'];

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
