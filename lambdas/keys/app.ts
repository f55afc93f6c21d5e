/**
 * The key-management Lambda: parse → core → map. One function serves every route in
 * core/routes.ts whose target is `keys`; the route table decides the operation.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { allScopes, type KeygateConfig } from '../../core/config';
import { isKeyId } from '../../core/ids';
import type { Caller, KeyService } from '../../core/key-service';
import { ConflictError, DependencyError, InvalidCursorError, type Logger } from '../../core/ports';
import { problemBody, ProblemError } from '../../core/problem';
import { type Operation, routeFor } from '../../core/routes';
import { hasScopes } from '../../core/scopes';
import { parseCreateKey, parseListQuery, parseRotateKey, parseUpdateKey, parseVerifyKey } from '../../core/validation';
import { extractKey, type KeyVerifier } from '../../core/verifier';
import { headlineStatus } from '../../core/limits';
import { rateLimitHeaders } from '../shared/rate-limit-headers';
import type { Clock } from '../../core/ports';
import { WWW_AUTHENTICATE } from '../../core/gateway-responses';
import { FLUSH_BOUND_MS } from '../../core/background';
import { callerFromContext } from '../../core/authorizer-context';
import { json, problem, readJsonBody } from './http';

export interface KeysAppDeps {
  readonly service: KeyService;
  /** Serves POST /v1/verify with the same decision and counters as the authorizer. */
  readonly verifier: KeyVerifier;
  readonly config: KeygateConfig;
  readonly clock: Clock;
  readonly logger: Logger;
}

export type KeysHandler = (event: APIGatewayProxyEvent, context?: Partial<Context>) => Promise<APIGatewayProxyResult>;

function callerFrom(event: APIGatewayProxyEvent): Caller | undefined {
  const c = callerFromContext(event.requestContext?.authorizer as Record<string, unknown> | null | undefined);
  return c ? { keyId: c.keyId, ownerId: c.ownerId, scopes: [...c.scopes] } : undefined;
}

function keyIdParam(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.id ?? '';
  if (!isKeyId(id)) throw new ProblemError(400, 'invalid_key_id', `id: "${id.slice(0, 64)}" is not a key id (key_ followed by 26 characters).`);
  return id;
}

type Operations = Record<Operation, (event: APIGatewayProxyEvent, caller: Caller) => Promise<APIGatewayProxyResult>>;

