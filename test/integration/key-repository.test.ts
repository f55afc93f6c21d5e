import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { createTable } from '../../adapters/dynamodb/create-tables';
import { DynamoAuditStore } from '../../adapters/dynamodb/audit-store';
import { DynamoKeyRepository } from '../../adapters/dynamodb/key-repository';
import { type AuditEntry, deniedEntry, sealEntry } from '../../core/audit';
import { newKeyId } from '../../core/ids';
import { generateKey } from '../../core/key-format';
import { ConflictError, InvalidCursorError } from '../../core/ports';
import type { SealedKeyRecord } from '../../core/records';
import { audited, auditedCreate, createAudited } from '../support/audit-fixtures';
import { dynamoEndpoint, uniqueTableName } from '../support/local';

const tableName = uniqueTableName('repo');
let client: DynamoDBClient;
let repo: DynamoKeyRepository;
let store: DynamoAuditStore;
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

/** The records and entries of a rotation of `old` (stored) into `updatedOld` and the new key `created`. */
function rotation(old: SealedKeyRecord, updatedOld: SealedKeyRecord, created: SealedKeyRecord) {
  return { old: audited('key.rotated', old, updatedOld), created: audited('key.rotated', undefined, created) };
}

/** Creates `r` with its audit entry; returns the stored record (with its audit head). */
const create = (r: SealedKeyRecord): Promise<SealedKeyRecord> => createAudited(repo, r);

/** Stores `after` as the next version of `before` with its audit entry; returns the stored record. */
async function update(before: SealedKeyRecord, after: SealedKeyRecord): Promise<SealedKeyRecord> {
  const a = audited('key.updated', before, after);
  await repo.update(a.record, a.entry);
  return a.record;
}

