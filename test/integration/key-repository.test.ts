import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { createTable } from '../../adapters/dynamodb/create-tables';
import { DynamoKeyRepository } from '../../adapters/dynamodb/key-repository';
import { newKeyId } from '../../core/ids';
import { generateKey } from '../../core/key-format';
import { ConflictError, InvalidCursorError } from '../../core/ports';
import type { SealedKeyRecord } from '../../core/records';
import { dynamoEndpoint, uniqueTableName } from '../support/local';

const tableName = uniqueTableName('repo');
let client: DynamoDBClient;
let repo: DynamoKeyRepository;
let doc: ReturnType<typeof createDocumentClient>;
let clockMs = Date.parse('2030-01-01T00:00:00.000Z');

function record(overrides: Partial<SealedKeyRecord> = {}): SealedKeyRecord {
  const g = generateKey('kg', 'live', randomBytes(32));
  const now = new Date(clockMs++).toISOString();
  return {
    id: newKeyId(clockMs),
    ownerId: 'tenant-a',
    name: 'k',
    environment: 'live',
    start: g.start,
    hash: g.hash,
    scopes: ['echo:read'],
    status: 'active',
    createdAt: now,
    createdBy: 'test',
    updatedAt: now,
    version: 1,
    ...overrides,
  };
}

