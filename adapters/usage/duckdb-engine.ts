/**
 * The local usage query engine: DuckDB over the Parquet files the local writer leaves under
 * `<home>/usage/dt=…/`, exposed as a view named like the Glue table so the report SQL of
 * core/usage-reports.ts runs here unchanged. `approx_percentile` (Trino's name) is a macro over
 * DuckDB's `approx_quantile`.
 *
 * Compaction safety: the writer merges a partition's small files while queries run
 * (adapters/usage/local-usage-writer.ts). So the view never globs: before each query it lists the
 * files by the writer's generation rule (`visibleUsageFiles`: a merged file hides the files it
 * replaced, even before they are deleted) and pins that exact list, so a record is never read from
 * both a merged file and one of its inputs. A merge deletes its inputs only after the merged file
 * is in place, so if a pinned file has vanished by the time DuckDB opens it, listing again finds
 * the file that holds its records: the query is then run again on the fresh list, at most
 * {@link MAX_ATTEMPTS} times in all (a second merge of the same partition needs another
 * `compactAtFiles` flushes, about 48 s at the defaults, so a retry practically never needs a retry).
 * Partition pruning still works on a pinned list: DuckDB reads only the files whose `dt` passes
 * the filter (bench/usage.ts shows it with EXPLAIN ANALYZE).
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { QueryNotFoundError } from '../../core/usage-report-service';
import type { RawRow, ReportParameter, UsageQueryEngine } from '../../core/usage-reports';
import { USAGE_FIELDS, USAGE_PARTITION } from '../../core/usage-record';
import { DUCKDB_TYPE, sqlString } from './duckdb-sql';
import { usagePartitionDirs, visibleUsageFiles } from './local-usage-writer';

const MAX_ATTEMPTS = 3;

/** Every file a query should read now, by the writer's generation rule. */
export function usageFiles(home: string): string[] {
  return usagePartitionDirs(home).flatMap((dir) => visibleUsageFiles(readdirSync(dir)).map((name) => join(dir, name)));
}

export interface DuckDbUsageEngineOptions {
  readonly home: string;
  /** The view's name, the same as the Glue table's. @default 'usage' */
  readonly table?: string;
  /** Runs after the file list is pinned, before DuckDB reads it: lets tests compact in between. */
  readonly afterListing?: (files: readonly string[]) => Promise<void>;
}

export class DuckDbUsageEngine implements UsageQueryEngine {
  private connection: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | undefined;
  private readonly table: string;

  constructor(private readonly options: DuckDbUsageEngineOptions) {
    this.table = options.table ?? 'usage';
    if (!/^[a-z_][a-z0-9_]*$/.test(this.table)) throw new Error(`usage table name ${JSON.stringify(this.table)} is not a plain identifier`);
  }

  /** DuckDB answers every query at once, so there is never a pending query to resume. */
  async run(sql: string, parameters: readonly ReportParameter[], resume?: string): Promise<{ rows: RawRow[] }> {
    if (resume !== undefined) throw new QueryNotFoundError(`the local engine never leaves a query running (${resume})`);
    const { connection } = await (this.connection ??= this.open());
    for (let attempt = 1; ; attempt++) {
      const files = usageFiles(this.options.home);
      try {
        await this.options.afterListing?.(files);
        await this.defineView(connection, files);
        const statement = await connection.prepare(sql);
        parameters.forEach((p, i) => {
          if (typeof p === 'string') statement.bindVarchar(i + 1, p);
          else if (Number.isInteger(p)) statement.bindBigInt(i + 1, BigInt(p));
          else statement.bindDouble(i + 1, p);
        });
        const reader = await statement.runAndReadAll();
        return { rows: reader.getRowObjectsJson() };
      } catch (err) {
        // Only a file a merge deleted under the query is worth another try; anything else is a fault.
        if (attempt >= MAX_ATTEMPTS || files.every((f) => existsSync(f))) throw err;
      }
    }
  }

  close(): void {
    const c = this.connection;
    this.connection = undefined;
    void c?.then(({ instance, connection }) => {
      connection.closeSync();
      instance.closeSync();
    });
  }

  private async open(): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run('CREATE MACRO approx_percentile(x, p) AS approx_quantile(x, p)');
    return { instance, connection };
  }

  /**
   * Redefined before each query on the pinned file list: read_parquet fails on an empty list, so
   * until the writer has written a file the view is an empty table with the same columns.
   */
  private async defineView(connection: DuckDBConnection, files: readonly string[]): Promise<void> {
    const body =
      files.length > 0
        ? `SELECT * FROM read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = true, hive_types = {'${USAGE_PARTITION.name}': VARCHAR}, union_by_name = true)`
        : `SELECT ${USAGE_FIELDS.map((f) => `CAST(NULL AS ${DUCKDB_TYPE[f.type]}) AS "${f.name}"`).join(', ')}, CAST(NULL AS VARCHAR) AS ${USAGE_PARTITION.name} WHERE false`;
    await connection.run(`CREATE OR REPLACE VIEW ${this.table} AS ${body}`);
  }
}
