/**
 * Operator routes end to end: a real upstream HTTP server started here, the local stack with
 * the real authorizer in front of it, real HTTP requests. The upstream records every request it
 * receives, so "refused before the upstream was called" is a count, not an assumption.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { allScopes } from '../../core/config';
import { REDACTED_CREDENTIAL } from '../../core/authorizer-context';
import { parseOperatorRoutes } from '../../core/operator-routes';
import { startTestStack, testConfig, type TestStack } from '../support/local';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The upstream: records requests; a few paths misbehave on purpose. */
class Upstream {
  readonly seen: Seen[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url!.startsWith('/status/500')) {
          res.writeHead(500, { 'Content-Type': 'text/plain', 'X-Upstream': 'orders' });
          res.end('orders database is down');
        } else if (req.url!.startsWith('/slow')) {
          setTimeout(() => {
            res.writeHead(200);
            res.end('late');
          }, 1500).unref();
        } else if (req.url!.startsWith('/files/')) {
          // Echo the exact bytes back.
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'X-Body-Sha256': sha256(body) });
          res.end(body);
        } else if (req.method === 'POST') {
          res.writeHead(201, { 'Content-Type': 'application/json', Location: '/orders/o-new', 'Set-Cookie': ['a=1', 'b=2'] });
          res.end(JSON.stringify({ created: true, received: JSON.parse(body.toString('utf8') || 'null') }));
        } else {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ ok: true, url: req.url }));
        }
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  hits(prefix: string): Seen[] {
    return this.seen.filter((s) => s.url.startsWith(prefix));
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const upstream = new Upstream();
let stack: TestStack;

beforeAll(async () => {
  await upstream.start();
  const down = await closedPort();
  const config = testConfig();
  const routes = parseOperatorRoutes(
    [
      { path: '/orders/{id}', methods: ['GET'], scopes: ['orders:read'], upstream: `${upstream.url}/orders/{id}` },
      { path: '/orders', methods: ['POST'], scopes: ['orders:write'], upstream: `${upstream.url}/orders` },
      { path: '/files/{proxy+}', methods: ['ANY'], scopes: [], upstream: `${upstream.url}/files/{proxy}`, forwardCredentials: true },
      { path: '/expensive', methods: ['GET'], scopes: [], upstream: `${upstream.url}/expensive`, cost: 5 },
      { path: '/broken', methods: ['GET'], scopes: [], upstream: `${upstream.url}/status/500` },
      { path: '/slow', methods: ['GET'], scopes: [], upstream: `${upstream.url}/slow`, timeoutMs: 300 },
      { path: '/down', methods: ['GET'], scopes: [], upstream: `http://127.0.0.1:${down}/x` },
      {
        path: '/reports/{id}',
        methods: ['GET', 'POST'],
        scopes: ['orders:read'],
        lambda: 'arn:aws:lambda:eu-west-1:123456789012:function:reports',
        localHandler: 'test/support/fixtures/report-handler.ts',
      },
      { path: '/billing', methods: ['GET'], scopes: [], lambda: 'arn:aws:lambda:eu-west-1:123456789012:function:billing' },
    ],
    allScopes(config).map((s) => s.name),
  );
  stack = await startTestStack({ config, routes });
});
afterAll(async () => {
  await stack?.stop();
  await upstream.stop();
});

async function createKey(body: Json = {}): Promise<{ id: string; key: string }> {
  const res = await stack.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: JSON.stringify({ name: 'operator-route caller', scopes: ['orders:read', 'orders:write'], ...body }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

let key: { id: string; key: string };
beforeEach(async () => {
  key = await createKey({ rateLimit: { limit: 1000, windowSeconds: 60 } });
});

describe('an admitted request reaches the upstream', () => {
  it('with its method, path parameter and raw query string, Keygate headers injected and credentials redacted', async () => {
    // Act
    const res = await stack.call('/orders/o-42?expand=items&note=a%20b&x=1&x=2', {
      key: key.key,
      headers: { 'X-API-Key': 'also-a-secret', 'X-Keygate-Key-Id': 'key_spoofed', 'X-RateLimit-Remaining': '999999', RateLimit: '"rate";r=999999;t=0', 'X-Trace': 't-1' },
    });

    // Assess
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, url: '/orders/o-42?expand=items&note=a%20b&x=1&x=2' });
    const [seen] = upstream.seen.filter((s) => s.url.startsWith('/orders/o-42'));
    expect(seen).toBeDefined();
    expect(seen!.method).toBe('GET');
    expect(seen!.headers['x-keygate-key-id']).toBe(key.id);
    expect(seen!.headers['x-keygate-owner-id']).toBe('admin');
    expect(seen!.headers['x-keygate-scopes']).toBe('orders:read orders:write');
    expect(seen!.headers['x-ratelimit-limit']).toBe('1000');
    expect(seen!.headers['x-ratelimit-remaining']).toBe('999');
    expect(Number(seen!.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    expect(seen!.headers['ratelimit-policy']).toBe('"rate";q=1000;w=60;keygate-policy="fixed"');
    expect(seen!.headers.ratelimit).toMatch(/^"rate";r=999;t=\d+$/);
    expect(seen!.headers['x-trace']).toBe('t-1');
    // Neither credential reaches an upstream that did not ask for it.
    expect(seen!.headers.authorization).toBe(REDACTED_CREDENTIAL);
    expect(seen!.headers['x-api-key']).toBe(REDACTED_CREDENTIAL);
    expect(JSON.stringify(seen!.headers)).not.toContain(key.key);
    expect(JSON.stringify(seen!.headers)).not.toContain('also-a-secret');
    // Host is the upstream's, as API Gateway overwrites it.
    expect(seen!.headers.host).toBe(new URL(upstream.url).host);
  });

  it('percent-encodes a decoded path parameter again on the way upstream', async () => {
    const res = await stack.call('/orders/a%20b%2Fc', { key: key.key });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).url).toBe('/orders/a%20b%2Fc');
  });

  it('passes a JSON body through and the upstream status and headers back unchanged', async () => {
    const res = await stack.call('/orders', { method: 'POST', key: key.key, body: JSON.stringify({ sku: 'x-1', qty: 2 }) });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/orders/o-new');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.json()).toEqual({ created: true, received: { sku: 'x-1', qty: 2 } });
    const seen = upstream.seen.at(-1)!;
    expect(seen.headers['content-type']).toBe('application/json');
  });

  it('proxies a greedy {proxy+} path with any method, binary bytes both ways, and forwards credentials when the route asks', async () => {
    // Prepare: bytes that are not UTF-8
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28]), randomBytes(4096)]);

    // Act
    const res = await stack.call('/files/a/b/c.bin', { method: 'PUT', key: key.key, body: bytes, headers: { 'content-type': 'application/octet-stream' } });

    // Assess
    expect(res.status).toBe(200);
    const back = Buffer.from(await res.arrayBuffer());
    expect(sha256(back)).toBe(sha256(bytes));
    const seen = upstream.seen.at(-1)!;
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe('/files/a/b/c.bin');
    expect(sha256(seen.body)).toBe(sha256(bytes));
    expect(seen.headers.authorization).toBe(`Bearer ${key.key}`);
  });

  it('carries a 5 MB body intact', async () => {
    const big = randomBytes(5 * 1024 * 1024);
    const res = await stack.call('/files/big', { method: 'POST', key: key.key, body: big, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-body-sha256')).toBe(sha256(big));
  });
});

