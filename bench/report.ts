/** Renders docs/benchmarks.md (and the console summary) from one run's results. No number here is typed by hand. */
import type { BundleResult } from './bundle';
import type { CallCounts } from './counting';
import { int, mib, ms, ratio, type Summary } from './stats';
import { renderScaleSection, renderScaleSummary, type ScaleResults, scaleTargetRows } from './report-scale';
import { ATHENA_PRICE, overheadPercent, type UsageBenchResults, USAGE_TARGETS } from './usage';

export type LatencyId = 'floor' | 'shaped' | 'hit' | 'miss' | 'store' | 'limitedHit' | 'limitedMiss' | 'limitedSliding' | 'limitedTokenBucket';
export type CountId = 'a-first' | 'a' | 'b' | 'c-first' | 'c' | 'd' | 'rollover' | 'rejected';

export interface LatencyRow {
  readonly id: LatencyId;
  readonly label: string;
  readonly io: string;
  readonly summary: Summary;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly vsFloor: { readonly p50: number; readonly p99: number } | undefined;
  /** Ratio to the floor within consecutive stretches of the run. */
  readonly blocks: { readonly p50: readonly number[]; readonly p99: readonly number[] } | undefined;
}

export interface CountRow {
  readonly id: CountId;
  readonly label: string;
  readonly io: string;
  readonly requests: number;
  readonly counts: CallCounts;
}

export interface Throughput {
  readonly calls: number;
  readonly admitted: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly cpuSeconds: number;
}

export interface MemoryResult {
  readonly keys: number;
  readonly createSeconds: number;
  readonly before: { readonly heapUsed: number; readonly rss: number };
  readonly after: { readonly heapUsed: number; readonly rss: number };
  readonly primed: CallCounts;
  readonly duringLoop: CallCounts;
  readonly throughput: Throughput;
}

export interface BenchResults {
  readonly env: {
    readonly date: string;
    readonly cpuModel: string;
    readonly cores: number;
    readonly totalMemoryBytes: number;
    readonly os: string;
    readonly node: string;
    readonly java: string;
    readonly dynamoDbLocal: string;
    readonly awsSdk: string;
    readonly loadAverageAtStart: readonly number[];
  };
  readonly plan: Readonly<Record<string, number>>;
  readonly latency: readonly LatencyRow[];
  readonly hitThroughput: Throughput;
  readonly hitIo: CallCounts;
  readonly many: MemoryResult;
  readonly counts: readonly CountRow[];
  readonly ddbEndpoint: string;
  readonly bundle: BundleResult;
  /** Section 7; absent when the run skipped it. */
  readonly usage?: UsageBenchResults;
  /** Section 9 (issue 13); absent when the run skipped it. */
  readonly scale?: ScaleResults;
  readonly runSeconds: number;
}

const NOT_MEASURED_HEADING = '## What is not measured here';

/** The targets the rate-limiting work set for the hot path. */
export const TARGETS = {
  hitP99Ms: 0.2,
  limitedVsFloor: 1.2,
  hitsPerSecond: 50_000,
  writesPerAdmitted: 1,
} as const;

export interface TargetRow {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
  readonly note: string;
}

function latency(r: BenchResults, id: LatencyId): LatencyRow {
  const row = r.latency.find((l) => l.id === id);
  if (!row) throw new Error(`no latency row ${id}`);
  return row;
}

function count(r: BenchResults, id: CountId): CountRow {
  const row = r.counts.find((c) => c.id === id);
  if (!row) throw new Error(`no count row ${id}`);
  return row;
}

const stretches = (xs: readonly number[] | undefined) =>
  xs && xs.length > 0 ? `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}×` : 'n/a';
/** How the ratio varied over stretches of the run, and whether that range straddles the target. */
const stabilityNote = (xs: readonly number[] | undefined) => {
  if (!xs || xs.length === 0) return '';
  const straddles = Math.min(...xs) <= TARGETS.limitedVsFloor && Math.max(...xs) > TARGETS.limitedVsFloor;
  return `${stretches(xs)} over ${xs.length} stretches of the run${straddles ? `; the range straddles ${TARGETS.limitedVsFloor}×, so this verdict is not settled by one run` : ''}`;
};
const perRequest = (n: number, requests: number) => (requests > 0 ? n / requests : Number.NaN);

