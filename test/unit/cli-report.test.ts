/** `keygate report` and `usage --history`: flag parsing and output, no network. */
import { describe, expect, it } from 'vitest';
import { bar, csvField, renderBarChart, renderCsv, renderTable } from '../../cli/format';
import { UsageError } from '../../cli/main';
import {
  buildReportQuery,
  formatReport,
  formatReportChart,
  formatReportCsv,
  formatReportTable,
  parseDay,
  parseGroupBy,
  timeSeries,
} from '../../cli/report';
import { formatAnomalies, formatAnomalyRun } from '../../cli/report-anomalies';
import { fillDays, formatHistory, historyRange, parseHistory } from '../../cli/report-history';
import type { UsageReportBody } from '../../packages/client/src/index';

const NOW = new Date('2026-11-26T15:30:00Z');

const report = (over: Partial<UsageReportBody>): UsageReportBody => ({
  from: '2026-11-24',
  to: '2026-11-26',
  groupBy: ['day'],
  ownerId: null,
  keyId: null,
  route: null,
  rows: [],
  truncated: false,
  ...over,
});

const measures = (requests: number, over: Record<string, number | null> = {}) => ({
  requests,
  errors: 0,
  rateLimited: 0,
  p50LatencyMs: 4,
  p95LatencyMs: 9,
  p99LatencyMs: 11,
  ...over,
});

describe('parseDay', () => {
  it('accepts a calendar day', () => {
    expect(parseDay('--from', '2024-02-29')).toBe('2024-02-29');
  });

  it.each(['2026-02-30', '2025-02-29', '2026-13-01', '26-01-05', '2026-1-5', '2026-01-05T00:00:00Z', 'yesterday', ''])(
    'rejects a value that is not a calendar day: %j',
    (raw) => {
      expect(() => parseDay('--from', raw)).toThrow(UsageError);
      expect(() => parseDay('--from', raw)).toThrow(/^--from must be a calendar day as YYYY-MM-DD/);
    },
  );
});

describe('parseGroupBy', () => {
  it('reads a comma list in order, and an empty value as one total row', () => {
    expect(parseGroupBy('day, route')).toEqual(['day', 'route']);
    expect(parseGroupBy('')).toEqual([]);
  });

  it('rejects an unknown group, naming it and the groups there are', () => {
    expect(() => parseGroupBy('day,path')).toThrow('--group-by: unknown group "path"; use a comma list of day, hour, key, owner, route, status, decision');
  });

  it('rejects a group listed twice', () => {
    expect(() => parseGroupBy('day,day')).toThrow('--group-by lists day twice');
  });

  it('rejects an empty entry in a list', () => {
    expect(() => parseGroupBy('day,')).toThrow(UsageError);
  });
});

