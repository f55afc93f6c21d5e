/**
 * HTTP test helpers that work against any Keygate deployment: the local stack or a deployed
 * API Gateway stage. A target is only `{ baseUrl, adminKey }` plus how long a revocation may
 * take to show (the authorizer cache TTL), so the same scenario runs in both places.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT } from '../../core/gateway-responses';
import type { Clock } from '../../core/ports';

export interface E2eTarget {
  /** Shown in test names. */
  readonly name: string;
  /** Base URL including the stage, without a trailing slash (e.g. https://abc.execute-api.eu-west-1.amazonaws.com/prod). */
  readonly baseUrl: string;
  readonly adminKey: string;
  /** Longest time a revocation may take to be enforced (the authorizer cache TTL); 0 locally in tests. */
  readonly revocationLagMs: number;
  /**
   * Whether the target maps the 429's `Retry-After` and `X-RateLimit-*` headers from the
   * authorizer context (`keygate:gatewayResponseContextHeaders`, docs/authorizer.md).
   */
  readonly contextHeaders: boolean;
}

/**
 * The deployed target from `KEYGATE_E2E_URL` and `KEYGATE_E2E_ADMIN_KEY`, or undefined when
 * either is unset. `KEYGATE_E2E_REVOCATION_LAG_SECONDS` overrides the revocation lag (default
 * 15 s: the deployed cache TTL default of 10 s plus slack). `KEYGATE_E2E_CONTEXT_HEADERS=true`
 * says the stack was deployed with `-c keygate:gatewayResponseContextHeaders=true`, so the 429
 * must carry `Retry-After` and `X-RateLimit-*` (default: the stack's default, off).
 */
export function deployedTarget(env: Readonly<Record<string, string | undefined>> = process.env): E2eTarget | undefined {
  const url = env.KEYGATE_E2E_URL?.trim();
  const adminKey = env.KEYGATE_E2E_ADMIN_KEY?.trim();
  if (!url || !adminKey) return undefined;
  const lag = Number(env.KEYGATE_E2E_REVOCATION_LAG_SECONDS ?? '15');
  const contextHeaders = env.KEYGATE_E2E_CONTEXT_HEADERS?.trim().toLowerCase();
  if (contextHeaders !== undefined && contextHeaders !== '' && contextHeaders !== 'true' && contextHeaders !== 'false') {
    throw new Error(`KEYGATE_E2E_CONTEXT_HEADERS must be true or false (got ${JSON.stringify(env.KEYGATE_E2E_CONTEXT_HEADERS)})`);
  }
  return {
    name: 'deployed',
    baseUrl: url.replace(/\/+$/, ''),
    adminKey,
    revocationLagMs: (Number.isFinite(lag) && lag >= 0 ? lag : 15) * 1000,
    contextHeaders: contextHeaders ? contextHeaders === 'true' : GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT,
  };
}

