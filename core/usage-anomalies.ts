/**
 * Usage anomaly detection: rules over one complete UTC hour of usage records, each a parameterized
 * SQL text that runs unchanged on Athena (Trino) deployed and DuckDB locally, plus the quota
 * projection that reads the key's quota and live counters. Each finding becomes one
 * `keygate.usage.anomaly` event naming the numbers that triggered it, published at most once per
 * (rule, subject, hour) through an {@link AnomalyLedger}. docs/anomalies.md has the formulas.
 *
 * The SQL keeps the rules of core/usage-reports.ts: every value is a `?` parameter, the partition
 * column bounds the scan (`dt BETWEEN ? AND ?`), `-` is API Gateway's "missing", only functions both
 * engines have, results bounded and ordered so the same data gives the same rows.
 */
import { ConfigError } from './config';
import { type Clock, type CounterStore, DependencyError, type EventSink, type KeyRepository, type Logger } from './ports';
import { counterIdOf } from './records';
import type { RawRow, ReportParameter, UsageQueryEngine } from './usage-reports';
import { MISSING, USAGE_PARTITION } from './usage-record';

export const ANOMALY_EVENT_TYPE = 'keygate.usage.anomaly';

export type AnomalyRule = 'requestSpike' | 'errorRate' | 'failedAuth' | 'quotaProjection';
export const ANOMALY_RULES: readonly AnomalyRule[] = ['requestSpike', 'errorRate', 'failedAuth', 'quotaProjection'];

export interface AnomalyThresholds {
  /** A key's requests in the hour against its own mean hourly requests over the baseline window. */
  readonly requestSpike: {
    readonly enabled: boolean;
    /** Fires when requests > factor × baseline hourly mean. */
    readonly factor: number;
    /**
     * Hours before the evaluated one that make the baseline window. The mean is taken over the
     * hours since the key's first request in the window (idle hours after it count as 0).
     */
    readonly baselineHours: number;
    /** Fewer requests than this in the hour never fire. */
    readonly minRequests: number;
    /** A key with no request in the whole baseline window (new, or idle) fires only from this many. */
    readonly noBaselineMinRequests: number;
  };
  /** A key's share of responses with status >= 400 in the hour. */
  readonly errorRate: {
    readonly enabled: boolean;
    /** Fires when errors > rate × requests. */
    readonly rate: number;
    readonly minRequests: number;
  };
  /** Failed authentication (401, or 403 IP_NOT_ALLOWED) from one source IP in the hour. */
  readonly failedAuth: {
    readonly enabled: boolean;
    /** Fires when failures >= minFailures. */
    readonly minFailures: number;
  };
  /** A daily or monthly quota that the hour's rate, kept up, would run out before the window ends. */
  readonly quotaProjection: {
    readonly enabled: boolean;
    /** Keys with fewer admitted requests than this in the hour are not looked at. */
    readonly minRequests: number;
  };
}

export const DEFAULT_ANOMALY_THRESHOLDS: AnomalyThresholds = Object.freeze({
  requestSpike: Object.freeze({ enabled: true, factor: 5, baselineHours: 168, minRequests: 100, noBaselineMinRequests: 1000 }),
  errorRate: Object.freeze({ enabled: true, rate: 0.05, minRequests: 50 }),
  failedAuth: Object.freeze({ enabled: true, minFailures: 100 }),
  quotaProjection: Object.freeze({ enabled: true, minRequests: 1 }),
});

/** Setting names (cdk.json context / stage file); core/settings.ts lists them. */
export const ANOMALY_SETTINGS = {
  enabled: 'keygate:anomalyDetection',
  schedule: 'keygate:anomalySchedule',
  thresholds: 'keygate:anomalies',
} as const;

/** Environment variable carrying the thresholds (JSON) to the detection Lambda. */
export const ANOMALY_THRESHOLDS_ENV = 'KEYGATE_ANOMALY_THRESHOLDS';
/** Environment variable: minutes after an hour ends before it is evaluated (the Lambda). */
export const ANOMALY_DELAY_ENV = 'KEYGATE_ANOMALY_DELAY_MINUTES';

/**
 * Minute 15 of every hour. Firehose buffers up to 300 s (lib/usage-analytics.ts), then converts to
 * Parquet and writes to S3; 15 minutes leaves room for that and for API Gateway's own delivery.
 */
