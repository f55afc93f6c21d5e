/**
 * Operator routes: the operator's own APIs that Keygate protects, declared in the
 * `keygate:routes` setting (cdk.json context or a KEYGATE_CONFIG file). This module
 * validates them once, for `cdk synth` and for `npm start` alike, and every error names the
 * entry (`keygate:routes[2] (GET /orders/{id})`) and what is wrong with it.
 *
 * Together with the built-in routes (core/routes.ts) they form one route table: the CDK stack
 * builds methods and integrations from it, the local gateway serves it, and the authorizer
 * reads each route's scopes and cost from it (the compact encoding at the end of this file,
 * carried in its environment).
 */
import {
  type AuthorizationRule,
  HTTP_METHODS,
  parseTemplate,
  RESERVED_FIRST_SEGMENTS,
  type RouteMethod,
  ROUTES,
  RouteTable,
  templateParameters,
  templateShape,
  TemplateError,
  type TemplateSegment,
} from './routes';
import { SCOPE_PATTERN } from './scopes';

export type OperatorTarget =
  | {
      readonly kind: 'upstream';
      /** HTTP(S) URL template; `{name}` placeholders take the route's path parameters (`{proxy}` for `{proxy+}`). */
      readonly url: string;
    }
  | {
      readonly kind: 'lambda';
      readonly functionArn: string;
      /** Local stack only: module exporting `handler`, run in process for this route (relative to the working directory). */
      readonly localHandler?: string;
    };

export interface OperatorRoute extends AuthorizationRule {
  readonly method: RouteMethod;
  /** Where the entry came from, for messages: `keygate:routes[2]`. */
  readonly source: string;
  /** Short name (config `name`, else derived from method and path); API Gateway operation name. */
  readonly name: string;
  readonly target: OperatorTarget;
  /** Integration timeout; absent = API Gateway's default (29 s). */
  readonly timeoutMs?: number;
  /** Pass the caller's Authorization and X-API-Key headers on to the target. */
  readonly forwardCredentials: boolean;
  readonly summary: string;
}

/** Bounds of `timeoutMs` (API Gateway REST integration timeout: 50 ms to 29 s by default). */
export const TIMEOUT_MS_RANGE = { min: 50, max: 29_000 } as const;
/** Bounds of `cost`. */
export const COST_RANGE = { min: 1, max: 1_000 } as const;
export const MAX_OPERATOR_ROUTES = 100;

export const ROUTES_SETTING = 'keygate:routes';

export class RouteConfigError extends Error {
  override readonly name = 'RouteConfigError';
}

const ENTRY_KEYS = new Set(['name', 'path', 'methods', 'scopes', 'upstream', 'lambda', 'localHandler', 'cost', 'timeoutMs', 'forwardCredentials', 'summary']);
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$/;
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;

