/**
 * `keygate anomalies --now`: runs usage anomaly detection once over the local data, the same
 * runner the deployed schedule and the local timer run (local/anomalies.ts). Uses the running
 * local stack's DynamoDB Local (`<home>/local.json`); with no stack running it starts one on the
 * data directory for the run, as `keygate bootstrap` does. Events go to `<home>/events.ndjson`.
 */
import { join, resolve } from 'node:path';
import { JsonLogger } from '../adapters/json-logger';
import type { AnomalyEvent, DetectionFailure } from '../core/usage-anomalies';
import { startLocalAnomalyDetection } from '../local/anomalies';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { counterTableFor, ensureTables, LOCAL_TABLE_NAME, readLocalState } from '../local/stack';

export interface AnomaliesNowResult {
  /** The evaluated hour, `YYYY-MM-DDTHH:00:00Z`. */
  readonly hour: string;
  /** Events this run published (also appended to `<home>/events.ndjson`). */
  readonly events: AnomalyEvent[];
  /** Anomalies an earlier run had already published for this hour. */
  readonly alreadyPublished: number;
  readonly failed: readonly DetectionFailure[];
}

async function stackRunning(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

export async function runAnomaliesNow(opts: { home: string; hourStartMs?: number }): Promise<AnomaliesNowResult> {
  const home = resolve(opts.home);
  const state = readLocalState(home);
  const running = state !== undefined && (await stackRunning(state.url));
  const ddb = running ? undefined : await startDynamoDbLocal({ dataDir: join(home, 'dynamodb') });
  const tableName = state?.tableName ?? LOCAL_TABLE_NAME;
  try {
    // A data directory the stack never ran on has no tables yet.
    if (ddb) await ensureTables(ddb.endpoint, tableName);
  } catch (err) {
    await ddb?.stop();
    throw err;
  }
  const detection = startLocalAnomalyDetection({
    home,
    dynamoEndpoint: running ? state.dynamoEndpoint : ddb!.endpoint,
    tableName,
    counterTableName: counterTableFor(tableName),
    intervalSeconds: 0,
    logger: new JsonLogger({ service: 'keygate-anomalies' }, undefined, 'warn'),
  });
  try {
    const result = await detection.runNow(opts.hourStartMs);
    return { hour: result.hour, events: [...result.published], alreadyPublished: result.alreadyPublished, failed: result.failed };
  } finally {
    await detection.stop();
    await ddb?.stop();
  }
}