export function createKeysHandler(deps: KeysAppDeps): KeysHandler {
  const { service, clock } = deps;
  const scopes = allScopes(deps.config);

  const ops: Operations = {
    health: async () => json(200, { status: 'ok' }),
    createKey: async (e, caller) => {
      const created = await service.create(caller, parseCreateKey(readJsonBody(e), clock.now()));
      return json(201, { ...created.view, key: created.plaintext }, { Location: `/v1/keys/${created.view.id}` });
    },
    listKeys: async (e, caller) => {
      // `api_key` carries the credential when query keys are enabled; it is not a filter.
      const { api_key: _credential, ...query } = e.queryStringParameters ?? {};
      return json(200, await service.list(caller, parseListQuery(query)));
    },
    getKey: async (e, caller) => json(200, await service.get(caller, keyIdParam(e))),
    updateKey: async (e, caller) => {
      const id = keyIdParam(e);
      return json(200, await service.update(caller, id, parseUpdateKey(readJsonBody(e), clock.now())));
    },
    revokeKey: async (e, caller) => json(200, await service.revoke(caller, keyIdParam(e))),
    rotateKey: async (e, caller) => {
      const id = keyIdParam(e);
      const rotated = await service.rotate(caller, id, parseRotateKey(readJsonBody(e)));
      return json(201, { ...rotated.view, key: rotated.plaintext, previous: rotated.previous }, { Location: `/v1/keys/${rotated.view.id}` });
    },
    keyUsage: async (e, caller) => json(200, await service.usage(caller, keyIdParam(e))),
    verifyKey: async (e) => {
      const input = parseVerifyKey(readJsonBody(e));
      const outcome = await deps.verifier.verify({
        key: extractKey({ headers: { 'x-api-key': input.key } }, false),
        requiredScopes: input.scopes,
        sourceIp: input.sourceIp,
        ...(input.cost !== undefined ? { cost: input.cost } : {}),
      });
      // Outcomes are data: a refused key is a 200 answer saying why, not an error of the call.
      const code = outcome.code === 'MISSING' || outcome.code === 'MALFORMED' ? 'NOT_FOUND' : outcome.code;
      const key = 'key' in outcome ? outcome.key : undefined;
      const limits = 'limits' in outcome ? outcome.limits : undefined;
      const headline = limits ? headlineStatus(limits) : undefined;
      return json(200, {
        valid: code === 'VALID',
        code,
        keyId: key?.keyId ?? ('keyId' in outcome ? outcome.keyId : null),
        ownerId: key?.ownerId ?? null,
        scopes: key ? [...key.scopes] : [],
        expiresAt: key?.expiresAt ?? null,
        rateLimit: headline ? { limit: headline.limit, remaining: headline.remaining, resetAt: new Date(headline.resetAt * 1000).toISOString() } : null,
      });
    },
    listScopes: async () => json(200, { items: scopes }),
    whoami: async (e, caller) => {
      const expiresAt = (e.requestContext.authorizer as Record<string, unknown> | null)?.expiresAt;
      return json(200, { keyId: caller.keyId, ownerId: caller.ownerId, scopes: caller.scopes, expiresAt: expiresAt ? String(expiresAt) : null });
    },
    echo: async (e, caller) =>
      json(200, {
        message: 'Hello from a Keygate-protected route.',
        keyId: caller.keyId,
        ownerId: caller.ownerId,
        scopes: caller.scopes,
        method: e.httpMethod,
        path: e.path,
      }),
  };

  const base = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const route = routeFor(event.httpMethod, event.resource);
    if (!route) throw new ProblemError(404, 'route_not_found', 'No route matches this method and path.');
    if (!route.authorized) return ops[route.operation](event, { keyId: '', ownerId: '', scopes: [] });
    const caller = callerFrom(event);
    // Defence in depth: the authorizer already enforced this.
    if (!caller) throw new ProblemError(401, 'unauthorized', 'A valid API key is required.');
    if (!hasScopes(caller.scopes, route.scopes)) {
      throw new ProblemError(403, 'insufficient_scope', `The key lacks the scope(s) this route requires: ${route.scopes.join(', ')}.`);
    }
    const response = await ops[route.operation](event, caller);
    deps.logger.log('info', 'request', { operation: route.operation, status: response.statusCode, callerKeyId: caller.keyId, requestId: event.requestContext?.requestId });
    return response;
  };

  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>(base).use(rateLimitHeaders()).use({
    onError: async (request) => {
      const err = request.error;
      const requestId = request.event.requestContext?.requestId;
      if (err instanceof ProblemError) {
        request.response = problem(err.toBody(requestId), err.status === 401 ? { 'WWW-Authenticate': WWW_AUTHENTICATE } : {});
        deps.logger.log('info', 'request refused', { status: err.status, code: err.code, requestId });
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
      deps.logger.log('error', 'request failed', { error: err, requestId });
      if (err instanceof DependencyError && err.retryable) {
        request.response = problem(problemBody(503, 'service_unavailable', 'A dependency is unavailable; retry shortly.', { requestId }), { 'Retry-After': '1' });
        return;
      }
      request.response = problem(problemBody(500, 'internal_error', 'Something went wrong on our side.', { requestId }));
    },
  }) as unknown as KeysHandler;
  // POST /v1/verify starts the same side effects as the authorizer: wait for them, briefly.
  return async (event, context) => {
    try {
      return await handler(event, context);
    } finally {
      if (deps.verifier.hasPendingWork) await deps.verifier.flush(FLUSH_BOUND_MS);
    }
  };
}
