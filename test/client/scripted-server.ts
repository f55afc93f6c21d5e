/**
 * A node:http server on 127.0.0.1 that answers from a script and records every request, for the
 * client tests: real HTTP, no network beyond loopback, no waiting (the client's sleep is injected).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** An object is sent as JSON; a string as is. */
  readonly body?: unknown;
  /** Never answer (until the server closes): for timeouts and cancellation. */
  readonly hang?: boolean;
}

export interface ScriptedServer {
  readonly url: string;
  readonly port: number;
  readonly seen: Seen[];
  close(): Promise<void>;
}

export const problem = (status: number, code: string, detail: string, extra: Record<string, unknown> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/problem+json' },
  body: { type: `urn:keygate:problem:${code}`, title: 'Problem', status, code, detail, requestId: `req-${code}`, ...extra },
});

export const ok = (body: unknown, headers: Record<string, string> = {}): Reply => ({ status: 200, headers: { 'content-type': 'application/json', ...headers }, body });

/** `script(request, index)` decides each answer; `index` counts requests from 0. */
export async function startScriptedServer(script: (req: Seen, index: number) => Reply): Promise<ScriptedServer> {
  const seen: Seen[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(request);
      const reply = script(request, seen.length - 1);
      if (reply.hang) {
        hanging.add(res);
        return;
      }
      const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((done) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** An injected sleep that records each wait and returns at once. */
export function recordingSleep(): { readonly sleeps: number[]; readonly sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms: number) => void sleeps.push(ms) };
}
