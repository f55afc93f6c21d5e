/**
 * The local stand-in for API Gateway access logs → Firehose → Parquet in S3: usage records are
 * buffered in memory and written every `flushMs` (and on stop) as Parquet files under
 * `<home>/usage/dt=YYYY-MM-DD/<epoch>-<rand>.parquet`, the partition layout of the bucket, with the
 * column types of core/usage-record.ts. The DuckDB engine reads them back.
 *
 * Like the deployed pipeline it is at most once: a failed write is logged and its records are
 * lost, and records beyond `maxBuffered` are dropped (counted in `dropped`), so a stuck disk never
 * grows the gateway's memory. Locally the partition is the request's UTC day (Firehose uses the
 * arrival time; the two differ only for records in flight across midnight).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/ports';
import { USAGE_FIELDS, USAGE_PARTITION, usagePartition, type UsageRecord } from '../../core/usage-record';
import { duckdbColumns, sqlString } from './duckdb-sql';

export interface LocalUsageWriterOptions {
  /** Data directory; files go under `<home>/usage/`. */
  readonly home: string;
  /** @default 2000 */
  readonly flushMs?: number;
  /** @default 50,000 records */
  readonly maxBuffered?: number;
  readonly logger?: Logger;
}

export const usageDir = (home: string): string => join(home, 'usage');

export class LocalUsageWriter {
  private buffer: UsageRecord[] = [];
  private readonly timer: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private db: Promise<DuckDBInstance> | undefined;
  private stopped = false;
  /** Records refused because the buffer was full. */
  dropped = 0;

  constructor(private readonly options: LocalUsageWriterOptions) {
    this.timer = setInterval(() => {
      if (this.buffer.length > 0) this.flush().catch(() => undefined);
    }, options.flushMs ?? 2000);
    this.timer.unref();
  }

  /** Sync and cheap: the gateway calls it after it has its response. */
  write(record: UsageRecord): void {
    if (this.stopped) return;
    if (this.buffer.length >= (this.options.maxBuffered ?? 50_000)) {
      this.dropped++;
      return;
    }
    this.buffer.push(record);
  }

  /** Writes everything buffered so far; resolves when it is on disk (rejects if the write failed). */
  flush(): Promise<void> {
    const records = this.buffer;
    this.buffer = [];
    const run = this.chain.then(() => (records.length > 0 ? this.writeFiles(records) : undefined));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Flushes and releases DuckDB; later records are ignored. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.flush();
    } finally {
      this.stopped = true;
      const db = this.db;
      this.db = undefined;
      if (db) (await db.catch(() => undefined))?.closeSync();
    }
  }

  private async writeFiles(records: readonly UsageRecord[]): Promise<void> {
    const byDay = new Map<string, UsageRecord[]>();
    for (const r of records) {
      const day = usagePartition(Number(r.time));
      let list = byDay.get(day);
      if (!list) byDay.set(day, (list = []));
      list.push(r);
    }
    this.db ??= DuckDBInstance.create(':memory:');
    const connection = await (await this.db).connect();
    try {
      for (const [day, list] of byDay) {
        const dir = join(usageDir(this.options.home), `${USAGE_PARTITION.name}=${day}`);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const name = `${Date.now()}-${randomBytes(4).toString('hex')}`;
        const ndjson = join(dir, `.${name}.ndjson`);
        const partial = join(dir, `.${name}.parquet.tmp`);
        try {
          writeFileSync(ndjson, list.map((r) => JSON.stringify(r)).join('\n') + '\n', { mode: 0o600 });
          const columns = USAGE_FIELDS.map((f) => `"${f.name}"`).join(', ');
          await connection.run(
            `COPY (SELECT ${columns} FROM read_json(${sqlString(ndjson)}, format = 'newline_delimited', columns = ${duckdbColumns()})) ` +
              `TO ${sqlString(partial)} (FORMAT PARQUET)`,
          );
          // Readers glob *.parquet: a file appears only once it is complete.
          renameSync(partial, join(dir, `${name}.parquet`));
        } catch (err) {
          this.options.logger?.log('error', 'usage records could not be written', { error: err, records: list.length, partition: day });
          rmSync(partial, { force: true });
          throw err;
        } finally {
          rmSync(ndjson, { force: true });
        }
      }
    } finally {
      connection.closeSync();
    }
  }
}
