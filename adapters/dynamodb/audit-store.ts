/**
 * AuditStore on the key table, and the one item codec of audit entries (core/audit.ts): the
 * repository writes entries with `auditItem` inside its transactions, this store writes denied
 * attempts with it and reads every entry back with `entryOf`.
 *
 * Item layout (table-schema.ts, docs/data-model.md):
 *   pk     AUDIT#<target.keyId>        an entry about a key (its chain and denied attempts on it)
 *          AUDIT#OWNER#<target.ownerId> a denied create: there is no key yet
 *   sk     <entry id>                  `aud_` + ULID: sorts by time
 *   gsi1pk AUDIT#OWNER#<target.ownerId>, gsi1sk <entry id>   byOwner
 *   gsi2pk AUDIT,                        gsi2sk <entry id>   byCreated
 *   gsi4pk AUDIT#ACTOR#<actor.keyId>,    gsi4sk <entry id>   byActor (only entries whose actor is a key)
 *   ttl    entry.expiresAt             DynamoDB TTL deletes the entry after retention
 *   type   'audit'
 * plus the entry's own fields as attributes (maps for actor, target, request and chain, a list
 * for changes). Never gsi3pk: the expiry index is for keys.
 *
 * What is stored is the entry as JSON sees it (undefined members dropped), which is also what
 * its digest covers (canonicalJson), so an entry read back recomputes to the same digest.
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { type AuditEntry, type AuditPage, type AuditQuery, auditIdBounds, isAuditId } from '../../core/audit';
import { isKeyId } from '../../core/ids';
import { type AuditStore, ConflictError, InvalidCursorError } from '../../core/ports';
import { dynamoDependencyError, isConditionFailure } from './errors';
import { AUDIT_PREFIX } from './table-schema';

/** Every field of an entry: what is written besides the keys, and all that is read back. */
const ENTRY_FIELDS = [
  'id', 'at', 'action', 'outcome', 'reason', 'actor', 'target', 'request', 'changes', 'chain', 'expiresAt', 'digest',
] as const satisfies readonly (keyof AuditEntry)[];

const ALL_ENTRIES = 'AUDIT';
const ownerPartition = (ownerId: string): string => `${AUDIT_PREFIX}OWNER#${ownerId}`;
const actorPartition = (actorKeyId: string): string => `${AUDIT_PREFIX}ACTOR#${actorKeyId}`;
const keyPartition = (keyId: string): string => `${AUDIT_PREFIX}${keyId}`;

function pickEntry(source: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of ENTRY_FIELDS) if (source[f] !== undefined) out[f] = source[f];
  return out;
}

/** The item of one entry. */
export function auditItem(entry: AuditEntry): Record<string, unknown> {
  // A JSON round trip drops undefined members at every level, as the digest does.
  const fields = JSON.parse(JSON.stringify(pickEntry(entry as unknown as Record<string, unknown>))) as Record<string, unknown>;
  const { keyId, ownerId } = entry.target;
  return {
    ...fields,
    pk: keyId !== undefined ? keyPartition(keyId) : ownerPartition(ownerId),
    sk: entry.id,
    type: 'audit',
    gsi1pk: ownerPartition(ownerId),
    gsi1sk: entry.id,
    gsi2pk: ALL_ENTRIES,
    gsi2sk: entry.id,
    ...(entry.actor.keyId !== undefined ? { gsi4pk: actorPartition(entry.actor.keyId), gsi4sk: entry.id } : {}),
    ttl: entry.expiresAt,
  };
}

/** The entry an item holds: its own fields and nothing else. */
export function entryOf(item: Readonly<Record<string, unknown>>): AuditEntry {
  return pickEntry(item) as unknown as AuditEntry;
}

interface Partition {
  readonly index?: string;
  readonly pkName: string;
  readonly skName: string;
  readonly pk: string;
}

function partitionOf(q: AuditQuery): Partition {
  if (q.keyId !== undefined) return { pkName: 'pk', skName: 'sk', pk: keyPartition(q.keyId) };
  if (q.actorKeyId !== undefined) return { index: 'byActor', pkName: 'gsi4pk', skName: 'gsi4sk', pk: actorPartition(q.actorKeyId) };
  if (q.ownerId !== undefined) return { index: 'byOwner', pkName: 'gsi1pk', skName: 'gsi1sk', pk: ownerPartition(q.ownerId) };
  return { index: 'byCreated', pkName: 'gsi2pk', skName: 'gsi2sk', pk: ALL_ENTRIES };
}

