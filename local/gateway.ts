/**
 * A local stand-in for API Gateway (REST, Lambda proxy + REQUEST authorizer). It builds
 * the same events API Gateway builds, calls the real authorizer and keys handlers, and
 * renders the same gateway responses from core/gateway-responses.ts, so local behaviour
 * follows the deployed one. What it does not emulate is listed in docs/local-stack.md.
 */
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import {
  GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT,
  gatewayResponse,
  type GatewayResponseType,
  renderGatewayTemplate,
  responseHeaderMappings,
} from '../core/gateway-responses';
import { fullRouteTable, isOperatorRoute, type KeygateRoute, type OperatorRoute } from '../core/operator-routes';
import { problemBody } from '../core/problem';
import type { RouteHandler, RouteTable } from '../core/routes';
import { DECISION_CONTEXT_KEY, MISSING, type UsageRecord, usageRecord } from '../core/usage-record';
import type { AuthorizerHandler } from '../lambdas/authorizer/authorizer';
import { UNAUTHORIZED } from '../lambdas/authorizer/authorizer';
import type { KeysHandler } from '../lambdas/keys/app';
import { invokeLocalLambda, type LambdaTargetResult, loadLocalHandler } from './lambda-target';
import { DEFAULT_INTEGRATION_TIMEOUT_MS, proxyToUpstream, type UpstreamResult } from './upstream-proxy';

export interface LocalRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The query string as the client sent it, without `?` (passed unchanged to upstreams). */
  readonly rawQuery?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer | undefined;
  readonly sourceIp: string;
}

export interface LocalResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  /** Text, or an upstream's bytes passed through unchanged. */
  readonly body: string | Buffer;
}

export interface LocalGatewayOptions {
  readonly authorizer: AuthorizerHandler;
  readonly keys: KeysHandler;
  /**
   * Serves the built-in routes whose handler is `usage` (GET /v1/usage). Without it those routes
   * do not exist, as in a deployment with usage analytics off.
   */
  readonly usage?: KeysHandler;
  /**
   * Serves the built-in routes whose handler is `console` (the web console, lambdas/console).
   * Without it those routes do not exist.
   */
  readonly console?: KeysHandler;
  readonly stage?: string;
  /** API Gateway's payload limit (10 MB). */
  readonly maxBodyBytes?: number;
  /**
   * The usage plan's only API key (as the CDK stack configures it). When set, authorized
   * methods require a usage key from the authorizer, and any other key gets INVALID_API_KEY.
   */
  readonly admittedUsageKey?: string;
  /**
   * Map gateway responses' `contextHeaders` from the authorizer context, as the CDK stack does
   * with `keygate:gatewayResponseContextHeaders`.
   * @default GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT (false), the deployed default
   */
  readonly gatewayResponseContextHeaders?: boolean;
  /**
   * Built-in plus operator routes (core/operator-routes.ts `fullRouteTable`).
   * @default built-in routes only
   */
  readonly routes?: RouteTable<KeygateRoute>;
  /** Whether keys may come in the `api_key` query parameter (it is then redacted for upstreams too). */
  readonly allowQueryKey?: boolean;
  /** Directory `localHandler` paths are relative to. @default process.cwd() */
  readonly cwd?: string;
  /**
   * Called once per request with its usage record (core/usage-record.ts), as API Gateway writes
   * one access-log line per request, after the response is computed. Must be sync and cheap
   * (the local writer only buffers); a throw is swallowed so it can never change a response.
   */
  readonly onUsage?: (record: UsageRecord) => void;
}

/** What a request's usage record needs that is only known along the way. */
interface UsageTrace {
  /** The matched route template; `-` when nothing matched (see handle()). */
  route: string;
  errorType: string;
  context: Readonly<Record<string, string>> | undefined;
  authorizerMs: number | undefined;
  integrationMs: number | undefined;
}

const API_ID = 'local';
const ACCOUNT = '000000000000';
const REGION = 'local';
export const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;

/**
 * Maps keyed by the client's header and parameter names are null-prototype: `?constructor=1`
 * or `?__proto__=1` must be a parameter like any other, not Object.prototype's member.
 */
function nameMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function singleValued(multi: Record<string, string[]>): Record<string, string> {
  const out = nameMap<string>();
  for (const [k, v] of Object.entries(multi)) out[k] = v[v.length - 1]!;
  return out;
}

/**
 * The deployed API sets `binaryMediaTypes: ['*\/*']` so an upstream receives the caller's exact
 * bytes; a Lambda proxy integration then gets every body base64-encoded, which is what the
 * local gateway hands its Lambdas too (the keys Lambda decodes and refuses bytes that are not UTF-8).
 */
function lambdaBody(body: Buffer | undefined): { body: string | null; isBase64Encoded: boolean } {
  if (!body || body.length === 0) return { body: null, isBase64Encoded: false };
  return { body: body.toString('base64'), isBase64Encoded: true };
}

export class LocalGateway {
  private readonly stage: string;
  private readonly routes: RouteTable<KeygateRoute>;

  constructor(private readonly options: LocalGatewayOptions) {
    this.stage = options.stage ?? 'local';
    this.routes = options.routes ?? fullRouteTable([]);
  }

  renderGatewayResponse(type: GatewayResponseType, requestId: string, statusFallback: number, authorizer?: Record<string, string>): LocalResponse {
    const def = gatewayResponse(type);
    const mappings = responseHeaderMappings(def, this.options.gatewayResponseContextHeaders ?? GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT);
    const fromContext: Record<string, string> = {};
    for (const [header, key] of Object.entries(mappings.fromContext)) {
      if (authorizer?.[key] !== undefined) fromContext[header] = authorizer[key]!;
    }
    return {
      status: def.statusCode ?? statusFallback,
      headers: { ...mappings.literal, ...fromContext, 'x-amzn-RequestId': requestId },
      body: renderGatewayTemplate(def.bodyTemplate, { requestId, ...(authorizer ? { authorizer } : {}) }),
    };
  }

  /**
   * One request, as API Gateway serves it, and its usage record. The record's `route` is the
   * matched template, and `-` when no route matched: API Gateway has no resource then
   * (`$context.resourcePath` is empty), and the raw path would put ids and arbitrary client text
   * into analytics with unbounded cardinality.
   */
  async handle(req: LocalRequest): Promise<LocalResponse> {
    const requestId = randomUUID();
    const nowMs = Date.now();
    const started = performance.now();
    const trace: UsageTrace = { route: MISSING, errorType: MISSING, context: undefined, authorizerMs: undefined, integrationMs: undefined };
    let response: LocalResponse | undefined;
    try {
      response = await this.respond(req, requestId, nowMs, trace);
      return response;
    } finally {
      // A throw here is a fault the server turns into a 500; it is recorded as one.
      if (this.options.onUsage) this.emitUsage(req, requestId, nowMs, started, trace, response);
    }
  }

  private emitUsage(req: LocalRequest, requestId: string, nowMs: number, started: number, trace: UsageTrace, response: LocalResponse | undefined): void {
    try {
      const ctx = trace.context;
      const header = req.headers['user-agent'];
      const body = response?.body;
      this.options.onUsage!(
        usageRecord({
          requestId,
          time: nowMs,
          keyId: ctx?.keyId,
          ownerId: ctx?.ownerId,
          method: req.method.toUpperCase(),
          route: trace.route,
          status: response?.status ?? 500,
          errorType: trace.errorType,
          decision: ctx?.[DECISION_CONTEXT_KEY],
          responseLatencyMs: Math.round(performance.now() - started),
          integrationLatencyMs: trace.integrationMs === undefined ? undefined : String(Math.round(trace.integrationMs)),
          authorizerLatencyMs: trace.authorizerMs === undefined ? undefined : String(Math.round(trace.authorizerMs)),
          responseBytes: String(body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length),
          sourceIp: req.sourceIp,
          userAgent: Array.isArray(header) ? header.join(', ') : header,
        }),
      );
    } catch {
      // Usage is at most once and never changes a response.
    }
  }

  /** A gateway response API Gateway produces itself; recorded as the record's errorType. */
  private answer(trace: UsageTrace, type: GatewayResponseType, requestId: string, statusFallback: number, authorizer?: Record<string, string>): LocalResponse {
    trace.errorType = type;
    return this.renderGatewayResponse(type, requestId, statusFallback, authorizer);
  }

