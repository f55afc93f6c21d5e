/** The client's 202 handling for usage queries (as the CLI uses it), with a fake fetch and a fake clock: no network, no waiting. */
import { describe, expect, it } from 'vitest';
import {
  KeygateClient,
  KeygateProblemError as ApiError,
  KeygateQueryRunningError as QueryStillRunningError,
  nextPollUrl,
  pollDelayMs,
} from '../../packages/client/src/index';
import { describeFailure } from '../../cli/main';

const ENDPOINT = 'https://api.example.test/prod';
const QUERY_ID = '0f0e0d0c-0b0a-4908-8706-050403020100';
const DONE = { from: '2026-11-20', to: '2026-11-26', groupBy: ['day'], ownerId: null, keyId: null, route: null, rows: [], truncated: false };

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/** A fetch that answers from a script and records what it was asked; a fake clock that sleep() advances. */
function harness(answers: Answer[] | ((n: number) => Answer)) {
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const sleeps: number[] = [];
  let clock = 1_000_000;
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), headers: { ...(init?.headers as Record<string, string>) } });
    const a = typeof answers === 'function' ? answers(calls.length - 1) : answers[calls.length - 1];
    if (!a) throw new Error(`unexpected call ${calls.length}`);
    return new Response(JSON.stringify(a.body), { status: a.status, headers: a.headers });
  }) as typeof globalThis.fetch;
  const client = new KeygateClient({
    endpoint: ENDPOINT,
    apiKey: 'kg_live_secretsecret',
    fetch,
    now: () => clock,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    },
  });
  const poll = {};
  return { client, calls, sleeps, poll };
}

const running = (location: string | undefined, retryAfter = '2'): Answer => ({
  status: 202,
  body: { status: 'running', queryId: QUERY_ID, retryAfterSeconds: 2 },
  headers: { 'retry-after': retryAfter, ...(location !== undefined && { location }) },
});

