/**
 * Rotation shares one allowance (docs/rate-limiting.md#rotation-shares-one-allowance), against
 * DynamoDB Local: keys created and rotated through the composition root (KeyService +
 * DynamoKeyRepository), requests decided by several KeyVerifier instances ("authorizer
 * containers", each with its own client and cache) on the real DynamoCounterStore. The old key
 * (in its grace period) and the new key count on one counter item, `CTR#<lineage>`.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { DynamoCounterStore } from '../../adapters/dynamodb/counter-store';
import { DynamoKeyRepository } from '../../adapters/dynamodb/key-repository';
import type { Runtime } from '../../adapters/runtime';
import type { VerificationOutcome } from '../../core/decision';
import type { Caller, CreatedKey, KeyService } from '../../core/key-service';
import type { Clock } from '../../core/ports';
import { parseCreateKey, parseRotateKey, parseUpdateKey } from '../../core/validation';
import { KeyVerifier } from '../../core/verifier';
import { counterTableFor, localRuntime } from '../../local/stack';
import { CapturingLogger, dynamoEndpoint, testConfig, uniqueTableName } from '../support/local';

const tableName = uniqueTableName('rotation-allowance');
const counterTable = counterTableFor(tableName);
const admin: Caller = { keyId: 'key_01JDZ8Q6N3V0000000000000AD', ownerId: 'admin', scopes: ['admin'] };
const GRACE = parseRotateKey({ gracePeriodSeconds: 3600 });

// Inside one hour-long fixed window (12:00–13:00) for the whole suite: counts never roll over.
const nowMs = Date.parse('2031-06-10T12:00:05.000Z');
const clock: Clock = { now: () => new Date(nowMs) };

let home: string;
let runtime: Runtime & { service: KeyService };
let service: KeyService;
let client: DynamoDBClient;
const docs: ReturnType<typeof createDocumentClient>[] = [];

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'keygate-rotation-'));
  runtime = await localRuntime({ home, dynamoEndpoint: dynamoEndpoint(), tableName, config: testConfig(), logger: new CapturingLogger(), inMemoryMasterKey: true, clock });
  service = runtime.service;
  client = new DynamoDBClient({ endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(() => {
  for (const d of docs) d.destroy();
  runtime?.destroy();
  client?.destroy();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** An independent authorizer container: own DynamoDB client (no retries, as deployed), own cache. */
function instance(): KeyVerifier {
  const doc = createDocumentClient({ endpoint: dynamoEndpoint(), maxAttempts: 1, requestTimeoutMs: 20_000, connectionTimeoutMs: 20_000 });
  docs.push(doc);
  return new KeyVerifier(new DynamoKeyRepository(doc, tableName), testConfig({ cacheTtlSeconds: 60 }), clock, new DynamoCounterStore(doc, counterTable));
}
const instances = (n: number): KeyVerifier[] => Array.from({ length: n }, instance);

const create = (limits: Record<string, unknown>): Promise<CreatedKey> =>
  service.create(admin, parseCreateKey({ name: 'shared', scopes: ['echo:read'], ...limits }, clock.now()));
const rotate = (id: string): Promise<CreatedKey> => service.rotate(admin, id, GRACE);
const verify = (v: KeyVerifier, key: string): Promise<VerificationOutcome> => v.verify({ key, requiredScopes: ['echo:read'], sourceIp: '127.0.0.1' });

/** `n` requests at once, request i with keys[i % keys.length] through verifiers[i % verifiers.length]. */
const burst = (n: number, keys: readonly string[], verifiers: readonly KeyVerifier[]): Promise<VerificationOutcome[]> =>
  Promise.all(Array.from({ length: n }, (_, i) => verify(verifiers[i % verifiers.length]!, keys[i % keys.length]!)));

const codes = (outcomes: readonly VerificationOutcome[]): Record<string, number> => {
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const o of outcomes) out[o.code] = (out[o.code] ?? 0) + 1;
  return { ...out };
};

/** The `used` count each admitted request saw on one limit, sorted: one counter gives distinct consecutive numbers. */
const usedSeen = (outcomes: readonly VerificationOutcome[], limit: 'rate' | 'daily'): number[] =>
  outcomes.flatMap((o) => (o.code === 'VALID' && o.limits?.[limit] ? [o.limits[limit]!.used] : [])).sort((a, b) => a - b);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The counter item of `id`, read raw (not through the store under test); {} when there is none. */
async function counterItem(id: string): Promise<Record<string, string | undefined>> {
  const out = await client.send(new GetItemCommand({ TableName: counterTable, Key: { pk: { S: `CTR#${id}` }, sk: { S: 'LIMITS' } }, ConsistentRead: true }));
  return Object.fromEntries(Object.entries(out.Item ?? {}).map(([k, v]) => [k, v.N ?? v.S]));
}

