/**
 * Key verification with a per-container cache: extract → checksum → cache → one read by
 * hash → decide → (if valid) one conditional counter write for all of the key's limits. Used by the authorizer (and by the local stack through the authorizer).
 *
 * Cache semantics: a found record is trusted for `cacheTtlSeconds` (the maximum lag
 * before a revocation or change takes effect in this container); an unknown hash is
 * remembered for `negativeCacheTtlSeconds`. Expiry is re-evaluated on every request
 * against the cached record, so expiry is exact even from the cache. Cache fills are
 * single-flight: concurrent misses for one hash share one read (and its failure).
 */
import { BackgroundWork } from './background';
import type { KeygateConfig } from './config';
import { decide, type VerificationOutcome } from './decision';
import { hashKey, parseKey } from './key-format';
import { LruCache } from './lru-cache';
import { RefusalCache } from './refusal-cache';
import { effectivePlan, planIsEmpty } from './limits';
import { type MetricService, type MetricsRecorder, noMetrics } from './metrics';
import type { Clock, CounterStore, EventSink, KeyRepository, Logger } from './ports';
import { type LastUsedTracker, publishInBackground, quotaWarnings } from './usage-signals';
import { type AuthzRecord, counterIdOf } from './records';

export interface KeySources {
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly query?: Readonly<Record<string, string | undefined>> | null;
}

/**
 * The presented key, from `Authorization: Bearer`, then `X-API-Key`, then (only when
 * enabled) the `api_key` query parameter. Header names are case-insensitive.
 */
export function extractKey(sources: KeySources, allowQueryKey: boolean): string | undefined {
  let authorization: string | undefined;
  let apiKey: string | undefined;
  for (const [name, value] of Object.entries(sources.headers ?? {})) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower === 'authorization') authorization = value;
    else if (lower === 'x-api-key') apiKey = value;
  }
  if (authorization !== undefined) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (m) return m[1];
  }
  if (apiKey !== undefined && apiKey.trim() !== '') return apiKey.trim();
  if (allowQueryKey) {
    const q = sources.query?.api_key;
    if (q !== undefined && q !== '') return q;
  }
  return undefined;
}

/**
 * A key from another system (`keygate:legacyKeys`, docs/migration.md): 20-256 printable ASCII
 * characters without spaces. API Gateway usage-plan keys (40 characters) fit.
 */
const LEGACY_KEY_PATTERN = /^[\x21-\x7e]{20,256}$/;

export type PresentedKeyKind = 'keygate' | 'legacy' | 'malformed';

/**
 * What a presented (or imported) key is. A key in this deployment's own `<prefix>_live_` /
 * `<prefix>_test_` shape must be well-formed (a typo is still rejected before any lookup, even
 * with legacy keys on); anything else of the legacy shape is `legacy` (looked up only when
 * `keygate:legacyKeys` is on). Import classifies keys with the same function.
 */
export function classifyPresentedKey(key: string, keyPrefix: string): PresentedKeyKind {
  if (parseKey(key, keyPrefix).ok) return 'keygate';
  if (key.startsWith(`${keyPrefix}_live_`) || key.startsWith(`${keyPrefix}_test_`)) return 'malformed';
  return LEGACY_KEY_PATTERN.test(key) ? 'legacy' : 'malformed';
}

export interface VerifyRequest {
  readonly key: string | undefined;
  readonly requiredScopes: readonly string[];
  readonly sourceIp: string | undefined;
  /** Units this request costs against the key's limits (the route's `cost`). @default 1 */
  readonly cost?: number;
}

type CacheEntry = { readonly record: AuthzRecord | undefined };

export class KeyVerifier {
  private readonly cache: LruCache<CacheEntry>;

  constructor(
    private readonly repo: Pick<KeyRepository, 'getAuthzByHash'>,
    private readonly config: Pick<KeygateConfig, 'keyPrefix' | 'cacheTtlSeconds' | 'negativeCacheTtlSeconds' | 'cacheMaxEntries'> &
      Partial<Pick<KeygateConfig, 'defaultRateLimit' | 'legacyKeys'>>,
    private readonly clock: Clock,
    /** Absent = limits are not enforced (only where no counter table exists). */
    private readonly counters?: CounterStore,
    /** Off-critical-path effects of admitted requests, tracked in `background`. */
    private readonly signals: {
      lastUsed?: LastUsedTracker;
      events?: EventSink;
      quotaWarningThreshold?: number;
      logger?: Logger;
      background?: BackgroundWork;
      /** Cache hits and misses and store latency (core/metrics.ts). */
      metrics?: MetricsRecorder;
      /** The `Service` dimension they are recorded under. @default 'authorizer' */
      metricsService?: MetricService;
      /** Free refusals (core/refusal-cache.ts). @default a cache of `cacheMaxEntries` entries; null = off */
      refusals?: RefusalCache | null;
    } = {},
  ) {
    this.cache = new LruCache<CacheEntry>(config.cacheMaxEntries);
    this.refusals = signals.refusals === undefined ? new RefusalCache(config.cacheMaxEntries) : (signals.refusals ?? undefined);
    this.background = signals.background ?? new BackgroundWork();
    this.metrics = signals.metrics ?? noMetrics;
    const Service = signals.metricsService ?? 'authorizer';
    this.dims = { service: { Service }, keyRead: { Service, Store: 'keys' }, counterWrite: { Service, Store: 'counters' } };
  }