export const DEFAULT_ANOMALY_SCHEDULE = 'cron(15 * * * ? *)';
/** An hour is evaluated only once it ended at least this long before the scheduled time. */
export const DEFAULT_ANOMALY_DELAY_MINUTES = 10;

type Bounds = { min: number; max: number; integer: boolean };
const NUMBER_BOUNDS: Readonly<Record<string, Readonly<Record<string, Bounds>>>> = {
  requestSpike: {
    factor: { min: 1, max: 1000, integer: false },
    baselineHours: { min: 1, max: 24 * 31, integer: true },
    minRequests: { min: 1, max: 1e12, integer: true },
    noBaselineMinRequests: { min: 1, max: 1e12, integer: true },
  },
  errorRate: { rate: { min: 0, max: 1, integer: false }, minRequests: { min: 1, max: 1e12, integer: true } },
  failedAuth: { minFailures: { min: 1, max: 1e12, integer: true } },
  quotaProjection: { minRequests: { min: 1, max: 1e12, integer: true } },
};

/**
 * `keygate:anomalies` (a partial object over the defaults, rule by rule) → thresholds. Every error
 * names the setting path and what it must be, e.g. `keygate:anomalies.errorRate.rate must be a
 * number from 0 to 1 (got 5)`. `source` prefixes the path (a setting name or an env variable).
 */
