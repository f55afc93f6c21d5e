/**
 * Node HTTP server in front of the LocalGateway. Whatever a client sends, it answers with
 * problem+json and keeps running: a fault becomes a 500, a request target that is not a
 * path a 400, oversized headers a 431, anything Node's HTTP parser refuses a 400.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE } from '../core/gateway-responses';
import { problemBody, type ProblemCode } from '../core/problem';
import { displayName } from '../core/text';
import { LOCAL_METRICS_PATH, PROMETHEUS_CONTENT_TYPE } from '../adapters/prometheus-metrics';
import { API_GATEWAY_MAX_BODY, type LocalGateway, type LocalResponse } from './gateway';

/**
 * Request line plus headers. Set explicitly so it does not depend on `--max-http-header-size`.
 * API Gateway's own quota is 10,240 bytes for REST APIs; the local stack allows Node's default.
 */
export const MAX_HEADER_BYTES = 16 * 1024;

export interface LocalServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface LocalServerOptions {
  readonly host?: string;
  readonly port?: number;
  /**
   * Take the client address from the first `X-Forwarded-For` entry (for tests of IP
   * allowlists, or behind a local proxy). Off by default: a client could claim any address.
   */
  readonly trustForwardedFor?: boolean;
  /** `path` is escaped and shortened: it is the client's text, on its way to a terminal. `status` 0: the client left first. */
  readonly onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
  /**
   * A fault the server caught (a bug: the gateway answers every expected failure itself).
   * @default writes one line to stderr
   */
  readonly onFault?: (err: unknown) => void;
  /**
   * The Prometheus text served at GET /metrics (adapters/prometheus-metrics.ts). Local only: the
   * deployed API has no such route. Absent = /metrics goes to the gateway like any path.
   */
  readonly metrics?: () => string;
}

interface Target {
  readonly path: string;
  readonly query: URLSearchParams;
  /** The query string without `?`, as sent (upstreams receive it unchanged). */
  readonly rawQuery: string;
}

/**
 * The path and query of a request target, or undefined when it is not one (RFC 9112 §3.2).
 * Origin-form is resolved against a fixed origin so a leading `//` stays part of the path:
 * `new URL('//a:99999/x', base)` reads `a:99999` as a host and throws. Absolute-form must be
 * accepted by a server; only its path and query are used. Asterisk-form matches no route.
 */
export function parseRequestTarget(target: string): Target | undefined {
  try {
    if (target === '*') return { path: '*', query: new URLSearchParams(), rawQuery: '' };
    let originForm = target;
    if (!target.startsWith('/')) {
      if (!/^https?:\/\//i.test(target)) return undefined;
      const absolute = new URL(target);
      originForm = absolute.pathname + absolute.search;
    }
    const url = new URL(`http://local${originForm}`);
    return { path: url.pathname, query: url.searchParams, rawQuery: url.search.slice(1) };
  } catch {
    return undefined;
  }
}

function problemResponse(status: number, code: ProblemCode, detail: string, extraHeaders: Record<string, string> = {}): LocalResponse {
  const requestId = randomUUID();
  return {
    status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', 'x-amzn-RequestId': requestId, ...extraHeaders },
    body: JSON.stringify(problemBody(status, code, detail, { requestId })),
  };
}

const internalError = (): LocalResponse => problemResponse(500, 'internal_error', 'Something went wrong on our side.');

/** Node's parser errors (llhttp `HPE_*` codes and Node's own) → the problem a client gets. */
function clientErrorResponse(code: string | undefined): LocalResponse {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return problemResponse(431, 'headers_too_large', `The request line and headers exceed ${MAX_HEADER_BYTES} bytes.`, { Connection: 'close' });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problemResponse(408, 'request_timeout', 'The request was not received in time.', { Connection: 'close' });
    default:
      return problemResponse(400, 'malformed_request', 'The request is not valid HTTP/1.1 (request line, header or body framing).', { Connection: 'close' });
  }
}

/** A response written straight to the socket, for errors raised before Node built a request. */
function writeRaw(socket: Duplex, out: LocalResponse): void {
  const title = problemTitle(out.status);
  const headers = { ...out.headers, 'Content-Length': String(Buffer.byteLength(out.body)) };
  const head = [`HTTP/1.1 ${out.status} ${title}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  // Keep reading (and dropping) what the client still sends: closing with unread data makes the
  // kernel send a reset, and the client would lose the answer.
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  socket.end(`${head}\r\n\r\n${out.body}`);
  setTimeout(() => socket.destroy(), 2000).unref();
}

const problemTitle = (status: number): string => problemBody(status, 'internal_error', '').title;

async function readBody(req: IncomingMessage, cap: number): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > cap) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, out: LocalResponse): void {
  res.writeHead(out.status, { ...out.headers, 'Content-Length': Buffer.byteLength(out.body) });
  res.end(out.body);
}

export async function startLocalServer(gateway: LocalGateway, options: LocalServerOptions = {}): Promise<LocalServer> {
  const onFault = options.onFault ?? ((err: unknown) => process.stderr.write(`keygate local server: ${(err as Error)?.stack ?? String(err)}\n`));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const target = parseRequestTarget(req.url ?? '');
    let status = 500;
    try {
      let out: LocalResponse;
      if (!target) {
        out = problemResponse(400, 'malformed_request_target', 'The request target must be a path such as /v1/keys?limit=10 (or an absolute http:// URL).', {
          Connection: 'close',
        });
      } else if (options.metrics && target.path === LOCAL_METRICS_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
        req.resume(); // a body, if any, is ignored
        // Node sends no body for HEAD, only the length.
        out = { status: 200, headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Cache-Control': 'no-store' }, body: options.metrics() };
      } else {
        const body = await readBody(req, API_GATEWAY_MAX_BODY);
        const forwarded = options.trustForwardedFor ? String(req.headers['x-forwarded-for'] ?? '').split(',')[0]?.trim() : '';
        const sourceIp = forwarded || (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
        out =
          body === 'too_large'
            ? gateway.renderGatewayResponse('REQUEST_TOO_LARGE', 'local', 413)
            : await gateway.handle({
                method: req.method ?? 'GET',
                path: target.path,
                query: target.query,
                rawQuery: target.rawQuery,
                headers: req.headers,
                body,
                sourceIp,
              });
      }
      status = out.status;
      send(res, out);
    } catch (err) {
      if (!req.complete && req.destroyed) {
        // The client went away (or Node's parser refused the body framing and answered in
        // 'clientError'): nobody is left to answer, and it is not a fault of ours.
        status = 0;
        res.destroy();
        return;
      }
      onFault(err);
      status = 500;
      if (res.headersSent) res.destroy();
      else send(res, internalError());
    } finally {
      try {
        options.onRequest?.({ method: displayName(req.method ?? '', 20), path: displayName(target?.path ?? req.url ?? '', 200), status, ms: performance.now() - started });
      } catch (err) {
        onFault(err);
      }
    }
  }

  const server: Server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    // The top-level guard: nothing a request does may reach the process as an uncaught error.
    handle(req, res).catch((err: unknown) => {
      onFault(err);
      res.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already under way on this socket (keep-alive) cannot be followed by another.
    const busy = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (err.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    writeRaw(socket, clientErrorResponse(err.code));
  });
  // CONNECT has no route; without a listener Node would drop the connection unanswered.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    writeRaw(socket, problemResponse(404, 'route_not_found', 'No route matches this method and path.', { Connection: 'close' }));
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