  private async respond(req: LocalRequest, requestId: string, nowMs: number, trace: UsageTrace): Promise<LocalResponse> {
    const method = req.method.toUpperCase();
    const matched = this.routes.match(method, req.path);
    if (!matched || (!isOperatorRoute(matched.route) && !this.builtInTarget(matched.route.handler))) {
      return this.answer(trace, 'MISSING_AUTHENTICATION_TOKEN', requestId, 403);
    }
    trace.route = matched.route.path;
    if (req.body && req.body.length > (this.options.maxBodyBytes ?? API_GATEWAY_MAX_BODY)) {
      return this.answer(trace, 'REQUEST_TOO_LARGE', requestId, 413);
    }
    const { route, pathParameters } = matched;

    const multiHeaders = nameMap<string[]>();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      multiHeaders[k] = Array.isArray(v) ? v : [v];
    }
    const multiQuery = nameMap<string[]>();
    for (const [k, v] of req.query) (multiQuery[k] ??= []).push(v);
    const headers = singleValued(multiHeaders);
    const query = Object.keys(multiQuery).length > 0 ? singleValued(multiQuery) : null;
    const identity = {
      sourceIp: req.sourceIp,
      userAgent: headers['user-agent'] ?? null,
      accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
      cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null,
      cognitoIdentityPoolId: null, principalOrgId: null, user: null, userArn: null,
    };
    const requestContext = {
      accountId: ACCOUNT,
      apiId: API_ID,
      ...(isOperatorRoute(route) ? { operationName: route.name } : {}),
      resourceId: route.path,
      resourcePath: route.path,
      httpMethod: method,
      // The path the client used: the local stack serves without a stage prefix.
      path: req.path,
      stage: this.stage,
      protocol: 'HTTP/1.1',
      requestId,
      requestTimeEpoch: nowMs,
      identity,
    };

