/**
 * What the keys and usage Lambdas share between the event and their operations: the route from
 * core/routes.ts (by `event.resource`, only routes whose handler is this Lambda), the caller from
 * the authorizer context and, as defence in depth, the route's scopes again.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { callerFromContext } from '../../core/authorizer-context';
import type { RequestInfo } from '../../core/audit';
import type { Caller } from '../../core/key-service';
import type { Logger } from '../../core/ports';
import { ProblemError } from '../../core/problem';
import { type Operation, routeFor, type RouteHandler } from '../../core/routes';
import { hasScopes } from '../../core/scopes';

export type OperationHandler = (event: APIGatewayProxyEvent, caller: Caller) => Promise<APIGatewayProxyResult>;

/** A user agent is client text: at most 256 characters, control characters replaced. */
const USER_AGENT_MAX = 256;

/** Where a request came from, as API Gateway reports it (for the audit log). */
export function requestInfo(event: APIGatewayProxyEvent): RequestInfo {
  const ctx = event.requestContext;
  const ua = ctx?.identity?.userAgent;
  return {
    ...(ctx?.requestId ? { requestId: ctx.requestId } : {}),
    ...(ctx?.identity?.sourceIp ? { sourceIp: ctx.identity.sourceIp } : {}),
    // eslint-disable-next-line no-control-regex
    ...(ua ? { userAgent: ua.slice(0, USER_AGENT_MAX).replace(/[\u0000-\u001f\u007f]/g, '?') } : {}),
  };
}

function callerFrom(event: APIGatewayProxyEvent): Caller | undefined {
  const c = callerFromContext(event.requestContext?.authorizer as Record<string, unknown> | null | undefined);
  return c ? { keyId: c.keyId, ownerId: c.ownerId, scopes: [...c.scopes], request: requestInfo(event) } : undefined;
}

/** The base handler of a Lambda serving the routes of `handler` with `ops`. */
export function dispatch<O extends Operation>(
  handler: RouteHandler,
  ops: Readonly<Record<O, OperationHandler>>,
  logger: Logger,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  return async (event) => {
    const route = routeFor(event.httpMethod, event.resource);
    if (!route || route.handler !== handler || !Object.hasOwn(ops, route.operation)) {
      throw new ProblemError(404, 'route_not_found', 'No route matches this method and path.');
    }
    const op = ops[route.operation as O];
    if (!route.authorized) return op(event, { keyId: '', ownerId: '', scopes: [], request: requestInfo(event) });
    const caller = callerFrom(event);
    // Defence in depth: the authorizer already enforced this.
    if (!caller) throw new ProblemError(401, 'unauthorized', 'A valid API key is required.');
    if (!hasScopes(caller.scopes, route.scopes)) {
      throw new ProblemError(403, 'insufficient_scope', `The key lacks the scope(s) this route requires: ${route.scopes.join(', ')}.`);
    }
    const response = await op(event, caller);
    logger.log('info', 'request', { operation: route.operation, status: response.statusCode, callerKeyId: caller.keyId, requestId: event.requestContext?.requestId });
    return response;
  };
}
