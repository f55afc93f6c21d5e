/**
 * The usage Lambda: `GET /v1/usage`, usage reports over the access records (core/usage-reports.ts
 * builds the SQL, core/usage-report-service.ts decides who sees which rows). Deployed it queries
 * Athena; the local stack runs the same handler over DuckDB.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Clock, Logger } from '../../core/ports';
import { parseReportQuery, type UsageReports } from '../../core/usage-report-service';
import { dispatch } from '../shared/dispatch';
import { json } from '../shared/http';
import { problemErrors } from '../shared/problem-errors';
import { runningResponse } from '../shared/report-response';

export interface UsageAppDeps {
  readonly reports: UsageReports;
  readonly clock: Clock;
  readonly logger: Logger;
}

export type UsageHandler = (event: APIGatewayProxyEvent, context?: Partial<Context>) => Promise<APIGatewayProxyResult>;

export function createUsageHandler(deps: UsageAppDeps): UsageHandler {
  const base = dispatch<'usageReport'>(
    'usage',
    {
      usageReport: async (e, caller) => {
        const { request, queryId } = parseReportQuery(e.queryStringParameters, deps.clock.now());
        const outcome = await deps.reports.report(caller, request, queryId);
        return outcome.status === 'running' ? runningResponse(e, outcome) : json(200, outcome.report);
      },
    },
    deps.logger,
  );
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>(base).use(problemErrors(deps.logger)) as unknown as UsageHandler;
}
