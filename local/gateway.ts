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
import { matchRoute } from '../core/routes';
import type { AuthorizerHandler } from '../lambdas/authorizer/authorizer';
import { UNAUTHORIZED } from '../lambdas/authorizer/authorizer';
import type { KeysHandler } from '../lambdas/keys/app';

export interface LocalRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer | undefined;
  readonly sourceIp: string;
}

export interface LocalResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface LocalGatewayOptions {
  readonly authorizer: AuthorizerHandler;
  readonly keys: KeysHandler;
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
 * API Gateway hands a text body to the Lambda as a string. Bytes that are not UTF-8 go as
 * base64 (as API Gateway does for a binary media type), so the Lambda can refuse them instead
 * of receiving them silently repaired to U+FFFD.
 */
function lambdaBody(body: Buffer | undefined): { body: string | null; isBase64Encoded: boolean } {
  if (!body || body.length === 0) return { body: null, isBase64Encoded: false };
  try {
    return { body: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body), isBase64Encoded: false };
  } catch {
    return { body: body.toString('base64'), isBase64Encoded: true };
  }
}

export class LocalGateway {
  private readonly stage: string;

  constructor(private readonly options: LocalGatewayOptions) {
    this.stage = options.stage ?? 'local';
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

  async handle(req: LocalRequest): Promise<LocalResponse> {
    const requestId = randomUUID();
    const method = req.method.toUpperCase();
    const matched = matchRoute(method, req.path);
    if (!matched) return this.renderGatewayResponse('MISSING_AUTHENTICATION_TOKEN', requestId, 403);
    if (req.body && req.body.length > (this.options.maxBodyBytes ?? API_GATEWAY_MAX_BODY)) {
      return this.renderGatewayResponse('REQUEST_TOO_LARGE', requestId, 413);
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
    const nowMs = Date.now();
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
      resourceId: route.path,
      resourcePath: route.path,
      httpMethod: method,
      path: `/${this.stage}${req.path}`,
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
      try {
        result = await this.options.authorizer(authEvent);
      } catch (err) {
        if ((err as Error).message === UNAUTHORIZED) return this.renderGatewayResponse('UNAUTHORIZED', requestId, 401);
        return this.renderGatewayResponse('AUTHORIZER_FAILURE', requestId, 500);
      }
      const context: Record<string, string> = {};
      for (const [k, v] of Object.entries(result.context ?? {})) {
        // API Gateway rejects non-scalar context values (AuthorizerConfigurationException).
        if (v !== null && typeof v === 'object') return this.renderGatewayResponse('AUTHORIZER_CONFIGURATION_ERROR', requestId, 500);
        context[k] = String(v);
      }
      const statements = result.policyDocument?.Statement ?? [];
      const allows = (effect: string) =>
        statements.some((s) => {
          const st = s as { Effect?: string; Resource?: string | string[] };
          const resources = Array.isArray(st.Resource) ? st.Resource : [st.Resource];
          return st.Effect === effect && resources.some((r) => r === methodArn || r === '*');
        });
      if (allows('Deny') || !allows('Allow')) return this.renderGatewayResponse('ACCESS_DENIED', requestId, 403, context);
      // apiKeySource AUTHORIZER + apiKeyRequired: the returned key must be one of the plan's.
      if (this.options.admittedUsageKey !== undefined && result.usageIdentifierKey !== this.options.admittedUsageKey) {
        return this.renderGatewayResponse('INVALID_API_KEY', requestId, 403, context);
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

    let result;
    try {
      result = await this.options.keys(event, { awsRequestId: requestId });
    } catch {
      // A thrown integration error is a 502 from API Gateway.
      return this.renderGatewayResponse('DEFAULT_5XX', requestId, 502);
    }
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(result.headers ?? {})) outHeaders[k] = String(v);
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) outHeaders[k] = v.map(String).join(', ');
    outHeaders['x-amzn-RequestId'] = requestId;
    const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body;
    return { status: result.statusCode, headers: outHeaders, body };
  }
}
