import { describe, expect, it } from 'vitest';
import { EMF_MAX_VALUES, EmfMetrics } from '../../adapters/emf-metrics';
import { parsePrometheusText, PrometheusMetrics } from '../../adapters/prometheus-metrics';
import { countedEventSink, DECISION_OUTCOMES, METRIC_LIST, METRICS, statusClass } from '../../core/metrics';

const T = Date.parse('2033-01-15T08:00:00.000Z');

function emf(): { metrics: EmfMetrics; lines: string[] } {
  const lines: string[] = [];
  return { metrics: new EmfMetrics({ write: (l) => lines.push(l), now: () => T }), lines };
}

describe('core/metrics definitions', () => {
  it('gives every metric a unique CloudWatch and Prometheus name and only low-cardinality dimensions', () => {
    // Prepare
    const allowed = new Set(['Service', 'Outcome', 'Store', 'StatusClass']);
    // Act
    const names = METRIC_LIST.map((m) => m.name);
    const promNames = METRIC_LIST.map((m) => m.prometheusName);
    // Assess
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(promNames).size).toBe(promNames.length);
    for (const m of METRIC_LIST) {
      expect(m.dimensions[0]).toBe('Service');
      for (const d of m.dimensions) expect(allowed.has(d)).toBe(true);
      expect(m.prometheusName).toMatch(m.kind === 'counter' ? /^keygate_[a-z_]+_total$/ : /^keygate_[a-z_]+_ms$/);
    }
  });

  it('names every decision the authorizer can make, verification codes included', () => {
    expect(DECISION_OUTCOMES).toEqual([
      'VALID', 'MISSING', 'MALFORMED', 'NOT_FOUND', 'REVOKED', 'EXPIRED', 'INSUFFICIENT_SCOPE', 'IP_NOT_ALLOWED', 'RATE_LIMITED', 'QUOTA_EXCEEDED', 'UNAVAILABLE', 'UNKNOWN_ROUTE',
    ]);
  });

  it('classes statuses', () => {
    expect([200, 204, 302, 400, 429, 500, 503].map(statusClass)).toEqual(['2xx', '2xx', '2xx', '4xx', '4xx', '5xx', '5xx']);
  });
});

describe('EmfMetrics', () => {
  it('writes a cache-hit authorizer invocation as exactly one EMF document', () => {
    // Prepare
    const { metrics, lines } = emf();
    // Act
    metrics.count('CacheHits', { Service: 'authorizer' });
    metrics.timing('StoreLatency', { Service: 'authorizer', Store: 'counters' }, 4.25);
    metrics.count('Decisions', { Service: 'authorizer', Outcome: 'VALID' });
    metrics.flush();
    // Assess
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      _aws: {
        Timestamp: T,
        CloudWatchMetrics: [
          { Namespace: 'Keygate', Dimensions: [['Service']], Metrics: [{ Name: 'CacheHits', Unit: 'Count' }] },
          { Namespace: 'Keygate', Dimensions: [['Service', 'Store']], Metrics: [{ Name: 'StoreLatency', Unit: 'Milliseconds' }] },
          { Namespace: 'Keygate', Dimensions: [['Service', 'Outcome']], Metrics: [{ Name: 'Decisions', Unit: 'Count' }] },
        ],
      },
      Service: 'authorizer',
      Store: 'counters',
      Outcome: 'VALID',
      CacheHits: 1,
      StoreLatency: 4.25,
      Decisions: 1,
    });
  });

  it('starts a second document for a conflicting dimension value (two outcomes, two stores), and sums counters', () => {
    // Prepare
    const { metrics, lines } = emf();
    // Act
    metrics.count('Decisions', { Service: 'authorizer', Outcome: 'VALID' }, 2);
    metrics.count('Decisions', { Service: 'authorizer', Outcome: 'VALID' });
    metrics.count('Decisions', { Service: 'authorizer', Outcome: 'REVOKED' });
    metrics.timing('StoreLatency', { Service: 'authorizer', Store: 'keys' }, 3);
    metrics.timing('StoreLatency', { Service: 'authorizer', Store: 'keys' }, 5);
    metrics.timing('StoreLatency', { Service: 'authorizer', Store: 'counters' }, 7);
    metrics.flush();
    // Assess
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      {
        _aws: {
          Timestamp: T,
          CloudWatchMetrics: [
            { Namespace: 'Keygate', Dimensions: [['Service', 'Outcome']], Metrics: [{ Name: 'Decisions', Unit: 'Count' }] },
            { Namespace: 'Keygate', Dimensions: [['Service', 'Store']], Metrics: [{ Name: 'StoreLatency', Unit: 'Milliseconds' }] },
          ],
        },
        Service: 'authorizer',
        Outcome: 'VALID',
        Store: 'keys',
        Decisions: 3,
        StoreLatency: [3, 5],
      },
      {
        _aws: {
          Timestamp: T,
          CloudWatchMetrics: [
            { Namespace: 'Keygate', Dimensions: [['Service', 'Outcome']], Metrics: [{ Name: 'Decisions', Unit: 'Count' }] },
            { Namespace: 'Keygate', Dimensions: [['Service', 'Store']], Metrics: [{ Name: 'StoreLatency', Unit: 'Milliseconds' }] },
          ],
        },
        Service: 'authorizer',
        Outcome: 'REVOKED',
        Store: 'counters',
        Decisions: 1,
        StoreLatency: 7,
      },
    ]);
  });

  it('splits a timing past EMF’s 100 values per metric', () => {
    // Prepare
    const { metrics, lines } = emf();
    // Act
    for (let i = 0; i < EMF_MAX_VALUES + 1; i++) metrics.timing('StoreLatency', { Service: 'keys', Store: 'keys' }, i);
    metrics.flush();
    // Assess
    const docs = lines.map((l) => JSON.parse(l) as { StoreLatency: number | number[] });
    expect(docs).toHaveLength(2);
    expect((docs[0]!.StoreLatency as number[]).length).toBe(EMF_MAX_VALUES);
    expect(docs[1]!.StoreLatency).toBe(EMF_MAX_VALUES);
  });

  it('forgets what it flushed and writes nothing when nothing was recorded', () => {
    // Prepare
    const { metrics, lines } = emf();
    metrics.count('Requests', { Service: 'keys', StatusClass: '2xx' });
    // Act
    metrics.flush();
    metrics.flush();
    // Assess
    expect(lines).toHaveLength(1);
    expect(metrics.isEmpty).toBe(true);
  });
});

