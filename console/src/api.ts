/**
 * The console talks to the API through the typed client (@keygate/client, from source), on the
 * same origin it was served from: /console/ sits next to /v1/ on the same API (and stage).
 */
import { KeygateClient, KeygateConnectionError, KeygateProblemError } from '../../packages/client/src/index';

/** The API's base URL: the page's URL up to the `/console` segment (keeps an API Gateway stage). */
export function apiBaseUrl(location: { readonly origin: string; readonly pathname: string } = window.location): string {
  const at = location.pathname.lastIndexOf('/console');
  const prefix = at >= 0 ? location.pathname.slice(0, at) : '';
  return location.origin + prefix;
}

export function makeClient(apiKey: string): KeygateClient {
  // One attempt for writes (the client's default); reads retry a throttled answer twice.
  return new KeygateClient({ endpoint: apiBaseUrl(), apiKey, timeoutMs: 20_000, maxDelayMs: 5_000 });
}

export { KeygateProblemError };

/** One line for a failed call, in words a person can act on. */
export function describeError(err: unknown): string {
  if (err instanceof KeygateProblemError) {
    const id = err.requestId ? ` (request ${err.requestId})` : '';
    return `${err.title ?? `Error ${err.status}`}: ${err.detail}${id}`;
  }
  if (err instanceof KeygateConnectionError) return `The API did not answer (${err.kind}). Check your connection and try again.`;
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}

export const isProblem = (err: unknown, status: number, code?: string): err is KeygateProblemError =>
  err instanceof KeygateProblemError && err.status === status && (code === undefined || err.code === code);