describe('refusals never reach the upstream', () => {
  it('401 without a key, 403 without the scope, 429 over the limit, 404 for a method the route lacks', async () => {
    // Prepare
    const readOnly = await createKey({ scopes: ['echo:read'] });
    const limited = await createKey({ rateLimit: { limit: 1, windowSeconds: 3600 } });
    expect((await stack.call('/orders/first', { key: limited.key })).status).toBe(200);
    const before = upstream.seen.length;

    // Act
    const anonymous = await stack.call('/orders/o-1');
    const bad = await stack.call('/orders/o-1', { key: 'kg_live_not_a_real_key' });
    const forbidden = await stack.call('/orders/o-1', { key: readOnly.key });
    const overLimit = await stack.call('/orders/o-1', { key: limited.key });
    const noMethod = await stack.call('/orders/o-1', { method: 'DELETE', key: key.key });

    // Assess
    expect(anonymous.status).toBe(401);
    expect(bad.status).toBe(401);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as Json).reason).toBe('insufficient_scope');
    expect(overLimit.status).toBe(429);
    expect(((await overLimit.json()) as Json).code).toBe('rate_limited');
    expect(noMethod.status).toBe(404);
    expect(upstream.seen.length).toBe(before);
  });
});

describe('cost', () => {
  it('charges a route\'s cost exactly under concurrency: 20 units admit 4 of 10 concurrent cost-5 requests', async () => {
    // Prepare
    const k = await createKey({ rateLimit: { limit: 20, windowSeconds: 3600 } });
    const before = upstream.hits('/expensive').length;

    // Act
    const statuses = await Promise.all(Array.from({ length: 10 }, () => stack.call('/expensive', { key: k.key }).then(async (r) => (await r.arrayBuffer(), r.status))));

    // Assess
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
    expect(upstream.hits('/expensive').length - before).toBe(4);
    const usage = (await (await stack.call(`/v1/keys/${k.id}/usage`, { key: stack.adminKey })).json()) as Json;
    expect(usage.rateLimit).toMatchObject({ limit: 20, used: 20, remaining: 0 });
  });

  it('refuses a request whose cost does not fit in what is left, without spending the rest', async () => {
    const k = await createKey({ rateLimit: { limit: 7, windowSeconds: 3600 } });
    expect((await stack.call('/expensive', { key: k.key })).status).toBe(200); // 5 of 7
    expect((await stack.call('/expensive', { key: k.key })).status).toBe(429); // 5 more would be 10
    expect((await stack.call('/orders/o-1', { key: k.key })).status).toBe(200); // 1 unit still fits: 6 of 7
    const usage = (await (await stack.call(`/v1/keys/${k.id}/usage`, { key: stack.adminKey })).json()) as Json;
    expect(usage.rateLimit).toMatchObject({ used: 6, remaining: 1 });
  });
});

