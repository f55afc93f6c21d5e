/**
 * The reports use case and the usage Lambda as deployed: Athena is mocked (nothing runs it here),
 * and every command sent to it is asserted. A query that outlives the wait is a 202 whose queryId
 * reads the result later, and only for the very same report.
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AthenaUsageEngine } from '../../adapters/usage/athena-engine';
import { allowContext } from '../../core/authorizer-context';
import { parseHistoryQuery, parseReportQuery, UsageReports } from '../../core/usage-report-service';
import { reportQuery } from '../../core/usage-reports';
import { createUsageHandler } from '../../lambdas/usage/app';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NOW = new Date('2030-03-10T12:00:00Z');
const clock = { now: () => NOW };
const logger = { log: () => undefined };
const QUERY_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('parseReportQuery', () => {
  it('defaults to the last seven days, today included, grouped by day', () => {
    expect(parseReportQuery(null, NOW)).toEqual({ request: { from: '2030-03-04', to: '2030-03-10', groupBy: ['day'] } });
  });

  it('ends an open range today and starts a range given only its end a week earlier', () => {
    expect(parseReportQuery({ from: '2030-03-01' }, NOW).request).toMatchObject({ from: '2030-03-01', to: '2030-03-10' });
    expect(parseReportQuery({ to: '2030-02-02' }, NOW).request).toMatchObject({ from: '2030-01-27', to: '2030-02-02' });
  });

  it('reads a comma list of groups, and an empty groupBy as one total row', () => {
    expect(parseReportQuery({ groupBy: 'day, route' }, NOW).request.groupBy).toEqual(['day', 'route']);
    expect(parseReportQuery({ groupBy: '' }, NOW).request.groupBy).toEqual([]);
  });

  it('ignores api_key (the credential when query keys are on) and rejects any other unknown parameter', () => {
    expect(() => parseReportQuery({ api_key: 'x' }, NOW)).not.toThrow();
    expect(() => parseReportQuery({ owner: 'acme' }, NOW)).toThrow(expect.objectContaining({ status: 400, errors: [expect.objectContaining({ field: 'owner' })] }));
  });

  it('rejects a queryId that is not an Athena query id', () => {
    expect(() => parseReportQuery({ queryId: "'; DROP TABLE usage" }, NOW)).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe('parseHistoryQuery', () => {
  it('is undefined without a range (live counters only) and refuses a queryId alone', () => {
    expect(parseHistoryQuery({}, NOW)).toBeUndefined();
    expect(() => parseHistoryQuery({ queryId: QUERY_ID }, NOW)).toThrow(expect.objectContaining({ status: 400 }));
  });

  it('takes the same range defaults as a report', () => {
    expect(parseHistoryQuery({ from: '2030-03-09' }, NOW)).toEqual({ from: '2030-03-09', to: '2030-03-10' });
  });
});

describe('UsageReports access rule', () => {
  /** An engine that records what it was asked and answers nothing. */
  function recording() {
    const calls: { sql: string; parameters: readonly unknown[] }[] = [];
    return { calls, engine: { run: async (sql: string, parameters: readonly (string | number)[]) => (calls.push({ sql, parameters }), { rows: [] }) } };
  }
  const request = { from: '2030-03-01', to: '2030-03-02', groupBy: ['owner' as const] };

  it('forces a tenant\'s own owner into the query', async () => {
    const { calls, engine } = recording();
    const outcome = await new UsageReports({ engine, table: 'usage' }).report({ keyId: 'k', ownerId: 'acme', scopes: ['usage:read'] }, request);
    expect(outcome).toMatchObject({ status: 'done', report: { ownerId: 'acme' } });
    expect(calls[0]!.parameters).toEqual(['2030-03-01', '2030-03-02', 'acme']);
    expect(calls[0]!.sql).toContain('ownerId = ?');
  });

  it('lets an admin read every owner, or one', async () => {
    const { calls, engine } = recording();
    const reports = new UsageReports({ engine, table: 'usage' });
    await reports.report({ keyId: 'k', ownerId: 'admin', scopes: ['admin'] }, request);
    await reports.report({ keyId: 'k', ownerId: 'admin', scopes: ['admin'] }, { ...request, ownerId: 'globex' });
    expect(calls.map((c) => c.parameters)).toEqual([['2030-03-01', '2030-03-02'], ['2030-03-01', '2030-03-02', 'globex']]);
  });

  it('refuses a tenant another owner with 403 owner_not_allowed, before any query', async () => {
    const { calls, engine } = recording();
    await expect(new UsageReports({ engine, table: 'usage' }).report({ keyId: 'k', ownerId: 'acme', scopes: ['usage:read'] }, { ...request, ownerId: 'globex' })).rejects.toMatchObject({
      status: 403,
      code: 'owner_not_allowed',
    });
    expect(calls).toEqual([]);
  });
});

