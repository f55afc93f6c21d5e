/**
 * One HTTP call to the API, with the timeout, the retries and the error mapping. Browser-safe:
 * only `fetch`, `AbortController`, `URL`, `URLSearchParams` and `setTimeout`.
 *
 * The API key lives in a private field here and goes nowhere but the `Authorization` header of
 * a route that takes a key: never into a URL, a message, or anything `JSON.stringify` or
 * `util.inspect` can reach.
 */
import { KeygateConnectionError, KeygateProblemError, displayEndpoint, invalidResponse, oneLine, parseProblem, PROBLEM_CONTENT_TYPE } from './errors.js';
import { IDEMPOTENT_METHODS } from './routes.js';
import type { ConnectionFailure, HttpMethod, KeygateClientOptions, RequestOptions } from './types.js';

export const CLIENT_VERSION = '0.1.0';

export const DEFAULTS = {
  timeoutMs: 30_000,
  maxRetries: 2,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
} as const;

/** Answers worth asking again for: throttled, or a gateway/server that is briefly unavailable. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** What a successful exchange gives back. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/**
 * `Retry-After` as seconds from now: delta-seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`; a date in the past is 0). Anything else is undefined.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // An HTTP date always names the weekday; Date.parse alone would take "1" or "2026" too.
  if (!/^[A-Za-z]{3},\s/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** Header values may carry visible ASCII only; anything else would make fetch throw a message quoting the value. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise<void>((done) => {
    if (signal?.aborted) return done();
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });

/** Why fetch failed, e.g. `ECONNREFUSED`; undici wraps it: TypeError('fetch failed', { cause }). */
function failureReason(err: unknown): { reason?: string; kind: ConnectionFailure } {
  let innermost: string | undefined;
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      const kind: ConnectionFailure = code === 'ECONNREFUSED' ? 'refused' : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'dns' : 'network';
      return { reason: code, kind };
    }
    const message = (e as { message?: unknown }).message;
    // undici refuses the WHATWG "bad ports" (9, 25, 6000, …) before connecting.
    if (message === 'bad port') return { reason: 'port blocked by fetch', kind: 'blocked' };
    // redirect: 'error' — a redirect could carry the Authorization header somewhere unexpected.
    if (typeof message === 'string' && /redirect/i.test(message)) return { reason: 'redirect refused', kind: 'blocked' };
    if (typeof message === 'string' && message !== 'fetch failed') innermost = oneLine(message).slice(0, 120);
    e = (e as { cause?: unknown }).cause;
  }
  return { ...(innermost !== undefined && { reason: innermost }), kind: 'network' };
}

export class Transport {
  readonly #apiKey: string | undefined;
  /** Endpoint without a trailing slash (a stage prefix kept). */
  readonly base: string;
  /** Endpoint as shown to people. */
  readonly shown: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly retryNonIdempotent: boolean;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly userAgent: string;
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  readonly now: () => number;

