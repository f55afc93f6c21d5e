/**
 * Operation → method and path. The server's own table (core/routes.ts) is the one definition;
 * this package is published on its own and cannot import it, so it keeps this copy, and
 * test/client/routes.test.ts fails the moment the two differ.
 */
import type { HttpMethod, Operation, RouteSpec } from './types.js';

export const ROUTES = {
  health: { method: 'GET', path: '/health', authorized: false },
  openApi: { method: 'GET', path: '/v1/openapi.json', authorized: false },
  createKey: { method: 'POST', path: '/v1/keys', authorized: true },
  importKeys: { method: 'POST', path: '/v1/keys/import', authorized: true },
  listKeys: { method: 'GET', path: '/v1/keys', authorized: true },
  getKey: { method: 'GET', path: '/v1/keys/{id}', authorized: true },
  updateKey: { method: 'PATCH', path: '/v1/keys/{id}', authorized: true },
  revokeKey: { method: 'DELETE', path: '/v1/keys/{id}', authorized: true },
  rotateKey: { method: 'POST', path: '/v1/keys/{id}/rotate', authorized: true },
  keyUsage: { method: 'GET', path: '/v1/keys/{id}/usage', authorized: true },
  usageReport: { method: 'GET', path: '/v1/usage', authorized: true },
  listAudit: { method: 'GET', path: '/v1/audit', authorized: true },
  verifyAudit: { method: 'GET', path: '/v1/audit/verify', authorized: true },
  revokeLeaked: { method: 'POST', path: '/v1/keys/revoke-leaked', authorized: false },
  verifyKey: { method: 'POST', path: '/v1/verify', authorized: true },
  listScopes: { method: 'GET', path: '/v1/scopes', authorized: true },
  listTemplates: { method: 'GET', path: '/v1/templates', authorized: true },
  whoami: { method: 'GET', path: '/v1/whoami', authorized: true },
  echo: { method: 'GET', path: '/v1/echo', authorized: true },
} as const satisfies Readonly<Record<Operation, RouteSpec>>;

/** Methods whose repetition has the effect of one call (RFC 9110 §9.2.2): retried by default. */
export const IDEMPOTENT_METHODS: ReadonlySet<HttpMethod> = new Set<HttpMethod>(['GET', 'HEAD', 'PUT', 'DELETE']);

/** A concrete path: `getKey` + `{ id: 'a/b' }` → `GET /v1/keys/a%2Fb`. */
export function routePath(
  operation: Operation,
  params: Readonly<Record<string, string>> = {},
): { readonly method: HttpMethod; readonly path: string; readonly authorized: boolean } {
  const route: RouteSpec | undefined = (ROUTES as Readonly<Record<string, RouteSpec>>)[operation];
  if (!route || !Object.prototype.hasOwnProperty.call(ROUTES, operation)) throw new TypeError(`no route for operation ${String(operation)}`);
  const path = route.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = Object.prototype.hasOwnProperty.call(params, name) ? params[name] : undefined;
    if (value === undefined) throw new TypeError(`route ${route.path} needs parameter ${name}`);
    if (value === '') throw new TypeError(`route ${route.path}: parameter ${name} must not be empty`);
    return encodeURIComponent(value);
  });
  return { method: route.method, path, authorized: route.authorized };
}