  private readonly metrics: MetricsRecorder;
  /** Built once: recording on the hot path allocates nothing but the series' first entry. */
  private readonly dims: {
    readonly service: { readonly Service: MetricService };
    readonly keyRead: { readonly Service: MetricService; readonly Store: 'keys' };
    readonly counterWrite: { readonly Service: MetricService; readonly Store: 'counters' };
  };

  private readonly inflight = new Map<string, Promise<CacheEntry>>();
  /** Refusals this container answers without a write until they could end. */
  readonly refusals: RefusalCache | undefined;

  /**
   * Forgets what this container holds about a key whose record changed through it (limits,
   * scopes, status): its cached record and any cached refusal on its counters, so the change
   * applies to this container's next request instead of after cacheTtlSeconds.
   */
  forget(key: { readonly hash: string; readonly counterId: string }): void {
    this.cache.delete(key.hash);
    this.refusals?.forget(key.counterId);
  }
  private readonly background: BackgroundWork;

  /** True while side effects started by earlier verifications are still running. */
  get hasPendingWork(): boolean {
    return this.background.size > 0;
  }

  /** Waits (at most `boundMs`) for side effects started by earlier verifications. */
  flush(boundMs?: number): Promise<boolean> {
    return this.background.flush(boundMs);
  }

  /** One read per hash at a time: a miss joins a read already in flight for the same hash. */
  private load(hash: string, nowMs: number): Promise<CacheEntry> {
    const joined = this.inflight.get(hash);
    if (joined) return joined;
    const started = performance.now();
    const read = this.repo
      .getAuthzByHash(hash)
      .then((record) => {
        const entry = { record };
        const ttl = record ? this.config.cacheTtlSeconds : this.config.negativeCacheTtlSeconds;
        if (ttl > 0) this.cache.set(hash, entry, nowMs + ttl * 1000);
        return entry;
      })
      .finally(() => {
        // Failed reads too: a timeout is the latency worth seeing.
        this.metrics.timing('StoreLatency', this.dims.keyRead, performance.now() - started);
        this.inflight.delete(hash);
      });
    this.inflight.set(hash, read);
    return read;
  }

  async verify(req: VerifyRequest): Promise<VerificationOutcome> {
    if (req.key === undefined) return { code: 'MISSING' };
    // The Keygate-format check stays the first test; only a key failing it pays for the legacy one.
    if (!parseKey(req.key, this.config.keyPrefix).ok && !(this.config.legacyKeys === true && classifyPresentedKey(req.key, this.config.keyPrefix) === 'legacy')) {
      return { code: 'MALFORMED' };
    }
    const hash = hashKey(req.key);
    const now = this.clock.now();
    const nowMs = now.getTime();
    let entry = this.cache.get(hash, nowMs);
    if (entry) this.metrics.count('CacheHits', this.dims.service);
    else {
      this.metrics.count('CacheMisses', this.dims.service);
      entry = await this.load(hash, nowMs);
    }
    const outcome = decide({ record: entry.record, now, requiredScopes: req.requiredScopes, sourceIp: req.sourceIp });
    // Limits come last: a request refused for any other reason never moves a counter.
    if (outcome.code !== 'VALID') return outcome;
    const plan = effectivePlan(outcome.key, this.config.defaultRateLimit);
    if (!this.counters || planIsEmpty(plan)) {
      this.signals.lastUsed?.note(outcome.key.keyId, now);
      return outcome;
    }
    const cost = req.cost ?? 1;
    const counterId = counterIdOf(outcome.key);
    let limits = this.refusals?.check(counterId, plan, cost, nowMs);
    if (!limits) {
      const started = performance.now();
      try {
        limits = await this.counters.consume(counterId, plan, now, cost);
      } finally {
        this.metrics.timing('StoreLatency', this.dims.counterWrite, performance.now() - started);
      }
      if (!limits.admitted) this.refusals?.remember(counterId, plan, cost, limits, nowMs);
    }
    if (limits.admitted) {
      this.signals.lastUsed?.note(outcome.key.keyId, now);
      if (this.signals.events && plan.quota) {
        const warnings = quotaWarnings(outcome.key, plan, limits, this.signals.quotaWarningThreshold ?? 0.8, now, cost);
        publishInBackground(this.signals.events, warnings, this.signals.logger, this.background);
      }
      return { code: 'VALID', key: outcome.key, limits };
    }
    return { code: limits.blocking === 'rate' ? 'RATE_LIMITED' : 'QUOTA_EXCEEDED', keyId: outcome.key.keyId, key: outcome.key, limits };
  }
}
