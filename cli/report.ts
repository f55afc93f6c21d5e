/**
 * `keygate report`: flags → `GET /v1/usage` query, and the report as a table, a chart or CSV.
 * Pure functions, wired to commander in main.ts; `test/unit/cli-report.test.ts` covers them.
 *
 * Group names, their row columns and the longest range come from core/usage-reports.ts, the
 * definition the API itself validates against, so the CLI cannot offer a group the API lacks.
 */
import { GROUP_NAMES, GROUPS, MAX_REPORT_DAYS, type UsageGroup } from '../core/usage-reports';
import type { UsageReportBody, UsageReportQuery } from '../packages/client/src/index';
import { type Align, cell, renderBarChart, renderCsv, renderTable } from './format';
import { UsageError } from './errors';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
export { GROUP_NAMES };

/** Most points a chart draws (a week of hours); a longer series is left to the table. */
export const MAX_CHART_POINTS = 168;

/** UTC day `YYYY-MM-DD` of a timestamp. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** A real calendar day as `YYYY-MM-DD` (UTC); `2026-02-30` and `26-1-5` are refused. */
export function parseDay(flag: string, raw: string): string {
  const text = raw.trim();
  const m = DATE.exec(text);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(ms) || utcDay(ms) !== text) {
    throw new UsageError(`${flag} must be a calendar day as YYYY-MM-DD (UTC), e.g. 2026-01-31 (got ${JSON.stringify(raw)})`);
  }
  return text;
}

/** `day,route` → `['day','route']`; `''` → `[]` (one total row). Unknown or repeated groups are refused. */
export function parseGroupBy(raw: string): UsageGroup[] {
  if (raw.trim() === '') return [];
  const out: UsageGroup[] = [];
  for (const part of raw.split(',')) {
    const name = part.trim();
    if (!(GROUP_NAMES as string[]).includes(name)) {
      throw new UsageError(`--group-by: unknown group ${JSON.stringify(name)}; use a comma list of ${GROUP_NAMES.join(', ')}`);
    }
    if (out.includes(name as UsageGroup)) throw new UsageError(`--group-by lists ${name} twice`);
    out.push(name as UsageGroup);
  }
  return out;
}

function nonBlank(flag: string, raw: string): string {
  const text = raw.trim();
  if (text === '') throw new UsageError(`${flag} must not be empty`);
  return text;
}

/** Whole days from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): number {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
}

export interface ReportFlags {
  from?: string;
  to?: string;
  groupBy?: string;
  key?: string;
  owner?: string;
  route?: string;
  queryId?: string;
  csv?: boolean;
}

/**
 * Query for `GET /v1/usage`. Dates are checked here so a typo fails before the request; the
 * defaults (last 7 days, `groupBy=day`) are the server's, so an absent flag is not sent.
 */
