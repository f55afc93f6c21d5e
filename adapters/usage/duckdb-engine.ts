/**
 * The local usage query engine: DuckDB over the Parquet files the local writer leaves under
 * `<home>/usage/dt=…/`, exposed as a view named like the Glue table so the report SQL of
 * core/usage-reports.ts runs here unchanged. `approx_percentile` (Trino's name) is a macro over
 * DuckDB's `approx_quantile`.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RawRow, ReportParameter, UsageQueryEngine } from '../../core/usage-reports';
import { USAGE_FIELDS, USAGE_PARTITION } from '../../core/usage-record';
import { DUCKDB_TYPE, sqlString } from './duckdb-sql';
import { usageDir } from './local-usage-writer';

export interface DuckDbUsageEngineOptions {
  readonly home: string;
  /** The view's name, the same as the Glue table's. @default 'usage' */
  readonly table?: string;
}

export class DuckDbUsageEngine implements UsageQueryEngine {
  private connection: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | undefined;
  private readonly table: string;

  constructor(private readonly options: DuckDbUsageEngineOptions) {
    this.table = options.table ?? 'usage';
    if (!/^[a-z_][a-z0-9_]*$/.test(this.table)) throw new Error(`usage table name ${JSON.stringify(this.table)} is not a plain identifier`);
  }

  async run(sql: string, parameters: readonly ReportParameter[]): Promise<{ rows: RawRow[] }> {
    const { connection } = await (this.connection ??= this.open());
    await this.defineView(connection);
    const statement = await connection.prepare(sql);
    parameters.forEach((p, i) => {
      if (typeof p === 'string') statement.bindVarchar(i + 1, p);
      else if (Number.isInteger(p)) statement.bindBigInt(i + 1, BigInt(p));
      else statement.bindDouble(i + 1, p);
    });
    const reader = await statement.runAndReadAll();
    return { rows: reader.getRowObjectsJson() };
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
   * Redefined before each query: read_parquet fails on a glob with no files, so until the writer
   * has written one the view is an empty table with the same columns.
   */
  private async defineView(connection: DuckDBConnection): Promise<void> {
    const dir = usageDir(this.options.home);
    const hasFiles =
      existsSync(dir) &&
      readdirSync(dir, { withFileTypes: true }).some(
        (d) => d.isDirectory() && d.name.startsWith(`${USAGE_PARTITION.name}=`) && readdirSync(join(dir, d.name)).some((f) => f.endsWith('.parquet')),
      );
    const body = hasFiles
      ? `SELECT * FROM read_parquet(${sqlString(join(dir, '*', '*.parquet'))}, hive_partitioning = true, hive_types = {'${USAGE_PARTITION.name}': VARCHAR}, union_by_name = true)`
      : `SELECT ${USAGE_FIELDS.map((f) => `CAST(NULL AS ${DUCKDB_TYPE[f.type]}) AS "${f.name}"`).join(', ')}, CAST(NULL AS VARCHAR) AS ${USAGE_PARTITION.name} WHERE false`;
    await connection.run(`CREATE OR REPLACE VIEW ${this.table} AS ${body}`);
  }
}
