/**
 * Compaction of the local usage files (adapters/usage/local-usage-writer.ts): a partition's small
 * files merged into one must leave every report exactly as it was, including for a report that
 * runs while the merge does, one that lists files between the merge's rename and its deletes, and
 * one whose listed files are deleted under it.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbUsageEngine } from '../../adapters/usage/duckdb-engine';
import { LocalUsageWriter, usageDir, visibleUsageFiles } from '../../adapters/usage/local-usage-writer';
import { reportQuery, reportRows, type UsageReportRequest } from '../../core/usage-reports';
import { usageRecord } from '../../core/usage-record';

const DAY0 = Date.parse('2030-04-01T00:00:00Z');
const KEYS = ['key_01ARZ3NDEKTSV4RRFFQ69G5FAA', 'key_01ARZ3NDEKTSV4RRFFQ69G5FBB'];
const STATUSES = [200, 200, 201, 401, 403, 429];
const ALL: UsageReportRequest = { from: '2030-04-01', to: '2030-04-02', groupBy: ['day', 'key', 'status'] };

let seq = 0;
/** `n` records, alternating over two days, keys and statuses. */
function records(n: number) {
  return Array.from({ length: n }, () => {
    const i = seq++;
    const status = STATUSES[i % STATUSES.length]!;
    return usageRecord({
      requestId: `req-${i}`,
      time: DAY0 + (i % 2) * 86_400_000 + i,
      keyId: status === 401 ? undefined : KEYS[i % KEYS.length],
      method: 'GET',
      route: '/v1/echo',
      status,
      errorType: status === 429 ? 'INVALID_API_KEY' : '-',
      responseLatencyMs: i % 50,
    });
  });
}

/** The report's counts, computed without SQL, in the report's order. */
function expected(all: readonly Record<string, string | number>[]) {
  const groups = new Map<string, { day: string; keyId: string | null; status: number; requests: number; errors: number; rateLimited: number }>();
  for (const r of all) {
    const day = new Date(Number(r.time)).toISOString().slice(0, 10);
    const keyId = r.keyId === '-' ? null : String(r.keyId);
    const id = JSON.stringify([day, keyId, r.status]);
    const g = groups.get(id) ?? { day, keyId, status: Number(r.status), requests: 0, errors: 0, rateLimited: 0 };
    g.requests++;
    if (Number(r.status) >= 400) g.errors++;
    if (r.errorType === 'INVALID_API_KEY') g.rateLimited++;
    groups.set(id, g);
  }
  const order = (x: string | number | null, y: string | number | null) => (x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1);
  return [...groups.values()].sort((a, b) => order(a.day, b.day) || order(a.keyId, b.keyId) || order(a.status, b.status));
}

const counts = (rows: readonly Record<string, unknown>[]) => rows.map(({ day, keyId, status, requests, errors, rateLimited }) => ({ day, keyId, status, requests, errors, rateLimited }));

