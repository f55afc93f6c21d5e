/**
 * Hot-key leases against DynamoDB Local: 4 simulated authorizer containers (own client, own
 * LeasingCounterStore) over one real DynamoCounterStore table, driven at concurrency 64. Time is
 * virtual (request i happens at i / demand seconds), so the figures do not depend on this
 * machine's speed: admissions per window never pass the limit, and lease writes stay far
 * below one per admitted request. Nothing here passes or fails on wall-clock time.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { DynamoCounterStore } from '../../adapters/dynamodb/counter-store';
import { createTable } from '../../adapters/dynamodb/create-tables';
import { COUNTER_TABLE } from '../../adapters/dynamodb/table-schema';
import { BackgroundWork } from '../../core/background';
import { LeasingCounterStore } from '../../core/hot-keys';
import type { LimitPlan } from '../../core/limits';
import { dynamoEndpoint, uniqueTableName } from '../support/local';

const counterTable = uniqueTableName('hot-counters');
const T0 = Date.parse('2031-05-10T12:00:00.000Z');
let client: DynamoDBClient;
const docs: ReturnType<typeof createDocumentClient>[] = [];

/** A container: its own client (no retries, as the authorizer), counting the UpdateItem calls it sends. */
function container(background: BackgroundWork) {
  const doc = createDocumentClient({ endpoint: dynamoEndpoint(), maxAttempts: 1, requestTimeoutMs: 20_000, connectionTimeoutMs: 20_000 });
  docs.push(doc);
  const counted = { updates: 0 };
  const send = doc.send.bind(doc) as (command: unknown) => Promise<unknown>;
  (doc as unknown as { send: (command: unknown) => Promise<unknown> }).send = (command: unknown) => {
    if (command instanceof UpdateCommand) counted.updates++;
    return send(command);
  };
  const store = new LeasingCounterStore(new DynamoCounterStore(doc, counterTable), { hotKeyThreshold: 500, background });
  return { store, counted };
}

interface Run {
  /** Units admitted per rate window the store counted them in (epoch s → units). */
  readonly perWindow: Map<number, number>;
  /** The same, by the window of each request's own time. */
  readonly perOwnWindow: Map<number, number>;
  readonly admitted: number;
  readonly refused: number;
  readonly updates: number;
  /** What peek (the usage report, POST /v1/verify's numbers) shows per window afterwards. */
  readonly stored: Map<number, number>;
}

/** `total` requests for one key at `demand` per second (virtual), 64 at a time over 4 containers. */
async function drive(keyId: string, plan: LimitPlan, demand: number, total: number): Promise<Run> {
  const background = new BackgroundWork();
  const containers = Array.from({ length: 4 }, () => container(background));
  const perWindow = new Map<number, number>();
  const perOwnWindow = new Map<number, number>();
  let next = 0;
  let admitted = 0;
  let refused = 0;
  const add = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  await Promise.all(
    Array.from({ length: 64 }, async (_, worker) => {
      const c = containers[worker % 4]!;
      for (let i = next++; i < total; i = next++) {
        const nowMs = T0 + Math.floor((i * 1000) / demand);
        const r = await c.store.consume(keyId, plan, new Date(nowMs));
        if (!r.admitted) {
          refused++;
          continue;
        }
        admitted++;
        add(perWindow, r.rate!.windowStart);
        add(perOwnWindow, Math.floor(nowMs / 1000));
      }
    }),
  );
  await background.flush();
  const updates = containers.reduce((n, c) => n + c.counted.updates, 0);
  const stored = new Map<number, number>();
  const peeker = new DynamoCounterStore(docs[0]!, counterTable);
  for (const start of perWindow.keys()) stored.set(start, (await peeker.peek(keyId, plan, new Date(start * 1000))).rate!.used);
  return { perWindow, perOwnWindow, admitted, refused, updates, stored };
}

