import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { EventBridgeEventSink } from '../../adapters/eventbridge-event-sink';
import { limitResult, windowsAt, type LimitPlan } from '../../core/limits';
import { DependencyError } from '../../core/ports';
import { BackgroundWork } from '../../core/background';
import { LastUsedTracker, quotaWarnings } from '../../core/usage-signals';

const now = new Date('2033-01-15T08:00:00.000Z');
const w = windowsAt(now);
const plan: LimitPlan = { quota: { daily: 10, monthly: 100 } };
const at = (daily: number, monthly: number) => limitResult(plan, { rate: 0, daily, monthly }, w, []);
const key = { keyId: 'key_X', ownerId: 'acme' };

describe('quotaWarnings', () => {
  it('fires exactly when the count reaches the threshold share, once per quota', () => {
    expect(quotaWarnings(key, plan, at(7, 7), 0.8, now)).toEqual([]);
    const fired = quotaWarnings(key, plan, at(8, 8), 0.8, now);
    expect(fired).toEqual([
      { type: 'keygate.quota.warning', keyId: 'key_X', ownerId: 'acme', quota: 'daily', limit: 10, used: 8, threshold: 0.8, resetsAt: '2033-01-16T00:00:00.000Z', time: now.toISOString() },
    ]);
    expect(quotaWarnings(key, plan, at(9, 9), 0.8, now)).toEqual([]);
    expect(quotaWarnings(key, plan, at(9, 80), 0.8, now).map((e) => e.quota)).toEqual(['monthly']);
  });

  it('rounds the threshold count up and never below 1', () => {
    expect(quotaWarnings(key, { quota: { daily: 3 } }, limitResult({ quota: { daily: 3 } }, { rate: 0, daily: 3, monthly: 0 }, w, []), 0.8, now)).toHaveLength(1);
    expect(quotaWarnings(key, { quota: { daily: 1 } }, limitResult({ quota: { daily: 1 } }, { rate: 0, daily: 1, monthly: 0 }, w, []), 0.1, now)).toHaveLength(1);
  });

  it('raises nothing for a refused request', () => {
    expect(quotaWarnings(key, plan, limitResult(plan, { rate: 0, daily: 8, monthly: 8 }, w, ['daily']), 0.8, now)).toEqual([]);
  });
});

describe('LastUsedTracker', () => {
  it('writes at most once per key per interval and never awaits the write', async () => {
    const writes: [string, string][] = [];
    let release!: () => void;
    const pending = new Promise<void>((r) => (release = r));
    const tracker = new LastUsedTracker({ touchLastUsed: async (id, t) => { writes.push([id, t]); await pending; } }, undefined, undefined, 60_000);
    tracker.note('key_A', new Date(0)); // returns although the write has not finished
    tracker.note('key_A', new Date(59_999));
    tracker.note('key_B', new Date(1000));
    tracker.note('key_A', new Date(60_000));
    release();
    expect(writes).toEqual([
      ['key_A', new Date(0).toISOString()],
      ['key_B', new Date(1000).toISOString()],
      ['key_A', new Date(60_000).toISOString()],
    ]);
  });

  it('logs a failed write instead of throwing', async () => {
    const lines: string[] = [];
    const tracker = new LastUsedTracker({ touchLastUsed: async () => { throw new Error('down'); } }, { log: (_l, m) => lines.push(m) });
    const background = new BackgroundWork();
    const tracked = new LastUsedTracker({ touchLastUsed: async () => { throw new Error('down'); } }, { log: (_l, m) => lines.push(m) }, background);
    expect(() => tracker.note('key_A', new Date(0))).not.toThrow();
    tracked.note('key_A', new Date(0));
    expect(await background.flush()).toBe(true);
    expect(lines).toEqual(['lastUsedAt update failed', 'lastUsedAt update failed']);
  });
});

describe('EventBridgeEventSink', () => {
  it('sends exactly one PutEvents entry with source keygate and the type as detail-type', async () => {
    const eb = mockClient(EventBridgeClient);
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const [event] = quotaWarnings(key, plan, at(8, 8), 0.8, now);
    await new EventBridgeEventSink(new EventBridgeClient({ region: 'us-east-1' }), 'keygate-bus').publish(event!);
    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    const { type: _type, ...detail } = event!;
    expect(calls[0]!.args[0].input).toEqual({
      Entries: [{ EventBusName: 'keygate-bus', Source: 'keygate', DetailType: 'keygate.quota.warning', Detail: JSON.stringify(detail) }],
    });
    eb.restore();
  });

  it('rejects a partially failed PutEvents as a DependencyError', async () => {
    const eb = mockClient(EventBridgeClient);
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    await expect(new EventBridgeEventSink(new EventBridgeClient({ region: 'us-east-1' }), 'b').publish({ type: 't' })).rejects.toBeInstanceOf(DependencyError);
    eb.restore();
  });
});

describe('BackgroundWork', () => {
  it('waits for tracked work to settle, failures included', async () => {
    // Prepare
    const background = new BackgroundWork();
    const done: string[] = [];
    background.track(new Promise((r) => setTimeout(r, 5)).then(() => done.push('a')));
    background.track(Promise.reject(new Error('handled elsewhere')).catch(() => done.push('b')));
    // Act
    const settled = await background.flush(10_000);
    // Assess
    expect(settled).toBe(true);
    expect(done.sort()).toEqual(['a', 'b']);
    expect(background.size).toBe(0);
  });

  it('gives up on work that outlasts the bound, and says so', async () => {
    const background = new BackgroundWork();
    background.track(new Promise(() => undefined)); // never settles
    expect(await background.flush(20)).toBe(false);
    expect(background.size).toBe(1);
  });
});

describe('quota warnings with a route cost', () => {
  it('fires once for the request whose cost carries the count across the threshold', () => {
    const plan = { quota: { daily: 10 } };
    const w = windowsAt(new Date('2031-05-10T12:00:00Z'));
    const result = (used: number) => limitResult(plan, { rate: 0, daily: used, monthly: 0 }, w, []);
    const key = { keyId: 'key_x', ownerId: 'o' };
    const now = new Date('2031-05-10T12:00:00Z');
    // threshold 0.8 × 10 = 8: 5 → 10 crosses it; 3 → 6 and 8 → 10 (already past) do not
    expect(quotaWarnings(key, plan, result(10), 0.8, now, 5)).toHaveLength(1);
    expect(quotaWarnings(key, plan, result(6), 0.8, now, 3)).toHaveLength(0);
    expect(quotaWarnings(key, plan, result(10), 0.8, now, 2)).toHaveLength(0);
  });
});
