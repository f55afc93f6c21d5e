/**
 * The webhook contract, one definition for the deployed webhook Lambda, the local webhook sink,
 * the CDK rule and docs/webhooks.md: which events go to the webhook, what body is sent, and the
 * signature over it.
 *
 * Signature (Stripe / Standard Webhooks style): `Keygate-Signature: t=<unix seconds>,v1=<hex>`
 * where `<hex>` is HMAC-SHA256 keyed with the UTF-8 bytes of the shared secret over
 * `"<t>.<raw body>"`. Binding the timestamp into the MAC lets a receiver refuse replays older
 * than its tolerance; comparing in constant time keeps the MAC from leaking byte by byte.
 * EventBridge API destinations send only static credentials (API key, basic, OAuth), so they
 * cannot compute this per payload: a small Lambda signs instead (lib/webhook-delivery.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { KEY_EXPIRED_EVENT, KEY_EXPIRING_EVENT } from './expiry-scan';
import { KEY_LEAKED_EVENT } from './leak-response';
import { ANOMALY_EVENT_TYPE } from './usage-anomalies';

export const SIGNATURE_HEADER = 'Keygate-Signature';
export const EVENT_ID_HEADER = 'Keygate-Event-Id';
export const EVENT_TYPE_HEADER = 'Keygate-Event-Type';
/** Scheme version in the header; a future scheme adds `v2=` beside it rather than changing `v1`. */
export const SIGNATURE_VERSION = 'v1';
/**
 * Environment of the webhook: the receiver's URL (the local stack and the deployed Lambda alike),
 * the local secret (else generated under the local home), the deployed secret's ARN.
 */
export const WEBHOOK_ENV = {
  url: 'KEYGATE_WEBHOOK_URL',
  secret: 'KEYGATE_WEBHOOK_SECRET',
  secretArn: 'KEYGATE_WEBHOOK_SECRET_ARN',
} as const;
/** How old a signature timestamp a receiver accepts by default (and how far in the future). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * The notification events the webhook receives: what an operator or key owner acts on.
 * Audit events (`keygate.audit.*`) are not among them: they are the archive's (lib/audit-export.ts)
 * and would flood a receiver with every key change.
 */
export const WEBHOOK_EVENT_TYPES = [
  KEY_EXPIRING_EVENT,
  KEY_EXPIRED_EVENT,
  'keygate.quota.warning',
  KEY_LEAKED_EVENT,
  ANOMALY_EVENT_TYPE,
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEvent(type: string): type is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);
}

/** The JSON body a webhook receives. `id` is stable across retries of one event: dedupe on it. */
export interface WebhookPayload {
  readonly id: string;
  readonly type: string;
  /** ISO-8601 time of the event. */
  readonly time: string;
  /** The event's fields (key id, owner, name, threshold, expiresAt, …); never a secret. */
  readonly detail: Readonly<Record<string, unknown>>;
}

/** The exact bytes that are signed and sent. */
export function webhookBody(payload: WebhookPayload): string {
  return JSON.stringify({ id: payload.id, type: payload.type, time: payload.time, detail: payload.detail });
}

function mac(secret: string, body: string, t: number): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.${body}`, 'utf8').digest('hex');
}

/** The `Keygate-Signature` header value for `body` signed at `t` (unix seconds). */
export function sign(secret: string, body: string, t: number): string {
  if (secret === '') throw new Error('webhook secret must not be empty');
  if (!Number.isSafeInteger(t) || t < 0) throw new Error('signature timestamp must be whole unix seconds');
  return `t=${t},${SIGNATURE_VERSION}=${mac(secret, body, t)}`;
}

export type VerifyOutcome =
  | { readonly kind: 'ok'; readonly timestamp: number }
  /** The header is missing a part, repeats `t`, or a value is not what the scheme allows. */
  | { readonly kind: 'malformed'; readonly reason: string }
  /** Signed too long ago (a replay, or a clock far off), or too far in the future. */
  | { readonly kind: 'stale'; readonly timestamp: number; readonly ageSeconds: number }
  /** No `v1` signature matches: wrong secret, or the body was changed. */
  | { readonly kind: 'mismatch'; readonly timestamp: number };

const HEX_64 = /^[0-9a-f]{64}$/;

/**
 * Checks a `Keygate-Signature` header against the raw body as received.
 *
 * `now` is unix seconds. Several `v1=` entries are accepted (any one matching is enough), so a
 * sender can sign with an old and a new secret while both sides switch. Unknown schemes (`v2=`)
 * are ignored. The timestamp is checked before the MAC so a stale request costs no HMAC.
 */
export function verify(secret: string, body: string, header: string | undefined, now: number, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): VerifyOutcome {
  if (header === undefined || header.trim() === '') return { kind: 'malformed', reason: 'no signature header' };
  if (header.length > 4096) return { kind: 'malformed', reason: 'signature header too long' };
  let t: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { kind: 'malformed', reason: 'every part must be name=value' };
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't') {
      if (t !== undefined) return { kind: 'malformed', reason: 'more than one t=' };
      if (!/^\d{1,12}$/.test(value)) return { kind: 'malformed', reason: 't must be unix seconds' };
      t = Number(value);
    } else if (name === SIGNATURE_VERSION) {
      if (!HEX_64.test(value)) return { kind: 'malformed', reason: 'v1 must be 64 lowercase hex digits' };
      signatures.push(value);
    }
  }
  if (t === undefined) return { kind: 'malformed', reason: 'no t=' };
  if (signatures.length === 0) return { kind: 'malformed', reason: 'no v1=' };
  const age = now - t;
  if (Math.abs(age) > toleranceSeconds) return { kind: 'stale', timestamp: t, ageSeconds: age };
  const expected = Buffer.from(mac(secret, body, t), 'hex');
  // Every candidate is compared in full, so the time taken does not say which one matched.
  let ok = false;
  for (const candidate of signatures) ok = timingSafeEqual(expected, Buffer.from(candidate, 'hex')) || ok;
  return ok ? { kind: 'ok', timestamp: t } : { kind: 'mismatch', timestamp: t };
}
