/**
 * Issue 13, row 4: Keygate's counter store next to rate-limiter-flexible's DynamoDB limiter
 * (`RateLimiterDynamo`, a dev dependency of the bench only) on the same DynamoDB Local, in the
 * same interleaved rounds as a bare UpdateItem floor. Library against library: Keygate's side is
 * `DynamoCounterStore.consume` (the authorizer's rows, 2c and 9a, add the handler around it).
 *
 * One limit: a rate limit. Three limits: rate + daily + monthly. rate-limiter-flexible needs one
 * limiter per limit; measured both ways it offers: `RateLimiterUnion` (all three in parallel) and
 * sequential `consume` that stops at the first refusal. Its daily and monthly limiters are
 * rolling durations from the first request (86,400 s and 30 × 86,400 s), not calendar windows.
 *
 * Calls are counted on every client (Keygate: wrapped document client `send`, bench/counting.ts;
 * rate-limiter-flexible: a middleware on its DynamoDB client), so each scenario has its own client.
 */
import { CreateTableCommand, DynamoDB, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RateLimiterDynamo, RateLimiterRes, RateLimiterUnion } from 'rate-limiter-flexible';
import { CLIENT_PROFILES, clientSettings } from '../adapters/client-profiles';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoCounterStore } from '../adapters/dynamodb/counter-store';
import type { LimitPlan } from '../core/limits';
import { CallCounter, type CallCounts } from './counting';
import { COUNTER_CLIENT_SETTINGS, type Tables } from './fixtures';
import { type Summary, summarize } from './stats';

export const RLF_PLAN = {
  warmupRounds: 100,
  rounds: 1000,
  /** All-or-nothing: requests admitted before the refusals, then refused requests. */
  admittedFirst: 5,
  refusedAfter: 20,
} as const;

const RLF_TABLE = 'bench-rlf';
const DAY = 86_400;
const MONTH = 30 * DAY;
const BIG = 10_000_000;

/** Counts a raw DynamoDB client's calls by command name (a middleware at the initialize step). */
class MiddlewareCounter {
  private reads = 0;
  private writes = 0;
  private failed = 0;
  private byCommand: Record<string, number> = {};

  attach(client: DynamoDBClient | DynamoDB): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = context.commandName ?? 'unknown';
        this.byCommand[name] = (this.byCommand[name] ?? 0) + 1;
        const write = /^(UpdateItem|PutItem|DeleteItem|TransactWriteItems|BatchWriteItem)Command$/.test(name);
        if (write) this.writes++;
        if (/^(GetItem|Query|Scan|BatchGetItem|TransactGetItems)Command$/.test(name)) this.reads++;
        try {
          return await next(args);
        } catch (err) {
          if (write && (err as { name?: string }).name === 'ConditionalCheckFailedException') this.failed++;
          throw err;
        }
      },
      { step: 'initialize', name: 'benchCallCounter' },
    );
  }

  snapshot(): CallCounts {
    return { reads: this.reads, writes: this.writes, failedConditionalWrites: this.failed, byCommand: { ...this.byCommand } };
  }

  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.failed = 0;
    this.byCommand = {};
  }
}

export type RlfScenarioId = 'floor' | 'kg1' | 'kg3' | 'rlf1' | 'rlf3union' | 'rlf3seq';

export interface RlfLatencyRow {
  readonly id: RlfScenarioId;
  readonly label: string;
  readonly summary: Summary;
  readonly errors: number;
  readonly firstError?: string;
  /** DynamoDB calls over the recorded rounds (window roll-overs included, as they happen). */
  readonly io: CallCounts;
}

export interface AllOrNothingRow {
  readonly case: string;
  readonly refusing: string;
  readonly contender: string;
  readonly refused: number;
  /** Units the limits that would have admitted took from the refused requests. */
  readonly unitsTakenByRefused: number;
  /** Units the refusing limit itself counted beyond its limit (rate-limiter-flexible keeps counting). */
  readonly overCountOnRefusing: number;
  readonly wrongDecisions: number;
}

export interface RlfResult {
  readonly version: string;
  readonly plan: typeof RLF_PLAN;
  readonly latency: readonly RlfLatencyRow[];
  readonly allOrNothing: readonly AllOrNothingRow[];
}

const isRefusal = (err: unknown) => err instanceof RateLimiterRes || (err !== null && typeof err === 'object' && !(err instanceof Error));

