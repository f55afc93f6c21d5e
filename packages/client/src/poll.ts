/**
 * Usage queries run on Athena and may outlast one HTTP request: the API answers
 * `202 {status: 'running', queryId, retryAfterSeconds}` with `Location` and `Retry-After`. This
 * follows those answers until the 200, or gives up after `maxWaitMs` with the query id to resume.
 */
import { invalidResponse, KeygateQueryRunningError } from './errors.js';
import { parseRetryAfter, type Transport } from './transport.js';
import type { HttpMethod, PollOptions } from './types.js';

/** How long the client keeps following 202s before it gives up. */
export const DEFAULT_MAX_WAIT_MS = 5 * 60_000;
/** Used when a 202 says nothing about when to ask again. */
const DEFAULT_POLL_MS = 2_000;
/** A server asking for a longer pause is capped, so the client keeps checking. */
const MAX_POLL_MS = 30_000;

/** `Retry-After` (seconds or an HTTP date), else the body's hint, else 2 s; capped at 30 s. */
export function pollDelayMs(header: string | null, bodySeconds: unknown, nowMs: number): number {
  const fromHeader = parseRetryAfter(header, nowMs);
  const seconds = fromHeader ?? (typeof bodySeconds === 'number' && Number.isFinite(bodySeconds) && bodySeconds >= 0 ? bodySeconds : undefined);
  if (seconds === undefined) return DEFAULT_POLL_MS;
  return Math.min(Math.max(seconds * 1000, 0), MAX_POLL_MS);
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
    throw invalidResponse(202, 'the Location of the 202 answer is not a URL');
  }
  if (next.origin !== first.origin || next.pathname !== first.pathname) {
    throw invalidResponse(202, 'the Location of the 202 answer points away from the endpoint; not followed');
  }
  return next;
}

/** GETs `first`, following 202s; resolves to the body of the final 200. */
export async function pollUntilDone<T>(transport: Transport, method: HttpMethod, first: URL, options: PollOptions = {}): Promise<T> {
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const started = transport.now();
  let url = first;
  for (;;) {
    const answer = await transport.send(method, url, { authorized: true, options });
    if (answer.status !== 202) return answer.body as T;
    const running = (answer.body ?? {}) as { queryId?: unknown; retryAfterSeconds?: unknown };
    const queryId = typeof running.queryId === 'string' ? running.queryId : (url.searchParams.get('queryId') ?? undefined);
    if (queryId === undefined) throw invalidResponse(202, 'the server answered 202 without a queryId');
    url = nextPollUrl(first, url, answer.headers.get('location'), queryId);
    const waitMs = pollDelayMs(answer.headers.get('retry-after'), running.retryAfterSeconds, transport.now());
    const elapsedMs = transport.now() - started;
    if (elapsedMs + waitMs > maxWaitMs) throw new KeygateQueryRunningError(queryId, elapsedMs);
    options.onRunning?.({ queryId, elapsedMs });
    await transport.sleep(waitMs, options.signal);
  }
}