describe('buildReportQuery', () => {
  it('sends only the flags given, so the server defaults apply', () => {
    expect(buildReportQuery({}, NOW)).toEqual({});
  });

  it('maps every flag to its parameter', () => {
    expect(
      buildReportQuery({ from: '2026-11-01', to: '2026-11-26', groupBy: 'day,route', key: 'key_1', owner: 'acme', route: '/v1/keys/{id}', queryId: 'q-1' }, NOW),
    ).toEqual({ from: '2026-11-01', to: '2026-11-26', groupBy: 'day,route', keyId: 'key_1', ownerId: 'acme', route: '/v1/keys/{id}', queryId: 'q-1' });
  });

  it("sends --group-by '' as an empty groupBy (one total row)", () => {
    expect(buildReportQuery({ groupBy: '' }, NOW)).toEqual({ groupBy: '' });
  });

  it('rejects --to before --from', () => {
    expect(() => buildReportQuery({ from: '2026-11-10', to: '2026-11-09' }, NOW)).toThrow('--to (2026-11-09) is before --from (2026-11-10)');
  });

  it('rejects a --from after today when --to is left out', () => {
    expect(() => buildReportQuery({ from: '2026-11-27' }, NOW)).toThrow('--from (2026-11-27) is after today (2026-11-26, UTC)');
  });

  it('rejects a range longer than 92 days and accepts exactly 92', () => {
    expect(() => buildReportQuery({ from: '2026-01-01', to: '2026-04-03' }, NOW)).toThrow('covers 93 days; a report covers at most 92');
    expect(buildReportQuery({ from: '2026-01-01', to: '2026-04-02' }, NOW)).toMatchObject({ from: '2026-01-01' });
    expect(() => buildReportQuery({ from: '2026-08-01' }, NOW)).toThrow(/covers 118 days/);
  });

  it('rejects a route that is not a template path and empty filters', () => {
    expect(() => buildReportQuery({ route: 'v1/echo' }, NOW)).toThrow(/--route must be a route template starting with \//);
    expect(() => buildReportQuery({ key: ' ' }, NOW)).toThrow('--key must not be empty');
    expect(() => buildReportQuery({ owner: '' }, NOW)).toThrow('--owner must not be empty');
  });
});

describe('parseHistory and historyRange', () => {
  it('reads N days with or without the d suffix', () => {
    expect(parseHistory('30d')).toBe(30);
    expect(parseHistory('1d')).toBe(1);
    expect(parseHistory('92')).toBe(92);
  });

  it.each(['0d', '93d', '-1d', '30w', '1.5d', 'd', '', 'thirty'])('rejects a history that is not 1d-92d: %j', (raw) => {
    expect(() => parseHistory(raw)).toThrow(/^--history must be a number of days from 1d to 92d/);
  });

  it('ends today (UTC) and starts N-1 days before', () => {
    expect(historyRange(30, NOW)).toEqual({ from: '2026-10-28', to: '2026-11-26' });
    expect(historyRange(1, NOW)).toEqual({ from: '2026-11-26', to: '2026-11-26' });
    // 23:59 UTC on the 1st is still the 1st, whatever this machine's zone.
    expect(historyRange(2, new Date('2026-03-01T23:59:59Z'))).toEqual({ from: '2026-02-28', to: '2026-03-01' });
  });
});

describe('renderTable alignment', () => {
  it('right-aligns the columns marked right, header included', () => {
    expect(renderTable(['NAME', 'N'], [['a', '5'], ['bb', '120']], ['left', 'right'])).toBe('NAME    N\na       5\nbb    120\n');
  });
});

describe('formatReportTable', () => {
  it('prints group columns, then measures right-aligned, nulls as -, and a TOTAL line', () => {
    // Prepare
    const body = report({
      groupBy: ['day', 'route'],
      rows: [
        { day: '2026-11-25', route: '/v1/echo', ...measures(12, { errors: 2, rateLimited: 1 }) },
        { day: '2026-11-26', route: null, ...measures(3, { p50LatencyMs: null, p95LatencyMs: null, p99LatencyMs: null }) },
      ],
    });
    // Act
    const text = formatReportTable(body);
    // Assess
    expect(text).toBe(
      [
        'DAY         ROUTE     REQUESTS  ERRORS  RATE LIMITED  P50 MS  P95 MS  P99 MS',
        '2026-11-25  /v1/echo        12       2             1       4       9      11',
        '2026-11-26  -                3       0             0       -       -       -',
        'TOTAL                       15       2             1',
        '',
      ].join('\n'),
    );
  });

  it('right-aligns status and leaves out the TOTAL line for one row', () => {
    const text = formatReportTable(report({ groupBy: ['status'], rows: [{ status: 200, ...measures(7) }] }));
    expect(text.split('\n')).toEqual(['STATUS  REQUESTS  ERRORS  RATE LIMITED  P50 MS  P95 MS  P99 MS', '   200         7       0             0       4       9      11', '']);
  });

  it('prints only the measures for groupBy [] (one total row)', () => {
    expect(formatReportTable(report({ groupBy: [], rows: [measures(5)] })).split('\n')[0]).toBe('REQUESTS  ERRORS  RATE LIMITED  P50 MS  P95 MS  P99 MS');
  });

  it('says so when there are no rows', () => {
    expect(formatReport(report({ rows: [] }))).toBe('No requests from 2026-11-24 to 2026-11-26 (UTC).\n');
  });

  it('replaces control characters in values so a row cannot drive the terminal', () => {
    const text = formatReportTable(report({ groupBy: ['route'], rows: [{ route: '/x\u001b]0;pwned\u0007', ...measures(1) }] }));
    // eslint-disable-next-line no-control-regex
    expect(text.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f]/);
    expect(text).toContain('/x\ufffd]0;pwned\ufffd');
  });
});