  constructor(options: KeygateClientOptions) {
    let url: URL;
    try {
      url = new URL(options.endpoint);
    } catch {
      throw new TypeError('endpoint must be an http(s) URL, e.g. https://api.example.com');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('endpoint must be an http(s) URL, e.g. https://api.example.com');
    if (url.username || url.password) throw new TypeError('endpoint must not carry credentials: pass the API key as apiKey');
    if (url.search || url.hash) throw new TypeError('endpoint must not carry a query string or fragment');
    if (options.apiKey !== undefined && !HEADER_SAFE.test(options.apiKey)) {
      // Never quote the value: it is a secret.
      throw new TypeError('apiKey must be visible ASCII characters without spaces');
    }
    this.#apiKey = options.apiKey === '' ? undefined : options.apiKey;
    this.base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.shown = displayEndpoint(options.endpoint);
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs);
    this.maxRetries = wholeNumber('maxRetries', options.maxRetries, DEFAULTS.maxRetries);
    this.retryNonIdempotent = options.retryNonIdempotent === true;
    this.baseDelayMs = positive('baseDelayMs', options.baseDelayMs, DEFAULTS.baseDelayMs);
    this.maxDelayMs = wholeNumber('maxDelayMs', options.maxDelayMs, DEFAULTS.maxDelayMs);
    this.userAgent = options.userAgent ?? `keygate-client/${CLIENT_VERSION}`;
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /** The URL of a path under the endpoint, with the defined query values. */
  url(path: string, query: Readonly<Record<string, string | number | boolean | undefined | null>> = {}): URL {
    const url = new URL(`${this.base}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    return url;
  }

  /**
   * Sends one request, retrying what may be retried: idempotent methods by default, POST and
   * PATCH only with `retryNonIdempotent` or `{ retry: true }`; on a connection error that a
   * retry can help, and on 429, 502, 503 and 504.
   */
  async send(method: HttpMethod, url: URL, init: { readonly body?: unknown; readonly authorized: boolean; readonly options?: RequestOptions }): Promise<Answer> {
    const options = init.options ?? {};
    const mayRetry = options.retry ?? (IDEMPOTENT_METHODS.has(method) || this.retryNonIdempotent);
    const retries = mayRetry ? this.maxRetries : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(method, url, init.body, init.authorized, options);
      } catch (err) {
        if (attempt >= retries || !worthRetrying(err) || options.signal?.aborted) throw err;
        // A wait longer than maxDelayMs (a used-up daily quota) would only be refused again: give the caller the error and its retryAfterSeconds now.
        if (err instanceof KeygateProblemError && err.retryAfterSeconds !== undefined && err.retryAfterSeconds * 1000 > this.maxDelayMs) throw err;
        await this.sleep(this.delayMs(attempt, err), options.signal);
        if (options.signal?.aborted) throw this.cancelled(options.signal);
      }
    }
  }

  /**
   * Wait before retry number `attempt + 1`: the server's `Retry-After` when it gave one, else
   * exponential backoff (`baseDelayMs · 2^attempt`) with equal jitter (half fixed, half random,
   * so callers that failed together spread out); both capped at `maxDelayMs`.
   */
  delayMs(attempt: number, err: unknown): number {
    const hinted = err instanceof KeygateProblemError ? err.retryAfterSeconds : undefined;
    if (hinted !== undefined) return Math.min(hinted * 1000, this.maxDelayMs);
    const step = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt);
    return Math.round(step / 2 + (step / 2) * this.random());
  }

  private cancelled(signal: AbortSignal): KeygateConnectionError {
    return new KeygateConnectionError(this.shown, 'cancelled', { kind: 'aborted', cause: signal.reason });
  }

  /** One exchange: the timeout covers the body too. */
  private async once(method: HttpMethod, url: URL, body: unknown, authorized: boolean, options: RequestOptions): Promise<Answer> {
    const signal = options.signal;
    if (signal?.aborted) throw this.cancelled(signal);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const headers: Record<string, string> = {
      Accept: `application/json, ${PROBLEM_CONTENT_TYPE}`,
      'User-Agent': this.userAgent,
    };
    if (authorized && this.#apiKey !== undefined) headers.Authorization = `Bearer ${this.#apiKey}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const noAnswer = (err: unknown): KeygateConnectionError => {
      if (signal?.aborted) return this.cancelled(signal);
      if (timedOut) return new KeygateConnectionError(this.shown, `no answer within ${waitText(timeoutMs)}`, { kind: 'timeout', cause: err });
      const { reason, kind } = failureReason(err);
      return new KeygateConnectionError(this.shown, reason, { kind, cause: err });
    };
    try {
      let res: Response;
      try {
        res = await this.fetch(url.href, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: controller.signal,
          redirect: 'error',
        });
      } catch (err) {
        throw noAnswer(err);
      }
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        throw noAnswer(err);
      }
      if (!res.ok) throw parseProblem(res.status, res.statusText, text, parseRetryAfter(res.headers.get('retry-after'), this.now()));
      if (text.trim() === '' && res.status === 204) return { status: res.status, headers: res.headers, body: undefined };
      try {
        return { status: res.status, headers: res.headers, body: JSON.parse(text) };
      } catch {
        throw invalidResponse(res.status, 'the response body is not JSON');
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** `30s`, or `250 ms` below a second. */
function waitText(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)}s` : `${ms} ms`;
}

function worthRetrying(err: unknown): boolean {
  if (err instanceof KeygateConnectionError) return err.retryable;
  if (err instanceof KeygateProblemError) return RETRY_STATUSES.has(err.status);
  return false;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}

function wholeNumber(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name} must be a whole number ≥ 0`);
  return value;
}
