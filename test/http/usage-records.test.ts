/**
 * One usage record per request through the local stack, with what API Gateway's access log would
 * say: status, gateway response type, the authorizer's decision, the calling key and owner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbUsageEngine } from '../../adapters/usage/duckdb-engine';
import { USAGE_FIELDS } from '../../core/usage-record';
import { startTestStack, type TestStack } from '../support/local';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let stack: TestStack;
let engine: DuckDbUsageEngine;
/** user-agent tag → the response's request id */
const sent = new Map<string, { requestId: string; status: number }>();
let keys: { echo: Json; orders: Json; limited: Json };

async function create(body: Json): Promise<Json> {
  const res = await stack.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as Json;
}

async function send(tag: string, path: string, key?: string): Promise<void> {
  const res = await stack.call(path, { ...(key !== undefined ? { key } : {}), headers: { 'user-agent': `usage-test ${tag}` } });
  await res.arrayBuffer();
  sent.set(tag, { requestId: res.headers.get('x-amzn-requestid')!, status: res.status });
}

beforeAll(async () => {
  // Prepare
  stack = await startTestStack();
  engine = new DuckDbUsageEngine({ home: stack.home });
  keys = {
    echo: await create({ name: 'echo', scopes: ['echo:read'] }),
    orders: await create({ name: 'orders', scopes: ['orders:read'] }),
    limited: await create({ name: 'limited', scopes: ['echo:read'], rateLimit: { limit: 1, windowSeconds: 3600 } }),
  };
  // Act
  await send('ok', '/v1/echo', keys.echo.key);
  await send('unauthorized', '/v1/echo', 'not-a-key');
  await send('forbidden', '/v1/echo', keys.orders.key);
  await send('first', '/v1/echo', keys.limited.key);
  await send('limited', '/v1/echo', keys.limited.key);
  await send('missing', '/v1/no/such/route');
  await send('health', '/health');
  await stack.usage.flush();
});

afterAll(async () => {
  engine?.close();
  await stack?.stop();
});

async function records(): Promise<Map<string, Json>> {
  const result = await engine.run(`SELECT * FROM usage WHERE userAgent LIKE 'usage-test %' ORDER BY "time"`, []);
  if (!('rows' in result)) throw new Error('unexpected pending');
  return new Map(result.rows.map((r) => [String(r.userAgent).slice('usage-test '.length), r as Json]));
}

describe('usage records from the local gateway', () => {
  it('writes exactly one record per request, with the response\'s request id and status', async () => {
    const written = await records();
    expect([...written.keys()].sort()).toEqual([...sent.keys()].sort());
    for (const [tag, { requestId, status }] of sent) {
      expect(written.get(tag), tag).toMatchObject({ requestId, status });
      expect(Object.keys(written.get(tag)!).filter((k) => k !== 'dt')).toEqual(USAGE_FIELDS.map((f) => f.name));
    }
    expect(sent.get('ok')!.status).toBe(200);
    expect(sent.get('limited')!.status).toBe(429);
  });

  it('records the gateway response type, the decision and the key for each outcome', async () => {
    const written = await records();
    const pick = (tag: string) => {
      const r = written.get(tag)!;
      return { status: r.status, errorType: r.errorType, decision: r.decision, keyId: r.keyId, ownerId: r.ownerId, route: r.route, method: r.method };
    };
    expect(pick('ok')).toEqual({ status: 200, errorType: '-', decision: 'VALID', keyId: keys.echo.id, ownerId: 'admin', route: '/v1/echo', method: 'GET' });
    expect(pick('unauthorized')).toEqual({ status: 401, errorType: 'UNAUTHORIZED', decision: '-', keyId: '-', ownerId: '-', route: '/v1/echo', method: 'GET' });
    // Deny and limit contexts carry the key id but not the owner.
    expect(pick('forbidden')).toEqual({ status: 403, errorType: 'ACCESS_DENIED', decision: 'INSUFFICIENT_SCOPE', keyId: keys.orders.id, ownerId: '-', route: '/v1/echo', method: 'GET' });
    expect(pick('first')).toMatchObject({ status: 200, decision: 'VALID', keyId: keys.limited.id });
    expect(pick('limited')).toEqual({ status: 429, errorType: 'INVALID_API_KEY', decision: 'RATE_LIMITED', keyId: keys.limited.id, ownerId: '-', route: '/v1/echo', method: 'GET' });
    // No route matched: no template, and the raw path is not recorded.
    expect(pick('missing')).toEqual({ status: 404, errorType: 'MISSING_AUTHENTICATION_TOKEN', decision: '-', keyId: '-', ownerId: '-', route: '-', method: 'GET' });
    expect(pick('health')).toEqual({ status: 200, errorType: '-', decision: '-', keyId: '-', ownerId: '-', route: '/health', method: 'GET' });
  });

  it('records latencies only for the stages that ran, response size and the client', async () => {
    const written = await records();
    const ok = written.get('ok')!;
    expect(ok.authorizerLatencyMs).toMatch(/^\d+$/);
    expect(ok.integrationLatencyMs).toMatch(/^\d+$/);
    expect(Number(ok.responseBytes)).toBeGreaterThan(0);
    expect(ok.sourceIp).toBe('127.0.0.1');
    expect(typeof ok.time).toBe('string'); // BIGINT comes back as text
    expect(Number(ok.time)).toBeGreaterThan(Date.parse('2020-01-01'));
    // 401: the authorizer ran and threw, no integration
    expect(written.get('unauthorized')).toMatchObject({ integrationLatencyMs: '-', authorizerLatencyMs: expect.stringMatching(/^\d+$/) });
    // 404: nothing ran
    expect(written.get('missing')).toMatchObject({ integrationLatencyMs: '-', authorizerLatencyMs: '-' });
    // /health: no authorizer
    expect(written.get('health')).toMatchObject({ authorizerLatencyMs: '-', integrationLatencyMs: expect.stringMatching(/^\d+$/) });
  });

  it('counts per status as a report would', async () => {
    const result = await engine.run(`SELECT status, count(*) AS n FROM usage WHERE userAgent LIKE 'usage-test %' GROUP BY 1 ORDER BY 1`, []);
    if (!('rows' in result)) throw new Error('unexpected pending');
    expect(result.rows).toEqual([
      { status: 200, n: '3' },
      { status: 401, n: '1' },
      { status: 403, n: '1' },
      { status: 404, n: '1' },
      { status: 429, n: '1' },
    ]);
  });
});
