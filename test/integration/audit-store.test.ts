/**
 * The audit log on DynamoDB Local: the item layout, entries that read back to the same digest,
 * every query partition and filter with newest-first pagination, and chain verification over
 * entries edited or deleted behind the application's back.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '../../adapters/dynamodb/audit-store';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { createTable } from '../../adapters/dynamodb/create-tables';
import { DynamoKeyRepository } from '../../adapters/dynamodb/key-repository';
import {
  type AuditAction,
  type AuditActor,
  type AuditEntry,
  type AuditQuery,
  deniedEntry,
  entryDigest,
  newAuditId,
  sealEntry,
  verifyChain,
} from '../../core/audit';
import { newKeyId } from '../../core/ids';
import { generateKey } from '../../core/key-format';
import { ConflictError, InvalidCursorError } from '../../core/ports';
import type { SealedKeyRecord } from '../../core/records';
import { audited, auditedCreate } from '../support/audit-fixtures';
import { dynamoEndpoint, uniqueTableName } from '../support/local';

const table = uniqueTableName('audit');
const queryTable = uniqueTableName('audit-query');
let client: DynamoDBClient;
let doc: ReturnType<typeof createDocumentClient>;
let store: DynamoAuditStore;
let repo: DynamoKeyRepository;

const T0 = Date.parse('2033-02-01T00:00:00.000Z');
const MIN = 60_000;
const NOW = new Date(T0 + 60 * MIN);

beforeAll(async () => {
  client = new DynamoDBClient({ endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createTable(client, table);
  await createTable(client, queryTable);
  doc = createDocumentClient({ endpoint: dynamoEndpoint() });
  store = new DynamoAuditStore(doc, table);
  repo = new DynamoKeyRepository(doc, table);
});
afterAll(() => {
  doc?.destroy();
  client?.destroy();
});

/** A denied entry at `T0 + minute` minutes (the simplest well-formed entry; queries do not care about outcome). */
function entryAt(minute: number, action: AuditAction, target: { keyId?: string; ownerId: string }, actor: AuditActor): AuditEntry {
  return deniedEntry(
    { action, reason: 'not_found', target, context: { actor, request: { requestId: `req-${minute}`, sourceIp: '192.0.2.1' } }, at: new Date(T0 + minute * MIN) },
    { retentionDays: 400 },
  );
}

function keyRecord(at: number): SealedKeyRecord {
  const g = generateKey('kg', 'live', randomBytes(32));
  const iso = new Date(at).toISOString();
  return {
    id: newKeyId(at), ownerId: 'acme', name: 'k', environment: 'live', start: g.start, hash: g.hash, scopes: ['echo:read'],
    status: 'active', createdAt: iso, createdBy: 'test', updatedAt: iso, version: 1,
  };
}

