/**
 * Usage reports: one SQL text per report that runs unchanged on Athena (Trino) deployed and on
 * DuckDB locally, so a report means the same thing in both places. The core builds the query and
 * interprets the rows; an engine (adapters/usage/) only executes it.
 *
 * Rules the SQL keeps, whatever the request:
 * - every value from the request is a `?` parameter, never part of the text; the only identifiers
 *   in the text come from {@link GROUPS} (a fixed map) and the table name (deployment config);
 * - the partition column bounds the scan (`dt BETWEEN ? AND ?`), so Athena reads only those days;
 * - the result is bounded ({@link REPORT_ROW_LIMIT}, one row more is asked for to detect
 *   truncation) and ordered by every group column, so the same data gives the same rows;
 * - only functions both engines have (`approx_percentile` is a macro on DuckDB,
 *   adapters/usage/duckdb-engine.ts), `NULLIF(x, '-')` turns API Gateway's "missing" into NULL.
 *
 * `day` is the partition day (`dt`, Firehose's arrival day); `hour` is the request time's UTC hour,
 * so a request delivered just after midnight can sit in the previous day's last hour.
 */
import { validationFailed } from './problem';
import { MAX_REPORT_DAYS, type UsageGroup, UsageReportRequest as UsageReportRequestSchema } from './schemas';
import { MISSING, USAGE_PARTITION } from './usage-record';
import { validateWith } from './validation';

export { MAX_REPORT_DAYS, type UsageGroup };

export interface UsageReportRequest {
  /** First partition day, `YYYY-MM-DD` (UTC), inclusive. */
  readonly from: string;
  /** Last partition day, inclusive. */
  readonly to: string;
  readonly groupBy: readonly UsageGroup[];
  readonly keyId?: string;
  readonly ownerId?: string;
  /** Route template as in the record (`/v1/keys/{id}`). */
  readonly route?: string;
}

type ColumnKind = 'string' | 'number' | 'hour';

interface GroupDefinition {
  /** Column name in the result rows. */
  readonly column: string;
  /** SQL over the usage table; fixed text, never built from the request. */
  readonly expression: string;
  readonly kind: ColumnKind;
}

/** The only group-by expressions a report can use. */
export const GROUPS: Readonly<Record<UsageGroup, GroupDefinition>> = Object.freeze({
  day: { column: 'day', expression: USAGE_PARTITION.name, kind: 'string' },
  // Integer hours since the epoch: the same number on both engines (Trino's bigint division and
  // DuckDB's float division agree after floor); formatted as ISO text by reportRows().
  hour: { column: 'hour', expression: 'CAST(floor("time" / 3600000) AS BIGINT)', kind: 'hour' },
  key: { column: 'keyId', expression: `NULLIF(keyId, '${MISSING}')`, kind: 'string' },
  owner: { column: 'ownerId', expression: `NULLIF(ownerId, '${MISSING}')`, kind: 'string' },
  route: { column: 'route', expression: `NULLIF(route, '${MISSING}')`, kind: 'string' },
  status: { column: 'status', expression: 'status', kind: 'number' },
  decision: { column: 'decision', expression: `NULLIF(decision, '${MISSING}')`, kind: 'string' },
} satisfies Record<UsageGroup, GroupDefinition>);

/** The group names, in their definition order (validation messages, CLI help). */
export const GROUP_NAMES: readonly UsageGroup[] = Object.keys(GROUPS) as UsageGroup[];

/** The measures every report row has, after its group columns. */
const MEASURES: readonly { column: string; expression: string }[] = [
  { column: 'requests', expression: 'COUNT(*)' },
  { column: 'errors', expression: 'COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0)' },
  // INVALID_API_KEY is how a Keygate limit (RATE_LIMITED or QUOTA_EXCEEDED) reaches the client as 429.
  { column: 'rateLimited', expression: "COALESCE(SUM(CASE WHEN errorType = 'INVALID_API_KEY' THEN 1 ELSE 0 END), 0)" },
  { column: 'p50LatencyMs', expression: 'approx_percentile(responseLatencyMs, 0.5)' },
  { column: 'p95LatencyMs', expression: 'approx_percentile(responseLatencyMs, 0.95)' },
  { column: 'p99LatencyMs', expression: 'approx_percentile(responseLatencyMs, 0.99)' },
];

/** At most this many rows per report; `truncated` says when there were more. */
export const REPORT_ROW_LIMIT = 10_000;
/** Table names are deployment config, but they are spliced into SQL, so they are checked too. */
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,127}(\.[a-z_][a-z0-9_]{0,127})?$/;

export type ReportParameter = string | number;

export interface UsageReportQuery {
  readonly sql: string;
  /** Values for the `?` placeholders, in order. */
  readonly parameters: readonly ReportParameter[];
  /** Result columns in order, for engines that return text (Athena) and for reportRows(). */
  readonly columns: readonly { readonly name: string; readonly kind: ColumnKind }[];
}

