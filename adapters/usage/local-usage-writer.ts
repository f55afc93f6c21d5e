/**
 * The local stand-in for API Gateway access logs → Firehose → Parquet in S3: usage records are
 * buffered in memory and written every `flushMs` (and on stop) as Parquet files under
 * `<home>/usage/dt=YYYY-MM-DD/<stamp>-<rand>.parquet`, the partition layout of the bucket, with the
 * column types of core/usage-record.ts. The DuckDB engine reads them back.
 *
 * Like the deployed pipeline it is at most once: a failed write is logged and its records are
 * lost, and records beyond `maxBuffered` are dropped (counted in `dropped`), so a stuck disk never
 * grows the gateway's memory. Locally the partition is the request's UTC day (Firehose uses the
 * arrival time; the two differ only for records in flight across midnight).
 *
 * ## Compaction
 *
 * One file per partition per flush would leave tens of thousands of small files after a day of
 * `npm start`, and DuckDB opens every one of them. So once a partition holds `compactAtFiles`
 * files, the writer merges them into one, in the background (write() only ever buffers; a flush's
 * promise waits for the compaction it started, the timer's flushes do not wait at all).
 *
 * The merge must never make a reader count a record twice or miss one. It uses a generation rule
 * that lives in the file names, so no manifest has to be kept in step with the files:
 * - every file's name starts with a **stamp**: an integer that strictly increases within a
 *   partition (epoch ms, bumped past the partition's highest existing stamp);
 * - a merged file is named `<W>-<rand>.compacted.parquet`, where W is the highest stamp among its
 *   inputs, and it holds exactly the records of every visible file with a stamp ≤ W;
 * - **visible** ({@link visibleUsageFiles}): the merged file with the highest W, plus every plain
 *   file with a stamp > W. Anything else in the partition is superseded, whether or not it has been
 *   deleted yet.
 * A merge writes to a dot-name (readers ignore it), renames it into place (atomic), and only then
 * deletes its inputs. A reader that lists before the rename sees the inputs; one that lists
 * between the rename and the deletes sees the merged file and skips the inputs by the rule; one
 * that lists after sees the merged file. The one remaining race, a reader that listed the inputs
 * and then finds one deleted, the engine handles by listing again (adapters/usage/duckdb-engine.ts).
 * A crash between rename and deletes leaves superseded files that the rule hides and the next
 * merge deletes. Files not named by this writer (say, objects copied from the S3 bucket) are
 * always visible and never merged. One writer per data directory (the local stack's), as the
 * stamps are only kept increasing within one process.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/ports';
import { USAGE_FIELDS, USAGE_PARTITION, usagePartition, type UsageRecord } from '../../core/usage-record';

const DAY_MS = 86_400_000;
import { duckdbColumns, sqlString } from './duckdb-sql';

export interface LocalUsageWriterOptions {
  /** Data directory; files go under `<home>/usage/`. */
  readonly home: string;
  /** @default 2000 */
  readonly flushMs?: number;
  /** @default 50,000 records */
  readonly maxBuffered?: number;
  /**
   * Merge a partition's files into one once it holds this many (checked after each write into
   * it); `Infinity` turns automatic compaction off. At the default and a 2 s flush, a busy
   * partition is merged about every 48 s and never holds more than this many files.
   * @default 24
   */
  readonly compactAtFiles?: number;
  readonly logger?: Logger;
}

export const usageDir = (home: string): string => join(home, 'usage');

export const DEFAULT_COMPACT_AT_FILES = 24;

/** A file this writer wrote: `<stamp>-<8 hex>.parquet`, or a merge, `<stamp>-<8 hex>.compacted.parquet`. */
const OWN_FILE = /^(\d+)-[0-9a-f]{8}(\.compacted)?\.parquet$/;
/** Dot-files (a write or merge in progress, or left by a crash) older than this are removed by a merge. */
const STALE_TEMP_MS = 10 * 60_000;

interface OwnFile {
  readonly name: string;
  readonly stamp: number;
  readonly compacted: boolean;
}

function ownFile(name: string): OwnFile | undefined {
  const m = OWN_FILE.exec(name);
  return m ? { name, stamp: Number(m[1]), compacted: m[2] !== undefined } : undefined;
}

/**
 * The files of one partition a reader must read, by the generation rule above: the newest merged
 * file, every plain file newer than it, and any `*.parquet` this writer did not name.
 */