/** The `{name}` placeholders of an upstream URL template, in order. */
export function urlPlaceholders(url: string): string[] {
  return [...url.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

function label(index: number, entry: Record<string, unknown>): string {
  const methods = Array.isArray(entry.methods) ? entry.methods.filter((m) => typeof m === 'string').join(',') : '?';
  const path = typeof entry.path === 'string' ? entry.path.slice(0, 200) : '?';
  return `${ROUTES_SETTING}[${index}] (${methods} ${path})`;
}

/** The path parameter each `{name}` placeholder of an upstream URL takes, checked against the route's template. */
function checkUpstream(raw: unknown, template: readonly TemplateSegment[], fail: (msg: string) => never): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) fail('upstream must be an http:// or https:// URL of at most 2048 characters');
  const params = new Set(template.filter((s) => s.kind !== 'literal').map((s) => (s as { name: string }).name));
  for (const name of urlPlaceholders(raw)) {
    if (!params.has(name)) {
      fail(`upstream placeholder {${name}} is not a path parameter of the route (it has ${params.size ? [...params].map((p) => `{${p}}`).join(', ') : 'none'})`);
    }
  }
  // Placeholders only in the path: the host and scheme are fixed at deploy time.
  const probe = raw.replace(PLACEHOLDER, 'x');
  let url: URL;
  try {
    url = new URL(probe);
  } catch {
    fail(`upstream ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`upstream must use http or https (got ${url.protocol})`);
  if (url.username || url.password) fail('upstream must not carry credentials in the URL');
  if (url.search || url.hash || raw.includes('?') || raw.includes('#')) fail('upstream must not have a query string or fragment (the caller\'s query string is passed through)');
  const pathStart = raw.indexOf('/', raw.indexOf('//') + 2);
  const origin = pathStart === -1 ? raw : raw.slice(0, pathStart);
  if (/[{}]/.test(origin)) fail('upstream placeholders may appear only in the URL path');
  return raw;
}

/**
 * Validates `keygate:routes` and expands each entry into one route per method.
 * `knownScopes` are every scope the deployment defines (built-ins included).
 */
export function parseOperatorRoutes(raw: unknown, knownScopes: readonly string[]): OperatorRoute[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new RouteConfigError(`${ROUTES_SETTING} must be a list of routes (got ${typeof raw})`);
  if (raw.length > MAX_OPERATOR_ROUTES) throw new RouteConfigError(`${ROUTES_SETTING} lists ${raw.length} routes; at most ${MAX_OPERATOR_ROUTES} are supported`);
  const known = new Set(knownScopes);
  const out: OperatorRoute[] = [];
  const names = new Map<string, string>();
  raw.forEach((entryRaw: unknown, index) => {
    if (!entryRaw || typeof entryRaw !== 'object' || Array.isArray(entryRaw)) {
      throw new RouteConfigError(`${ROUTES_SETTING}[${index}] must be an object with path, methods, scopes and upstream or lambda`);
    }
    const entry = entryRaw as Record<string, unknown>;
    const where = label(index, entry);
    const fail: (msg: string) => never = (msg) => {
      throw new RouteConfigError(`${where}: ${msg}`);
    };
    for (const k of Object.keys(entry)) if (!ENTRY_KEYS.has(k)) fail(`unknown field "${k}" (known: ${[...ENTRY_KEYS].join(', ')})`);

    let template: TemplateSegment[];
    try {
      template = parseTemplate(entry.path as string);
    } catch (err) {
      if (err instanceof TemplateError) fail(`path ${JSON.stringify(entry.path)} ${err.message}`);
      throw err;
    }
    const path = entry.path as string;
    const first = template[0];
    if (!first) fail('path "/" is not allowed: start with a literal segment such as /orders');
    if (first.kind !== 'literal') fail('the first path segment must be literal, so the route cannot capture Keygate\'s own /v1 and /health');
    if (RESERVED_FIRST_SEGMENTS.includes(first.value)) {
      fail(`path collides with Keygate's own routes (/${first.value} is reserved: ${RESERVED_FIRST_SEGMENTS.map((s) => `/${s}`).join(', ')})`);
    }

    if (!Array.isArray(entry.methods) || entry.methods.length === 0) fail('methods must be a non-empty list such as ["GET"] or ["ANY"]');
    const methods = entry.methods as unknown[];
    for (const m of methods) {
      if (m !== 'ANY' && !(HTTP_METHODS as readonly unknown[]).includes(m)) fail(`method ${JSON.stringify(m)} is not one of ANY, ${HTTP_METHODS.join(', ')}`);
    }
    if (new Set(methods).size !== methods.length) fail('methods lists a method twice');
    if (methods.includes('ANY') && methods.length > 1) fail('"ANY" already covers every method; list it alone');

    if (!Array.isArray(entry.scopes)) fail('scopes must be a list (an empty list means any valid key)');
    const scopes = entry.scopes as unknown[];
    for (const s of scopes) {
      if (typeof s !== 'string' || !SCOPE_PATTERN.test(s)) fail(`scope ${JSON.stringify(s)} is not a well-formed scope name`);
      if (!known.has(s as string)) fail(`scope "${s as string}" is not defined; add it to keygate:scopes (defined: ${[...known].join(', ')})`);
    }
    if (new Set(scopes).size !== scopes.length) fail('scopes lists a scope twice');

    const hasUpstream = entry.upstream !== undefined;
    const hasLambda = entry.lambda !== undefined;
    if (hasUpstream === hasLambda) fail('needs exactly one target: "upstream" (an HTTP(S) URL) or "lambda" (a function ARN)');
    let target: OperatorTarget;
    if (hasUpstream) {
      if (entry.localHandler !== undefined) fail('localHandler applies only to lambda targets');
      target = { kind: 'upstream', url: checkUpstream(entry.upstream, template, fail) };
    } else {
      if (typeof entry.lambda !== 'string' || !LAMBDA_ARN.test(entry.lambda)) {
        fail(`lambda must be a Lambda function ARN, arn:aws:lambda:<region>:<account>:function:<name>[:<alias>] (got ${JSON.stringify(entry.lambda)})`);
      }
      if (entry.localHandler !== undefined && (typeof entry.localHandler !== 'string' || entry.localHandler.trim() === '')) {
        fail('localHandler must be a module path exporting handler');
      }
      target = { kind: 'lambda', functionArn: entry.lambda as string, ...(entry.localHandler ? { localHandler: entry.localHandler as string } : {}) };
    }

    const cost = entry.cost ?? 1;
    if (!Number.isInteger(cost) || (cost as number) < COST_RANGE.min || (cost as number) > COST_RANGE.max) {
      fail(`cost must be an integer from ${COST_RANGE.min} to ${COST_RANGE.max} (got ${JSON.stringify(entry.cost)})`);
    }
    const timeoutMs = entry.timeoutMs;
    if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || (timeoutMs as number) < TIMEOUT_MS_RANGE.min || (timeoutMs as number) > TIMEOUT_MS_RANGE.max)) {
      fail(`timeoutMs must be an integer from ${TIMEOUT_MS_RANGE.min} to ${TIMEOUT_MS_RANGE.max} (got ${JSON.stringify(timeoutMs)})`);
    }
    const forward = entry.forwardCredentials ?? false;
    if (typeof forward !== 'boolean') fail('forwardCredentials must be true or false');
    if (entry.summary !== undefined && (typeof entry.summary !== 'string' || entry.summary.length > 200)) fail('summary must be a string of at most 200 characters');

    const baseName = entry.name ?? defaultName(path);
    if (typeof baseName !== 'string' || !NAME.test(baseName)) fail(`name must match ${NAME} (got ${JSON.stringify(entry.name)})`);
    const seenAt = names.get(baseName as string);
    if (seenAt) fail(`name "${baseName as string}" is already used by ${seenAt}`);
    names.set(baseName as string, where);

    for (const method of methods as RouteMethod[]) {
      out.push({
        method,
        path,
        authorized: true,
        scopes: scopes as string[],
        cost: cost as number,
        source: where,
        name: methods.length > 1 ? `${baseName as string}-${method.toLowerCase()}` : (baseName as string),
        target,
        ...(timeoutMs !== undefined ? { timeoutMs: timeoutMs as number } : {}),
        forwardCredentials: forward as boolean,
        summary: (entry.summary as string | undefined) ?? `Operator route: ${method} ${path}`,
      });
    }
  });
  checkOverlaps(out);
  return out;
}

