/**
 * API Gateway gateway responses, defined once. The CDK stack turns each entry into an
 * `AWS::ApiGateway::GatewayResponse`; the local stack renders the same template with the
 * same variables, so a client sees the same status, headers and body in both places.
 *
 * Templates may use only `$context.requestId` and `$context.authorizer.<name>`: the two
 * kinds of variable the local renderer substitutes. Header values are literal strings
 * (CDK wraps them in the single quotes API Gateway expects). `contextHeaders` (header values
 * taken from the authorizer context) apply only where a deployment turns them on
 * (`keygate:gatewayResponseContextHeaders`, default off): AWS documents gateway-response
 * header values as request parameters or static values, not `context.authorizer.*`, and a
 * rejected mapping would roll back the whole deploy (docs/authorizer.md). Both the CDK stack
 * and the local gateway decide through {@link responseHeaderMappings}.
 */
import { LIMITED_RESPONSE_HEADERS } from './rate-limit-headers';
import type { ProblemCode } from './problem-codes';

export type GatewayResponseType =
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'REQUEST_TOO_LARGE'
  | 'THROTTLED'
  | 'AUTHORIZER_FAILURE'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'INVALID_API_KEY'
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'API_CONFIGURATION_ERROR'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX';

export interface GatewayResponseDefinition {
  readonly type: GatewayResponseType;
  /** Status to answer with; absent = keep the status API Gateway chose (DEFAULT_4XX/5XX). */
  readonly statusCode?: number;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Headers whose value is an authorizer context value: header name → context key. Applied only
   * when the deployment enables them (see {@link responseHeaderMappings}); whatever they carry
   * must also be in the body, which is the channel that always works — except the IETF
   * `RateLimit-Policy` / `RateLimit` values (`QUOTED_CONTEXT_KEYS`), whose quotes API Gateway
   * would paste unescaped into the JSON body; the body's numbers say the same for the headline limit.
   */
  readonly contextHeaders?: Readonly<Record<string, string>>;
  /** Body template for `application/json` (rendered as application/problem+json). */
  readonly bodyTemplate: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const WWW_AUTHENTICATE = 'Bearer realm="keygate", charset="UTF-8"';

function problemTemplate(status: number | undefined, code: ProblemCode, title: string, detail: string): string {
  const statusMember = status === undefined ? '' : `"status":${status},`;
  return (
    `{"type":"urn:keygate:problem:${code}","title":"${title}",${statusMember}"code":"${code}",` +
    `"detail":"${detail}","requestId":"$context.requestId"}`
  );
}

const baseHeaders = { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store' } as const;

export const GATEWAY_RESPONSES: readonly GatewayResponseDefinition[] = [
  {
    type: 'UNAUTHORIZED',
    statusCode: 401,
    headers: { ...baseHeaders, 'WWW-Authenticate': WWW_AUTHENTICATE },
    bodyTemplate: problemTemplate(
      401,
      'unauthorized',
      'Unauthorized',
      'A valid API key is required (Authorization: Bearer <key> or X-API-Key). The key is missing, malformed, unknown, revoked or expired.',
    ),
  },
  {
    // The authorizer's Deny carries `code` and `detail` in its context. AWS documents
    // $context.authorizer.* for gateway-response body templates only through community
    // reports; see docs/authorizer.md for what to check on a real deployment.
    type: 'ACCESS_DENIED',
    statusCode: 403,
    headers: baseHeaders,
    bodyTemplate:
      '{"type":"urn:keygate:problem:forbidden","title":"Forbidden","status":403,"code":"forbidden",' +
      '"reason":"$context.authorizer.code","detail":"$context.authorizer.detail","requestId":"$context.requestId"}',
  },
  {
    // API Gateway answers 403 "Missing Authentication Token" for a path or method it has no
    // resource for; Keygate turns that into the 404 a client expects.
    type: 'MISSING_AUTHENTICATION_TOKEN',
    statusCode: 404,
    headers: baseHeaders,
    bodyTemplate: problemTemplate(404, 'route_not_found', 'Not Found', 'No route matches this method and path.'),
  },
  {
    type: 'REQUEST_TOO_LARGE',
    statusCode: 413,
    headers: baseHeaders,
    bodyTemplate: problemTemplate(413, 'payload_too_large', 'Payload Too Large', 'The request body is too large.'),
  },
  {
    type: 'THROTTLED',
    statusCode: 429,
    headers: { ...baseHeaders, 'Retry-After': '1' },
    bodyTemplate: problemTemplate(429, 'throttled', 'Too Many Requests', 'The API is throttling requests; retry shortly.'),
  },
  {
    type: 'AUTHORIZER_FAILURE',
    statusCode: 503,
    headers: { ...baseHeaders, 'Retry-After': '1' },
    bodyTemplate: problemTemplate(503, 'authorizer_unavailable', 'Service Unavailable', 'The key could not be checked right now; retry shortly.'),
  },
  {
    type: 'AUTHORIZER_CONFIGURATION_ERROR',
    statusCode: 503,
    headers: { ...baseHeaders, 'Retry-After': '1' },
    bodyTemplate: problemTemplate(503, 'authorizer_unavailable', 'Service Unavailable', 'The key could not be checked right now; retry shortly.'),
  },
  {
    // Rate limited or over quota. The authorizer admits the request's policy but returns a
    // usage-plan key that is in no plan; API Gateway then answers INVALID_API_KEY, remapped
    // here to 429. The numbers from the authorizer context are always in the body; as
    // Retry-After / RateLimit-Policy / RateLimit / X-RateLimit-* headers only with
    // keygate:gatewayResponseContextHeaders (docs/authorizer.md explains why this channel, and
    // what to check on a deployment).
    type: 'INVALID_API_KEY',
    statusCode: 429,
    headers: baseHeaders,
    contextHeaders: LIMITED_RESPONSE_HEADERS,
    bodyTemplate:
      '{"type":"urn:keygate:problem:$context.authorizer.code","title":"Too Many Requests","status":429,' +
      // Numbers are quoted so the body stays valid JSON even if a deployment renders the context empty.
      '"code":"$context.authorizer.code","detail":"$context.authorizer.detail","limit":"$context.authorizer.rateLimitLimit",' +
      '"remaining":"$context.authorizer.rateLimitRemaining","reset":"$context.authorizer.rateLimitReset",' +
      '"retryAfter":"$context.authorizer.retryAfter","requestId":"$context.requestId"}',
  },
  {
    // An operator route's target could not be reached or failed (connection refused, DNS, TLS,
    // a Lambda target that errored). API Gateway's default is 504; Keygate answers 502.
    type: 'INTEGRATION_FAILURE',
    statusCode: 502,
    headers: { ...baseHeaders, 'Retry-After': '1' },
    bodyTemplate: problemTemplate(502, 'upstream_unavailable', 'Bad Gateway', 'The service behind this route could not be reached or failed; retry shortly.'),
  },
  {
    // The target did not answer within the route's timeoutMs (API Gateway's default: 29 s).
    type: 'INTEGRATION_TIMEOUT',
    statusCode: 504,
    headers: baseHeaders,
    bodyTemplate: problemTemplate(504, 'upstream_timeout', 'Gateway Timeout', 'The service behind this route did not answer in time.'),
  },
  {
    // Also raised when an HTTP target's endpoint is invalid or its TLS certificate does not match
    // (AWS reports connection failures under this type too, by community accounts): the caller
    // gets the same 502 as an unreachable target, not a generic 500.
    type: 'API_CONFIGURATION_ERROR',
    statusCode: 502,
    headers: { ...baseHeaders, 'Retry-After': '1' },
    bodyTemplate: problemTemplate(502, 'upstream_unavailable', 'Bad Gateway', 'The service behind this route could not be reached or failed; retry shortly.'),
  },
  {
    type: 'DEFAULT_4XX',
    headers: baseHeaders,
    bodyTemplate: problemTemplate(undefined, 'bad_request', 'Bad Request', 'The request could not be processed.'),
  },
  {
    type: 'DEFAULT_5XX',
    headers: baseHeaders,
    bodyTemplate: problemTemplate(undefined, 'internal_error', 'Internal Server Error', 'Something went wrong on our side.'),
  },
];

/** CDK context key that turns on the `contextHeaders` mappings (`-c keygate:gatewayResponseContextHeaders=true`). */
export const GATEWAY_RESPONSE_CONTEXT_HEADERS_CONTEXT_KEY = 'keygate:gatewayResponseContextHeaders';

/**
 * Off by default: a deploy must not depend on an undocumented mapping expression. The CDK
 * stack and the local gateway share this default, so both answer the same 429.
 */
export const GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT = false;

/**
 * The headers a response carries: literal values, and (only when `contextHeaders` is on) the
 * header → authorizer-context-key mappings. One decision for the CDK stack and the local gateway.
 */
export function responseHeaderMappings(
  def: GatewayResponseDefinition,
  contextHeaders: boolean,
): { literal: Readonly<Record<string, string>>; fromContext: Readonly<Record<string, string>> } {
  return { literal: def.headers, fromContext: contextHeaders ? (def.contextHeaders ?? {}) : {} };
}

export function gatewayResponse(type: GatewayResponseType): GatewayResponseDefinition {
  const found = GATEWAY_RESPONSES.find((g) => g.type === type);
  if (!found) throw new Error(`no gateway response ${type}`);
  return found;
}

/** JSON-string-escapes a value substituted into a template (API Gateway does not; Keygate only substitutes safe values). */
function escapeJson(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/** Renders a template the way API Gateway does for the variables Keygate uses. */
export function renderGatewayTemplate(
  template: string,
  vars: { requestId: string; authorizer?: Readonly<Record<string, string>> },
): string {
  return template
    .replace(/\$context\.requestId/g, () => escapeJson(vars.requestId))
    .replace(/\$context\.authorizer\.([A-Za-z0-9_]+)/g, (_m, name: string) => escapeJson(vars.authorizer?.[name] ?? ''));
}
