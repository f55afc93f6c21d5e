/**
 * Every problem `code` Keygate answers with, and every field-level `errors[].code`, defined
 * once. `ProblemError`, `problemBody` and the gateway responses take a `ProblemCode`, so a code
 * that is not catalogued here does not compile; test/unit/problem-codes.test.ts checks the
 * other direction (every entry is still raised somewhere) and the literals the compiler cannot
 * see (authorizer context values). docs/troubleshooting.md is generated from this file
 * (`npm run docs:generate`); keep the wording consistent with docs/api.md ("Errors").
 *
 * Adding a code: add an entry here (cause and fix say what a reader should understand and do),
 * raise it, then regenerate the docs.
 */

/** Who usually has to act: the caller of a protected API, a management API user, or the operator running Keygate. */
export type ProblemAudience = 'caller' | 'admin' | 'operator';

export interface ProblemCodeEntry {
  /** The status (or statuses) this code comes with. */
  readonly status: number | readonly number[];
  /** A short human summary of the problem (the body's `title` is the status text). */
  readonly title: string;
  /** What makes it happen, for the person who receives it. */
  readonly cause: string;
  /** What the caller or operator should do. */
  readonly fix: string;
  /** Whether sending the same request again later, unchanged, can succeed. */
  readonly retryable: boolean;
  /** Who usually has to act; absent = the caller. */
  readonly audience?: ProblemAudience;
  /** Where it is raised (a gateway response type, a Lambda, the local stack). */
  readonly raisedBy: string;
  /** A typical `detail`, used for the example body in the docs. */
  readonly detail: string;
  /**
   * Set for the authorizer's refusal reasons: a caller sees the code as `reason` in a 403
   * `forbidden` body (and, for the limit codes, as the `code` of a 429).
   */
  readonly authorizerReason?: true;
}

