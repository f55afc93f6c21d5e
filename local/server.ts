/** Node HTTP server in front of the LocalGateway. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_GATEWAY_MAX_BODY, type LocalGateway } from './gateway';

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
  readonly onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
}

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

export async function startLocalServer(gateway: LocalGateway, options: LocalServerOptions = {}): Promise<LocalServer> {
  const server: Server = createServer(async (req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://local');
    let status = 500;
    try {
      const body = await readBody(req, API_GATEWAY_MAX_BODY);
      const forwarded = options.trustForwardedFor ? String(req.headers['x-forwarded-for'] ?? '').split(',')[0]?.trim() : '';
      const sourceIp = forwarded || (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
      const out =
        body === 'too_large'
          ? gateway.renderGatewayResponse('REQUEST_TOO_LARGE', 'local', 413)
          : await gateway.handle({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, sourceIp });
      status = out.status;
      res.writeHead(out.status, { ...out.headers, 'Content-Length': Buffer.byteLength(out.body) });
      res.end(out.body);
    } catch {
      const out = gateway.renderGatewayResponse('DEFAULT_5XX', 'local', 500);
      res.writeHead(out.status, out.headers);
      res.end(out.body);
    } finally {
      options.onRequest?.({ method: req.method ?? '', path: url.pathname, status, ms: performance.now() - started });
    }
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
