/**
 * Usage analytics benchmarks (issue 8), a section of `npm run bench`; alone: `npx tsx bench/usage.ts`
 * (starts its own DynamoDB Local; prints the figures, does not write docs/benchmarks.md).
 *
 * (a) The local usage writer's overhead: the local stack at concurrency 32, the same requests with
 *     the gateway's records going to the LocalUsageWriter and going nowhere, interleaved.
 * (b) A usage report over 10 million synthetic records: DuckDB writes them straight to Parquet in
 *     the bucket's layout (`usage/dt=YYYY-MM-DD/`), then the real `reportQuery` SQL runs through
 *     `DuckDbUsageEngine` for 7 days and for every day; EXPLAIN ANALYZE shows which files were
 *     read, and `parquet_metadata` gives the bytes Athena would scan for the columns the SQL reads.
 */
import '../local/quiet-warnings';
import { DuckDBInstance } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { JsonLogger } from '../adapters/json-logger';
import { DuckDbUsageEngine, usageFiles } from '../adapters/usage/duckdb-engine';
import { DEFAULT_COMPACT_AT_FILES, usageDir } from '../adapters/usage/local-usage-writer';
import { resolveConfig } from '../core/config';
import { reportQuery, type UsageReportRequest } from '../core/usage-reports';
import { USAGE_FIELDS, USAGE_PARTITION, usageRecord } from '../core/usage-record';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { startLocalStack } from '../local/stack';
import { summarize, type Summary } from './stats';

/** Sizes of both parts; the report prints them. About 1.5–2.5 minutes on 2 cores (less with the dataset cached). */
export const USAGE_PLAN = {
  concurrency: 32,
  /** Rounds; each runs every path with the writer on and off, the order alternating. */
  overheadRounds: 4,
  overheadBlockSeconds: 3,
  overheadWarmupSeconds: 2,
  syntheticRecords: 10_000_000,
  syntheticDays: 45,
  /** Timed repeats of each report after its first run. */
  reportRepeats: 5,
} as const;

/** Targets from issue 8. */
export const USAGE_TARGETS = { writerOverheadPercent: 5, reportSeconds: 2 } as const;

/** Athena, us-east-1: $5 per TB scanned, rounded up to the MB, 10 MB minimum per query [U] (see docs/analytics.md). */
export const ATHENA_PRICE = { perTb: 5, minBytes: 10 * 1024 * 1024, roundBytes: 1024 * 1024 } as const;

const FIRST_DAY = '2026-01-01';
const GROUP_BY = ['day', 'route'] as const;

export interface OverheadRow {
  readonly path: string;
  readonly off: Summary;
  readonly on: Summary;
  readonly offPerSecond: number;
  readonly onPerSecond: number;
  readonly errors: number;
  /** Records the writer put on disk, by counting them back through the engine. */
  readonly recordsWritten: number;
  readonly requestsWithWriter: number;
}

export interface ReportRun {
  readonly label: string;
  readonly request: UsageReportRequest;
  readonly rows: number;
  readonly requests: number;
  readonly firstSeconds: number;
  readonly repeat: Summary;
  readonly filesScanned: string;
  readonly filesRead: number;
  readonly columns: readonly string[];
  readonly bytesScanned: number;
  readonly bytesAllColumnsInRange: number;
  readonly athenaBilledBytes: number;
  readonly athenaUsd: number;
}

export interface UsageBenchResults {
  readonly plan: typeof USAGE_PLAN;
  readonly overhead: readonly OverheadRow[];
  readonly overheadFiles: { readonly files: number; readonly partitions: number; readonly compactAtFiles: number };
  readonly dataset: {
    readonly records: number;
    readonly days: number;
    readonly from: string;
    readonly to: string;
    readonly files: number;
    readonly bytes: number;
    readonly generatedSeconds: number | undefined;
    readonly cachedAt: string;
  };
  readonly reports: readonly ReportRun[];
  /** A typical access-log line as JSON (the record API Gateway writes), and its size. */
  readonly sampleLine: string;
  readonly sampleLineBytes: number;
  readonly duckdb: string;
}

type Log = (line: string) => void;

// ---------------------------------------------------------------------------------------
// (a) writer overhead
// ---------------------------------------------------------------------------------------