export function targetRows(r: BenchResults): TargetRow[] {
  const hit = latency(r, 'hit').summary;
  const floor = latency(r, 'floor').summary;
  const limited = latency(r, 'limitedHit');
  const c = count(r, 'c');
  const writes = perRequest(c.counts.writes, c.requests);
  return [
    { target: `Cache-hit decision p99 < ${TARGETS.hitP99Ms} ms`, measured: `${ms(hit.p99)} ms`, met: hit.p99 < TARGETS.hitP99Ms, note: `${int(hit.samples)} samples, no I/O` },
    {
      target: `Limited path (2c) p50 ≤ ${TARGETS.limitedVsFloor}× floor p50`,
      measured: `${ms(limited.summary.p50)} ms vs ${ms(floor.p50)} ms = ${ratio(limited.vsFloor?.p50 ?? Number.NaN)}`,
      met: (limited.vsFloor?.p50 ?? Infinity) <= TARGETS.limitedVsFloor,
      note: stabilityNote(limited.blocks?.p50),
    },
    {
      target: `Limited path (2c) p99 ≤ ${TARGETS.limitedVsFloor}× floor p99`,
      measured: `${ms(limited.summary.p99)} ms vs ${ms(floor.p99)} ms = ${ratio(limited.vsFloor?.p99 ?? Number.NaN)}`,
      met: (limited.vsFloor?.p99 ?? Infinity) <= TARGETS.limitedVsFloor,
      note: stabilityNote(limited.blocks?.p99),
    },
    {
      target: `≥ ${int(TARGETS.hitsPerSecond)} cache-hit decisions/s on one core`,
      measured: `${int(r.hitThroughput.perSecond)}/s`,
      met: r.hitThroughput.perSecond >= TARGETS.hitsPerSecond,
      note: `one key; ${int(r.many.throughput.perSecond)}/s cycling through ${int(r.many.keys)} cached keys`,
    },
    {
      target: `≤ ${TARGETS.writesPerAdmitted} DynamoDB write per admitted request (limited path, steady state)`,
      measured: `${writes.toFixed(3)} (${int(c.counts.writes)} writes / ${int(c.requests)} requests)`,
      met: writes <= TARGETS.writesPerAdmitted,
      note: 'plus, per key: one extra write per new rate window, one lastUsedAt write per container per minute (section 4)',
    },
    ...(r.usage ? usageTargetRows(r.usage) : []),
    // 2c's own rows above are the fixed policy's.
    ...(r.scale ? scaleTargetRows(r.scale, false) : []),
  ];
}

const pct = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const usd = (v: number) => (v < 0.01 ? `$${v.toFixed(6)}` : `$${v.toFixed(4)}`);

export function usageTargetRows(u: UsageBenchResults): TargetRow[] {
  const rows: TargetRow[] = u.overhead.map((o) => ({
    target: `Local usage writer adds < ${USAGE_TARGETS.writerOverheadPercent} % to request time at concurrency ${u.plan.concurrency}, ${o.path.replace(/ \(.*\)$/, '')}`,
    measured: `mean ${pct(overheadPercent(o))} (${ms(o.off.mean)} → ${ms(o.on.mean)} ms)`,
    met: overheadPercent(o) < USAGE_TARGETS.writerOverheadPercent,
    note: `p50 ${pct(overheadPercent(o, 'p50'))}, p99 ${pct(overheadPercent(o, 'p99'))}; section 7a`,
  }));
  for (const run of u.reports) {
    const worst = Math.max(run.firstSeconds, run.repeat.max);
    rows.push({
      target: `Report by day and route over ${int(u.dataset.records)} records in < ${USAGE_TARGETS.reportSeconds} s locally, ${run.label}`,
      measured: `${worst.toFixed(2)} s worst (first ${run.firstSeconds.toFixed(2)} s, median ${run.repeat.p50.toFixed(2)} s)`,
      met: worst < USAGE_TARGETS.reportSeconds,
      note: `files read ${run.filesScanned}; ${mb(run.bytesScanned)} scanned ≈ ${usd(run.athenaUsd)} on Athena; section 7b`,
    });
  }
  return rows;
}

