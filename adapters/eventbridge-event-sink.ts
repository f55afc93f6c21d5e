/** EventSink on an EventBridge bus: source `keygate`, detail-type = the event's type. */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DependencyError, type EventSink } from '../core/ports';

export const EVENT_SOURCE = 'keygate';

/** Most entries one PutEvents call takes. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

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

  /**
   * Puts events in calls of up to {@link PUT_EVENTS_MAX_ENTRIES}; one result per event, in order
   * (undefined: accepted). A failed call fails every event in it; EventBridge may also reject
   * single entries (`ErrorCode`), which fail only those.
   */
  async publishBatch(events: readonly { readonly type: string; readonly [field: string]: unknown }[]): Promise<(Error | undefined)[]> {
    const results: (Error | undefined)[] = [];
    for (let i = 0; i < events.length; i += PUT_EVENTS_MAX_ENTRIES) {
      const chunk = events.slice(i, i + PUT_EVENTS_MAX_ENTRIES);
      let out;
      try {
        out = await this.client.send(
          new PutEventsCommand({
            Entries: chunk.map(({ type, ...detail }) => ({ EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: type, Detail: JSON.stringify(detail) })),
          }),
        );
      } catch (err) {
        const failure = new DependencyError('EventBridge PutEvents failed', true, { cause: err });
        results.push(...chunk.map(() => failure));
        continue;
      }
      chunk.forEach((_, j) => {
        const code = out.Entries?.[j]?.ErrorCode;
        results.push(code ? new DependencyError(`EventBridge rejected the event: ${code}`, true) : undefined);
      });
    }
    return results;
  }
}
