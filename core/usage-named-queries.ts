/**
 * The usage reports every deployment ships as Athena named queries (lib/usage-analytics.ts),
 * defined once so local analytics (DuckDB) can run the same text.
 *
 * The SQL uses only what Athena (Trino) and DuckDB both accept the same way: `count(*)`,
 * `sum(CASE ...)`, `NULLIF(x, '-')` (API Gateway writes `-` for a missing value,
 * core/usage-record.ts), `TRY_CAST(x AS INTEGER)` for the string-typed numbers, and a string
 * comparison on the `dt` partition. No date functions: their names and results differ between
 * the engines, so the day range is written into the text instead, through the placeholders
 * `{{from}}`, `{{to}}` and `{{day}}` (UTC days, `YYYY-MM-DD`) that `fillUsageQuery` replaces.
 * An unfilled query is still valid SQL; it matches no partition and scans nothing.
 */
import { USAGE_PARTITION } from './usage-record';

export type UsageQueryPlaceholder = 'from' | 'to' | 'day';

export interface UsageNamedQuery {
  /** Stable id (kebab-case); also the CloudFormation construct id's source. */
  readonly id: string;
  /** Name shown in the Athena console (at most 128 characters). */
  readonly name: string;
  /** What the report answers and which placeholders to fill (at most 1024 characters). */
  readonly description: string;
  /** Placeholders the SQL contains. */
  readonly placeholders: readonly UsageQueryPlaceholder[];
  /** The SQL text for a table name (unqualified: the named query carries the database). */
  readonly sql: (table: string) => string;
}

const dt = USAGE_PARTITION.name;

/** Days are UTC, `YYYY-MM-DD`, as the `dt` partition (Firehose's arrival day). */
const RANGE_NOTE = 'Replace {{from}} and {{to}} with UTC days (YYYY-MM-DD, inclusive) before running.';
const DAY_NOTE = 'Replace {{day}} with a UTC day (YYYY-MM-DD) before running.';

export const USAGE_NAMED_QUERIES: readonly UsageNamedQuery[] = [
  {
    id: 'requests-by-day-and-route',
    name: 'Keygate: requests and errors per day and route',
    description: `Requests, 4xx, 5xx and average latency per day, method and route. For the last 7 days set {{from}} to 6 days ago and {{to}} to today. ${RANGE_NOTE}`,
    placeholders: ['from', 'to'],
    sql: (table) =>
      [
        `SELECT ${dt}, method, route,`,
        '  count(*) AS requests,',
        '  sum(CASE WHEN status >= 400 AND status < 500 THEN 1 ELSE 0 END) AS client_errors,',
        '  sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END) AS server_errors,',
        '  avg(responseLatencyMs) AS avg_latency_ms,',
        "  avg(TRY_CAST(NULLIF(authorizerLatencyMs, '-') AS INTEGER)) AS avg_authorizer_ms",
        `FROM ${table}`,
        `WHERE ${dt} >= '{{from}}' AND ${dt} <= '{{to}}'`,
        `GROUP BY ${dt}, method, route`,
        `ORDER BY ${dt}, requests DESC`,
      ].join('\n'),
  },
  {
    id: 'top-keys-by-requests',
    name: 'Keygate: top keys by requests on a day',
    description: `The 50 keys with the most requests on one day, with their owner and how many were refused with 429. For yesterday set {{day}} to yesterday. ${DAY_NOTE}`,
    placeholders: ['day'],
    sql: (table) =>
      [
        "SELECT NULLIF(keyId, '-') AS key_id, NULLIF(ownerId, '-') AS owner_id,",
        '  count(*) AS requests,',
        '  sum(CASE WHEN status = 429 THEN 1 ELSE 0 END) AS limited',
        `FROM ${table}`,
        `WHERE ${dt} = '{{day}}' AND NULLIF(keyId, '-') IS NOT NULL`,
        "GROUP BY NULLIF(keyId, '-'), NULLIF(ownerId, '-')",
        'ORDER BY requests DESC',
        'LIMIT 50',
      ].join('\n'),
  },
  {
    id: 'rate-limited-by-cause',
    name: 'Keygate: 429s by cause',
    description: `429 responses per day split by errorType: INVALID_API_KEY is Keygate's own limit (the authorizer's decision says RATE_LIMITED or QUOTA_EXCEEDED), THROTTLED is the stage throttle. ${RANGE_NOTE}`,
    placeholders: ['from', 'to'],
    sql: (table) =>
      [
        `SELECT ${dt},`,
        "  NULLIF(errorType, '-') AS error_type,",
        "  CASE errorType WHEN 'INVALID_API_KEY' THEN 'keygate-limit' WHEN 'THROTTLED' THEN 'stage-throttle' ELSE 'other' END AS cause,",
        "  NULLIF(decision, '-') AS decision,",
        '  count(*) AS responses',
        `FROM ${table}`,
        `WHERE ${dt} >= '{{from}}' AND ${dt} <= '{{to}}' AND status = 429`,
        `GROUP BY ${dt}, NULLIF(errorType, '-'), CASE errorType WHEN 'INVALID_API_KEY' THEN 'keygate-limit' WHEN 'THROTTLED' THEN 'stage-throttle' ELSE 'other' END, NULLIF(decision, '-')`,
        `ORDER BY ${dt}, responses DESC`,
      ].join('\n'),
  },
  {
    id: 'failed-authentication-by-source-ip',
    name: 'Keygate: failed authentication by source IP',
    description: `401 responses (missing or invalid key) per client address on one day, with the first and last time (epoch ms). For today set {{day}} to today. ${DAY_NOTE}`,
    placeholders: ['day'],
    sql: (table) =>
      [
        'SELECT sourceIp,',
        '  count(*) AS failures,',
        '  min(time) AS first_time_ms,',
        '  max(time) AS last_time_ms',
        `FROM ${table}`,
        `WHERE ${dt} = '{{day}}' AND status = 401`,
        'GROUP BY sourceIp',
        'ORDER BY failures DESC',
        'LIMIT 100',
      ].join('\n'),
  },
];

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The query text with its placeholders replaced. Every placeholder the query has must be given
 * as a `YYYY-MM-DD` day (the only values ever spliced into the text, so nothing else can be).
 */
export function fillUsageQuery(query: UsageNamedQuery, table: string, days: Partial<Record<UsageQueryPlaceholder, string>>): string {
  let sql = query.sql(table);
  for (const p of query.placeholders) {
    const value = days[p];
    if (value === undefined || !DAY.test(value)) throw new RangeError(`${query.id}: {{${p}}} must be a day YYYY-MM-DD (got ${JSON.stringify(value)})`);
    sql = sql.split(`{{${p}}}`).join(value);
  }
  return sql;
}