/** Section 7 of docs/benchmarks.md. */
export function renderUsageSection(u: UsageBenchResults): string[] {
  const d = u.dataset;
  return [
    '## 7. Usage analytics (issue 8)',
    '',
    `Run alone with \`npx tsx bench/usage.ts\` (prints, does not write this page). Sizes: \`${JSON.stringify(u.plan)}\`.`,
    '',
    '### 7a. Local usage writer overhead',
    '',
    `The local stack (\`startLocalStack\`, DynamoDB Local in memory, \`defaultRateLimit\` null, \`cacheTtlSeconds\` 60), ${u.plan.concurrency} clients`,
    'in a closed loop over keep-alive HTTP in the same process, each request timed from send to last byte. The same',
    `requests with the writer on (records buffered, written as Parquet every 2 s, partitions merged at ${u.overheadFiles.compactAtFiles} files) and off`,
    '(the gateway builds each record and drops it), in blocks of',
    `${u.plan.overheadBlockSeconds} s alternating on/off over ${u.plan.overheadRounds} rounds after ${u.plan.overheadWarmupSeconds} s of warm-up per path. After each block the writer`,
    'is flushed outside the timing, so no "on" block\'s Parquet write lands in an "off" block; the flushes the 2 s',
    'timer ran inside "on" blocks are in the figures.',
    '',
    '| Path | Writer | Requests | Requests/s | mean ms | p50 ms | p90 ms | p99 ms | max ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...u.overhead.flatMap((o) => [
      `| ${o.path} | off | ${int(o.off.samples)} | ${int(o.offPerSecond)} | ${ms(o.off.mean)} | ${ms(o.off.p50)} | ${ms(o.off.p90)} | ${ms(o.off.p99)} | ${ms(o.off.max)} |`,
      `| | on | ${int(o.on.samples)} | ${int(o.onPerSecond)} | ${ms(o.on.mean)} | ${ms(o.on.p50)} | ${ms(o.on.p90)} | ${ms(o.on.p99)} | ${ms(o.on.max)} |`,
      `| | **difference** | | ${pct((o.onPerSecond / o.offPerSecond - 1) * 100)} | **${pct(overheadPercent(o))}** | ${pct(overheadPercent(o, 'p50'))} | ${pct(overheadPercent(o, 'p90'))} | ${pct(overheadPercent(o, 'p99'))} | |`,
    ]),
    '',
    ...u.overhead.map(
      (o) =>
        `- ${o.path}: ${int(o.requestsWithWriter)} requests with the writer on, ${int(o.recordsWritten)} records counted back from the Parquet files through \`DuckDbUsageEngine\`${o.recordsWritten === o.requestsWithWriter ? ' (every one, once)' : ' (**mismatch**)'}; ${o.errors} non-200 answers.`,
    ),
    `- Files left at the end: ${int(u.overheadFiles.files)} in ${u.overheadFiles.partitions} partition(s).`,
    '- Both variants share one process with the client and DynamoDB Local shares the machine: the percentage is what',
    '  transfers, and it moves by a few points from run to run on a busy 2-core machine.',
    '',
    `### 7b. A report over ${int(d.records)} records`,
    '',
    `Synthetic records generated by one DuckDB \`COPY (SELECT … FROM range(${int(d.records)})) TO … (FORMAT PARQUET, COMPRESSION snappy, PARTITION_BY (dt))\``,
    `${d.generatedSeconds === undefined ? '(reused from an earlier run: the cache is keyed by the generator SQL and DuckDB version, owned by this user, and checked file by file against its manifest)' : `in ${d.generatedSeconds.toFixed(1)} s`},`,
    `spread evenly over ${d.days} days (${d.from} … ${d.to}) in the bucket's layout \`usage/dt=YYYY-MM-DD/*.parquet\`: ${d.files} files,`,
    `${mb(d.bytes)} in all, **${(d.bytes / d.records).toFixed(1)} bytes per record** (2,000 keys, 200 owners, 12 routes, 5,000 client addresses, a UUID`,
    `request id per record). DuckDB ${u.duckdb}. The report is \`reportQuery({from, to, groupBy: ['day', 'route']}, 'usage')\` run by`,
    '`DuckDbUsageEngine` (the engine `npm start` uses), on a fresh engine: first run, then',
    `${u.plan.reportRepeats} timed repeats. Files read is DuckDB's own count from \`EXPLAIN ANALYZE\` of the same statement.`,
    '',
    '| Range | Rows | Requests counted | First run | Repeats median | Repeats max | Files read (EXPLAIN ANALYZE) | Columns read | Bytes scanned (those columns, partitions in range) | All columns in range | Athena billed | Athena cost |',
    '|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|',
    ...u.reports.map(
      (r) =>
        `| ${r.label} | ${int(r.rows)} | ${int(r.requests)} | ${r.firstSeconds.toFixed(3)} s | ${r.repeat.p50.toFixed(3)} s | ${r.repeat.max.toFixed(3)} s | ${r.filesScanned} (${r.filesRead} opened) | ${r.columns.map((c) => `\`${c}\``).join(', ')} | ${int(r.bytesScanned)} (${mb(r.bytesScanned)}) | ${mb(r.bytesAllColumnsInRange)} | ${mb(r.athenaBilledBytes)} | ${usd(r.athenaUsd)} |`,
    ),
    '',
    '- **Only the partitions in range are read**: the view pins every file, and DuckDB prunes them by the `dt`',
    '  filter of the report SQL (`dt BETWEEN ? AND ?`) before opening any; Athena prunes the same way with partition',
    '  projection.',
    '- **Bytes scanned** is the sum of the Parquet column-chunk sizes (`parquet_metadata`, `total_compressed_size`) of',
    '  the columns the SQL names, in the files of the partitions in range. That is what a columnar engine reads, and',
    '  what Athena bills for Parquet, up to footers and statistics; Athena\'s own figure (`DataScannedInBytes`) needs a',
    '  deployed stack.',
    `- **Athena cost**: $${ATHENA_PRICE.perTb} per TB scanned (10^12 bytes here), each query rounded up to the MB with a 10 MB minimum`,
    '  (AWS public pricing at the time of writing, us-east-1 [U]; see docs/analytics.md#cost). The files here are one per',
    '  day; Firehose writes one per buffer (64 MB or 300 s), so real files are smaller and more numerous, with',
    '  somewhat weaker compression.',
    `- A typical access-log line (the record as API Gateway writes it, JSON) is ${u.sampleLineBytes} bytes with its newline:`,
    '',
    '```json',
    u.sampleLine,
    '```',
    '',
  ];
}

