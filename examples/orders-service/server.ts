/**
 * A tiny orders service to put behind Keygate: `npm run example:orders` (node:http only).
 *
 *   PORT or --port <n>   port (default 4000; 0 picks a free one)
 *
 * It never sees an API key. Keygate checks the key, its scopes and its limits, then forwards
 * the admitted request with headers saying who called (`X-Keygate-Key-Id`, `X-Keygate-Owner-Id`,
 * `X-Keygate-Scopes`) and what is left of its limits (`RateLimit-Policy`, `RateLimit`,
 * `X-RateLimit-*`); the service trusts them. That trust is only sound when nothing but Keygate
 * can reach the service — headers are not authentication, anyone who can
 * connect can set them. Here that is done by listening on 127.0.0.1 only; deployed, see
 * examples/README.md ("Who may call the upstream").
 *
 * Routes (what keygate.json next to this file exposes through Keygate):
 *   GET  /orders/{id}   200 { id, owner, calledWith, scopes, rateLimitRemaining }
 *   POST /orders        201, the JSON it received, and a Location header
 * And, directly on 127.0.0.1 only (keygate.json does not route them):
 *   GET  /health        200 { status: "ok" }
 *   GET  /stats         the order requests it has handled, newest last (the tests count them)
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * GET /orders/{id}: what the service learned about the caller, from Keygate's headers alone.
 * (test/integration/protect-your-api.test.ts imports the types in this file; a type-only
 * import never runs it.)
 */
export interface OrderView {
  readonly id: string;
  /** The tenant (`X-Keygate-Owner-Id`): scope your data by this, never by anything the client sends. */
  readonly owner: string;
  /** The calling key's id (`X-Keygate-Key-Id`), for audit trails. Never the key itself. */
  readonly calledWith: string;
  readonly scopes: readonly string[];
  /** `X-RateLimit-Remaining` as a number, or null when the key has no rate limit. */
  readonly rateLimitRemaining: number | null;
}

/** GET /stats. */
export interface OrdersStats {
  readonly requests: readonly { readonly method: string; readonly path: string; readonly status: number; readonly keyId: string | null }[];
}

/** Keeps /stats bounded however long the service runs. */
const MAX_RECORDED = 1000;
const MAX_BODY_BYTES = 64 * 1024;

/** Rate-limit headers Keygate sends on each admitted request, echoed onto the response (see `send`). */
const RATE_LIMIT_HEADERS = ['ratelimit-policy', 'ratelimit', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'] as const;

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function portFromArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): number {
  const i = argv.indexOf('--port');
  const raw = i >= 0 ? argv[i + 1] : env.PORT;
  if (raw === undefined || raw === '') return 4000;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be a number from 0 to 65535 (got ${raw})`);
  return port;
}

function createOrdersServer(log: (line: string) => void = console.log) {
  const recorded: OrdersStats['requests'][number][] = [];

  /**
   * API Gateway cannot add response headers on a proxy integration, so a client learns its
   * remaining allowance only if the upstream says so: echo Keygate's RateLimit-Policy, RateLimit
   * and X-RateLimit-* back.
   */
  const send = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    const headers: Record<string, string> = { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json', ...extra };
    for (const h of RATE_LIMIT_HEADERS) {
      const v = header(req, h);
      if (v) headers[h] = v;
    }
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  };

  const orders = (req: IncomingMessage, res: ServerResponse, path: string, body: Buffer) => {
    const keyId = header(req, 'x-keygate-key-id') ?? null;
    const owner = header(req, 'x-keygate-owner-id');
    const reply = (status: number, payload: unknown, extra?: Record<string, string>) => {
      recorded.push({ method: req.method ?? '', path, status, keyId });
      if (recorded.length > MAX_RECORDED) recorded.shift();
      log(`${req.method} ${path} ${status} key=${keyId ?? '-'} owner=${owner ?? '-'}`);
      send(req, res, status, payload, extra);
    };
    // Not a security check (see the top of this file): it catches a request that reached the
    // service without going through Keygate, which is a wiring mistake worth a clear answer.
    if (!keyId || !owner) return reply(401, { title: 'Call this service through Keygate', status: 401 });

    const get = /^\/orders\/([^/]+)$/.exec(path);
    if (get && req.method === 'GET') {
      let id: string;
      try {
        id = decodeURIComponent(get[1]!);
      } catch {
        return reply(400, { title: 'Malformed order id', status: 400 });
      }
      const remaining = header(req, 'x-ratelimit-remaining');
      const view: OrderView = {
        id,
        owner,
        calledWith: keyId,
        scopes: (header(req, 'x-keygate-scopes') ?? '').split(' ').filter(Boolean),
        rateLimitRemaining: remaining ? Number(remaining) : null,
      };
      return reply(200, view);
    }
    if (path === '/orders' && req.method === 'POST') {
      let order: unknown;
      try {
        order = JSON.parse(body.toString('utf8'));
      } catch {
        return reply(400, { title: 'The body must be JSON', status: 400 });
      }
      return reply(201, order, { Location: `/orders/ord_${randomUUID()}` });
    }
    return reply(404, { title: 'Not found', status: 404 });
  };

  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return send(req, res, 413, { title: 'Body too large', status: 413 });
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/health' && req.method === 'GET') return send(req, res, 200, { status: 'ok' });
      if (path === '/stats' && req.method === 'GET') return send(req, res, 200, { requests: recorded } satisfies OrdersStats);
      orders(req, res, path, Buffer.concat(chunks));
    });
  });
}

let port: number;
try {
  port = portFromArgs(process.argv.slice(2), process.env);
} catch (err) {
  console.error(`orders-service: ${(err as Error).message}`);
  process.exit(2);
}
const server = createOrdersServer();
server.on('error', (err) => {
  console.error(`orders-service: ${err.message}`);
  process.exit(1);
});
// 127.0.0.1 only: the service trusts Keygate's headers, so nothing but Keygate may reach it.
server.listen(port, '127.0.0.1', () => {
  console.log(`Orders service listening on http://127.0.0.1:${(server.address() as AddressInfo).port} (127.0.0.1 only: call it through Keygate)`);
});
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