beforeAll(async () => {
  client = new DynamoDBClient({ endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createTable(client, tableName);
  doc = createDocumentClient({ endpoint: dynamoEndpoint() });
  repo = new DynamoKeyRepository(doc, tableName);
});
afterAll(() => {
  doc?.destroy();
  client?.destroy();
});

describe('DynamoKeyRepository on DynamoDB Local', () => {
  it('stores a key as a record item and a hash item, readable by id and by hash', async () => {
    const r = record({ allowedIps: ['10.0.0.0/8'], rateLimit: { limit: 5, windowSeconds: 60 }, quota: { daily: 100 }, sealed: 'kg1.x' });
    await repo.create(r);
    expect(await repo.getById(r.id)).toEqual(r);
    expect(await repo.getAuthzByHash(r.hash)).toEqual({
      keyId: r.id,
      ownerId: 'tenant-a',
      environment: 'live',
      scopes: ['echo:read'],
      status: 'active',
      allowedIps: ['10.0.0.0/8'],
      rateLimit: { limit: 5, windowSeconds: 60 },
      quota: { daily: 100 },
    });
    expect(await repo.getAuthzByHash('0'.repeat(64))).toBeUndefined();
    expect(await repo.getById(newKeyId(Date.now()))).toBeUndefined();
  });

  it('keeps the sealed attributes out of the hash item the authorizer reads', async () => {
    const r = record({ sealed: 'kg1.secret-blob' });
    await repo.create(r);
    const scan = await client.send(new ScanCommand({ TableName: tableName }));
    const hashItem = scan.Items!.find((i) => i.pk?.S === `HASH#${r.hash}`)!;
    expect(hashItem).toBeDefined();
    expect(JSON.stringify(hashItem)).not.toContain('secret-blob');
  });

  it('rejects a second key with the same id', async () => {
    const r = record();
    await repo.create(r);
    const other = record({ id: r.id });
    await expect(repo.create(other)).rejects.toBeInstanceOf(ConflictError);
    // the rejected write left nothing behind
    expect(await repo.getAuthzByHash(other.hash)).toBeUndefined();
  });

  it('rejects a second key with the same hash', async () => {
    const r = record();
    await repo.create(r);
    const other = record({ hash: r.hash });
    await expect(repo.create(other)).rejects.toBeInstanceOf(ConflictError);
    expect(await repo.getById(other.id)).toBeUndefined();
  });

  it('rejects an update whose version is stale (optimistic concurrency)', async () => {
    const r = record();
    await repo.create(r);
    await repo.update({ ...r, name: 'first', version: 2 });
    await expect(repo.update({ ...r, name: 'second', version: 2 })).rejects.toBeInstanceOf(ConflictError);
    expect((await repo.getById(r.id))?.name).toBe('first');
  });

  it('updates the hash item with the record, so a revoke reaches the authorizer read', async () => {
    const r = record();
    await repo.create(r);
    await repo.update({ ...r, status: 'revoked', revokedAt: new Date().toISOString(), version: 2 });
    expect((await repo.getAuthzByHash(r.hash))?.status).toBe('revoked');
  });

  it('rotates atomically: a stale old version leaves the new key unwritten', async () => {
    const old = record();
    await repo.create(old);
    const created = record({ replaces: old.id });
    await expect(repo.rotate({ ...old, replacedBy: created.id, version: 5 }, created)).rejects.toBeInstanceOf(ConflictError);
    expect(await repo.getById(created.id)).toBeUndefined();
    expect(await repo.getAuthzByHash(created.hash)).toBeUndefined();
    await repo.rotate({ ...old, replacedBy: created.id, version: 2 }, created);
    expect((await repo.getById(old.id))?.replacedBy).toBe(created.id);
    expect((await repo.getById(created.id))?.replaces).toBe(old.id);
  });

  it('lists by owner newest first with a cursor, and filters by status', async () => {
    const owner = `owner-${Date.now()}`;
    const made: SealedKeyRecord[] = [];
    for (let i = 0; i < 5; i++) {
      const r = record({ ownerId: owner, name: `k${i}` });
      await repo.create(r);
      made.push(r);
    }
    await repo.update({ ...made[1]!, status: 'revoked', version: 2 });
    const now = new Date(clockMs);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await repo.list({ ownerId: owner, limit: 2, now, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(made.map((m) => m.id).reverse());
    const revoked = await repo.list({ ownerId: owner, status: 'revoked', limit: 10, now });
    expect(revoked.items.map((i) => i.id)).toEqual([made[1]!.id]);
    const active = await repo.list({ ownerId: owner, status: 'active', limit: 10, now });
    expect(active.items).toHaveLength(4);
    // another owner's keys never show up
    expect((await repo.list({ ownerId: `${owner}-other`, limit: 10, now })).items).toEqual([]);
  });

  it('derives the expired status filter from expiresAt', async () => {
    const owner = `exp-${Date.now()}`;
    const past = record({ ownerId: owner, expiresAt: '2030-01-01T00:00:00.000Z' });
    const future = record({ ownerId: owner, expiresAt: '2031-01-01T00:00:00.000Z' });
    await repo.create(past);
    await repo.create(future);
    const now = new Date('2030-06-01T00:00:00.000Z');
    expect((await repo.list({ ownerId: owner, status: 'expired', limit: 10, now })).items.map((i) => i.id)).toEqual([past.id]);
    expect((await repo.list({ ownerId: owner, status: 'active', limit: 10, now })).items.map((i) => i.id)).toEqual([future.id]);
  });

  it('rejects a cursor it did not issue', async () => {
    const now = new Date();
    await expect(repo.list({ ownerId: 'x', limit: 5, now, cursor: Buffer.from('v1:nope').toString('base64url') })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(repo.list({ ownerId: 'x', limit: 5, now, cursor: 'garbage' })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('finds active keys by expiry window across days, and drops revoked ones from the index', async () => {
    const a = record({ expiresAt: '2032-03-01T23:00:00.000Z' });
    const b = record({ expiresAt: '2032-03-02T01:00:00.000Z' });
    const c = record({ expiresAt: '2032-03-05T00:00:00.000Z' });
    const revoked = record({ expiresAt: '2032-03-01T23:30:00.000Z' });
    for (const r of [a, b, c, revoked]) await repo.create(r);
    await repo.update({ ...revoked, status: 'revoked', version: 2 });
    const found = await repo.listExpiring(new Date('2032-03-01T12:00:00.000Z'), new Date('2032-03-03T00:00:00.000Z'));
    expect(found.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
  });
});