/** Console lines for section 7. */
export function renderUsageSummary(u: UsageBenchResults): string {
  const lines = ['Usage analytics:'];
  for (const t of usageTargetRows(u)) lines.push(`  ${t.met ? 'MET    ' : 'NOT MET'}  ${t.target}: ${t.measured} (${t.note})`);
  for (const o of u.overhead) lines.push(`  ${o.path.replace(/`/g, '')}: records ${o.recordsWritten} / requests ${o.requestsWithWriter}`);
  lines.push(`  dataset: ${u.dataset.files} files, ${mb(u.dataset.bytes)}, ${(u.dataset.bytes / u.dataset.records).toFixed(1)} bytes/record; sample access-log line ${u.sampleLineBytes} bytes`);
  return lines.join('\n');
}

const shellQuote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
const verdict = (met: boolean) => (met ? 'MET' : '**NOT MET**');
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const cmd = (counts: CallCounts) =>
  Object.entries(counts.byCommand)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${int(n)}`)
    .join(', ') || '—';

/** Where the limited path's time goes at p50, from the interleaved rows. */
function decomposition(r: BenchResults): string[] {
  const floor = latency(r, 'floor').summary;
  const store = latency(r, 'store').summary;
  const limitedRow = latency(r, 'limitedHit');
  const storeRow = latency(r, 'store');
  const limited = limitedRow.summary;
  const hit = latency(r, 'hit').summary;
  const spread = stretches;
  return [
    `At p50 the limited path (2c) takes ${ms(limited.p50 - floor.p50)} ms more than the floor. The counter adapter alone (2c′)`,
    `accounts for ${ms(store.p50 - floor.p50)} ms of it; its UpdateItem is larger than the floor's (a condition per window,`,
    `${'`'}ReturnValues: ALL_NEW${'`'}, a response to unmarshal), which this run does not split further. The handler and verifier add ${ms(limited.p50 - store.p50)} ms (a whole cache-hit decision`,
    `without limits, 2a, takes ${ms(hit.p50)} ms). At p99 the same rows read ${ms(floor.p99)} / ${ms(store.p99)} / ${ms(limited.p99)} ms`,
    `(floor / 2c′ / 2c). Tails are wide even for the bare floor (its p99 is ${ratio(floor.p99 / floor.p50)} its p50), so the p99 ratio moves`,
    'more from run to run than the p50 ratio.',
    '',
    `Stability within this run: the recorded rounds cut into ${limitedRow.blocks?.p50.length ?? 0} consecutive stretches, 2c / floor was`,
    `${spread(limitedRow.blocks?.p50)} at p50 and ${spread(limitedRow.blocks?.p99)} at p99 (2c′ / floor: ${spread(storeRow.blocks?.p50)} and`,
    `${spread(storeRow.blocks?.p99)}). A verdict near the 1.2× line can flip between runs.`,
  ];
}

