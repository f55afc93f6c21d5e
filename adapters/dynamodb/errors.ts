/** Maps a DynamoDB client failure to the domain's DependencyError, deciding whether a retry can help. */
import { DependencyError } from '../../core/ports';

export function dynamoDependencyError(op: string, err: unknown): DependencyError {
  const e = err as { name?: string; message?: string; $retryable?: unknown; $fault?: string };
  const retryable = e.$retryable !== undefined || e.$fault === 'server' || /Throttl|Timeout|ECONN|socket|Abort/i.test(`${e.name} ${e.message}`);
  return new DependencyError(`DynamoDB ${op} failed: ${e.name ?? 'Error'}`, retryable, { cause: err });
}
