/**
 * A small fetch client for the Keygate management API, used by the `keygate` CLI.
 *
 * Paths and methods come from `core/routes.ts` (the one definition of the HTTP surface),
 * so the CLI cannot drift from what the stack serves. Failures are thrown as `ApiError`
 * (the server answered with an error) or `ConnectionError` (it did not answer at all).
 * The API key is only ever placed in the Authorization header: no message built here
 * contains it.
 */
import { ROUTES, type Operation } from '../core/routes';
import { PROBLEM_CONTENT_TYPE } from '../core/gateway-responses';

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

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** The server answered with an error status (usually `application/problem+json`). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly title?: string;
  readonly type?: string;
  readonly errors: readonly FieldError[];
  readonly requestId?: string;

  constructor(problem: {
    status: number;
    code: string;
    detail: string;
    title?: string;
    type?: string;
    errors?: readonly FieldError[];
    requestId?: string;
  }) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.title = problem.title;
    this.type = problem.type;
    this.errors = problem.errors ?? [];
    this.requestId = problem.requestId;
  }

  /** Throttling and server-side faults may pass; a 4xx other than 429 will not. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** No HTTP answer at all: refused, DNS failure, TLS failure or timeout. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  readonly retryable = true;
  /** The endpoint as shown to people (no credentials in it). */
  readonly endpoint: string;
  /** `ECONNREFUSED`, `ENOTFOUND`, `TIMEOUT`, … when known. */
  readonly reason?: string;

  constructor(endpoint: string, reason: string | undefined, options?: { cause?: unknown }) {
    super(`cannot reach ${endpoint}${reason ? ` (${reason})` : ''}`, options);
    this.endpoint = endpoint;
    this.reason = reason;
  }
}

const MAX_DETAIL_CHARS = 300;

/** Collapses whitespace so a message always fits on one line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Turns an error response into an ApiError. Bodies that are not problem+json (a proxy's
 * HTML page, an empty 502) still give a usable code and detail.
 */
export function parseProblem(status: number, statusText: string, bodyText: string): ApiError {
  let parsed: unknown;
  try {
    parsed = bodyText.trim() === '' ? undefined : JSON.parse(bodyText);
  } catch {
    parsed = undefined;
  }
  const fallbackCode = status >= 500 ? 'server_error' : 'http_error';
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const p = parsed as Record<string, unknown>;
    const errors = Array.isArray(p.errors)
      ? p.errors
          .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
          .map((e) => ({ field: String(e.field ?? ''), message: oneLine(String(e.message ?? '')) }))
      : undefined;
    const detail = str(p.detail) ?? str(p.message) ?? str(p.title) ?? (oneLine(statusText) || 'request failed');
    return new ApiError({
      status,
      code: str(p.code) ?? fallbackCode,
      detail: oneLine(detail),
      title: str(p.title),
      type: str(p.type),
      errors,
      requestId: str(p.requestId),
    });
  }
  const text = oneLine(bodyText);
  const detail = text && !text.startsWith('<') ? text.slice(0, MAX_DETAIL_CHARS) : oneLine(statusText) || 'request failed';
  return new ApiError({ status, code: fallbackCode, detail });
}

/** The endpoint without credentials, query or trailing slash: safe to print. */
export function displayEndpoint(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(invalid endpoint)';
  }
}

