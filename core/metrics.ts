/**
 * Keygate's custom metrics, defined once. The Lambdas emit them as CloudWatch embedded metric
 * format (adapters/emf-metrics.ts), the local stack serves them as Prometheus text at
 * GET /metrics (adapters/prometheus-metrics.ts), and the dashboard and alarms (lib/monitoring.ts)
 * iterate `METRICS` instead of spelling names again.
 *
 * Dimensions are low-cardinality by rule: a service, an outcome, a store, a status class. Never a
 * key id, owner, route path or IP: every distinct dimension combination is a billed CloudWatch
 * metric, and per-key views come from usage analytics (docs/metrics.md).
 */
import type { VerificationCode } from './decision';

/** The CloudWatch namespace of every custom metric. */
export const METRICS_NAMESPACE = 'Keygate';

/** The `Service` dimension: which Lambda (or the local stack acting as it) recorded the value. */
export const METRIC_SERVICES = ['authorizer', 'keys', 'usage', 'expiry', 'anomalies', 'webhook'] as const;
export type MetricService = (typeof METRIC_SERVICES)[number];

/**
 * The `Outcome` dimension of `Decisions`: every verification code (core/decision.ts), plus the
 * two the authorizer decides without a verification: the store failed (503) or the route is not
 * in the route table (403).
 */
export const DECISION_OUTCOMES = [
  'VALID',
  'MISSING',
  'MALFORMED',
  'NOT_FOUND',
  'REVOKED',
  'EXPIRED',
  'INSUFFICIENT_SCOPE',
  'IP_NOT_ALLOWED',
  'RATE_LIMITED',
  'QUOTA_EXCEEDED',
  'UNAVAILABLE',
  'UNKNOWN_ROUTE',
] as const satisfies readonly (VerificationCode | 'UNAVAILABLE' | 'UNKNOWN_ROUTE')[];
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

/** Outcomes where the presented key itself was refused (the "rejected keys" alarm sums these). */
export const REJECTED_KEY_OUTCOMES: readonly DecisionOutcome[] = ['MISSING', 'MALFORMED', 'NOT_FOUND', 'REVOKED', 'EXPIRED', 'INSUFFICIENT_SCOPE', 'IP_NOT_ALLOWED'];
/** Outcomes where a valid key was over one of its limits (429). */
export const LIMITED_OUTCOMES: readonly DecisionOutcome[] = ['RATE_LIMITED', 'QUOTA_EXCEEDED'];

/** The `Store` dimension of `StoreLatency`: which table the call went to. */
export const METRIC_STORES = ['keys', 'counters'] as const;
export type MetricStore = (typeof METRIC_STORES)[number];

