/**
 * Middy middleware for Lambda backends behind the Keygate authorizer: copies the rate-limit
 * numbers the authorizer put in its context onto successful responses as X-RateLimit-*.
 * (A REST proxy integration cannot map headers itself; the backend has to.)
 *
 *   import { rateLimitHeaders } from './rate-limit-headers'; // copy or vendor this file: Keygate is not published as a package
 *   export const handler = middy(base).use(rateLimitHeaders());
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { RATE_LIMIT_HEADERS } from '../../core/limits';

export { RATE_LIMIT_HEADERS };


export function rateLimitHeaderValues(authorizer: Record<string, unknown> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [header, key] of Object.entries(RATE_LIMIT_HEADERS)) {
    const v = authorizer?.[key];
    if (v !== undefined && v !== null && v !== '') out[header] = String(v);
  }
  return out;
}

export function rateLimitHeaders(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    after: async (request) => {
      const res = request.response;
      if (!res || res.statusCode < 200 || res.statusCode >= 300) return;
      const extra = rateLimitHeaderValues(request.event.requestContext?.authorizer as Record<string, unknown> | null);
      if (Object.keys(extra).length > 0) res.headers = { ...res.headers, ...extra };
    },
  };
}