export const PROBLEM_CODES = {
  // 400
  validation_failed: {
    status: 400,
    title: 'A field is invalid',
    cause: 'One or more fields of the body or query break a rule. `errors[]` lists each field (`field`, `message`, and for some rules a `code`, listed under field error codes below); `detail` names the first and counts the rest.',
    fix: 'Correct every field listed in `errors` and send the request again. Unknown members are refused too: check the spelling against docs/api.md.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'core/validation (keys and usage Lambdas)',
    detail: 'name: is required (and 1 more)',
  },
  invalid_body: {
    status: 400,
    title: 'The body is not a JSON object',
    cause: 'The body is valid JSON but not an object (an array, a string, a number, `null`), or it is missing on a route that needs one.',
    fix: 'Send a JSON object, e.g. `{"name":"…","ownerId":"…","scopes":[…]}`.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'core/validation',
    detail: 'The request body must be a JSON object (create key).',
  },
  malformed_json: {
    status: 400,
    title: 'The body is not JSON',
    cause: 'The body does not parse as JSON (RFC 8259). `detail` carries the parser\'s message.',
    fix: 'Send valid JSON. With curl, use `-d @file.json` or single quotes around the body so the shell leaves it alone.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'keys Lambda (core/json.ts)',
    detail: 'The request body is not valid JSON: Unexpected end of JSON input',
  },
  invalid_utf8: {
    status: 400,
    title: 'The body is not UTF-8',
    cause: 'The body holds bytes that are not valid UTF-8 (overlong forms, encoded surrogates, stray continuation bytes, a truncated sequence). They are refused, never repaired. `detail` gives the offset of the first bad byte.',
    fix: 'Encode the body as UTF-8 before sending it.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'keys Lambda (core/json.ts)',
    detail: 'The request body is not valid UTF-8 (first bad byte at offset 12).',
  },
  nesting_too_deep: {
    status: 400,
    title: 'The body is nested too deeply',
    cause: 'Objects and arrays in the body are nested more than 64 levels deep (the body itself is level 1). `errors[].field` names the top-level member.',
    fix: 'Flatten the value; no Keygate field needs deep nesting (`metadata` allows 32 levels).',
    retryable: false,
    audience: 'admin',
    raisedBy: 'keys Lambda (core/json.ts)',
    detail: 'metadata: objects and arrays are nested more than 64 levels deep.',
  },
  duplicate_member: {
    status: 400,
    title: 'A member appears twice',
    cause: 'An object in the body has the same member name twice, also when spelt with escapes (`"name"` and `"n\\u0061me"`). `errors[].field` is its path.',
    fix: 'Send each member once.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'keys Lambda (core/json.ts)',
    detail: 'rateLimit.limit: the member appears more than once; send each member once.',
  },
  lone_surrogate: {
    status: 400,
    title: 'An unpaired surrogate escape',
    cause: 'A string or member name in the body holds a `\\ud800`-style escape without its pair. It has no UTF-8 form and would be stored as U+FFFD.',
    fix: 'Send the character as a complete surrogate pair, or as UTF-8 text.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'keys Lambda (core/json.ts)',
    detail: 'name: a string holds an unpaired UTF-16 surrogate escape (such as \\ud800), which has no UTF-8 form.',
  },
  malformed_request_target: {
    status: 400,
    title: 'The request target is not a path',
    cause: 'The request line\'s target is neither a path (`/v1/keys?limit=10`) nor an absolute `http://` URL. Local stack only: on AWS, API Gateway answers this itself (`bad_request`).',
    fix: 'Send a path such as `/v1/keys`.',
    retryable: false,
    raisedBy: 'local server',
    detail: 'The request target must be a path such as /v1/keys?limit=10 (or an absolute http:// URL).',
  },
  malformed_request: {
    status: 400,
    title: 'The request is not valid HTTP/1.1',
    cause: 'Node\'s HTTP parser refused the request: a bad request line, method, version, header syntax or chunk size, or `Content-Length` together with `Transfer-Encoding`. Local stack only.',
    fix: 'Fix the client or proxy that builds the request; an ordinary HTTP client never sends this.',
    retryable: false,
    raisedBy: 'local server',
    detail: 'The request is not valid HTTP/1.1 (request line, header or body framing).',
  },
  invalid_key_id: {
    status: 400,
    title: 'Not a key id',
    cause: 'The `{id}` in the path is not a key id (`key_` followed by 26 characters). A plaintext key (`kg_…`) is not a key id.',
    fix: 'Use the `id` from the key record (`keygate list-keys` or `GET /v1/keys`), never the key itself.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'keys Lambda',
    detail: 'id: "kg_live_abc" is not a key id (key_ followed by 26 characters).',
  },
  invalid_cursor: {
    status: 400,
    title: 'The cursor is not valid here',
    cause: 'The `cursor` was not issued by this API, or (on `GET /v1/audit`) it was issued for other parameters or to another owner.',
    fix: 'Start again without `cursor`, and pass back the `nextCursor` of the previous page unchanged, with the same other parameters.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'keys Lambda',
    detail: 'cursor: was not issued by this API; start again without it.',
  },
  unknown_scope: {
    status: 400,
    title: 'A scope is not defined',
    cause: 'A scope in `scopes` is not defined in this deployment.',
    fix: 'Use the scopes `GET /v1/scopes` lists, or ask the operator to define the scope (operator routes and `keygate:scopes`).',
    retryable: false,
    audience: 'admin',
    raisedBy: 'core/key-service',
    detail: 'scopes: not defined in this deployment: orders:refund (see GET /v1/scopes).',
  },
  bad_request: {
    status: [400, 403],
    title: 'Refused by API Gateway',
    cause: 'API Gateway refused the request itself for a reason without its own gateway response, for example malformed HTTP or a WAF block. The status is API Gateway\'s, and the body has no `status` member.',
    fix: 'Check the request against docs/api.md. If it looks right, the operator can find the refusal in the API Gateway access log by `requestId`.',
    retryable: false,
    raisedBy: 'gateway DEFAULT_4XX',
    detail: 'The request could not be processed.',
  },
  // 401
  unauthorized: {
    status: 401,
    title: 'No valid API key',
    cause: 'The key is missing, malformed, has a bad checksum or the wrong prefix, is unknown, revoked or expired. One answer for all of them, so the answer does not tell a prober which.',
    fix: 'Send a live key as `Authorization: Bearer <key>` or `X-API-Key: <key>`. If it used to work, it may have been revoked, expired or rotated past its grace period: `POST /v1/verify` (or `keygate verify`) tells a key holder with `keys:verify` which.',
    retryable: false,
    raisedBy: 'gateway UNAUTHORIZED (keys Lambda as a fallback)',
    detail: 'A valid API key is required (Authorization: Bearer <key> or X-API-Key). The key is missing, malformed, unknown, revoked or expired.',
  },
  // 403
  forbidden: {
    status: 403,
    title: 'The authorizer refused the key',
    cause: 'The authorizer denied a valid key. `reason` says why: `insufficient_scope`, `ip_not_allowed` or `unknown_route` (or, only where the authorizer has no usage-plan key, a limit code).',
    fix: 'Look up `reason` below and act on it.',
    retryable: false,
    raisedBy: 'gateway ACCESS_DENIED',
    detail: 'The key lacks the scope(s) this route requires: orders:write.',
  },
  insufficient_scope: {
    status: 403,
    title: 'The key lacks a scope',
    cause: 'The key does not hold every scope the route requires; `detail` lists them. From the authorizer it is the `reason` of a 403 `forbidden`; the keys Lambda answers it directly as defence in depth.',
    fix: 'Use a key that holds the scopes, or have an admin add them (`PATCH /v1/keys/{id}` with `scopes`, or rotate to a key created with them).',
    retryable: false,
    raisedBy: 'authorizer (reason of gateway ACCESS_DENIED), keys Lambda',
    detail: 'The key lacks the scope(s) this route requires: orders:write.',
    authorizerReason: true,
  },
  ip_not_allowed: {
    status: 403,
    title: 'Source address not allowed',
    cause: 'The key has `allowedIps`, and the request came from an address outside them. It is the `reason` of a 403 `forbidden`.',
    fix: 'Call from an allowed address, or have an admin change the key\'s `allowedIps`. Behind a proxy or NAT the address API Gateway sees is the public one.',
    retryable: false,
    raisedBy: 'authorizer (reason of gateway ACCESS_DENIED)',
    detail: 'The key may not be used from this source IP address.',
    authorizerReason: true,
  },
  unknown_route: {
    status: 403,
    title: 'Route not configured for keys',
    cause: 'The authorizer was called for a method and path its route definition does not know, so it fails closed. It is the `reason` of a 403 `forbidden`; a caller cannot cause it with a valid request.',
    fix: 'Operator: the deployed API and the authorizer\'s route table disagree. Redeploy so both read the same route definition (core/routes.ts and the operator routes), and check the authorizer log line "authorizer called for an unknown route".',
    retryable: false,
    audience: 'operator',
    raisedBy: 'authorizer (reason of gateway ACCESS_DENIED)',
    detail: 'This route is not configured for keys.',
    authorizerReason: true,
  },
  scope_not_grantable: {
    status: 403,
    title: 'Cannot grant a scope you do not hold',
    cause: 'A non-admin key tried to create or change a key with a scope the calling key does not hold itself.',
    fix: 'Grant only scopes the calling key holds, or use an admin key.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'core/key-service',
    detail: 'scopes: the calling key does not hold: orders:write.',
  },
  owner_not_allowed: {
    status: 403,
    title: 'Another owner',
    cause: 'A non-admin key asked for another owner: creating or listing another owner\'s keys, or reading another owner\'s usage or audit log.',
    fix: 'Leave `ownerId` out (it defaults to the calling key\'s owner) or use an admin key.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'core/key-service, core/audit-service, core/usage-report-service',
    detail: 'ownerId: only an admin key can create keys for another owner.',
  },
  // 404
  key_not_found: {
    status: 404,
    title: 'No such key',
    cause: 'No key with this id exists for the caller. Another owner\'s key answers the same, so the answer does not reveal whether it exists.',
    fix: 'Check the id (`GET /v1/keys`); use a key of the owner that holds it, or an admin key.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'core/key-service',
    detail: 'No key with this id exists for the caller.',
  },
  route_not_found: {
    status: 404,
    title: 'No such route',
    cause: 'No route matches this method and path.',
    fix: 'Check the method and path against docs/api.md (and the operator\'s routes). On the default execute-api URL the path starts with the stage, e.g. `/prod/v1/keys`.',
    retryable: false,
    raisedBy: 'gateway MISSING_AUTHENTICATION_TOKEN (keys Lambda and local server as a fallback)',
    detail: 'No route matches this method and path.',
  },
  console_file_not_found: {
    status: 404,
    title: 'No such console file',
    cause: 'A path under /console/ names no file of the built web console (its pages are addressed after the `#`, e.g. `/console/#/keys`, so the server only has index.html and its hashed assets), or the console was not built into this deployment.',
    fix: 'Open `/console/` and navigate from there. If `/console/` itself answers this, rebuild: `npm start` and `cdk synth` build the console (tools/console-build.ts).',
    retryable: false,
    raisedBy: 'console Lambda (core/console-assets)',
    detail: 'The console has no file of this name. Its pages are addressed after the # (e.g. /console/#/keys).',
  },
  query_not_found: {
    status: 404,
    title: 'No such report query',
    cause: 'The `queryId` of a usage report matches no running or finished query (it expired, or belongs to another report).',
    fix: 'Send the request again without `queryId`; a new query starts.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'core/usage-report-service',
    detail: 'queryId: no running or finished query matches this report; send the request again without queryId.',
  },
  usage_analytics_off: {
    status: 404,
    title: 'Usage history is turned off',
    cause: 'A usage history (`from`/`to`) was asked for, but this deployment has usage analytics turned off (`keygate:usageAnalytics`).',
    fix: 'Ask without `from`/`to` for the live counters, or have the operator turn usage analytics on.',
    retryable: false,
    audience: 'operator',
    raisedBy: 'keys Lambda',
    detail: 'from/to: usage history needs usage analytics, which this deployment has turned off (keygate:usageAnalytics).',
  },
  // 408
  request_timeout: {
    status: 408,
    title: 'The request was too slow',
    cause: 'The request line, headers or body did not arrive within Node\'s request timeout. Local stack only.',
    fix: 'Send the whole request promptly; check for a client that opens a connection and stalls.',
    retryable: true,
    raisedBy: 'local server',
    detail: 'The request was not received in time.',
  },
  // 409
  key_revoked: {
    status: 409,
    title: 'The key is revoked',
    cause: 'The key is revoked, and a revoked key cannot be changed or rotated.',
    fix: 'Create a new key instead.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'core/key-service',
    detail: 'A revoked key cannot be changed.',
  },
  key_expired: {
    status: 409,
    title: 'The key has expired',
    cause: 'The key has expired, and an expired key cannot be rotated.',
    fix: 'Create a new key instead.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'core/key-service',
    detail: 'An expired key cannot be rotated; create a new key.',
  },
  key_already_rotated: {
    status: 409,
    title: 'The key was already rotated',
    cause: 'The key was already rotated; `detail` names its replacement.',
    fix: 'Rotate the replacement instead, or revoke the old key to end its grace period.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'core/key-service',
    detail: 'This key was already rotated; its replacement is key_01J8Z3T5V9W2X4Y6Z8A0B1C2D3.',
  },
  key_rotated: {
    status: 409,
    title: 'The key is in its rotation grace period',
    cause: 'The key was rotated and only lives until its grace period ends, so it cannot be changed.',
    fix: 'Change the replacement key; revoke this one to end the grace period early.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'core/key-service',
    detail: 'A rotated key expires when its grace period ends; revoke it to end the grace period early.',
  },
  rotation_policy_change: {
    status: 409,
    title: 'The key shares its allowance with the other key of a rotation',
    cause:
      'The key and the key it replaced (or that replaced it) are both still usable and count on one set of counters. Each rate-limit policy counts on its own, so two keys with different policies would each get a full allowance.',
    fix: 'Change the policy once the grace period has ended, or revoke the old key first; a change of limit or window length is allowed.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'core/key-service',
    detail: 'This key shares its allowance with the other key of its rotation until the grace period ends; change the rate-limit policy after that, or revoke the old key first.',
  },
  conflict: {
    status: 409,
    title: 'A concurrent change won',
    cause: 'Another request changed the same key at the same moment, and that change won.',
    fix: 'Fetch the key again, check the change still makes sense, and send it again.',
    retryable: true,
    audience: 'admin',
    raisedBy: 'keys Lambda',
    detail: 'The key was changed by another request at the same time; fetch it and retry.',
  },
  // 413, 415, 431
  payload_too_large: {
    status: 413,
    title: 'The body is too large',
    cause: 'The body is over 16,384 bytes (keys Lambda) or over API Gateway\'s 10 MB.',
    fix: 'Send a smaller body; `metadata` is limited to 4,096 bytes as JSON, and `POST /v1/keys/revoke-leaked` takes at most 100 keys.',
    retryable: false,
    audience: 'admin',
    raisedBy: 'keys Lambda (over 16 KB), gateway REQUEST_TOO_LARGE',
    detail: 'The request body is 20000 bytes; the limit is 16384 bytes.',
  },
  unsupported_media_type: {
    status: 415,
    title: 'The body is not JSON',
    cause: 'A `Content-Type` other than `application/json` or `application/*+json` was sent with the body.',
    fix: 'Send `Content-Type: application/json` (curl: `-H \'Content-Type: application/json\'`; `-d` alone sends a form type).',
    retryable: false,
    audience: 'admin',
    raisedBy: 'keys Lambda',
    detail: 'Content-Type must be application/json (got "application/x-www-form-urlencoded").',
  },
  headers_too_large: {
    status: 431,
    title: 'The headers are too large',
    cause: 'The request line and headers exceed 16,384 bytes. Local stack only (API Gateway\'s limit is 10,240 bytes).',
    fix: 'Send fewer or shorter headers (large cookies are the usual cause).',
    retryable: false,
    raisedBy: 'local server',
    detail: 'The request line and headers exceed 16384 bytes.',
  },
  // 429
  rate_limited: {
    status: [429, 403],
    title: 'Rate limit used up',
    cause: 'The calling key\'s rate limit is used up for this window; or, on `POST /v1/keys/revoke-leaked`, the source address presented more than 100 keys in a minute. The 429 body carries `limit`, `remaining`, `reset` and `retryAfter`. Only where the authorizer has no usage-plan key is it the `reason` of a 403 `forbidden` instead.',
    fix: 'Wait `retryAfter` seconds (or `Retry-After`) and retry; spread requests out, or have an admin raise the key\'s `rateLimit`.',
    retryable: true,
    raisedBy: 'gateway INVALID_API_KEY (authorizer), keys Lambda (revoke-leaked)',
    detail: 'The key’s rate limit is exhausted for this window.',
    authorizerReason: true,
  },
  daily_quota_exceeded: {
    status: [429, 403],
    title: 'Daily quota used up',
    cause: 'The calling key\'s daily quota (UTC day) is used up; or, on `POST /v1/keys/revoke-leaked`, the source address presented more than 1,000 keys in a UTC day.',
    fix: 'Wait until the quota resets (`reset`, `retryAfter`: the next UTC midnight), or have an admin raise the key\'s `quota.daily`.',
    retryable: true,
    raisedBy: 'gateway INVALID_API_KEY (authorizer), keys Lambda (revoke-leaked)',
    detail: 'The key’s daily quota is used up (UTC day).',
    authorizerReason: true,
  },
  monthly_quota_exceeded: {
    status: [429, 403],
    title: 'Monthly quota used up',
    cause: 'The calling key\'s monthly quota (UTC month) is used up.',
    fix: 'Wait until the quota resets (`reset`, `retryAfter`: the first of next month, UTC), or have an admin raise the key\'s `quota.monthly`.',
    retryable: true,
    raisedBy: 'gateway INVALID_API_KEY (authorizer)',
    detail: 'The key’s monthly quota is used up (UTC month).',
    authorizerReason: true,
  },
  throttled: {
    status: 429,
    title: 'API Gateway is throttling',
    cause: 'The API Gateway stage or account throttle refused the request, whatever the key. It carries `Retry-After: 1` and no `X-RateLimit-*`.',
    fix: 'Retry after `Retry-After` seconds with backoff. Operator: if it persists, raise the stage throttling or the account limit.',
    retryable: true,
    raisedBy: 'gateway THROTTLED',
    detail: 'The API is throttling requests; retry shortly.',
  },
  // 5xx
  internal_error: {
    status: 500,
    title: 'A fault on the server',
    cause: 'A fault (a bug, or an error Keygate does not expect). The body is generic on purpose; the details are in the log.',
    fix: 'Operator: find the log line by `requestId` (keys Lambda log group, or the local stack\'s output). Retrying the same request is unlikely to help.',
    retryable: false,
    audience: 'operator',
    raisedBy: 'keys and usage Lambdas, gateway DEFAULT_5XX, local server',
    detail: 'Something went wrong on our side.',
  },
  not_served_locally: {
    status: 501,
    title: 'Operator route not served locally',
    cause: 'An operator route with a Lambda target has no `localHandler`, or it could not be loaded, so the local stack cannot run it (`npm start` only).',
    fix: 'Set the route\'s `localHandler` to a module exporting `handler` (docs/protect-your-api.md, "Locally").',
    retryable: false,
    audience: 'operator',
    raisedBy: 'local gateway',
    detail: 'GET /v1/orders (keygate.routes.json) is not served by the local stack: its Lambda target has no localHandler. Set "localHandler" to a module exporting handler to run it locally.',
  },
  upstream_unavailable: {
    status: 502,
    title: 'The upstream failed',
    cause: 'An operator route\'s upstream could not be reached (connection refused, DNS, TLS), or its Lambda target failed. It carries `Retry-After: 1`.',
    fix: 'Retry shortly. Operator: check the upstream service behind the route and its endpoint and certificate.',
    retryable: true,
    audience: 'operator',
    raisedBy: 'gateway INTEGRATION_FAILURE, API_CONFIGURATION_ERROR',
    detail: 'The service behind this route could not be reached or failed; retry shortly.',
  },
  service_unavailable: {
    status: 503,
    title: 'A dependency is unavailable',
    cause: 'DynamoDB (key or counter table) or KMS failed or timed out in a retryable way. It carries `Retry-After: 1`. A 503 on `POST /v1/keys` may still have created the key.',
    fix: 'Retry after `Retry-After` with backoff. After a 503 on create, list the owner\'s keys before creating again. Operator: see docs/operations.md ("When DynamoDB is slow or down").',
    retryable: true,
    raisedBy: 'keys and usage Lambdas',
    detail: 'A dependency is unavailable; retry shortly.',
  },
  authorizer_unavailable: {
    status: 503,
    title: 'The key could not be checked',
    cause: 'The authorizer could not check the key or count the request (it failed, timed out or is misconfigured), so it fails closed. It carries `Retry-After: 1`.',
    fix: 'Retry after `Retry-After` with backoff. Operator: check the authorizer\'s log and the authorizer unavailability alarm.',
    retryable: true,
    raisedBy: 'gateway AUTHORIZER_FAILURE, AUTHORIZER_CONFIGURATION_ERROR',
    detail: 'The key could not be checked right now; retry shortly.',
  },
  upstream_timeout: {
    status: 504,
    title: 'The upstream did not answer in time',
    cause: 'An operator route\'s target did not answer within the route\'s `timeoutMs` (API Gateway\'s default: 29 s).',
    fix: 'Retry if the request is safe to repeat (it may have been carried out). Operator: check the upstream\'s latency or raise the route\'s `timeoutMs`.',
    retryable: true,
    audience: 'operator',
    raisedBy: 'gateway INTEGRATION_TIMEOUT',
    detail: 'The service behind this route did not answer in time.',
  },
} as const satisfies Readonly<Record<string, ProblemCodeEntry>>;