describe('usageReport 202 polling', () => {
  it('follows a query-only Location, waiting Retry-After seconds, until the 200', async () => {
    // Prepare
    const { client, calls, sleeps, poll } = harness([
      running(`?from=2026-11-20&groupBy=day&queryId=${QUERY_ID}`, '3'),
      running(`?from=2026-11-20&groupBy=day&queryId=${QUERY_ID}`),
      { status: 200, body: DONE },
    ]);
    // Act
    const report = await client.usageReport({ from: '2026-11-20', groupBy: 'day' }, poll);
    // Assess
    expect(report).toEqual(DONE);
    expect(calls.map((c) => c.url)).toEqual([
      'https://api.example.test/prod/v1/usage?from=2026-11-20&groupBy=day',
      `https://api.example.test/prod/v1/usage?from=2026-11-20&groupBy=day&queryId=${QUERY_ID}`,
      `https://api.example.test/prod/v1/usage?from=2026-11-20&groupBy=day&queryId=${QUERY_ID}`,
    ]);
    expect(sleeps).toEqual([3000, 2000]);
    expect(calls.every((c) => c.headers.Authorization === 'Bearer kg_live_secretsecret')).toBe(true);
  });

  it('asks again with queryId added when a 202 has no Location', async () => {
    const { client, calls, poll } = harness([running(undefined), { status: 200, body: DONE }]);
    await client.usageReport({ groupBy: '' }, poll);
    expect(calls[1]!.url).toBe(`https://api.example.test/prod/v1/usage?groupBy=&queryId=${QUERY_ID}`);
  });

  it('gives up after the wait bound with the query id to resume with', async () => {
    // Prepare: the query never finishes
    const { client, calls, poll } = harness(() => running(`?queryId=${QUERY_ID}`));
    // Act
    const error = await client.usageReport({}, { ...poll, maxWaitMs: 10_000 }).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(QueryStillRunningError);
    expect((error as QueryStillRunningError).queryId).toBe(QUERY_ID);
    expect((error as Error).message).toBe(`the query is still running after 10s; ask again with queryId ${QUERY_ID} to pick it up`);
    expect(describeFailure(error).line).toBe(`the query is still running after 10s; run the same command again with --query-id ${QUERY_ID} to pick it up`);
    expect(calls).toHaveLength(6); // asked at 0, 2, 4, 6, 8, 10 s; a 12th second would pass the bound
  });

  it('reports each running answer so the progress line can show the query', async () => {
    const { client, poll } = harness([running(undefined), { status: 200, body: DONE }]);
    const seen: unknown[] = [];
    await client.usageReport({}, { ...poll, onRunning: (s: unknown) => seen.push(s) });
    expect(seen).toEqual([{ queryId: QUERY_ID, elapsedMs: 0 }]);
  });

  it('resumes with --query-id on the first request', async () => {
    const { client, calls, poll } = harness([{ status: 200, body: DONE }]);
    await client.usageReport({ from: '2026-11-20', queryId: QUERY_ID }, poll);
    expect(calls[0]!.url).toBe(`https://api.example.test/prod/v1/usage?from=2026-11-20&queryId=${QUERY_ID}`);
  });

  it('throws the problem detail of an error answer, e.g. an expired query id', async () => {
    const { client, poll } = harness([
      { status: 404, body: { code: 'query_not_found', detail: 'No running query with this id for this report.' }, headers: { 'content-type': 'application/problem+json' } },
    ]);
    const error = await client.usageReport({ queryId: QUERY_ID }, poll).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: 'query_not_found', detail: 'No running query with this id for this report.' });
  });

  it('refuses a Location on another origin, which would receive the API key', async () => {
    const { client, calls, poll } = harness([running(`https://evil.example/v1/usage?queryId=${QUERY_ID}`), { status: 200, body: DONE }]);
    await expect(client.usageReport({}, poll)).rejects.toMatchObject({ code: 'invalid_response', detail: expect.stringContaining('points away from the endpoint') });
    expect(calls).toHaveLength(1);
  });

  it('polls the key history the same way', async () => {
    const history = { keyId: 'key_1', rateLimit: null, quota: { daily: null, monthly: null }, history: { from: '2026-11-25', to: '2026-11-26', days: [], truncated: false } };
    const { client, calls, poll } = harness([running(`?from=2026-11-25&to=2026-11-26&queryId=${QUERY_ID}`), { status: 200, body: history }]);
    expect(await client.keyUsage('key_1', { from: '2026-11-25', to: '2026-11-26' }, poll)).toEqual(history);
    expect(calls.map((c) => c.url)).toEqual([
      'https://api.example.test/prod/v1/keys/key_1/usage?from=2026-11-25&to=2026-11-26',
      `https://api.example.test/prod/v1/keys/key_1/usage?from=2026-11-25&to=2026-11-26&queryId=${QUERY_ID}`,
    ]);
  });
});

describe('pollDelayMs', () => {
  const now = Date.parse('2026-10-21T07:27:55Z');
  it('uses Retry-After seconds or HTTP date, else the body hint, else 2 s, capped at 30 s', () => {
    expect(pollDelayMs('5', 2, now)).toBe(5000);
    expect(pollDelayMs(null, 4, now)).toBe(4000);
    expect(pollDelayMs('Wed, 21 Oct 2026 07:28:00 GMT', undefined, now)).toBe(5000);
    expect(pollDelayMs('soon', undefined, now)).toBe(2000);
    expect(pollDelayMs('3600', undefined, now)).toBe(30_000);
  });
});

describe('nextPollUrl', () => {
  const first = new URL('https://api.example.test/prod/v1/usage?from=2026-11-20');

  it('resolves a query-only reference against the URL just asked (keeping the stage path)', () => {
    expect(nextPollUrl(first, first, '?from=2026-11-20&queryId=q', 'q').href).toBe('https://api.example.test/prod/v1/usage?from=2026-11-20&queryId=q');
  });

  it('refuses a Location on another path', () => {
    expect(() => nextPollUrl(first, first, '/v1/keys', 'q')).toThrow(ApiError);
  });
});
