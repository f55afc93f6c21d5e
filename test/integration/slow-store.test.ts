/**
 * A frozen DynamoDB (SIGSTOP on DynamoDB Local's JVM): requests must fail closed, fast, with a
 * retryable 503, while the store is still frozen, never hang until it resumes, never admit an
 * uncounted request and never leave a half-written key. Before timeouts aborted
 * (throwOnRequestTimeout), every request waited for the freeze to end and then succeeded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { CapturingLogger, testConfig } from '../support/local';

const home = mkdtempSync(join(tmpdir(), 'keygate-frozen-'));
let ddb: DynamoDbLocal;
let stack: LocalStack;
let frozen = false;
const logs = new CapturingLogger();

beforeAll(async () => {
  ddb = await startDynamoDbLocal({});
  // A warm cache (60 s), so that a cached key goes straight to its counter write: both the
  // key read (an unused key) and the counter write (a cached key) meet the frozen store.
  stack = await startLocalStack({ home, inMemory: true, port: 0, config: testConfig({ cacheTtlSeconds: 60 }), dynamoEndpoint: ddb.endpoint, logger: logs });
});
afterAll(async () => {
  if (frozen) process.kill(ddb.pid, 'SIGCONT');
  await stack?.stop();
  await ddb?.stop();
  rmSync(home, { recursive: true, force: true });
});

const call = (path: string, key: string, init: RequestInit = {}) =>
  fetch(stack.url + path, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });

async function createKey(name: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await call('/v1/keys', stack.createdAdminKey!, { method: 'POST', body: JSON.stringify({ name, scopes: ['echo:read'], ...body }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

describe('DynamoDB frozen (SIGSTOP)', () => {
  it('answers 503 + Retry-After while the store is still frozen, and admits exactly the allowance after it resumes', async () => {
    // Prepare: a metered key used 3 times (cached), and a key never used (not cached)
    const metered = await createKey('metered', { quota: { daily: 10 } });
    const unused = await createKey('unused');
    for (let i = 0; i < 3; i++) expect((await call('/v1/echo', metered)).status).toBe(200);

    // Act: freeze the JVM, send requests on every path, and collect answers while it stays frozen
    process.kill(ddb.pid, 'SIGSTOP');
    frozen = true;
    const started = performance.now();
    const requests = [
      call('/v1/echo', metered), // cached key → counter write
      call('/v1/echo', metered),
      call('/v1/echo', unused), // key read
      call('/v1/keys', stack.createdAdminKey!, { method: 'POST', body: JSON.stringify({ name: 'during-freeze', scopes: ['echo:read'] }) }), // transaction
      call('/v1/keys', stack.createdAdminKey!), // query
    ].map((p) => p.then(async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), type: res.headers.get('content-type'), body: (await res.json()) as { code?: string }, ms: performance.now() - started })));
    // The freeze ends when every request has answered, or after 15 s (then any hung request
    // completes after SIGCONT with a 2xx and the assertions below fail).
    const answered = await Promise.race([Promise.all(requests), new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    process.kill(ddb.pid, 'SIGCONT');
    frozen = false;
    const results = answered ?? (await Promise.all(requests));

    // Assess: every answer came while frozen, each a retryable problem+json 503
    expect(answered).not.toBeNull();
    for (const r of results) {
      expect(r.status).toBe(503);
      expect(r.retryAfter).toBe('1');
      expect(r.type).toMatch(/^application\/problem\+json/);
    }
    expect(results.slice(0, 3).map((r) => r.body.code)).toEqual(['authorizer_unavailable', 'authorizer_unavailable', 'authorizer_unavailable']);
    expect(results.slice(3).map((r) => r.body.code)).toEqual(['service_unavailable', 'service_unavailable']);
    console.info(`frozen store: answers after ${results.map((r) => `${Math.round(r.ms)} ms`).join(', ')} (echo cached, echo cached, echo unread, create, list)`);

    // …never an uncounted admission: 3 used before, so at most 7 more (a counter write that
    // reached the JVM before it froze may still apply, using allowance without admitting)
    let admitted = 0;
    let status = 200;
    for (let i = 0; i < 15 && status === 200; i++) {
      status = (await call('/v1/echo', metered)).status;
      if (status === 200) admitted++;
    }
    expect(status).toBe(429);
    expect(admitted).toBeGreaterThanOrEqual(5);
    expect(admitted).toBeLessThanOrEqual(7);

    // …and no half-written key: every key record has its hash item, and the reverse
    await new Promise((r) => setTimeout(r, 500)); // let the resumed JVM finish what it had buffered
    const page = await stack.repo.list({ limit: 100, now: new Date() });
    for (const k of page.items) expect((await stack.repo.getAuthzByHash(k.hash))?.keyId).toBe(k.id);
    expect(page.items.filter((k) => k.name === 'during-freeze').length).toBeLessThanOrEqual(1);
  });
});
