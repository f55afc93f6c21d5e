/**
 * The one definition of Keygate's HTTP surface. The CDK stack builds API Gateway
 * resources and methods from it, the authorizer reads each route's required scopes
 * from it, and the local stack serves exactly these routes. Nothing else lists routes.
 */

/** Methods API Gateway REST APIs accept on a resource. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
/** `ANY` is API Gateway's catch-all method: it matches any method a resource has no explicit entry for. */
export type RouteMethod = HttpMethod | 'ANY';


export type Operation =
  | 'health'
  | 'openApi'
  | 'createKey'
  | 'importKeys'
  | 'listKeys'
  | 'getKey'
  | 'updateKey'
  | 'revokeKey'
  | 'rotateKey'
  | 'keyUsage'
  | 'usageReport'
  | 'listAudit'
  | 'verifyAudit'
  | 'revokeLeaked'
  | 'verifyKey'
  | 'listScopes'
  | 'listTemplates'
  | 'whoami'
  | 'echo'
  | 'consoleIndex'
  | 'consoleAsset';

/** What any route table entry has: a method and an API Gateway resource template. */
export interface RouteShape {
  readonly method: RouteMethod;
  /** API Gateway resource path: literal segments, `{param}` segments, optionally a trailing `{name+}`. */
  readonly path: string;
}

/**
 * What the authorizer needs of a route: whether a key is checked, the scopes it requires and
 * the units one request costs. Built-in and operator routes both satisfy it.
 */
export interface AuthorizationRule extends RouteShape {
  /** `false` = no key needed (/health, and the leak report, where the presented keys are the authority). */
  readonly authorized: boolean;
  /** Every scope listed is required; empty = any valid key. `admin` satisfies every requirement. */
  readonly scopes: readonly string[];
  /** Units charged against the key's rate limit and quotas per request. */
  readonly cost: number;
}

/**
 * The Lambda that serves a built-in route: `keys` (key management), `usage` (usage reports,
 * which exists only where usage analytics is on; it alone may query Athena) or `console` (the
 * web console's static files, lambdas/console; it reads no table and holds no secret).
 */
export type RouteHandler = 'keys' | 'usage' | 'console';

/** One of Keygate's own routes, served by the keys or the usage Lambda. */
export interface RouteDefinition extends AuthorizationRule {
  readonly method: HttpMethod;
  /** API Gateway resource path, with `{param}` placeholders. */
  readonly path: string;
  readonly operation: Operation;
  readonly summary: string;
  readonly handler: RouteHandler;
  /**
   * Not an API operation (the web console's page and files): left out of the OpenAPI document
   * and of the typed client, but built, authorized and served like any other route.
   */
  readonly excludeFromDocument?: true;
}

type BuiltIn = Omit<RouteDefinition, 'cost' | 'handler'> & { readonly handler?: RouteHandler };

