/**
 * ExpiryLedger on DynamoDB: one item per key and expiry in the counter table,
 * `EXPN#<keyId>` / `<expiresAt>`, holding the lowest notice stage claimed so far (threshold days,
 * 0 for `expired`; core/expiry-scan.ts), expired by the table's TTL attribute EXPIRY_LEDGER_DAYS
 * after the expiry. Every write is a PutItem of the whole item, so one action covers them all:
 *
 *   read     BatchGetItem (100 keys a call, unprocessed keys retried)
 *   claim    PutItem IF attribute_not_exists(pk) OR stage > :stage
 *                      OR (stage = :stage AND state = pending AND leaseUntil < :now)
 *   confirm  PutItem state = sent          IF token = :token
 *   release  PutItem leaseUntil = 0        IF token = :token
 */
import { BatchGetCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type ExpiryClaim, type ExpiryLedger, type ExpiryMarker, ledgerExpiry, type LedgerState, markerKey } from '../../core/expiry-scan';
import { dynamoDependencyError, isConditionFailure } from './errors';
import { COUNTER_TABLE, EXPIRY_LEDGER_PREFIX } from './table-schema';

/** Every attribute a ledger item has (the IAM grant allows these and no others). */
export const EXPIRY_LEDGER_ATTRIBUTES = [COUNTER_TABLE.partitionKey, COUNTER_TABLE.sortKey, COUNTER_TABLE.timeToLiveAttribute!, 'stage', 'state', 'leaseUntil', 'token', 'claimedAt'] as const;

export function expiryLedgerKey(m: Pick<ExpiryMarker, 'keyId' | 'expiresAt'>): { pk: string; sk: string } {
  return { [COUNTER_TABLE.partitionKey]: `${EXPIRY_LEDGER_PREFIX}${m.keyId}`, [COUNTER_TABLE.sortKey]: m.expiresAt } as { pk: string; sk: string };
}

const BATCH_GET_LIMIT = 100;
const MAX_UNPROCESSED_ROUNDS = 5;

export class DynamoExpiryLedger implements ExpiryLedger {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    /** The counter table. */
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async read(markers: readonly ExpiryMarker[]): Promise<ReadonlyMap<string, LedgerState>> {
    const out = new Map<string, LedgerState>();
    const unique = [...new Map(markers.map((m) => [markerKey(m), expiryLedgerKey(m)])).values()];
    for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] = unique.slice(i, i + BATCH_GET_LIMIT);
      for (let round = 0; keys.length > 0; round++) {
        if (round >= MAX_UNPROCESSED_ROUNDS) throw dynamoDependencyError('BatchGetItem', new Error(`${keys.length} keys left unprocessed`));
        let page;
        try {
          page = await this.doc.send(
            new BatchGetCommand({
              RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true, ProjectionExpression: '#pk, #sk, #stage, #state, #lease', ExpressionAttributeNames: { '#pk': COUNTER_TABLE.partitionKey, '#sk': COUNTER_TABLE.sortKey, '#stage': 'stage', '#state': 'state', '#lease': 'leaseUntil' } } },
            }),
          );
        } catch (err) {
          throw dynamoDependencyError('BatchGetItem', err);
        }
        for (const item of page.Responses?.[this.tableName] ?? []) {
          const keyId = String(item[COUNTER_TABLE.partitionKey]).slice(EXPIRY_LEDGER_PREFIX.length);
          out.set(markerKey({ keyId, expiresAt: String(item[COUNTER_TABLE.sortKey]) }), {
            stage: Number(item.stage),
            state: item.state === 'sent' ? 'sent' : 'pending',
            leaseUntil: Number(item.leaseUntil ?? 0),
          });
        }
        keys = (page.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return out;
  }

  private item(claim: ExpiryClaim, state: 'pending' | 'sent', leaseUntil: number): Record<string, unknown> {
    return {
      ...expiryLedgerKey(claim),
      [COUNTER_TABLE.timeToLiveAttribute!]: ledgerExpiry(claim),
      stage: claim.stage,
      state,
      leaseUntil,
      token: claim.token,
      claimedAt: this.now().toISOString(),
    };
  }

  async claim(claim: ExpiryClaim, now: Date): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item(claim, 'pending', claim.leaseUntil),
          ConditionExpression: 'attribute_not_exists(#pk) OR #stage > :stage OR (#stage = :stage AND #state = :pending AND #lease < :now)',
          ExpressionAttributeNames: { '#pk': COUNTER_TABLE.partitionKey, '#stage': 'stage', '#state': 'state', '#lease': 'leaseUntil' },
          ExpressionAttributeValues: { ':stage': claim.stage, ':pending': 'pending', ':now': now.getTime() },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw dynamoDependencyError('expiry ledger PutItem', err);
    }
  }

  private async replace(claim: ExpiryClaim, state: 'pending' | 'sent', leaseUntil: number, op: string): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item(claim, state, leaseUntil),
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': claim.token },
        }),
      );
    } catch (err) {
      // Another run took the claim over (its lease ran out): the item is theirs now.
      if (isConditionFailure(err)) return;
      throw dynamoDependencyError(`expiry ledger ${op} PutItem`, err);
    }
  }

  async confirm(claim: ExpiryClaim): Promise<void> {
    await this.replace(claim, 'sent', claim.leaseUntil, 'confirm');
  }

  async release(claim: ExpiryClaim): Promise<void> {
    await this.replace(claim, 'pending', 0, 'release');
  }
}
