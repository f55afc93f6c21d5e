/**
 * Signed webhook delivery (docs/webhooks.md): POSTs one event as JSON with `Keygate-Signature`,
 * `Keygate-Event-Id` and `Keygate-Event-Type`, retrying with exponential backoff on network
 * errors, timeouts, 5xx and 429, and not on any other answer (another 4xx will not change by
 * itself; a redirect is not followed, so a signed body never goes where it was not configured to).
 * Each attempt is signed afresh with the current time, so a late retry is not refused as stale.
 *
 * The deployed webhook Lambda calls {@link WebhookSink.deliver} with the EventBridge event's id;
 * locally it is an {@link EventSink} that gives each event a fresh id (see
 * adapters/webhook-forwarding-sink.ts). Logs name the event id, type, attempt and status, and
 * the URL's origin only (a path or query may hold a receiver's token): never the secret or the body.
 */
import { randomUUID } from 'node:crypto';
import type { EventSink, Logger } from '../core/ports';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, sign, type WebhookPayload, webhookBody } from '../core/webhook-signature';

export interface WebhookSinkOptions {
  /** The receiver, http(s). */
  readonly url: string;
  /** The shared secret, or a getter (the Lambda reads it from Secrets Manager, cached). */
  readonly secret: string | (() => Promise<string>);
  /** Attempts per delivery, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** Each attempt is aborted after this long. @default 5000 */
  readonly attemptTimeoutMs?: number;
  /** Pause before the second attempt; doubled for each further one, up to `maxBackoffMs`. @default 500 */
  readonly backoffMs?: number;
  /** @default 8000 */
  readonly maxBackoffMs?: number;
  /** For tests and the Lambda: how to pause between attempts. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Unix milliseconds, for the signature timestamp. @default Date.now */
  readonly now?: () => number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Id of an event published through {@link WebhookSink.publish}. @default randomUUID */
  readonly newId?: () => string;
  readonly logger?: Logger;
}

/** Delivery failed for good (after every attempt, or at once for an answer retrying cannot change). */
export class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';
  constructor(
    message: string,
    /** True when the last failure was transient (network, timeout, 5xx, 429): a later retry may succeed. */
    readonly retryable: boolean,
    readonly attempts: number,
    /** The receiver's last status, when it answered. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface DeliveryResult {
  readonly status: number;
  readonly attempts: number;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryableStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/** `Retry-After` in seconds (the HTTP-date form is rare from webhook receivers and is ignored). */
function retryAfterMs(res: Response): number | undefined {
  const raw = res.headers.get('retry-after')?.trim();
  return raw && /^\d{1,6}$/.test(raw) ? Number(raw) * 1000 : undefined;
}

export class WebhookSink implements EventSink {
  private readonly origin: string;
  private readonly maxAttempts: number;
  private readonly attemptTimeoutMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly options: WebhookSinkOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new Error('webhook URL is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('webhook URL must be http(s)');
    this.origin = url.origin;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 5000;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 8000;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) throw new Error('webhook maxAttempts must be a whole number ≥ 1');
  }

  /** An event as the services publish it (`type` plus its fields): a fresh id, `time` from the event or now. */
  async publish(event: { readonly type: string; readonly [field: string]: unknown }): Promise<void> {
    const { type, ...detail } = event;
    const now = this.options.now?.() ?? Date.now();
    const time = typeof detail.time === 'string' ? detail.time : new Date(now).toISOString();
    await this.deliver({ id: (this.options.newId ?? randomUUID)(), type, time, detail });
  }

  /** POSTs the payload until the receiver answers 2xx; throws {@link WebhookDeliveryError} otherwise. */
  async deliver(payload: WebhookPayload): Promise<DeliveryResult> {
    const body = webhookBody(payload);
    const secret = typeof this.options.secret === 'string' ? this.options.secret : await this.options.secret();
    const doFetch = this.options.fetch ?? globalThis.fetch;
    const log = { eventId: payload.id, eventType: payload.type, receiver: this.origin };
    let last: { retryable: boolean; status?: number; cause?: unknown; waitMs?: number } = { retryable: true };

    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) {
        const backoff = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 2));
        await (this.options.sleep ?? sleepFor)(Math.min(this.maxBackoffMs, Math.max(backoff, last.waitMs ?? 0)));
      }
      const t = Math.floor((this.options.now?.() ?? Date.now()) / 1000);
      let res: Response;
      try {
        res = await doFetch(this.options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Keygate-Webhook/1',
            [SIGNATURE_HEADER]: sign(secret, body, t),
            [EVENT_ID_HEADER]: payload.id,
            [EVENT_TYPE_HEADER]: payload.type,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.attemptTimeoutMs),
        });
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
        last = { retryable: true, cause: err };
        this.options.logger?.log('warn', 'webhook attempt failed', { ...log, attempt, error: timedOut ? 'timeout' : errorCode(err) });
        continue;
      }
      // The answer's body is not read: free the connection.
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        if (attempt > 1) this.options.logger?.log('info', 'webhook delivered after retry', { ...log, attempt, status: res.status });
        return { status: res.status, attempts: attempt };
      }
      const wait = retryAfterMs(res);
      last = { retryable: retryableStatus(res.status), status: res.status, ...(wait !== undefined ? { waitMs: wait } : {}) };
      this.options.logger?.log('warn', 'webhook attempt rejected', { ...log, attempt, status: res.status });
      if (!last.retryable) {
        throw new WebhookDeliveryError(`webhook receiver ${this.origin} answered ${res.status} (not retried)`, false, attempt, res.status);
      }
    }
    const what = last.status !== undefined ? `answered ${last.status}` : `did not answer (${errorCode(last.cause)})`;
    throw new WebhookDeliveryError(
      `webhook receiver ${this.origin} ${what} after ${this.maxAttempts} attempts`,
      true,
      this.maxAttempts,
      last.status,
      last.cause !== undefined ? { cause: last.cause } : undefined,
    );
  }
}

/** A short, secret-free description of a network failure (`ECONNREFUSED`, `timeout`). */
function errorCode(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timeout';
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  return err instanceof Error ? err.name : 'error';
}