describe('formatReportChart', () => {
  it('draws one bar per day of the range, summing other groups and filling absent days with 0', () => {
    // Prepare
    const body = report({
      groupBy: ['day', 'route'],
      rows: [
        { day: '2026-11-24', route: '/a', ...measures(10) },
        { day: '2026-11-24', route: '/b', ...measures(30) },
        { day: '2026-11-26', route: '/a', ...measures(20) },
      ],
    });
    // Act
    const chart = formatReportChart(body);
    // Assess
    expect(chart).toBe(['Requests per day (UTC)', `2026-11-24  40 ${'█'.repeat(40)}`, '2026-11-25   0', `2026-11-26  20 ${'█'.repeat(20)}`, ''].join('\n'));
  });

  it('draws hours from the first to the last hour with requests', () => {
    const series = timeSeries(
      report({
        groupBy: ['hour'],
        rows: [
          { hour: '2026-11-26T08:00:00Z', ...measures(4) },
          { hour: '2026-11-26T10:00:00Z', ...measures(8) },
        ],
      }),
    );
    expect(series).toEqual([
      { label: '2026-11-26T08:00:00Z', value: 4 },
      { label: '2026-11-26T09:00:00Z', value: 0 },
      { label: '2026-11-26T10:00:00Z', value: 8 },
    ]);
  });

  it('draws nothing when the first group is not a time', () => {
    expect(formatReportChart(report({ groupBy: ['route', 'day'], rows: [{ route: '/a', day: '2026-11-26', ...measures(1) }] }))).toBe('');
  });

  it('prints the table and then the chart in table mode', () => {
    const text = formatReport(report({ rows: [{ day: '2026-11-26', ...measures(2) }] }));
    expect(text).toBe(
      [
        'DAY         REQUESTS  ERRORS  RATE LIMITED  P50 MS  P95 MS  P99 MS',
        '2026-11-26         2       0             0       4       9      11',
        '',
        'Requests per day (UTC)',
        '2026-11-24  0',
        '2026-11-25  0',
        `2026-11-26  2 ${'█'.repeat(40)}`,
        '',
      ].join('\n'),
    );
  });
});

describe('bar and renderBarChart', () => {
  it('scales to the largest value in eighths of a cell, never wider than the width', () => {
    expect(bar(8, 8, 4)).toBe('████');
    expect(bar(1, 8, 4)).toBe('▌');
    expect(bar(1, 64, 1)).toBe('▏'); // a non-zero value always shows
    expect(bar(0, 8, 4)).toBe('');
    expect(bar(100, 8, 4)).toBe('████');
  });

  it('aligns labels and values', () => {
    expect(renderBarChart([{ label: 'a', value: 2 }, { label: 'bbb', value: 10 }], 5)).toBe('a     2 █\nbbb  10 █████\n');
  });
});

describe('CSV', () => {
  it('quotes fields with a comma, a quote or a line break, and writes null as an empty field', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(12)).toBe('12');
    expect(csvField('/v1/echo')).toBe('/v1/echo');
  });

  it.each(['=HYPERLINK("http://x")', '+1', '-1', '@SUM(A1)', '\tcmd'])('neutralises a cell a spreadsheet would run as a formula: %j', (raw) => {
    expect(csvField(raw).replace(/^"/, '')).toMatch(/^'/);
  });

  it('writes a header line and CRLF line ends', () => {
    expect(renderCsv(['a', 'b'], [[1, null], ['x,y', 2]])).toBe('a,b\r\n1,\r\n"x,y",2\r\n');
  });

  it('prints report rows with the API field names as the header', () => {
    const csv = formatReportCsv(
      report({ groupBy: ['day', 'key'], rows: [{ day: '2026-11-26', keyId: null, ...measures(3, { p99LatencyMs: null }) }, { day: '2026-11-26', keyId: '=cmd', ...measures(1) }] }),
    );
    expect(csv).toBe(
      'day,keyId,requests,errors,rateLimited,p50LatencyMs,p95LatencyMs,p99LatencyMs\r\n' +
        '2026-11-26,,3,0,0,4,9,\r\n' +
        "2026-11-26,'=cmd,1,0,0,4,9,11\r\n",
    );
  });
});