export async function runRlfBench(tables: Tables, version: string, log: (line: string) => void): Promise<RlfResult> {
  const rawClient = () =>
    new DynamoDB({
      endpoint: tables.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      ...clientSettings(CLIENT_PROFILES.counterWrite),
    });
  const admin = rawClient();
  await admin.send(
    new CreateTableCommand({
      TableName: RLF_TABLE,
      AttributeDefinitions: [{ AttributeName: 'key', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  admin.destroy();
  const clients: { destroy(): void }[] = [];
  const limiter = (client: DynamoDB, keyPrefix: string, points: number, duration: number) =>
    new RateLimiterDynamo({ storeClient: client, tableName: RLF_TABLE, tableCreated: true, ttlSet: true, keyPrefix, points, duration });
  const rlfScenario = (build: (client: DynamoDB) => (key: string) => Promise<unknown>) => {
    const client = rawClient();
    clients.push(client);
    const counter = new MiddlewareCounter();
    counter.attach(client);
    return { counter, consume: build(client) };
  };
  const kgScenario = (plan: LimitPlan) => {
    const doc = createDocumentClient({ endpoint: tables.endpoint, ...COUNTER_CLIENT_SETTINGS });
    clients.push(doc);
    const counter = new CallCounter();
    counter.attach(doc);
    return { counter, store: new DynamoCounterStore(doc, tables.counterTable), plan };
  };

  try {
    // ---- latency and calls per decision, interleaved ----
    const floorDoc = createDocumentClient({ endpoint: tables.endpoint, ...COUNTER_CLIENT_SETTINGS });
    clients.push(floorDoc);
    const floorCounter = new CallCounter();
    floorCounter.attach(floorDoc);
    const kg1 = kgScenario({ rateLimit: { limit: BIG, windowSeconds: 60 } });
    const kg3 = kgScenario({ rateLimit: { limit: BIG, windowSeconds: 60 }, quota: { daily: BIG * 10, monthly: BIG * 100 } });
    const three = (c: DynamoDB) => [limiter(c, 'r3rate', BIG, 60), limiter(c, 'r3day', BIG * 10, DAY), limiter(c, 'r3month', BIG * 100, MONTH)];
    const rlf1 = rlfScenario((c) => {
      const l = limiter(c, 'r1rate', BIG, 60);
      return (k) => l.consume(k);
    });
    const rlf3union = rlfScenario((c) => {
      const u = new RateLimiterUnion(...three(c));
      return (k) => u.consume(k);
    });
    const rlf3seq = rlfScenario((c) => {
      const ls = three(c);
      return async (k) => {
        for (const l of ls) await l.consume(k);
      };
    });
    const scenarios: { id: RlfScenarioId; label: string; run: () => Promise<unknown>; io: () => CallCounts; reset: () => void }[] = [
      {
        id: 'floor',
        label: 'Floor: raw UpdateItem `ADD` (as in section 1)',
        run: () =>
          floorDoc.send(
            new UpdateCommand({
              TableName: tables.counterTable,
              Key: { pk: 'BENCH#rlf-floor', sk: 'LIMITS' },
              UpdateExpression: 'ADD #c :one',
              ExpressionAttributeNames: { '#c': 'c' },
              ExpressionAttributeValues: { ':one': 1 },
            }),
          ),
        io: () => floorCounter.snapshot(),
        reset: () => floorCounter.reset(),
      },
      { id: 'kg1', label: 'Keygate `DynamoCounterStore.consume`, one limit (rate)', run: () => admit(kg1.store.consume('rlf-kg1', kg1.plan, new Date())), io: () => kg1.counter.snapshot(), reset: () => kg1.counter.reset() },
      { id: 'kg3', label: 'Keygate `DynamoCounterStore.consume`, three limits (rate + daily + monthly)', run: () => admit(kg3.store.consume('rlf-kg3', kg3.plan, new Date())), io: () => kg3.counter.snapshot(), reset: () => kg3.counter.reset() },
      { id: 'rlf1', label: '`RateLimiterDynamo`, one limit', run: () => rlf1.consume('k'), io: () => rlf1.counter.snapshot(), reset: () => rlf1.counter.reset() },
      { id: 'rlf3union', label: '`RateLimiterUnion` of three `RateLimiterDynamo` (parallel)', run: () => rlf3union.consume('k'), io: () => rlf3union.counter.snapshot(), reset: () => rlf3union.counter.reset() },
      { id: 'rlf3seq', label: 'three `RateLimiterDynamo`, sequential `consume`', run: () => rlf3seq.consume('k'), io: () => rlf3seq.counter.snapshot(), reset: () => rlf3seq.counter.reset() },
    ];
    const samples = new Map<RlfScenarioId, number[]>(scenarios.map((s) => [s.id, []]));
    const errors = new Map<RlfScenarioId, number>(scenarios.map((s) => [s.id, 0]));
    const firstError = new Map<RlfScenarioId, string>();
    const round = async (i: number, record: boolean) => {
      for (let j = 0; j < scenarios.length; j++) {
        const s = scenarios[(i + j) % scenarios.length]!;
        const t0 = performance.now();
        try {
          await s.run();
          if (record) samples.get(s.id)!.push(performance.now() - t0);
        } catch (err) {
          if (err instanceof WrongDecision) throw err;
          errors.set(s.id, errors.get(s.id)! + 1);
          if (!firstError.has(s.id)) firstError.set(s.id, isRefusal(err) ? 'refused (limit reached)' : `${(err as Error).name}: ${(err as Error).message}`);
        }
      }
    };
    log(`rate-limiter-flexible side by side: ${RLF_PLAN.warmupRounds} warm-up rounds, ${RLF_PLAN.rounds} recorded rounds`);
    for (let i = 0; i < RLF_PLAN.warmupRounds; i++) await round(i, false);
    for (const s of scenarios) {
      errors.set(s.id, 0);
      s.reset();
    }
    for (let i = 0; i < RLF_PLAN.rounds; i++) await round(i, true);
    const latency = scenarios.map((s) => ({
      id: s.id,
      label: s.label,
      summary: summarize(samples.get(s.id)!),
      errors: errors.get(s.id)!,
      ...(firstError.has(s.id) ? { firstError: firstError.get(s.id)! } : {}),
      io: s.io(),
    }));

    // ---- all or nothing ----
    log('rate-limiter-flexible side by side: all-or-nothing');
    const allOrNothing: AllOrNothingRow[] = [];
    const cases = [
      { name: 'rate limit refuses', refusing: 'rate' as const, limits: { rate: RLF_PLAN.admittedFirst, daily: 1000, monthly: 10_000 } },
      { name: 'monthly quota refuses', refusing: 'monthly' as const, limits: { rate: 1000, daily: 1000, monthly: RLF_PLAN.admittedFirst } },
    ];
    const total = RLF_PLAN.admittedFirst + RLF_PLAN.refusedAfter;
    for (const [ci, c] of cases.entries()) {
      const used: Record<string, Record<'rate' | 'daily' | 'monthly', number>> = {};
      const wrong: Record<string, number> = { keygate: 0, union: 0, sequential: 0 };
      // Keygate
      const kg = kgScenario({ rateLimit: { limit: c.limits.rate, windowSeconds: 60 }, quota: { daily: c.limits.daily, monthly: c.limits.monthly } });
      const kgId = `rlf-aon-${ci}-${Date.now()}`;
      for (let i = 0; i < total; i++) {
        const r = await kg.store.consume(kgId, kg.plan, new Date());
        if (r.admitted !== i < RLF_PLAN.admittedFirst) wrong.keygate!++;
      }
      const peek = await kg.store.peek(kgId, kg.plan, new Date());
      used.keygate = { rate: peek.rate?.used ?? 0, daily: peek.daily?.used ?? 0, monthly: peek.monthly?.used ?? 0 };
      // rate-limiter-flexible, both ways
      for (const mode of ['union', 'sequential'] as const) {
        const client = rawClient();
        clients.push(client);
        const prefix = `aon${ci}${mode}`;
        const ls = {
          rate: limiter(client, `${prefix}rate`, c.limits.rate, 60),
          daily: limiter(client, `${prefix}day`, c.limits.daily, DAY),
          monthly: limiter(client, `${prefix}month`, c.limits.monthly, MONTH),
        };
        const union = new RateLimiterUnion(ls.rate, ls.daily, ls.monthly);
        for (let i = 0; i < total; i++) {
          let ok = true;
          try {
            if (mode === 'union') await union.consume('k');
            else for (const l of [ls.rate, ls.daily, ls.monthly]) await l.consume('k');
          } catch (err) {
            if (!isRefusal(err)) throw err;
            ok = false;
          }
          if (ok !== i < RLF_PLAN.admittedFirst) wrong[mode]!++;
        }
        const points = async (l: RateLimiterDynamo) => (await l.get('k'))?.consumedPoints ?? 0;
        used[mode] = { rate: await points(ls.rate), daily: await points(ls.daily), monthly: await points(ls.monthly) };
      }
      for (const [contender, u] of Object.entries(used)) {
        const admittingLimits = (['rate', 'daily', 'monthly'] as const).filter((l) => l !== c.refusing);
        allOrNothing.push({
          case: c.name,
          refusing: c.refusing,
          contender: contender === 'keygate' ? 'Keygate' : contender === 'union' ? 'rate-limiter-flexible, RateLimiterUnion' : 'rate-limiter-flexible, sequential',
          refused: RLF_PLAN.refusedAfter,
          unitsTakenByRefused: admittingLimits.reduce((s, l) => s + Math.max(0, u[l] - RLF_PLAN.admittedFirst), 0),
          overCountOnRefusing: Math.max(0, u[c.refusing] - c.limits[c.refusing]),
          wrongDecisions: wrong[contender] ?? 0,
        });
      }
    }
    return { version, plan: RLF_PLAN, latency, allOrNothing };
  } finally {
    for (const c of clients) c.destroy();
  }
}

class WrongDecision extends Error {
  override readonly name = 'WrongDecision';
}

async function admit(p: Promise<{ admitted: boolean }>): Promise<void> {
  if (!(await p).admitted) throw new WrongDecision('Keygate counter store refused a request the scenario needs admitted');
}
