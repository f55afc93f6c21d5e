/**
 * The one mapping from a handler's thrown error to its HTTP answer, shared by the keys and usage
 * Lambdas: a ProblemError is the client's (4xx, its message shown); a retryable DependencyError is
 * 503 with Retry-After; anything else is a 500 with a generic message (details only in the log).
 */
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { WWW_AUTHENTICATE } from '../../core/gateway-responses';
import { ConflictError, DependencyError, InvalidCursorError, type Logger } from '../../core/ports';
import { problemBody, ProblemError } from '../../core/problem';
import { problem } from './http';

export function problemErrors(logger: Logger): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const err = request.error;
      const requestId = request.event.requestContext?.requestId;
      if (err instanceof ProblemError) {
        request.response = problem(err.toBody(requestId), { ...err.headers, ...(err.status === 401 ? { 'WWW-Authenticate': WWW_AUTHENTICATE } : {}) });
        logger.log('info', 'request refused', { status: err.status, code: err.code, requestId });
        return;
      }
      if (err instanceof ConflictError) {
        request.response = problem(problemBody(409, 'conflict', 'The key was changed by another request at the same time; fetch it and retry.', { requestId }));
        return;
      }
      if (err instanceof InvalidCursorError) {
        request.response = problem(problemBody(400, 'invalid_cursor', 'cursor: was not issued by this API; start again without it.', { requestId }));
        return;
      }
      logger.log('error', 'request failed', { error: err, requestId });
      if (err instanceof DependencyError && err.retryable) {
        request.response = problem(problemBody(503, 'service_unavailable', 'A dependency is unavailable; retry shortly.', { requestId }), { 'Retry-After': '1' });
        return;
      }
      request.response = problem(problemBody(500, 'internal_error', 'Something went wrong on our side.', { requestId }));
    },
  };
}
