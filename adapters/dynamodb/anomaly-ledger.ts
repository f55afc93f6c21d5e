/**
 * AnomalyLedger on DynamoDB: one item per published anomaly in the counter table,
 * `ANOM#<rule>#<subject>` / `<hour>`, written with `attribute_not_exists(pk)` so exactly one claim
 * of a (rule, subject, hour) succeeds however many runs overlap, and expired by the table's TTL
 * attribute after core/usage-anomalies.ts's ANOMALY_LEDGER_DAYS.
 *
 *   claim    PutItem    IF attribute_not_exists(pk)
 *   release  DeleteItem IF attribute_exists(pk)
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AnomalyClaim, AnomalyLedger } from '../../core/usage-anomalies';
import { dynamoDependencyError, isConditionFailure } from './errors';
import { ANOMALY_LEDGER_PREFIX, COUNTER_TABLE } from './table-schema';

export function anomalyLedgerKey(claim: Pick<AnomalyClaim, 'rule' | 'subject' | 'hour'>): { pk: string; sk: string } {
  return { [COUNTER_TABLE.partitionKey]: `${ANOMALY_LEDGER_PREFIX}${claim.rule}#${claim.subject}`, [COUNTER_TABLE.sortKey]: claim.hour } as { pk: string; sk: string };
}

export class DynamoAnomalyLedger implements AnomalyLedger {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    /** The counter table. */
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async claim(claim: AnomalyClaim): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...anomalyLedgerKey(claim), [COUNTER_TABLE.timeToLiveAttribute!]: claim.expiresAt, claimedAt: this.now().toISOString() },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': COUNTER_TABLE.partitionKey },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw dynamoDependencyError('anomaly ledger PutItem', err);
    }
  }

  async release(claim: AnomalyClaim): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: anomalyLedgerKey(claim),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': COUNTER_TABLE.partitionKey },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) return;
      throw dynamoDependencyError('anomaly ledger DeleteItem', err);
    }
  }
}
