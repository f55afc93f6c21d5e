/** Maps a DynamoDB client failure to the domain's DependencyError, deciding whether a retry can help. */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DependencyError } from '../../core/ports';

/** A ConditionExpression (or a transaction's) evaluated false: a decision, not a fault. */
export function isConditionFailure(err: unknown): boolean {
  if (err instanceof TransactionCanceledException) {
    return (err.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');
  }
  return (err as { name?: string }).name === 'ConditionalCheckFailedException';
}

export function dynamoDependencyError(op: string, err: unknown): DependencyError {
  const e = err as { name?: string; message?: string; $retryable?: unknown; $fault?: string };
  const retryable = e.$retryable !== undefined || e.$fault === 'server' || /Throttl|Timeout|ECONN|socket|Abort/i.test(`${e.name} ${e.message}`);
  return new DependencyError(`DynamoDB ${op} failed: ${e.name ?? 'Error'}`, retryable, { cause: err });
}