export function parseAnomalyThresholds(raw: unknown, source: string = ANOMALY_SETTINGS.thresholds): AnomalyThresholds {
  if (raw === undefined || raw === null) return DEFAULT_ANOMALY_THRESHOLDS;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source} must be an object with any of ${ANOMALY_RULES.join(', ')}`);
  const out: Record<string, Record<string, number | boolean>> = {};
  for (const key of Object.keys(raw)) {
    if (!(ANOMALY_RULES as readonly string[]).includes(key)) {
      throw new ConfigError(`${source}.${key} is not an anomaly rule (known: ${ANOMALY_RULES.join(', ')})`);
    }
  }
  for (const rule of ANOMALY_RULES) {
    const defaults = DEFAULT_ANOMALY_THRESHOLDS[rule] as unknown as Record<string, number | boolean>;
    const given: unknown = (raw as Record<string, unknown>)[rule];
    const merged: Record<string, number | boolean> = { ...defaults };
    if (given !== undefined) {
      if (given === null || typeof given !== 'object' || Array.isArray(given)) {
        throw new ConfigError(`${source}.${rule} must be an object with any of ${Object.keys(defaults).join(', ')}`);
      }
      for (const [field, value] of Object.entries(given as Record<string, unknown>)) {
        const path = `${source}.${rule}.${field}`;
        if (field === 'enabled') {
          if (typeof value !== 'boolean') throw new ConfigError(`${path} must be true or false (got ${JSON.stringify(value)})`);
          merged.enabled = value;
          continue;
        }
        const b = NUMBER_BOUNDS[rule]?.[field];
        if (!b) throw new ConfigError(`${path} is not a setting of ${rule} (known: ${Object.keys(defaults).join(', ')})`);
        if (typeof value !== 'number' || !Number.isFinite(value) || value < b.min || value > b.max || (b.integer && !Number.isInteger(value))) {
          throw new ConfigError(`${path} must be ${b.integer ? 'an integer' : 'a number'} from ${b.min} to ${b.max} (got ${JSON.stringify(value)})`);
        }
        merged[field] = value;
      }
    }
    out[rule] = merged;
  }
  return out as unknown as AnomalyThresholds;
}

/**
 * `keygate:anomalySchedule`: an EventBridge Scheduler `cron(...)` or `rate(...)` expression (UTC).
 * Each run evaluates one hour (the last one that ended {@link DEFAULT_ANOMALY_DELAY_MINUTES} before
 * it), so a schedule slower than hourly leaves hours unevaluated.
 */
export function parseAnomalySchedule(raw: unknown, source: string = ANOMALY_SETTINGS.schedule): string {
  if (raw === undefined) return DEFAULT_ANOMALY_SCHEDULE;
  const cron = /^cron\((\S+ ){5}\S+\)$/;
  const rate = /^rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\)$/;
  if (typeof raw !== 'string' || !(cron.test(raw) || rate.test(raw))) {
    throw new ConfigError(`${source} must be an EventBridge Scheduler expression such as "cron(15 * * * ? *)" or "rate(1 hour)" (got ${JSON.stringify(raw)})`);
  }
  return raw;
}

export interface AnomalySettings {
  readonly enabled: boolean;
  readonly schedule: string;
  readonly thresholds: AnomalyThresholds;
}

/** The three anomaly settings from `keygate:*` context, validated; errors name the setting. */
export function anomalySettings(get: (key: string) => unknown): AnomalySettings {
  const enabledRaw = get(ANOMALY_SETTINGS.enabled);
  let enabled = true;
  if (enabledRaw === false || enabledRaw === 'false') enabled = false;
  else if (enabledRaw !== undefined && enabledRaw !== true && enabledRaw !== 'true') {
    throw new ConfigError(`${ANOMALY_SETTINGS.enabled} must be true or false (got ${JSON.stringify(enabledRaw)})`);
  }
  let thresholds: unknown = get(ANOMALY_SETTINGS.thresholds);
  // `-c keygate:anomalies='{...}'` arrives as text.
  if (typeof thresholds === 'string') {
    try {
      thresholds = JSON.parse(thresholds);
    } catch {
      throw new ConfigError(`${ANOMALY_SETTINGS.thresholds} must be a JSON object (got ${JSON.stringify(thresholds)})`);
    }
  }
  return { enabled, schedule: parseAnomalySchedule(get(ANOMALY_SETTINGS.schedule)), thresholds: parseAnomalyThresholds(thresholds) };
}

// --- the hour ---------------------------------------------------------------------------------

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/**
 * `dt` is Firehose's arrival day: a record of 23:59 can land in the next day's partition. The scan
 * reaches this far past the evaluated hour so those records are read (and `time` keeps them exact).
 */
const ARRIVAL_SLACK_MS = HOUR_MS;
/** Most rows a rule reports per hour (the top ones by its measure); more are logged as truncated. */
export const ANOMALY_ROW_LIMIT = 1000;
/** Days a ledger entry is kept after its hour: longer than any re-run or backfill of an hour. */
export const ANOMALY_LEDGER_DAYS = 35;

/** `YYYY-MM-DDTHH:00:00Z`, the hour format of the reports. */
export const hourLabel = (startMs: number): string => new Date(startMs).toISOString().slice(0, 13) + ':00:00Z';
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Start (epoch ms) of the last UTC hour that ended at least `delayMinutes` before `at`. */
export function lastCompleteHour(at: Date, delayMinutes = 0): number {
  return Math.floor((at.getTime() - delayMinutes * 60_000) / HOUR_MS) * HOUR_MS - HOUR_MS;
}

// --- the SQL ----------------------------------------------------------------------------------

/** Table names are deployment config spliced into SQL; the same check as core/usage-reports.ts. */
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,127}(\.[a-z_][a-z0-9_]{0,127})?$/;

export interface AnomalyQuery {
  readonly rule: AnomalyRule;
  readonly sql: string;
  readonly parameters: readonly ReportParameter[];
}

/** `dt BETWEEN ? AND ? AND "time" >= ? AND "time" < ?` for [fromMs, toMs), and its four values. */
function scan(fromMs: number, toMs: number): { where: string; parameters: ReportParameter[] } {
  return {
    where: `${USAGE_PARTITION.name} BETWEEN ? AND ? AND "time" >= ? AND "time" < ?`,
    parameters: [day(fromMs), day(toMs - 1 + ARRIVAL_SLACK_MS), fromMs, toMs],
  };
}

const KEYED = `keyId <> '${MISSING}'`;

/**
 * The SQL of each SQL rule for the hour starting at `hourStartMs` (UTC, whole hour).
 * quotaProjection's query only finds the keys with admitted traffic; the projection needs the
 * key's quota and counters, which the runner reads through the ports.
 */
export function anomalyQueries(table: string, hourStartMs: number, thresholds: AnomalyThresholds = DEFAULT_ANOMALY_THRESHOLDS): AnomalyQuery[] {
  if (!TABLE_NAME.test(table)) throw new Error(`usage table name ${JSON.stringify(table)} is not a plain identifier`);
  if (!Number.isSafeInteger(hourStartMs) || hourStartMs % HOUR_MS !== 0) throw new Error(`hour start ${hourStartMs} is not a whole UTC hour`);
  const start = hourStartMs;
  const end = hourStartMs + HOUR_MS;
  const limit = ANOMALY_ROW_LIMIT + 1;
  const out: AnomalyQuery[] = [];

  const s = thresholds.requestSpike;
  if (s.enabled) {
    // One scan over baseline + hour: the hour's count and the baseline's count per key.
    const range = scan(start - s.baselineHours * HOUR_MS, end);
    out.push({
      rule: 'requestSpike',
      sql: [
        'SELECT "keyId", "ownerId", "requests", "baselineRequests", "baselineHours" FROM (',
        `  SELECT keyId AS "keyId", MAX(NULLIF(ownerId, '${MISSING}')) AS "ownerId",`,
        '    SUM(CASE WHEN "time" >= ? THEN 1 ELSE 0 END) AS "requests",',
        '    SUM(CASE WHEN "time" < ? THEN 1 ELSE 0 END) AS "baselineRequests",',
        // Hours from the key's first request in the window to the evaluated hour, rounded up
        // (1..baselineHours), so a key younger than the window is compared with its own mean, not
        // one diluted by the hours before it existed. floor() makes Trino's integer and DuckDB's
        // float division agree.
        '    CAST(floor((? - MIN("time") + 3599999) / 3600000) AS BIGINT) AS "baselineHours"',
        `  FROM ${table}`,
        `  WHERE ${range.where} AND ${KEYED}`,
        '  GROUP BY keyId',
        ') t',
        // requests > factor × baselineRequests / baselineHours, in integers: requests × hours > factor × baseline
        'WHERE "requests" >= ? AND (("baselineRequests" = 0 AND "requests" >= ?) OR ("baselineRequests" > 0 AND "requests" * "baselineHours" > ? * "baselineRequests"))',
        'ORDER BY "requests" DESC, "keyId" ASC',
        `LIMIT ${limit}`,
      ].join('\n'),
      parameters: [start, start, start, ...range.parameters, s.minRequests, s.noBaselineMinRequests, s.factor],
    });
  }

  const e = thresholds.errorRate;
  if (e.enabled) {
    const range = scan(start, end);
    out.push({
      rule: 'errorRate',
      sql: [
        'SELECT "keyId", "ownerId", "requests", "errors", "rateLimited" FROM (',
        `  SELECT keyId AS "keyId", MAX(NULLIF(ownerId, '${MISSING}')) AS "ownerId", COUNT(*) AS "requests",`,
        '    SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS "errors",',
        "    SUM(CASE WHEN errorType = 'INVALID_API_KEY' THEN 1 ELSE 0 END) AS \"rateLimited\"",
        `  FROM ${table}`,
        `  WHERE ${range.where} AND ${KEYED}`,
        '  GROUP BY keyId',
        ') t',
        'WHERE "requests" >= ? AND "errors" > ? * "requests"',
        'ORDER BY "errors" DESC, "keyId" ASC',
        `LIMIT ${limit}`,
      ].join('\n'),
      parameters: [...range.parameters, e.minRequests, e.rate],
    });
  }

  const f = thresholds.failedAuth;
  if (f.enabled) {
    const range = scan(start, end);
    out.push({
      rule: 'failedAuth',
      sql: [
        'SELECT "sourceIp", "failures", "unauthorized", "ipNotAllowed" FROM (',
        '  SELECT sourceIp AS "sourceIp", COUNT(*) AS "failures",',
        '    SUM(CASE WHEN status = 401 THEN 1 ELSE 0 END) AS "unauthorized",',
        "    SUM(CASE WHEN decision = 'IP_NOT_ALLOWED' THEN 1 ELSE 0 END) AS \"ipNotAllowed\"",
        `  FROM ${table}`,
        // 401: no key, a malformed, unknown, revoked or expired one (the authorizer's Unauthorized);
        // IP_NOT_ALLOWED: a real key from an address it is not allowed from.
        `  WHERE ${range.where} AND sourceIp <> '${MISSING}' AND (status = 401 OR decision = 'IP_NOT_ALLOWED')`,
        '  GROUP BY sourceIp',
        ') t',
        'WHERE "failures" >= ?',
        'ORDER BY "failures" DESC, "sourceIp" ASC',
        `LIMIT ${limit}`,
      ].join('\n'),
      parameters: [...range.parameters, f.minFailures],
    });
  }

  const q = thresholds.quotaProjection;
  if (q.enabled) {
    const range = scan(start, end);
    out.push({
      rule: 'quotaProjection',
      sql: [
        'SELECT "keyId", "requests" FROM (',
        '  SELECT keyId AS "keyId", COUNT(*) AS "requests"',
        `  FROM ${table}`,
        // VALID: admitted, so counted against the key's quotas.
        `  WHERE ${range.where} AND ${KEYED} AND decision = 'VALID'`,
        '  GROUP BY keyId',
        ') t',
        'WHERE "requests" >= ?',
        'ORDER BY "requests" DESC, "keyId" ASC',
        `LIMIT ${limit}`,
      ].join('\n'),
      parameters: [...range.parameters, q.minRequests],
    });
  }
  return out;
}

// --- events -----------------------------------------------------------------------------------

export interface AnomalyEvent {
  readonly type: typeof ANOMALY_EVENT_TYPE;
  readonly rule: AnomalyRule;
  readonly keyId?: string;
  readonly ownerId?: string;
  readonly sourceIp?: string;
  /** quotaProjection only: which quota. */
  readonly quota?: 'daily' | 'monthly';
  /** The evaluated hour's start, `YYYY-MM-DDTHH:00:00Z`. */
  readonly hour: string;
  /** The numbers that triggered it. */
  readonly observed: Readonly<Record<string, number>>;
  /** The thresholds they were compared with. */
  readonly threshold: Readonly<Record<string, number>>;
  /** When detection published it. */
  readonly time: string;
  readonly [field: string]: unknown;
}

/** What the ledger keeps unique: one event per rule, subject and hour. */
export interface AnomalyClaim {
  readonly rule: AnomalyRule;
  /** keyId, sourceIp, or `<keyId>#daily` / `<keyId>#monthly` for quotaProjection. */
  readonly subject: string;
  readonly hour: string;
  /** Epoch seconds after which the store may forget the claim. */
  readonly expiresAt: number;
}