beforeAll(async () => {
  client = new DynamoDBClient({ endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createTable(client, tableName);
  doc = createDocumentClient({ endpoint: dynamoEndpoint() });
  repo = new DynamoKeyRepository(doc, tableName);
  store = new DynamoAuditStore(doc, tableName);
});

/** Every item under a key's audit partition, read raw (not through the store under test). */
async function auditItemsOf(keyId: string): Promise<Record<string, unknown>[]> {
  const out = await doc.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': `AUDIT#${keyId}` }, ConsistentRead: true }));
  return out.Items ?? [];
}
const idsOf = (items: readonly Record<string, unknown>[]) => items.map((i) => i.sk).sort();
afterAll(() => {
  doc?.destroy();
  client?.destroy();
});

describe('DynamoKeyRepository on DynamoDB Local', () => {
  it('stores a key as a record item and a hash item, readable by id and by hash', async () => {
    const r = record({ allowedIps: ['10.0.0.0/8'], rateLimit: { limit: 5, windowSeconds: 60 }, quota: { daily: 100 }, sealed: 'kg1.x' });
    const stored = await create(r);
    expect(stored.auditHead).toBeDefined();
    expect(await repo.getById(r.id)).toEqual(stored);
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
    await create(r);
    const scan = await client.send(new ScanCommand({ TableName: tableName }));
    const hashItem = scan.Items!.find((i) => i.pk?.S === `HASH#${r.hash}`)!;
    expect(hashItem).toBeDefined();
    expect(JSON.stringify(hashItem)).not.toContain('secret-blob');
  });

  it('rejects a second key with the same id', async () => {
    const r = record();
    await create(r);
    const other = record({ id: r.id });
    await expect(create(other)).rejects.toBeInstanceOf(ConflictError);
    // the rejected write left nothing behind
    expect(await repo.getAuthzByHash(other.hash)).toBeUndefined();
  });

  it('rejects a second key with the same hash', async () => {
    const r = record();
    await create(r);
    const other = record({ hash: r.hash });
    await expect(create(other)).rejects.toBeInstanceOf(ConflictError);
    expect(await repo.getById(other.id)).toBeUndefined();
  });

  it('rejects an update whose version is stale (optimistic concurrency)', async () => {
    const r = await create(record());
    await update(r, { ...r, name: 'first', version: 2 });
    await expect(update(r, { ...r, name: 'second', version: 2 })).rejects.toBeInstanceOf(ConflictError);
    expect((await repo.getById(r.id))?.name).toBe('first');
  });

  it('updates the hash item with the record, so a revoke reaches the authorizer read', async () => {
    const r = await create(record());
    await update(r, { ...r, status: 'revoked', revokedAt: new Date().toISOString(), version: 2 });
    expect((await repo.getAuthzByHash(r.hash))?.status).toBe('revoked');
  });

  it('rotates atomically: a stale old version leaves the new key unwritten', async () => {
    const old = await create(record());
    const created = record({ replaces: old.id });
    const stale = rotation(old, { ...old, replacedBy: created.id, version: 5 }, created);
    await expect(repo.rotate(stale.old.record, stale.created.record, [stale.old.entry, stale.created.entry])).rejects.toBeInstanceOf(ConflictError);
    expect(await repo.getById(created.id)).toBeUndefined();
    expect(await repo.getAuthzByHash(created.hash)).toBeUndefined();
    const ok = rotation(old, { ...old, replacedBy: created.id, version: 2 }, created);
    await repo.rotate(ok.old.record, ok.created.record, [ok.old.entry, ok.created.entry]);
    expect((await repo.getById(old.id))?.replacedBy).toBe(created.id);
    expect((await repo.getById(created.id))?.replaces).toBe(old.id);
  });

  it('stores a rotated key’s lineage on the record and on the hash item, and no lineage on a key without one', async () => {
    // Prepare
    const old = await create(record({ rateLimit: { limit: 5, windowSeconds: 60 } }));
    const created = record({ replaces: old.id, lineage: old.id, rateLimit: { limit: 5, windowSeconds: 60 } });
    const r = rotation(old, { ...old, replacedBy: created.id, version: 2 }, created);
    // Act
    await repo.rotate(r.old.record, r.created.record, [r.old.entry, r.created.entry]);
    // Assess: the authorizer's read carries the lineage it counts on; the old key has none (its own id)
    expect(await repo.getById(created.id)).toEqual(r.created.record);
    expect((await repo.getById(created.id))?.lineage).toBe(old.id);
    expect(await repo.getAuthzByHash(created.hash)).toMatchObject({ keyId: created.id, lineage: old.id });
    expect(await repo.getById(old.id)).not.toHaveProperty('lineage');
    expect(await repo.getAuthzByHash(old.hash)).not.toHaveProperty('lineage');
  });

  it('keeps the lineage on the hash item when the key is updated later', async () => {
    // Prepare
    const stored = await create(record({ lineage: 'key_01JDZ8Q6N3V0000000000000AA' }));
    // Act
    await update(stored, { ...stored, rateLimit: { limit: 9, windowSeconds: 60 }, version: 2 });
    // Assess
    expect(await repo.getAuthzByHash(stored.hash)).toMatchObject({ lineage: 'key_01JDZ8Q6N3V0000000000000AA', rateLimit: { limit: 9, windowSeconds: 60 } });
  });

  it('lists by owner newest first with a cursor, and filters by status', async () => {
    const owner = `owner-${Date.now()}`;
    const made: SealedKeyRecord[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(await create(record({ ownerId: owner, name: `k${i}` })));
    }
    await update(made[1]!, { ...made[1]!, status: 'revoked', version: 2 });
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
    await create(past);
    await create(future);
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
    for (const r of [a, b, c]) await create(r);
    const stored = await create(revoked);
    await update(stored, { ...stored, status: 'revoked', version: 2 });
    const found = (await repo.pageExpiring(new Date('2032-03-01T12:00:00.000Z'), new Date('2032-03-03T00:00:00.000Z'), { limit: 100 })).items;
    expect(found.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
  });
});

describe('audit entries are written in the same transaction as the change', () => {
  it('create, update and rotate each write exactly one entry per affected key, chained to the record head', async () => {
    // Prepare
    const r = record();
    const created = auditedCreate(r);
    // Act
    await repo.create(created.record, created.entry);
    // Assess
    expect(idsOf(await auditItemsOf(r.id))).toEqual([created.entry.id]);
    expect((await repo.getById(r.id))?.auditHead).toEqual({ seq: 1, digest: created.entry.digest, expiresAt: created.entry.expiresAt });

    // Act
    const updated = audited('key.updated', created.record, { ...created.record, name: 'renamed', version: 2 });
    await repo.update(updated.record, updated.entry);
    // Assess
    expect(idsOf(await auditItemsOf(r.id))).toEqual([created.entry.id, updated.entry.id].sort());
    expect(updated.entry.chain).toEqual({ seq: 2, prev: created.entry.digest, prevExpiresAt: created.entry.expiresAt });

    // Act
    const next = record({ replaces: r.id });
    const rot = rotation(updated.record, { ...updated.record, replacedBy: next.id, version: 3 }, next);
    await repo.rotate(rot.old.record, rot.created.record, [rot.old.entry, rot.created.entry]);
    // Assess
    expect(idsOf(await auditItemsOf(r.id))).toEqual([created.entry.id, updated.entry.id, rot.old.entry.id].sort());
    expect(idsOf(await auditItemsOf(next.id))).toEqual([rot.created.entry.id]);
    expect((await repo.getById(r.id))?.auditHead?.digest).toBe(rot.old.entry.digest);
    expect((await repo.getById(next.id))?.auditHead?.digest).toBe(rot.created.entry.digest);
    expect(await store.entriesOfKey(next.id)).toEqual([rot.created.entry]);
  });

  it('rejects an update whose version condition fails, leaving neither the change nor an entry', async () => {
    // Prepare
    const r = await create(record());
    const stale = audited('key.updated', { ...r, version: 4 }, { ...r, name: 'lost', version: 5 });
    // Act
    const attempt = repo.update(stale.record, stale.entry);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    expect(await repo.getById(r.id)).toEqual(r);
    expect(await auditItemsOf(r.id)).toHaveLength(1);
    expect((await auditItemsOf(r.id)).map((i) => i.sk)).not.toContain(stale.entry.id);
  });

  it('rejects a create whose audit entry id already exists, leaving neither key item nor hash item', async () => {
    // Prepare: an entry already sits where the create's entry would go
    const r = record();
    const existing = deniedEntry(
      { action: 'key.updated', reason: 'not_found', target: { keyId: r.id, ownerId: r.ownerId }, context: { actor: { type: 'system' }, request: {} }, at: new Date(clockMs) },
      { retentionDays: 1 },
    );
    await store.record(existing);
    const a = auditedCreate(r);
    const { digest: _d, ...unsealed } = { ...a.entry, id: existing.id };
    const clashing: AuditEntry = sealEntry(unsealed);
    // Act
    const attempt = repo.create(a.record, clashing);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    expect(await repo.getById(r.id)).toBeUndefined();
    expect(await repo.getAuthzByHash(r.hash)).toBeUndefined();
    expect(await store.entriesOfKey(r.id)).toEqual([existing]);
  });

  it('rejects a rotation whose old version is stale, leaving no entry for either key', async () => {
    // Prepare
    const old = await create(record());
    const next = record({ replaces: old.id });
    const rot = rotation({ ...old, version: 6 }, { ...old, replacedBy: next.id, version: 7 }, next);
    // Act
    const attempt = repo.rotate(rot.old.record, rot.created.record, [rot.old.entry, rot.created.entry]);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    expect(await auditItemsOf(old.id)).toHaveLength(1);
    expect(await auditItemsOf(next.id)).toEqual([]);
    expect(await repo.getById(next.id)).toBeUndefined();
  });

  it('rejects an entry about another key than the record it is written with', async () => {
    // Prepare
    const r = record();
    const other = auditedCreate(record());
    // Act
    const attempt = repo.create(auditedCreate(r).record, other.entry);
    // Assess
    await expect(attempt).rejects.toThrow(/not/);
    expect(await repo.getById(r.id)).toBeUndefined();
    expect(await auditItemsOf(other.entry.target.keyId!)).toEqual([]);
  });
});
