/**
 * Lambda entry of the webhook (lib/webhook-delivery.ts): an EventBridge rule on the Keygate bus
 * invokes it asynchronously with one notification event; it signs the event and POSTs it to
 * KEYGATE_WEBHOOK_URL (adapters/webhook-sink.ts, a few quick attempts), and throws when the
 * receiver did not take it, so Lambda's asynchronous retries run and, after the last one, the
 * event goes to the dead-letter queue. The body's `id` is the EventBridge event id, the same on
 * every retry, so a receiver can drop duplicates.
 *
 * Environment (parsed once, failing the cold start naming the variable): KEYGATE_WEBHOOK_URL,
 * KEYGATE_WEBHOOK_SECRET_ARN. The secret is read from Secrets Manager on first use and cached.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { EventBridgeEvent } from 'aws-lambda';
import { isWebhookEvent, WEBHOOK_ENV } from '../../core/webhook-signature';
import { clientSettings } from '../../adapters/client-profiles';
import { EmfMetrics } from '../../adapters/emf-metrics';
import { JsonLogger } from '../../adapters/json-logger';
import { CachedSecret, SECRETS_CLIENT_PROFILE } from '../../adapters/secrets-manager-secret';
import { type DeliveryResult, WebhookSink } from '../../adapters/webhook-sink';

function required(name: string): string {
  const v = process.env[name]?.trim();
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

const logger = new JsonLogger({ service: 'keygate-webhook' });
const secret = new CachedSecret(new SecretsManagerClient(clientSettings(SECRETS_CLIENT_PROFILE)), required(WEBHOOK_ENV.secretArn));
// Three quick attempts inside one invocation (at most 5 s each, pauses capped at 2 s even with a
// Retry-After: under 20 s, inside the 30 s timeout with the secret read); Lambda's
// asynchronous retries (minutes apart) cover longer outages.
const sink = new WebhookSink({ url: required(WEBHOOK_ENV.url), secret: () => secret.value(), maxAttempts: 3, attemptTimeoutMs: 5000, backoffMs: 500, maxBackoffMs: 2000, logger });

// For the webhook, EventsPublished counts events the receiver took, EventsFailed those it did not (docs/metrics.md).
const metrics = new EmfMetrics();
const DIMS = { Service: 'webhook' } as const;

export type WebhookInvocation = EventBridgeEvent<string, Record<string, unknown>>;

export async function handler(event: WebhookInvocation): Promise<DeliveryResult | { skipped: string }> {
  const type = event?.['detail-type'];
  if (typeof event?.id !== 'string' || typeof type !== 'string' || typeof event.time !== 'string' || !event.detail || typeof event.detail !== 'object') {
    // Not an EventBridge event: a retry cannot fix it.
    logger.log('error', 'webhook invoked without an EventBridge event', {});
    return { skipped: 'not an EventBridge event' };
  }
  if (!isWebhookEvent(type)) {
    logger.log('warn', 'webhook skipped an event type it does not deliver', { eventId: event.id, eventType: type });
    return { skipped: type };
  }
  try {
    const result = await sink.deliver({ id: event.id, type, time: event.time, detail: event.detail });
    logger.log('info', 'webhook delivered', { eventId: event.id, eventType: type, status: result.status, attempts: result.attempts });
    metrics.count('EventsPublished', DIMS);
    return result;
  } catch (err) {
    logger.log('error', 'webhook delivery failed', { eventId: event.id, eventType: type, error: err });
    metrics.count('EventsFailed', DIMS);
    throw err;
  } finally {
    metrics.flush();
  }
}