async function overhead(dynamoEndpoint: string, log: Log) {
  const home = mkdtempSync(join(os.tmpdir(), 'keygate-bench-usage-'));
  const config = resolveConfig({ scopes: [{ name: 'echo:read', description: 'Call GET /v1/echo.' }], defaultRateLimit: null, cacheTtlSeconds: 60 });
  const stack = await startLocalStack({
    home,
    inMemory: true,
    port: 0,
    config,
    dynamoEndpoint,
    tableName: `bench-usage-${process.pid}`,
    logger: new JsonLogger({}, () => undefined, 'error'),
  });
  const agent = new Agent({ keepAlive: true, maxSockets: USAGE_PLAN.concurrency });
  try {
    const admin = stack.createdAdminKey!;
    const created = await send(agent, stack.url, 'POST', '/v1/keys', admin, JSON.stringify({ name: 'bench', scopes: ['echo:read'] }));
    if (created.status !== 201) throw new Error(`creating the bench key: ${created.status} ${created.body}`);
    const key = (JSON.parse(created.body) as { key: string }).key;
    const paths = [
      { path: '/health', label: '`GET /health` (no authorizer: the writer\'s worst case)', key: undefined },
      { path: '/v1/echo', label: '`GET /v1/echo` (authorizer, cached key, keys Lambda)', key },
    ];
    // The gateway always builds the record; "off" drops it instead of buffering it, so the
    // difference is the writer alone: buffering, the 2 s flush to Parquet, and compaction.
    const writer = stack.usage;
    const write = writer.write.bind(writer);
    const setWriter = (on: boolean) => {
      writer.write = on ? write : () => undefined;
    };
    const samples: Record<string, { on: number[]; off: number[]; onSeconds: number; offSeconds: number; errors: number; onRequests: number }> = {};
    for (const p of paths) samples[p.path] = { on: [], off: [], onSeconds: 0, offSeconds: 0, errors: 0, onRequests: 0 };

    log(`usage (a): warm-up ${USAGE_PLAN.overheadWarmupSeconds} s per path`);
    setWriter(false);
    for (const p of paths) await load(agent, stack.url, p.path, p.key, USAGE_PLAN.overheadWarmupSeconds);
    log(`usage (a): ${USAGE_PLAN.overheadRounds} rounds × ${paths.length} paths × writer on/off, ${USAGE_PLAN.overheadBlockSeconds} s each, concurrency ${USAGE_PLAN.concurrency}`);
    for (let round = 0; round < USAGE_PLAN.overheadRounds; round++) {
      for (const p of paths) {
        for (const on of round % 2 === 0 ? [true, false] : [false, true]) {
          setWriter(on);
          const r = await load(agent, stack.url, p.path, p.key, USAGE_PLAN.overheadBlockSeconds);
          const s = samples[p.path]!;
          (on ? s.on : s.off).push(...r.latencies);
          if (on) {
            s.onSeconds += r.seconds;
            s.onRequests += r.latencies.length + r.errors;
          } else s.offSeconds += r.seconds;
          s.errors += r.errors;
          // Records of an "on" block are flushed before the next block starts, so their
          // Parquet writes land in an "on" block or here, never in an "off" block.
          await writer.flush();
        }
      }
    }
    setWriter(true);
    await writer.flush();
    const files = usageFiles(home);
    const partitions = new Set(files.map((f) => f.split('/').at(-2))).size;
    // Every request made with the writer on is on disk exactly once (plus the key creation).
    const engine = new DuckDbUsageEngine({ home });
    const byRoute = new Map<string, number>();
    try {
      const today = new Date().toISOString().slice(0, 10);
      const q = reportQuery({ from: today, to: today, groupBy: ['route'] }, 'usage');
      const result = await engine.run(q.sql, q.parameters);
      if ('rows' in result) for (const r of result.rows) byRoute.set(String(r.route), Number(r.requests));
    } finally {
      engine.close();
    }
    const rows: OverheadRow[] = paths.map((p) => {
      const s = samples[p.path]!;
      return {
        path: p.label,
        off: summarize(s.off),
        on: summarize(s.on),
        offPerSecond: s.off.length / s.offSeconds,
        onPerSecond: s.on.length / s.onSeconds,
        errors: s.errors,
        recordsWritten: byRoute.get(p.path) ?? 0,
        requestsWithWriter: s.onRequests,
      };
    });
    return { rows, files: { files: files.length, partitions, compactAtFiles: DEFAULT_COMPACT_AT_FILES } };
  } finally {
    agent.destroy();
    await stack.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

function send(agent: Agent, base: string, method: string, path: string, key: string | undefined, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, base),
      { method, agent, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `concurrency` clients in a closed loop for `seconds`; each request timed from send to last byte. */
async function load(agent: Agent, base: string, path: string, key: string | undefined, seconds: number) {
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: USAGE_PLAN.concurrency }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        const r = await send(agent, base, 'GET', path, key).catch(() => ({ status: 0, body: '' }));
        if (r.status === 200) latencies.push(performance.now() - started);
        else errors++;
      }
    }),
  );
  return { latencies, errors, seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------
// (b) 10 million records
// ---------------------------------------------------------------------------------------

/**
 * The synthetic records, one SQL over `range()`: deterministic (hashes of the row number), in
 * time order as Firehose delivers them, with the cardinalities of a busy deployment (2,000 keys,
 * 200 owners, 12 routes, 5,000 client addresses) and a plausible mix of outcomes.
 */
function generatorSql(out: string): string {
  const n = USAGE_PLAN.syntheticRecords;
  const start = Date.parse(`${FIRST_DAY}T00:00:00Z`);
  const span = USAGE_PLAN.syntheticDays * 86_400_000;
  const routes = ['/v1/echo', '/orders', '/orders/{id}', '/orders/{id}/items', '/customers', '/customers/{id}', '/invoices', '/invoices/{id}', '/search', '/v1/keys', '/v1/keys/{id}', '/v1/keys/{id}/usage'];
  const agents = ['python-requests/2.32.3', 'okhttp/4.12.0', 'Go-http-client/2.0', 'curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'];
  const list = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;
  return `
COPY (
  WITH base AS (
    SELECT i, hash(i) AS h, hash(i * 7919 + 1) AS g, ${start}::BIGINT + (i * ${span}::BIGINT) // ${n} AS t
    FROM range(${n}) r(i)
  ), shaped AS (
    SELECT *, h % 2000 AS k, h % 1000 AS outcome, md5(i::VARCHAR) AS m FROM base
  )
  SELECT
    substr(m, 1, 8) || '-' || substr(m, 9, 4) || '-' || substr(m, 13, 4) || '-' || substr(m, 17, 4) || '-' || substr(m, 21, 12) AS "requestId",
    t AS "time",
    CASE WHEN outcome < 20 THEN '-' ELSE 'key_01J' || lpad(k::VARCHAR, 23, '0') END AS "keyId",
    CASE WHEN outcome < 50 THEN '-' ELSE 'tenant-' || (k % 200)::VARCHAR END AS "ownerId",
    CASE WHEN g % 5 = 0 THEN 'POST' ELSE 'GET' END AS "method",
    ${list(routes)}[1 + (g % ${routes.length})::INTEGER] AS "route",
    (CASE WHEN outcome < 20 THEN 401 WHEN outcome < 30 THEN 403 WHEN outcome < 50 THEN 429 WHEN outcome < 60 THEN 404 WHEN outcome < 65 THEN 500 ELSE 200 END)::INTEGER AS "status",
    CASE WHEN outcome < 20 THEN 'UNAUTHORIZED' WHEN outcome < 30 THEN 'ACCESS_DENIED' WHEN outcome < 50 THEN 'INVALID_API_KEY' ELSE '-' END AS "errorType",
    CASE WHEN outcome < 20 THEN '-' WHEN outcome < 30 THEN 'INSUFFICIENT_SCOPE' WHEN outcome < 50 THEN 'RATE_LIMITED' ELSE 'VALID' END AS "decision",
    (3 + (g // 7) % 120 + CASE WHEN (g // 11) % 100 = 0 THEN 400 ELSE 0 END)::INTEGER AS "responseLatencyMs",
    CASE WHEN outcome < 50 THEN '-' ELSE ((g // 13) % 110)::VARCHAR END AS "integrationLatencyMs",
    CASE WHEN outcome < 20 THEN '-' ELSE (1 + (g // 17) % 9)::VARCHAR END AS "authorizerLatencyMs",
    (40 + (g // 19) % 4000)::VARCHAR AS "responseBytes",
    '10.' || ((h // 3) % 20)::VARCHAR || '.' || ((h // 5) % 250)::VARCHAR || '.' || (k % 250)::VARCHAR AS "sourceIp",
    ${list(agents)}[1 + ((g // 23) % ${agents.length})::INTEGER] AS "userAgent",
    strftime(make_timestamp(t * 1000), '%Y-%m-%d') AS ${USAGE_PARTITION.name}
  FROM shaped
) TO '${out}' (FORMAT PARQUET, COMPRESSION snappy, PARTITION_BY (${USAGE_PARTITION.name}))`;
}

interface Manifest {
  readonly key: string;
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  readonly generatedSeconds: number;
}

/**
 * The dataset, reused between runs only when that is safe: it lives in a directory named by a
 * hash of the generator SQL and DuckDB's version, owned by this user and not writable by others,
 * and its manifest (written last, after an atomic rename of the finished directory) lists every
 * file with its size; anything that does not match is regenerated from scratch.
 */
async function dataset(db: DuckDBInstance, log: Log) {
  const version = (await (await db.connect()).runAndReadAll('SELECT version() AS v')).getRowObjectsJson()[0]!.v as string;
  const outSql = generatorSql('<out>');
  const key = createHash('sha256').update(`${version}\n${outSql}`).digest('hex').slice(0, 16);
  const home = join(os.tmpdir(), `keygate-bench-usage-${key}`);
  const manifestPath = join(home, 'manifest.json');
  const reusable = () => {
    try {
      const st = statSync(home);
      if (st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) return undefined;
      const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
      if (m.key !== key || m.files.length === 0) return undefined;
      for (const f of m.files) if (statSync(join(home, f.path)).size !== f.bytes) return undefined;
      return m;
    } catch {
      return undefined;
    }
  };
  let manifest = reusable();
  if (manifest) {
    log(`usage (b): reusing the cached dataset in ${home}`);
    return { home, manifest, version, generatedNow: false };
  }
  rmSync(home, { recursive: true, force: true });
  const work = mkdtempSync(join(os.tmpdir(), 'keygate-bench-usage-gen-'));
  log(`usage (b): generating ${USAGE_PLAN.syntheticRecords.toLocaleString('en-US')} records over ${USAGE_PLAN.syntheticDays} days with DuckDB`);
  const t0 = performance.now();
  const c = await db.connect();
  try {
    await c.run(generatorSql(usageDir(work)));
  } finally {
    c.closeSync();
  }
  const generatedSeconds = (performance.now() - t0) / 1000;
  const files = readdirSync(usageDir(work)).flatMap((d) => readdirSync(join(usageDir(work), d)).map((f) => join('usage', d, f)));
  manifest = { key, files: files.map((path) => ({ path, bytes: statSync(join(work, path)).size })), generatedSeconds };
  writeFileSync(join(work, 'manifest.json'), JSON.stringify(manifest));
  renameSync(work, home);
  return { home, manifest, version, generatedNow: true };
}

/** Usage fields the SQL text names: the columns a columnar engine reads (plus the `dt` partition, which is in the path). */
function columnsRead(sql: string): string[] {
  return USAGE_FIELDS.map((f) => f.name).filter((name) => new RegExp(`(^|[^A-Za-z0-9_])"?${name}"?([^A-Za-z0-9_]|$)`).test(sql));
}

function explainValue(rows: readonly Record<string, unknown>[]): string {
  return rows.map((r) => String(r.explain_value ?? '')).join('\n');
}

async function reports(log: Log) {
  const db = await DuckDBInstance.create(':memory:');
  try {
    const ds = await dataset(db, log);
    const lastDay = new Date(Date.parse(`${FIRST_DAY}T00:00:00Z`) + (USAGE_PLAN.syntheticDays - 1) * 86_400_000).toISOString().slice(0, 10);
    const weekFrom = new Date(Date.parse(`${lastDay}T00:00:00Z`) - 6 * 86_400_000).toISOString().slice(0, 10);
    const cases: { label: string; request: UsageReportRequest }[] = [
      { label: `7 days (${weekFrom} … ${lastDay})`, request: { from: weekFrom, to: lastDay, groupBy: [...GROUP_BY] } },
      { label: `all ${USAGE_PLAN.syntheticDays} days (${FIRST_DAY} … ${lastDay})`, request: { from: FIRST_DAY, to: lastDay, groupBy: [...GROUP_BY] } },
    ];
    const meta = await db.connect();
    const runs: ReportRun[] = [];
    try {
      for (const c of cases) {
        const q = reportQuery(c.request, 'usage');
        // A fresh engine, as a new `npm start` or CLI process has.
        const engine = new DuckDbUsageEngine({ home: ds.home });
        try {
          log(`usage (b): report by ${GROUP_BY.join(', ')} over ${c.label}`);
          let t0 = performance.now();
          const first = await engine.run(q.sql, q.parameters);
          const firstSeconds = (performance.now() - t0) / 1000;
          if (!('rows' in first)) throw new Error('DuckDB never answers pending');
          const times: number[] = [];
          for (let i = 0; i < USAGE_PLAN.reportRepeats; i++) {
            t0 = performance.now();
            await engine.run(q.sql, q.parameters);
            times.push((performance.now() - t0) / 1000);
          }
          const explained = await engine.run(`EXPLAIN ANALYZE ${q.sql}`, q.parameters);
          const plan = 'rows' in explained ? explainValue(explained.rows) : '';
          const read = Number(/Total Files Read:\s*(\d+)/.exec(plan)?.[1] ?? Number.NaN);
          // DuckDB prints "Scanning Files: n/m" only when its filter pruned some; otherwise it read all m.
          const scanning = /Scanning Files:\s*(\d+\s*\/\s*\d+)/.exec(plan)?.[1]?.replace(/\s/g, '') ?? `${read}/${usageFiles(ds.home).length}`;
          // Bytes a columnar engine reads: the column chunks of the columns the SQL names, in the partitions in range.
          const inRange = usageFiles(ds.home).filter((f) => {
            const day = /dt=(\d{4}-\d{2}-\d{2})/.exec(f)?.[1] ?? '';
            return day >= c.request.from && day <= c.request.to;
          });
          const columns = columnsRead(q.sql);
          const list = `[${inRange.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ')}]`;
          const bytes = (
            await meta.runAndReadAll(
              `SELECT sum(CASE WHEN path_in_schema IN (${columns.map((x) => `'${x}'`).join(', ')}) THEN total_compressed_size ELSE 0 END)::BIGINT AS cols, sum(total_compressed_size)::BIGINT AS all_cols FROM parquet_metadata(${list})`,
            )
          ).getRowObjectsJson()[0] as { cols: string; all_cols: string };
          const scanned = Number(bytes.cols);
          const billed = Math.max(ATHENA_PRICE.minBytes, Math.ceil(scanned / ATHENA_PRICE.roundBytes) * ATHENA_PRICE.roundBytes);
          runs.push({
            label: c.label,
            request: c.request,
            rows: first.rows.length,
            requests: first.rows.reduce((n, r) => n + Number(r.requests), 0),
            firstSeconds,
            repeat: summarize(times),
            filesScanned: scanning,
            filesRead: read,
            columns,
            bytesScanned: scanned,
            bytesAllColumnsInRange: Number(bytes.all_cols),
            athenaBilledBytes: billed,
            athenaUsd: (billed / 1e12) * ATHENA_PRICE.perTb,
          });
        } finally {
          engine.close();
        }
      }
    } finally {
      meta.closeSync();
    }
    return {
      dataset: {
        records: USAGE_PLAN.syntheticRecords,
        days: USAGE_PLAN.syntheticDays,
        from: FIRST_DAY,
        to: lastDay,
        files: ds.manifest.files.length,
        bytes: ds.manifest.files.reduce((n, f) => n + f.bytes, 0),
        generatedSeconds: ds.generatedNow ? ds.manifest.generatedSeconds : undefined,
        cachedAt: ds.home,
      },
      runs,
      duckdb: ds.version,
    };
  } finally {
    db.closeSync();
  }
}

/** A typical record as one access-log JSON line (the stage format's keys, realistic values). */
function sampleLine(): string {
  return JSON.stringify(
    usageRecord({
      requestId: '6f1c2a9e-3b7d-4e51-9a0c-2d8f4b6e1a37',
      time: 1_798_000_000_123,
      keyId: 'key_01JD8X5V2K3M4N5P6Q7R8S9T0V',
      ownerId: 'tenant-0042',
      method: 'GET',
      route: '/orders/{id}',
      status: 200,
      errorType: '-',
      decision: 'VALID',
      responseLatencyMs: 38,
      integrationLatencyMs: '31',
      authorizerLatencyMs: '4',
      responseBytes: '1187',
      sourceIp: '203.0.113.77',
      userAgent: 'python-requests/2.32.3',
    }),
  );
}

export async function runUsageBench(dynamoEndpoint: string, log: Log): Promise<UsageBenchResults> {
  const a = await overhead(dynamoEndpoint, log);
  const b = await reports(log);
  const line = sampleLine();
  return {
    plan: USAGE_PLAN,
    overhead: a.rows,
    overheadFiles: a.files,
    dataset: b.dataset,
    reports: b.runs,
    sampleLine: line,
    sampleLineBytes: Buffer.byteLength(line) + 1,
    duckdb: b.duckdb,
  };
}

/** Mean request time with the writer over without, as a percentage added. */
export const overheadPercent = (r: OverheadRow, stat: 'mean' | 'p50' | 'p90' | 'p99' = 'mean') => (r.on[stat] / r.off[stat] - 1) * 100;

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/usage.ts')) {
  const started = performance.now();
  const log: Log = (line) => console.log(`[usage ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  void (async () => {
    const ddb = await startDynamoDbLocal();
    try {
      const r = await runUsageBench(ddb.endpoint, log);
      const { renderUsageSummary } = await import('./report');
      console.log('\n' + renderUsageSummary(r));
    } finally {
      await ddb.stop();
    }
  })().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}

