/**
 * CloudWatch embedded metric format (EMF), hand-written: the Lambdas record into this buffer
 * during an invocation and `flush()` writes the aggregate as JSON lines on stdout at its end,
 * where CloudWatch Logs extracts the metrics asynchronously (no PutMetricData call, no await).
 *
 * Why not Powertools Metrics: measured in bench/metrics.ts and written up in docs/metrics.md and
 * docs/benchmarks.md; this writer covers the one format feature Keygate uses.
 *
 * One line per flush in the common case: recordings whose dimension values do not conflict
 * share a document (a cache hit's decision, cache result and counter-write latency are one
 * line). A second document is started only for a conflicting value (a cache miss that also
 * writes counters has two Store values) or past EMF's 100 values per metric.
 */
import {
  type CounterName,
  type DimensionsOf,
  METRICS,
  METRICS_NAMESPACE,
  type MetricName,
  type MetricsBuffer,
  type TimingName,
} from '../core/metrics';

/** EMF accepts at most 100 values in one metric's array. */
export const EMF_MAX_VALUES = 100;

interface Series {
  readonly name: MetricName;
  readonly dims: Readonly<Record<string, string>>;
  /** Counters: one running sum. Timings: every value. */
  readonly values: number[];
}

export type EmfDocument = Record<string, unknown> & {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: { readonly Namespace: string; readonly Dimensions: string[][]; readonly Metrics: { readonly Name: string; readonly Unit: string }[] }[];
  };
};

function seriesKey(name: MetricName, dims: Readonly<Record<string, string>>): string {
  let key: string = name;
  for (const d of METRICS[name].dimensions) key += '\u0000' + dims[d];
  return key;
}

/** The EMF documents for a set of series, in recording order. Pure: the tests pin its output. */
export function renderEmf(series: Iterable<Series>, timestamp: number, namespace = METRICS_NAMESPACE): EmfDocument[] {
  interface Draft {
    readonly dims: Record<string, string>;
    readonly metrics: Map<string, number | number[]>;
  }
  const drafts: Draft[] = [];
  for (const s of series) {
    const def = METRICS[s.name];
    const chunks = def.kind === 'counter' ? [s.values] : chunk(s.values, EMF_MAX_VALUES);
    for (const values of chunks) {
      const value = def.kind === 'counter' || values.length === 1 ? values[0]! : values;
      let draft = drafts.find((d) => !d.metrics.has(s.name) && def.dimensions.every((k) => d.dims[k] === undefined || d.dims[k] === s.dims[k]));
      if (!draft) drafts.push((draft = { dims: {}, metrics: new Map() }));
      for (const k of def.dimensions) draft.dims[k] = s.dims[k]!;
      draft.metrics.set(s.name, value);
    }
  }
  return drafts.map((d) => {
    // One directive per dimension set, so each metric is published with exactly its own dimensions.
    const directives = new Map<string, { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }>();
    const body: Record<string, unknown> = {};
    for (const [name, value] of d.metrics) {
      const def = METRICS[name as MetricName];
      const set = def.dimensions.join('\u0000');
      let directive = directives.get(set);
      if (!directive) directives.set(set, (directive = { Namespace: namespace, Dimensions: [[...def.dimensions]], Metrics: [] }));
      directive.Metrics.push({ Name: def.name, Unit: def.unit });
      body[def.name] = value;
    }
    return { _aws: { Timestamp: timestamp, CloudWatchMetrics: [...directives.values()] }, ...d.dims, ...body };
  });
}

function chunk(values: readonly number[], size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

export interface EmfMetricsOptions {
  /** Where each document goes, one JSON line each. @default process.stdout */
  readonly write?: (line: string) => void;
  /** Epoch ms stamped on each flush. @default Date.now */
  readonly now?: () => number;
  readonly namespace?: string;
}

/** A MetricsBuffer writing EMF. Recording is a Map update; only `flush()` serializes. */
export class EmfMetrics implements MetricsBuffer {
  private readonly series = new Map<string, Series>();
  private readonly write: (line: string) => void;
  private readonly now: () => number;
  private readonly namespace: string;

  constructor(options: EmfMetricsOptions = {}) {
    // Synchronous on Linux for files and pipes (Lambda's stdout): flush() needs no await.
    this.write = options.write ?? ((line) => process.stdout.write(line + '\n'));
    this.now = options.now ?? Date.now;
    this.namespace = options.namespace ?? METRICS_NAMESPACE;
  }

  count<N extends CounterName>(name: N, dims: DimensionsOf<N>, n = 1): void {
    const s = this.seriesFor(name, dims as unknown as Record<string, string>);
    s.values[0] = (s.values[0] ?? 0) + n;
  }

  timing<N extends TimingName>(name: N, dims: DimensionsOf<N>, ms: number): void {
    this.seriesFor(name, dims as unknown as Record<string, string>).values.push(ms);
  }

  get isEmpty(): boolean {
    return this.series.size === 0;
  }

  flush(): void {
    if (this.series.size === 0) return;
    const docs = renderEmf(this.series.values(), this.now(), this.namespace);
    this.series.clear();
    for (const doc of docs) this.write(JSON.stringify(doc));
  }

  private seriesFor(name: MetricName, dims: Readonly<Record<string, string>>): Series {
    const key = seriesKey(name, dims);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { name, dims: { ...dims }, values: [] }));
    return s;
  }
}