function report(name: string, run: Run, limit: number): void {
  const windows = [...run.perWindow.entries()].sort(([a], [b]) => a - b).map(([start, n]) => `${start - T0 / 1000}:${n}/${run.stored.get(start)}`);
  // The figures docs/rate-limiting.md#hot-keys quotes (admitted/stored per window, writes per admission).
  console.info(
    `${name}: limit ${limit}/s, admitted ${run.admitted}, refused ${run.refused}, UpdateItem ${run.updates}, ` +
      `writes/admitted ${(run.updates / run.admitted).toFixed(4)}, per window admitted/stored ${windows.join(' ')}, ` +
      `by request time ${[...run.perOwnWindow.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s - T0 / 1000}:${n}`).join(' ')}`,
  );
}

beforeAll(async () => {
  client = new DynamoDBClient({ endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createTable(client, counterTable, COUNTER_TABLE);
});
afterAll(() => {
  for (const d of docs) d.destroy();
  client?.destroy();
});

describe('hot keys on DynamoDB Local', () => {
  it('a key limited to 20,000/s driven at 25,000/s: at most the limit per window, ≤ 0.1 writes per admission, ≥ 90 % of the limit admitted', async () => {
    // Prepare
    const limit = 20_000;
    const plan: LimitPlan = { rateLimit: { limit, windowSeconds: 1 } };

    // Act: three windows of demand 1.25× the limit.
    const run = await drive('hot-20k', plan, 25_000, 75_000);
    report('hot 20k', run, limit);

    // Assess
    expect(run.perWindow.size).toBe(3);
    for (const [start, units] of run.perWindow) {
      expect(units, `window ${start}`).toBeLessThanOrEqual(limit);
      // Every admission spent a unit the item counted in that window.
      expect(units).toBeLessThanOrEqual(run.stored.get(start)!);
      expect(run.stored.get(start)!).toBeLessThanOrEqual(limit);
    }
    expect(run.updates / run.admitted).toBeLessThanOrEqual(0.1);
    expect(run.admitted + run.refused).toBe(75_000);
    // Demand exceeded the limit in every window: admitted is reported, and checked loosely (≥ 90 %).
    for (const units of run.perWindow.values()) expect(units).toBeGreaterThanOrEqual(0.9 * limit);
  });

  it('a key limited to 2,000/s with daily quota, driven below its limit: admits every request, ≤ 0.1 writes per admission, returns unused quota', async () => {
    // Prepare
    const limit = 2_000;
    const plan: LimitPlan = { rateLimit: { limit, windowSeconds: 1 }, quota: { daily: 1_000_000 } };

    // Act: three windows at 1,500/s.
    const run = await drive('hot-2k', plan, 1_500, 4_500);
    report('hot 2k below limit', run, limit);

    // Assess: nobody refused; the day counts what was admitted plus leases still held in the last
    // window (returned when a container sees the key again), at most 4 containers × the cap (250).
    expect(run.refused).toBe(0);
    expect(run.admitted).toBe(4_500);
    expect(run.updates / run.admitted).toBeLessThanOrEqual(0.1);
    for (const [start, units] of run.perWindow) expect(units).toBeLessThanOrEqual(run.stored.get(start)!);
    const day = await new DynamoCounterStore(docs[0]!, counterTable).peek('hot-2k', plan, new Date(T0 + 3_000));
    console.info(`hot 2k below limit: daily quota used ${day.daily!.used} after ${run.admitted} admitted`);
    expect(day.daily!.used).toBeGreaterThanOrEqual(4_500);
    expect(day.daily!.used).toBeLessThanOrEqual(4_500 + 4 * 250);
  });

  it('a key limited to 2,000/s driven exactly at its limit: at most the limit per window, the under-admission reported', async () => {
    // Prepare
    const limit = 2_000;
    const plan: LimitPlan = { rateLimit: { limit, windowSeconds: 1 } };

    // Act: four windows at 2,000/s, the worst case for units stranded in other containers' leases.
    const run = await drive('hot-2k-at', plan, 2_000, 8_000);
    report('hot 2k at limit', run, limit);

    // Assess: the upper bound and the writes; the refused count is what leases cost in admissions
    // (bounded by 3 other containers × the cap of 250 per window).
    for (const [start, units] of run.perWindow) {
      expect(units, `window ${start}`).toBeLessThanOrEqual(limit);
      expect(run.stored.get(start)!).toBeLessThanOrEqual(limit);
    }
    expect(run.updates / run.admitted).toBeLessThanOrEqual(0.1);
    for (const units of run.perWindow.values()) expect(units).toBeGreaterThanOrEqual(limit - 3 * 250);
  });
});
