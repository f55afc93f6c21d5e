/**
 * The local stack's event sink when `KEYGATE_WEBHOOK_URL` is set: every event goes to the
 * primary sink (`<home>/events.ndjson`) as before, and the notification events
 * (`WEBHOOK_EVENT_TYPES`) also go to the webhook, in the background.
 *
 * In the background because that is how the deployed path behaves: PutEvents returns once
 * EventBridge has the event, and the webhook Lambda delivers it later. A slow or failing receiver
 * (with its retries and backoff) therefore never delays a request or fails a publish; a delivery
 * that fails for good is logged. `flush()` waits for deliveries in flight (tests, shutdown).
 */
import { BackgroundWork } from '../core/background';
import type { EventSink, Logger } from '../core/ports';
import { isWebhookEvent } from '../core/webhook-signature';

export interface WebhookForwardingSinkOptions {
  /** Which event types go to the webhook. @default isWebhookEvent (WEBHOOK_EVENT_TYPES) */
  readonly forwards?: (type: string) => boolean;
  readonly logger?: Logger;
}

export class WebhookForwardingSink implements EventSink {
  private readonly background = new BackgroundWork();
  private readonly forwards: (type: string) => boolean;

  constructor(
    private readonly primary: EventSink,
    private readonly webhook: EventSink,
    private readonly options: WebhookForwardingSinkOptions = {},
  ) {
    this.forwards = options.forwards ?? isWebhookEvent;
  }

  async publish(event: { readonly type: string; readonly [field: string]: unknown }): Promise<void> {
    await this.primary.publish(event);
    if (!this.forwards(event.type)) return;
    const delivery = this.webhook.publish(event).catch((error: unknown) => {
      // The delivery error names the receiver's origin and status, never the secret or body.
      this.options.logger?.log('error', 'webhook delivery failed', { eventType: event.type, error });
    });
    this.background.track(delivery);
  }

  /** Waits for the webhook deliveries started so far (at most `boundMs` when given). */
  flush(boundMs?: number): Promise<boolean> {
    return this.background.flush(boundMs);
  }
}