/** Port: first-claim-wins record of the anomalies already published. */
export interface AnomalyLedger {
  /** True for the first claim of (rule, subject, hour), false for every later one, from any process. */
  claim(claim: AnomalyClaim): Promise<boolean>;
  /** Gives a claim back (its event could not be published), so a later run can publish it. */
  release(claim: AnomalyClaim): Promise<void>;
}

export function anomalyClaim(event: AnomalyEvent, hourStartMs: number): AnomalyClaim {
  const subject = event.rule === 'failedAuth' ? event.sourceIp! : event.rule === 'quotaProjection' ? `${event.keyId!}#${event.quota!}` : event.keyId!;
  return { rule: event.rule, subject, hour: event.hour, expiresAt: Math.floor((hourStartMs + ANOMALY_LEDGER_DAYS * DAY_MS) / 1000) };
}

function field(row: RawRow, name: string): unknown {
  if (name in row) return row[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(row)) if (k.toLowerCase() === lower) return v;
  return undefined;
}
const text = (row: RawRow, name: string): string | undefined => {
  const v = field(row, name);
  return v === null || v === undefined || v === '' ? undefined : String(v);
};
const num = (row: RawRow, name: string): number => {
  const v = field(row, name);
  const n = typeof v === 'bigint' ? Number(v) : Number(v ?? NaN);
  return Number.isFinite(n) ? n : 0;
};
const ratio = (a: number, b: number): number => (b === 0 ? 0 : Math.round((a / b) * 10_000) / 10_000);

