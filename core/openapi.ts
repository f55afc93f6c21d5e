/**
 * The OpenAPI 3.1 document of Keygate's HTTP API, generated from the route table
 * (core/routes.ts), the operator routes, the request and response schemas (core/schemas.ts,
 * through core/api-schemas.ts) and the problem-code catalogue (core/problem-codes.ts). The keys
 * Lambda and the local stack serve it at `GET /v1/openapi.json`; docs/openapi.json is the same
 * document without operator routes, committed and checked by a test.
 *
 * This module only assembles: it takes JSON Schemas already converted, so it depends on no
 * schema library and no cloud SDK.
 */
import { RATE_LIMIT_HEADERS } from './rate-limit-headers';
import { PROBLEM_CODES, type ProblemCode } from './problem-codes';
import { API_ROUTES, type AuthorizationRule, HTTP_METHODS, type Operation, type RouteDefinition, templateParameters } from './routes';
import type { ScopeDefinition } from './scopes';

export type JsonSchema = Readonly<Record<string, unknown>>;

export interface ContractResponse {
  readonly description: string;
  /** Name of a schema in {@link ApiContract.schemas}; absent = no body. */
  readonly schema?: string;
  /** Response headers beyond the rate-limit ones (documented in components.headers). */
  readonly headers?: readonly string[];
}

/** What one operation takes and answers, by schema name. */
export interface OperationContract {
  /** Object schema whose properties are the query parameters. */
  readonly query?: string;
  readonly body?: string;
  /** The body may be left out. */
  readonly bodyOptional?: boolean;
  readonly responses: Readonly<Record<number, ContractResponse>>;
}

export interface ApiContract {
  readonly operations: Readonly<Record<Operation, OperationContract>>;
  /** Named JSON Schemas (draft 2020-12), referenced as `#/components/schemas/<name>`. */
  readonly schemas: Readonly<Record<string, JsonSchema>>;
}

export interface OpenApiOptions {
  /** The package version (info.version). */
  readonly version: string;
  /** Where the API is served; absent = the local stack and the API Gateway URL template. */
  readonly serverUrl?: string;
  /** The deployment's operator routes (keygate:routes), documented with their scopes and cost. */
  readonly operatorRoutes?: readonly (AuthorizationRule & { readonly summary?: string; readonly name?: string })[];
  /** The deployment's scopes, listed in the description of the security schemes. */
  readonly scopes?: readonly ScopeDefinition[];
}

/** Headers the edge adds to answers, described once. */
export const RESPONSE_HEADERS: Readonly<Record<string, { readonly description: string; readonly schema: JsonSchema }>> = {
  'X-RateLimit-Limit': { description: "The key's rate limit for the current window (the headline limit when several apply).", schema: { type: 'integer', minimum: 0 } },
  'X-RateLimit-Remaining': { description: 'Units left in the current window.', schema: { type: 'integer', minimum: 0 } },
  'X-RateLimit-Reset': { description: 'Unix time (seconds) at which the current window resets.', schema: { type: 'integer', minimum: 0 } },
  'RateLimit-Policy': {
    description:
      'The key\'s limits (IETF draft-ietf-httpapi-ratelimit-headers-11, a Structured Field list): one item per limit, `"rate"`, `"daily"`, `"monthly"`, with `q` (units) and `w` (seconds; for a token bucket `q` is the burst and `w` the time to refill it) and, on `"rate"`, `keygate-policy` (`fixed`, `sliding` or `tokenBucket`). Example: `"rate";q=100;w=60;keygate-policy="fixed", "daily";q=5000;w=86400`.',
    schema: { type: 'string' },
  },
  RateLimit: {
    description:
      'What is left of each limit (same draft): `r` units available now and `t` seconds until the limit is full again (for a limit that refused the request: until the request fits it again). Example: `"rate";r=99;t=42, "daily";r=4999;t=51234`.',
    schema: { type: 'string' },
  },
  'Retry-After': { description: 'Seconds to wait before retrying (never earlier than the `t` of any limit that refused).', schema: { type: 'integer', minimum: 0 } },
  Location: { description: 'URL of the created resource, or of the running report to poll.', schema: { type: 'string' } },
  Link: { description: 'RFC 8288 links, e.g. `rel="audit"` to the key\'s audit trail.', schema: { type: 'string' } },
};

