/** EventSink on an EventBridge bus: source `keygate`, detail-type = the event's type. */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DependencyError, type EventSink } from '../core/ports';

export const EVENT_SOURCE = 'keygate';

export class EventBridgeEventSink implements EventSink {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(event: { readonly type: string; readonly [field: string]: unknown }): Promise<void> {
    const { type, ...detail } = event;
    let out;
    try {
      out = await this.client.send(
        new PutEventsCommand({ Entries: [{ EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: type, Detail: JSON.stringify(detail) }] }),
      );
    } catch (err) {
      throw new DependencyError('EventBridge PutEvents failed', true, { cause: err });
    }
    if ((out.FailedEntryCount ?? 0) > 0) {
      throw new DependencyError(`EventBridge rejected the event: ${out.Entries?.[0]?.ErrorCode ?? 'unknown'}`, true);
    }
  }
}