/** Rows of a SQL rule → its events (quotaProjection rows are candidates, not events: see quotaEvents). */
export function anomalyEvents(rule: Exclude<AnomalyRule, 'quotaProjection'>, rows: readonly RawRow[], hourStartMs: number, thresholds: AnomalyThresholds, now: Date): AnomalyEvent[] {
  const base = { type: ANOMALY_EVENT_TYPE, rule, hour: hourLabel(hourStartMs), time: now.toISOString() } as const;
  return rows.slice(0, ANOMALY_ROW_LIMIT).flatMap((row): AnomalyEvent[] => {
    if (rule === 'failedAuth') {
      const sourceIp = text(row, 'sourceIp');
      if (!sourceIp) return [];
      return [{
        ...base,
        sourceIp,
        observed: { failures: num(row, 'failures'), unauthorized: num(row, 'unauthorized'), ipNotAllowed: num(row, 'ipNotAllowed') },
        threshold: { minFailures: thresholds.failedAuth.minFailures },
      }];
    }
    const keyId = text(row, 'keyId');
    if (!keyId) return [];
    const ownerId = text(row, 'ownerId');
    const who = { keyId, ...(ownerId ? { ownerId } : {}) };
    if (rule === 'requestSpike') {
      const t = thresholds.requestSpike;
      const baselineRequests = num(row, 'baselineRequests');
      const baselineHours = baselineRequests === 0 ? 0 : num(row, 'baselineHours');
      return [{
        ...base,
        ...who,
        observed: {
          requests: num(row, 'requests'),
          baselineRequests,
          baselineHours,
          baselineHourlyMean: baselineHours === 0 ? 0 : Math.round((baselineRequests / baselineHours) * 100) / 100,
        },
        threshold: {
          factor: t.factor,
          minRequests: baselineRequests === 0 ? Math.max(t.minRequests, t.noBaselineMinRequests) : t.minRequests,
          baselineWindowHours: t.baselineHours,
        },
      }];
    }
    const requests = num(row, 'requests');
    const errors = num(row, 'errors');
    return [{
      ...base,
      ...who,
      observed: { requests, errors, errorRate: ratio(errors, requests), rateLimited: num(row, 'rateLimited') },
      threshold: { errorRate: thresholds.errorRate.rate, minRequests: thresholds.errorRate.minRequests },
    }];
  });
}

