/**
 * Lambda entry for the hourly usage anomaly detection (lib/usage-anomalies.ts). EventBridge
 * Scheduler invokes it with `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`; it evaluates the
 * last UTC hour that ended at least KEYGATE_ANOMALY_DELAY_MINUTES before that time, so a retry of
 * the same invocation evaluates the same hour. `{"hour": "YYYY-MM-DDTHH:00:00Z"}` evaluates that
 * hour instead (a manual re-run or backfill; the ledger keeps it from publishing twice).
 *
 * Environment (parsed once, failing the cold start naming the variable): the key and counter
 * tables, the event bus, the Athena workgroup, Glue database and table, the thresholds (JSON).
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { INFRA_ENV } from '../../core/config';
import { countedEventSink } from '../../core/metrics';
import { systemClock } from '../../core/ports';
import {
  ANOMALY_DELAY_ENV,
  ANOMALY_THRESHOLDS_ENV,
  DEFAULT_ANOMALY_DELAY_MINUTES,
  detectAnomalies,
  type DetectionResult,
  lastCompleteHour,
  parseAnomalyThresholds,
} from '../../core/usage-anomalies';
import { CLIENT_PROFILES, clientSettings } from '../../adapters/client-profiles';
import { DynamoAnomalyLedger } from '../../adapters/dynamodb/anomaly-ledger';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { DynamoCounterStore } from '../../adapters/dynamodb/counter-store';
import { DynamoKeyRepository } from '../../adapters/dynamodb/key-repository';
import { EventBridgeEventSink } from '../../adapters/eventbridge-event-sink';
import { EmfMetrics } from '../../adapters/emf-metrics';
import { JsonLogger } from '../../adapters/json-logger';
import { AthenaUsageEngine } from '../../adapters/usage/athena-engine';

/** Time kept back from the Lambda's remaining time for publishing after the queries. */
const PUBLISH_MARGIN_MS = 30_000;
const HOUR = /^\d{4}-\d{2}-\d{2}T\d{2}:00:00(\.000)?Z$/;

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

function thresholdsFromEnv() {
  const raw = process.env[ANOMALY_THRESHOLDS_ENV];
  if (raw === undefined || raw === '') return parseAnomalyThresholds(undefined);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${ANOMALY_THRESHOLDS_ENV} must be a JSON object`);
  }
  return parseAnomalyThresholds(parsed, ANOMALY_THRESHOLDS_ENV);
}

function delayFromEnv(): number {
  const raw = process.env[ANOMALY_DELAY_ENV];
  if (raw === undefined || raw === '') return DEFAULT_ANOMALY_DELAY_MINUTES;
  if (!/^\d+$/.test(raw) || Number(raw) > 1440) throw new Error(`${ANOMALY_DELAY_ENV} must be whole minutes from 0 to 1440 (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

const logger = new JsonLogger({ service: 'keygate-anomalies' });
const thresholds = thresholdsFromEnv();
const delayMinutes = delayFromEnv();
const tables = { keys: required(INFRA_ENV.tableName), counters: required(INFRA_ENV.counterTableName) };
const athena = { workGroup: required(INFRA_ENV.athenaWorkGroup), database: required(INFRA_ENV.usageDatabase), table: required(INFRA_ENV.usageTable) };
const busName = required(INFRA_ENV.eventBusName);

const readDoc = createDocumentClient({ ...CLIENT_PROFILES.management });
// One attempt: a retried conditional PutItem whose first try landed would read as "already claimed".
const ledgerDoc = createDocumentClient({ ...CLIENT_PROFILES.counterWrite });
const keys = new DynamoKeyRepository(readDoc, tables.keys);
const counters = new DynamoCounterStore(readDoc, tables.counters);
const ledger = new DynamoAnomalyLedger(ledgerDoc, tables.counters);
// EventsPublished / EventsFailed (Service=anomalies), one EMF line per run.
const metrics = new EmfMetrics();
const events = countedEventSink(new EventBridgeEventSink(new EventBridgeClient(clientSettings(CLIENT_PROFILES.events)), busName), metrics, 'anomalies');
const athenaClient = new AthenaClient({});

export interface AnomalyInvocation {
  /** Set by the schedule (`<aws.scheduler.scheduled-time>`), ISO 8601. */
  readonly scheduledTime?: string;
  /** An explicit hour to evaluate, `YYYY-MM-DDTHH:00:00Z`. */
  readonly hour?: string;
}

/** The hour an invocation evaluates (epoch ms of its start). */
export function invocationHour(event: AnomalyInvocation | null | undefined, now: Date, delay = delayMinutes): number {
  if (event?.hour !== undefined) {
    if (typeof event.hour !== 'string' || !HOUR.test(event.hour)) throw new Error(`hour must be a UTC hour as YYYY-MM-DDTHH:00:00Z (got ${JSON.stringify(event.hour)})`);
    return Date.parse(event.hour);
  }
  const scheduled = typeof event?.scheduledTime === 'string' ? Date.parse(event.scheduledTime) : NaN;
  return lastCompleteHour(Number.isNaN(scheduled) ? now : new Date(scheduled), delay);
}

export async function handler(event: AnomalyInvocation, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<Pick<DetectionResult, 'hour' | 'alreadyPublished'> & { published: number }> {
  const hourStartMs = invocationHour(event, systemClock.now());
  const engine = new AthenaUsageEngine({
    client: athenaClient,
    workGroup: athena.workGroup,
    database: athena.database,
    waitMs: Math.max(10_000, context.getRemainingTimeInMillis() - PUBLISH_MARGIN_MS),
    maxRows: 1001,
  });
  let result;
  try {
    result = await detectAnomalies({ engine, table: athena.table, ledger, keys, counters, events, clock: systemClock, thresholds, logger, hourStartMs });
  } finally {
    metrics.flush();
  }
  if (result.failed.length > 0) {
    // Fail the invocation so Lambda's asynchronous retry runs the same hour again; the ledger
    // keeps what was already published from going out twice.
    throw new Error(`anomaly detection for ${result.hour} had ${result.failed.length} failure(s): ${result.failed.map((f) => `${f.rule}${f.subject ? ` ${f.subject}` : ''}: ${f.message}`).join('; ')}`);
  }
  return { hour: result.hour, published: result.published.length, alreadyPublished: result.alreadyPublished };
}