function defaultName(path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((s) => s.replace(/[{}+]/g, '').replace(/[^A-Za-z0-9]+/g, '-'))
    .filter(Boolean);
  const name = words.join('-').replace(/^[^A-Za-z]+/, '').slice(0, 64);
  return name || 'route';
}

/**
 * Routes API Gateway would reject or resolve ambiguously: the same resource and method twice
 * (also through differently named parameters), and sibling parameters with different names
 * (`/orders/{id}` and `/orders/{orderId}`: API Gateway allows one variable per level).
 */
function checkOverlaps(routes: readonly OperatorRoute[]): void {
  const byShape = new Map<string, OperatorRoute>();
  for (const r of routes) {
    const key = `${r.method} ${templateShape(r.path)}`;
    const other = byShape.get(key);
    if (other) {
      throw new RouteConfigError(
        other.source === r.source
          ? `${r.source}: overlaps itself`
          : `${r.source}: overlaps ${other.source}: both serve ${r.method} on ${templateShape(r.path)} (parameter names do not make paths different)`,
      );
    }
    byShape.set(key, r);
  }
  // One variable name per level under the same parent.
  const varAt = new Map<string, { name: string; source: string }>();
  for (const r of routes) {
    const segs = parseTemplate(r.path);
    let parent = '';
    for (const s of segs) {
      if (s.kind !== 'literal') {
        const seen = varAt.get(parent);
        const shown = s.kind === 'greedy' ? `{${s.name}+}` : `{${s.name}}`;
        if (seen && seen.name !== shown) {
          throw new RouteConfigError(
            `${r.source}: ${shown} and ${seen.name} (${seen.source}) are different parameters at the same level under "${parent || '/'}"; API Gateway allows one, so use the same name`,
          );
        }
        varAt.set(parent, { name: shown, source: r.source });
      }
      parent += '/' + (s.kind === 'literal' ? s.value : '{}');
    }
  }
}