export function renderReport(r: BenchResults): string {
  const e = r.env;
  const floor = latency(r, 'floor');
  const hit = latency(r, 'hit');
  const b = r.bundle;
  const deployed = b.loadRuns[0];
  const L: string[] = [];
  const p = (...lines: string[]) => L.push(...lines);

  p(
    '# Benchmarks',
    '',
    `<!-- Generated by \`npm run bench\` (bench/run.ts). Do not edit by hand: run the command again. -->`,
    '',
    `Generated by \`npm run bench\` on **${e.date}**. Every number on this page comes from that one run on one`,
    'machine; nothing is typed by hand. Re-run the command to replace it.',
    '',
    '## Read this first',
    '',
    '- **DynamoDB Local on loopback is not DynamoDB in AWS.** Here DynamoDB is a Java process on the same',
    `  machine (sharing its ${e.cores} cores with the benchmark), reached over 127.0.0.1 without TLS or a network hop.`,
    '  Absolute latencies in AWS are different: AWS publishes only "single-digit millisecond" for DynamoDB',
    '  (https://www.usenix.org/conference/atc22/presentation/vig). What transfers is the **ratio to the floor**: the same client and',
    '  server doing one bare UpdateItem, measured interleaved with the authorizer paths in the same run, so the',
    '  ratio isolates what the authorizer adds on top of its one round trip.',
    '- **One run, one machine**, one request at a time (no concurrency, no contention, no cold starts in the',
    '  latency figures). Results move from run to run by several percent; a busy machine moves them more.',
    `- **Local Node.js ${e.node}**, not the Lambda runtime (${b.runtime}, ${b.architecture}), and not Lambda's CPU share`,
    '  at 512 MB. Lambda **billed duration** is not measured here; in AWS it will be dominated by the real DynamoDB',
    '  round trip on a cache miss or a limited request.',
    '',
    '## Where and how it ran',
    '',
    '| | |',
    '|---|---|',
    `| Date | ${e.date} |`,
    `| Machine | ${e.cpuModel}, ${e.cores} cores (os.cpus), ${mib(e.totalMemoryBytes)} total memory |`,
    `| OS | ${e.os} |`,
    `| Node.js | ${e.node} |`,
    `| DynamoDB Local | ${e.dynamoDbLocal}, ${e.java}, in memory (\`-inMemory -sharedDb\`), ${r.ddbEndpoint.replace(/:\d+$/, ':<free port>')} |`,
    `| AWS SDK | ${e.awsSdk} |`,
    `| Load average at start (1/5/15 min) | ${e.loadAverageAtStart.map((v) => v.toFixed(2)).join(' / ')} |`,
    `| Total run time | ${r.runSeconds.toFixed(1)} s |`,
    '',
    'Commands:',
    '',
    '```sh',
    'npm run bench          # = tsx bench/run.ts; starts and stops DynamoDB Local itself (needs Java 17+)',
    'npx tsx bench/usage.ts # section 7 alone (prints its figures, does not write this page)',
    '```',
    '',
    'What the run does, in order: starts DynamoDB Local with `startDynamoDbLocal()` (local/dynamodb-local.ts),',
    'creates the key and counter tables with `createTable` from `KEY_TABLE` / `COUNTER_TABLE`, creates keys with',
    '`DynamoKeyRepository.create`, calls the real `createAuthorizer` handler wired as lambdas/authorizer/handler.ts',
    'wires it (same client settings: key client `maxAttempts 2`, counter client `maxAttempts 1`, timeouts 1000/500 ms;',
    'LastUsedTracker; JsonLogger at `info`, lines discarded), stops DynamoDB Local, then bundles the authorizer and',
    `spawns \`node\` ${b.loads} times per variant to import it. Phase sizes: \`${JSON.stringify(r.plan)}\`.`,
    '',
    '## Targets',
    '',
    '| Target | Measured | Result | Note |',
    '|---|---|---|---|',
    ...targetRows(r).map((t) => `| ${t.target} | ${t.measured} | ${verdict(t.met)} | ${t.note} |`),
    '',
    '## 1–2. Decision latency',
    '',
    'Milliseconds, wall clock around one `await handler(event)` (or one `send` for the floor), measured with',
    '`performance.now()`. Nearest-rank percentiles over all recorded samples.',
    '',
    '| Scenario | DynamoDB I/O per request | Samples | Errors | p50 | p90 | p99 | mean | max | p50 / floor | p99 / floor |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.latency.map((l) => {
      const s = l.summary;
      return `| ${l.label} | ${l.io} | ${int(s.samples)} | ${l.errors} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.mean)} | ${ms(s.max)} | ${l.vsFloor ? ratio(l.vsFloor.p50) : '—'} | ${l.vsFloor ? ratio(l.vsFloor.p99) : '—'} |`;
    }),
    '',
    ...r.latency.filter((l) => l.firstError).map((l) => `First error in "${l.label}": \`${l.firstError}\``),
    '',
    ...decomposition(r),
    '',
    'How:',
    '',
    `- **Floor**: \`UpdateItem ADD #c :one\` on one counter item, through \`createDocumentClient\` with the counter`,
    '  client\'s settings (`maxAttempts 1`, 1000 ms request timeout), no condition, no return values.',
    '- **2c′** is the counter adapter alone (`DynamoCounterStore.consume` with the same limits, on its own counter',
    '  item and client), to split 2c into the counter write and the code around it.',
    `- **The floor, 2b, 2c′, 2c and 2d are interleaved**: ${int(r.plan.ioWarmupRounds ?? 0)} unrecorded warm-up rounds, then`,
    `  ${int(r.plan.ioRounds ?? 0)} recorded rounds; each round runs each scenario once, in an order rotated every round,`,
    '  so JIT, GC and the JVM behind DynamoDB Local warming up affect all of them alike.',
    '- **2a** (cache hit, no limits, `defaultRateLimit` null, `cacheTtlSeconds 60`) does no I/O; it is timed',
    `  separately after ${int(r.plan.hitWarmup ?? 0)} warm-up calls. DynamoDB calls during it: ${r.hitIo.reads} reads, ${r.hitIo.writes} writes.`,
    '- **2c** uses a key with a rate limit (29,000 per 60 s, under the hot-key threshold), a daily and a monthly quota, all far from exhausted,',
    '  in a container with `cacheTtlSeconds 60`, so the record is cached and the only I/O is the counter write.',
    '  The clock is real: the first request of each new minute takes the roll-over path (one or two writes), and those',
    '  samples are included. **2b/2d** use `cacheTtlSeconds 0`, so every request reads the hash item.',
    '- Every result is checked (Allow with the usage-plan key); a wrong decision aborts the run. Errors are',
    '  faults such as SDK timeouts; they are counted and left out of the percentiles.',
    '',
    '## 3. Cache-hit throughput (one core)',
    '',
    `A tight sequential loop (\`await handler(event)\`, one call at a time) for about ${r.plan.throughputSeconds} s on the`,
    'main thread. CPU seconds is the process\'s user + system time over the loop.',
    '',
    '| Keys cycled through | Calls | Seconds | Decisions/s | CPU seconds | DynamoDB calls during the loop |',
    '|---|---:|---:|---:|---:|---|',
    `| 1 (same key every call) | ${int(r.hitThroughput.calls)} | ${r.hitThroughput.seconds.toFixed(2)} | ${int(r.hitThroughput.perSecond)} | ${r.hitThroughput.cpuSeconds.toFixed(2)} | ${r.hitIo.reads} reads, ${r.hitIo.writes} writes (whole phase) |`,
    `| ${int(r.many.keys)} (full cache, round-robin) | ${int(r.many.throughput.calls)} | ${r.many.throughput.seconds.toFixed(2)} | ${int(r.many.throughput.perSecond)} | ${r.many.throughput.cpuSeconds.toFixed(2)} | ${r.many.duringLoop.reads} reads, ${r.many.duringLoop.writes} writes |`,
    '',
    `The cache-hit p50 of ${ms(hit.summary.p50)} ms would allow ${int(1000 / hit.summary.p50)} decisions/s; the loop figure is lower or`,
    'higher by the per-call overhead of the loop itself and by GC.',
    '',
    '## 4. DynamoDB calls per request',
    '',
    'Counted by wrapping the document clients\' `send` (both the key client and the counter client) in separate',
    'authorizer instances built the same way. The clock is **frozen** here, so all requests of a row fall in one rate',
    'window; the window roll-over has its own row. Writes include conditional writes that DynamoDB refused: they',
    'consume write capacity too [C-archive]',
    '(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).',
    '',
    '| Scenario | Expected I/O | Requests | Reads | Writes | of which refused by their condition | Reads / request | Writes / request | Calls by command |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...r.counts.map(
      (c) =>
        `| ${c.label} | ${c.io} | ${int(c.requests)} | ${int(c.counts.reads)} | ${int(c.counts.writes)} | ${int(c.counts.failedConditionalWrites)} | ${perRequest(c.counts.reads, c.requests).toFixed(3)} | ${perRequest(c.counts.writes, c.requests).toFixed(3)} | ${cmd(c.counts)} |`,
    ),
    '',
    'Reading the rows: in steady state an admitted limited request is one conditional UpdateItem on the counter item.',
    'On top of that, per key: the first request on a fresh counter item and the first request of each new rate',
    'window pay one extra (refused) write; a daily or monthly roll-over rides on the same reset write. The',
    '`lastUsedAt` UpdateItem on the key record runs in the background at most once per key per container per',
    '60 s (LastUsedTracker), whether or not the key has limits. A refused request (429) is one refused write.',
    '',
    '## 5. Authorizer bundle and cold import',
    '',
    `Built with esbuild ${b.esbuildVersion} from \`lambdas/authorizer/handler.ts\` with the options CDK derives from`,
    `\`LAMBDA_BUNDLING\` and \`LAMBDA_RUNTIME\` (${b.runtime}) in lib/key-authorizer.ts, into a temporary directory`,
    `(build took ${b.buildMs.toFixed(0)} ms):`,
    '',
    '```json',
    JSON.stringify(b.options, null, 2),
    '```',
    '',
    '| | |',
    '|---|---|',
    `| Bundle (\`index.mjs\`) | ${int(b.bytes)} bytes (${kb(b.bytes)}) |`,
    `| Bundle, deflate level 9 (about what the zip holds) | ${int(b.deflatedBytes)} bytes (${kb(b.deflatedBytes)}) |`,
    `| Source map (\`index.mjs.map\`, shipped alongside) | ${int(b.mapBytes)} bytes (${kb(b.mapBytes)}) |`,
    `| Largest contributors (bytes in output) | ${b.topInputs.map((t) => `${t.name} ${kb(t.bytes)}`).join(', ')} |`,
    '',
    `Cold import: ${b.loads} fresh \`node\` processes per variant (after one unrecorded run that warms the file cache),`,
    'each running:',
    '',
    '```sh',
    `env -i PATH="$PATH" ${Object.entries(deployed?.env ?? {})
      .filter(([k]) => k !== 'PATH')
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' ')} \\`,
    `  ${b.childCommand}`,
    '```',
    '',
    'The probe times `await import(bundle)` with `performance.now()` inside the child. "Process start to ready" is',
    '`performance.now()` after the import (Node\'s time origin is process start), i.e. Node start-up plus the import.',
    'Credentials are fake, and nothing is sent: the SDK clients connect lazily.',
    '',
    '| Variant | Runs | import() median | import() p90 | start → ready median | start → ready p90 | spawn → exit median |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...b.loadRuns.map(
      (v) => `| ${v.label} | ${v.importMs.samples} | ${ms(v.importMs.p50)} ms | ${ms(v.importMs.p90)} ms | ${ms(v.readyMs.p50)} ms | ${ms(v.readyMs.p90)} ms | ${ms(v.wallMs.p50)} ms |`,
    ),
    '',
    `Not Lambda INIT: Lambda adds its own runtime start-up, runs ${b.runtime} on ${b.architecture}, and gives 512 MB a`,
    'fraction of a vCPU. The first DynamoDB request after a cold start also pays connection setup (TLS in AWS),',
    'which is not part of the import.',
    '',
    `## 6. Memory with a full cache (${int(r.many.keys)} keys)`,
    '',
    `${int(r.many.keys)} keys created through the repository (${r.many.createSeconds.toFixed(1)} s, concurrency ${r.plan.setupConcurrency}),`,
    'then one authorizer instance primed with all of them (cache and LastUsedTracker full). Heap and RSS after a forced',
    'full GC, before and after priming; the bench process itself (events, key list, SDK) is in both.',
    '',
    '| | Before priming | After priming | Difference |',
    '|---|---:|---:|---:|',
    `| Heap used | ${mib(r.many.before.heapUsed)} | ${mib(r.many.after.heapUsed)} | ${mib(r.many.after.heapUsed - r.many.before.heapUsed)} (${int((r.many.after.heapUsed - r.many.before.heapUsed) / r.many.keys)} bytes per key) |`,
    `| RSS | ${mib(r.many.before.rss)} | ${mib(r.many.after.rss)} | ${mib(r.many.after.rss - r.many.before.rss)} |`,
    '',
    `Priming sent ${int(r.many.primed.reads)} reads and ${int(r.many.primed.writes)} writes (${cmd(r.many.primed)}): one GetItem and one`,
    'background `lastUsedAt` update per key.',
    '',
    ...(r.usage ? renderUsageSection(r.usage) : []),
    NOT_MEASURED_HEADING,
    '',
    '- DynamoDB in AWS (`SuccessfulRequestLatency`, client-side p99 from Lambda), API Gateway overhead, Lambda INIT',
    '  and billed duration: they need a deployed stack.',
    '- Concurrency beyond one process: the hot-key row (9c) runs its containers in this one process on this',
    '  machine, and DynamoDB Local does not throttle one item as DynamoDB does (exactness under concurrency is a',
    '  test, test/integration/limits.test.ts).',
    `- Percentiles beyond p99: with ${int(floor.summary.samples)} samples per I/O scenario, p99.9 would rest on a handful of samples.`,
    '',
  );
  return L.join('\n');
}

