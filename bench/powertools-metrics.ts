/**
 * The alternative measured in bench/metrics.ts: the same MetricsBuffer port written with Powertools
 * Metrics (@aws-lambda-powertools/metrics, a devDependency for this comparison only). Not used by
 * any function: see docs/metrics.md for why the hand-written adapters/emf-metrics.ts won.
 *
 * Powertools publishes one dimension set per document for every metric in it, and Keygate's
 * metrics have different dimension sets (Decisions has Outcome, CacheHits does not), so each
 * series goes out through `singleMetric()` with its own dimensions, as Powertools documents for
 * metrics that need different dimensions.
 */
import { Metrics, type MetricUnit } from '@aws-lambda-powertools/metrics';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];
import { type CounterName, type DimensionsOf, METRICS, METRICS_NAMESPACE, type MetricName, type MetricsBuffer, type TimingName } from '../core/metrics';

export class PowertoolsMetricsBuffer implements MetricsBuffer {
  private readonly metrics = new Metrics({ namespace: METRICS_NAMESPACE });
  private readonly series = new Map<string, { name: MetricName; dims: Record<string, string>; values: number[] }>();

  count<N extends CounterName>(name: N, dims: DimensionsOf<N>, n = 1): void {
    const s = this.seriesFor(name, dims as unknown as Record<string, string>);
    s.values[0] = (s.values[0] ?? 0) + n;
  }

  timing<N extends TimingName>(name: N, dims: DimensionsOf<N>, ms: number): void {
    this.seriesFor(name, dims as unknown as Record<string, string>).values.push(ms);
  }

  flush(): void {
    for (const s of this.series.values()) {
      const def = METRICS[s.name];
      const single = this.metrics.singleMetric();
      single.addDimensions(s.dims);
      for (const v of s.values) single.addMetric(def.name, def.unit as Unit, v);
    }
    this.series.clear();
  }

  private seriesFor(name: MetricName, dims: Record<string, string>) {
    let key: string = name;
    for (const d of METRICS[name].dimensions) key += '\u0000' + dims[d];
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { name, dims: { ...dims }, values: [] }));
    return s;
  }
}