const RATE_LIMIT_HEADER_NAMES = Object.keys(RATE_LIMIT_HEADERS);

const PROBLEM_SCHEMA = 'ProblemDetails';

const TAGS = [
  { name: 'Keys', description: 'Create, list, update, rotate, revoke and import API keys.' },
  { name: 'Verification', description: 'Verify a key from a backend that is not behind the API Gateway.' },
  { name: 'Usage', description: 'Live counters and usage reports over the access records.' },
  { name: 'Audit', description: 'The audit trail of key operations and its hash chain.' },
  { name: 'Meta', description: 'Health, the caller, scopes, templates and this document.' },
  { name: 'Operator routes', description: "The operator's own APIs behind the Keygate authorizer (keygate:routes)." },
] as const;

function tagOf(route: RouteDefinition): string {
  if (route.operation === 'verifyKey') return 'Verification';
  if (route.operation === 'keyUsage' || route.operation === 'usageReport') return 'Usage';
  if (route.path.startsWith('/v1/audit')) return 'Audit';
  if (route.path.startsWith('/v1/keys')) return 'Keys';
  return 'Meta';
}

const SECURITY_SCHEMES = ['bearerAuth', 'apiKeyHeader'] as const;

/** Both ways to present a key; OpenAPI 3.1 lets non-OAuth requirements list role names, here the scopes. */
function securityFor(rule: AuthorizationRule): Record<string, string[]>[] {
  if (!rule.authorized) return [];
  return SECURITY_SCHEMES.map((s) => ({ [s]: [...rule.scopes] }));
}

function codesWithStatus(status: number): ProblemCode[] {
  return (Object.keys(PROBLEM_CODES) as ProblemCode[]).filter((code) => {
    const s = PROBLEM_CODES[code].status;
    return Array.isArray(s) ? s.includes(status) : s === status;
  });
}

/** Every status some problem code is answered with. */
function problemStatuses(): number[] {
  const all = new Set<number>();
  for (const entry of Object.values(PROBLEM_CODES)) for (const s of [entry.status].flat()) all.add(s);
  return [...all].sort((a, b) => a - b);
}

function problemResponseName(status: number): string {
  return `Problem${status}`;
}

function problemResponse(status: number): Record<string, unknown> {
  const codes = codesWithStatus(status);
  const first = codes[0]!;
  const entry = PROBLEM_CODES[first];
  const headers: Record<string, unknown> = {};
  if (status === 429) for (const h of ['Retry-After', ...RATE_LIMIT_HEADER_NAMES]) headers[h] = { $ref: `#/components/headers/${h}` };
  if (status === 503) headers['Retry-After'] = { $ref: '#/components/headers/Retry-After' };
  return {
    description: `Problem details (RFC 9457). \`code\` is one of: ${codes.map((c) => `\`${c}\``).join(', ')}. See docs/troubleshooting.md for each code's cause and fix.`,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: {
      'application/problem+json': {
        schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA}` },
        example: {
          type: `urn:keygate:problem:${first}`,
          title: entry.title,
          status,
          code: first,
          detail: entry.cause,
          requestId: 'c0ffee00-0000-4000-8000-000000000000',
        },
      },
    },
  };
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Which error statuses a route can answer with, from what it takes and whether it needs a key. */
function errorStatuses(rule: AuthorizationRule, contract: OperationContract | undefined, available: ReadonlySet<number>): number[] {
  const out = new Set<number>([429, 500, 503]); // stage throttling applies to every route, keyed or not
  const hasParams = templateParameters(rule.path).length > 0;
  if (!contract || contract.body || contract.query || hasParams) out.add(400);
  if (rule.authorized) {
    out.add(401);
    out.add(403);
  }
  if (hasParams || !contract) out.add(404);
  if (contract && WRITES.has(rule.method) && rule.path.startsWith('/v1/keys/{id}')) out.add(409);
  if (!contract || contract.body) {
    out.add(413);
    out.add(415);
  }
  return [...out].filter((s) => available.has(s)).sort((a, b) => a - b);
}

/** Names of the components a document references, directly or through other components. */
function reachable(roots: unknown, components: Readonly<Record<string, Readonly<Record<string, unknown>>>>): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  const stack: unknown[] = [roots];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...node);
    else if (node && typeof node === 'object') {
      for (const [k, value] of Object.entries(node)) {
        if (k === '$ref' && typeof value === 'string' && value.startsWith('#/components/')) {
          const [, , section, name] = value.split('/') as [string, string, string, string];
          const names = seen.get(section) ?? new Set<string>();
          seen.set(section, names);
          if (!names.has(name)) {
            names.add(name);
            stack.push(components[section]?.[name]);
          }
        } else stack.push(value);
      }
    }
  }
  return seen;
}

function only<T>(all: Readonly<Record<string, T>>, names: Set<string> | undefined): Record<string, T> {
  return Object.fromEntries(Object.entries(all).filter(([name]) => names?.has(name)));
}

function parametersFor(rule: AuthorizationRule, contract: OperationContract | undefined, schemas: ApiContract['schemas']): unknown[] {
  const params: unknown[] = templateParameters(rule.path).map((p) => ({
    name: p.name,
    in: 'path',
    required: true,
    ...(p.greedy ? { description: 'The rest of the path (a greedy parameter: may contain "/").' } : {}),
    schema: p.name === 'id' && !p.greedy ? { type: 'string', pattern: '^key_[0-9A-HJKMNP-TV-Z]{26}$' } : { type: 'string' },
  }));
  if (contract?.query) {
    const q = schemas[contract.query];
    if (!q) throw new Error(`query schema ${contract.query} is not among the contract's schemas`);
    const props = (q.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((q.required ?? []) as string[]);
    for (const [name, schema] of Object.entries(props)) {
      const { description, ...rest } = schema as { description?: string };
      params.push({ name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema: rest });
    }
  }
  return params;
}

