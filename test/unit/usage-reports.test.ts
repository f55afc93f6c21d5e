import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../core/problem';
import { GROUPS, MAX_REPORT_DAYS, REPORT_ROW_LIMIT, reportQuery, reportRows, type UsageReportRequest } from '../../core/usage-reports';

const KEY = 'key_01ARZ3NDEKTSV4RRFFQ69G5FAV';
const base: UsageReportRequest = { from: '2030-01-01', to: '2030-01-31', groupBy: [] };

function problem(request: unknown): ProblemError {
  try {
    reportQuery(request as UsageReportRequest, 'usage');
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    return err as ProblemError;
  }
  throw new Error('expected a ProblemError');
}

describe('reportQuery', () => {
  it('prunes partitions, bounds and orders a report grouped by day and key', () => {
    // Act
    const q = reportQuery({ ...base, groupBy: ['day', 'key'] }, 'keygate_usage');
    // Assess
    expect(q.sql).toBe(
      [
        `SELECT dt AS "day", NULLIF(keyId, '-') AS "keyId", COUNT(*) AS "requests", COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0) AS "errors", ` +
          `COALESCE(SUM(CASE WHEN errorType = 'INVALID_API_KEY' THEN 1 ELSE 0 END), 0) AS "rateLimited", approx_percentile(responseLatencyMs, 0.5) AS "p50LatencyMs", ` +
          `approx_percentile(responseLatencyMs, 0.95) AS "p95LatencyMs", approx_percentile(responseLatencyMs, 0.99) AS "p99LatencyMs"`,
        'FROM keygate_usage',
        'WHERE dt BETWEEN ? AND ?',
        'GROUP BY 1, 2',
        'ORDER BY 1 ASC NULLS LAST, 2 ASC NULLS LAST',
        `LIMIT ${REPORT_ROW_LIMIT + 1}`,
      ].join('\n'),
    );
    expect(q.parameters).toEqual(['2030-01-01', '2030-01-31']);
    expect(q.columns.map((c) => c.name)).toEqual(['day', 'keyId', 'requests', 'errors', 'rateLimited', 'p50LatencyMs', 'p95LatencyMs', 'p99LatencyMs']);
  });

  it('adds each filter as a placeholder, in order', () => {
    const q = reportQuery({ ...base, groupBy: ['hour', 'status', 'decision'], keyId: KEY, ownerId: 'acme', route: '/v1/keys/{id}' }, 'usage');
    expect(q.sql).toContain('WHERE dt BETWEEN ? AND ? AND keyId = ? AND ownerId = ? AND route = ?');
    expect(q.sql).toContain(`${GROUPS.hour.expression} AS "hour", status AS "status", NULLIF(decision, '-') AS "decision"`);
    expect(q.sql).toContain('GROUP BY 1, 2, 3\nORDER BY 1 ASC NULLS LAST, 2 ASC NULLS LAST, 3 ASC NULLS LAST');
    expect(q.parameters).toEqual(['2030-01-01', '2030-01-31', KEY, 'acme', '/v1/keys/{id}']);
  });

  it('answers one total row without GROUP BY when nothing is grouped', () => {
    const q = reportQuery({ ...base, groupBy: [], ownerId: 'acme' }, 'usage');
    expect(q.sql).not.toContain('GROUP BY');
    expect(q.sql).not.toContain('ORDER BY');
    expect(q.columns[0]!.name).toBe('requests');
  });

  it('groups by every dimension in the order asked', () => {
    const q = reportQuery({ ...base, groupBy: ['route', 'owner', 'day'] }, 'usage');
    expect(q.columns.slice(0, 3).map((c) => c.name)).toEqual(['route', 'ownerId', 'day']);
  });

  it.each([
    ["'; DROP TABLE usage; --"],
    ["acme' OR '1'='1"],
    ['/v1/x"; DELETE FROM usage; --'],
    ['/v1/{id}\' UNION SELECT 1 --'],
    ["/v1/x';DROP/**/TABLE/**/usage;--"],
  ])('never puts a request value into the SQL text (%s)', (hostile) => {
    // Prepare: hostile values in every field that accepts text; the ones the format rules refuse are refused.
    for (const request of [
      { ...base, route: hostile },
      { ...base, ownerId: hostile },
      { ...base, keyId: hostile },
      { ...base, from: hostile },
      { ...base, groupBy: [hostile] },
    ]) {
      let sql: string | undefined;
      try {
        sql = reportQuery(request as UsageReportRequest, 'usage').sql;
      } catch (err) {
        expect(err).toBeInstanceOf(ProblemError);
        continue;
      }
      // Assess: accepted only as a parameter
      expect(sql).not.toContain(hostile);
      expect(reportQuery(request as UsageReportRequest, 'usage').parameters).toContain(hostile);
    }
  });

  it('accepts a hostile route without spaces only as a parameter', () => {
    const route = "/v1/x';DROP/**/TABLE/**/usage;--";
    const q = reportQuery({ ...base, route }, 'usage');
    expect(q.sql).not.toContain('DROP');
    expect(q.parameters).toEqual(['2030-01-01', '2030-01-31', route]);
  });

  it('keeps an accepted route with quotes out of the SQL text', () => {
    const route = "/v1/o'clock/{id}";
    const q = reportQuery({ ...base, route }, 'usage');
    expect(q.sql).not.toContain("o'clock");
    expect(q.parameters[2]).toBe(route);
  });

  it.each([
    [{ ...base, from: '2030-1-01' }, 'from'],
    [{ ...base, from: '2030-02-30', to: '2030-03-01' }, 'from'],
    [{ ...base, to: undefined }, 'to'],
    [{ ...base, from: '2030-02-01', to: '2030-01-31' }, 'to'],
    [{ ...base, groupBy: 'day' }, 'groupBy'],
    [{ ...base, groupBy: ['day', 'minute'] }, 'groupBy[1]'],
    [{ ...base, groupBy: ['__proto__'] }, 'groupBy[0]'],
    [{ ...base, groupBy: ['key', 'key'] }, 'groupBy[1]'],
    [{ ...base, keyId: 'key_short' }, 'keyId'],
    [{ ...base, ownerId: '' }, 'ownerId'],
    [{ ...base, route: 'v1/echo' }, 'route'],
    [{ ...base, route: '/v1/echo\n' }, 'route'],
    [{ ...base, route: '/' + 'x'.repeat(256) }, 'route'],
  ])('rejects %j naming %s', (request, field) => {
    const err = problem(request);
    expect(err.status).toBe(400);
    expect(err.code).toBe('validation_failed');
    expect(err.errors?.[0]?.field).toBe(field);
  });

  it(`rejects a range longer than ${MAX_REPORT_DAYS} days and accepts exactly ${MAX_REPORT_DAYS}`, () => {
    expect(() => reportQuery({ ...base, from: '2030-01-01', to: '2030-04-02' }, 'usage')).not.toThrow(); // 92 days
    const err = problem({ ...base, from: '2030-01-01', to: '2030-04-03' });
    expect(err.errors?.[0]).toMatchObject({ field: 'to', message: expect.stringContaining('93 days') });
  });

  it('refuses a table name that is not a plain identifier (config fault, not a 400)', () => {
    expect(() => reportQuery(base, 'usage; DROP TABLE x')).toThrow(/not a plain identifier/);
    expect(() => reportQuery(base, 'usage; DROP TABLE x')).not.toThrow(ProblemError);
  });
});

