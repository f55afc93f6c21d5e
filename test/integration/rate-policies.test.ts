/**
 * Every rate-limit policy against DynamoDB Local, through the real DynamoCounterStore (so the
 * adapter's translation of each write is what is tested): exact admissions under concurrency
 * over several containers, all or nothing with quotas, window boundaries with injected clocks,
 * and the sliding bound over real concurrent traffic. test/unit/limits.test.ts covers the same
 * engine over thousands of random decisions in memory.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { DynamoCounterStore } from '../../adapters/dynamodb/counter-store';
import { createTable } from '../../adapters/dynamodb/create-tables';
import { COUNTER_TABLE } from '../../adapters/dynamodb/table-schema';
import type { LimitPlan, LimitResult } from '../../core/limits';
import type { RateLimit } from '../../core/records';
import { dynamoEndpoint, uniqueTableName } from '../support/local';

const table = uniqueTableName('policies');
const docs: ReturnType<typeof createDocumentClient>[] = [];
let seq = 0;
const freshKey = () => `key_policy_${process.pid}_${seq++}`;

function doc() {
  const d = createDocumentClient({ endpoint: dynamoEndpoint(), maxAttempts: 1, requestTimeoutMs: 20_000, connectionTimeoutMs: 20_000 });
  docs.push(d);
  return d;
}
const stores = (n: number) => Array.from({ length: n }, () => new DynamoCounterStore(doc(), table));

beforeAll(async () => {
  const client = new DynamoDBClient({ endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createTable(client, table, COUNTER_TABLE);
  client.destroy();
});
afterAll(() => docs.forEach((d) => d.destroy()));

const readItem = async (key: string) => (await doc().send(new GetCommand({ TableName: table, Key: { pk: `CTR#${key}`, sk: 'LIMITS' } }))).Item;

const POLICIES: [string, RateLimit][] = [
  ['fixed', { limit: 60, windowSeconds: 3600 }],
  ['sliding', { limit: 60, windowSeconds: 3600, policy: 'sliding' }],
  ['tokenBucket', { limit: 1, windowSeconds: 3600, policy: 'tokenBucket', burst: 60 }],
];

describe.each(POLICIES)('%s', (_name, rateLimit) => {
  it('admits exactly the allowance of 240 concurrent requests over 4 containers', async () => {
    // Prepare
    const key = freshKey();
    const s = stores(4);
    const now = new Date();
    // Act
    const results = await Promise.all(Array.from({ length: 240 }, (_, i) => s[i % 4]!.consume(key, { rateLimit }, now)));
    // Assess: 60 admitted, each seeing its own remaining count once
    const admitted = results.filter((r) => r.admitted);
    expect(admitted).toHaveLength(60);
    expect(new Set(admitted.map((r) => r.rate!.remaining)).size).toBe(60);
    expect(results.filter((r) => !r.admitted).every((r) => r.blocking === 'rate' && r.retryAtMs! > now.getTime())).toBe(true);
  });

  it('counts all or nothing with a daily and a monthly quota: 220 concurrent requests, the daily quota decides', async () => {
    // Prepare: the daily quota (25) is the tightest limit
    const key = freshKey();
    const plan: LimitPlan = { rateLimit, quota: { daily: 25, monthly: 1000 } };
    const s = stores(3);
    // Act
    const results = await Promise.all(Array.from({ length: 220 }, (_, i) => s[i % 3]!.consume(key, plan, new Date())));
    // Assess: 25 admitted; every counter moved by exactly 25, so no refused request counted anywhere
    expect(results.filter((r) => r.admitted)).toHaveLength(25);
    const after = await s[0]!.peek(key, plan, new Date());
    expect(after.daily!.used).toBe(25);
    expect(after.monthly!.used).toBe(25);
    expect(after.rate!.used).toBe(25);
  });

  it('counts a refused-by-rate request on no quota', async () => {
    const key = freshKey();
    const plan: LimitPlan = { rateLimit, quota: { daily: 1000 } };
    const s = stores(1)[0]!;
    for (let i = 0; i < 60; i++) expect((await s.consume(key, plan, new Date())).admitted).toBe(true);
    const before = await readItem(key);
    const refused = await Promise.all(Array.from({ length: 20 }, () => s.consume(key, plan, new Date())));
    expect(refused.every((r) => r.blocking === 'rate')).toBe(true);
    const after = await readItem(key);
    expect({ ...after, ttl: 0 }).toEqual({ ...before, ttl: 0 });
  });
});

describe('window boundaries with injected clocks', () => {
  it('sliding: a late request is counted in the item’s newer sub-window, and units leave one window and one sub-window later', async () => {
    // Prepare: 4 per 10 s, sliding (1 s sub-windows)
    const plan: LimitPlan = { rateLimit: { limit: 4, windowSeconds: 10, policy: 'sliding' } };
    const key = freshKey();
    const [a, b] = stores(2);
    const t = Date.parse('2031-05-10T12:00:00Z');
    const at = (ms: number) => new Date(t + ms);
    for (let i = 0; i < 2; i++) expect((await a!.consume(key, plan, at(1_500))).admitted).toBe(true);
    for (let i = 0; i < 2; i++) expect((await b!.consume(key, plan, at(5_500))).admitted).toBe(true);
    // Act + Assess: a request with a clock behind (4.9 s) is refused in the item's sub-window 5
    const late = await a!.consume(key, plan, at(4_900));
    expect(late).toMatchObject({ admitted: false, rate: { used: 4, windowStart: Date.parse('2031-05-10T11:59:55Z') / 1000 } });
    // the two units of sub-window 1 count until 12:00:12; those of sub-window 5 until 12:00:16
    expect(late.retryAtMs).toBe(t + 12_000);
    expect((await b!.consume(key, plan, at(11_999))).admitted).toBe(false);
    const r12 = await Promise.all([a!.consume(key, plan, at(12_000)), b!.consume(key, plan, at(12_000)), a!.consume(key, plan, at(12_000))]);
    expect(r12.filter((r) => r.admitted)).toHaveLength(2);
  });

  it('tokenBucket: a busy bucket keeps its arrival time across midnight UTC on two containers', async () => {
    const plan: LimitPlan = { rateLimit: { limit: 10, windowSeconds: 1, policy: 'tokenBucket', burst: 5 }, quota: { daily: 100 } };
    const key = freshKey();
    const [a, b] = stores(2);
    const midnight = Date.parse('2031-05-11T00:00:00Z');
    const before = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b)!.consume(key, plan, new Date(midnight - 100))));
    expect(before.filter((r) => r.admitted)).toHaveLength(5);
    // 100 ms later one unit has refilled, on the new day, whichever container asks
    const after = await Promise.all(Array.from({ length: 4 }, (_, i) => (i % 2 ? a : b)!.consume(key, plan, new Date(midnight))));
    expect(after.filter((r) => r.admitted)).toHaveLength(1);
    expect(after.find((r) => r.admitted)).toMatchObject({ daily: { used: 1 } });
    expect(await readItem(key)).toMatchObject({ tb: midnight, dw: '20310511', dc: 1 });
  });

  it('fixed: a change of window length carries the units of the open window (no fresh allowance)', async () => {
    const key = freshKey();
    const s = stores(1)[0]!;
    const now = new Date();
    for (let i = 0; i < 8; i++) await s.consume(key, { rateLimit: { limit: 10, windowSeconds: 3600 } }, now);
    const after = await Promise.all(Array.from({ length: 10 }, () => s.consume(key, { rateLimit: { limit: 10, windowSeconds: 1800 } }, now)));
    expect(after.filter((r) => r.admitted)).toHaveLength(2);
  });
});

describe('sliding bound over real concurrent traffic', () => {
  it('never admits more than the limit in any window-length interval: 16 workers on 4 containers for 4 s', async () => {
    // Prepare: 6 per 2 s sliding (200 ms sub-windows); each worker reads its clock before its write
    const plan: LimitPlan = { rateLimit: { limit: 6, windowSeconds: 2, policy: 'sliding' } };
    const key = freshKey();
    const s = stores(4);
    const admitted: number[] = [];
    const until = Date.now() + 4000;
    let n = 0;
    const worker = async () => {
      while (Date.now() < until) {
        const now = new Date();
        const r: LimitResult = await s[n++ % 4]!.consume(key, plan, now);
        if (r.admitted) admitted.push(now.getTime());
        await new Promise((res) => setTimeout(res, Math.floor(Math.random() * 40)));
      }
    };
    // Act
    await Promise.all(Array.from({ length: 16 }, worker));
    // Assess: counted by each admitted request's own clock
    admitted.sort((x, y) => x - y);
    for (const t of admitted) expect(admitted.filter((u) => u > t - 2000 && u <= t).length).toBeLessThanOrEqual(6);
    expect(admitted.length).toBeGreaterThanOrEqual(6);
  });
});