describe('GET /v1/usage on Athena (mocked)', () => {
  const athena = mockClient(AthenaClient);
  beforeEach(() => athena.reset());

  const handler = () => {
    let now = 0;
    const engine = new AthenaUsageEngine({
      client: new AthenaClient({ region: 'eu-west-1' }),
      workGroup: 'keygate-usage',
      database: 'keygate_usage',
      waitMs: 1000,
      now: () => now,
      sleep: async (ms) => void (now += ms),
    });
    return createUsageHandler({ reports: new UsageReports({ engine, table: 'usage' }), clock, logger });
  };

  function event(query: Record<string, string>, caller: { ownerId: string; scopes: string[] }): APIGatewayProxyEvent {
    return {
      resource: '/v1/usage',
      path: '/v1/usage',
      httpMethod: 'GET',
      headers: {},
      queryStringParameters: query,
      requestContext: { requestId: 'req-1', authorizer: allowContext({ keyId: 'key_01JAAAAAAAAAAAAAAAAAAAAAAA', ownerId: caller.ownerId, scopes: caller.scopes, environment: 'live' }, undefined, NOW) },
    } as unknown as APIGatewayProxyEvent;
  }

  const tenant = { ownerId: 'acme', scopes: ['usage:read'] };
  const query = { from: '2030-03-01', to: '2030-03-02', groupBy: 'day' };
  const sql = reportQuery({ from: '2030-03-01', to: '2030-03-02', groupBy: ['day'], ownerId: 'acme' }, 'usage').sql;

  it('answers 202 with the query id, Retry-After and a Location that repeats the query', async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: QUERY_ID });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    // Act
    const res = await handler()(event(query, tenant));
    // Assess
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body)).toEqual({ status: 'running', queryId: QUERY_ID, retryAfterSeconds: 2 });
    expect(res.headers).toMatchObject({ 'Retry-After': '2', Location: `?from=2030-03-01&to=2030-03-02&groupBy=day&queryId=${QUERY_ID}` });
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).toEqual({
      QueryString: sql,
      ExecutionParameters: ["'2030-03-01'", "'2030-03-02'", "'acme'"],
      WorkGroup: 'keygate-usage',
      QueryExecutionContext: { Database: 'keygate_usage' },
    });
  });

  it('reads the finished query on the follow-up call, starting nothing new', async () => {
    // Prepare: the execution Athena kept is exactly this report
    athena.on(GetQueryExecutionCommand, { QueryExecutionId: QUERY_ID }).resolves({
      QueryExecution: { WorkGroup: 'keygate-usage', Query: sql, ExecutionParameters: ["'2030-03-01'", "'2030-03-02'", "'acme'"], Status: { State: 'SUCCEEDED' } },
    });
    athena.on(GetQueryResultsCommand, { QueryExecutionId: QUERY_ID }).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: ['day', 'requests', 'errors', 'ratelimited', 'p50latencyms', 'p95latencyms', 'p99latencyms'].map((n) => ({ Name: n, Label: n, Type: 'varchar' })) },
        Rows: [
          { Data: ['day', 'requests', 'errors', 'ratelimited', 'p50latencyms', 'p95latencyms', 'p99latencyms'].map((v) => ({ VarCharValue: v })) },
          { Data: ['2030-03-01', '7', '1', '0', '3', '9', '9'].map((v) => ({ VarCharValue: v })) },
        ],
      },
    });
    // Act
    const res = await handler()(event({ ...query, queryId: QUERY_ID }, tenant));
    // Assess
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).rows).toEqual([{ day: '2030-03-01', requests: 7, errors: 1, rateLimited: 0, p50LatencyMs: 3, p95LatencyMs: 9, p99LatencyMs: 9 }]);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
  });

  it('refuses a queryId of another owner\'s report with 404 query_not_found, reading no result', async () => {
    // Prepare: the id belongs to a report of owner globex
    const other = reportQuery({ from: '2030-03-01', to: '2030-03-02', groupBy: ['day'], ownerId: 'globex' }, 'usage');
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { WorkGroup: 'keygate-usage', Query: other.sql, ExecutionParameters: ["'2030-03-01'", "'2030-03-02'", "'globex'"], Status: { State: 'SUCCEEDED' } },
    });
    // Act
    const res = await handler()(event({ ...query, queryId: QUERY_ID }, tenant));
    // Assess
    expect(res.statusCode).toBe(404);
    expect((JSON.parse(res.body) as Json).code).toBe('query_not_found');
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('answers 404 for an id Athena does not know', async () => {
    athena.on(GetQueryExecutionCommand).rejects(Object.assign(new Error('QueryExecution not found'), { name: 'InvalidRequestException' }));
    const res = await handler()(event({ ...query, queryId: QUERY_ID }, tenant));
    expect(res.statusCode).toBe(404);
  });

  it('answers 503 with Retry-After when Athena fails with a system error, without its reason', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: QUERY_ID });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'internal detail', AthenaError: { ErrorCategory: 1 } } } });
    const res = await handler()(event(query, tenant));
    expect(res.statusCode).toBe(503);
    expect(res.headers).toMatchObject({ 'Retry-After': '1', 'Content-Type': 'application/problem+json' });
    expect(res.body).not.toContain('internal detail');
  });
});
