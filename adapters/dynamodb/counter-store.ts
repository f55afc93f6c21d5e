/**
 * CounterStore on DynamoDB: one item per key (`CTR#<keyId>` / `LIMITS`) holding every
 * window's id and count. The core (core/limits.ts) decides each conditional write and reads
 * its outcome; this adapter only turns a CounterWrite into one UpdateItem (docs/rate-limiting.md):
 *
 *   increment  ADD rc :cost, dc :cost, mc :cost  IF rw = :w AND rc <= :rl - cost AND dw = :d ...
 *   reset      SET rw = :nrw, rc = :nrc, ...  IF every counter attribute still holds what was read
 *
 * Both return the item: the new one on success, the old one when the condition fails
 * (ReturnValuesOnConditionCheckFailure), so a refusal or a roll-over costs no extra read.
 * Conditions make it exact under any concurrency; a lost race just takes the next step.
 */
import type { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  type CounterState,
  type CounterStep,
  type CounterWrite,
  type CounterWriteOutcome,
  countsAt,
  firstCounterWrite,
  type LimitPlan,
  type LimitResult,
  nextCounterStep,
  planIsEmpty,
} from '../../core/limits';
import { type CounterStore, DependencyError } from '../../core/ports';
import { releaseParts } from '../../core/limits';
import { dynamoDependencyError, isConditionFailure } from './errors';

const MAX_WRITES = 8;
const counterKey = (keyId: string) => ({ pk: `CTR#${keyId}`, sk: 'LIMITS' });
const COUNTER_ATTRS = ['rw', 'ws', 'rc', 'dw', 'dc', 'mw', 'mc'] as const;

/** The UpdateItem expression for a CounterWrite (pure). */
function counterUpdate(plan: LimitPlan, write: CounterWrite) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const conds: string[] = [];
  if (write.kind === 'increment') {
    const w = write.windows;
    const adds: string[] = [];
    const limit = (win: string, count: string, window: unknown, max: number) => {
      names[`#${win}`] = win;
      names[`#${count}`] = count;
      values[`:${win}`] = window;
      values[`:${count}max`] = max;
      // `cost` units must fit: count + cost <= max, i.e. count <= max - cost.
      conds.push(`#${win} = :${win} AND #${count} <= :${count}max`);
      adds.push(`#${count} :cost`);
    };
    values[':cost'] = write.cost;
    if (plan.rateLimit) {
      limit('rw', 'rc', w.rateStart, plan.rateLimit.limit - write.cost);
      names['#ws'] = 'ws';
      values[':ws'] = plan.rateLimit.windowSeconds;
      conds.push('#ws = :ws');
    }
    if (plan.quota?.daily !== undefined) limit('dw', 'dc', w.day, plan.quota.daily - write.cost);
    if (plan.quota?.monthly !== undefined) limit('mw', 'mc', w.month, plan.quota.monthly - write.cost);
    return { UpdateExpression: `ADD ${adds.join(', ')}`, ConditionExpression: conds.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values };
  }
  const sets: string[] = [];
  for (const [attr, value] of Object.entries(write.next)) {
    names[`#${attr}`] = attr;
    values[`:n${attr}`] = value;
    sets.push(`#${attr} = :n${attr}`);
  }
  // Optimistic: every counter attribute we overwrite must still hold what we read.
  if (!write.expected) conds.push('attribute_not_exists(pk)');
  else {
    for (const attr of COUNTER_ATTRS) {
      if (!(attr in write.next)) continue;
      const v = write.expected[attr];
      if (v === undefined) conds.push(`attribute_not_exists(#${attr})`);
      else {
        values[`:o${attr}`] = v;
        conds.push(`#${attr} = :o${attr}`);
      }
    }
  }
  return { UpdateExpression: `SET ${sets.join(', ')}`, ConditionExpression: conds.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}

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
    let step: CounterStep = { write: firstCounterWrite(plan, now, cost) };
    for (let writes = 0; writes < MAX_WRITES && 'write' in step; writes++) {
      step = nextCounterStep(plan, step.write, await this.execute(keyId, plan, step.write));
    }
    if ('done' in step) return step.done;
    throw new DependencyError('counter contention: too many concurrent window resets', true);
  }

  async release(keyId: string, plan: LimitPlan, taken: LimitResult, units: number, _now: Date): Promise<void> {
    if (units <= 0) return;
    // Each counter separately: one whose window moved on is left alone (its condition fails).
    const parts = releaseParts(plan, taken, units);
    await Promise.all(
      parts.map(async (p) => {
        try {
          await this.doc.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: counterKey(keyId),
              UpdateExpression: `ADD #c :neg`,
              ConditionExpression: `#w = :w AND #c >= :units`,
              ExpressionAttributeNames: { '#c': p.count, '#w': p.window },
              ExpressionAttributeValues: { ':neg': -units, ':w': p.windowId, ':units': units },
            }),
          );
        } catch (err) {
          if (!isConditionFailure(err)) throw dynamoDependencyError('counter release', err);
        }
      }),
    );
  }

  private async execute(keyId: string, plan: LimitPlan, write: CounterWrite): Promise<CounterWriteOutcome> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: counterKey(keyId),
          ...counterUpdate(plan, write),
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
