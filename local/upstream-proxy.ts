/**
 * The local stand-in for API Gateway's HTTP proxy integration (HTTP_PROXY): forwards an
 * admitted request to an operator route's `upstream` over real HTTP and passes the answer back.
 * Header handling follows AWS's table of headers API Gateway drops, overwrites or remaps on
 * REST APIs ("Amazon API Gateway important notes"; docs/protect-your-api.md quotes it), so
 * what an upstream sees locally is what it sees deployed.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  CREDENTIAL_HEADERS,
  CREDENTIAL_QUERY_PARAMETER,
  REDACTED_CREDENTIAL,
  UPSTREAM_REQUEST_HEADERS,
  upstreamHeaderValues,
} from '../core/authorizer-context';
import { upstreamUrl } from '../core/operator-routes';

/** Request headers API Gateway drops before an HTTP proxy integration (Host is replaced by the target's). */
const DROPPED_REQUEST_HEADERS = new Set([
  'host', 'content-md5', 'expect', 'max-forwards', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding',
  'upgrade', 'via', 'content-encoding', 'connection', 'keep-alive', 'content-length',
]);
/** Response headers API Gateway drops from an HTTP proxy integration's answer. */
const DROPPED_RESPONSE_HEADERS = new Set(['expect', 'host', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'via', 'connection', 'keep-alive']);
/** Response headers API Gateway renames to `X-Amzn-Remapped-<name>` (Date and Server are then set by the gateway). */
const REMAPPED_RESPONSE_HEADERS = new Set(['authorization', 'content-md5', 'date', 'max-forwards', 'server', 'user-agent', 'www-authenticate']);

/** API Gateway's response payload limit (10 MB); a larger answer is an integration failure. */
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** API Gateway's default integration timeout. */
export const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;

export interface UpstreamRequest {
  readonly method: string;
  /** The route's resource template (tells greedy parameters apart). */
  readonly routePath: string;
  readonly urlTemplate: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  /** The caller's query string, unparsed and without `?`. */
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer | undefined;
  /** The authorizer's context for this request. */
  readonly authorizer: Readonly<Record<string, string>>;
  readonly forwardCredentials: boolean;
  /** Whether keys may arrive in the `api_key` query parameter (then it is redacted too). */
  readonly allowQueryKey: boolean;
  readonly timeoutMs?: number;
  readonly requestId: string;
}

export type UpstreamResult =
  | { readonly kind: 'response'; readonly status: number; readonly headers: Record<string, string | string[]>; readonly body: Buffer }
  | { readonly kind: 'failure'; readonly reason: string }
  | { readonly kind: 'timeout' };

const lower = (names: Iterable<string>) => new Set([...names].map((n) => n.toLowerCase()));
const INJECTED = lower(Object.keys(UPSTREAM_REQUEST_HEADERS));
const CREDENTIALS = lower(CREDENTIAL_HEADERS);

/** The headers the upstream receives: the caller's, minus what API Gateway drops, with Keygate's set on top. */
export function upstreamRequestHeaders(req: Pick<UpstreamRequest, 'headers' | 'authorizer' | 'forwardCredentials' | 'requestId'>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const n = name.toLowerCase();
    // A client cannot speak for Keygate: its own X-Keygate-* / X-RateLimit-* values are replaced.
    if (DROPPED_REQUEST_HEADERS.has(n) || INJECTED.has(n)) continue;
    if (!req.forwardCredentials && CREDENTIALS.has(n)) continue;
    out[n] = value;
  }
  if (!req.forwardCredentials) for (const h of CREDENTIAL_HEADERS) out[h.toLowerCase()] = REDACTED_CREDENTIAL;
  for (const [h, v] of Object.entries(upstreamHeaderValues(req.authorizer))) out[h.toLowerCase()] = v;
  return out;
}

/** The caller's query string with the key parameter redacted (only when keys may travel there). */
export function upstreamQuery(rawQuery: string, forwardCredentials: boolean, allowQueryKey: boolean): string {
  if (forwardCredentials || !allowQueryKey || rawQuery === '') return rawQuery;
  let found = false;
  const parts = rawQuery.split('&').map((part) => {
    const name = part.split('=')[0]!;
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // keep the raw name
    }
    if (decoded !== CREDENTIAL_QUERY_PARAMETER) return part;
    found = true;
    return `${CREDENTIAL_QUERY_PARAMETER}=${REDACTED_CREDENTIAL}`;
  });
  // API Gateway's mapping sets the parameter whether or not the caller sent it.
  if (!found) parts.push(`${CREDENTIAL_QUERY_PARAMETER}=${REDACTED_CREDENTIAL}`);
  return parts.join('&');
}

/** The upstream's response headers as API Gateway passes them back. */
export function passedBackHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const n = name.toLowerCase();
    if (DROPPED_RESPONSE_HEADERS.has(n)) continue;
    out[REMAPPED_RESPONSE_HEADERS.has(n) ? `x-amzn-remapped-${n}` : n] = value;
  }
  return out;
}

/** Sends the request upstream. Never throws: a connection failure, a bad answer or a timeout is a result. */
export function proxyToUpstream(req: UpstreamRequest): Promise<UpstreamResult> {
  let url: URL;
  try {
    url = new URL(upstreamUrl(req.routePath, req.urlTemplate, req.pathParameters, upstreamQuery(req.rawQuery, req.forwardCredentials, req.allowQueryKey)));
  } catch {
    return Promise.resolve({ kind: 'failure', reason: 'invalid upstream URL' });
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const timeoutMs = req.timeoutMs ?? DEFAULT_INTEGRATION_TIMEOUT_MS;
  return new Promise<UpstreamResult>((resolve) => {
    let settled = false;
    const finish = (r: UpstreamResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const headers = upstreamRequestHeaders(req);
    if (req.body && req.body.length > 0) headers['content-length'] = String(req.body.length);
    const outgoing = send(url, { method: req.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          finish({ kind: 'failure', reason: `response larger than ${MAX_RESPONSE_BYTES} bytes` });
          res.destroy();
          outgoing.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish({ kind: 'response', status: res.statusCode ?? 502, headers: passedBackHeaders(res.headers), body: Buffer.concat(chunks) }));
      res.on('error', (err) => finish({ kind: 'failure', reason: err.message }));
      res.on('aborted', () => finish({ kind: 'failure', reason: 'upstream closed the connection mid-response' }));
    });
    const timer = setTimeout(() => {
      finish({ kind: 'timeout' });
      outgoing.destroy();
    }, timeoutMs);
    outgoing.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'failure', reason: err.code ?? err.message }));
    outgoing.end(req.body && req.body.length > 0 ? req.body : undefined);
  });
}