describe('reportRows', () => {
  it('types rows from text (Athena) or JSON (DuckDB), any column case, and formats hours', () => {
    const q = reportQuery({ ...base, groupBy: ['hour', 'key', 'status'] }, 'usage');
    const athena = { hour: '526010', keyid: null, status: '200', requests: '3', errors: '0', ratelimited: '0', p50latencyms: '4', p95latencyms: '9', p99latencyms: '9' };
    const duck = { hour: '526010', keyId: null, status: 200, requests: '3', errors: '0', rateLimited: '0', p50LatencyMs: 4, p95LatencyMs: 9, p99LatencyMs: 9 };
    const expected = { hour: '2030-01-03T02:00:00Z', keyId: null, status: 200, requests: 3, errors: 0, rateLimited: 0, p50LatencyMs: 4, p95LatencyMs: 9, p99LatencyMs: 9 };
    expect(reportRows(q, [athena])).toEqual({ rows: [expected], truncated: false });
    expect(reportRows(q, [duck])).toEqual({ rows: [expected], truncated: false });
  });

  it('reports truncation when the engine returned more than the limit', () => {
    const q = reportQuery({ ...base, groupBy: ['status'] }, 'usage');
    const raw = Array.from({ length: REPORT_ROW_LIMIT + 1 }, (_, i) => ({ status: i, requests: 1 }));
    const report = reportRows(q, raw);
    expect(report.truncated).toBe(true);
    expect(report.rows).toHaveLength(REPORT_ROW_LIMIT);
  });
});
