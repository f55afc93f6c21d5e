/**
 * Lambda entry for the expiry scan (lib/expiry-notifications.ts). EventBridge Scheduler invokes it
 * with `{"scheduledTime": "<aws.scheduler.scheduled-time>"}` (hourly by default); it reads the
 * expiry index, claims each due notice in the ledger, publishes `keygate.key.expiring` /
 * `keygate.key.expired` on the bus and audits them (core/expiry-scan.ts).
 *
 * The run stops with a margin before the Lambda's time limit. What it did not reach, the next
 * scheduled run does: keys already notified cost that run one batched ledger read per 100, so
 * each run gets further. `{"after": "<position>"}` resumes from a run's `continueAfter` by hand.
 *
 * Environment (parsed once, failing the cold start naming the variable): the key and counter
 * tables, the event bus, the thresholds (JSON array of days) and the audit retention in days.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { INFRA_ENV } from '../../core/config';
import { EXPIRY_AUDIT_RETENTION_ENV, EXPIRY_THRESHOLDS_ENV, parseExpiryThresholds, scanExpiring } from '../../core/expiry-scan';
import { systemClock } from '../../core/ports';
import { CLIENT_PROFILES, clientSettings } from '../../adapters/client-profiles';
import { DynamoAuditStore } from '../../adapters/dynamodb/audit-store';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { DynamoExpiryLedger } from '../../adapters/dynamodb/expiry-ledger';
import { DynamoKeyRepository } from '../../adapters/dynamodb/key-repository';
import { EventBridgeEventSink } from '../../adapters/eventbridge-event-sink';
import { EmfMetrics } from '../../adapters/emf-metrics';
import { JsonLogger } from '../../adapters/json-logger';
import { countedEventSink } from '../../core/metrics';

/** Stop reading new pages when less than this is left: a page's claims, publishes and audits finish in it. */
const STOP_MARGIN_MS = 30_000;

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

function retentionFromEnv(): number {
  const raw = required(EXPIRY_AUDIT_RETENTION_ENV);
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 3650) throw new Error(`${EXPIRY_AUDIT_RETENTION_ENV} must be whole days from 1 to 3650 (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

const logger = new JsonLogger({ service: 'keygate-expiry' });
const thresholdsDays = parseExpiryThresholds(process.env[EXPIRY_THRESHOLDS_ENV] || undefined, EXPIRY_THRESHOLDS_ENV);
const retentionDays = retentionFromEnv();
const tables = { keys: required(INFRA_ENV.tableName), counters: required(INFRA_ENV.counterTableName) };
const busName = required(INFRA_ENV.eventBusName);

const readDoc = createDocumentClient({ ...CLIENT_PROFILES.management });
// One attempt: a retried conditional PutItem whose first try landed would read as "already claimed".
const writeDoc = createDocumentClient({ ...CLIENT_PROFILES.counterWrite });
const index = new DynamoKeyRepository(readDoc, tables.keys);
const ledger = new DynamoExpiryLedger(writeDoc, tables.counters);
const audit = new DynamoAuditStore(writeDoc, tables.keys);
// EventsPublished / EventsFailed (Service=expiry), one EMF line per run.
const metrics = new EmfMetrics();
const events = countedEventSink(new EventBridgeEventSink(new EventBridgeClient(clientSettings(CLIENT_PROFILES.events)), busName), metrics, 'expiry');

export interface ExpiryInvocation {
  /** Set by the schedule; informational (the scan uses the time it runs). */
  readonly scheduledTime?: string;
  /** Resume after this index position (a previous run's `continueAfter`). */
  readonly after?: string;
}

export async function handler(
  event: ExpiryInvocation | null | undefined,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<{ published: number; alreadySent: number; scanned: number; failed: number; continueAfter?: string }> {
  if (event?.after !== undefined && typeof event.after !== 'string') throw new Error('after must be a position string from a previous run');
  let result;
  try {
    result = await scanExpiring({
      index,
      ledger,
      events,
      clock: systemClock,
      thresholdsDays,
      audit: { store: audit, retentionDays },
      logger,
      hasTime: () => context.getRemainingTimeInMillis() > STOP_MARGIN_MS,
      ...(event?.after !== undefined ? { after: event.after } : {}),
    });
  } finally {
    metrics.flush();
  }
  // Failures are not thrown: a retry of this invocation would only repeat what the next scheduled
  // run does anyway (released claims are free again; unconfirmed ones wait for their lease).
  return {
    published: result.published.length,
    alreadySent: result.alreadySent,
    scanned: result.scanned,
    failed: result.failed.length,
    ...(result.continueAfter !== undefined ? { continueAfter: result.continueAfter } : {}),
  };
}
