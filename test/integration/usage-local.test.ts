/**
 * Usage records end to end on one machine: the local writer's Parquet files, reports through the
 * DuckDB engine checked against counts computed here in plain JS, and parity with Athena — the
 * exact SQL and parameters DuckDB ran are what the Athena engine sends, and DuckDB's rows fed
 * back through a mocked GetQueryResults come out of the Athena engine as the same report.
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AthenaQueryError, AthenaUsageEngine } from '../../adapters/usage/athena-engine';
import { DuckDbUsageEngine } from '../../adapters/usage/duckdb-engine';
import { LocalUsageWriter } from '../../adapters/usage/local-usage-writer';
import { type RawRow, reportQuery, reportRows, type UsageReportRequest } from '../../core/usage-reports';
import { usagePartition, usageRecord } from '../../core/usage-record';

const DAY0 = Date.parse('2030-03-01T00:00:00Z');
const KEYS = ['key_01ARZ3NDEKTSV4RRFFQ69G5FAA', 'key_01ARZ3NDEKTSV4RRFFQ69G5FBB', 'key_01ARZ3NDEKTSV4RRFFQ69G5FCC'];
const OWNERS = ['acme', 'acme', 'globex'];
const ROUTES = ['/v1/echo', '/v1/keys', '/v1/keys/{id}'];
const OUTCOMES = [
  { status: 200, errorType: '-', decision: 'VALID', keyed: true },
  { status: 200, errorType: '-', decision: 'VALID', keyed: true },
  { status: 201, errorType: '-', decision: 'VALID', keyed: true },
  { status: 401, errorType: 'UNAUTHORIZED', decision: '-', keyed: false },
  { status: 403, errorType: 'ACCESS_DENIED', decision: 'INSUFFICIENT_SCOPE', keyed: true },
  { status: 429, errorType: 'INVALID_API_KEY', decision: 'RATE_LIMITED', keyed: true },
  { status: 404, errorType: 'MISSING_AUTHENTICATION_TOKEN', decision: '-', keyed: false },
];

/** 200 records over 3 UTC days, every combination of key, route and outcome represented. */
function fixtures(): Record<string, string | number>[] {
  return Array.from({ length: 200 }, (_, i) => {
    const k = i % 3;
    const o = OUTCOMES[i % OUTCOMES.length]!;
    return usageRecord({
      requestId: `req-${i}`,
      time: DAY0 + Math.floor((i * 3 * 86_400_000) / 200) + 17,
      keyId: o.keyed ? KEYS[k] : undefined,
      ownerId: o.keyed && o.status !== 403 && o.status !== 429 ? OWNERS[k] : undefined,
      method: 'GET',
      route: o.status === 404 ? '-' : ROUTES[(i >> 1) % 3],
      status: o.status,
      errorType: o.errorType,
      decision: o.decision,
      responseLatencyMs: (i * 7) % 100,
      sourceIp: '127.0.0.1',
      userAgent: 'vitest',
    });
  });
}

interface Expected {
  requests: number;
  errors: number;
  rateLimited: number;
}

/** The report's counts, computed without SQL. */
function expectedCounts(records: Record<string, string | number>[], request: UsageReportRequest, keyOf: (r: Record<string, string | number>) => Record<string, string | number | null>): Record<string, unknown>[] {
  const groups = new Map<string, { key: Record<string, string | number | null>; counts: Expected }>();
  for (const r of records) {
    const dt = usagePartition(Number(r.time));
    if (dt < request.from || dt > request.to) continue;
    if (request.ownerId !== undefined && r.ownerId !== request.ownerId) continue;
    if (request.keyId !== undefined && r.keyId !== request.keyId) continue;
    const key = keyOf({ ...r, dt });
    const id = JSON.stringify(key);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key, counts: { requests: 0, errors: 0, rateLimited: 0 } }));
    g.counts.requests++;
    if (Number(r.status) >= 400) g.counts.errors++;
    if (r.errorType === 'INVALID_API_KEY') g.counts.rateLimited++;
  }
  const cmp = (a: string | number | null, b: string | number | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
  return [...groups.values()]
    .sort((a, b) => {
      for (const f of Object.keys(a.key)) {
        const c = cmp(a.key[f]!, b.key[f]!);
        if (c !== 0) return c;
      }
      return 0;
    })
    .map((g) => ({ ...g.key, ...g.counts }));
}

