/** What the local usage writer and the DuckDB engine share: column types and SQL string quoting. */
import { USAGE_FIELDS, type UsageColumnType } from '../../core/usage-record';

/** DuckDB column type for each usage field type; the Glue table uses the same three. */
export const DUCKDB_TYPE: Readonly<Record<UsageColumnType, string>> = { string: 'VARCHAR', bigint: 'BIGINT', int: 'INTEGER' };

/** A SQL string literal (for file paths, which DuckDB's table functions and COPY take as text, not parameters). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `{requestId: 'VARCHAR', time: 'BIGINT', …}` for read_json's `columns`. */
export function duckdbColumns(): string {
  return '{' + USAGE_FIELDS.map((f) => `${sqlString(f.name)}: ${sqlString(DUCKDB_TYPE[f.type])}`).join(', ') + '}';
}
