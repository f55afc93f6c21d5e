/** How a usage report outcome (core/usage-report-service.ts) becomes an HTTP answer. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ReportOutcome } from '../../core/usage-report-service';
import { json } from './http';

/**
 * 202 for a query still running: `Location` is a query-only relative reference (RFC 3986 §5.2.2
 * keeps the request's path), so it is right behind any stage or custom-domain base path: the same
 * query string with `queryId` set. The body repeats the id and the wait.
 */
export function runningResponse(event: APIGatewayProxyEvent, outcome: Extract<ReportOutcome, { status: 'running' }>): APIGatewayProxyResult {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (name !== 'queryId' && value !== undefined) params.set(name, value);
  }
  params.set('queryId', outcome.queryId);
  return json(
    202,
    { status: 'running', queryId: outcome.queryId, retryAfterSeconds: outcome.retryAfterSeconds },
    { Location: `?${params.toString()}`, 'Retry-After': String(outcome.retryAfterSeconds) },
  );
}
