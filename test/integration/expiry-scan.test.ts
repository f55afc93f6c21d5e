/**
 * The expiry scan on DynamoDB Local: the real expiry index, the ledger's conditional writes and
 * the audit store. Repeated and overlapping runs send each notice once, a rotation's grace end
 * gets `expiring` then `expired`, thousands of keys page through (and resume after a stop for
 * time), and every notice sent has its audit entry.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '../../adapters/dynamodb/audit-store';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { createTable } from '../../adapters/dynamodb/create-tables';
import { DynamoExpiryLedger, EXPIRY_LEDGER_ATTRIBUTES, expiryLedgerKey } from '../../adapters/dynamodb/expiry-ledger';
import { DynamoKeyRepository, recordItem } from '../../adapters/dynamodb/key-repository';
import { COUNTER_TABLE } from '../../adapters/dynamodb/table-schema';
import { EXPIRY_LEDGER_DAYS, type ExpiryScanOptions, KEY_EXPIRED_EVENT, KEY_EXPIRING_EVENT, scanExpiring } from '../../core/expiry-scan';
import { newKeyId } from '../../core/ids';
import { generateKey } from '../../core/key-format';
import type { EventSink } from '../../core/ports';
import type { SealedKeyRecord } from '../../core/records';
import { audited, createAudited } from '../support/audit-fixtures';
import { expiryScanSeconds, startLocalExpiryScan } from '../../local/expiry';
import { dynamoEndpoint, uniqueTableName } from '../support/local';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2033-04-01T09:00:00.000Z');

const keyTable = uniqueTableName('exp-keys');
const counterTable = uniqueTableName('exp-ctr');
let client: DynamoDBClient;
let doc: ReturnType<typeof createDocumentClient>;
let repo: DynamoKeyRepository;
let ledger: DynamoExpiryLedger;
let audit: DynamoAuditStore;
let idMs = T0 - 30 * DAY;

function record(owner: string, expiresAt: number | undefined, over: Partial<SealedKeyRecord> = {}): SealedKeyRecord {
  const g = generateKey('kg', 'live', randomBytes(32));
  const at = new Date(T0 - 30 * DAY).toISOString();
  return {
    id: newKeyId(idMs++),
    ownerId: owner,
    name: `key-${idMs}`,
    environment: 'live',
    start: g.start,
    hash: g.hash,
    scopes: ['echo:read'],
    status: 'active',
    createdAt: at,
    createdBy: 'test',
    updatedAt: at,
    version: 1,
    ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
    ...over,
  };
}

class Capture implements EventSink {
  readonly events: { type: string; [f: string]: unknown }[] = [];
  async publish(e: { readonly type: string; readonly [f: string]: unknown }) {
    this.events.push({ ...e });
  }
  notices(owner?: string) {
    return this.events.filter((e) => (e.type === KEY_EXPIRING_EVENT || e.type === KEY_EXPIRED_EVENT) && (owner === undefined || e.ownerId === owner));
  }
}

const scan = (at: number, events: EventSink, over: Partial<ExpiryScanOptions> = {}) =>
  scanExpiring({ index: repo, ledger, events, clock: { now: () => new Date(at) }, audit: { store: audit, retentionDays: 30 }, ...over });

beforeAll(async () => {
  client = new DynamoDBClient({ endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createTable(client, keyTable);
  await createTable(client, counterTable, COUNTER_TABLE);
  doc = createDocumentClient({ endpoint: dynamoEndpoint() });
  repo = new DynamoKeyRepository(doc, keyTable);
  ledger = new DynamoExpiryLedger(doc, counterTable);
  audit = new DynamoAuditStore(doc, keyTable);
});

afterAll(() => {
  doc?.destroy();
  client?.destroy();
});

describe('expiry scan on DynamoDB', () => {
  it('sends each notice exactly once across overlapping and repeated runs, and audits each', async () => {
    // Prepare: one owner's keys at several distances from expiry
    const owner = 'overlap';
    const keys = {
      twoDays: await createAudited(repo, record(owner, T0 + 2 * DAY)),
      tenDays: await createAudited(repo, record(owner, T0 + 10 * DAY)),
      twentyDays: await createAudited(repo, record(owner, T0 + 20 * DAY)),
      hourAgo: await createAudited(repo, record(owner, T0 - HOUR)),
      noExpiry: await createAudited(repo, record(owner, undefined)),
    };
    const sink = new Capture();
    // Act: four runs at once, then two more
    await Promise.all([scan(T0, sink), scan(T0, sink), scan(T0, sink), scan(T0 + 1000, sink)]);
    await scan(T0 + HOUR, sink);
    await scan(T0 + 2 * HOUR, sink);
    // Assess
    const got = sink.notices(owner).map((e) => [e.keyId, e.type, e.threshold]);
    expect(got).toHaveLength(3);
    expect(got).toEqual(
      expect.arrayContaining([
        [keys.twoDays.id, KEY_EXPIRING_EVENT, 7],
        [keys.tenDays.id, KEY_EXPIRING_EVENT, 14],
        [keys.hourAgo.id, KEY_EXPIRED_EVENT, null],
      ]),
    );
    const notified = async (id: string) => (await audit.entriesOfKey(id)).filter((e) => e.action.endsWith('_notified')).map((e) => [e.action, e.actor.type, e.chain]);
    expect(await notified(keys.twoDays.id)).toEqual([['key.expiring_notified', 'system', undefined]]);
    expect(await notified(keys.hourAgo.id)).toEqual([['key.expired_notified', 'system', undefined]]);
    expect(await notified(keys.twentyDays.id)).toEqual([]);
    expect(await notified(keys.noExpiry.id)).toEqual([]);
  });

  it('keeps a ledger item of its own attributes per key and expiry, forgotten some days after the expiry', async () => {
    // Prepare
    const r = await createAudited(repo, record('ledger-shape', T0 + 3 * DAY));
    // Act
    await scan(T0, new Capture());
    // Assess
    const item = (await doc.send(new GetCommand({ TableName: counterTable, Key: expiryLedgerKey({ keyId: r.id, expiresAt: r.expiresAt! }) }))).Item!;
    expect(Object.keys(item).sort()).toEqual([...EXPIRY_LEDGER_ATTRIBUTES].sort());
    expect(item).toMatchObject({ pk: `EXPN#${r.id}`, sk: r.expiresAt, stage: 7, state: 'sent', ttl: Math.floor((T0 + 3 * DAY + EXPIRY_LEDGER_DAYS * DAY) / 1000) });
  });

  it('gives a rotated key a warning for its grace end, then expired when the grace period ends', async () => {
    // Prepare: a key with no expiry, rotated at T0 with a 6-hour grace period
    const owner = 'rotation';
    const old = await createAudited(repo, record(owner, undefined));
    const created = record(owner, undefined);
    const updatedOld: SealedKeyRecord = { ...old, expiresAt: new Date(T0 + 6 * HOUR).toISOString(), replacedBy: created.id, version: 2, updatedAt: new Date(T0).toISOString() };
    const a = audited('key.rotated', old, updatedOld);
    const b = audited('key.rotated', undefined, created);
    await repo.rotate(a.record, b.record, [a.entry, b.entry]);
    const sink = new Capture();
    // Act
    await scan(T0 + HOUR, sink);
    await scan(T0 + 7 * HOUR, sink);
    await scan(T0 + 8 * HOUR, sink);
    // Assess
    expect(sink.notices(owner).map((e) => [e.keyId, e.type, e.threshold, e.expiresAt])).toEqual([
      [old.id, KEY_EXPIRING_EVENT, 1, updatedOld.expiresAt],
      [old.id, KEY_EXPIRED_EVENT, null, updatedOld.expiresAt],
    ]);
  });

  it('pages through thousands of keys, resumes after a stop for time, and sends nothing on the next run', async () => {
    // Prepare: 2000 keys expiring over the next 13 days (bulk-written, 25 per call)
    const owner = 'bulk';
    const start = T0 + 50 * DAY;
    const records = Array.from({ length: 2000 }, (_, i) => record(owner, start + HOUR + Math.floor((i * 13 * DAY) / 2000)));
    const chunks = Array.from({ length: records.length / 25 }, (_, i) => records.slice(i * 25, i * 25 + 25));
    for (let i = 0; i < chunks.length; i += 8) {
      await Promise.all(
        chunks.slice(i, i + 8).map((c) => doc.send(new BatchWriteCommand({ RequestItems: { [keyTable]: c.map((r) => ({ PutRequest: { Item: recordItem(r) } })) } }))),
      );
    }
    const sink = new Capture();
    let pages = 0;
    // Act: time for 12 pages of 100, then the rest from the continuation, then a whole new run
    const first = await scan(start, sink, { pageSize: 100, hasTime: () => pages++ < 12, audit: undefined });
    const rest = await scan(start, sink, { pageSize: 250, after: first.continueAfter!, audit: undefined });
    const again = await scan(start, sink, { pageSize: 250, audit: undefined });
    // Assess
    expect(first.scanned).toBe(1200);
    expect(first.continueAfter).toBeDefined();
    expect(rest.continueAfter).toBeUndefined();
    const ids = sink.notices(owner).map((e) => e.keyId);
    expect(ids).toHaveLength(2000);
    expect(new Set(ids).size).toBe(2000);
    expect(again.published).toEqual([]);
    expect(again.alreadySent).toBe(2000);
    // thresholds by distance: < 1 day → 1, < 7 → 7, else 14
    const byThreshold = new Map<unknown, number>();
    for (const e of sink.notices(owner)) byThreshold.set(e.threshold, (byThreshold.get(e.threshold) ?? 0) + 1);
    expect([...byThreshold.keys()].sort()).toEqual([1, 14, 7]);
  }, 120_000);
});

describe('local expiry scan', () => {
  it('runs once at start (a runNow right after finds the notice already sent), and not at all with no timer', async () => {
    // Prepare
    const owner = 'local-start';
    const r = await createAudited(repo, record(owner, T0 + 12 * HOUR));
    const sink = new Capture();
    const options = { home: '/nonexistent', dynamoEndpoint: dynamoEndpoint(), tableName: keyTable, counterTableName: counterTable, auditRetentionDays: 30, thresholdsDays: [14, 7, 1], events: sink, clock: { now: () => new Date(T0) } };
    // Act
    const idle = startLocalExpiryScan({ ...options, intervalSeconds: 0 });
    await idle.stop();
    const beforeStart = sink.notices(owner).length;
    const local = startLocalExpiryScan({ ...options, intervalSeconds: 3600 });
    const after = await local.runNow();
    await local.stop();
    // Assess
    expect(beforeStart).toBe(0);
    expect(sink.notices(owner).map((e) => [e.keyId, e.threshold])).toEqual([[r.id, 1]]);
    expect(after.published).toEqual([]);
    await expect(local.runNow()).rejects.toThrow('expiry scan is stopped');
  });

  it('reads KEYGATE_EXPIRY_SCAN_SECONDS, 60 by default, and refuses what is not whole seconds', () => {
    expect(expiryScanSeconds({})).toBe(60);
    expect(expiryScanSeconds({ KEYGATE_EXPIRY_SCAN_SECONDS: '0' })).toBe(0);
    expect(expiryScanSeconds({ KEYGATE_EXPIRY_SCAN_SECONDS: '5' })).toBe(5);
    expect(() => expiryScanSeconds({ KEYGATE_EXPIRY_SCAN_SECONDS: '1.5' })).toThrow('KEYGATE_EXPIRY_SCAN_SECONDS must be a whole number of seconds from 0 (no timer) to 86400 (got "1.5")');
  });
});