describe('old and new key of a rotation share one allowance', () => {
  it('admits exactly the rate limit left over 240 concurrent requests split between old and new key on 4 instances', async () => {
    // Prepare: 11 of 97 used by the old key before the rotation
    const old = await create({ rateLimit: { limit: 97, windowSeconds: 3600 } });
    const v = instances(4);
    for (let i = 0; i < 11; i++) expect((await verify(v[0]!, old.plaintext)).code).toBe('VALID');
    const next = await rotate(old.view.id);
    // Act
    const outcomes = await burst(240, [old.plaintext, next.plaintext], v);
    // Assess: one allowance, not 86 + 97
    expect(codes(outcomes)).toEqual({ VALID: 86, RATE_LIMITED: 240 - 86 });
    expect(usedSeen(outcomes, 'rate')).toEqual(range(12, 97));
    expect((await counterItem(old.view.id)).rc).toBe('97');
    expect(await counterItem(next.view.id)).toEqual({});
  });

  it('admits exactly the daily quota left over 220 concurrent requests split between old and new key on 3 instances', async () => {
    // Prepare
    const old = await create({ quota: { daily: 150, monthly: 10_000 } });
    const v = instances(3);
    for (let i = 0; i < 7; i++) expect((await verify(v[1]!, old.plaintext)).code).toBe('VALID');
    const next = await rotate(old.view.id);
    // Act
    const outcomes = await burst(220, [next.plaintext, old.plaintext], v);
    // Assess
    expect(codes(outcomes)).toEqual({ VALID: 143, QUOTA_EXCEEDED: 220 - 143 });
    expect(usedSeen(outcomes, 'daily')).toEqual(range(8, 150));
    expect(await counterItem(old.view.id)).toMatchObject({ dc: '150', mc: '150' });
    expect(await counterItem(next.view.id)).toEqual({});
  });

  it('keeps the first key’s lineage through a second rotation: three keys, still one allowance', async () => {
    // Prepare: first → second (some use) → third, the first two still in their grace periods
    const first = await create({ rateLimit: { limit: 60, windowSeconds: 3600 }, quota: { daily: 1000 } });
    const v = instances(3);
    const second = await rotate(first.view.id);
    for (let i = 0; i < 5; i++) expect((await verify(v[2]!, second.plaintext)).code).toBe('VALID');
    const third = await rotate(second.view.id);
    // Act
    const outcomes = await burst(210, [first.plaintext, second.plaintext, third.plaintext], v);
    // Assess
    expect((await runtime.repo.getById(second.view.id))?.lineage).toBe(first.view.id);
    expect((await runtime.repo.getById(third.view.id))?.lineage).toBe(first.view.id);
    expect(codes(outcomes)).toEqual({ VALID: 55, RATE_LIMITED: 210 - 55 });
    expect(usedSeen(outcomes, 'rate')).toEqual(range(6, 60));
    expect(await counterItem(first.view.id)).toMatchObject({ rc: '60', dc: '60' });
    expect(await counterItem(second.view.id)).toEqual({});
    expect(await counterItem(third.view.id)).toEqual({});
  });

  it('reports the same live numbers in usage for both keys', async () => {
    // Prepare
    const old = await create({ rateLimit: { limit: 20, windowSeconds: 3600 }, quota: { daily: 50 } });
    const next = await rotate(old.view.id);
    const v = instance();
    for (const key of [old.plaintext, next.plaintext, next.plaintext]) expect((await verify(v, key)).code).toBe('VALID');
    // Act
    const [a, b] = await Promise.all([service.usage(admin, old.view.id), service.usage(admin, next.view.id)]);
    // Assess
    expect(a.rateLimit).toMatchObject({ limit: 20, used: 3, remaining: 17, policy: 'fixed', windowSeconds: 3600 });
    expect(a.quota.daily).toMatchObject({ limit: 50, used: 3, remaining: 47 });
    expect({ ...b, keyId: a.keyId }).toEqual(a);
    expect(b.keyId).toBe(next.view.id);
  });
});

describe('keys that were not rotated', () => {
  it('never share counters: each created key has its own allowance and no lineage', async () => {
    // Prepare
    const a = await create({ rateLimit: { limit: 5, windowSeconds: 3600 } });
    const b = await create({ rateLimit: { limit: 5, windowSeconds: 3600 } });
    const v = instances(2);
    // Act: a's allowance used up, then b asked as much again
    const first = await burst(8, [a.plaintext], v);
    const second = await burst(8, [b.plaintext], v);
    // Assess
    expect(codes(first)).toEqual({ VALID: 5, RATE_LIMITED: 3 });
    expect(codes(second)).toEqual({ VALID: 5, RATE_LIMITED: 3 });
    expect((await counterItem(a.view.id)).rc).toBe('5');
    expect((await counterItem(b.view.id)).rc).toBe('5');
    for (const k of [a, b]) expect(await runtime.repo.getById(k.view.id)).not.toHaveProperty('lineage');
  });
});