describe('local usage compaction', () => {
  let home: string;
  let written: Record<string, string | number>[];
  let writer: LocalUsageWriter;
  let engine: DuckDbUsageEngine;

  const files = (day: string) => readdirSync(join(usageDir(home), `dt=${day}`)).sort();
  async function report(e: DuckDbUsageEngine = engine) {
    const query = reportQuery(ALL, 'usage');
    const result = await e.run(query.sql, query.parameters);
    if (!('rows' in result)) throw new Error('DuckDB never answers pending');
    return counts(reportRows(query, result.rows).rows);
  }
  /** Writes `flushes` files per day of `perFlush` records each. */
  async function writeFlushes(flushes: number, perFlush = 40) {
    for (let i = 0; i < flushes; i++) {
      const batch = records(perFlush);
      for (const r of batch) writer.write(r);
      written.push(...batch);
      await writer.flush();
    }
  }

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'keygate-compaction-'));
    written = [];
    writer = new LocalUsageWriter({ home, flushMs: 3_600_000, compactAtFiles: Infinity });
    engine = new DuckDbUsageEngine({ home });
  });

  afterEach(async () => {
    await writer.stop();
    engine.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('merges a partition into one file once it holds compactAtFiles files, with the same report', async () => {
    // Prepare
    await writer.stop();
    writer = new LocalUsageWriter({ home, flushMs: 3_600_000, compactAtFiles: 5 });
    await writeFlushes(4);
    expect(files('2030-04-01')).toHaveLength(4);
    const before = await report();
    expect(before).toEqual(expected(written));
    // Act: the fifth file reaches the threshold; flush() waits for the merge it starts.
    await writeFlushes(1);
    // Assess
    for (const day of ['2030-04-01', '2030-04-02']) {
      expect(files(day)).toHaveLength(1);
      expect(files(day)[0]).toMatch(/^\d+-[0-9a-f]{8}\.compacted\.parquet$/);
    }
    const after = await report();
    expect(after).toEqual(expected(written));
    expect(after.reduce((n, r) => n + Number(r.requests), 0)).toBe(200);
    // Prepare: the merged file is merged again with newer files, never left behind.
    await writeFlushes(4);
    expect(files('2030-04-01')).toHaveLength(1);
    expect(await report()).toEqual(expected(written));
  });

  it('counts every record once when it lists between the merge\'s rename and its deletes', async () => {
    // Prepare: the state a crash (or a reader's listing) can find: merged file in place, inputs not yet deleted.
    await writeFlushes(6);
    const aside = mkdtempSync(join(tmpdir(), 'keygate-compaction-aside-'));
    const dir = join(usageDir(home), 'dt=2030-04-01');
    const inputs = files('2030-04-01');
    for (const f of inputs) copyFileSync(join(dir, f), join(aside, f));
    await writer.compact();
    for (const f of inputs) copyFileSync(join(aside, f), join(dir, f));
    rmSync(aside, { recursive: true, force: true });
    expect(files('2030-04-01')).toHaveLength(7);
    // Act
    const rows = await report();
    // Assess
    expect(rows).toEqual(expected(written));
    expect(visibleUsageFiles(files('2030-04-01'))).toHaveLength(1);
    // The next merge deletes what the first one superseded.
    await writeFlushes(1);
    await writer.compact();
    expect(files('2030-04-01')).toHaveLength(1);
    expect(await report()).toEqual(expected(written));
  });

  it('lists again when a merge deletes the files it listed, and still counts each record once', async () => {
    // Prepare
    await writeFlushes(8);
    let listings = 0;
    const racing = new DuckDbUsageEngine({
      home,
      afterListing: async () => {
        if (++listings === 1) await writer.compact();
      },
    });
    try {
      // Act
      const rows = await report(racing);
      // Assess
      expect(listings).toBe(2);
      expect(rows).toEqual(expected(written));
    } finally {
      racing.close();
    }
  });

  it('gives exact reports while a merge runs, and loses no record written meanwhile', async () => {
    // Prepare
    await writeFlushes(30, 20);
    // Act: reports and more writes race the merge.
    let done = false;
    const merging = writer.compact().finally(() => (done = true));
    const reports: Awaited<ReturnType<typeof report>>[] = [];
    const snapshot = written.slice();
    while (!done) reports.push(await report());
    await merging;
    await writeFlushes(2, 20);
    // Assess
    expect(reports.length).toBeGreaterThan(0);
    for (const r of reports) expect(r).toEqual(expected(snapshot));
    expect(files('2030-04-01').filter((f) => f.includes('.compacted.'))).toHaveLength(1);
    expect(await report()).toEqual(expected(written));
  });

  it('never merges or hides a Parquet file it did not write', async () => {
    // Prepare: an object copied from the bucket (Firehose's own name) next to the writer's files.
    await writeFlushes(3);
    const dir = join(usageDir(home), 'dt=2030-04-01');
    const foreign = 'amazon-apigateway-keygate-1-2030-04-01-00-00-00-0a1b2c3d.parquet';
    copyFileSync(join(dir, files('2030-04-01')[0]!), join(dir, foreign));
    const copied = written.filter((r, i) => i < 40 && new Date(Number(r.time)).toISOString().startsWith('2030-04-01'));
    // Act
    await writer.compact();
    // Assess
    expect(files('2030-04-01')).toContain(foreign);
    expect(files('2030-04-01')).toHaveLength(2);
    expect(await report()).toEqual(expected([...written, ...copied]));
  });

  it('refuses nothing on an empty data directory', async () => {
    mkdirSync(usageDir(home), { recursive: true });
    await writer.compact();
    expect(await report()).toEqual([]);
  });
});

describe('visibleUsageFiles', () => {
  it('shows the newest merge and only the plain files newer than it', () => {
    const names = ['100-0000000a.parquet', '200-0000000b.parquet', '200-0000000c.compacted.parquet', '150-0000000d.compacted.parquet', '300-0000000e.parquet', '.300-0000000f.parquet.tmp', 'data_0.parquet', 'notes.txt'];
    expect(visibleUsageFiles(names)).toEqual(['200-0000000c.compacted.parquet', '300-0000000e.parquet', 'data_0.parquet']);
  });

  it('shows every plain file when nothing was merged', () => {
    expect(visibleUsageFiles(['2-00000000.parquet', '1-00000000.parquet'])).toEqual(['1-00000000.parquet', '2-00000000.parquet']);
  });
});
