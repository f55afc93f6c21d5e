/**
 * `keygate usage <id> --history <N>d`: the key's live counters (today) plus its requests per
 * UTC day for the last N days, from `GET /v1/keys/{id}/usage?from=&to=`.
 */
import { MAX_REPORT_DAYS } from '../core/usage-reports';
import type { HistoryRange, KeyUsageWithHistory, UsageDay } from '../packages/client/src/index';
import { formatUsage } from './format';
import { dayRange, formatReport, utcDay } from './report';
import { UsageError } from './errors';

const DAY_MS = 86_400_000;

/** `30d` (or `30`) → 30; from 1 to MAX_REPORT_DAYS (92), the longest range the API reports. */
export function parseHistory(raw: string): number {
  const m = /^\s*(\d{1,3})d?\s*$/i.exec(raw);
  const days = m ? Number(m[1]) : NaN;
  if (!m || days < 1 || days > MAX_REPORT_DAYS) {
    throw new UsageError(`--history must be a number of days from 1d to ${MAX_REPORT_DAYS}d, e.g. 30d (got ${JSON.stringify(raw)})`);
  }
  return days;
}

/** The last `days` UTC days, today included: from = today − (days − 1), to = today. */
export function historyRange(days: number, now: Date = new Date()): Required<Pick<HistoryRange, 'from' | 'to'>> {
  return { from: utcDay(now.getTime() - (days - 1) * DAY_MS), to: utcDay(now.getTime()) };
}

/** Every day from `from` to `to`; a day absent from the API's `days` (no requests) becomes a row of zeros. */
export function fillDays(from: string, to: string, days: readonly UsageDay[]): UsageDay[] {
  const byDay = new Map(days.map((d) => [d.day, d]));
  const filled = dayRange(from, to).map(
    (day): UsageDay => byDay.get(day) ?? { day, requests: 0, errors: 0, rateLimited: 0, p50LatencyMs: null, p95LatencyMs: null, p99LatencyMs: null },
  );
  // A day outside the asked range (should not happen) is shown rather than dropped.
  for (const d of days) if (!filled.some((f) => f.day === d.day)) filled.push(d);
  return filled.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

/** Live counters labelled as today, then the per-day table and chart. */
export function formatHistory(usage: KeyUsageWithHistory): string {
  const { history } = usage;
  const live = formatUsage(usage);
  const days = fillDays(history.from, history.to, history.days);
  return (
    `Today (live counters)\n${live.endsWith('\n') ? live : `${live}\n`}\n` +
    `Requests per day, ${history.from} to ${history.to} (UTC)\n` +
    formatReport({ from: history.from, to: history.to, groupBy: ['day'], rows: days })
  );
}
