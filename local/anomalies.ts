/**
 * Usage anomaly detection on one machine: the same runner as the deployed Lambda
 * (core/usage-anomalies.ts) over the DuckDB engine and the local Parquet files, the ledger in the
 * local counter table (DynamoDB Local), events to `<home>/events.ndjson` through the local
 * EventBridge stand-in. A timer runs it every `KEYGATE_ANOMALY_SCAN_SECONDS` (default 3600); each
 * run evaluates the last complete UTC hour, and the ledger makes extra runs harmless, so a short
 * interval only makes an hour's alerts show sooner after it ends.
 */
import { join } from 'node:path';
import { type Clock, type CounterStore, type EventSink, type KeyRepository, type Logger, systemClock } from '../core/ports';
import { type AnomalyThresholds, anomalySettings, detectAnomalies, type DetectionResult } from '../core/usage-anomalies';
import { DynamoAnomalyLedger } from '../adapters/dynamodb/anomaly-ledger';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoCounterStore } from '../adapters/dynamodb/counter-store';
import { DynamoKeyRepository } from '../adapters/dynamodb/key-repository';
import { FileEventSink } from '../adapters/file-event-sink';
import { DuckDbUsageEngine } from '../adapters/usage/duckdb-engine';
import { localSettings } from './config';
import { intervalFromEnv, periodicJob } from './periodic';

export const ANOMALY_SCAN_ENV = 'KEYGATE_ANOMALY_SCAN_SECONDS';
export const DEFAULT_ANOMALY_SCAN_SECONDS = 3600;

/** `KEYGATE_ANOMALY_SCAN_SECONDS`: seconds between runs, 0 for no timer (runNow only). */
export function anomalyScanSeconds(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return intervalFromEnv(ANOMALY_SCAN_ENV, DEFAULT_ANOMALY_SCAN_SECONDS, env);
}

export interface LocalAnomalyDetectionOptions {
  /** Data directory: usage records under `<home>/usage/`, events to `<home>/events.ndjson`. */
  readonly home: string;
  readonly dynamoEndpoint: string;
  /** The key table (quota lookups). */
  readonly tableName: string;
  /** The counter table (live counts, and the ledger's `ANOM#` items). */
  readonly counterTableName: string;
  /** @default `keygate:anomalies` from cdk.json and KEYGATE_CONFIG */
  readonly thresholds?: AnomalyThresholds;
  /** @default from KEYGATE_ANOMALY_SCAN_SECONDS (3600); 0 = no timer, and `keygate:anomalyDetection: false` also means none */
  readonly intervalSeconds?: number;
  /** @default FileEventSink on `<home>/events.ndjson` */
  readonly events?: EventSink;
  /** @default a repository and counter store of its own on `dynamoEndpoint` */
  readonly keys?: Pick<KeyRepository, 'getById'>;
  readonly counters?: Pick<CounterStore, 'peek'>;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface LocalAnomalyDetection {
  /** Runs detection once now (over the last complete hour, or the hour starting at `hourStartMs`). */
  runNow(hourStartMs?: number): Promise<DetectionResult>;
  /** Stops the timer, waits for a run in progress, and releases DuckDB and the DynamoDB clients. */
  stop(): Promise<void>;
}

export function startLocalAnomalyDetection(options: LocalAnomalyDetectionOptions): LocalAnomalyDetection {
  const settings = options.thresholds === undefined || options.intervalSeconds === undefined ? anomalySettings((k) => localSettings()[k]) : undefined;
  const thresholds = options.thresholds ?? settings!.thresholds;
  const intervalSeconds = options.intervalSeconds ?? (settings!.enabled ? anomalyScanSeconds() : 0);
  const doc = createDocumentClient({ endpoint: options.dynamoEndpoint });
  const engine = new DuckDbUsageEngine({ home: options.home });
  const events = options.events ?? new FileEventSink(join(options.home, 'events.ndjson'), options.logger);
  const keys = options.keys ?? new DynamoKeyRepository(doc, options.tableName);
  const counters = options.counters ?? new DynamoCounterStore(doc, options.counterTableName);
  const ledger = new DynamoAnomalyLedger(doc, options.counterTableName);
  const clock = options.clock ?? systemClock;

  // One run at a time: DuckDB queries share one connection, and overlapping runs would only race
  // for the same ledger claims. No run at start: each run evaluates the last complete hour.
  return periodicJob({
    what: 'anomaly detection',
    run: (hourStartMs?: number) =>
      detectAnomalies({
        engine,
        table: 'usage',
        ledger,
        keys,
        counters,
        events,
        clock,
        thresholds,
        ...(options.logger ? { logger: options.logger } : {}),
        ...(hourStartMs !== undefined ? { hourStartMs } : {}),
      }),
    intervalSeconds,
    runAtStart: false,
    release: () => {
      engine.close();
      doc.destroy();
    },
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
