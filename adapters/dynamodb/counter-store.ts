/**
 * CounterStore on DynamoDB: one item per key (`CTR#<keyId>` / `LIMITS`) holding every
 * window's id and count. A request is one conditional UpdateItem that checks every limit
 * and moves every counter together, or moves nothing (docs/rate-limiting.md):
 *
 *   fast path   ADD rc :1, dc :1, mc :1  IF rw = :w AND rc < :rl AND dw = :d AND dc < :dl ...
 *   on failure  the old item comes back (ReturnValuesOnConditionCheckFailure), so no extra
 *               read: either a limit is exhausted (reject, nothing moved) or a window rolled
 *               over, and one more conditional write resets exactly that old state.
 * Conditions make it exact under any concurrency; a lost race just retries.
 */
import type { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  blockingLimits,
  type CounterState,
  counterTtl,
  currentCounts,
  type LimitPlan,
  type LimitResult,
  limitResult,
  planIsEmpty,
  windowsAt,
  windowsCurrent,
} from '../../core/limits';
import { type CounterStore, DependencyError } from '../../core/ports';
import { dynamoDependencyError, isConditionFailure } from './errors';

const MAX_ATTEMPTS = 8;
const counterKey = (keyId: string) => ({ pk: `CTR#${keyId}`, sk: 'LIMITS' });


/**
 * Give this store a client with `maxAttempts: 1`: a counter write is not idempotent, so an
 * SDK retry after a write that landed but timed out would count one request twice. Without
 * retries a timeout fails the request closed, and at worst one unit of allowance is used by
 * a request that was refused (never an admission beyond the limit).
 */
export class DynamoCounterStore implements CounterStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async peek(keyId: string, plan: LimitPlan, now: Date): Promise<LimitResult> {
    const w = windowsAt(now, plan.rateLimit?.windowSeconds);
    let item: CounterState | undefined;
    try {
      item = (await this.doc.send(new GetCommand({ TableName: this.tableName, Key: counterKey(keyId), ConsistentRead: true }))).Item as CounterState | undefined;
    } catch (err) {
      throw dynamoDependencyError('counter GetItem', err);
    }
    const counts = currentCounts(item, w, plan);
    return limitResult(plan, counts, w, []);
  }

  async consume(keyId: string, plan: LimitPlan, now: Date): Promise<LimitResult> {
    if (planIsEmpty(plan)) return { admitted: true };
    const w = windowsAt(now, plan.rateLimit?.windowSeconds);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const fast = await this.fastPath(keyId, plan, w);
      if (fast.ok) return limitResult(plan, currentCounts(fast.item, w, plan), w, []);
      const old = fast.old;
      const counts = currentCounts(old, w, plan);
      const blocking = blockingLimits(plan, counts);
      if (blocking.length > 0) return limitResult(plan, counts, w, blocking);
      if (windowsCurrent(old, w, plan)) continue; // the item changed between our write and its failure; try again
      const reset = await this.resetPath(keyId, plan, w, old, counts);
      if (reset) return limitResult(plan, currentCounts(reset, w, plan), w, []);
    }
    throw new DependencyError('counter contention: too many concurrent window resets', true);
  }

  /** One conditional increment assuming every window is current. */
  private async fastPath(
    keyId: string,
    plan: LimitPlan,
    w: ReturnType<typeof windowsAt>,
  ): Promise<{ ok: true; item: CounterState } | { ok: false; old: CounterState | undefined }> {
    const conds: string[] = [];
    const adds: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':one': 1 };
    if (plan.rateLimit) {
      Object.assign(names, { '#rw': 'rw', '#ws': 'ws', '#rc': 'rc' });
      Object.assign(values, { ':rw': w.rateStart, ':ws': plan.rateLimit.windowSeconds, ':rl': plan.rateLimit.limit });
      conds.push('#rw = :rw AND #ws = :ws AND #rc < :rl');
      adds.push('#rc :one');
    }
    if (plan.quota?.daily !== undefined) {
      Object.assign(names, { '#dw': 'dw', '#dc': 'dc' });
      Object.assign(values, { ':dw': w.day, ':dl': plan.quota.daily });
      conds.push('#dw = :dw AND #dc < :dl');
      adds.push('#dc :one');
    }
    if (plan.quota?.monthly !== undefined) {
      Object.assign(names, { '#mw': 'mw', '#mc': 'mc' });
      Object.assign(values, { ':mw': w.month, ':ml': plan.quota.monthly });
      conds.push('#mw = :mw AND #mc < :ml');
      adds.push('#mc :one');
    }
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: counterKey(keyId),
          UpdateExpression: `ADD ${adds.join(', ')}`,
          ConditionExpression: conds.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true, item: out.Attributes as CounterState };
    } catch (err) {
      if (isConditionFailure(err)) {
        const raw = (err as ConditionalCheckFailedException).Item;
        return { ok: false, old: raw ? (unmarshall(raw) as CounterState) : undefined };
      }
      throw dynamoDependencyError('counter UpdateItem', err);
    }
  }

  /**
   * Starts the rolled-over windows at 1 (the others at their count + 1), on the condition
   * that the item is still exactly the state we decided on. Returns undefined on a lost race.
   */
  private async resetPath(
    keyId: string,
    plan: LimitPlan,
    w: ReturnType<typeof windowsAt>,
    old: CounterState | undefined,
    counts: ReturnType<typeof currentCounts>,
  ): Promise<CounterState | undefined> {
    const names: Record<string, string> = { '#ttl': 'ttl' };
    const values: Record<string, unknown> = { ':ttl': counterTtl(w) };
    const sets = ['#ttl = :ttl'];
    if (plan.rateLimit) {
      Object.assign(names, { '#rw': 'rw', '#ws': 'ws', '#rc': 'rc' });
      Object.assign(values, { ':nrw': w.rateStart, ':nws': plan.rateLimit.windowSeconds, ':nrc': counts.rate + 1 });
      sets.push('#rw = :nrw', '#ws = :nws', '#rc = :nrc');
    }
    if (plan.quota?.daily !== undefined) {
      Object.assign(names, { '#dw': 'dw', '#dc': 'dc' });
      Object.assign(values, { ':ndw': w.day, ':ndc': counts.daily + 1 });
      sets.push('#dw = :ndw', '#dc = :ndc');
    }
    if (plan.quota?.monthly !== undefined) {
      Object.assign(names, { '#mw': 'mw', '#mc': 'mc' });
      Object.assign(values, { ':nmw': w.month, ':nmc': counts.monthly + 1 });
      sets.push('#mw = :nmw', '#mc = :nmc');
    }
    // Optimistic: every counter attribute we overwrite must still hold what we read.
    const conds: string[] = [];
    if (!old) {
      conds.push('attribute_not_exists(pk)');
    } else {
      for (const attr of ['rw', 'ws', 'rc', 'dw', 'dc', 'mw', 'mc'] as const) {
        if (!(`#${attr}` in names)) continue;
        const v = old[attr];
        if (v === undefined) conds.push(`attribute_not_exists(#${attr})`);
        else {
          values[`:o${attr}`] = v;
          conds.push(`#${attr} = :o${attr}`);
        }
      }
    }
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: counterKey(keyId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ...(conds.length > 0 ? { ConditionExpression: conds.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as CounterState;
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw dynamoDependencyError('counter UpdateItem', err);
    }
  }
}
