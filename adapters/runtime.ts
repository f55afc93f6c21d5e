/**
 * The composition root: the one place that wires the domain to its adapters. The authorizer
 * Lambda, the keys Lambda, the local stack and the benchmark all call createRuntime, so their
 * clients, timeouts, caches and side effects cannot drift apart.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BackgroundWork } from '../core/background';
import type { KeygateConfig } from '../core/config';
import { EnvelopeCipher } from '../core/envelope';
import { AuditService } from '../core/audit-service';
import { KeyService } from '../core/key-service';
import { LeasingCounterStore } from '../core/hot-keys';
import { LeakResponse } from '../core/leak-response';
import { countedEventSink, type MetricService, type MetricsRecorder } from '../core/metrics';
import { type Clock, type CounterStore, type DataKeyProvider, type EventSink, type Logger, systemClock } from '../core/ports';
import { LastUsedTracker } from '../core/usage-signals';
import { KeyVerifier } from '../core/verifier';
import { CLIENT_PROFILES, type ClientProfile, clientSettings, scaled } from './client-profiles';
import { createDocumentClient } from './dynamodb/client';
import { DynamoAuditStore } from './dynamodb/audit-store';
import { DynamoCounterStore } from './dynamodb/counter-store';
import { DynamoKeyRepository } from './dynamodb/key-repository';
import { EventBridgeEventSink } from './eventbridge-event-sink';
import { KmsDataKeyProvider } from './kms-data-key-provider';

/** An environment variable a Lambda cannot run without; fails the cold start with its name. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const v = env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

export interface RuntimeOptions {
  readonly tables: { readonly keys: string; readonly counters: string };
  readonly config: KeygateConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** DynamoDB Local endpoint (local stack, tests, benchmark); absent in AWS. */
  readonly dynamoEndpoint?: string;
  /** The key table's client: keyRead in the authorizer, management where keys are managed. */
  readonly keyTableProfile: ClientProfile;
  /** Multiplies every timeout (the local stack's JVM shares a laptop's cores). Default 1. */
  readonly timeoutScale?: number;
  /** Where quota warnings, audit events and leak events go; absent = nowhere. */
  readonly events?: EventSink;
  /** Data-key source for envelope encryption; when given, a KeyService is built too. */
  readonly dataKeys?: DataKeyProvider;
  /**
   * Where the verifier's cache and store-latency metrics and the event counts go (EMF in a
   * Lambda, Prometheus locally), under `metricsService`. Absent = not recorded.
   */
  readonly metrics?: { readonly recorder: MetricsRecorder; readonly service: MetricService };
  /**
   * The verifier counts hot keys (`keygate:hotKeyThreshold`) through per-container allowance
   * leases (core/hot-keys.ts): set by the authorizer, whose containers take the traffic. The keys
   * Lambda (POST /v1/verify, usage, limit resets) counts on the plain store, one write per request.
   * @default false
   */
  readonly hotKeyLeases?: boolean;
}

export interface Runtime {
  readonly keyDoc: DynamoDBDocumentClient;
  readonly counterDoc: DynamoDBDocumentClient;
  readonly repo: DynamoKeyRepository;
  readonly counters: DynamoCounterStore;
  /** What the verifier counts with: `counters`, wrapped in leases with `hotKeyLeases`. */
  readonly verifierCounters: CounterStore;
  readonly verifier: KeyVerifier;
  /** Present when `dataKeys` was given. */
  readonly service?: KeyService;
  /** The audit log's reads (present with `service`). */
  readonly audit?: AuditService;
  /** Leak reports (present with `service`). */
  readonly leaks?: LeakResponse;
  readonly background: BackgroundWork;
  destroy(): void;
}

export function createRuntime(opts: RuntimeOptions): Runtime {
  const scale = opts.timeoutScale ?? 1;
  const profile = (p: ClientProfile) => (scale === 1 ? p : scaled(p, scale));
  const client = (p: ClientProfile) => {
    const s = profile(p);
    return createDocumentClient({
      ...(opts.dynamoEndpoint ? { endpoint: opts.dynamoEndpoint } : {}),
      maxAttempts: s.maxAttempts,
      requestTimeoutMs: s.requestTimeoutMs,
      connectionTimeoutMs: s.connectionTimeoutMs,
    });
  };
  const clock = opts.clock ?? systemClock;
  const background = new BackgroundWork();
  const m = opts.metrics;
  const events = opts.events && m ? countedEventSink(opts.events, m.recorder, m.service) : opts.events;
  const keyDoc = client(opts.keyTableProfile);
  const counterDoc = client(CLIENT_PROFILES.counterWrite);
  const repo = new DynamoKeyRepository(keyDoc, opts.tables.keys);
  const counters = new DynamoCounterStore(counterDoc, opts.tables.counters);
  // Unused quota units of expired leases go back through `background`, flushed with the verifier's work.
  const verifierCounters: CounterStore = opts.hotKeyLeases
    ? new LeasingCounterStore(counters, { hotKeyThreshold: opts.config.hotKeyThreshold, background, logger: opts.logger })
    : counters;
  const verifier = new KeyVerifier(repo, opts.config, clock, verifierCounters, {
    lastUsed: new LastUsedTracker(repo, opts.logger, background),
    ...(events ? { events } : {}),
    quotaWarningThreshold: opts.config.quotaWarningThreshold,
    logger: opts.logger,
    background,
    ...(m ? { metrics: m.recorder, metricsService: m.service } : {}),
  });
  const auditStore = new DynamoAuditStore(keyDoc, opts.tables.keys);
  const service = opts.dataKeys
    ? new KeyService({
        repo,
        cipher: new EnvelopeCipher(opts.dataKeys, clock),
        config: opts.config,
        clock,
        counters,
        audit: auditStore,
        ...(events ? { events } : {}),
        logger: opts.logger,
        // A change through this container applies to its own verify endpoint at once.
        onKeyChanged: (key) => verifier.forget(key),
      })
    : undefined;
  const audit = service ? new AuditService({ store: auditStore, repo, clock }) : undefined;
  const leaks = service
    ? new LeakResponse({ service, counters, keyPrefix: opts.config.keyPrefix, clock, ...(events ? { events } : {}), logger: opts.logger })
    : undefined;
  return {
    keyDoc,
    counterDoc,
    repo,
    counters,
    verifierCounters,
    verifier,
    ...(service ? { service } : {}),
    ...(audit ? { audit } : {}),
    ...(leaks ? { leaks } : {}),
    background,
    destroy() {
      keyDoc.destroy();
      counterDoc.destroy();
    },
  };
}

/** Region and endpoint overrides for an AWS client (tests point them at a local socket). */
export interface AwsTarget {
  readonly region?: string;
  readonly endpoint?: string;
}

const target = (t: AwsTarget) => ({
  ...(t.region ? { region: t.region } : {}),
  ...(t.endpoint ? { endpoint: t.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
});

/** Quota warnings to an EventBridge bus, with the events profile's timeouts. */
export function eventBridgeSink(busName: string, at: AwsTarget = {}): EventSink {
  return new EventBridgeEventSink(new EventBridgeClient({ ...target(at), ...clientSettings(CLIENT_PROFILES.events) }), busName);
}

/** Data keys from AWS KMS, with the kms profile's timeouts. */
export function kmsDataKeys(keyId: string, at: AwsTarget = {}): { provider: DataKeyProvider; client: KMSClient } {
  const client = new KMSClient({ ...target(at), ...clientSettings(CLIENT_PROFILES.kms) });
  return { provider: new KmsDataKeyProvider(client, keyId), client };
}