/**
 * Section 9, placed after section 8 (which bench/metrics.ts inserts before "What is not measured
 * here"), so `page` is the page with section 8 already in it.
 */
export function withScaleSection(page: string, scale: ScaleResults | undefined): string {
  if (!scale) return page;
  const section = renderScaleSection(scale).join('\n');
  const anchor = page.indexOf(NOT_MEASURED_HEADING);
  return anchor >= 0 ? `${page.slice(0, anchor)}${section}\n${page.slice(anchor)}` : `${page.trimEnd()}\n\n${section}\n`;
}

/** Plain-text summary for the console. */
export function renderSummary(r: BenchResults): string {
  const lines = ['Targets:'];
  for (const t of targetRows(r)) lines.push(`  ${t.met ? 'MET    ' : 'NOT MET'}  ${t.target}: ${t.measured}`);
  lines.push('Latency (ms):');
  for (const l of r.latency) {
    lines.push(`  ${l.label.replace(/`/g, '')}: p50 ${ms(l.summary.p50)}  p99 ${ms(l.summary.p99)}  (n=${l.summary.samples}, errors ${l.errors})`);
  }
  lines.push(`Cache-hit throughput: ${int(r.hitThroughput.perSecond)}/s (1 key), ${int(r.many.throughput.perSecond)}/s (${int(r.many.keys)} keys)`);
  lines.push('DynamoDB calls per request:');
  for (const c of r.counts) lines.push(`  ${c.label}: reads ${perRequest(c.counts.reads, c.requests).toFixed(3)}, writes ${perRequest(c.counts.writes, c.requests).toFixed(3)}`);
  const b = r.bundle;
  lines.push(`Bundle: ${int(b.bytes)} bytes (${kb(b.bytes)}), deflated ${kb(b.deflatedBytes)}`);
  for (const v of b.loadRuns) lines.push(`  cold import ${v.label}: median ${ms(v.importMs.p50)} ms, p90 ${ms(v.importMs.p90)} ms`);
  lines.push(`Memory: ${int((r.many.after.heapUsed - r.many.before.heapUsed) / r.many.keys)} bytes of heap per cached key; RSS ${mib(r.many.after.rss)}`);
  if (r.usage) lines.push(renderUsageSummary(r.usage));
  if (r.scale) lines.push(renderScaleSummary(r.scale));
  lines.push(`Run time: ${r.runSeconds.toFixed(1)} s`);
  return lines.join('\n');
}
