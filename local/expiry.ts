/**
 * The expiry scan on one machine: the same scan as the deployed Lambda (core/expiry-scan.ts) over
 * the local key table's expiry index, the ledger in the local counter table (DynamoDB Local),
 * events to `<home>/events.ndjson` through the local EventBridge stand-in, audit entries in the
 * key table. It runs once at start and every `KEYGATE_EXPIRY_SCAN_SECONDS` (default 60); the
 * ledger makes extra runs harmless.
 */
import { join } from 'node:path';
import { type ExpiryScanResult, expirySettings, scanExpiring } from '../core/expiry-scan';
import { type AuditStore, type Clock, type EventSink, type Logger, systemClock } from '../core/ports';
import { DynamoAuditStore } from '../adapters/dynamodb/audit-store';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoExpiryLedger } from '../adapters/dynamodb/expiry-ledger';
import { DynamoKeyRepository } from '../adapters/dynamodb/key-repository';
import { FileEventSink } from '../adapters/file-event-sink';
import { localSettings } from './config';
import { intervalFromEnv, periodicJob } from './periodic';

export const EXPIRY_SCAN_ENV = 'KEYGATE_EXPIRY_SCAN_SECONDS';
export const DEFAULT_EXPIRY_SCAN_SECONDS = 60;

/** `KEYGATE_EXPIRY_SCAN_SECONDS`: seconds between runs, 0 for no timer (runNow only, and no run at start). */
export function expiryScanSeconds(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return intervalFromEnv(EXPIRY_SCAN_ENV, DEFAULT_EXPIRY_SCAN_SECONDS, env);
}

export interface LocalExpiryScanOptions {
  /** Data directory: events to `<home>/events.ndjson`. */
  readonly home: string;
  readonly dynamoEndpoint: string;
  /** The key table (the expiry index, and the audit entries). */
  readonly tableName: string;
  /** The counter table (the ledger's `EXPN#` items). */
  readonly counterTableName: string;
  /** Days audit entries are kept (`keygate:auditRetentionDays`). */
  readonly auditRetentionDays: number;
  /** @default `keygate:expiryThresholdsDays` from cdk.json and KEYGATE_CONFIG */
  readonly thresholdsDays?: readonly number[];
  /** @default from KEYGATE_EXPIRY_SCAN_SECONDS (60); 0 = no timer and no run at start, and `keygate:expiryNotifications: false` also means none */
  readonly intervalSeconds?: number;
  /** @default FileEventSink on `<home>/events.ndjson` */
  readonly events?: EventSink;
  /** @default a DynamoAuditStore of its own on `dynamoEndpoint` */
  readonly audit?: AuditStore;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface LocalExpiryScan {
  /** Runs the scan once now (after any run in progress). */
  runNow(): Promise<ExpiryScanResult>;
  /** Stops the timer, waits for a run in progress, and releases the DynamoDB client. */
  stop(): Promise<void>;
}

export function startLocalExpiryScan(options: LocalExpiryScanOptions): LocalExpiryScan {
  const settings = options.thresholdsDays === undefined || options.intervalSeconds === undefined ? expirySettings((k) => localSettings()[k]) : undefined;
  const thresholdsDays = options.thresholdsDays ?? settings!.thresholdsDays;
  const intervalSeconds = options.intervalSeconds ?? (settings!.enabled ? expiryScanSeconds() : 0);
  const doc = createDocumentClient({ endpoint: options.dynamoEndpoint });
  const events = options.events ?? new FileEventSink(join(options.home, 'events.ndjson'), options.logger);
  const index = new DynamoKeyRepository(doc, options.tableName);
  const ledger = new DynamoExpiryLedger(doc, options.counterTableName);
  const audit = options.audit ?? new DynamoAuditStore(doc, options.tableName);
  const clock = options.clock ?? systemClock;

  // One run at a time here; runs from other processes are settled by the ledger.
  return periodicJob({
    what: 'expiry scan',
    run: () =>
      scanExpiring({
        index,
        ledger,
        events,
        clock,
        thresholdsDays,
        audit: { store: audit, retentionDays: options.auditRetentionDays },
        ...(options.logger ? { logger: options.logger } : {}),
      }),
    intervalSeconds,
    runAtStart: true,
    release: () => doc.destroy(),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
