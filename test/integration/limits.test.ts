/**
 * Rate limits and quotas against DynamoDB Local: exact under concurrency across several
 * authorizer instances (separate caches and clients), all-or-nothing across limits, and
 * window roll-over.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { DynamoCounterStore } from '../../adapters/dynamodb/counter-store';
import { createTable } from '../../adapters/dynamodb/create-tables';
import { DynamoKeyRepository } from '../../adapters/dynamodb/key-repository';
import { COUNTER_TABLE } from '../../adapters/dynamodb/table-schema';
import { newKeyId } from '../../core/ids';
import { generateKey } from '../../core/key-format';
import type { Clock } from '../../core/ports';
import type { Quota, RateLimit, SealedKeyRecord } from '../../core/records';
import { KeyVerifier } from '../../core/verifier';
import type { EventSink } from '../../core/ports';
import { createAudited } from '../support/audit-fixtures';
import { dynamoEndpoint, testConfig, uniqueTableName } from '../support/local';

const keyTable = uniqueTableName('limits-keys');
const counterTable = uniqueTableName('limits-counters');
let client: DynamoDBClient;
const docs: ReturnType<typeof createDocumentClient>[] = [];

let nowMs = Date.parse('2031-05-10T12:00:00.000Z');
const clock: Clock = { now: () => new Date(nowMs) };

/** An independent "authorizer container": own DynamoDB client, own cache. */
function instance(): KeyVerifier {
  // Generous timeouts: 250 sockets at once on a loaded 2-core machine are slow to connect.
  // No retries, as in the authorizer: a counter write is not idempotent.
  const doc = createDocumentClient({ endpoint: dynamoEndpoint(), maxAttempts: 1, requestTimeoutMs: 20_000, connectionTimeoutMs: 20_000 });
  docs.push(doc);
  return new KeyVerifier(new DynamoKeyRepository(doc, keyTable), testConfig({ cacheTtlSeconds: 60 }), clock, new DynamoCounterStore(doc, counterTable));
}

async function makeKey(limits: { rateLimit?: RateLimit; quota?: Quota }): Promise<{ plaintext: string; id: string }> {
  const g = generateKey('kg', 'live', randomBytes(32));
  const id = newKeyId(Date.now());
  const iso = new Date(nowMs).toISOString();
  const record: SealedKeyRecord = {
    id, ownerId: 'acme', name: 'k', environment: 'live', start: g.start, hash: g.hash, scopes: ['echo:read'],
    status: 'active', createdAt: iso, createdBy: 'test', updatedAt: iso, version: 1, ...limits,
  };
  await createAudited(new DynamoKeyRepository(docs[0]!, keyTable), record);
  return { plaintext: g.plaintext, id };
}

async function counterItem(id: string): Promise<Record<string, string | undefined>> {
  const out = await client.send(new GetItemCommand({ TableName: counterTable, Key: { pk: { S: `CTR#${id}` }, sk: { S: 'LIMITS' } }, ConsistentRead: true }));
  const item = out.Item ?? {};
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, v.N ?? v.S]));
}