/**
 * The quota projection for one key: `used + hourlyRate × hoursLeft > limit` while `used < limit`
 * (once exhausted the authorizer already refuses, and QUOTA_EXCEEDED is in the reports).
 * `hourlyRate` is the key's admitted requests in the evaluated hour; `used` and the window end
 * come from the live counters at `now`.
 */
export function projectQuota(input: { used: number; limit: number; resetAtMs: number; hourlyRate: number; now: Date }): { projected: number; hoursLeft: number } | undefined {
  const hoursLeft = Math.max(0, (input.resetAtMs - input.now.getTime()) / HOUR_MS);
  const projected = Math.round(input.used + input.hourlyRate * hoursLeft);
  if (input.used >= input.limit || projected <= input.limit) return undefined;
  return { projected, hoursLeft: Math.round(hoursLeft * 100) / 100 };
}

// --- the runner -------------------------------------------------------------------------------

/** A query the engine did not finish within its wait (Athena): retry the run. */
export class AnomalyQueryError extends DependencyError {}

export interface DetectAnomaliesOptions {
  readonly engine: UsageQueryEngine;
  /** The usage table (the Glue table deployed, the DuckDB view locally). */
  readonly table: string;
  readonly ledger: AnomalyLedger;
  readonly keys: Pick<KeyRepository, 'getById'>;
  readonly counters: Pick<CounterStore, 'peek'>;
  readonly events: EventSink;
  readonly clock: Clock;
  /** @default DEFAULT_ANOMALY_THRESHOLDS */
  readonly thresholds?: AnomalyThresholds;
  readonly logger?: Logger;
  /** Start (epoch ms) of the hour to evaluate. @default the last complete UTC hour before clock.now() */
  readonly hourStartMs?: number;
  /** Key lookups in flight at once for quotaProjection. @default 8 */
  readonly concurrency?: number;
}

export interface DetectionFailure {
  readonly rule: AnomalyRule;
  readonly subject?: string;
  readonly message: string;
  readonly retryable: boolean;
}