// --- the authorizer's copy -------------------------------------------------------------

/** Environment variable carrying the operator routes' authorization rules to the authorizer. */
export const ROUTES_ENV = 'KEYGATE_ROUTES';

/** Compact form: `[method, path, "scope scope", cost]` per operator route. */
type EncodedRule = [RouteMethod, string, string, number];

export function encodeAuthorizationRules(routes: readonly AuthorizationRule[]): string {
  return JSON.stringify(routes.map((r): EncodedRule => [r.method, r.path, r.scopes.join(' '), r.cost]));
}

/** The operator routes' authorization rules from their compact encoding (`KEYGATE_ROUTES`). */
export function decodeAuthorizationRules(encoded: string | undefined): AuthorizationRule[] {
  if (!encoded) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(encoded);
  } catch {
    throw new RouteConfigError(`${ROUTES_ENV} is not valid JSON`);
  }
  if (!Array.isArray(parsed)) throw new RouteConfigError(`${ROUTES_ENV} must be a JSON list`);
  return (parsed as unknown[]).map((item) => {
    const [method, path, scopes, cost] = item as EncodedRule;
    if (typeof path !== 'string' || typeof scopes !== 'string' || !Number.isInteger(cost)) throw new RouteConfigError(`${ROUTES_ENV} has a malformed entry`);
    return { method, path, authorized: true, scopes: scopes === '' ? [] : scopes.split(' '), cost };
  });
}

/** The authorizer's route table: built-in routes plus the operator routes from its environment. */
export function authorizationTable(encoded: string | undefined): RouteTable<AuthorizationRule> {
  return new RouteTable<AuthorizationRule>([...ROUTES, ...decodeAuthorizationRules(encoded)]);
}

/** The full route table for the CDK stack and the local gateway. */
export type KeygateRoute = (typeof ROUTES)[number] | OperatorRoute;

export function isOperatorRoute(r: KeygateRoute): r is OperatorRoute {
  return 'target' in r;
}

export function fullRouteTable(operatorRoutes: readonly OperatorRoute[]): RouteTable<KeygateRoute> {
  return new RouteTable<KeygateRoute>([...ROUTES, ...operatorRoutes]);
}

// --- upstream URLs ---------------------------------------------------------------------

/**
 * The URL a request is proxied to: placeholders replaced by the request's (decoded) path
 * parameters, percent-encoded again — a greedy parameter segment by segment, keeping its
 * slashes; any other whole, so an encoded `/` stays `%2F` — and the caller's query string
 * appended unchanged, as API Gateway's HTTP proxy integration does.
 */
export function upstreamUrl(routePath: string, template: string, pathParameters: Readonly<Record<string, string>>, rawQuery: string): string {
  const greedy = new Set(templateParameters(routePath).flatMap((p) => (p.greedy ? [p.name] : [])));
  const base = template.replace(PLACEHOLDER, (_m, name: string) => {
    const value = pathParameters[name] ?? '';
    return greedy.has(name) ? value.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(value);
  });
  return rawQuery ? `${base}?${rawQuery}` : base;
}