export type ProblemCode = keyof typeof PROBLEM_CODES;

export interface FieldErrorCodeEntry {
  readonly cause: string;
  readonly fix: string;
  /** A typical `errors[]` entry, for the docs. */
  readonly example: { readonly field: string; readonly message: string };
}

/** The `errors[].code` values: the rule a field broke (docs/api.md, "Input rules"). */
export const FIELD_ERROR_CODES = {
  control_character: {
    cause: '`name` or `description` holds a control character: C0 (U+0000–U+001F, tab and newline included), DEL, C1 (U+0080–U+009F) or the line and paragraph separators U+2028, U+2029.',
    fix: 'Remove the character; names and descriptions are one line of plain text.',
    example: { field: 'name', message: 'must not contain control characters (U+000A at character 9)' },
  },
  bidi_control: {
    cause: '`name` or `description` holds a bidirectional embedding, override or isolate (U+202A–U+202E, U+2066–U+2069), which can make text display differently from what it holds. LRM, RLM and ALM are allowed.',
    fix: 'Remove the character.',
    example: { field: 'name', message: 'must not contain bidirectional override or isolate characters (U+202E at character 4)' },
  },
  zero_width_character: {
    cause: '`name` or `description` holds a zero-width or invisible character (U+200B–U+200D, U+2060–U+2064, U+FEFF inside the text).',
    fix: 'Remove the character; names must read as they are stored.',
    example: { field: 'name', message: 'must not contain zero-width or invisible characters (U+200B at character 3)' },
  },
  lone_surrogate: {
    cause: 'A string holds an unpaired UTF-16 surrogate, which has no UTF-8 form.',
    fix: 'Send complete characters.',
    example: { field: 'metadata', message: 'must not contain unpaired UTF-16 surrogates' },
  },
  nesting_too_deep: {
    cause: 'The value is nested deeper than its limit: 64 levels for the body, 32 for `metadata` (the value itself is level 1).',
    fix: 'Flatten the value.',
    example: { field: 'metadata', message: 'must be nested at most 32 levels deep' },
  },
  duplicate_member: {
    cause: 'An object has the same member twice (also when spelt with escapes).',
    fix: 'Send each member once.',
    example: { field: 'rateLimit.limit', message: 'appears more than once' },
  },
  not_json: {
    cause: '`metadata` holds something that is not a JSON value (reachable only by callers of the core itself; over HTTP every body is JSON).',
    fix: 'Pass plain JSON values: objects, arrays, strings, finite numbers, booleans and null.',
    example: { field: 'metadata', message: 'must hold only JSON values' },
  },
  number_out_of_range: {
    cause: '`metadata` holds a number outside the IEEE double range (such as `1e400`), which would be stored as `null`.',
    fix: 'Send the number as a string, or within the double range.',
    example: { field: 'metadata', message: 'must not contain numbers outside the IEEE double range (they would be stored as null)' },
  },
  burst_without_token_bucket: {
    cause: '`rateLimit.burst` is set but `rateLimit.policy` is not `"tokenBucket"` (absent means `"fixed"`): only a token bucket has a capacity apart from its rate.',
    fix: 'Add `"policy": "tokenBucket"`, or leave `burst` out.',
    example: { field: 'rateLimit.burst', message: 'is only allowed with policy "tokenBucket"' },
  },
  unknown_template: {
    cause: '`template` names no key template of this deployment.',
    fix: 'Use a name `GET /v1/templates` lists, or leave `template` out.',
    example: { field: 'template', message: 'no key template named "ci" in this deployment (see GET /v1/templates)' },
  },
  // Key import (POST /v1/keys/import, core/key-import.ts): the codes of a row's `errors[]` (docs/migration.md).
  legacy_keys_off: {
    cause: 'An import row brings a key that is not in this deployment\'s format (a plaintext `key` from API Gateway or another system, or a `hash` whose `start` is not `<prefix>_live_`/`<prefix>_test_` plus 4 characters), and `keygate:legacyKeys` is off, so such a key could never be verified.',
    fix: 'Set `keygate:legacyKeys` to `true` (cdk.json context or the stage file), deploy, and import again; the verifier then looks up keys of 20-256 printable ASCII characters by hash.',
    example: { field: 'key', message: 'is not a Keygate key of this deployment; set keygate:legacyKeys to true to import and verify keys from other systems (docs/migration.md)' },
  },
  malformed_key: {
    cause: 'An import row\'s `key` is neither a well-formed key of this deployment (shape and checksum) nor a key from another system (20-256 printable ASCII characters, no spaces).',
    fix: 'Check the export: the key may be truncated, or carry spaces or quotes from the file format.',
    example: { field: 'key', message: 'must be a well-formed kg_ key, or a key from another system of 20-256 printable ASCII characters without spaces' },
  },
  key_or_hash: {
    cause: 'An import row gives both `key` and `hash`, neither, or `start` together with `key` (it is derived from the key).',
    fix: 'Give exactly one of `key` (the plaintext) or `hash` with `start`.',
    example: { field: 'key', message: 'give exactly one of key (the plaintext) or hash (its SHA-256, with start)' },
  },
  environment_mismatch: {
    cause: 'An import row\'s `environment` differs from the environment its Keygate key (or `start`) carries (`kg_test_…` is `test`).',
    fix: 'Leave `environment` out for Keygate keys, or make it match.',
    example: { field: 'environment', message: 'must be test, the key\'s own environment (or left out)' },
  },
  duplicate_external_id: {
    cause: 'Two rows of one import request carry the same `externalId`; the later one is not imported.',
    fix: 'Give each key its own `externalId`; remove the duplicate row.',
    example: { field: 'externalId', message: 'repeats row 3 of this request' },
  },
  unknown_scope: {
    cause: 'An import row grants a scope this deployment does not define.',
    fix: 'Use the scopes `GET /v1/scopes` lists, or define the scope first (`keygate:scopes`).',
    example: { field: 'scopes', message: 'not defined in this deployment: orders:refund (see GET /v1/scopes)' },
  },
  external_id_conflict: {
    cause: 'The row\'s `externalId` was imported before with a different key (row status `conflict`). The existing key is never overwritten.',
    fix: 'If the source rotated the key, revoke the imported key and import the new one under a new `externalId`; otherwise fix the export.',
    example: { field: 'externalId', message: 'was imported before with a different key; the existing key was left unchanged (revoke it and import under a new externalId to replace it)' },
  },
  hash_conflict: {
    cause: 'The row\'s key (its hash) already belongs to another Keygate key, imported under another `externalId` or issued by Keygate (row status `conflict`). Which key, and whose, is not said.',
    fix: 'Find the key by its display prefix (`GET /v1/keys`); import each key once.',
    example: { field: 'key', message: 'this key already belongs to another Keygate key; it was not imported again' },
  },
} as const satisfies Readonly<Record<string, FieldErrorCodeEntry>>;

export type FieldErrorCode = keyof typeof FIELD_ERROR_CODES;

/** The entry for a code received from elsewhere (a response body); undefined for an uncatalogued code. */
export function problemCodeEntry(code: string): ProblemCodeEntry | undefined {
  return Object.hasOwn(PROBLEM_CODES, code) ? PROBLEM_CODES[code as ProblemCode] : undefined;
}

export function isProblemCode(code: string): code is ProblemCode {
  return Object.hasOwn(PROBLEM_CODES, code);
}

export function isFieldErrorCode(code: string): code is FieldErrorCode {
  return Object.hasOwn(FIELD_ERROR_CODES, code);
}

/** The statuses of an entry as a list. */
export function statusesOf(entry: ProblemCodeEntry): readonly number[] {
  return typeof entry.status === 'number' ? [entry.status] : entry.status;
}
