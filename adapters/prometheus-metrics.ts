/**
 * The local stack's metrics: the same recordings as the Lambdas' EMF (core/metrics.ts), kept as
 * cumulative counters and latency histograms and rendered in the Prometheus text exposition
 * format (version 0.0.4) at GET /metrics. Local only: API Gateway has no such route.
 */
import {
  type CounterName,
  type DimensionName,
  type DimensionsOf,
  LATENCY_BUCKETS_MS,
  METRIC_LIST,
  METRICS,
  type MetricName,
  type MetricsBuffer,
  type TimingName,
} from '../core/metrics';

/** The local-only path; not a route of the API (docs/metrics.md). */
export const LOCAL_METRICS_PATH = '/metrics';
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const LABEL: Record<DimensionName, string> = { Service: 'service', Outcome: 'outcome', Store: 'store', StatusClass: 'status_class' };

interface CounterSeries {
  readonly labels: string;
  value: number;
}
interface HistogramSeries {
  readonly labels: readonly [string, string][];
  readonly buckets: number[];
  sum: number;
  count: number;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const formatLabels = (pairs: readonly [string, string][]) => (pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`);
const formatNumber = (n: number) => (Number.isInteger(n) ? String(n) : String(Number(n.toFixed(6))));

function labelPairs(name: MetricName, dims: Readonly<Record<string, string>>): [string, string][] {
  return METRICS[name].dimensions.map((d) => [LABEL[d], dims[d]!]);
}

/** Cumulative since start, never reset: `flush()` is a no-op (Prometheus scrapes instead). */
export class PrometheusMetrics implements MetricsBuffer {
  private readonly counters = new Map<MetricName, Map<string, CounterSeries>>();
  private readonly histograms = new Map<MetricName, Map<string, HistogramSeries>>();

  count<N extends CounterName>(name: N, dims: DimensionsOf<N>, n = 1): void {
    const pairs = labelPairs(name, dims as unknown as Record<string, string>);
    const labels = formatLabels(pairs);
    let byLabels = this.counters.get(name);
    if (!byLabels) this.counters.set(name, (byLabels = new Map()));
    const s = byLabels.get(labels);
    if (s) s.value += n;
    else byLabels.set(labels, { labels, value: n });
  }

  timing<N extends TimingName>(name: N, dims: DimensionsOf<N>, ms: number): void {
    const pairs = labelPairs(name, dims as unknown as Record<string, string>);
    const key = formatLabels(pairs);
    let byLabels = this.histograms.get(name);
    if (!byLabels) this.histograms.set(name, (byLabels = new Map()));
    let s = byLabels.get(key);
    if (!s) byLabels.set(key, (s = { labels: pairs, buckets: LATENCY_BUCKETS_MS.map(() => 0), sum: 0, count: 0 }));
    // Buckets are stored non-cumulative and summed on render.
    const i = LATENCY_BUCKETS_MS.findIndex((le) => ms <= le);
    if (i >= 0) s.buckets[i]! += 1;
    s.sum += ms;
    s.count += 1;
  }

  flush(): void {}

  /** The exposition text: every defined metric's HELP and TYPE, then its series in recording order. */
  render(): string {
    const lines: string[] = [];
    for (const def of METRIC_LIST) {
      const name = def.name as MetricName;
      lines.push(`# HELP ${def.prometheusName} ${def.description}`);
      if (def.kind === 'counter') {
        lines.push(`# TYPE ${def.prometheusName} counter`);
        for (const s of this.counters.get(name)?.values() ?? []) lines.push(`${def.prometheusName}${s.labels} ${formatNumber(s.value)}`);
      } else {
        lines.push(`# TYPE ${def.prometheusName} histogram`);
        for (const s of this.histograms.get(name)?.values() ?? []) {
          let cumulative = 0;
          LATENCY_BUCKETS_MS.forEach((le, i) => {
            cumulative += s.buckets[i]!;
            lines.push(`${def.prometheusName}_bucket${formatLabels([...s.labels, ['le', String(le)]])} ${cumulative}`);
          });
          lines.push(`${def.prometheusName}_bucket${formatLabels([...s.labels, ['le', '+Inf']])} ${s.count}`);
          lines.push(`${def.prometheusName}_sum${formatLabels(s.labels)} ${formatNumber(s.sum)}`);
          lines.push(`${def.prometheusName}_count${formatLabels(s.labels)} ${s.count}`);
        }
      }
    }
    return lines.join('\n') + '\n';
  }
}

/** Parses exposition text back into `name{labels}` → value (tests and the CLI read counters with it). */
export function parsePrometheusText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}
