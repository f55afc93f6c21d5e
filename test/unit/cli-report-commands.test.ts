/** `keygate report`, `usage --history` and `anomalies` run in-process with a fake fetch: exit codes, stdout, stderr. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main';
import { startProgress } from '../../cli/report-progress';

const API_KEY = 'kg_live_0123456789abcdefghij';
const QUERY_ID = '0f0e0d0c-0b0a-4908-8706-050403020100';
const NOW = Date.parse('2026-11-26T15:30:00Z');

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

async function run(args: string[], answers: Answer[] | ((n: number) => Answer), io: { stderrIsTTY?: boolean } = {}) {
  const urls: string[] = [];
  let stdout = '';
  let stderr = '';
  let clock = NOW;
  const fetch = (async (url: string | URL | Request) => {
    urls.push(String(url));
    const a = typeof answers === 'function' ? answers(urls.length - 1) : answers[urls.length - 1];
    if (!a) throw new Error(`unexpected call ${urls.length}`);
    return new Response(JSON.stringify(a.body), { status: a.status, headers: { 'content-type': 'application/json', ...a.headers } });
  }) as typeof globalThis.fetch;
  const code = await main(['node', 'keygate', ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { KEYGATE_ENDPOINT: 'https://api.example.test/prod', KEYGATE_API_KEY: API_KEY },
    cwd: '/tmp',
    fetch,
    now: () => clock,
    sleep: async (ms) => void (clock += ms),
    ...io,
  });
  return { code, stdout, stderr, urls };
}

const row = (day: string, route: string, requests: number) => ({ day, route, requests, errors: 1, rateLimited: 0, p50LatencyMs: 3, p95LatencyMs: 8, p99LatencyMs: 9 });
const body = (over: Record<string, unknown> = {}) => ({
  from: '2026-11-25',
  to: '2026-11-26',
  groupBy: ['day', 'route'],
  ownerId: null,
  keyId: null,
  route: null,
  rows: [row('2026-11-25', '/v1/echo', 4), row('2026-11-26', '/v1/echo', 2)],
  truncated: false,
  ...over,
});

describe('keygate report', () => {
  it('asks GET /v1/usage with the flags and prints a table, a total and a chart', async () => {
    // Act
    const r = await run(['report', '--from', '2026-11-25', '--to', '2026-11-26', '--group-by', 'day,route', '--owner', 'acme'], [{ status: 200, body: body() }]);
    // Assess
    expect(r.code).toBe(0);
    expect(r.urls).toEqual(['https://api.example.test/prod/v1/usage?from=2026-11-25&to=2026-11-26&groupBy=day%2Croute&ownerId=acme']);
    expect(r.stdout).toBe(
      [
        'DAY         ROUTE     REQUESTS  ERRORS  RATE LIMITED  P50 MS  P95 MS  P99 MS',
        '2026-11-25  /v1/echo         4       1             0       3       8       9',
        '2026-11-26  /v1/echo         2       1             0       3       8       9',
        'TOTAL                        6       2             0',
        '',
        'Requests per day (UTC)',
        `2026-11-25  4 ${'█'.repeat(40)}`,
        `2026-11-26  2 ${'█'.repeat(20)}`,
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
  });

  it('prints the raw body with --json and only CSV with --csv', async () => {
    const json = await run(['report', '--json'], [{ status: 200, body: body() }]);
    expect(JSON.parse(json.stdout)).toEqual(body());
    const csv = await run(['report', '--csv'], [{ status: 200, body: body() }]);
    expect(csv.stdout).toBe(
      'day,route,requests,errors,rateLimited,p50LatencyMs,p95LatencyMs,p99LatencyMs\r\n2026-11-25,/v1/echo,4,1,0,3,8,9\r\n2026-11-26,/v1/echo,2,1,0,3,8,9\r\n',
    );
  });

  it('rejects --json with --csv before any request', async () => {
    const r = await run(['report', '--json', '--csv'], []);
    expect(r).toMatchObject({ code: 2, stderr: 'keygate: use either --json or --csv, not both\n', urls: [] });
  });

  it('rejects a bad date and an unknown group before any request', async () => {
    expect(await run(['report', '--to', '2026-11-31'], [])).toMatchObject({ code: 2, urls: [], stderr: expect.stringMatching(/^keygate: --to must be a calendar day/) });
    expect(await run(['report', '--group-by', 'week'], [])).toMatchObject({ code: 2, urls: [], stderr: expect.stringContaining('unknown group "week"') });
  });

  it('warns on stderr when the report was truncated', async () => {
    const r = await run(['report', '--csv'], [{ status: 200, body: body({ truncated: true }) }]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^keygate: warning: the report has more rows than the 2 shown;/);
    expect(r.stdout.split('\r\n')).toHaveLength(4);
  });

  it('follows 202 answers to the report', async () => {
    const r = await run(
      ['report'],
      [
        { status: 202, body: { status: 'running', queryId: QUERY_ID, retryAfterSeconds: 2 }, headers: { 'retry-after': '2', location: `?queryId=${QUERY_ID}` } },
        { status: 200, body: body() },
      ],
    );
    expect(r.code).toBe(0);
    expect(r.urls[1]).toBe(`https://api.example.test/prod/v1/usage?queryId=${QUERY_ID}`);
    expect(r.stdout).toContain('TOTAL');
  });

  it('fails after 5 minutes of 202s with the query id to resume with', async () => {
    const r = await run(['report'], () => ({
      status: 202,
      body: { status: 'running', queryId: QUERY_ID, retryAfterSeconds: 2 },
      headers: { 'retry-after': '2', location: `?queryId=${QUERY_ID}` },
    }));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`keygate: the query is still running after 300s; run the same command again with --query-id ${QUERY_ID} to pick it up\n`);
    expect(r.urls).toHaveLength(151);
  });

  it("prints the problem's detail when the API refuses", async () => {
    const r = await run(['report', '--owner', 'other'], [
      { status: 403, body: { code: 'owner_not_allowed', detail: 'Only admin keys may read another owner’s usage.' }, headers: { 'content-type': 'application/problem+json' } },
    ]);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: 'keygate: 403 owner_not_allowed: Only admin keys may read another owner’s usage.\n' });
  });

  it('never prints the API key', async () => {
    const r = await run(['report', '--json'], [{ status: 200, body: body() }]);
    expect(r.stdout + r.stderr).not.toContain(API_KEY);
  });
});

describe('keygate usage --history', () => {
  const history = {
    keyId: 'key_1',
    rateLimit: null,
    quota: { daily: { limit: 100, used: 2, remaining: 98, resetAt: '2026-11-27T00:00:00.000Z' }, monthly: null },
    history: { from: '2026-11-24', to: '2026-11-26', days: [{ day: '2026-11-26', requests: 2, errors: 0, rateLimited: 0, p50LatencyMs: 3, p95LatencyMs: 4, p99LatencyMs: 4 }], truncated: false },
  };

  it('asks for the last N UTC days and prints today, the days (gaps as 0) and a chart', async () => {
    const r = await run(['usage', 'key_1', '--history', '3d'], [{ status: 200, body: history }]);
    expect(r.code).toBe(0);
    expect(r.urls).toEqual(['https://api.example.test/prod/v1/keys/key_1/usage?from=2026-11-24&to=2026-11-26']);
    expect(r.stdout).toMatch(/^Today \(live counters\)\nlimit .*\ndaily .*\n\nRequests per day, 2026-11-24 to 2026-11-26 \(UTC\)\nDAY /);
    expect(r.stdout).toMatch(/\n2026-11-24\s+0\s+0\s+0\s+-\s+-\s+-\n2026-11-25\s+0\s+0\s+0\s+-\s+-\s+-\n2026-11-26\s+2\s+0\s+0\s+3\s+4\s+4\n/);
    expect(r.stdout).toContain(`\n2026-11-26  2 ${'█'.repeat(40)}\n`);
  });

  it('prints the raw body with --json', async () => {
    const r = await run(['usage', 'key_1', '--history', '3d', '--json'], [{ status: 200, body: history }]);
    expect(JSON.parse(r.stdout)).toEqual(history);
  });

  it('rejects a history beyond 92 days and --query-id without --history', async () => {
    expect(await run(['usage', 'key_1', '--history', '120d'], [])).toMatchObject({ code: 2, urls: [] });
    expect(await run(['usage', 'key_1', '--query-id', QUERY_ID], [])).toMatchObject({ code: 2, urls: [], stderr: 'keygate: --query-id needs --history\n' });
  });

  it('says so when the API has no history to give', async () => {
    const { history: _omit, ...live } = history;
    const r = await run(['usage', 'key_1', '--history', '3d'], [{ status: 200, body: live }]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('usage analytics may be off');
  });
});

describe('keygate anomalies', () => {
  it('needs --now', async () => {
    expect(await run(['anomalies'], [])).toMatchObject({ code: 2, stderr: 'keygate: anomalies needs --now (run detection once, now)\n' });
  });
});

describe('progress line', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('draws the elapsed seconds on a terminal and erases itself when done', () => {
    // Prepare
    vi.useFakeTimers();
    const writes: string[] = [];
    const progress = startProgress({ write: (t) => writes.push(t), enabled: true });
    // Act
    vi.advanceTimersByTime(4000);
    progress.label('query abc running…');
    progress.stop();
    progress.stop();
    // Assess
    expect(writes).toEqual([
      '\r\x1b[Kquerying… 1s',
      '\r\x1b[Kquerying… 2s',
      '\r\x1b[Kquerying… 3s',
      '\r\x1b[Kquerying… 4s',
      '\r\x1b[Kquery abc running… 4s',
      '\r\x1b[K',
    ]);
  });

  it('draws nothing when stderr is not a terminal, or when the answer comes within a second', () => {
    vi.useFakeTimers();
    const writes: string[] = [];
    const off = startProgress({ write: (t) => writes.push(t), enabled: false });
    vi.advanceTimersByTime(5000);
    off.stop();
    const quick = startProgress({ write: (t) => writes.push(t), enabled: true });
    vi.advanceTimersByTime(500);
    quick.stop();
    expect(writes).toEqual([]);
  });
});
