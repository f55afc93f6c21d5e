/**
 * The one definition of Keygate's HTTP surface. The CDK stack builds API Gateway
 * resources and methods from it, the authorizer reads each route's required scopes
 * from it, and the local stack serves exactly these routes. Nothing else lists routes.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Which Lambda serves the route (the CDK stack maps these to functions). */
export type RouteTarget = 'keys';

export type Operation =
  | 'health'
  | 'createKey'
  | 'listKeys'
  | 'getKey'
  | 'updateKey'
  | 'revokeKey'
  | 'rotateKey'
  | 'keyUsage'
  | 'verifyKey'
  | 'listScopes'
  | 'whoami'
  | 'echo';

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway resource path, with `{param}` placeholders. */
  readonly path: string;
  readonly operation: Operation;
  readonly target: RouteTarget;
  /** `false` = no key needed (only /health). */
  readonly authorized: boolean;
  /**
   * Every scope listed is required. An empty list means any valid key may call it.
   * The `admin` scope satisfies every requirement.
   */
  readonly scopes: readonly string[];
  readonly summary: string;
}

export const ROUTES: readonly RouteDefinition[] = [
  { method: 'GET', path: '/health', operation: 'health', target: 'keys', authorized: false, scopes: [], summary: 'Liveness check; no key needed.' },
  { method: 'POST', path: '/v1/keys', operation: 'createKey', target: 'keys', authorized: true, scopes: ['keys:write'], summary: 'Create a key; the plaintext is returned once.' },
  { method: 'GET', path: '/v1/keys', operation: 'listKeys', target: 'keys', authorized: true, scopes: ['keys:read'], summary: 'List keys, newest first, with cursor pagination.' },
  { method: 'GET', path: '/v1/keys/{id}', operation: 'getKey', target: 'keys', authorized: true, scopes: ['keys:read'], summary: 'Get one key.' },
  { method: 'PATCH', path: '/v1/keys/{id}', operation: 'updateKey', target: 'keys', authorized: true, scopes: ['keys:write'], summary: 'Update a key.' },
  { method: 'DELETE', path: '/v1/keys/{id}', operation: 'revokeKey', target: 'keys', authorized: true, scopes: ['keys:write'], summary: 'Revoke a key at once (idempotent).' },
  { method: 'POST', path: '/v1/keys/{id}/rotate', operation: 'rotateKey', target: 'keys', authorized: true, scopes: ['keys:write'], summary: 'Rotate a key with a grace period.' },
  { method: 'GET', path: '/v1/keys/{id}/usage', operation: 'keyUsage', target: 'keys', authorized: true, scopes: ['keys:read'], summary: 'Live rate-limit and quota usage of a key.' },
  { method: 'POST', path: '/v1/verify', operation: 'verifyKey', target: 'keys', authorized: true, scopes: ['keys:verify'], summary: 'Verify a key for a backend not behind API Gateway; counts against its limits.' },
  { method: 'GET', path: '/v1/scopes', operation: 'listScopes', target: 'keys', authorized: true, scopes: [], summary: 'Scopes this deployment defines.' },
  { method: 'GET', path: '/v1/whoami', operation: 'whoami', target: 'keys', authorized: true, scopes: [], summary: 'The calling key.' },
  { method: 'GET', path: '/v1/echo', operation: 'echo', target: 'keys', authorized: true, scopes: ['echo:read'], summary: 'Sample protected route.' },
];

/** Finds the route API Gateway would match for a resource template (what the authorizer sees as `resource`). */
export function routeFor(method: string, resourcePath: string): RouteDefinition | undefined {
  return ROUTES.find((r) => r.method === method && r.path === resourcePath);
}

export interface MatchedRoute {
  readonly route: RouteDefinition;
  readonly pathParameters: Record<string, string>;
}

/** Matches a concrete request path against the route templates (used by the local stack). */
export function matchRoute(method: string, path: string): MatchedRoute | undefined {
  const segments = path.split('/').filter(Boolean);
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const parts = route.path.split('/').filter(Boolean);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const seg = segments[i]!;
      if (part.startsWith('{') && part.endsWith('}')) {
        let value: string;
        try {
          value = decodeURIComponent(seg);
        } catch {
          value = seg;
        }
        params[part.slice(1, -1)] = value;
      } else if (part !== seg) {
        ok = false;
        break;
      }
    }
    if (ok) return { route, pathParameters: params };
  }
  return undefined;
}
