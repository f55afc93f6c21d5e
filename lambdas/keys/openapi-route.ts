/**
 * GET /v1/openapi.json: the document of this deployment (built-in routes, its operator routes
 * and scopes), with `servers` pointing at the URL the caller used. Built once per container
 * and server URL; only the last server URL is remembered, so a caller cannot grow memory by
 * varying the Host header.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { openApiDocument } from '../../core/api-contract';
import type { AuthorizationRule } from '../../core/routes';
import type { ScopeDefinition } from '../../core/scopes';
import { header } from '../shared/http';

/** A host name or address with an optional port; anything else is not echoed into the document. */
const HOST = /^(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](?::\d{1,5})?$/;

/**
 * The base URL the caller reached this route through: scheme and Host, plus whatever precedes
 * the resource path in `requestContext.path` (the stage on an execute-api URL, a base-path
 * mapping on a custom domain, nothing on the local stack). Undefined when the Host is unusable.
 */
export function serverUrlOf(event: APIGatewayProxyEvent): string | undefined {
  const host = header(event, 'host') || undefined;
  if (!host || !HOST.test(host)) return undefined;
  const forwarded = header(event, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  const loopback = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?$/.test(host);
  const scheme = forwarded === 'http' || forwarded === 'https' ? forwarded : loopback ? 'http' : 'https';
  const full = event.requestContext?.path ?? event.path;
  const prefix = full && event.path && full.endsWith(event.path) ? full.slice(0, full.length - event.path.length) : '';
  const safePrefix = /^(?:\/[A-Za-z0-9._~-]+)*$/.test(prefix) ? prefix : '';
  return `${scheme}://${host}${safePrefix}`;
}

export interface OpenApiSourceOptions {
  readonly operatorRoutes: readonly (AuthorizationRule & { readonly summary?: string; readonly name?: string })[];
  readonly scopes: readonly ScopeDefinition[];
}

export type OpenApiSource = (serverUrl: string | undefined) => Record<string, unknown>;

export function openApiSource(options: OpenApiSourceOptions): OpenApiSource {
  let last: { readonly url: string | undefined; readonly doc: Record<string, unknown> } | undefined;
  return (url) => {
    if (last && last.url === url) return last.doc;
    const doc = openApiDocument({ operatorRoutes: options.operatorRoutes, scopes: options.scopes, ...(url ? { serverUrl: url } : {}) });
    last = { url, doc };
    return doc;
  };
}