const BUILT_IN: readonly BuiltIn[] = [
  { method: 'GET', path: '/v1/openapi.json', operation: 'openApi', authorized: false, scopes: [], summary: 'The OpenAPI 3.1 document of this deployment (built-in and operator routes); no key needed.' },
  { method: 'GET', path: '/health', operation: 'health', authorized: false, scopes: [], summary: 'Liveness check; no key needed.' },
  { method: 'POST', path: '/v1/keys', operation: 'createKey', authorized: true, scopes: ['keys:write'], summary: 'Create a key; the plaintext is returned once.' },
  { method: 'POST', path: '/v1/keys/import', operation: 'importKeys', authorized: true, scopes: ['admin'], summary: 'Import existing keys (plaintext, hashed on import, or SHA-256 hashes with their display prefix); idempotent by externalId; dryRun reports what would change. Admin only.' },
  { method: 'GET', path: '/v1/keys', operation: 'listKeys', authorized: true, scopes: ['keys:read'], summary: 'List keys, newest first, with cursor pagination.' },
  { method: 'GET', path: '/v1/keys/{id}', operation: 'getKey', authorized: true, scopes: ['keys:read'], summary: 'Get one key.' },
  { method: 'PATCH', path: '/v1/keys/{id}', operation: 'updateKey', authorized: true, scopes: ['keys:write'], summary: 'Update a key.' },
  { method: 'DELETE', path: '/v1/keys/{id}', operation: 'revokeKey', authorized: true, scopes: ['keys:write'], summary: 'Revoke a key at once (idempotent).' },
  { method: 'POST', path: '/v1/keys/{id}/rotate', operation: 'rotateKey', authorized: true, scopes: ['keys:write'], summary: 'Rotate a key with a grace period.' },
  { method: 'GET', path: '/v1/keys/{id}/usage', operation: 'keyUsage', authorized: true, scopes: ['keys:read'], summary: 'Live rate-limit and quota usage of a key; with from/to, its daily history from the usage records.' },
  { method: 'GET', path: '/v1/usage', operation: 'usageReport', authorized: true, scopes: ['usage:read'], handler: 'usage', summary: 'Usage report over the access records, grouped by day, hour, key, owner, route, status or decision.' },
  { method: 'GET', path: '/v1/audit', operation: 'listAudit', authorized: true, scopes: ['audit:read'], summary: 'Audit entries of key operations, newest first, filtered by key, actor, owner, action and time, with cursor pagination.' },
  { method: 'GET', path: '/v1/audit/verify', operation: 'verifyAudit', authorized: true, scopes: ['audit:read'], summary: 'Recompute the audit hash chain of one key, or of a page of keys, and report the first broken link.' },
  { method: 'POST', path: '/v1/keys/revoke-leaked', operation: 'revokeLeaked', authorized: false, scopes: [], summary: 'Revoke leaked keys by presenting them; no API key needed. Always 202 with the same body; rate-limited per source IP.' },
  { method: 'POST', path: '/v1/verify', operation: 'verifyKey', authorized: true, scopes: ['keys:verify'], summary: 'Verify a key for a backend not behind API Gateway; counts against its limits.' },
  { method: 'GET', path: '/v1/scopes', operation: 'listScopes', authorized: true, scopes: [], summary: 'Scopes this deployment defines.' },
  { method: 'GET', path: '/v1/templates', operation: 'listTemplates', authorized: true, scopes: ['keys:read'], summary: 'Key templates (keygate:keyTemplates) POST /v1/keys can start from.' },
  { method: 'GET', path: '/v1/whoami', operation: 'whoami', authorized: true, scopes: [], summary: 'The calling key.' },
  { method: 'GET', path: '/v1/echo', operation: 'echo', authorized: true, scopes: ['echo:read'], summary: 'Sample protected route.' },
  // The web console: public static code, same origin as the API; every API call it makes carries the user's key.
  { method: 'GET', path: '/console', operation: 'consoleIndex', authorized: false, scopes: [], handler: 'console', excludeFromDocument: true, summary: 'The web console: /console redirects to /console/, which serves its page; no key needed.' },
  { method: 'GET', path: '/console/{proxy+}', operation: 'consoleAsset', authorized: false, scopes: [], handler: 'console', excludeFromDocument: true, summary: 'The web console\'s hashed scripts, styles and images; no key needed.' },
];


/** Keygate's own routes. Every management route costs 1 unit where a limit applies. */
export const ROUTES: readonly RouteDefinition[] = BUILT_IN.map((r) => ({ ...r, handler: r.handler ?? 'keys', cost: 1 }));

/** The routes of the HTTP API proper: everything but the console's (the OpenAPI document, the typed client). */
export const API_ROUTES: readonly RouteDefinition[] = ROUTES.filter((r) => !r.excludeFromDocument);

/** First path segments Keygate reserves for itself: operator routes may not start with them. */
export const RESERVED_FIRST_SEGMENTS: readonly string[] = [...new Set(ROUTES.map((r) => r.path.split('/')[1]!))];

// --- templates -----------------------------------------------------------------------

export type TemplateSegment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'greedy'; readonly name: string };

/** Literal segment characters API Gateway accepts in a resource path part. */
const LITERAL = /^[A-Za-z0-9._~:@-]+$/;
const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}$/;

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** Parses `/orders/{id}/items/{proxy+}`; throws TemplateError naming what is wrong. */
export function parseTemplate(path: string): TemplateSegment[] {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new TemplateError('must start with "/"');
  if (path.length > 1 && path.endsWith('/')) throw new TemplateError('must not end with "/"');
  if (path === '/') return [];
  const parts = path.slice(1).split('/');
  const names = new Set<string>();
  return parts.map((part, i) => {
    if (part === '') throw new TemplateError('has an empty segment ("//")');
    const m = PARAM.exec(part);
    if (m) {
      const name = m[1]!;
      if (names.has(name)) throw new TemplateError(`names the parameter {${name}} twice`);
      names.add(name);
      if (m[2]) {
        if (i !== parts.length - 1) throw new TemplateError(`has the greedy parameter {${name}+} before the last segment`);
        return { kind: 'greedy', name };
      }
      return { kind: 'param', name };
    }
    if (part.includes('{') || part.includes('}')) throw new TemplateError(`has a malformed parameter segment "${part}" (use {name} or a trailing {name+})`);
    if (!LITERAL.test(part)) throw new TemplateError(`has a segment "${part}" with characters API Gateway does not accept (letters, digits and . _ ~ : @ - only)`);
    return { kind: 'literal', value: part };
  });
}