describe('upstream failures', () => {
  it('passes an upstream 5xx through unchanged', async () => {
    const res = await stack.call('/broken', { key: key.key });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-upstream')).toBe('orders');
    expect(await res.text()).toBe('orders database is down');
  });

  it('answers 502 problem+json when the upstream cannot be reached', async () => {
    const res = await stack.call('/down', { key: key.key });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 502, code: 'upstream_unavailable' });
  });

  it('answers 504 problem+json when the upstream does not answer within timeoutMs', async () => {
    const res = await stack.call('/slow', { key: key.key });
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ status: 504, code: 'upstream_timeout' });
    expect(upstream.hits('/slow').length).toBeGreaterThan(0);
  });
});

describe('lambda targets', () => {
  it('runs the route\'s localHandler with the proxy event and the authorizer context', async () => {
    const res = await stack.call('/reports/r-7', { key: key.key });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-report')).toBe('yes');
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({ report: 'r-7', resource: '/reports/{id}', operationName: 'reports-id-get' });
    expect(body.authorizer).toMatchObject({ keyId: key.id, ownerId: 'admin', scopes: 'orders:read orders:write', rateLimitLimit: '1000' });
  });

  it('hands the Lambda its body base64-encoded, as a binary-media-type API does', async () => {
    const res = await stack.call('/reports/r-8', { method: 'POST', key: key.key, body: '{"a":1}' });
    const body = (await res.json()) as Json;
    expect(body.isBase64Encoded).toBe(true);
    expect(Buffer.from(body.body as string, 'base64').toString('utf8')).toBe('{"a":1}');
  });

  it('answers 502 when the handler throws', async () => {
    const res = await stack.call('/reports/crash', { key: key.key });
    expect(res.status).toBe(502);
    expect(((await res.json()) as Json).code).toBe('upstream_unavailable');
  });

  it('answers 501 naming the route when a lambda target has no localHandler', async () => {
    const res = await stack.call('/billing', { key: key.key });
    expect(res.status).toBe(501);
    const body = (await res.json()) as Json;
    expect(body.code).toBe('not_served_locally');
    expect(body.detail).toContain('GET /billing');
    expect(body.detail).toContain('keygate:routes[8]');
  });
});
