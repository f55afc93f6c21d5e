/**
 * A real HTTP webhook receiver on 127.0.0.1 for tests: answers each request with the next
 * scripted status (the last one repeats), or holds it unanswered with `'hang'`, and records what
 * it got, checking the signature with core/webhook-signature.ts `verify` as a receiver would.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type VerifyOutcome, verify } from '../../core/webhook-signature';

export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly verified: VerifyOutcome;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** Resolves once `n` requests have arrived. */
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(opts: {
  secret: string;
  answers?: readonly (number | 'hang')[];
  /** Unix seconds the receiver checks the timestamp against. @default the real clock */
  now?: () => number;
  retryAfter?: string;
}): Promise<WebhookReceiver> {
  const answers = opts.answers ?? [200];
  const received: ReceivedWebhook[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const hanging = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = req.headers['keygate-signature'];
      const now = opts.now?.() ?? Math.floor(Date.now() / 1000);
      received.push({ headers: req.headers, body, verified: verify(opts.secret, body, Array.isArray(header) ? header[0] : header, now) });
      for (const w of waiters.filter((w) => received.length >= w.n)) w.resolve();
      const answer = answers[Math.min(received.length - 1, answers.length - 1)]!;
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer, opts.retryAfter ? { 'retry-after': opts.retryAfter } : {});
      res.end(answer >= 400 ? 'no' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/keygate?token=receiver-side`,
    received,
    waitFor: (n) => (received.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
