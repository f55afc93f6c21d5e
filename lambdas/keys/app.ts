/**
 * The key-management Lambda: parse → core → map. One function serves every route in
 * core/routes.ts whose handler is `keys`; the route table decides the operation.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { allScopes, type KeygateConfig } from '../../core/config';
import { isKeyId } from '../../core/ids';
import type { AuditService } from '../../core/audit-service';
import type { KeyService } from '../../core/key-service';
import { parseImportRequest } from '../../core/key-import';
import { LEAK_REPORT_ACCEPTED, type LeakResponse } from '../../core/leak-response';
import type { Logger } from '../../core/ports';
import { ProblemError } from '../../core/problem';
import type { Operation } from '../../core/routes';
import { parseHistoryQuery, type UsageReports } from '../../core/usage-report-service';
import {
  parseAuditQuery,
  parseAuditVerifyQuery,
  parseCreateKey,
  parseLeakReport,
  parseListQuery,
  parseRotateKey,
  parseUpdateKey,
  parseVerifyKey,
} from '../../core/validation';
import { extractKey, type KeyVerifier } from '../../core/verifier';
import { headlineStatus } from '../../core/limits';
import { rateLimitHeaders } from '../shared/rate-limit-headers';
import type { Clock } from '../../core/ports';
import { FLUSH_BOUND_MS } from '../../core/background';
import { type MetricsBuffer, statusClass } from '../../core/metrics';
import { json, readJsonBody } from '../shared/http';
import { dispatch, type OperationHandler } from '../shared/dispatch';
import { problemErrors } from '../shared/problem-errors';
import { runningResponse } from '../shared/report-response';
import { type OpenApiSource, openApiSource, serverUrlOf } from './openapi-route';

export interface KeysAppDeps {
  readonly service: KeyService;
  /** Serves POST /v1/verify with the same decision and counters as the authorizer. */
  readonly verifier: KeyVerifier;
  readonly config: KeygateConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Usage history for `GET /v1/keys/{id}/usage?from=&to=`; absent where usage analytics is off. */
  readonly reports?: UsageReports;
  /** GET /v1/audit and /v1/audit/verify. */
  readonly audit: AuditService;
  /** POST /v1/keys/revoke-leaked. */
  readonly leaks: LeakResponse;
  /** GET /v1/openapi.json; absent = the document of the built-in routes and this config's scopes. */
  readonly openApi?: OpenApiSource;
  /** Requests by status class (Service=keys), flushed once per invocation. Absent = not recorded. */
  readonly metrics?: MetricsBuffer;
}

export type KeysHandler = (event: APIGatewayProxyEvent, context?: Partial<Context>) => Promise<APIGatewayProxyResult>;

function keyIdParam(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.id ?? '';
  if (!isKeyId(id)) throw new ProblemError(400, 'invalid_key_id', `id: "${id.slice(0, 64)}" is not a key id (key_ followed by 26 characters).`);
  return id;
}

/** The operations whose routes target the keys Lambda (core/routes.ts). */
type KeysOperation = Exclude<Operation, 'usageReport' | 'consoleIndex' | 'consoleAsset'>;

export function createKeysHandler(deps: KeysAppDeps): KeysHandler {
  const { service, clock } = deps;
  const scopes = allScopes(deps.config);
  const openApi = deps.openApi ?? openApiSource({ operatorRoutes: [], scopes });

  const ops: Record<KeysOperation, OperationHandler> = {
    health: async () => json(200, { status: 'ok' }),
    openApi: async (e) => json(200, openApi(serverUrlOf(e)), { 'Cache-Control': 'public, max-age=300' }),
    // 200 with one outcome per row, invalid rows included (docs/migration.md).
    importKeys: async (e, caller) =>
      json(200, await service.importKeys(caller, parseImportRequest(readJsonBody(e), clock.now(), { keyPrefix: deps.config.keyPrefix, legacyKeys: deps.config.legacyKeys, scopes: scopes.map((s) => s.name) }))),
    createKey: async (e, caller) => {
      const created = await service.create(caller, parseCreateKey(readJsonBody(e), clock.now(), deps.config.keyTemplates));
      return json(201, { ...created.view, key: created.plaintext }, { Location: `/v1/keys/${created.view.id}` });
    },
    listKeys: async (e, caller) => {
      // `api_key` carries the credential when query keys are enabled; it is not a filter.
      const { api_key: _credential, ...query } = e.queryStringParameters ?? {};
      return json(200, await service.list(caller, parseListQuery(query)));
    },
    getKey: async (e, caller) => {
      const view = await service.get(caller, keyIdParam(e));
      // The key's audit trail, as an RFC 8288 link.
      return json(200, view, { Link: `</v1/audit?keyId=${view.id}>; rel="audit"` });
    },
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
    keyUsage: async (e, caller) => {
      const id = keyIdParam(e);
      const history = parseHistoryQuery(e.queryStringParameters, clock.now());
      // Loading the live counters first is also the access check: another owner's key is a 404.
      const live = await service.usage(caller, id);
      if (!history) return json(200, live);
      if (!deps.reports) {
        throw new ProblemError(404, 'usage_analytics_off', 'from/to: usage history needs usage analytics, which this deployment has turned off (keygate:usageAnalytics).');
      }
      const outcome = await deps.reports.keyHistory(caller, id, history, history.queryId);
      if (outcome.status === 'running') return runningResponse(e, outcome);
      const { from, to, rows, truncated } = outcome.report;
      return json(200, { ...live, history: { from, to, days: rows, truncated } });
    },
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
    listTemplates: async () => json(200, { items: deps.config.keyTemplates }),
    listAudit: async (e, caller) => json(200, await deps.audit.list(caller, parseAuditQuery(e.queryStringParameters))),
    verifyAudit: async (e, caller) => json(200, await deps.audit.verify(caller, parseAuditVerifyQuery(e.queryStringParameters))),
    revokeLeaked: async (e, caller) => {
      const { keys } = parseLeakReport(readJsonBody(e));
      const revoked = await deps.leaks.report(keys, caller.request ?? {});
      // The count goes to the log only: the answer is the same whatever was presented.
      deps.logger.log('info', 'leak report', { presented: keys.length, revoked, sourceIp: caller.request?.sourceIp, requestId: caller.request?.requestId });
      return json(202, LEAK_REPORT_ACCEPTED);
    },
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

  const base = dispatch<KeysOperation>('keys', ops, deps.logger);

  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>(base).use(rateLimitHeaders()).use(problemErrors(deps.logger)) as unknown as KeysHandler;
  // POST /v1/verify starts the same side effects as the authorizer: wait for them, briefly.
  const metrics = deps.metrics;
  return async (event, context) => {
    let status = 500;
    try {
      const response = await handler(event, context);
      status = response.statusCode;
      return response;
    } finally {
      if (deps.verifier.hasPendingWork) await deps.verifier.flush(FLUSH_BOUND_MS);
      if (metrics) {
        metrics.count('Requests', { Service: 'keys', StatusClass: statusClass(status) });
        metrics.flush();
      }
    }
  };
}
