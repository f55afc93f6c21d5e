/**
 * CounterStore on DynamoDB: one item per key or rotation lineage (`CTR#<id>` / `LIMITS`)
 * holding every limit's state. The core (core/limits.ts) decides each conditional write and
 * reads its outcome; this adapter only turns a CounterWrite into one UpdateItem
 * (docs/rate-limiting.md):
 *
 *   SET <the write's set> ADD <the write's add>  IF <every condition of the write>
 *
 * Both outcomes return the item: the new one on success, the old one when the condition fails
 * (ReturnValuesOnConditionCheckFailure), so a refusal or a roll-over costs no extra read.
 * Conditions make it exact under any concurrency; a lost race just takes the next step.
 *
 * The store remembers, per id, the item as it last saw it (bounded LRU): it only chooses which
 * write to try first (an increment, or a roll into a new window), never a decision.
 */
import type { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  type Cond,
  type CounterState,
  type CounterWrite,
  type CounterWriteOutcome,
  countsAt,
  decideWithWrites,
  type LimitPlan,
  type LimitResult,
  planIsEmpty,
  releaseWrites,
} from '../../core/limits';
import { LruCache } from '../../core/lru-cache';
import type { CounterStore } from '../../core/ports';
import { dynamoDependencyError, isConditionFailure } from './errors';

const counterKey = (keyId: string) => ({ pk: `CTR#${keyId}`, sk: 'LIMITS' });
/** How long the store trusts its last view of an item as a hint for the first write. */
const SEEN_TTL_MS = 10 * 60_000;

/** The UpdateItem expression for a CounterWrite (pure). */
export function counterUpdate(write: CounterWrite) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  let n = 0;
  const name = (attr: string) => {
    names[`#${attr}`] = attr;
    return `#${attr}`;
  };
  const value = (v: unknown) => {
    const k = `:v${n++}`;
    values[k] = v;
    return k;
  };
  const cond = (c: Cond): string => {
    if ('any' in c) return `(${c.any.map(cond).join(' OR ')})`;
    if ('absent' in c) return `attribute_not_exists(${name(c.attr)})`;
    return `${name(c.attr)} ${c.cmp} ${value(c.value)}`;
  };
  const sets = Object.entries(write.set).map(([attr, v]) => `${name(attr)} = ${value(v)}`);
  const adds = Object.entries(write.add).map(([attr, v]) => `${name(attr)} ${value(v)}`);
  const update = [sets.length ? `SET ${sets.join(', ')}` : '', adds.length ? `ADD ${adds.join(', ')}` : ''].filter(Boolean).join(' ');
  return {
    UpdateExpression: update,
    ...(write.when.length ? { ConditionExpression: write.when.map(cond).join(' AND ') } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * Give this store a client with `maxAttempts: 1`: a counter write is not idempotent, so an
 * SDK retry after a write that landed but timed out would count one request twice. Without
 * retries a timeout fails the request closed, and at worst one unit of allowance is used by
 * a request that was refused (never an admission beyond the limit).
 */
export class DynamoCounterStore implements CounterStore {
  private readonly seen: LruCache<CounterState>;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Ids whose last-seen item is kept as a hint (bounded memory). */
    seenMaxEntries = 10_000,
  ) {
    this.seen = new LruCache<CounterState>(seenMaxEntries);
  }

  async peek(keyId: string, plan: LimitPlan, now: Date): Promise<LimitResult> {
    let item: CounterState | undefined;
    try {
      item = (await this.doc.send(new GetCommand({ TableName: this.tableName, Key: counterKey(keyId), ConsistentRead: true }))).Item as CounterState | undefined;
    } catch (err) {
      throw dynamoDependencyError('counter GetItem', err);
    }
    return countsAt(plan, item, now);
  }

  async consume(keyId: string, plan: LimitPlan, now: Date, cost = 1): Promise<LimitResult> {
    if (planIsEmpty(plan)) return { admitted: true };
    return decideWithWrites(plan, now, cost, this.seen.get(keyId, now.getTime()), async (write) => {
      const outcome = await this.execute(keyId, write);
      const item = outcome.ok ? outcome.item : outcome.current;
      if (item) this.seen.set(keyId, item, now.getTime() + SEEN_TTL_MS);
      else this.seen.delete(keyId);
      return outcome;
    });
  }

  async release(keyId: string, plan: LimitPlan, taken: LimitResult, units: number, _now: Date): Promise<void> {
    if (units <= 0) return;
    // One write per counter: a counter whose window moved on is left alone (its condition fails).
    await Promise.all(
      releaseWrites(plan, taken, units).map(async (write) => {
        try {
          await this.doc.send(new UpdateCommand({ TableName: this.tableName, Key: counterKey(keyId), ...counterUpdate(write) }));
        } catch (err) {
          if (!isConditionFailure(err)) throw dynamoDependencyError('counter release', err);
        }
      }),
    );
  }

  private async execute(keyId: string, write: CounterWrite): Promise<CounterWriteOutcome> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: counterKey(keyId),
          ...counterUpdate(write),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true, item: out.Attributes as CounterState };
    } catch (err) {
      if (isConditionFailure(err)) {
        const raw = (err as ConditionalCheckFailedException).Item;
        return { ok: false, current: raw ? (unmarshall(raw) as CounterState) : undefined };
      }
      throw dynamoDependencyError('counter UpdateItem', err);
    }
  }
}
