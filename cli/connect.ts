/**
 * The API client every command uses (the @keygate/client package), set up the CLI's way.
 *
 * Retries are off: a command either answers or says why at once, as it always has (the
 * package's default retries idempotent calls on 429/502/503/504 and on lost connections,
 * waiting Retry-After).
 */
import { KeygateClient, type KeygateClientOptions } from '../packages/client/src/index';
import { UsageError } from './errors';

/** Sent as User-Agent, so the server's logs tell the CLI from other clients. */
export const CLI_USER_AGENT = 'keygate-cli/0.1.0';

export interface ConnectIo {
  /** For tests: the HTTP client's fetch. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** For tests: the pause between asks for a running query. @default setTimeout */
  readonly sleep?: KeygateClientOptions['sleep'];
  /** For tests: the clock (the wait bound of a running query). @default Date.now */
  readonly now?: () => number;
}

/** `apiKey` absent: a route that takes none (the leak report). */
export function cliClient(opts: { readonly endpoint: string; readonly apiKey?: string; readonly io: ConnectIo }): KeygateClient {
  const { io } = opts;
  try {
    return new KeygateClient({
      endpoint: opts.endpoint,
      ...(opts.apiKey !== undefined && { apiKey: opts.apiKey }),
      maxRetries: 0,
      userAgent: CLI_USER_AGENT,
      ...(io.fetch && { fetch: io.fetch }),
      ...(io.sleep && { sleep: io.sleep }),
      ...(io.now && { now: io.now }),
    });
  } catch (err) {
    // The client refuses an endpoint or key it cannot send (its messages never quote the key).
    if (err instanceof TypeError) throw new UsageError(err.message.replace(/^apiKey\b/, 'the API key').replace(/ as apiKey$/, ' with --api-key or KEYGATE_API_KEY'));
    throw err;
  }
}