function headerRefs(names: readonly string[]): Record<string, unknown> | undefined {
  if (names.length === 0) return undefined;
  return Object.fromEntries(names.map((h) => [h, { $ref: `#/components/headers/${h}` }]));
}

function successResponses(rule: AuthorizationRule, contract: OperationContract): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(contract.responses)) {
    const names = [...(r.headers ?? []), ...(rule.authorized ? RATE_LIMIT_HEADER_NAMES : [])];
    const headers = headerRefs(names);
    out[status] = {
      description: r.description,
      ...(headers ? { headers } : {}),
      ...(r.schema ? { content: { 'application/json': { schema: { $ref: `#/components/schemas/${r.schema}` } } } } : {}),
    };
  }
  return out;
}

function describeRule(rule: AuthorizationRule, summary: string): string {
  const who = !rule.authorized
    ? 'No key needed.'
    : rule.scopes.length === 0
      ? 'Any valid key.'
      : `Requires the scope${rule.scopes.length > 1 ? 's' : ''} ${rule.scopes.map((s) => `\`${s}\``).join(', ')} (\`admin\` satisfies every scope).`;
  const cost = rule.authorized ? ` Costs ${rule.cost} unit${rule.cost === 1 ? '' : 's'} against the key's rate limit and quotas.` : '';
  return `${summary}\n\n${who}${cost}`;
}

/** operationId of an operator route: its configured name, else method and path. */
function operatorOperationId(rule: AuthorizationRule & { readonly name?: string }, method: string): string {
  const base = rule.name ?? `${method.toLowerCase()}${rule.path.replace(/[{}+]/g, '').split('/').filter(Boolean).map((s) => s.charAt(0).toUpperCase() + s.slice(1).replace(/[^A-Za-z0-9]/g, '')).join('')}`;
  return rule.method === 'ANY' ? `${base}_${method.toLowerCase()}` : base;
}

function securitySchemes(scopes: readonly ScopeDefinition[] | undefined): Record<string, unknown> {
  const scopeList = scopes && scopes.length > 0 ? ` Scopes of this deployment: ${scopes.map((s) => `\`${s.name}\``).join(', ')}.` : '';
  return {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'Keygate key (kg_<env>_…)',
      description: `A Keygate key in \`Authorization: Bearer <key>\`. Each operation lists the scopes it needs.${scopeList}`,
    },
    apiKeyHeader: {
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
      description: 'The same key in the `X-API-Key` header, for clients that cannot set Authorization.',
    },
  };
}