export function visibleUsageFiles(names: readonly string[]): string[] {
  const own: OwnFile[] = [];
  const foreign: string[] = [];
  for (const n of names) {
    if (n.startsWith('.') || !n.endsWith('.parquet')) continue;
    const f = ownFile(n);
    if (f) own.push(f);
    else foreign.push(n);
  }
  let merged: OwnFile | undefined;
  for (const f of own) if (f.compacted && (!merged || f.stamp > merged.stamp)) merged = f;
  const watermark = merged?.stamp ?? -1;
  return [...foreign, ...own.filter((f) => f === merged || (!f.compacted && f.stamp > watermark)).map((f) => f.name)].sort();
}

/** `<home>/usage/dt=…` directories, oldest day first. */
export function usagePartitionDirs(home: string): string[] {
  const dir = usageDir(home);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name.startsWith(`${USAGE_PARTITION.name}=`))
    .map((d) => join(dir, d.name))
    .sort();
}

export class LocalUsageWriter {
  /** NDJSON lines by UTC day number. */
  private buffer = new Map<number, string[]>();
  private buffered = 0;
  private readonly timer: NodeJS.Timeout;
  /** Writes, one at a time (they hand out stamps). */
  private chain: Promise<void> = Promise.resolve();
  /** Merges, one at a time, beside the writes: a merge never delays a flush. */
  private compaction: Promise<void> = Promise.resolve();
  private db: Promise<DuckDBInstance> | undefined;
  private stopped = false;
  /** Highest stamp handed out or seen per partition directory. */
  private readonly lastStamp = new Map<string, number>();
  /** Records refused because the buffer was full. */
  dropped = 0;

  constructor(private readonly options: LocalUsageWriterOptions) {
    this.timer = setInterval(() => {
      if (this.buffered > 0) this.flush().catch(() => undefined);
    }, options.flushMs ?? 2000);
    this.timer.unref();
  }

  /**
   * Sync and cheap: the gateway calls it after it has its response. The record is serialized
   * here, one at a time, so a flush never stalls the event loop serializing thousands at once.
   */
  write(record: UsageRecord): void {
    if (this.stopped) return;
    if (this.buffered >= (this.options.maxBuffered ?? 50_000)) {
      this.dropped++;
      return;
    }
    const day = Math.floor(Number(record.time) / DAY_MS);
    let lines = this.buffer.get(day);
    if (!lines) this.buffer.set(day, (lines = []));
    lines.push(JSON.stringify(record));
    this.buffered++;
  }

  /**
   * Writes everything buffered so far; resolves when it is on disk (rejects if the write failed)
   * and any merge it triggered has finished (a failed merge is logged, not thrown: the records
   * are on disk either way).
   */
  flush(): Promise<void> {
    const records = this.buffer;
    const count = this.buffered;
    this.buffer = new Map();
    this.buffered = 0;
    const written = this.chain.then(() => (count > 0 ? this.writeFiles(records) : []));
    this.chain = written.then(
      () => undefined,
      () => undefined,
    );
    // The merge runs beside the next writes; only this flush's caller waits for it.
    return written.then((touched) => {
      const atFiles = this.options.compactAtFiles ?? DEFAULT_COMPACT_AT_FILES;
      const due = touched.filter((dir) => ownFiles(dir).length >= atFiles);
      return due.length > 0 ? this.schedule(due) : undefined;
    });
  }

  /**
   * Merges every partition holding at least `minFiles` of this writer's visible files into one
   * file each, now; resolves when done. For tools and tests: the writer does it by itself at
   * `compactAtFiles`.
   */
  async compact(minFiles = 2): Promise<void> {
    await this.schedule(usagePartitionDirs(this.options.home).filter((dir) => ownFiles(dir).length >= minFiles));
  }

  /** Flushes (and finishes merging) and releases DuckDB; later records are ignored. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.flush();
    } finally {
      this.stopped = true;
      await this.compaction;
      const db = this.db;
      this.db = undefined;
      if (db) (await db.catch(() => undefined))?.closeSync();
    }
  }

  private schedule(dirs: readonly string[]): Promise<void> {
    const run = this.compaction.then(async () => {
      for (const dir of dirs) {
        try {
          await this.compactPartition(dir);
        } catch (err) {
          this.options.logger?.log('error', 'usage partition could not be compacted', { error: err, partition: dir });
        }
      }
    });
    this.compaction = run;
    return run;
  }

  private async connect() {
    // One thread: the conversion shares the machine with the gateway it records, and must not take
    // a second core from it on a laptop (the bench measures what the writer adds, bench/usage.ts).
    this.db ??= DuckDBInstance.create(':memory:', { threads: '1' });
    return (await this.db).connect();
  }

  /** A stamp above every file's in `dir`, and above the last one handed out there. */
  private nextStamp(dir: string): number {
    let last = this.lastStamp.get(dir);
    if (last === undefined) last = Math.max(-1, ...readdirSync(dir).map((n) => ownFile(n)?.stamp ?? -1));
    const stamp = Math.max(Date.now(), last + 1);
    this.lastStamp.set(dir, stamp);
    return stamp;
  }