/** A result row as an engine returns it: column name (any case) → value (Athena: text). */
export type RawRow = Readonly<Record<string, unknown>>;

export type UsageReportRow = Readonly<Record<string, string | number | null>>;

export interface UsageReport {
  readonly rows: readonly UsageReportRow[];
  /** More rows matched than {@link REPORT_ROW_LIMIT}; the rest were left out. */
  readonly truncated: boolean;
}

/** A query still running (Athena): ask again with the id. */
export interface PendingQuery {
  readonly pending: string;
}

/** Port: runs a report's SQL with its parameters on one engine (Athena deployed, DuckDB locally). */
export interface UsageQueryEngine {
  /**
   * Runs the query, or with `resume` picks up the execution an earlier run() left pending — only
   * if that execution ran exactly this SQL with exactly these parameters; otherwise it throws
   * QueryNotFoundError (core/usage-report-service.ts).
   */
  run(sql: string, parameters: readonly ReportParameter[], resume?: string): Promise<{ readonly rows: readonly RawRow[] } | PendingQuery>;
}

/** The order field errors are listed in. */
const REQUEST_FIELDS = ['from', 'to', 'groupBy', 'keyId', 'ownerId', 'route'];

/** The request rules are the schema's (core/schemas.ts UsageReportRequest); each member is read once, so one missing is a field error. */
function validate(request: UsageReportRequest): void {
  if (request === null || typeof request !== 'object') throw validationFailed([{ field: 'request', message: 'must be an object.' }]);
  const { from, to, groupBy, keyId, ownerId, route } = request;
  validateWith(UsageReportRequestSchema, { from, to, groupBy, keyId, ownerId, route }, REQUEST_FIELDS);
}

/**
 * The SQL and parameters for a report over `table` (the Glue table deployed, the DuckDB view
 * locally). Throws a 400 `ProblemError` naming the field for a request it refuses.
 */
export function reportQuery(request: UsageReportRequest, table: string): UsageReportQuery {
  if (!TABLE_NAME.test(table)) throw new Error(`usage table name ${JSON.stringify(table)} is not a plain identifier`);
  validate(request);
  const groups = request.groupBy.map((g) => GROUPS[g]);
  const select = [
    ...groups.map((g) => `${g.expression} AS "${g.column}"`),
    ...MEASURES.map((m) => `${m.expression} AS "${m.column}"`),
  ];
  const where = [`${USAGE_PARTITION.name} BETWEEN ? AND ?`];
  const parameters: ReportParameter[] = [request.from, request.to];
  for (const [column, value] of [['keyId', request.keyId], ['ownerId', request.ownerId], ['route', request.route]] as const) {
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    parameters.push(value);
  }
  // Ordinals, not names: an alias equal to a column name ("route") resolves differently in
  // Trino and DuckDB, an ordinal means the same in both.
  const ordinals = groups.map((_, i) => i + 1);
  const lines = [
    `SELECT ${select.join(', ')}`,
    `FROM ${table}`,
    `WHERE ${where.join(' AND ')}`,
    ...(groups.length > 0 ? [`GROUP BY ${ordinals.join(', ')}`, `ORDER BY ${ordinals.map((o) => `${o} ASC NULLS LAST`).join(', ')}`] : []),
    `LIMIT ${REPORT_ROW_LIMIT + 1}`,
  ];
  return {
    sql: lines.join('\n'),
    parameters,
    columns: [...groups.map((g) => ({ name: g.column, kind: g.kind })), ...MEASURES.map((m) => ({ name: m.column, kind: 'number' as const }))],
  };
}

function toNumber(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'bigint' ? Number(v) : Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * Rows as an engine returned them (any column-name case, numbers as text or bigint) → report rows
 * with the columns of `query`, typed, `hour` as `YYYY-MM-DDTHH:00:00Z`.
 */
export function reportRows(query: Pick<UsageReportQuery, 'columns'>, raw: readonly RawRow[]): UsageReport {
  const truncated = raw.length > REPORT_ROW_LIMIT;
  const rows = raw.slice(0, REPORT_ROW_LIMIT).map((r) => {
    const byLower = new Map(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v]));
    const out: Record<string, string | number | null> = Object.create(null) as Record<string, string | number | null>;
    for (const c of query.columns) {
      const v = byLower.get(c.name.toLowerCase());
      if (c.kind === 'string') out[c.name] = v === null || v === undefined ? null : String(v);
      else if (c.kind === 'number') out[c.name] = toNumber(v);
      else {
        const h = toNumber(v);
        out[c.name] = h === null ? null : new Date(h * 3_600_000).toISOString().slice(0, 13) + ':00:00Z';
      }
    }
    return { ...out };
  });
  return { rows, truncated };
}