    let authorizerContext: Record<string, string> | null = null;
    if (route.authorized) {
      const methodArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/${this.stage}/${method}${req.path}`;
      const authEvent = {
        type: 'REQUEST',
        methodArn,
        resource: route.path,
        path: req.path,
        httpMethod: method,
        headers,
        multiValueHeaders: multiHeaders,
        queryStringParameters: query,
        multiValueQueryStringParameters: query ? multiQuery : null,
        pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
        stageVariables: null,
        requestContext,
      } as unknown as APIGatewayRequestAuthorizerEvent;
      let result;
      const authorizerStarted = performance.now();
      try {
        result = await this.options.authorizer(authEvent);
      } catch (err) {
        if ((err as Error).message === UNAUTHORIZED) return this.answer(trace, 'UNAUTHORIZED', requestId, 401);
        return this.answer(trace, 'AUTHORIZER_FAILURE', requestId, 500);
      } finally {
        trace.authorizerMs = performance.now() - authorizerStarted;
      }
      const context: Record<string, string> = {};
      for (const [k, v] of Object.entries(result.context ?? {})) {
        // API Gateway rejects non-scalar context values (AuthorizerConfigurationException).
        if (v !== null && typeof v === 'object') return this.answer(trace, 'AUTHORIZER_CONFIGURATION_ERROR', requestId, 500);
        context[k] = String(v);
      }
      trace.context = context;
      const statements = result.policyDocument?.Statement ?? [];
      const allows = (effect: string) =>
        statements.some((s) => {
          const st = s as { Effect?: string; Resource?: string | string[] };
          const resources = Array.isArray(st.Resource) ? st.Resource : [st.Resource];
          return st.Effect === effect && resources.some((r) => r === methodArn || r === '*');
        });
      if (allows('Deny') || !allows('Allow')) return this.answer(trace, 'ACCESS_DENIED', requestId, 403, context);
      // apiKeySource AUTHORIZER + apiKeyRequired: the returned key must be one of the plan's.
      if (this.options.admittedUsageKey !== undefined && result.usageIdentifierKey !== this.options.admittedUsageKey) {
        return this.answer(trace, 'INVALID_API_KEY', requestId, 403, context);
      }
      authorizerContext = { ...context, principalId: result.principalId };
    }

    const event = {
      resource: route.path,
      path: req.path,
      httpMethod: method,
      headers,
      multiValueHeaders: multiHeaders,
      queryStringParameters: query,
      multiValueQueryStringParameters: query ? multiQuery : null,
      pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
      stageVariables: null,
      requestContext: { ...requestContext, authorizer: authorizerContext },
      ...lambdaBody(req.body),
    } as unknown as APIGatewayProxyEvent;

    const integrationStarted = performance.now();
    if (isOperatorRoute(route)) {
      try {
        return await this.operatorTarget(route, req, event, pathParameters, authorizerContext ?? {}, requestId, trace);
      } finally {
        trace.integrationMs = performance.now() - integrationStarted;
      }
    }

    let result;
    try {
      const lambda = this.builtInTarget(route.handler)!;
      result = await lambda(event, { awsRequestId: requestId });
    } catch {
      // A thrown integration error is a 502 from API Gateway.
      return this.answer(trace, 'DEFAULT_5XX', requestId, 502);
    } finally {
      trace.integrationMs = performance.now() - integrationStarted;
    }
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(result.headers ?? {})) outHeaders[k] = String(v);
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) outHeaders[k] = v.map(String).join(', ');
    outHeaders['x-amzn-RequestId'] = requestId;
    // Bytes stay bytes (the console's images and fonts), as API Gateway turns a base64 body into binary.
    const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
    return { status: result.statusCode, headers: outHeaders, body };
  }

  /** The function serving a built-in route's handler, or undefined where this stack has none (as a deployment without it). */
  private builtInTarget(handler: RouteHandler): KeysHandler | undefined {
    switch (handler) {
      case 'keys':
        return this.options.keys;
      case 'usage':
        return this.options.usage;
      case 'console':
        return this.options.console;
    }
  }

  /** An operator route's target: the upstream over HTTP, or the route's `localHandler` in process. */
  private async operatorTarget(
    route: OperatorRoute,
    req: LocalRequest,
    event: APIGatewayProxyEvent,
    pathParameters: Record<string, string>,
    authorizer: Record<string, string>,
    requestId: string,
    trace: UsageTrace,
  ): Promise<LocalResponse> {
    let result: UpstreamResult | LambdaTargetResult;
    const timeoutMs = route.timeoutMs ?? DEFAULT_INTEGRATION_TIMEOUT_MS;
    if (route.target.kind === 'upstream') {
      result = await proxyToUpstream({
        method: req.method.toUpperCase(),
        routePath: route.path,
        urlTemplate: route.target.url,
        pathParameters,
        rawQuery: req.rawQuery ?? req.query.toString(),
        headers: req.headers,
        body: req.body,
        authorizer,
        forwardCredentials: route.forwardCredentials,
        allowQueryKey: this.options.allowQueryKey ?? false,
        timeoutMs,
        requestId,
      });
    } else if (route.target.localHandler) {
      let handler;
      try {
        handler = await loadLocalHandler(route.target.localHandler, this.options.cwd);
      } catch (err) {
        return this.notServedLocally(route, requestId, `its localHandler could not be loaded (${(err as Error).message})`);
      }
      result = await invokeLocalLambda(handler, event, requestId, timeoutMs);
    } else {
      return this.notServedLocally(route, requestId, `its Lambda target ${route.target.functionArn} has no localHandler`);
    }
    if (result.kind === 'timeout') return this.answer(trace, 'INTEGRATION_TIMEOUT', requestId, 504);
    if (result.kind === 'failure') return this.answer(trace, 'INTEGRATION_FAILURE', requestId, 502);
    // Passed back unchanged, as a proxy integration does.
    return { status: result.status, headers: { ...result.headers, 'x-amzn-RequestId': requestId }, body: result.body };
  }

  private notServedLocally(route: OperatorRoute, requestId: string, why: string): LocalResponse {
    const detail = `${route.method} ${route.path} (${route.source}) is not served by the local stack: ${why}. Set "localHandler" to a module exporting handler to run it locally.`;
    return {
      status: 501,
      headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', 'x-amzn-RequestId': requestId },
      body: JSON.stringify(problemBody(501, 'not_served_locally', detail, { requestId })),
    };
  }
}