/** The `StatusClass` dimension of `Requests`. */
export const STATUS_CLASSES = ['2xx', '4xx', '5xx'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

export function statusClass(status: number): StatusClass {
  return status >= 500 ? '5xx' : status >= 400 ? '4xx' : '2xx';
}

export type DimensionName = 'Service' | 'Outcome' | 'Store' | 'StatusClass';
export type MetricUnit = 'Count' | 'Milliseconds';
export type MetricKind = 'counter' | 'timing';

export interface MetricDefinition {
  /** The CloudWatch metric name. */
  readonly name: string;
  readonly kind: MetricKind;
  readonly unit: MetricUnit;
  /** The one dimension set it is published with, in this order. */
  readonly dimensions: readonly DimensionName[];
  /** The Prometheus name locally (counters end in _total; timings are histograms). */
  readonly prometheusName: string;
  readonly description: string;
}

/** Every custom metric. The dashboard and alarms iterate this; nothing else spells a name. */
export const METRICS = {
  Decisions: {
    name: 'Decisions',
    kind: 'counter',
    unit: 'Count',
    dimensions: ['Service', 'Outcome'],
    prometheusName: 'keygate_decisions_total',
    description: 'Authorizer decisions by outcome (DECISION_OUTCOMES).',
  },
  CacheHits: {
    name: 'CacheHits',
    kind: 'counter',
    unit: 'Count',
    dimensions: ['Service'],
    prometheusName: 'keygate_cache_hits_total',
    description: 'Verifications answered from the per-container key cache (positive or negative entry).',
  },
  CacheMisses: {
    name: 'CacheMisses',
    kind: 'counter',
    unit: 'Count',
    dimensions: ['Service'],
    prometheusName: 'keygate_cache_misses_total',
    description: 'Verifications that read the key table (a joined in-flight read counts as a miss).',
  },
  StoreLatency: {
    name: 'StoreLatency',
    kind: 'timing',
    unit: 'Milliseconds',
    dimensions: ['Service', 'Store'],
    prometheusName: 'keygate_store_latency_ms',
    description: 'Wall time of one store call on the request path: the key read on a cache miss, the counter write.',
  },
  Requests: {
    name: 'Requests',
    kind: 'counter',
    unit: 'Count',
    dimensions: ['Service', 'StatusClass'],
    prometheusName: 'keygate_requests_total',
    description: 'Management API responses by status class.',
  },
  EventsPublished: {
    name: 'EventsPublished',
    kind: 'counter',
    unit: 'Count',
    dimensions: ['Service'],
    prometheusName: 'keygate_events_published_total',
    description: 'Domain events accepted by the bus (or the local events file).',
  },
  EventsFailed: {
    name: 'EventsFailed',
    kind: 'counter',
    unit: 'Count',
    dimensions: ['Service'],
    prometheusName: 'keygate_events_failed_total',
    description: 'Domain events the bus refused or could not be reached for.',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;
/** The definitions as a list, in a stable order. */
export const METRIC_LIST: readonly MetricDefinition[] = Object.values(METRICS);

export type CounterName = { [N in MetricName]: (typeof METRICS)[N]['kind'] extends 'counter' ? N : never }[MetricName];
export type TimingName = { [N in MetricName]: (typeof METRICS)[N]['kind'] extends 'timing' ? N : never }[MetricName];

interface DimensionValues {
  Service: MetricService;
  Outcome: DecisionOutcome;
  Store: MetricStore;
  StatusClass: StatusClass;
}

/** The exact dimension values a metric needs: `{ Service, Outcome }` for Decisions, and so on. */
export type DimensionsOf<N extends MetricName> = { readonly [D in (typeof METRICS)[N]['dimensions'][number]]: DimensionValues[D] };

/** Histogram bucket upper bounds (ms) for timings in the Prometheus rendering. */
export const LATENCY_BUCKETS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500];

/**
 * The port: the core and the handlers record through this and never learn the wire format.
 * Recording is synchronous and cheap (an in-memory add); the adapter decides when to write.
 */
export interface MetricsRecorder {
  count<N extends CounterName>(name: N, dims: DimensionsOf<N>, n?: number): void;
  timing<N extends TimingName>(name: N, dims: DimensionsOf<N>, ms: number): void;
}

/** Records nothing: the default where no recorder is wired (unit tests, scripts). */
export const noMetrics: MetricsRecorder = {
  count() {},
  timing() {},
};

/** Records into several recorders (the local stack: Prometheus, plus a test's own). */
export function fanOutMetrics(...recorders: readonly MetricsRecorder[]): MetricsRecorder {
  return {
    count(name, dims, n) {
      for (const r of recorders) r.count(name, dims, n);
    },
    timing(name, dims, ms) {
      for (const r of recorders) r.timing(name, dims, ms);
    },
  };
}

/** A recorder that buffers and writes on `flush()` (EMF in a Lambda: once per invocation). */
export interface MetricsBuffer extends MetricsRecorder {
  /** Writes what was recorded since the last flush, synchronously, and forgets it. */
  flush(): void;
}

type AnyEvent = { readonly type: string; readonly [field: string]: unknown };
interface MaybeBatchSink {
  publish(event: AnyEvent): Promise<void>;
  publishBatch?(events: readonly AnyEvent[]): Promise<readonly (Error | undefined)[]>;
}

/**
 * The same sink, counting `EventsPublished` and `EventsFailed` for `service` as each publish
 * settles. A sink with `publishBatch` (EventBridge) keeps it, counted per entry.
 */
export function countedEventSink<S extends MaybeBatchSink>(sink: S, metrics: MetricsRecorder, service: MetricService): S {
  const dims = { Service: service } as const;
  const counted: MaybeBatchSink = {
    publish: (event) =>
      sink.publish(event).then(
        () => metrics.count('EventsPublished', dims),
        (err: unknown) => {
          metrics.count('EventsFailed', dims);
          throw err;
        },
      ),
  };
  if (sink.publishBatch) {
    const batch = sink.publishBatch.bind(sink);
    counted.publishBatch = (events) =>
      batch(events).then(
        (results) => {
          const failed = results.filter((r) => r !== undefined).length;
          if (results.length - failed > 0) metrics.count('EventsPublished', dims, results.length - failed);
          if (failed > 0) metrics.count('EventsFailed', dims, failed);
          return results;
        },
        (err: unknown) => {
          metrics.count('EventsFailed', dims, events.length);
          throw err;
        },
      );
  }
  // Other members (flush, close) pass through unchanged.
  return new Proxy(sink, {
    get: (target, prop) => {
      if (Object.hasOwn(counted, prop)) return counted[prop as keyof MaybeBatchSink];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as S;
}