export function buildOpenApi(contract: ApiContract, options: OpenApiOptions): Record<string, unknown> {
  if (!contract.schemas[PROBLEM_SCHEMA]) throw new Error(`the contract has no ${PROBLEM_SCHEMA} schema`);
  const statuses = new Set(problemStatuses());
  const paths: Record<string, Record<string, unknown>> = {};
  const at = (path: string): Record<string, unknown> => (paths[path] ??= {});

  // The console's routes are built and served like the others, but they are pages, not API operations.
  for (const route of API_ROUTES) {
    const c = contract.operations[route.operation];
    if (!c) throw new Error(`no contract for operation ${route.operation}`);
    const parameters = parametersFor(route, c, contract.schemas);
    const responses: Record<string, unknown> = successResponses(route, c);
    for (const s of errorStatuses(route, c, statuses)) responses[String(s)] = { $ref: `#/components/responses/${problemResponseName(s)}` };
    at(route.path)[route.method.toLowerCase()] = {
      operationId: route.operation,
      summary: route.summary.replace(/\.$/, ''),
      description: describeRule(route, route.summary),
      tags: [tagOf(route)],
      security: securityFor(route),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(c.body ? { requestBody: { required: !c.bodyOptional, content: { 'application/json': { schema: { $ref: `#/components/schemas/${c.body}` } } } } } : {}),
      responses,
      'x-keygate-scopes': [...route.scopes],
      'x-keygate-cost': route.cost,
    };
  }

  for (const rule of options.operatorRoutes ?? []) {
    const methods = rule.method === 'ANY' ? HTTP_METHODS.filter((m) => m !== 'OPTIONS' && m !== 'HEAD') : [rule.method];
    for (const method of methods) {
      const path = at(rule.path);
      const key = method.toLowerCase();
      if (path[key]) continue; // an explicit method wins over ANY, as in API Gateway
      const parameters = parametersFor(rule, undefined, contract.schemas);
      const responses: Record<string, unknown> = {
        default: { description: "The operator's backend answer, passed through unchanged.", headers: headerRefs(RATE_LIMIT_HEADER_NAMES) },
      };
      for (const s of [401, 403, 429, 500, 502, 503, 504]) if (statuses.has(s)) responses[String(s)] = { $ref: `#/components/responses/${problemResponseName(s)}` };
      path[key] = {
        operationId: operatorOperationId(rule, method),
        summary: rule.summary ?? `${method} ${rule.path}`,
        description: describeRule(rule, rule.summary ?? "An operator route, served by the operator's backend behind the Keygate authorizer."),
        tags: ['Operator routes'],
        security: securityFor(rule),
        ...(parameters.length > 0 ? { parameters } : {}),
        responses,
        'x-keygate-scopes': [...rule.scopes],
        'x-keygate-cost': rule.cost,
      };
    }
  }

  const servers = options.serverUrl
    ? [{ url: options.serverUrl, description: 'This deployment' }]
    : [
        { url: 'http://127.0.0.1:3000', description: 'The local stack (npm start)' },
        {
          url: 'https://{apiId}.execute-api.{region}.amazonaws.com/{stage}',
          description: 'A deployed stack (the ApiUrl output of cdk deploy)',
          variables: { apiId: { default: 'abcdef1234' }, region: { default: 'us-east-1' }, stage: { default: 'prod' } },
        },
      ];

  // Only what the operations reference: query schemas become parameters, and statuses no route answers stay out.
  const allComponents = {
    schemas: contract.schemas,
    responses: Object.fromEntries([...statuses].map((s) => [problemResponseName(s), problemResponse(s)])),
    headers: Object.fromEntries(Object.entries(RESPONSE_HEADERS).map(([name, h]) => [name, { description: h.description, schema: h.schema }])),
  };
  const used = reachable(paths, allComponents);

  return {
    openapi: '3.1.0',
    info: {
      title: 'Keygate API',
      version: options.version,
      summary: 'Self-hosted API-key management: keys, verification, usage and audit.',
      description:
        'Manage API keys (hashed, checksummed, rotated with a grace period, scoped, IP-restricted), verify them, read usage and the audit trail. Every error is `application/problem+json` with a stable `code` (docs/troubleshooting.md).',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers,
    security: SECURITY_SCHEMES.map((s) => ({ [s]: [] })),
    tags: TAGS.filter((t) => t.name !== 'Operator routes' || (options.operatorRoutes?.length ?? 0) > 0),
    paths,
    components: {
      securitySchemes: securitySchemes(options.scopes),
      schemas: only(allComponents.schemas, used.get('schemas')),
      responses: only(allComponents.responses, used.get('responses')),
      headers: only(allComponents.headers, used.get('headers')),
    },
  };
}
