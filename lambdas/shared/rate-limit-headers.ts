/**
 * Middy middleware for Lambda backends behind the Keygate authorizer: copies the rate-limit
 * values the authorizer put in its context onto successful responses as `RateLimit-Policy`,
 * `RateLimit` (IETF draft-ietf-httpapi-ratelimit-headers-11) and `X-RateLimit-*`
 * (core/rate-limit-headers.ts computes them once, in the authorizer; this only copies strings).
 * (A REST proxy integration cannot map headers itself; the backend has to.)
 *
 *   import { rateLimitHeaders } from './rate-limit-headers'; // copy or vendor this file: Keygate is not published as a package
 *   export const handler = middy(base).use(rateLimitHeaders());
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { headersFromContext } from '../../core/authorizer-context';
import { RATE_LIMIT_HEADERS } from '../../core/rate-limit-headers';

export { RATE_LIMIT_HEADERS };

/** The header values for a request's authorizer context (empty when no limit applies). */
export function rateLimitHeaderValues(authorizer: Record<string, unknown> | null | undefined): Record<string, string> {
  return headersFromContext(RATE_LIMIT_HEADERS, authorizer);
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