/** The local stack, whose gateway uses the deployed default for context headers unless told otherwise. */
export function localTarget(stack: { url: string; adminKey: string }, contextHeaders = GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT): E2eTarget {
  return { name: 'local', baseUrl: stack.url, adminKey: stack.adminKey, revocationLagMs: 0, contextHeaders };
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

export interface ApiRequest {
  readonly method?: string;
  /** Sent as `Authorization: Bearer <key>`. */
  readonly key?: string;
  /** An object is JSON-encoded; a string or bytes are sent as they are. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** One HTTP request with global fetch; JSON bodies get `Content-Type: application/json` unless a type is given. */
export async function request(target: Pick<E2eTarget, 'baseUrl'>, path: string, req: ApiRequest = {}): Promise<ApiResponse> {
  const headers = new Headers(req.headers);
  if (req.key !== undefined) headers.set('authorization', `Bearer ${req.key}`);
  let body: string | Uint8Array | undefined;
  if (req.body !== undefined) {
    body = typeof req.body === 'string' || req.body instanceof Uint8Array ? req.body : JSON.stringify(req.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const res = await fetch(target.baseUrl + path, { method: req.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** A JSON client bound to one target, recording every response (for leak checks). */
export class ApiClient {
  readonly responses: ApiResponse[] = [];
  constructor(readonly target: Pick<E2eTarget, 'baseUrl'>) {}
  async call(path: string, req: ApiRequest = {}): Promise<ApiResponse> {
    const res = await request(this.target, path, req);
    this.responses.push(res);
    return res;
  }
}

/** Asserts an RFC 9457 problem response with the given status and code; returns the body. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function expectProblem(res: ApiResponse, status: number, code: string): any {
  expect({ status: res.status, code: res.body?.code }, res.text).toEqual({ status, code });
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body).toMatchObject({ type: `urn:keygate:problem:${code}`, status, code, title: expect.any(String), detail: expect.any(String) });
  return res.body;
}

/**
 * The 429 for a key whose rate limit is used up (the `INVALID_API_KEY` gateway response). On a
 * deployment this is where the [U] points of docs/authorizer.md show: the status (is
 * `InvalidKeyParameter` really `INVALID_API_KEY`?), the numbers in the body (does
 * `$context.authorizer.*` render there?) and, with context headers on, the headers (does API
 * Gateway accept and render `context.authorizer.*` as a header value?). Each message says which.
 */
export function expectRateLimited(res: ApiResponse, target: Pick<E2eTarget, 'contextHeaders'>, limit: number): void {
  expect(res.status, `a used-up rate limit must answer 429 (INVALID_API_KEY remapped); got ${res.status} ${res.text}`).toBe(429);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = res.body as Record<string, unknown>;
  expect(
    { code: body.code, type: body.type, status: body.status },
    'the 429 body lacks the authorizer context: $context.authorizer.* is not rendered in INVALID_API_KEY templates',
  ).toEqual({ code: 'rate_limited', type: 'urn:keygate:problem:rate_limited', status: 429 });
  expect(body).toMatchObject({ limit: String(limit), remaining: '0', retryAfter: expect.stringMatching(/^[1-9]\d*$/), reset: expect.stringMatching(/^\d+$/) });
  const headers = {
    retryAfter: res.headers.get('retry-after'),
    limit: res.headers.get('x-ratelimit-limit'),
    remaining: res.headers.get('x-ratelimit-remaining'),
    reset: res.headers.get('x-ratelimit-reset'),
  };
  if (target.contextHeaders) {
    expect(
      headers,
      'context.authorizer.* header mappings are not rendered on this deployment: deploy with keygate:gatewayResponseContextHeaders=false',
    ).toEqual({ retryAfter: body.retryAfter, limit: String(limit), remaining: '0', reset: body.reset });
  } else {
    expect(headers, 'context headers are off (the default), so the 429 carries its numbers in the body only').toEqual({
      retryAfter: null,
      limit: null,
      remaining: null,
      reset: null,
    });
  }
}

/** The 401 every key problem turns into (API Gateway's UNAUTHORIZED gateway response). */
export function expectUnauthorized(res: ApiResponse): void {
  expectProblem(res, 401, 'unauthorized');
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="keygate"/);
}

/** A problem body without its per-request id, for comparing two responses. */
export function withoutRequestId(body: Record<string, unknown>): Record<string, unknown> {
  const { requestId: _requestId, ...rest } = body;
  return rest;
}

/**
 * Retries `probe` until it returns true or `withinMs` has passed (at least one try). For
 * effects that a deployed stack applies after a bounded lag (authorizer cache); locally the
 * lag is 0 and this is a single try.
 */
export async function eventually(probe: () => Promise<boolean>, withinMs: number, intervalMs = 500): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * A clock tests can move forward. It follows real time plus an offset, and never returns the
 * same millisecond twice, so keys created one after another get strictly increasing ids
 * (ULIDs order only to the millisecond).
 */
export class TestClock implements Clock {
  private offsetMs = 0;
  private last = 0;
  now(): Date {
    const t = Math.max(Date.now() + this.offsetMs, this.last + 1);
    this.last = t;
    return new Date(t);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** A copy of a key with one character of its random part changed: same shape, wrong checksum. */
export function withBadChecksum(key: string): string {
  const i = key.length - 10;
  const c = key[i] === 'A' ? 'B' : 'A';
  return key.slice(0, i) + c + key.slice(i + 1);
}

/** Key ids that are well formed but belong to no key. */
export const UNKNOWN_KEY_ID = 'key_01ARZ3NDEKTSV4RRFFQ69G5FAV';