describe('the audit item codec', () => {
  it('stores an entry about a key under AUDIT#<keyId> with the owner, created and actor indexes and the TTL', async () => {
    // Prepare
    const keyId = newKeyId(T0);
    const e = entryAt(0, 'key.updated', { keyId, ownerId: 'acme' }, { type: 'key', keyId: 'key_01ARZ3NDEKTSV4RRFFQ69G5FAV', ownerId: 'globex' });
    // Act
    await store.record(e);
    // Assess
    const item = (await doc.send(new GetCommand({ TableName: table, Key: { pk: `AUDIT#${keyId}`, sk: e.id } }))).Item;
    expect(item).toMatchObject({
      type: 'audit',
      gsi1pk: 'AUDIT#OWNER#acme', gsi1sk: e.id,
      gsi2pk: 'AUDIT', gsi2sk: e.id,
      gsi4pk: 'AUDIT#ACTOR#key_01ARZ3NDEKTSV4RRFFQ69G5FAV', gsi4sk: e.id,
      ttl: e.expiresAt,
      actor: e.actor, target: e.target, request: e.request, changes: [],
    });
    expect(item).not.toHaveProperty('gsi3pk');
  });

  it('stores a denied create under AUDIT#OWNER#<ownerId>, and no actor index entry for a non-key actor', async () => {
    // Prepare
    const e = entryAt(1, 'key.created', { ownerId: 'codec-owner' }, { type: 'system' });
    // Act
    await store.record(e);
    // Assess
    const item = (await doc.send(new GetCommand({ TableName: table, Key: { pk: 'AUDIT#OWNER#codec-owner', sk: e.id } }))).Item;
    expect(item).toMatchObject({ gsi1pk: 'AUDIT#OWNER#codec-owner', gsi2pk: 'AUDIT', ttl: e.expiresAt });
    expect(item).not.toHaveProperty('gsi4pk');
    expect(item).not.toHaveProperty('gsi3pk');
  });

  it('rejects a second entry with the same id', async () => {
    // Prepare
    const e = entryAt(2, 'key.revoked', { keyId: newKeyId(T0), ownerId: 'acme' }, { type: 'system' });
    await store.record(e);
    // Act
    const again = store.record({ ...e, reason: 'overwritten' });
    // Assess
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    expect(await store.entriesOfKey(e.target.keyId!)).toEqual([e]);
  });

  it('reads back exactly the entry, with the digest it was written with (maps, lists, nulls, missing request fields)', async () => {
    // Prepare
    const keyId = newKeyId(T0 + 3 * MIN);
    const at = new Date(T0 + 3 * MIN);
    const odd = sealEntry({
      id: newAuditId(at.getTime()),
      at: at.toISOString(),
      action: 'key.updated',
      outcome: 'success',
      reason: undefined,
      actor: { type: 'bootstrap', keyId: undefined },
      target: { keyId, ownerId: 'round-trip' },
      request: { requestId: undefined, sourceIp: '2001:db8::1' },
      changes: [
        { field: 'rateLimit', before: { limit: 5, windowSeconds: 60 }, after: null },
        { field: 'allowedIps', before: [], after: ['10.0.0.0/8', '::1/128'] },
        { field: 'quota', before: { daily: 0.5, monthly: undefined }, after: { nested: [1, null, undefined, { deep: '', n: -3 }], empty: {} } },
        { field: 'expiresAt', after: '2034-01-01T00:00:00.000Z' },
        { field: 'metadata', sealed: true, before: 'sha256:00112233445566778899aabbccddeeff' },
      ],
      chain: { seq: 3, prev: 'f'.repeat(64), prevExpiresAt: 2_000_000_000 },
      expiresAt: Math.floor(at.getTime() / 1000) + 86_400,
    });
    const deniedCreate = entryAt(3, 'key.created', { ownerId: 'round-trip' }, { type: 'key', keyId: newKeyId(T0), ownerId: 'other' });
    // Act
    await store.record(odd);
    await store.record(deniedCreate);
    const [fromKey] = await store.entriesOfKey(keyId);
    const byOwner = (await store.query({ ownerId: 'round-trip', limit: 10 })).items;
    // Assess
    expect(byOwner.map((e) => e.id)).toEqual([deniedCreate.id, odd.id].sort().reverse());
    for (const [back, written] of [[fromKey!, odd], [byOwner.find((e) => e.id === odd.id)!, odd], [byOwner.find((e) => e.id === deniedCreate.id)!, deniedCreate]] as const) {
      expect(entryDigest(back)).toBe(back.digest);
      expect(back.digest).toBe(written.digest);
      expect(Object.keys(back).sort()).toEqual(Object.keys(written).filter((k) => written[k as keyof AuditEntry] !== undefined).sort());
    }
    expect(fromKey!.changes[2]).toEqual({ field: 'quota', before: { daily: 0.5 }, after: { nested: [1, null, null, { deep: '', n: -3 }], empty: {} } });
  });
});