  /** Writes one file per partition; returns the partition directories written. */
  private async writeFiles(records: ReadonlyMap<number, readonly string[]>): Promise<string[]> {
    const connection = await this.connect();
    const written: string[] = [];
    try {
      for (const [dayNumber, lines] of records) {
        const day = usagePartition(dayNumber * DAY_MS);
        const dir = join(usageDir(this.options.home), `${USAGE_PARTITION.name}=${day}`);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const name = `${this.nextStamp(dir)}-${randomBytes(4).toString('hex')}`;
        const ndjson = join(dir, `.${name}.ndjson`);
        const partial = join(dir, `.${name}.parquet.tmp`);
        try {
          await writeFile(ndjson, lines.join('\n') + '\n', { mode: 0o600 });
          await connection.run(
            `COPY (SELECT ${columnList()} FROM read_json(${sqlString(ndjson)}, format = 'newline_delimited', columns = ${duckdbColumns()})) ` +
              `TO ${sqlString(partial)} (FORMAT PARQUET)`,
          );
          // Readers glob *.parquet: a file appears only once it is complete.
          renameSync(partial, join(dir, `${name}.parquet`));
          written.push(dir);
        } catch (err) {
          this.options.logger?.log('error', 'usage records could not be written', { error: err, records: lines.length, partition: day });
          rmSync(partial, { force: true });
          throw err;
        } finally {
          rmSync(ndjson, { force: true });
        }
      }
    } finally {
      connection.closeSync();
    }
    return written;
  }

  /** Merges the partition's visible own files into one (see the file comment for why it is safe). */
  private async compactPartition(dir: string): Promise<void> {
    const names = readdirSync(dir);
    const inputs = ownFiles(dir, names);
    if (inputs.length < 2) return;
    const watermark = Math.max(...inputs.map((f) => f.stamp));
    const name = `${watermark}-${randomBytes(4).toString('hex')}.compacted.parquet`;
    const partial = join(dir, `.${name}.tmp`);
    const paths = inputs.map((f) => join(dir, f.name));
    const connection = await this.connect();
    try {
      const list = `[${paths.map(sqlString).join(', ')}]`;
      await connection.run(`COPY (SELECT ${columnList()} FROM read_parquet(${list}, union_by_name = true)) TO ${sqlString(partial)} (FORMAT PARQUET)`);
      // The merge must hold exactly its inputs' records before it may supersede them.
      const counted = await connection.runAndReadAll(
        `SELECT (SELECT count(*) FROM read_parquet(${list})) AS inputs, (SELECT count(*) FROM read_parquet(${sqlString(partial)})) AS merged`,
      );
      const [row] = counted.getRowObjectsJson() as { inputs: string; merged: string }[];
      if (!row || row.inputs !== row.merged) throw new Error(`merged file holds ${row?.merged} records, its inputs ${row?.inputs}`);
      renameSync(partial, join(dir, name));
    } catch (err) {
      rmSync(partial, { force: true });
      throw err;
    } finally {
      connection.closeSync();
    }
    // Superseded by the rule from here on; delete them and whatever an earlier crash left behind.
    const now = Date.now();
    for (const n of names) {
      const f = ownFile(n);
      if (f && f.stamp <= watermark && n !== name) rmSync(join(dir, n), { force: true });
      else if (n.startsWith('.') && now - statMtime(join(dir, n)) > STALE_TEMP_MS) rmSync(join(dir, n), { force: true });
    }
  }
}

/** This writer's files in `dir` that a reader sees now. */
function ownFiles(dir: string, names: readonly string[] = readdirSync(dir)): OwnFile[] {
  return visibleUsageFiles(names)
    .map(ownFile)
    .filter((f): f is OwnFile => f !== undefined);
}

function columnList(): string {
  return USAGE_FIELDS.map((f) => `"${f.name}"`).join(', ');
}

function statMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}