beforeAll(async () => {
  client = new DynamoDBClient({ endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createTable(client, keyTable);
  await createTable(client, counterTable, COUNTER_TABLE);
  docs.push(createDocumentClient({ endpoint: dynamoEndpoint() }));
});
afterAll(() => {
  for (const d of docs) d.destroy();
  client?.destroy();
});

const verify = (v: KeyVerifier, key: string) => v.verify({ key, requiredScopes: ['echo:read'], sourceIp: '127.0.0.1' });

describe('exact limits under concurrency', () => {
  it('admits exactly the remaining allowance of 250 concurrent requests spread over 5 authorizer instances', async () => {
    const k = await makeKey({ rateLimit: { limit: 1000, windowSeconds: 3600 }, quota: { daily: 150 } });
    const instances = Array.from({ length: 5 }, instance);
    // use 13 of the 150 first, so the allowance left (137) is not a round number
    for (let i = 0; i < 13; i++) expect((await verify(instances[0]!, k.plaintext)).code).toBe('VALID');
    const outcomes = await Promise.all(Array.from({ length: 250 }, (_, i) => verify(instances[i % 5]!, k.plaintext)));
    const admitted = outcomes.filter((o) => o.code === 'VALID').length;
    expect(admitted).toBe(137);
    expect(outcomes.filter((o) => o.code === 'QUOTA_EXCEEDED')).toHaveLength(250 - 137);
    const item = await counterItem(k.id);
    expect(item.dc).toBe('150');
    expect(item.rc).toBe('150');
  });

  it('admits exactly the rate limit of 220 concurrent requests on a fresh key (window creation races)', async () => {
    const k = await makeKey({ rateLimit: { limit: 61, windowSeconds: 60 } });
    const instances = Array.from({ length: 4 }, instance);
    const outcomes = await Promise.all(Array.from({ length: 220 }, (_, i) => verify(instances[i % 4]!, k.plaintext)));
    expect(outcomes.filter((o) => o.code === 'VALID')).toHaveLength(61);
    expect(outcomes.filter((o) => o.code === 'RATE_LIMITED')).toHaveLength(220 - 61);
    expect((await counterItem(k.id)).rc).toBe('61');
  });
});

describe('all or nothing', () => {
  it('moves no counter for a request that one limit rejects', async () => {
    const k = await makeKey({ rateLimit: { limit: 100, windowSeconds: 60 }, quota: { daily: 3, monthly: 1000 } });
    const v = instance();
    for (let i = 0; i < 3; i++) expect((await verify(v, k.plaintext)).code).toBe('VALID');
    const before = await counterItem(k.id);
    const refused = await verify(v, k.plaintext);
    expect(refused.code).toBe('QUOTA_EXCEEDED');
    expect(refused.code === 'QUOTA_EXCEEDED' && refused.limits.blocking).toBe('daily');
    expect(await counterItem(k.id)).toEqual(before);
    expect(before).toMatchObject({ rc: '3', dc: '3', mc: '3' });
  });

  it('moves no counter for a request refused for scope', async () => {
    const k = await makeKey({ rateLimit: { limit: 5, windowSeconds: 60 } });
    const v = instance();
    expect((await v.verify({ key: k.plaintext, requiredScopes: ['orders:write'], sourceIp: undefined })).code).toBe('INSUFFICIENT_SCOPE');
    expect(await counterItem(k.id)).toEqual({});
  });
});

describe('windows', () => {
  it('starts a new rate window at 1 while the daily count carries on', async () => {
    const k = await makeKey({ rateLimit: { limit: 2, windowSeconds: 10 }, quota: { daily: 100 } });
    const v = instance();
    nowMs = Date.parse('2031-05-10T13:00:00.000Z');
    expect((await verify(v, k.plaintext)).code).toBe('VALID');
    expect((await verify(v, k.plaintext)).code).toBe('VALID');
    const limited = await verify(v, k.plaintext);
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.code === 'RATE_LIMITED' && limited.limits.rate?.resetAt).toBe(Date.parse('2031-05-10T13:00:10.000Z') / 1000);
    nowMs += 10_000;
    const next = await verify(v, k.plaintext);
    expect(next.code).toBe('VALID');
    expect(next.code === 'VALID' && next.limits?.rate?.used).toBe(1);
    expect(await counterItem(k.id)).toMatchObject({ rc: '1', dc: '3' });
  });

  it('resets the daily quota at midnight UTC', async () => {
    const k = await makeKey({ quota: { daily: 1 } });
    const v = instance();
    nowMs = Date.parse('2031-05-10T23:59:59.000Z');
    expect((await verify(v, k.plaintext)).code).toBe('VALID');
    expect((await verify(v, k.plaintext)).code).toBe('QUOTA_EXCEEDED');
    nowMs = Date.parse('2031-05-11T00:00:00.000Z');
    expect((await verify(v, k.plaintext)).code).toBe('VALID');
  });

  it('writes nothing for a key with no limits and no default', async () => {
    const k = await makeKey({});
    expect((await verify(instance(), k.plaintext)).code).toBe('VALID');
    expect(await counterItem(k.id)).toEqual({});
  });
});

describe('quota warnings', () => {
  it('publishes exactly one warning per key per window from 120 concurrent requests over 4 instances', async () => {
    const published: { type: string; [k: string]: unknown }[] = [];
    const sink: EventSink = { publish: async (e) => void published.push(e) };
    const k = await makeKey({ quota: { daily: 50 } });
    const instances = Array.from({ length: 4 }, () => {
      const doc = createDocumentClient({ endpoint: dynamoEndpoint(), maxAttempts: 1, requestTimeoutMs: 20_000, connectionTimeoutMs: 20_000 });
      docs.push(doc);
      return new KeyVerifier(new DynamoKeyRepository(doc, keyTable), testConfig({ cacheTtlSeconds: 60 }), clock, new DynamoCounterStore(doc, counterTable), {
        events: sink,
        quotaWarningThreshold: 0.8,
      });
    });
    const outcomes = await Promise.all(Array.from({ length: 120 }, (_, i) => verify(instances[i % 4]!, k.plaintext)));
    expect(outcomes.filter((o) => o.code === 'VALID')).toHaveLength(50);
    await new Promise((r) => setTimeout(r, 50));
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ type: 'keygate.quota.warning', keyId: k.id, quota: 'daily', limit: 50, used: 40 });
  });
});
