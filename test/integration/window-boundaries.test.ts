/**
 * Window boundaries against DynamoDB Local: a counter item never moves back in time, so a
 * request whose clock was read before a boundary but whose write lands after it cannot give
 * the old window a second allowance (issue: 8 of 8 such requests were admitted at a limit of 3).
 * Deterministic clocks at each boundary kind, then real concurrency over many short windows.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { DynamoCounterStore } from '../../adapters/dynamodb/counter-store';
import { createTable } from '../../adapters/dynamodb/create-tables';
import { COUNTER_TABLE } from '../../adapters/dynamodb/table-schema';
import type { LimitPlan, LimitResult } from '../../core/limits';
import { dynamoEndpoint, uniqueTableName } from '../support/local';

const table = uniqueTableName('boundaries');
const docs: ReturnType<typeof createDocumentClient>[] = [];
let keySeq = 0;
const freshKey = () => `key_boundary_${process.pid}_${keySeq++}`;

function store(): DynamoCounterStore {
  const doc = createDocumentClient({ endpoint: dynamoEndpoint(), maxAttempts: 1, requestTimeoutMs: 20_000, connectionTimeoutMs: 20_000 });
  docs.push(doc);
  return new DynamoCounterStore(doc, table);
}

beforeAll(async () => {
  const client = new DynamoDBClient({ endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createTable(client, table, COUNTER_TABLE);
  client.destroy();
});
afterAll(() => docs.forEach((d) => d.destroy()));

/** Two requests early in the old window, then late (clock before the boundary) and new requests alternating. */
async function alternate(plan: LimitPlan, early: string, late: string, next: string): Promise<LimitResult[]> {
  const s = store();
  const key = freshKey();
  const out: LimitResult[] = [];
  for (let i = 0; i < 2; i++) out.push(await s.consume(key, plan, new Date(early)));
  for (let i = 0; i < 8; i++) out.push(await s.consume(key, plan, new Date(i % 2 === 0 ? late : next)));
  return out;
}

describe('a late request at a window boundary', () => {
  it('is counted in the newer window, not by rewinding the item (rate window)', async () => {
    // Prepare: limit 3 per 1-second window
    const plan: LimitPlan = { rateLimit: { limit: 3, windowSeconds: 1 } };
    // Act
    const results = await alternate(plan, '2031-05-10T12:00:00.500Z', '2031-05-10T12:00:00.999Z', '2031-05-10T12:00:01.000Z');
    // Assess: 3 in the old window (two early, one late), 3 in the new one, nothing more
    const admitted = results.filter((r) => r.admitted);
    expect(admitted).toHaveLength(6);
    const perWindow = countBy(admitted.map((r) => r.rate!.windowStart));
    expect(perWindow).toEqual({ [Date.parse('2031-05-10T12:00:00Z') / 1000]: 3, [Date.parse('2031-05-10T12:00:01Z') / 1000]: 3 });
    // a refused late request reports the newer window's reset
    const refusedLate = results[6]!;
    expect(refusedLate.admitted).toBe(false);
    expect(refusedLate.rate!.resetAt).toBe(Date.parse('2031-05-10T12:00:02Z') / 1000);
  });

  it('is counted in the newer day, not by rewinding the item (daily quota at midnight UTC)', async () => {
    const plan: LimitPlan = { quota: { daily: 3 } };
    const results = await alternate(plan, '2031-05-10T23:00:00.000Z', '2031-05-10T23:59:59.999Z', '2031-05-11T00:00:00.000Z');
    expect(results.filter((r) => r.admitted)).toHaveLength(6);
    const refusedLate = results[6]!;
    expect(refusedLate).toMatchObject({ admitted: false, blocking: 'daily', daily: { used: 3, resetAt: Date.parse('2031-05-12T00:00:00Z') / 1000 } });
  });

  it('is counted in the newer month, not by rewinding the item (monthly quota at month end)', async () => {
    const plan: LimitPlan = { quota: { monthly: 3 } };
    const results = await alternate(plan, '2031-05-31T10:00:00.000Z', '2031-05-31T23:59:59.999Z', '2031-06-01T00:00:00.000Z');
    expect(results.filter((r) => r.admitted)).toHaveLength(6);
    expect(results[6]).toMatchObject({ admitted: false, blocking: 'monthly', monthly: { used: 3, resetAt: Date.parse('2031-07-01T00:00:00Z') / 1000 } });
  });

  it('moves every limit forward together when the rate window and the day roll over at once', async () => {
    const plan: LimitPlan = { rateLimit: { limit: 2, windowSeconds: 60 }, quota: { daily: 100 } };
    const results = await alternate(plan, '2031-05-10T23:59:30.000Z', '2031-05-10T23:59:59.999Z', '2031-05-11T00:00:00.000Z');
    // two early use the old minute; late requests then land in the new minute and day
    expect(results.filter((r) => r.admitted)).toHaveLength(4);
    expect(results.at(-1)).toMatchObject({ admitted: false, blocking: 'rate', daily: { used: 2 } });
  });
});

describe('a flood over many short windows', () => {
  it('never admits more than the limit in any window, with 32 requests in flight on 4 containers and stale clocks', async () => {
    // Prepare: 1-second windows; each request reads its clock, then waits 0–250 ms before its
    // write, as a request does between the authorizer reading the time and DynamoDB applying it.
    const plan: LimitPlan = { rateLimit: { limit: 5, windowSeconds: 1 } };
    const stores = Array.from({ length: 4 }, store);
    const key = freshKey();
    const admittedIn = new Map<number, number[]>();
    let late = 0;
    const until = Date.now() + 4000;
    let seq = 0;
    const worker = async () => {
      while (Date.now() < until) {
        const now = new Date();
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 250)));
        const r = await stores[seq++ % stores.length]!.consume(key, plan, now);
        const w = r.rate!.windowStart;
        // a late request: decided in a window newer than its own clock's (admitted or refused)
        if (w > Math.floor(now.getTime() / 1000)) late++;
        if (!r.admitted) continue;
        (admittedIn.get(w) ?? admittedIn.set(w, []).get(w)!).push(r.rate!.used);
      }
    };
    // Act
    await Promise.all(Array.from({ length: 32 }, worker));
    // Assess: no window admitted more than 5, each admission holding its own count 1..n;
    // several windows saw admissions, and some requests reached the store after their window
    for (const [, used] of admittedIn) {
      expect(used.length).toBeLessThanOrEqual(5);
      expect([...used].sort()).toEqual(used.map((_, i) => i + 1));
    }
    expect(admittedIn.size).toBeGreaterThanOrEqual(3);
    expect(late).toBeGreaterThan(0);
  });
});

function countBy(values: readonly number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