describe('when the two keys of a rotation have different limits', () => {
  it('decides each request against its own key’s limit on one count: a raised limit on the new key admits the larger allowance, never the sum', async () => {
    // Prepare: old 50, new raised to 80 during the grace period; 20 used by the old key first
    const old = await create({ rateLimit: { limit: 50, windowSeconds: 3600 } });
    const next = await rotate(old.view.id);
    await service.update(admin, next.view.id, parseUpdateKey({ rateLimit: { limit: 80, windowSeconds: 3600 } }, clock.now()));
    const v = instances(4);
    for (let i = 0; i < 20; i++) expect((await verify(v[0]!, old.plaintext)).code).toBe('VALID');
    // Act
    const outcomes = await burst(200, [old.plaintext, next.plaintext], v);
    // Assess: 80 in all (not 50 + 80); the old key admitted only while the shared count was under 50
    expect(codes(outcomes)).toEqual({ VALID: 60, RATE_LIMITED: 140 });
    expect(usedSeen(outcomes, 'rate')).toEqual(range(21, 80));
    const byOld = outcomes.filter((o, i) => i % 2 === 0 && o.code === 'VALID');
    for (const o of byOld) expect(o.code === 'VALID' && o.limits!.rate!.used).toBeLessThanOrEqual(50);
    expect((await counterItem(old.view.id)).rc).toBe('80');
  });

  it('admits no more than the larger allowance when the new key’s limit is lowered', async () => {
    // Prepare: old 50, new lowered to 30
    const old = await create({ rateLimit: { limit: 50, windowSeconds: 3600 } });
    const next = await rotate(old.view.id);
    await service.update(admin, next.view.id, parseUpdateKey({ rateLimit: { limit: 30, windowSeconds: 3600 } }, clock.now()));
    const v = instances(3);
    // Act
    const outcomes = await burst(210, [next.plaintext, old.plaintext], v);
    // Assess: 50 in all; the new key admitted only while the shared count was under 30
    expect(codes(outcomes)).toEqual({ VALID: 50, RATE_LIMITED: 160 });
    expect(usedSeen(outcomes, 'rate')).toEqual(range(1, 50));
    const byNew = outcomes.filter((o, i) => i % 2 === 0 && o.code === 'VALID');
    for (const o of byNew) expect(o.code === 'VALID' && o.limits!.rate!.used).toBeLessThanOrEqual(30);
  });

  // The engine carries units counted in a still-open window over a change of window length, so
  // alternating plans cannot reset the shared count (before it did, all 120 were admitted).
  it('admits no more than the larger allowance in a window when the new key’s window length changes (alternating plans)', async () => {
    // Prepare: old 50 per hour, new 50 per minute; the clock stays inside one minute of one hour
    const old = await create({ rateLimit: { limit: 50, windowSeconds: 3600 } });
    const next = await rotate(old.view.id);
    await service.update(admin, next.view.id, parseUpdateKey({ rateLimit: { limit: 50, windowSeconds: 60 } }, clock.now()));
    const v = instance();
    // Act: one request at a time, alternating keys, so each plan sees the other's count
    const outcomes: VerificationOutcome[] = [];
    for (let i = 0; i < 120; i++) outcomes.push(await verify(v, i % 2 === 0 ? old.plaintext : next.plaintext));
    // Assess
    expect(codes(outcomes).VALID).toBeLessThanOrEqual(50);
  });

  it('refuses a change of rate-limit policy while both keys are usable (each policy counts on its own), and allows it once the old key is revoked', async () => {
    // Prepare
    const old = await create({ rateLimit: { limit: 50, windowSeconds: 3600 } });
    const next = await rotate(old.view.id);
    const sliding = parseUpdateKey({ rateLimit: { limit: 50, windowSeconds: 3600, policy: 'sliding' } }, clock.now());

    // Act + Assess: both keys refuse the switch (409 rotation_policy_change); a new limit is fine
    await expect(service.update(admin, next.view.id, sliding)).rejects.toMatchObject({ status: 409, code: 'rotation_policy_change' });
    await expect(service.update(admin, old.view.id, sliding)).rejects.toMatchObject({ status: 409, code: 'rotation_policy_change' });
    await expect(service.update(admin, next.view.id, parseUpdateKey({ rateLimit: { limit: 60, windowSeconds: 3600 } }, clock.now()))).resolves.toMatchObject({
      rateLimit: { limit: 60 },
    });

    // once the old key is revoked the new key may change policy
    await service.revoke(admin, old.view.id);
    await expect(service.update(admin, next.view.id, sliding)).resolves.toMatchObject({ rateLimit: { policy: 'sliding' } });
  });
});
