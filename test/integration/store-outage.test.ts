/**
 * Failure behaviour: with DynamoDB Local stopped mid-run the authorizer fails closed with a
 * retryable 503, the process stays healthy, and after a restart the counters are exactly
 * right (nothing lost, nothing double-counted).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, freePort, startDynamoDbLocal } from '../../local/dynamodb-local';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { CapturingLogger, testConfig } from '../support/local';

const home = mkdtempSync(join(tmpdir(), 'keygate-outage-'));
let port: number;
let ddb: DynamoDbLocal;
let stack: LocalStack;
const logs = new CapturingLogger();

beforeAll(async () => {
  port = await freePort();
  ddb = await startDynamoDbLocal({ dataDir: join(home, 'db'), port });
  stack = await startLocalStack({ home, inMemory: true, port: 0, config: testConfig(), dynamoEndpoint: ddb.endpoint, logger: logs });
});
afterAll(async () => {
  await stack?.stop();
  await ddb?.stop();
  rmSync(home, { recursive: true, force: true });
});

const call = (path: string, key: string, init: RequestInit = {}) =>
  fetch(stack.url + path, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });

describe('DynamoDB unavailable', () => {
  it('fails closed with 503 + Retry-After while the store is down, and counts exactly once it is back', async () => {
    const created = await call('/v1/keys', stack.createdAdminKey!, { method: 'POST', body: JSON.stringify({ name: 'outage', scopes: ['echo:read'], quota: { daily: 10 } }) });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    for (let i = 0; i < 3; i++) expect((await call('/v1/echo', key)).status).toBe(200);

    await ddb.stop();
    for (let i = 0; i < 3; i++) {
      const res = await call('/v1/echo', key);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(((await res.json()) as { code: string }).code).toBe('authorizer_unavailable');
    }
    // management calls fail cleanly too (never a hang or a crash)
    expect((await call('/v1/keys', stack.createdAdminKey!)).status).toBe(503);

    ddb = await startDynamoDbLocal({ dataDir: join(home, 'db'), port });
    let admitted = 0;
    let status = 200;
    for (let i = 0; i < 20 && status === 200; i++) {
      status = (await call('/v1/echo', key)).status;
      if (status === 200) admitted++;
    }
    expect(status).toBe(429);
    expect(admitted).toBe(7);
    expect(logs.lines.some((l) => l.includes('key verification failed'))).toBe(true);
  });
});