export interface DetectionResult {
  readonly hour: string;
  /** Events published by this run, in rule order. */
  readonly published: readonly AnomalyEvent[];
  /** Anomalies found again that an earlier (or concurrent) run had already published. */
  readonly alreadyPublished: number;
  /** Rules or events that failed; a run with failures should be retried (the ledger makes that safe). */
  readonly failed: readonly DetectionFailure[];
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function rows(engine: UsageQueryEngine, query: AnomalyQuery): Promise<readonly RawRow[]> {
  const result = await engine.run(query.sql, query.parameters);
  if ('pending' in result) throw new AnomalyQueryError(`the ${query.rule} query ${result.pending} did not finish in time`, true);
  return result.rows;
}

async function quotaEvents(candidates: readonly RawRow[], hourStartMs: number, o: DetectAnomaliesOptions, now: Date): Promise<AnomalyEvent[]> {
  const found = await mapLimited(candidates.slice(0, ANOMALY_ROW_LIMIT), o.concurrency ?? 8, async (row): Promise<AnomalyEvent[]> => {
    const keyId = text(row, 'keyId');
    if (!keyId) return [];
    const record = await o.keys.getById(keyId);
    if (!record?.quota || record.status === 'revoked') return [];
    if (record.quota.daily === undefined && record.quota.monthly === undefined) return [];
    // Only the quota matters here: a plan without the rate limit peeks only the quota windows.
    // A rotated key's quota is counted on its lineage's item, shared with the key it replaced.
    const limits = await o.counters.peek(counterIdOf({ keyId, lineage: record.lineage }), { quota: record.quota }, now);
    const hourlyRate = num(row, 'requests');
    const out: AnomalyEvent[] = [];
    for (const window of ['daily', 'monthly'] as const) {
      const status = limits[window];
      if (!status) continue;
      const p = projectQuota({ used: status.used, limit: status.limit, resetAtMs: status.resetAt * 1000, hourlyRate, now });
      if (!p) continue;
      out.push({
        type: ANOMALY_EVENT_TYPE,
        rule: 'quotaProjection',
        keyId,
        ownerId: record.ownerId,
        quota: window,
        hour: hourLabel(hourStartMs),
        observed: { hourlyRequests: hourlyRate, used: status.used, projected: p.projected, hoursLeft: p.hoursLeft },
        threshold: { limit: status.limit },
        time: now.toISOString(),
      });
    }
    return out;
  });
  return found.flat();
}

const failure = (rule: AnomalyRule, err: unknown, subject?: string): DetectionFailure => ({
  rule,
  ...(subject ? { subject } : {}),
  message: err instanceof Error ? err.message : String(err),
  retryable: (err as { retryable?: unknown }).retryable !== false,
});

/**
 * Runs every enabled rule over one hour and publishes what they find, each anomaly at most once
 * per (rule, subject, hour) across runs: the ledger is claimed first, the event published next,
 * and a claim whose publish failed is released so a retry publishes it. A rule that fails is
 * reported in `failed` and the others still run. Rules run one after another (one DuckDB
 * connection locally; a handful of small Athena queries deployed).
 */
export async function detectAnomalies(o: DetectAnomaliesOptions): Promise<DetectionResult> {
  const thresholds = o.thresholds ?? DEFAULT_ANOMALY_THRESHOLDS;
  const now = o.clock.now();
  const hourStartMs = o.hourStartMs ?? lastCompleteHour(now);
  const published: AnomalyEvent[] = [];
  const failed: DetectionFailure[] = [];
  let alreadyPublished = 0;

  for (const query of anomalyQueries(o.table, hourStartMs, thresholds)) {
    let found: AnomalyEvent[];
    try {
      const result = await rows(o.engine, query);
      if (result.length > ANOMALY_ROW_LIMIT) o.logger?.log('warn', 'anomaly rule truncated', { rule: query.rule, hour: hourLabel(hourStartMs), limit: ANOMALY_ROW_LIMIT });
      found = query.rule === 'quotaProjection' ? await quotaEvents(result, hourStartMs, o, now) : anomalyEvents(query.rule, result, hourStartMs, thresholds, now);
    } catch (err) {
      o.logger?.log('error', 'anomaly rule failed', { rule: query.rule, hour: hourLabel(hourStartMs), error: err });
      failed.push(failure(query.rule, err));
      continue;
    }
    for (const event of found) {
      const claim = anomalyClaim(event, hourStartMs);
      try {
        if (!(await o.ledger.claim(claim))) {
          alreadyPublished++;
          continue;
        }
      } catch (err) {
        o.logger?.log('error', 'anomaly ledger claim failed', { rule: claim.rule, subject: claim.subject, hour: claim.hour, error: err });
        failed.push(failure(claim.rule, err, claim.subject));
        continue;
      }
      try {
        await o.events.publish(event);
        published.push(event);
      } catch (err) {
        o.logger?.log('error', 'anomaly event publish failed', { rule: claim.rule, subject: claim.subject, hour: claim.hour, error: err });
        failed.push(failure(claim.rule, err, claim.subject));
        await o.ledger.release(claim).catch((releaseError: unknown) =>
          o.logger?.log('error', 'anomaly ledger release failed: this anomaly will not be published', { rule: claim.rule, subject: claim.subject, hour: claim.hour, error: releaseError }),
        );
      }
    }
  }
  o.logger?.log('info', 'anomaly detection done', { hour: hourLabel(hourStartMs), published: published.length, alreadyPublished, failed: failed.length });
  return { hour: hourLabel(hourStartMs), published, alreadyPublished, failed };
}