/** Builds a concrete path from the route table, e.g. `getKey` + `{id}` → `/v1/keys/abc`. */
export function routePath(operation: Operation, params: Readonly<Record<string, string>> = {}): { method: string; path: string } {
  const route = ROUTES.find((r) => r.operation === operation);
  if (!route) throw new Error(`no route for operation ${operation}`);
  const path = route.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${route.path} needs parameter ${name}`);
    return encodeURIComponent(value);
  });
  return { method: route.method, path };
}

/** Why fetch failed, e.g. `ECONNREFUSED`; undici wraps it: TypeError('fetch failed', { cause }). */
function failureReason(err: unknown): string | undefined {
  let innermost: string | undefined;
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const message = (e as { message?: unknown }).message;
    // undici refuses the WHATWG "bad ports" (9, 25, 6000, …) before connecting.
    if (message === 'bad port') return 'port blocked by fetch';
    if (typeof message === 'string' && message !== 'fetch failed') innermost = oneLine(message).slice(0, 120);
    e = (e as { cause?: unknown }).cause;
  }
  return innermost;
}

export interface ClientOptions {
  /** Base URL; may carry a path prefix such as an API Gateway stage (`https://…/prod`). */
  readonly endpoint: string;
  readonly apiKey?: string;
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

const CLIENT_VERSION = '0.1.0';

export class KeygateClient {
  private readonly base: string;
  private readonly shown: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.endpoint.replace(/\/+$/, '');
    this.shown = displayEndpoint(options.endpoint);
  }

  /** Calls an operation and returns the parsed JSON body; any non-2xx answer is thrown as ApiError. */
  async request<T>(
    operation: Operation,
    init: { params?: Record<string, string>; query?: Record<string, string | number | undefined>; body?: unknown } = {},
  ): Promise<T> {
    const { method, path } = routePath(operation, init.params);
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) search.set(k, String(v));
    const qs = search.toString();
    const answer = await this.send(method, `${this.base}${path}${qs ? `?${qs}` : ''}`, init.body);
    return answer.body as T;
  }

  /** One HTTP exchange: status, headers and the JSON body of a 2xx answer. */
  private async send(method: string, url: string, body?: unknown): Promise<{ status: number; headers: Headers; body: unknown }> {
    const headers: Record<string, string> = {
      Accept: `application/json, ${PROBLEM_CONTENT_TYPE}`,
      'User-Agent': `keygate-cli/${CLIENT_VERSION}`,
    };
    if (this.options.apiKey) headers.Authorization = `Bearer ${this.options.apiKey}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const doFetch = this.options.fetch ?? fetch;
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error', // a redirect could carry the Authorization header somewhere unexpected
      });
    } catch (err) {
      const isTimeout = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new ConnectionError(this.shown, isTimeout ? `no answer within ${Math.round(timeoutMs / 1000)}s` : failureReason(err), {
        cause: err,
      });
    }

    const text = await res.text();
    if (!res.ok) throw parseProblem(res.status, res.statusText, text);
    try {
      return { status: res.status, headers: res.headers, body: JSON.parse(text) };
    } catch {
      throw new ApiError({ status: res.status, code: 'invalid_response', detail: 'the response body is not JSON' });
    }
  }

  /**
   * GET an operation whose answer may be `202 running` (a usage query still running on Athena):
   * follows `Location` (a query-only reference, resolved against the URL just asked), waiting
   * `Retry-After` seconds between calls, until a 200 or until `maxWaitMs` since the first call —
   * then throws {@link QueryStillRunningError} with the query id to resume with.
   */
  private async pollUntilDone<T>(
    operation: Operation,
    params: Record<string, string> | undefined,
    query: Record<string, string | undefined>,
    poll: PollOptions = {},
  ): Promise<T> {
    const { method, path } = routePath(operation, params);
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) search.set(k, v);
    const qs = search.toString();
    const first = new URL(`${this.base}${path}${qs ? `?${qs}` : ''}`);
    const sleep = poll.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
    const now = poll.now ?? Date.now;
    const maxWaitMs = poll.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    const started = now();
    let url = first;
    for (;;) {
      const answer = await this.send(method, url.href);
      if (answer.status !== 202) return answer.body as T;
      const running = (answer.body ?? {}) as { queryId?: unknown; retryAfterSeconds?: unknown };
      const queryId = typeof running.queryId === 'string' ? running.queryId : url.searchParams.get('queryId') ?? undefined;
      if (queryId === undefined) {
        throw new ApiError({ status: 202, code: 'invalid_response', detail: 'the server answered 202 without a queryId' });
      }
      url = nextPollUrl(first, url, answer.headers.get('location'), queryId);
      const waitMs = retryAfterMs(answer.headers.get('retry-after'), running.retryAfterSeconds);
      const elapsedMs = now() - started;
      if (elapsedMs + waitMs > maxWaitMs) throw new QueryStillRunningError(queryId, elapsedMs);
      poll.onRunning?.({ queryId, elapsedMs });
      await sleep(waitMs);
    }
  }

  createKey(body: CreateKeyBody): Promise<CreatedKey> {
    return this.request('createKey', { body });
  }

  listKeys(query: ListKeysQuery = {}): Promise<KeyPage> {
    return this.request('listKeys', { query: { ...query } });
  }

  getKey(id: string): Promise<KeyView> {
    return this.request('getKey', { params: { id } });
  }

  updateKey(id: string, body: UpdateKeyBody): Promise<KeyView> {
    return this.request('updateKey', { params: { id }, body });
  }

  revokeKey(id: string): Promise<KeyView> {
    return this.request('revokeKey', { params: { id } });
  }

  rotateKey(id: string, body: RotateKeyBody = {}): Promise<RotatedKey> {
    return this.request('rotateKey', { params: { id }, body });
  }

  listScopes(): Promise<ScopeList> {
    return this.request('listScopes');
  }

  listTemplates(): Promise<TemplateList> {
    return this.request('listTemplates');
  }

  whoami(): Promise<Whoami> {
    return this.request('whoami');
  }

  keyUsage(id: string): Promise<KeyUsage> {
    return this.request('keyUsage', { params: { id } });
  }

  /** `GET /v1/keys/{id}/usage?from=&to=`: live counters plus the daily history; follows 202s. */
  keyUsageHistory(id: string, range: HistoryRange, poll?: PollOptions): Promise<KeyUsageWithHistory> {
    return this.pollUntilDone('keyUsage', { id }, { from: range.from, to: range.to, queryId: range.queryId }, poll);
  }

  /** `GET /v1/usage`: a usage report; follows 202s. */
  usageReport(query: UsageReportQuery, poll?: PollOptions): Promise<UsageReportBody> {
    return this.pollUntilDone('usageReport', undefined, { ...query }, poll);
  }
}

/** How long the CLI keeps following 202s before it gives up and prints the query id. */
export const DEFAULT_MAX_WAIT_MS = 5 * 60_000;
/** Used when a 202 says nothing about when to ask again. */
const DEFAULT_RETRY_AFTER_MS = 2_000;
/** A server asking for a longer pause is capped, so the CLI keeps checking. */
const MAX_RETRY_AFTER_MS = 30_000;

export interface PollOptions {
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
  /** Longest time from the first request to giving up on a running query. @default DEFAULT_MAX_WAIT_MS (5 minutes) */
  readonly maxWaitMs?: number;
  /** Called on each 202 before waiting. */
  readonly onRunning?: (state: { readonly queryId: string; readonly elapsedMs: number }) => void;
}

/** A usage query did not finish within the CLI's wait; it may still finish on the server. */
export class QueryStillRunningError extends Error {
  override readonly name = 'QueryStillRunningError';
  readonly retryable = true;
  constructor(
    readonly queryId: string,
    readonly elapsedMs: number,
  ) {
    super(`the query is still running after ${Math.round(elapsedMs / 1000)}s; run the same command again with --query-id ${queryId} to pick it up`);
  }
}

/** `Retry-After` in whole seconds (an HTTP date is not used by Keygate), else the body's hint, else 2 s; capped at 30 s. */
export function retryAfterMs(header: string | null, bodySeconds: unknown): number {
  const fromHeader = header !== null && /^\s*\d+\s*$/.test(header) ? Number(header) : undefined;
  const seconds = fromHeader ?? (typeof bodySeconds === 'number' && Number.isFinite(bodySeconds) && bodySeconds >= 0 ? bodySeconds : undefined);
  if (seconds === undefined) return DEFAULT_RETRY_AFTER_MS;
  return Math.min(Math.max(seconds * 1000, 0), MAX_RETRY_AFTER_MS);
}

/**
 * Where to ask next after a 202: `Location` resolved against the URL just asked
 * (`new URL(location, current)`), else the first URL plus `queryId`. The API key goes with the
 * next request, so a Location that leaves the endpoint's origin or the route's path is refused.
 */
export function nextPollUrl(first: URL, current: URL, location: string | null, queryId: string): URL {
  if (location === null || location.trim() === '') {
    const next = new URL(first.href);
    next.searchParams.set('queryId', queryId);
    return next;
  }
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw new ApiError({ status: 202, code: 'invalid_response', detail: 'the Location of the 202 answer is not a URL' });
  }
  if (next.origin !== first.origin || next.pathname !== first.pathname) {
    throw new ApiError({ status: 202, code: 'invalid_response', detail: 'the Location of the 202 answer points away from the endpoint; not followed' });
  }
  return next;
}

/** The report groups and row and body shapes, as the API defines them (core/usage-reports.ts, core/usage-report-service.ts). */
import type { ReportBody as UsageReportBody } from '../core/usage-report-service';
export type { UsageGroup as UsageGroupName, UsageReportRow } from '../core/usage-reports';
export type { UsageReportBody };

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

export interface HistoryRange {
  from?: string;
  to?: string;
  queryId?: string;
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

export interface UsageWindow {
  readonly limit: number;
  readonly used: number;
  readonly remaining: number;
  readonly resetAt: string;
}

/** GET /v1/keys/{id}/usage */
export interface KeyUsage {
  readonly keyId: string;
  readonly rateLimit: (UsageWindow & { readonly windowSeconds: number; readonly windowStart: string }) | null;
  readonly quota: { readonly daily: UsageWindow | null; readonly monthly: UsageWindow | null };
}