describe('PrometheusMetrics', () => {
  it('renders counters and a latency histogram in the text format', () => {
    // Prepare
    const prom = new PrometheusMetrics();
    // Act
    prom.count('Decisions', { Service: 'authorizer', Outcome: 'VALID' }, 3);
    prom.count('Decisions', { Service: 'authorizer', Outcome: 'NOT_FOUND' });
    prom.count('Requests', { Service: 'keys', StatusClass: '4xx' });
    prom.timing('StoreLatency', { Service: 'authorizer', Store: 'keys' }, 0.5);
    prom.timing('StoreLatency', { Service: 'authorizer', Store: 'keys' }, 7);
    prom.timing('StoreLatency', { Service: 'authorizer', Store: 'keys' }, 9000);
    const text = prom.render();
    // Assess
    const lat = 'keygate_store_latency_ms';
    const l = (le: string) => `${lat}_bucket{service="authorizer",store="keys",le="${le}"}`;
    expect(text).toBe(
      [
        `# HELP keygate_decisions_total ${METRICS.Decisions.description}`,
        '# TYPE keygate_decisions_total counter',
        'keygate_decisions_total{service="authorizer",outcome="VALID"} 3',
        'keygate_decisions_total{service="authorizer",outcome="NOT_FOUND"} 1',
        `# HELP keygate_cache_hits_total ${METRICS.CacheHits.description}`,
        '# TYPE keygate_cache_hits_total counter',
        `# HELP keygate_cache_misses_total ${METRICS.CacheMisses.description}`,
        '# TYPE keygate_cache_misses_total counter',
        `# HELP ${lat} ${METRICS.StoreLatency.description}`,
        `# TYPE ${lat} histogram`,
        `${l('1')} 1`,
        `${l('2')} 1`,
        `${l('5')} 1`,
        `${l('10')} 2`,
        `${l('25')} 2`,
        `${l('50')} 2`,
        `${l('100')} 2`,
        `${l('250')} 2`,
        `${l('500')} 2`,
        `${l('1000')} 2`,
        `${l('2500')} 2`,
        `${l('+Inf')} 3`,
        `${lat}_sum{service="authorizer",store="keys"} 9007.5`,
        `${lat}_count{service="authorizer",store="keys"} 3`,
        `# HELP keygate_requests_total ${METRICS.Requests.description}`,
        '# TYPE keygate_requests_total counter',
        'keygate_requests_total{service="keys",status_class="4xx"} 1',
        `# HELP keygate_events_published_total ${METRICS.EventsPublished.description}`,
        '# TYPE keygate_events_published_total counter',
        `# HELP keygate_events_failed_total ${METRICS.EventsFailed.description}`,
        '# TYPE keygate_events_failed_total counter',
        '',
      ].join('\n'),
    );
    expect(parsePrometheusText(text).get('keygate_decisions_total{service="authorizer",outcome="VALID"}')).toBe(3);
  });
});

describe('countedEventSink', () => {
  it('counts published and failed events, per entry for a batch, and passes other members through', async () => {
    // Prepare
    const prom = new PrometheusMetrics();
    let fail = false;
    const sink = {
      flushed: 0,
      publish: async (_event: { readonly type: string }) => {
        if (fail) throw new Error('bus down');
      },
      publishBatch: async (events: readonly { readonly type: string }[]) => events.map((_, i) => (i === 0 ? new Error('refused') : undefined)),
      flush(this: { flushed: number }) {
        this.flushed += 1;
      },
    };
    const counted = countedEventSink(sink, prom, 'expiry');
    // Act
    await counted.publish({ type: 'a' });
    fail = true;
    await expect(counted.publish({ type: 'a' })).rejects.toThrow('bus down');
    await counted.publishBatch([{ type: 'a' }, { type: 'b' }, { type: 'c' }]);
    counted.flush();
    // Assess
    const values = parsePrometheusText(prom.render());
    expect(values.get('keygate_events_published_total{service="expiry"}')).toBe(3);
    expect(values.get('keygate_events_failed_total{service="expiry"}')).toBe(2);
    expect(sink.flushed).toBe(1);
  });
});