export function buildReportQuery(flags: ReportFlags, now: Date = new Date()): UsageReportQuery {
  const query: UsageReportQuery = {};
  if (flags.from !== undefined) query.from = parseDay('--from', flags.from);
  if (flags.to !== undefined) query.to = parseDay('--to', flags.to);
  const last = query.to ?? utcDay(now.getTime());
  if (query.from !== undefined) {
    if (query.from > last) {
      throw new UsageError(query.to !== undefined ? `--to (${query.to}) is before --from (${query.from})` : `--from (${query.from}) is after today (${last}, UTC)`);
    }
    const days = daysBetween(query.from, last);
    if (days > MAX_REPORT_DAYS) {
      throw new UsageError(`--from ${query.from} to ${last} covers ${days} days; a report covers at most ${MAX_REPORT_DAYS}`);
    }
  }
  if (flags.groupBy !== undefined) query.groupBy = parseGroupBy(flags.groupBy).join(',');
  if (flags.key !== undefined) query.keyId = nonBlank('--key', flags.key);
  if (flags.owner !== undefined) query.ownerId = nonBlank('--owner', flags.owner);
  if (flags.route !== undefined) {
    const route = nonBlank('--route', flags.route);
    if (!route.startsWith('/')) throw new UsageError(`--route must be a route template starting with /, e.g. /v1/keys/{id} (got ${JSON.stringify(flags.route)})`);
    query.route = route;
  }
  if (flags.queryId !== undefined) query.queryId = nonBlank('--query-id', flags.queryId);
  return query;
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

interface Column {
  /** Field of the report row. */
  readonly field: string;
  readonly header: string;
  readonly align: Align;
  /** Summed in the totals line. */
  readonly sum?: boolean;
}

const GROUP_HEADERS: Readonly<Record<UsageGroup, string>> = {
  day: 'DAY',
  hour: 'HOUR',
  key: 'KEY',
  owner: 'OWNER',
  route: 'ROUTE',
  status: 'STATUS',
  decision: 'DECISION',
};

const MEASURE_COLUMNS: readonly Column[] = [
  { field: 'requests', header: 'REQUESTS', align: 'right', sum: true },
  { field: 'errors', header: 'ERRORS', align: 'right', sum: true },
  { field: 'rateLimited', header: 'RATE LIMITED', align: 'right', sum: true },
  { field: 'p50LatencyMs', header: 'P50 MS', align: 'right' },
  { field: 'p95LatencyMs', header: 'P95 MS', align: 'right' },
  { field: 'p99LatencyMs', header: 'P99 MS', align: 'right' },
];

const isGroup = (g: string): g is UsageGroup => Object.hasOwn(GROUPS, g);

/** Group columns in the order of `groupBy` (a group this CLI does not know shows under its own name), then the measures. */
export function reportColumns(groupBy: readonly string[]): Column[] {
  const groups = groupBy.map((g): Column =>
    isGroup(g)
      ? { field: GROUPS[g].column, header: GROUP_HEADERS[g], align: GROUPS[g].kind === 'number' ? 'right' : 'left' }
      : { field: g, header: g.toUpperCase(), align: 'left' },
  );
  return [...groups, ...MEASURE_COLUMNS];
}

type ReportShape = Pick<UsageReportBody, 'from' | 'to' | 'groupBy' | 'rows'>;

/** The rows as an aligned table: numbers right-aligned, null as `-`, and a TOTAL line when there is more than one row. */
export function formatReportTable(report: ReportShape): string {
  if (report.rows.length === 0) return `No requests from ${report.from} to ${report.to} (UTC).\n`;
  const columns = reportColumns(report.groupBy);
  const rows = report.rows.map((r) => columns.map((c) => cell(r[c.field])));
  if (report.rows.length > 1 && report.groupBy.length > 0) {
    rows.push(
      columns.map((c, i) => {
        if (i === 0) return 'TOTAL';
        if (!c.sum) return '';
        return String(report.rows.reduce((n, r) => n + (typeof r[c.field] === 'number' ? (r[c.field] as number) : 0), 0));
      }),
    );
  }
  return renderTable(
    columns.map((c) => c.header),
    rows,
    columns.map((c) => c.align),
  );
}

/** The report as RFC 4180 CSV: the row fields as the API names them, in the table's column order. */
export function formatReportCsv(report: Pick<UsageReportBody, 'groupBy' | 'rows'>): string {
  const columns = reportColumns(report.groupBy);
  return renderCsv(
    columns.map((c) => c.field),
    report.rows.map((r) => columns.map((c) => r[c.field] ?? null)),
  );
}

/** Every day from `from` to `to` (inclusive); at most MAX_REPORT_DAYS + 1 so a bad range cannot loop long. */
export function dayRange(from: string, to: string): string[] {
  const out: string[] = [];
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(start) || Number.isNaN(end)) return out;
  for (let ms = start; ms <= end && out.length <= MAX_REPORT_DAYS; ms += DAY_MS) out.push(utcDay(ms));
  return out;
}

/** Requests per time bucket, summed over the other groups, with absent buckets drawn as 0. */
export function timeSeries(report: ReportShape): { label: string; value: number }[] | undefined {
  const first = report.groupBy[0];
  if (first !== 'day' && first !== 'hour') return undefined;
  const column = GROUPS[first].column;
  const totals = new Map<string, number>();
  for (const r of report.rows) {
    const at = r[column];
    if (typeof at !== 'string') continue;
    totals.set(at, (totals.get(at) ?? 0) + (typeof r.requests === 'number' ? r.requests : 0));
  }
  let labels: string[];
  if (first === 'day') {
    labels = dayRange(report.from, report.to);
    for (const d of totals.keys()) if (!labels.includes(d)) labels.push(d);
    labels.sort();
  } else {
    // Hours: from the first to the last hour with requests (a whole range would be 24 points a day).
    const times = [...totals.keys()].map((h) => Date.parse(h)).filter((ms) => !Number.isNaN(ms));
    if (times.length === 0) return [];
    const start = Math.min(...times);
    const end = Math.max(...times);
    if ((end - start) / HOUR_MS + 1 > MAX_CHART_POINTS) return [...totals.keys()].sort().map((label) => ({ label, value: totals.get(label)! }));
    labels = [];
    for (let ms = start; ms <= end; ms += HOUR_MS) labels.push(new Date(ms).toISOString().replace('.000Z', 'Z'));
    for (const h of totals.keys()) if (!labels.includes(h)) labels.push(h);
    labels.sort();
  }
  return labels.map((label) => ({ label, value: totals.get(label) ?? 0 }));
}

/** A bar chart of requests per day or hour when the first group is a time; '' otherwise. */
export function formatReportChart(report: ReportShape): string {
  const series = timeSeries(report);
  if (series === undefined || series.every((p) => p.value === 0)) return '';
  const unit = report.groupBy[0] === 'hour' ? 'hour' : 'day';
  if (series.length > MAX_CHART_POINTS) return `(no chart: ${series.length} ${unit}s; at most ${MAX_CHART_POINTS} are drawn)\n`;
  return `Requests per ${unit} (UTC)\n${renderBarChart(series)}`;
}

/** Table mode: the table, then the chart for a time series. */
export function formatReport(report: ReportShape): string {
  const chart = report.rows.length > 0 ? formatReportChart(report) : '';
  return formatReportTable(report) + (chart ? `\n${chart}` : '');
}

/** The stderr line for a report cut at the server's row limit. */
export function truncationWarning(rows: number): string {
  return `warning: the report has more rows than the ${rows} shown; narrow --from/--to, group by fewer fields or add --key/--owner/--route`;
}