describe('usage --history output', () => {
  const live = {
    keyId: 'key_X',
    rateLimit: null,
    quota: { daily: { limit: 100, used: 3, remaining: 97, resetAt: '2026-11-27T00:00:00.000Z' }, monthly: null },
  };

  it('fills days absent from history.days with zero requests', () => {
    expect(fillDays('2026-11-24', '2026-11-26', [{ day: '2026-11-25', ...measures(5) }])).toEqual([
      { day: '2026-11-24', requests: 0, errors: 0, rateLimited: 0, p50LatencyMs: null, p95LatencyMs: null, p99LatencyMs: null },
      { day: '2026-11-25', ...measures(5) },
      { day: '2026-11-26', requests: 0, errors: 0, rateLimited: 0, p50LatencyMs: null, p95LatencyMs: null, p99LatencyMs: null },
    ]);
  });

  it('prints the live counters as today, then a row and a bar per day', () => {
    // Act
    const text = formatHistory({
      ...live,
      history: { from: '2026-11-24', to: '2026-11-26', days: [{ day: '2026-11-25', ...measures(5, { errors: 1 }) }], truncated: false },
    });
    // Assess
    const lines = text.split('\n');
    expect(lines[0]).toBe('Today (live counters)');
    expect(lines[2]).toMatch(/^daily\s+UTC day\s+3\s+97\s+100\s+2026-11-27T00:00:00.000Z$/);
    expect(text).toContain('Requests per day, 2026-11-24 to 2026-11-26 (UTC)\n');
    expect(text).toMatch(/\n2026-11-24\s+0\s+0\s+0\s+-\s+-\s+-\n2026-11-25\s+5\s+1\s+0\s+4\s+9\s+11\n2026-11-26\s+0\s+0\s+0\s+-\s+-\s+-\nTOTAL\s+5\s+1\s+0\n/);
    expect(text).toContain(`2026-11-25  5 ${'█'.repeat(40)}\n`);
  });
});

describe('anomalies output', () => {
  const event = {
    type: 'keygate.usage.anomaly',
    rule: 'errorRate',
    keyId: 'key_A',
    ownerId: 'acme',
    hour: '2026-11-26T09:00:00Z',
    observed: { requests: 40, errorRate: 0.25 },
    threshold: { errorRate: 0.05 },
    time: '2026-11-26T10:00:01.000Z',
  };

  it('prints known fields as columns and the numbers that triggered it as details', () => {
    const text = formatAnomalies([event, { ...event, rule: 'authFailures', keyId: undefined, ownerId: undefined, sourceIp: '203.0.113.9' }]);
    expect(text.split('\n')).toEqual([
      'HOUR                  RULE          KEY    OWNER  SOURCE IP    DETAILS',
      '2026-11-26T09:00:00Z  errorRate     key_A  acme   -            observed=requests=40,errorRate=0.25 threshold=errorRate=0.05',
      '2026-11-26T09:00:00Z  authFailures  -      -      203.0.113.9  observed=requests=40,errorRate=0.25 threshold=errorRate=0.05',
      '',
    ]);
  });

  it('says which hour ran and that nothing was found', () => {
    expect(formatAnomalyRun({ hour: '2026-11-26T09:00:00Z', events: [], alreadyPublished: 2, failed: [] })).toBe(
      'Hour 2026-11-26T09:00:00Z: 0 anomalies published, 2 already published by an earlier run.\n',
    );
  });
});
