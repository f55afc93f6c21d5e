/**
 * What a failed call throws. Two kinds, told apart by class:
 * - {@link KeygateProblemError}: the server answered with an error status (usually
 *   `application/problem+json`, RFC 9457, with a stable `code`);
 * - {@link KeygateConnectionError}: no answer at all (DNS, refused, timeout, cancelled).
 * plus {@link KeygateQueryRunningError} when a usage query outlives the wait the caller allowed.
 *
 * Every one carries `retryable`. None is ever built from the API key or a plaintext key: messages
 * are made of the status, the server's problem, the endpoint without credentials, and a reason.
 */
import type { ConnectionFailure, FieldError, Problem } from './types.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Longest non-JSON error body kept as a detail. */
const MAX_DETAIL_CHARS = 300;

/** Collapses whitespace so a message always fits on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export interface KeygateProblemInit {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly title?: string;
  readonly type?: string;
  readonly errors?: readonly FieldError[];
  readonly requestId?: string;
  /** From `Retry-After` (seconds or an HTTP date, as seconds from now). */
  readonly retryAfterSeconds?: number;
  /** The problem object as the server sent it; absent when the body was not a JSON object. */
  readonly problem?: Problem;
}

/** The server answered with an error status. */
export class KeygateProblemError extends Error {
  override readonly name = 'KeygateProblemError';
  readonly status: number;
  /** Stable, machine-readable (`validation_failed`, `key_not_found`, `rate_limited`, …). */
  readonly code: string;
  readonly detail: string;
  readonly title?: string;
  readonly type?: string;
  /** Field errors of a `validation_failed` problem; empty otherwise. */
  readonly errors: readonly FieldError[];
  /** Quote it when reporting a problem: it finds the server's log lines. */
  readonly requestId?: string;
  readonly retryAfterSeconds?: number;
  readonly problem?: Problem;

  constructor(init: KeygateProblemInit) {
    super(`${init.status} ${init.code}: ${init.detail}`);
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.title = init.title;
    this.type = init.type;
    this.errors = init.errors ?? [];
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.problem = init.problem;
  }

  /** Throttling and server-side faults may pass; a 4xx other than 408/429 will not. */
  get retryable(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** No HTTP answer at all: refused, DNS failure, TLS failure, timeout, or cancelled by the caller. */
export class KeygateConnectionError extends Error {
  override readonly name = 'KeygateConnectionError';
  /** The endpoint as shown to people (no credentials, query or trailing slash). */
  readonly endpoint: string;
  /** `ECONNREFUSED`, `ENOTFOUND`, `no answer within 30s`, … when known. */
  readonly reason?: string;
  readonly kind: ConnectionFailure;
  /** False when asking again cannot help: the caller cancelled, or fetch refuses the port. */
  readonly retryable: boolean;

  constructor(endpoint: string, reason: string | undefined, options: { cause?: unknown; kind?: ConnectionFailure } = {}) {
    super(`cannot reach ${endpoint}${reason ? ` (${reason})` : ''}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.endpoint = endpoint;
    this.reason = reason;
    this.kind = options.kind ?? 'network';
    this.retryable = this.kind !== 'aborted' && this.kind !== 'blocked';
  }
}

/** A usage query did not finish within `maxWaitMs`; it may still finish on the server. */
export class KeygateQueryRunningError extends Error {
  override readonly name = 'KeygateQueryRunningError';
  readonly retryable = true;
  constructor(
    /** Pass it back as `queryId` to pick the query up. */
    readonly queryId: string,
    readonly elapsedMs: number,
  ) {
    super(`the query is still running after ${Math.round(elapsedMs / 1000)}s; ask again with queryId ${queryId} to pick it up`);
  }
}

/** A 2xx answer the client cannot use (not JSON, a 202 without a query id, a Location elsewhere). */
export function invalidResponse(status: number, detail: string): KeygateProblemError {
  return new KeygateProblemError({ status, code: 'invalid_response', detail });
}

/**
 * Turns an error answer into a KeygateProblemError. Bodies that are not problem+json (a proxy's
 * HTML page, an empty 502) still give a usable code (`server_error`/`http_error`) and detail.
 */
export function parseProblem(status: number, statusText: string, bodyText: string, retryAfterSeconds?: number): KeygateProblemError {
  let parsed: unknown;
  try {
    parsed = bodyText.trim() === '' ? undefined : JSON.parse(bodyText);
  } catch {
    parsed = undefined;
  }
  const fallbackCode = status >= 500 ? 'server_error' : 'http_error';
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const p = parsed as Record<string, unknown>;
    // Keygate's 429 carries the wait in the body (`retryAfter`, a string of seconds) unless the deployment turned on header mappings.
    const fromBody = typeof p.retryAfter === 'string' && /^\d{1,9}$/.test(p.retryAfter) ? Number(p.retryAfter) : typeof p.retryAfter === 'number' && Number.isInteger(p.retryAfter) && p.retryAfter >= 0 ? p.retryAfter : undefined;
    const seconds = retryAfterSeconds ?? fromBody;
    const retry = seconds === undefined ? {} : { retryAfterSeconds: seconds };
    const errors = Array.isArray(p.errors)
      ? p.errors
          .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
          .map((e): FieldError => ({
            field: String(e.field ?? ''),
            message: oneLine(String(e.message ?? '')),
            ...(typeof e.code === 'string' && { code: e.code }),
          }))
      : undefined;
    const detail = str(p.detail) ?? str(p.message) ?? str(p.title) ?? (oneLine(statusText) || 'request failed');
    return new KeygateProblemError({
      status,
      code: str(p.code) ?? fallbackCode,
      detail: oneLine(detail),
      title: str(p.title),
      type: str(p.type),
      errors,
      requestId: str(p.requestId),
      problem: p as Problem,
      ...retry,
    });
  }
  const retry = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };
  const text = oneLine(bodyText);
  const detail = text && !text.startsWith('<') ? text.slice(0, MAX_DETAIL_CHARS) : oneLine(statusText) || 'request failed';
  return new KeygateProblemError({ status, code: fallbackCode, detail, ...retry });
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