/** The path parameters of a template, in order (`{id}` → id, `{proxy+}` → proxy, greedy). */
export function templateParameters(path: string): { readonly name: string; readonly greedy: boolean }[] {
  return parseTemplate(path).flatMap((s) => (s.kind === 'literal' ? [] : [{ name: s.name, greedy: s.kind === 'greedy' }]));
}

/** The template with parameter names erased: two paths with the same shape are the same API Gateway resource level. */
export function templateShape(path: string): string {
  return (
    '/' +
    parseTemplate(path)
      .map((s) => (s.kind === 'literal' ? s.value : s.kind === 'param' ? '{}' : '{+}'))
      .join('/')
  );
}

function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

/** Path parameters when `segments` match the template, else undefined. */
function matchSegments(template: readonly TemplateSegment[], segments: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    if (t.kind === 'greedy') {
      if (segments.length <= i) return undefined; // a greedy parameter needs at least one segment
      params[t.name] = segments.slice(i).map(decodeSegment).join('/');
      return params;
    }
    const seg = segments[i];
    if (seg === undefined) return undefined;
    if (t.kind === 'literal') {
      if (t.value !== seg) return undefined;
    } else params[t.name] = decodeSegment(seg);
  }
  return segments.length === template.length ? params : undefined;
}

/**
 * Specificity of a template, compared segment by segment: a literal beats a parameter, which
 * beats a greedy parameter (API Gateway's rule for overlapping resources).
 */
function specificity(template: readonly TemplateSegment[]): number[] {
  return template.map((s) => (s.kind === 'literal' ? 2 : s.kind === 'param' ? 1 : 0));
}

function compareSpecificity(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (b[i] ?? -1) - (a[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

export interface MatchedRoute<R extends RouteShape = RouteDefinition> {
  readonly route: R;
  readonly pathParameters: Record<string, string>;
}

/**
 * A route table: what API Gateway would build from the routes, and how it picks one.
 * - `find(method, resource)`: the entry for a resource template, as the authorizer sees it
 *   in `event.resource` (an explicit method first, then `ANY`).
 * - `match(method, path)`: the entry for a concrete request path (the local gateway): the most
 *   specific resource that matches, then its explicit method or `ANY`. A resource that matches
 *   without the method is a miss, as in API Gateway (no fallback to a less specific resource).
 */
export class RouteTable<R extends RouteShape> {
  private readonly byResource = new Map<string, Map<string, R>>();
  private readonly resources: { readonly path: string; readonly template: TemplateSegment[]; readonly rank: number[] }[] = [];

  constructor(readonly routes: readonly R[]) {
    for (const r of routes) {
      let methods = this.byResource.get(r.path);
      if (!methods) {
        methods = new Map();
        this.byResource.set(r.path, methods);
        const template = parseTemplate(r.path);
        this.resources.push({ path: r.path, template, rank: specificity(template) });
      }
      if (methods.has(r.method)) throw new TemplateError(`${r.method} ${r.path} is listed twice`);
      methods.set(r.method, r);
    }
    this.resources.sort((a, b) => compareSpecificity(a.rank, b.rank));
  }

  find(method: string, resourcePath: string): R | undefined {
    const methods = this.byResource.get(resourcePath);
    return methods?.get(method) ?? methods?.get('ANY');
  }

  match(method: string, path: string): MatchedRoute<R> | undefined {
    const segments = path.split('/').filter(Boolean);
    for (const res of this.resources) {
      const params = matchSegments(res.template, segments);
      if (!params) continue;
      const route = this.find(method, res.path);
      return route ? { route, pathParameters: { ...params } } : undefined;
    }
    return undefined;
  }
}

const BUILT_IN_TABLE = new RouteTable(ROUTES);

/** Finds the built-in route for a resource template (what the keys Lambda sees as `resource`). */
export function routeFor(method: string, resourcePath: string): RouteDefinition | undefined {
  return BUILT_IN_TABLE.find(method, resourcePath);
}

/** Matches a concrete request path against the built-in routes. */
export function matchRoute(method: string, path: string): MatchedRoute | undefined {
  return BUILT_IN_TABLE.match(method, path);
}
