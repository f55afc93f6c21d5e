/**
 * Side effects of an admitted request that must never delay the decision: the key's
 * lastUsedAt, and quota warnings. They run beside the decision and are tracked in a
 * BackgroundWork that the handler flushes, with a bound, before it returns. Failures are
 * logged, never raised; each is attempted once (at most once, never twice).
 */
import type { BackgroundWork } from './background';
import type { LimitPlan, LimitResult } from './limits';
import { LruCache } from './lru-cache';
import type { EventSink, KeyRepository, Logger } from './ports';

/** Writes lastUsedAt at most once per key per interval per container. */
export class LastUsedTracker {
  private readonly recent: LruCache<true>;

  constructor(
    private readonly repo: Pick<KeyRepository, 'touchLastUsed'>,
    private readonly logger?: Logger,
    private readonly background?: BackgroundWork,
    private readonly intervalMs = 60_000,
    maxKeys = 10_000,
  ) {
    this.recent = new LruCache<true>(maxKeys);
  }

  /** Returns at once; the write (if due) happens in the background. */
  note(keyId: string, now: Date): void {
    const ms = now.getTime();
    if (this.recent.get(keyId, ms)) return;
    this.recent.set(keyId, true, ms + this.intervalMs);
    const write = this.repo.touchLastUsed(keyId, now.toISOString()).catch((error: unknown) => this.logger?.log('warn', 'lastUsedAt update failed', { keyId, error }));
    this.background?.track(write);
  }
}

export type QuotaWarningEvent = {
  readonly type: 'keygate.quota.warning';
  readonly keyId: string;
  readonly ownerId: string;
  readonly quota: 'daily' | 'monthly';
  readonly limit: number;
  readonly used: number;
  readonly threshold: number;
  /** ISO time the quota window resets. */
  readonly resetsAt: string;
  readonly time: string;
};

/**
 * Warnings this admitted request triggers. Counts are exact and move one at a time, so
 * exactly one request per key per window reaches the threshold count — one event per
 * window with no bookkeeping, across any number of containers.
 */
export function quotaWarnings(
  key: { keyId: string; ownerId: string },
  plan: LimitPlan,
  limits: LimitResult,
  threshold: number,
  now: Date,
  cost = 1,
): QuotaWarningEvent[] {
  const out: QuotaWarningEvent[] = [];
  for (const quota of ['daily', 'monthly'] as const) {
    const s = limits[quota];
    const limit = plan.quota?.[quota];
    if (!s || limit === undefined || !limits.admitted) continue;
    const at = Math.max(1, Math.ceil(threshold * limit));
    // The request that carried the count across the threshold (by `cost` units at once).
    if (s.used >= at && s.used - cost < at) {
      out.push({
        type: 'keygate.quota.warning',
        keyId: key.keyId,
        ownerId: key.ownerId,
        quota,
        limit,
        used: s.used,
        threshold,
        resetsAt: new Date(s.resetAt * 1000).toISOString(),
        time: now.toISOString(),
      });
    }
  }
  return out;
}

/** Publishes in the background (tracked when `background` is given); a failure is logged, never raised. */
export function publishInBackground(sink: EventSink, events: readonly QuotaWarningEvent[], logger?: Logger, background?: BackgroundWork): void {
  for (const e of events) {
    const sent = sink.publish(e).catch((error: unknown) => logger?.log('warn', 'event publish failed', { type: e.type, keyId: e.keyId, error }));
    background?.track(sent);
  }
}