const counts = (rows: readonly Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.endsWith('LatencyMs'))));
const dashToNull = (v: string | number) => (v === '-' ? null : v);

describe('local usage records and reports', () => {
  let home: string;
  let engine: DuckDbUsageEngine;
  const records = fixtures();

  beforeAll(async () => {
    // Prepare: written in two flushes, as the timer would.
    home = mkdtempSync(join(tmpdir(), 'keygate-usage-'));
    const writer = new LocalUsageWriter({ home, flushMs: 60_000 });
    for (const r of records.slice(0, 120)) writer.write(r);
    await writer.flush();
    for (const r of records.slice(120)) writer.write(r);
    await writer.stop();
    engine = new DuckDbUsageEngine({ home });
  });

  afterAll(() => {
    engine.close();
    rmSync(home, { recursive: true, force: true });
  });

  async function run(request: UsageReportRequest) {
    const query = reportQuery(request, 'usage');
    const result = await engine.run(query.sql, query.parameters);
    if (!('rows' in result)) throw new Error('DuckDB never answers pending');
    return { query, raw: result.rows, report: reportRows(query, result.rows) };
  }

  it('writes Parquet in the partition layout of the bucket, no temp files left', () => {
    const dirs = readdirSync(join(home, 'usage')).sort();
    expect(dirs).toEqual(['dt=2030-03-01', 'dt=2030-03-02', 'dt=2030-03-03']);
    for (const d of dirs) for (const f of readdirSync(join(home, 'usage', d))) expect(f).toMatch(/^\d+-[0-9a-f]{8}\.parquet$/);
  });

  it('counts requests, errors and limit refusals per day and key', async () => {
    const request: UsageReportRequest = { from: '2030-03-01', to: '2030-03-03', groupBy: ['day', 'key'] };
    const { report } = await run(request);
    expect(counts(report.rows)).toEqual(expectedCounts(records, request, (r) => ({ day: r.dt!, keyId: dashToNull(r.keyId!) })));
    expect(report.truncated).toBe(false);
    expect(report.rows.reduce((n, r) => n + Number(r.requests), 0)).toBe(200);
  });

  it('prunes to the days asked for and applies filters', async () => {
    const request: UsageReportRequest = { from: '2030-03-02', to: '2030-03-02', groupBy: ['status', 'decision'], ownerId: 'acme' };
    const { report } = await run(request);
    expect(counts(report.rows)).toEqual(expectedCounts(records, request, (r) => ({ status: Number(r.status), decision: dashToNull(r.decision!) })));
    expect(report.rows.length).toBeGreaterThan(0);
  });

  it('groups by route and hour', async () => {
    const request: UsageReportRequest = { from: '2030-03-01', to: '2030-03-01', groupBy: ['route', 'hour'] };
    const { report } = await run(request);
    const hour = (t: number) => new Date(Math.floor(t / 3_600_000) * 3_600_000).toISOString().slice(0, 13) + ':00:00Z';
    expect(counts(report.rows)).toEqual(expectedCounts(records, request, (r) => ({ route: dashToNull(r.route!), hour: hour(Number(r.time)) })));
  });

  it('gives latency percentiles within the group and in order', async () => {
    const { report } = await run({ from: '2030-03-01', to: '2030-03-03', groupBy: [] });
    const [total] = report.rows;
    expect(total).toMatchObject({ requests: 200 });
    const p50 = Number(total!.p50LatencyMs), p95 = Number(total!.p95LatencyMs), p99 = Number(total!.p99LatencyMs);
    // Latencies are 0..99 spread evenly: approximate percentiles land near the exact ones.
    expect(Math.abs(p50 - 50)).toBeLessThanOrEqual(5);
    expect(Math.abs(p95 - 95)).toBeLessThanOrEqual(5);
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
  });

  it('answers an empty report before any file exists', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'keygate-usage-empty-'));
    const e = new DuckDbUsageEngine({ home: empty });
    try {
      const q = reportQuery({ from: '2030-03-01', to: '2030-03-03', groupBy: ['day'] }, 'usage');
      expect(await e.run(q.sql, q.parameters)).toEqual({ rows: [] });
    } finally {
      e.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  describe('parity with Athena', () => {
    const athena = mockClient(AthenaClient);
    beforeEach(() => athena.reset());

    /** DuckDB's rows as GetQueryResults pages: a header row, every value text, NULL as an empty Datum, lower-case labels as Athena gives them. */
    function athenaPages(raw: readonly RawRow[], columns: readonly { name: string }[], pageSize: number) {
      const names = columns.map((c) => c.name.toLowerCase());
      const rows = [
        { Data: names.map((n) => ({ VarCharValue: n })) },
        ...raw.map((r) => ({ Data: columns.map((c) => (r[c.name] === null ? {} : { VarCharValue: String(r[c.name]) })) })),
      ];
      const pages = [];
      for (let i = 0; i < rows.length; i += pageSize) pages.push(rows.slice(i, i + pageSize));
      return pages.map((page, i) => ({
        ResultSet: { ResultSetMetadata: { ColumnInfo: names.map((n) => ({ Name: n, Label: n, Type: 'varchar' })) }, Rows: page },
        ...(i < pages.length - 1 ? { NextToken: `page-${i + 1}` } : {}),
      }));
    }

    it('sends the SQL DuckDB ran, with its parameters as literals, and reads back the same report', async () => {
      // Prepare
      const request: UsageReportRequest = { from: '2030-03-01', to: '2030-03-03', groupBy: ['day', 'owner', 'status'], route: '/v1/keys/{id}' };
      const local = await run(request);
      const pages = athenaPages(local.raw, local.query.columns, 4);
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } }).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
      const results = athena.on(GetQueryResultsCommand, { QueryExecutionId: 'q-1' });
      results.resolves(pages[0]!);
      pages.forEach((p, i) => i > 0 && athena.on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: `page-${i}` }).resolves(p));
      const engine = new AthenaUsageEngine({ client: new AthenaClient({ region: 'eu-west-1' }), workGroup: 'keygate', database: 'keygate_usage', sleep: async () => undefined });
      // Act
      const result = await engine.run(local.query.sql, local.query.parameters);
      // Assess
      const start = athena.commandCalls(StartQueryExecutionCommand);
      expect(start).toHaveLength(1);
      expect(start[0]!.args[0].input).toEqual({
        QueryString: local.query.sql,
        ExecutionParameters: ["'2030-03-01'", "'2030-03-03'", "'/v1/keys/{id}'"],
        WorkGroup: 'keygate',
        QueryExecutionContext: { Database: 'keygate_usage' },
      });
      expect(pages.length).toBeGreaterThan(1);
      expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(pages.length);
      if (!('rows' in result)) throw new Error('expected rows');
      expect(reportRows(local.query, result.rows)).toEqual(local.report);
      expect(local.report.rows.length).toBeGreaterThan(3);
    });

    it('doubles quotes in string parameters', async () => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
      athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
      athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });
      const q = reportQuery({ from: '2030-03-01', to: '2030-03-01', groupBy: [], route: "/v1/o'clock" }, 'usage');
      await new AthenaUsageEngine({ client: new AthenaClient({ region: 'eu-west-1' }), workGroup: 'wg', database: 'db' }).run(q.sql, q.parameters);
      expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.ExecutionParameters).toEqual(["'2030-03-01'", "'2030-03-01'", "'/v1/o''clock'"]);
    });

    it('answers pending with the query id when the query outlives the wait', async () => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-slow' });
      athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
      let now = 0;
      const engine = new AthenaUsageEngine({
        client: new AthenaClient({ region: 'eu-west-1' }),
        workGroup: 'wg',
        database: 'db',
        waitMs: 1000,
        now: () => now,
        sleep: async (ms) => void (now += ms),
      });
      const q = reportQuery({ from: '2030-03-01', to: '2030-03-01', groupBy: [] }, 'usage');
      expect(await engine.run(q.sql, q.parameters)).toEqual({ pending: 'q-slow' });
      expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
    });

    it('rejects a failed query with Athena\'s reason', async () => {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-bad' });
      athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND', AthenaError: { ErrorCategory: 2 } } } });
      const q = reportQuery({ from: '2030-03-01', to: '2030-03-01', groupBy: [] }, 'usage');
      const engine = new AthenaUsageEngine({ client: new AthenaClient({ region: 'eu-west-1' }), workGroup: 'wg', database: 'db' });
      await expect(engine.run(q.sql, q.parameters)).rejects.toThrow(AthenaQueryError);
      await expect(engine.run(q.sql, q.parameters)).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('TABLE_NOT_FOUND') });
    });
  });
});
