/**
 * KeyRepository on one DynamoDB table (schema: table-schema.ts, docs/data-model.md).
 *
 * Two items per key, always written together in one transaction:
 *   KEY#<id>   / KEY   the full record (sensitive attributes sealed), indexed by owner,
 *                      creation and expiry
 *   HASH#<sha> / HASH  what the authorizer needs, so verification is one strongly
 *                      consistent GetItem with no index and no KMS
 *   EXT#<externalId> / EXT   an imported key's id in the system it came from → its key id and
 *                      hash (core/key-import.ts), written with the key, so import is idempotent
 * Conditions make ids, hashes and external ids write-once and updates optimistic (version check).
 * Every write also puts the change's audit entries (audit-store.ts, `AUDIT#<keyId>`) in the same
 * transaction, each write-once: the change and its entries are stored together or not at all,
 * and the record's `auditHead` is only ever stored beside the entry it names.
 */
import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../../core/audit';
import { isKeyId } from '../../core/ids';
import {
  ConflictError,
  InvalidCursorError,
  type KeyRepository,
  type ListKeysFilter,
  type ListPage,
} from '../../core/ports';
import type { ExpiringKey, ExpiryIndex } from '../../core/expiry-scan';
import type { ImportedKeyRef, KeyImportStore } from '../../core/key-import';
import { type AuthzRecord, authzProjection, type SealedKeyRecord } from '../../core/records';
import { auditItem } from './audit-store';
import { dynamoDependencyError, isConditionFailure } from './errors';

const keyPk = (id: string): string => `KEY#${id}`;
const hashPk = (hash: string): string => `HASH#${hash}`;
const extPk = (externalId: string): string => `EXT#${externalId}`;
const EXT_SK = 'EXT';
const KEY_SK = 'KEY';
const HASH_SK = 'HASH';
const ALL_KEYS = 'KEYS';

const RECORD_FIELDS = [
  'id', 'ownerId', 'name', 'environment', 'start', 'hash', 'scopes', 'status', 'createdAt', 'createdBy', 'updatedAt',
  'expiresAt', 'lastUsedAt', 'revokedAt', 'replaces', 'replacedBy', 'lineage', 'rateLimit', 'quota', 'allowedIps', 'sealed', 'version',
  'auditHead', 'template', 'externalId', 'importedAt',
] as const;

const AUTHZ_FIELDS = ['keyId', 'ownerId', 'environment', 'scopes', 'status', 'expiresAt', 'allowedIps', 'lineage', 'rateLimit', 'quota'] as const;

function pick<T extends object>(item: Record<string, unknown>, fields: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (item[f] !== undefined) out[f] = item[f];
  return out as T;
}

/** The item of a key record (bulk loads in tests write it directly). */
export function recordItem(r: SealedKeyRecord): Record<string, unknown> {
  const item: Record<string, unknown> = {
    pk: keyPk(r.id),
    sk: KEY_SK,
    type: 'key',
    ...pick<Record<string, unknown>>(r as unknown as Record<string, unknown>, RECORD_FIELDS),
    gsi1pk: `OWNER#${r.ownerId}`,
    gsi1sk: r.id,
    gsi2pk: ALL_KEYS,
    gsi2sk: r.id,
  };
  // Sparse expiry index: only keys that can still expire (active, with an expiry).
  if (r.status === 'active' && r.expiresAt !== undefined) {
    item.gsi3pk = expiryPartition(r.expiresAt);
    item.gsi3sk = expirySortKey(r.expiresAt, r.id);
  }
  return item;
}

/** The expiry index's keys: a partition per UTC day, sorted by `<expiresAt>#<id>` (also the scan position). */
const expiryPartition = (expiresAtOrDay: string): string => `EXP#${expiresAtOrDay.slice(0, 10)}`;
const expirySortKey = (expiresAt: string, id: string): string => `${expiresAt}#${id}`;
const EXPIRING_FIELDS = ['id', 'ownerId', 'name', 'status', 'expiresAt'] as const;

function hashItem(r: SealedKeyRecord): Record<string, unknown> {
  return { pk: hashPk(r.hash), sk: HASH_SK, type: 'hash', ...authzProjection(r) };
}