describe('queries', () => {
  let q: DynamoAuditStore;
  const KA1 = newKeyId(T0 - 3 * MIN);
  const KA2 = newKeyId(T0 - 2 * MIN);
  const KB1 = newKeyId(T0 - 1 * MIN);
  const AX = newKeyId(T0 - 10 * MIN);
  const AY = newKeyId(T0 - 9 * MIN);
  const X: AuditActor = { type: 'key', keyId: AX, ownerId: 'acme' };
  const Y: AuditActor = { type: 'key', keyId: AY, ownerId: 'globex' };
  const e: AuditEntry[] = [];

  beforeAll(async () => {
    q = new DynamoAuditStore(doc, queryTable);
    e.push(
      entryAt(0, 'key.created', { keyId: KA1, ownerId: 'acme' }, X),
      entryAt(1, 'key.updated', { keyId: KA1, ownerId: 'acme' }, X),
      entryAt(2, 'key.created', { keyId: KB1, ownerId: 'globex' }, Y),
      entryAt(3, 'key.updated', { keyId: KA2, ownerId: 'acme' }, Y),
      entryAt(4, 'key.created', { ownerId: 'acme' }, Y),
      entryAt(5, 'key.revoked', { keyId: KA1, ownerId: 'acme' }, { type: 'system' }),
      entryAt(6, 'key.updated', { keyId: KA1, ownerId: 'acme' }, X),
      entryAt(7, 'key.rotated', { keyId: KB1, ownerId: 'globex' }, X),
    );
    for (const entry of e) await q.record(entry);
  });

  /** The indexes of `e` a query returns, in order, walking every page. */
  async function walk(query: Omit<AuditQuery, 'before'>): Promise<number[][]> {
    const pages: number[][] = [];
    let before: string | undefined;
    do {
      const page = await q.query({ ...query, ...(before ? { before } : {}) });
      pages.push(page.items.map((item) => e.findIndex((x) => x.id === item.id)));
      if (page.lastId !== undefined) expect(page.lastId).toBe(page.items.at(-1)?.id);
      before = page.lastId;
    } while (before !== undefined && pages.length < 20);
    return pages;
  }

  it('reads one key\'s partition newest first, and only within the asked owner', async () => {
    expect(await walk({ keyId: KA1, limit: 10 })).toEqual([[6, 5, 1, 0]]);
    expect(await walk({ keyId: KA1, ownerId: 'acme', action: 'key.updated', limit: 10 })).toEqual([[6, 1]]);
    expect(await walk({ keyId: KA1, ownerId: 'globex', limit: 10 })).toEqual([[]]);
  });

  it('rejects a key id that could reach an owner partition', async () => {
    expect((await q.query({ keyId: 'OWNER#acme', limit: 10 })).items).toEqual([]);
    expect(await q.entriesOfKey('OWNER#acme')).toEqual([]);
  });

  it('reads the actor index, filtered by target owner and action', async () => {
    expect(await walk({ actorKeyId: AX, limit: 10 })).toEqual([[7, 6, 1, 0]]);
    expect(await walk({ actorKeyId: AX, ownerId: 'acme', limit: 10 })).toEqual([[6, 1, 0]]);
    expect(await walk({ actorKeyId: AX, action: 'key.updated', limit: 10 })).toEqual([[6, 1]]);
    expect(await walk({ actorKeyId: AY, ownerId: 'acme', limit: 10 })).toEqual([[4, 3]]);
  });

  it('reads the owner index, including denied creates, and never another owner\'s entries', async () => {
    expect(await walk({ ownerId: 'acme', limit: 10 })).toEqual([[6, 5, 4, 3, 1, 0]]);
    expect(await walk({ ownerId: 'acme', action: 'key.updated', limit: 10 })).toEqual([[6, 3, 1]]);
    expect(await walk({ ownerId: 'globex', limit: 10 })).toEqual([[7, 2]]);
  });

  it('reads every entry through the created index, filtered by action', async () => {
    expect(await walk({ limit: 10 })).toEqual([[7, 6, 5, 4, 3, 2, 1, 0]]);
    expect(await walk({ action: 'key.created', limit: 10 })).toEqual([[4, 2, 0]]);
  });

  it('limits to [from, to): an entry at `from` is in, one at `to` is out', async () => {
    const from = new Date(T0 + 1 * MIN);
    const to = new Date(T0 + 5 * MIN);
    expect(await walk({ from, to, limit: 10 })).toEqual([[4, 3, 2, 1]]);
    expect(await walk({ keyId: KA1, from, to, limit: 10 })).toEqual([[1]]);
    expect(await walk({ ownerId: 'acme', from, limit: 10 })).toEqual([[6, 5, 4, 3, 1]]);
    expect(await walk({ ownerId: 'acme', to, limit: 10 })).toEqual([[4, 3, 1, 0]]);
    expect(await walk({ from: to, to: from, limit: 10 })).toEqual([[]]);
  });

  it('pages with `before` exclusive: no duplicates, no gaps, no lastId on the last page', async () => {
    // 8 entries, 3 per page
    expect(await walk({ limit: 3 })).toEqual([[7, 6, 5], [4, 3, 2], [1, 0]]);
    // a full last page has no lastId pointing at an empty page
    expect(await walk({ ownerId: 'acme', limit: 3 })).toEqual([[6, 5, 4], [3, 1, 0]]);
    expect(await walk({ ownerId: 'acme', limit: 6 })).toEqual([[6, 5, 4, 3, 1, 0]]);
    // with a filter, and with a range whose lower bound meets `before`
    expect(await walk({ ownerId: 'acme', action: 'key.updated', limit: 1 })).toEqual([[6], [3], [1]]);
    expect(await walk({ ownerId: 'acme', from: new Date(T0 + 1 * MIN), to: new Date(T0 + 6 * MIN), limit: 2 })).toEqual([[5, 4], [3, 1]]);
    // `before` itself is never returned
    const after5 = await q.query({ limit: 2, before: e[5]!.id });
    expect(after5.items.map((i) => i.id)).toEqual([e[4]!.id, e[3]!.id]);
    expect((await q.query({ limit: 5, before: e[0]!.id })).items).toEqual([]);
  });

  it('pages one key\'s 7 entries 3, 3, 1', async () => {
    // Prepare
    const keyId = newKeyId(T0 + 20 * MIN);
    const mine: AuditEntry[] = [];
    for (let i = 0; i < 7; i++) mine.push(entryAt(20 + i, 'key.updated', { keyId, ownerId: 'paging' }, { type: 'system' }));
    for (const entry of mine) await q.record(entry);
    // Act
    const first = await q.query({ keyId, limit: 3 });
    const second = await q.query({ keyId, limit: 3, before: first.lastId! });
    const third = await q.query({ keyId, limit: 3, before: second.lastId! });
    // Assess
    expect([first, second, third].map((p) => p.items.length)).toEqual([3, 3, 1]);
    expect(third.lastId).toBeUndefined();
    expect([...first.items, ...second.items, ...third.items].map((i) => i.id)).toEqual(mine.map((m) => m.id).reverse());
  });

  it('rejects a `before` that is not an entry id', async () => {
    await expect(q.query({ limit: 3, before: 'key_01ARZ3NDEKTSV4RRFFQ69G5FAV' })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});

describe('tamper evidence over DynamoDB', () => {
  /** create → update → revoke through the repository; returns the key id and its entries (oldest first). */
  async function lifecycle(): Promise<{ keyId: string; entries: AuditEntry[] }> {
    const r = keyRecord(T0 + 30 * MIN);
    const created = auditedCreate(r);
    await repo.create(created.record, created.entry);
    const updated = audited('key.updated', created.record, { ...created.record, name: 'renamed', scopes: ['echo:read', 'orders:read'], version: 2 }, { at: new Date(T0 + 31 * MIN) });
    await repo.update(updated.record, updated.entry);
    const revoked = audited('key.revoked', updated.record, { ...updated.record, status: 'revoked', revokedAt: new Date(T0 + 32 * MIN).toISOString(), version: 3 }, { at: new Date(T0 + 32 * MIN) });
    await repo.update(revoked.record, revoked.entry);
    return { keyId: r.id, entries: [created.entry, updated.entry, revoked.entry] };
  }

  const verify = async (keyId: string) => verifyChain(keyId, await store.entriesOfKey(keyId), (await repo.getById(keyId))?.auditHead, NOW);

  it('verifies an untouched chain', async () => {
    // Prepare
    const { keyId } = await lifecycle();
    // Act
    const verdict = await verify(keyId);
    // Assess
    expect(verdict).toMatchObject({ ok: true, entries: 3, firstSeq: 1, lastSeq: 3, pruned: false });
  });

  it('names an entry whose changes were edited in the table', async () => {
    // Prepare
    const { keyId, entries } = await lifecycle();
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: `AUDIT#${keyId}`, sk: entries[1]!.id },
        UpdateExpression: 'SET changes = :c',
        ExpressionAttributeValues: { ':c': [{ field: 'name', before: 'k', after: 'innocent' }] },
      }),
    );
    // Act
    const verdict = await verify(keyId);
    // Assess
    expect(verdict.ok).toBe(false);
    expect(verdict.broken).toMatchObject({ reason: 'digest_mismatch', seq: 2, entryId: entries[1]!.id });
  });

  it('names an entry whose time was edited in the table', async () => {
    // Prepare
    const { keyId, entries } = await lifecycle();
    await doc.send(
      new UpdateCommand({ TableName: table, Key: { pk: `AUDIT#${keyId}`, sk: entries[0]!.id }, UpdateExpression: 'SET #at = :at', ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':at': '2020-01-01T00:00:00.000Z' } }),
    );
    // Act
    const verdict = await verify(keyId);
    // Assess
    expect(verdict.broken).toMatchObject({ reason: 'digest_mismatch', seq: 1, entryId: entries[0]!.id });
  });

  it('breaks when the newest entry is deleted from the table', async () => {
    // Prepare
    const { keyId, entries } = await lifecycle();
    await doc.send(new DeleteCommand({ TableName: table, Key: { pk: `AUDIT#${keyId}`, sk: entries[2]!.id } }));
    // Act
    const verdict = await verify(keyId);
    // Assess
    expect(verdict.ok).toBe(false);
    expect(verdict.broken).toMatchObject({ reason: 'missing_entry', seq: 3 });
  });
});
