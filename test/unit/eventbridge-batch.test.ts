/** EventBridgeEventSink.publishBatch against a mocked EventBridge (no emulator here): the exact PutEvents input, chunks of 10, per-entry failures. */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBridgeEventSink } from '../../adapters/eventbridge-event-sink';

const eb = mockClient(EventBridgeClient);
afterEach(() => eb.reset());

const event = (i: number) => ({ type: 'keygate.key.expiring', keyId: `key_${i}`, ownerId: 'acme', name: 'n', threshold: 7, expiresAt: '2031-05-12T12:00:00.000Z' });

describe('EventBridgeEventSink.publishBatch', () => {
  it('puts events in calls of at most 10, source keygate, detail-type the type, detail the rest', async () => {
    // Prepare
    eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'e' })) }));
    const sink = new EventBridgeEventSink(new EventBridgeClient({ region: 'us-east-1' }), 'bus');
    // Act
    const results = await sink.publishBatch(Array.from({ length: 12 }, (_, i) => event(i)));
    // Assess
    expect(results).toEqual(Array.from({ length: 12 }, () => undefined));
    const calls = eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    expect(calls.map((c) => c.length)).toEqual([10, 2]);
    expect(calls[0]![0]).toEqual({
      EventBusName: 'bus',
      Source: 'keygate',
      DetailType: 'keygate.key.expiring',
      Detail: JSON.stringify({ keyId: 'key_0', ownerId: 'acme', name: 'n', threshold: 7, expiresAt: '2031-05-12T12:00:00.000Z' }),
    });
  });

  it('fails only the entries EventBridge rejects, and a whole chunk when the call fails', async () => {
    // Prepare
    eb.on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'x' }] })
      .rejectsOnce(new Error('network'));
    const sink = new EventBridgeEventSink(new EventBridgeClient({ region: 'us-east-1' }), 'bus');
    // Act
    const first = await sink.publishBatch([event(0), event(1)]);
    const second = await sink.publishBatch([event(2)]);
    // Assess
    expect(first[0]).toBeUndefined();
    expect(first[1]?.message).toBe('EventBridge rejected the event: InternalFailure');
    expect(second[0]?.message).toBe('EventBridge PutEvents failed');
  });
});