export class DynamoAuditStore implements AuditStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: auditItem(entry), ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (err) {
      if (isConditionFailure(err)) throw new ConflictError(`audit entry ${entry.id} already exists`, { cause: err });
      throw dynamoDependencyError('PutItem', err);
    }
  }

  async query(q: AuditQuery): Promise<AuditPage> {
    if (q.before !== undefined && !isAuditId(q.before)) throw new InvalidCursorError('cursor was not issued by this API');
    // A key id never holds `#`: `keyId=OWNER#x` must not reach the denied creates of owner x.
    if (q.limit < 1 || (q.keyId !== undefined && !isKeyId(q.keyId))) return { items: [] };

    const part = partitionOf(q);
    const names: Record<string, string> = { '#p': part.pkName, '#s': part.skName };
    const values: Record<string, unknown> = { ':p': part.pk };

    // Sort-key range: [from, to) as id bounds, and strictly older than `before`.
    const { low, high } = auditIdBounds(q.from, q.to);
    let upper: { readonly id: string; readonly inclusive: boolean } | undefined = high !== undefined ? { id: high, inclusive: true } : undefined;
    if (q.before !== undefined && (upper === undefined || q.before <= upper.id)) upper = { id: q.before, inclusive: false };
    if (low !== undefined && upper !== undefined && (upper.inclusive ? upper.id < low : upper.id <= low)) return { items: [] };
    let range = '';
    if (low !== undefined && upper !== undefined) {
      // BETWEEN is inclusive; an exclusive upper bound (`before`) is dropped below.
      range = ' AND #s BETWEEN :low AND :high';
      values[':low'] = low;
      values[':high'] = upper.id;
    } else if (low !== undefined) {
      range = ' AND #s >= :low';
      values[':low'] = low;
    } else if (upper !== undefined) {
      range = upper.inclusive ? ' AND #s <= :high' : ' AND #s < :high';
      values[':high'] = upper.id;
    }
    if (range === '') delete names['#s']; // DynamoDB refuses unused attribute names
    const excluded = upper !== undefined && !upper.inclusive ? upper.id : undefined;

    const filters: string[] = [];
    if (q.ownerId !== undefined && part.index !== 'byOwner') {
      filters.push('#target.#ownerId = :owner');
      names['#target'] = 'target';
      names['#ownerId'] = 'ownerId';
      values[':owner'] = q.ownerId;
    }
    if (q.actorKeyId !== undefined && part.index !== 'byActor') {
      filters.push('#actor.#keyId = :actorKeyId');
      names['#actor'] = 'actor';
      names['#keyId'] = 'keyId';
      values[':actorKeyId'] = q.actorKeyId;
    }
    if (q.action !== undefined) {
      filters.push('#action = :action');
      names['#action'] = 'action';
      values[':action'] = q.action;
    }

    const base: QueryCommandInput = {
      TableName: this.tableName,
      ...(part.index ? { IndexName: part.index } : {}),
      KeyConditionExpression: `#p = :p${range}`,
      ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
    };

    const items: AuditEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (;;) {
      // One more than needed, so a full last page is not followed by a lastId that leads nowhere.
      const want = q.limit - items.length + 1 + (excluded !== undefined && startKey === undefined ? 1 : 0);
      let out;
      try {
        out = await this.doc.send(new QueryCommand({ ...base, Limit: filters.length > 0 ? Math.max(want, 50) : want, ExclusiveStartKey: startKey }));
      } catch (err) {
        throw dynamoDependencyError('Query', err);
      }
      for (const item of out.Items ?? []) {
        const entry = entryOf(item);
        if (entry.id === excluded) continue;
        // This entry exists beyond the requested count: there is more.
        if (items.length === q.limit) return { items, lastId: items[items.length - 1]!.id };
        items.push(entry);
      }
      if (!out.LastEvaluatedKey) return { items };
      startKey = out.LastEvaluatedKey;
    }
  }

  async entriesOfKey(keyId: string): Promise<readonly AuditEntry[]> {
    if (!isKeyId(keyId)) return [];
    const out: AuditEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      let page;
      try {
        page = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :p',
            ExpressionAttributeValues: { ':p': keyPartition(keyId) },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
      } catch (err) {
        throw dynamoDependencyError('Query', err);
      }
      for (const item of page.Items ?? []) out.push(entryOf(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }
}
