/** The anomaly rules' pure parts: settings, the hour, the SQL's shape, row → event, the projection, and the runner over in-memory ports. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config';
import type { EventSink } from '../../core/ports';
import type { SealedKeyRecord } from '../../core/records';
import {
  type AnomalyClaim,
  type AnomalyEvent,
  type AnomalyLedger,
  anomalyEvents,
  anomalyQueries,
  anomalySettings,
  DEFAULT_ANOMALY_SCHEDULE,
  DEFAULT_ANOMALY_THRESHOLDS,
  detectAnomalies,
  lastCompleteHour,
  parseAnomalySchedule,
  parseAnomalyThresholds,
  projectQuota,
} from '../../core/usage-anomalies';
import type { RawRow, ReportParameter, UsageQueryEngine } from '../../core/usage-reports';

const H = Date.parse('2030-03-08T10:00:00Z');
const HOUR = 3_600_000;
const NOW = new Date(H + HOUR + 15 * 60_000);

describe('anomaly settings', () => {
  it('fills every rule from the defaults and overrides field by field', () => {
    // Act
    const t = parseAnomalyThresholds({ errorRate: { rate: 0.1 }, failedAuth: { enabled: false } });
    // Assess
    expect(t.errorRate).toEqual({ enabled: true, rate: 0.1, minRequests: 50 });
    expect(t.failedAuth).toEqual({ enabled: false, minFailures: 100 });
    expect(t.requestSpike).toEqual(DEFAULT_ANOMALY_THRESHOLDS.requestSpike);
    expect(parseAnomalyThresholds(undefined)).toBe(DEFAULT_ANOMALY_THRESHOLDS);
  });

  it.each([
    [[], 'keygate:anomalies must be an object with any of requestSpike, errorRate, failedAuth, quotaProjection'],
    [{ spikes: {} }, 'keygate:anomalies.spikes is not an anomaly rule (known: requestSpike, errorRate, failedAuth, quotaProjection)'],
    [{ errorRate: 0.05 }, 'keygate:anomalies.errorRate must be an object with any of enabled, rate, minRequests'],
    [{ errorRate: { rate: 5 } }, 'keygate:anomalies.errorRate.rate must be a number from 0 to 1 (got 5)'],
    [{ errorRate: { rate: '0.05' } }, 'keygate:anomalies.errorRate.rate must be a number from 0 to 1 (got "0.05")'],
    [{ requestSpike: { baselineHours: 1.5 } }, 'keygate:anomalies.requestSpike.baselineHours must be an integer from 1 to 744 (got 1.5)'],
    [{ requestSpike: { factor: 0.5 } }, 'keygate:anomalies.requestSpike.factor must be a number from 1 to 1000 (got 0.5)'],
    [{ failedAuth: { threshold: 3 } }, 'keygate:anomalies.failedAuth.threshold is not a setting of failedAuth (known: enabled, minFailures)'],
    [{ quotaProjection: { enabled: 'yes' } }, 'keygate:anomalies.quotaProjection.enabled must be true or false (got "yes")'],
  ])('rejects %j naming the field', (raw, message) => {
    expect(() => parseAnomalyThresholds(raw)).toThrow(new ConfigError(message));
  });

  it('accepts cron and rate schedules and rejects anything else', () => {
    expect(parseAnomalySchedule(undefined)).toBe(DEFAULT_ANOMALY_SCHEDULE);
    expect(parseAnomalySchedule('cron(5 * * * ? *)')).toBe('cron(5 * * * ? *)');
    expect(parseAnomalySchedule('rate(1 hour)')).toBe('rate(1 hour)');
    for (const bad of ['hourly', 'cron(5 * * *)', 'rate(0 hours)', 'rate(1 week)', 5]) {
      expect(() => parseAnomalySchedule(bad)).toThrow(/keygate:anomalySchedule must be an EventBridge Scheduler expression/);
    }
  });

  it('reads the three settings from context, JSON text included, and rejects a non-boolean switch', () => {
    const ctx: Record<string, unknown> = { 'keygate:anomalyDetection': 'false', 'keygate:anomalies': '{"failedAuth":{"minFailures":20}}' };
    const s = anomalySettings((k) => ctx[k]);
    expect(s).toEqual({ enabled: false, schedule: DEFAULT_ANOMALY_SCHEDULE, thresholds: { ...DEFAULT_ANOMALY_THRESHOLDS, failedAuth: { enabled: true, minFailures: 20 } } });
    expect(() => anomalySettings((k) => ({ 'keygate:anomalyDetection': 'maybe' })[k])).toThrow('keygate:anomalyDetection must be true or false (got "maybe")');
    expect(() => anomalySettings((k) => ({ 'keygate:anomalies': '{' })[k])).toThrow(/keygate:anomalies must be a JSON object/);
  });
});

describe('the evaluated hour', () => {
  it('is the last UTC hour that ended at least the delay before the given time', () => {
    expect(lastCompleteHour(new Date('2030-03-08T11:15:00Z'), 10)).toBe(H);
    expect(lastCompleteHour(new Date('2030-03-08T11:05:00Z'), 10)).toBe(H - HOUR);
    expect(lastCompleteHour(new Date('2030-03-08T11:00:00Z'))).toBe(H);
    expect(lastCompleteHour(new Date('2030-03-09T00:15:00Z'), 10)).toBe(Date.parse('2030-03-08T23:00:00Z'));
  });
});

describe('anomaly SQL', () => {
  it('keeps every value out of the text and bounds the scan by partition for the hour and the baseline', () => {
    // Act
    const queries = anomalyQueries('usage', H, parseAnomalyThresholds({ requestSpike: { baselineHours: 48 } }));
    // Assess
    expect(queries.map((q) => q.rule)).toEqual(['requestSpike', 'errorRate', 'failedAuth', 'quotaProjection']);
    for (const q of queries) {
      expect(q.sql).toContain('dt BETWEEN ? AND ? AND "time" >= ? AND "time" < ?');
      expect(q.sql.split('?').length - 1).toBe(q.parameters.length);
      expect(q.sql).not.toMatch(/2030|\b48\b|0\.05/);
      expect(q.sql).toMatch(/LIMIT 1001$/);
    }
    expect(queries[0]!.parameters).toEqual([H, H, H, '2030-03-06', '2030-03-08', H - 48 * HOUR, H + HOUR, 100, 1000, 5]);
    expect(queries[1]!.parameters).toEqual(['2030-03-08', '2030-03-08', H, H + HOUR, 50, 0.05]);
  });

  it('leaves out disabled rules', () => {
    const t = parseAnomalyThresholds({ requestSpike: { enabled: false }, quotaProjection: { enabled: false } });
    expect(anomalyQueries('usage', H, t).map((q) => q.rule)).toEqual(['errorRate', 'failedAuth']);
  });

  it('rejects a table name that is not a plain identifier and an hour that is not whole', () => {
    expect(() => anomalyQueries('usage; DROP TABLE x', H)).toThrow(/not a plain identifier/);
    expect(() => anomalyQueries('usage', H + 1)).toThrow(/not a whole UTC hour/);
  });
});

describe('rows to events', () => {
  it('reads Athena text rows with lower-cased column names and names the numbers', () => {
    // Prepare: Athena returns every value as text
    const rows: RawRow[] = [{ keyid: 'key_a', ownerid: null, requests: '200', errors: '30', ratelimited: '4' }];
    // Act
    const [e] = anomalyEvents('errorRate', rows, H, DEFAULT_ANOMALY_THRESHOLDS, NOW);
    // Assess
    expect(e).toEqual({
      type: 'keygate.usage.anomaly',
      rule: 'errorRate',
      keyId: 'key_a',
      hour: '2030-03-08T10:00:00Z',
      observed: { requests: 200, errors: 30, errorRate: 0.15, rateLimited: 4 },
      threshold: { errorRate: 0.05, minRequests: 50 },
      time: NOW.toISOString(),
    });
  });

  it('reads at most the row limit of rows and skips those without a subject', () => {
    const rows: RawRow[] = [{ sourceIp: null, failures: 500 }, ...Array.from({ length: 1001 }, (_, i) => ({ sourceIp: `10.0.${i >> 8}.${i & 255}`, failures: 100 }))];
    // 1002 rows: the first 1000 are read, one of them has no address
    expect(anomalyEvents('failedAuth', rows, H, DEFAULT_ANOMALY_THRESHOLDS, NOW)).toHaveLength(999);
  });
});

describe('quota projection', () => {
  it('fires when used + rate × hours left passes the limit, not when it stays under or is already exhausted', () => {
    const resetAtMs = Date.parse('2030-03-09T00:00:00Z');
    expect(projectQuota({ used: 800, limit: 1000, resetAtMs, hourlyRate: 100, now: NOW })).toEqual({ projected: 2075, hoursLeft: 12.75 });
    expect(projectQuota({ used: 100, limit: 1000, resetAtMs, hourlyRate: 70, now: NOW })).toBeUndefined();
    expect(projectQuota({ used: 1000, limit: 1000, resetAtMs, hourlyRate: 100, now: NOW })).toBeUndefined();
  });
});

describe('detectAnomalies over in-memory ports', () => {
  class TableEngine implements UsageQueryEngine {
    constructor(private readonly byRule: (sql: string) => RawRow[] | 'pending' | Error) {}
    async run(sql: string, _parameters: readonly ReportParameter[]) {
      const r = this.byRule(sql);
      if (r instanceof Error) throw r;
      return r === 'pending' ? { pending: 'q-9' } : { rows: r };
    }
  }
  class MemoryLedger implements AnomalyLedger {
    readonly claims = new Set<string>();
    async claim(c: AnomalyClaim) {
      const id = `${c.rule}|${c.subject}|${c.hour}`;
      if (this.claims.has(id)) return false;
      this.claims.add(id);
      return true;
    }
    async release(c: AnomalyClaim) {
      this.claims.delete(`${c.rule}|${c.subject}|${c.hour}`);
    }
  }
  const base = (engine: UsageQueryEngine, ledger: AnomalyLedger, events: EventSink) => ({
    engine,
    table: 'usage',
    ledger,
    keys: { getById: async () => undefined },
    counters: { peek: async () => ({ admitted: true }) },
    events,
    clock: { now: () => NOW },
  });

  it('evaluates the last complete hour, reports a pending or failing rule in failed and still runs the others', async () => {
    // Prepare
    const engine = new TableEngine((sql) =>
      sql.includes('"baselineRequests"') ? 'pending' : sql.includes('"sourceIp"') ? [{ sourceIp: '203.0.113.9', failures: 120, unauthorized: 120, ipNotAllowed: 0 }] : sql.includes('"errors"') ? new Error('boom') : [],
    );
    const sent: unknown[] = [];
    // Act
    const result = await detectAnomalies(base(engine, new MemoryLedger(), { publish: async (e) => void sent.push(e) }));
    // Assess
    expect(result.hour).toBe('2030-03-08T10:00:00Z');
    expect(result.failed.map((f) => [f.rule, f.retryable])).toEqual([
      ['requestSpike', true],
      ['errorRate', true],
    ]);
    expect(result.failed[0]!.message).toMatch(/q-9 did not finish in time/);
    expect(result.published.map((e) => e.sourceIp)).toEqual(['203.0.113.9']);
    expect(sent).toEqual(result.published);
  });

  it('publishes nothing the ledger already holds, and gives back the claim of an event it could not publish', async () => {
    // Prepare
    const engine = new TableEngine((sql) => (sql.includes('"sourceIp"') ? [{ sourceIp: '203.0.113.9', failures: 120 }] : []));
    const ledger = new MemoryLedger();
    const failing: EventSink = { publish: async () => Promise.reject(new Error('bus down')) };
    // Act
    const failed = await detectAnomalies(base(engine, ledger, failing));
    const retried = await detectAnomalies(base(engine, ledger, { publish: async () => undefined }));
    const again = await detectAnomalies(base(engine, ledger, { publish: async () => undefined }));
    // Assess
    expect(failed.published).toEqual([]);
    expect(failed.failed).toEqual([{ rule: 'failedAuth', subject: '203.0.113.9', message: 'bus down', retryable: true }]);
    expect(retried.published).toHaveLength(1);
    expect(again).toMatchObject({ published: [], alreadyPublished: 1, failed: [] });
  });

  it('projects a rotated key’s quota from its lineage’s counters, which it shares with the key it replaced', async () => {
    // Prepare: the new key of a rotation (lineage = the first key) used 100 in the hour
    const first = 'key_01JDZ8Q6N3V00000000000001';
    const rotated = 'key_01JDZ8Q6N3V00000000000002';
    const engine = new TableEngine((sql) => (sql.includes('"baselineRequests"') || sql.includes('"errors"') || sql.includes('"sourceIp"') ? [] : [{ keyId: rotated, requests: 100 }]));
    const record = { id: rotated, ownerId: 'acme', status: 'active', lineage: first, quota: { daily: 1000 } } as unknown as SealedKeyRecord;
    const peeked: string[] = [];
    const endOfDay = Date.parse('2030-03-09T00:00:00Z') / 1000;
    const counters = {
      peek: async (id: string) => {
        peeked.push(id);
        return { admitted: true, daily: { limit: 1000, used: 800, remaining: 200, resetAt: endOfDay, retryAt: endOfDay } };
      },
    };
    const sent: AnomalyEvent[] = [];
    // Act
    const result = await detectAnomalies({ ...base(engine, new MemoryLedger(), { publish: async (e) => void sent.push(e as AnomalyEvent) }), keys: { getById: async (id: string) => (id === rotated ? record : undefined) }, counters });
    // Assess
    expect(peeked).toEqual([first]);
    expect(result.published).toMatchObject([{ rule: 'quotaProjection', keyId: rotated, quota: 'daily', observed: { used: 800, hourlyRequests: 100 } }]);
  });
});