function encodeCursor(id: string): string {
  return Buffer.from(`v1:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith('v1:') ? text.slice(3) : '';
  if (!isKeyId(id)) throw new InvalidCursorError('cursor was not issued by this API');
  return id;
}


export class DynamoKeyRepository implements KeyRepository, ExpiryIndex, KeyImportStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getAuthzByHash(hash: string): Promise<AuthzRecord | undefined> {
    let out;
    try {
      out = await this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: hashPk(hash), sk: HASH_SK },
          ConsistentRead: true,
          ProjectionExpression: AUTHZ_FIELDS.map((_, i) => `#f${i}`).join(', '),
          ExpressionAttributeNames: Object.fromEntries(AUTHZ_FIELDS.map((f, i) => [`#f${i}`, f])),
        }),
      );
    } catch (err) {
      throw dynamoDependencyError('GetItem', err);
    }
    return out.Item ? pick<AuthzRecord>(out.Item, AUTHZ_FIELDS) : undefined;
  }

  async getById(id: string): Promise<SealedKeyRecord | undefined> {
    let out;
    try {
      out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: keyPk(id), sk: KEY_SK }, ConsistentRead: true }));
    } catch (err) {
      throw dynamoDependencyError('GetItem', err);
    }
    return out.Item ? pick<SealedKeyRecord>(out.Item, RECORD_FIELDS) : undefined;
  }

  private async transact(op: string, items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>): Promise<void> {
    try {
      // The token makes the SDK's retry of a transaction whose response was lost idempotent:
      // DynamoDB answers it as already done instead of failing its conditions as a conflict.
      await this.doc.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: randomUUID() }));
    } catch (err) {
      if (isConditionFailure(err)) throw new ConflictError(`${op}: a concurrent change or an existing item prevented the write`, { cause: err });
      throw dynamoDependencyError('TransactWriteItems', err);
    }
  }

  private putNew(r: SealedKeyRecord) {
    return [
      { Put: { TableName: this.tableName, Item: recordItem(r), ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.tableName, Item: hashItem(r), ConditionExpression: 'attribute_not_exists(pk)' } },
    ];
  }

  private putExisting(r: SealedKeyRecord) {
    return [
      {
        Put: {
          TableName: this.tableName,
          Item: recordItem(r),
          ConditionExpression: '#v = :prev',
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':prev': r.version - 1 },
        },
      },
      { Put: { TableName: this.tableName, Item: hashItem(r), ConditionExpression: 'attribute_exists(pk)' } },
    ];
  }

  /** The entry about `r`, write-once (an entry id is never reused). */
  private putAudit(r: SealedKeyRecord, entry: AuditEntry) {
    // A bug, not a fault: an entry filed under another key would break both chains.
    if (entry.target.keyId !== r.id) throw new Error(`audit entry ${entry.id} is about ${entry.target.keyId ?? 'no key'}, not ${r.id}`);
    return { Put: { TableName: this.tableName, Item: auditItem(entry), ConditionExpression: 'attribute_not_exists(pk)' } };
  }

  async create(record: SealedKeyRecord, audit: AuditEntry): Promise<void> {
    await this.transact('create', [...this.putNew(record), this.putAudit(record, audit)]);
  }

  async update(record: SealedKeyRecord, audit: AuditEntry): Promise<void> {
    await this.transact('update', [...this.putExisting(record), this.putAudit(record, audit)]);
  }

  async rotate(updatedOld: SealedKeyRecord, created: SealedKeyRecord, audit: readonly [old: AuditEntry, created: AuditEntry]): Promise<void> {
    await this.transact('rotate', [
      ...this.putExisting(updatedOld),
      ...this.putNew(created),
      this.putAudit(updatedOld, audit[0]),
      this.putAudit(created, audit[1]),
    ]);
  }

  async getImported(externalId: string): Promise<ImportedKeyRef | undefined> {
    let out;
    try {
      out = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: extPk(externalId), sk: EXT_SK }, ConsistentRead: true, ProjectionExpression: 'keyId, #h', ExpressionAttributeNames: { '#h': 'hash' } }),
      );
    } catch (err) {
      throw dynamoDependencyError('GetItem', err);
    }
    const item = out.Item;
    return item && typeof item.keyId === 'string' && typeof item.hash === 'string' ? { keyId: item.keyId, hash: item.hash } : undefined;
  }

  async importKey(record: SealedKeyRecord & { readonly externalId: string }, audit: AuditEntry): Promise<void> {
    const ext = { pk: extPk(record.externalId), sk: EXT_SK, type: 'external-id', keyId: record.id, hash: record.hash, importedAt: record.importedAt };
    try {
      await this.transact('import', [
        ...this.putNew(record),
        { Put: { TableName: this.tableName, Item: ext, ConditionExpression: 'attribute_not_exists(pk)' } },
        this.putAudit(record, audit),
      ]);
    } catch (err) {
      // Two imports of the same row at once: DynamoDB cancels one as a TransactionConflict. That is
      // the same race a failed condition reports, and the service decides the row again.
      const cause = err instanceof Error ? err.cause : undefined;
      if (cause instanceof TransactionCanceledException && (cause.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict')) {
        throw new ConflictError('import: a concurrent import of the same key', { cause });
      }
      throw err;
    }
  }

  async list(filter: ListKeysFilter): Promise<ListPage<SealedKeyRecord>> {
    const byOwner = filter.ownerId !== undefined;
    const base: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: byOwner ? 'byOwner' : 'byCreated',
      KeyConditionExpression: '#p = :p',
      ExpressionAttributeNames: { '#p': byOwner ? 'gsi1pk' : 'gsi2pk' },
      ExpressionAttributeValues: { ':p': byOwner ? `OWNER#${filter.ownerId}` : ALL_KEYS },
      ScanIndexForward: false,
    };
    if (filter.status) {
      const nowIso = filter.now.toISOString();
      base.ExpressionAttributeNames!['#s'] = 'status';
      if (filter.status === 'revoked') {
        base.FilterExpression = '#s = :revoked';
        base.ExpressionAttributeValues![':revoked'] = 'revoked';
      } else {
        base.ExpressionAttributeNames!['#e'] = 'expiresAt';
        base.ExpressionAttributeValues![':active'] = 'active';
        base.ExpressionAttributeValues![':now'] = nowIso;
        base.FilterExpression =
          filter.status === 'active'
            ? '#s = :active AND (attribute_not_exists(#e) OR #e > :now)'
            : '#s = :active AND #e <= :now';
      }
    }
    let startKey: Record<string, unknown> | undefined;
    if (filter.cursor !== undefined) {
      const id = decodeCursor(filter.cursor);
      startKey = byOwner
        ? { pk: keyPk(id), sk: KEY_SK, gsi1pk: `OWNER#${filter.ownerId}`, gsi1sk: id }
        : { pk: keyPk(id), sk: KEY_SK, gsi2pk: ALL_KEYS, gsi2sk: id };
    }
    const items: SealedKeyRecord[] = [];
    for (;;) {
      // One more than needed, so a full last page is not followed by a cursor to an empty page.
      const want = filter.limit - items.length + 1;
      let out;
      try {
        out = await this.doc.send(
          new QueryCommand({ ...base, Limit: filter.status ? Math.max(want, 50) : want, ExclusiveStartKey: startKey }),
        );
      } catch (err) {
        throw dynamoDependencyError('Query', err);
      }
      const page = out.Items ?? [];
      for (let i = 0; i < page.length; i++) {
        if (items.length === filter.limit) {
          // page[i] exists beyond the requested count: there is more.
          return { items, nextCursor: encodeCursor(items[items.length - 1]!.id) };
        }
        items.push(pick<SealedKeyRecord>(page[i]!, RECORD_FIELDS));
      }
      if (!out.LastEvaluatedKey) return { items };
      startKey = out.LastEvaluatedKey;
    }
  }

  async touchLastUsed(id: string, at: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keyPk(id), sk: KEY_SK },
          UpdateExpression: 'SET lastUsedAt = :t',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :t)',
          ExpressionAttributeValues: { ':t': at },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) return;
      throw dynamoDependencyError('UpdateItem', err);
    }
  }

  /**
   * One page of the expiry index for the expiry scan (core/expiry-scan.ts): keys expiring in
   * [from, to) after the position `after` (an index sort key, `<expiresAt>#<id>`), in that order,
   * one day partition after another. Only the fields the scan needs are read back.
   */
  async pageExpiring(from: Date, to: Date, options: { readonly after?: string; readonly limit: number }): Promise<{ items: ExpiringKey[]; next?: string }> {
    const fromIso = from.toISOString();
    const toIso = to.toISOString();
    const after = options.after !== undefined && options.after >= fromIso ? options.after : undefined;
    const items: ExpiringKey[] = [];
    let last: string | undefined;
    const firstDay = (after ?? fromIso).slice(0, 10);
    for (let day = new Date(firstDay + 'T00:00:00.000Z'); day < to; day = new Date(day.getTime() + 86_400_000)) {
      let startKey: Record<string, unknown> | undefined;
      do {
        let page;
        try {
          page = await this.doc.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: 'byExpiry',
              KeyConditionExpression: 'gsi3pk = :p AND gsi3sk BETWEEN :from AND :to',
              ProjectionExpression: EXPIRING_FIELDS.map((_, i) => `#f${i}`).join(', '),
              ExpressionAttributeNames: Object.fromEntries(EXPIRING_FIELDS.map((f, i) => [`#f${i}`, f])),
              // The position itself is read again (BETWEEN is inclusive) and dropped below.
              ExpressionAttributeValues: { ':p': expiryPartition(day.toISOString()), ':from': after ?? fromIso, ':to': toIso },
              ExclusiveStartKey: startKey,
              Limit: options.limit - items.length + 1,
            }),
          );
        } catch (err) {
          throw dynamoDependencyError('Query', err);
        }
        for (const item of page.Items ?? []) {
          const k = pick<ExpiringKey>(item, EXPIRING_FIELDS);
          if (k.expiresAt === undefined || k.expiresAt < fromIso || k.expiresAt >= toIso) continue;
          const position = expirySortKey(k.expiresAt, k.id);
          if (after !== undefined && position <= after) continue;
          items.push(k);
          last = position;
          if (items.length >= options.limit) return { items, next: last };
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return { items };
  }
}
