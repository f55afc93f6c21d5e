/**
 * Expiry notifications: which event a key with an expiry is due, and the scan that publishes it.
 *
 * A key gets `keygate.key.expiring` once per threshold (default 14, 7 and 1 days before
 * `expiresAt`) and `keygate.key.expired` once when `expiresAt` passes (a rotated key's grace end
 * included: rotation sets `expiresAt` to it). Only the NEAREST crossed threshold is ever due, so a
 * key first seen past several (created to expire in 2 days) gets the 7-day event only, and later
 * thresholds still fire when reached.
 *
 * Exactly once, per key and expiry, is one ledger item holding the lowest stage sent so far
 * (a threshold in days, 0 for `expired`). A claim is a conditional write that succeeds only if no
 * stage is recorded, a higher one is, or the same one was claimed by a run that never confirmed it
 * and whose lease has run out. Stages only go down, so two runs never send the same stage, a
 * late run never sends an `expiring` after `expired`, and an expiry that changes (an update, a
 * rotation's grace end) is a new item with warnings of its own.
 *
 * The core computes (the plan, which claims to try), the ledger adapter executes (a batched read,
 * conditional writes), the core interprets (claimed or not). docs/operations.md, "Expiry
 * notifications", has the failure cases.
 */
import { randomUUID } from 'node:crypto';
import { type AuditEntry, auditEventType, newAuditId, sealEntry } from './audit';
import { ConfigError } from './config';
import type { AuditStore, Clock, EventSink, Logger } from './ports';
import type { SealedKeyRecord } from './records';
import { parseAnomalySchedule } from './usage-anomalies';

export const KEY_EXPIRING_EVENT = 'keygate.key.expiring';
export const KEY_EXPIRED_EVENT = 'keygate.key.expired';

/** Setting names (cdk.json context / stage file); core/settings.ts lists them. */
export const EXPIRY_SETTINGS = {
  enabled: 'keygate:expiryNotifications',
  schedule: 'keygate:expirySchedule',
  thresholds: 'keygate:expiryThresholdsDays',
} as const;

/** Environment variable carrying the thresholds (JSON array of days) to the scan Lambda. */
export const EXPIRY_THRESHOLDS_ENV = 'KEYGATE_EXPIRY_THRESHOLDS_DAYS';
/** The audit retention (`keygate:auditRetentionDays`) for the notification entries; the name core/config.ts gives it. */
export const EXPIRY_AUDIT_RETENTION_ENV = 'KEYGATE_AUDIT_RETENTION_DAYS';

export const DEFAULT_EXPIRY_THRESHOLDS_DAYS: readonly number[] = Object.freeze([14, 7, 1]);
/** Hourly: an event goes out within an hour of its threshold. */
export const DEFAULT_EXPIRY_SCHEDULE = 'rate(1 hour)';
/**
 * How far back the scan reads keys that already expired: a key that expired while the scan was
 * down (or between runs) still gets `expired` if the scan is back within this. Keys stay in the
 * index after they expire (they are stored-active until revoked), so this also bounds the read.
 */
export const DEFAULT_EXPIRY_LOOKBACK_MS = 7 * 86_400_000;
/**
 * A claim not confirmed within this is taken to be from a run that died, and a later run may send
 * it again. Longer than a Lambda can run (15 minutes), so a live run is never overtaken.
 */
export const DEFAULT_EXPIRY_LEASE_MS = 20 * 60_000;
/** Days a ledger item outlives the expiry it is about (then DynamoDB TTL deletes it). */
export const EXPIRY_LEDGER_DAYS = 35;
/** Most events in one PutEvents call (EventBridge's limit). */
export const EXPIRY_PUBLISH_BATCH = 10;
const MAX_THRESHOLD_DAYS = 365;
const MAX_THRESHOLDS = 10;
const DAY_MS = 86_400_000;

// --- settings ---------------------------------------------------------------------------------

/**
 * `keygate:expiryThresholdsDays`: whole days before `expiresAt`, 1 to 365, at most 10, e.g.
 * `[30, 14, 7, 1]`. Returned distinct and largest first; `[]` means `expired` events only.
 */
export function parseExpiryThresholds(raw: unknown, source: string = EXPIRY_SETTINGS.thresholds): readonly number[] {
  if (raw === undefined || raw === null) return DEFAULT_EXPIRY_THRESHOLDS_DAYS;
  let value = raw;
  // `-c keygate:expiryThresholdsDays='[14,7,1]'` arrives as text.
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new ConfigError(`${source} must be a JSON array of whole days such as [14, 7, 1] (got ${JSON.stringify(raw)})`);
    }
  }
  if (!Array.isArray(value) || value.length > MAX_THRESHOLDS) {
    throw new ConfigError(`${source} must be an array of at most ${MAX_THRESHOLDS} whole days such as [14, 7, 1] (got ${JSON.stringify(raw)})`);
  }
  for (const d of value) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > MAX_THRESHOLD_DAYS) {
      throw new ConfigError(`${source} must hold whole days from 1 to ${MAX_THRESHOLD_DAYS} (got ${JSON.stringify(d)})`);
    }
  }
  return Object.freeze([...new Set(value as number[])].sort((a, b) => b - a));
}

/** `keygate:expirySchedule`: an EventBridge Scheduler `rate(...)` or `cron(...)` expression (UTC). */
export function parseExpirySchedule(raw: unknown, source: string = EXPIRY_SETTINGS.schedule): string {
  return raw === undefined ? DEFAULT_EXPIRY_SCHEDULE : parseAnomalySchedule(raw, source);
}

export interface ExpirySettings {
  readonly enabled: boolean;
  readonly schedule: string;
  readonly thresholdsDays: readonly number[];
}

/** The three expiry settings from `keygate:*` context, validated; errors name the setting. */
export function expirySettings(get: (key: string) => unknown): ExpirySettings {
  const raw = get(EXPIRY_SETTINGS.enabled);
  let enabled = true;
  if (raw === false || raw === 'false') enabled = false;
  else if (raw !== undefined && raw !== true && raw !== 'true') throw new ConfigError(`${EXPIRY_SETTINGS.enabled} must be true or false (got ${JSON.stringify(raw)})`);
  return { enabled, schedule: parseExpirySchedule(get(EXPIRY_SETTINGS.schedule)), thresholdsDays: parseExpiryThresholds(get(EXPIRY_SETTINGS.thresholds)) };
}

// --- planning -----------------------------------------------------------------------------------

/** What the scan reads of a key: nothing sealed, nothing secret. */
export type ExpiringKey = Pick<SealedKeyRecord, 'id' | 'ownerId' | 'name' | 'status' | 'expiresAt'>;

export interface ExpiryEvent {
  readonly type: typeof KEY_EXPIRING_EVENT | typeof KEY_EXPIRED_EVENT;
  readonly keyId: string;
  readonly ownerId: string;
  readonly name: string;
  /** Days before `expiresAt` of the threshold crossed; null for `expired`. */
  readonly threshold: number | null;
  readonly expiresAt: string;
  readonly [field: string]: unknown;
}

/** The ledger's identity of a notice: one item per key and expiry, its stage going down. */
export interface ExpiryMarker {
  readonly keyId: string;
  readonly expiresAt: string;
  /** Threshold days, or 0 for `expired`. */
  readonly stage: number;
}

export interface ExpiryNotice {
  readonly marker: ExpiryMarker;
  readonly event: ExpiryEvent;
}

/** The stage recorded for a key and expiry, as the ledger read it. */
export interface LedgerState {
  readonly stage: number;
  readonly state: 'pending' | 'sent';
  /** Epoch ms after which a pending claim may be taken over. */
  readonly leaseUntil: number;
}

/** The scan's window of `expiresAt`: [now - lookback, now + largest threshold]. */
export function expiryWindow(now: Date, thresholdsDays: readonly number[], lookbackMs = DEFAULT_EXPIRY_LOOKBACK_MS): { from: Date; to: Date } {
  const ahead = Math.max(0, ...thresholdsDays) * DAY_MS;
  // +1 ms: a key expiring exactly `ahead` from now has crossed its largest threshold.
  return { from: new Date(now.getTime() - lookbackMs), to: new Date(now.getTime() + ahead + 1) };
}

/**
 * The one notice due for a key now, or none: `expired` once `now >= expiresAt`, otherwise the
 * nearest threshold crossed (`now >= expiresAt - days`). Revoked keys and keys without an expiry
 * get none.
 */
export function planExpiryNotice(key: ExpiringKey, now: Date, thresholdsDays: readonly number[] = DEFAULT_EXPIRY_THRESHOLDS_DAYS): ExpiryNotice | undefined {
  if (key.status !== 'active' || key.expiresAt === undefined) return undefined;
  const expiresAtMs = Date.parse(key.expiresAt);
  if (Number.isNaN(expiresAtMs)) return undefined;
  const t = now.getTime();
  let stage: number;
  if (t >= expiresAtMs) stage = 0;
  else {
    const crossed = thresholdsDays.filter((d) => t >= expiresAtMs - d * DAY_MS);
    if (crossed.length === 0) return undefined;
    stage = Math.min(...crossed);
  }
  return {
    marker: { keyId: key.id, expiresAt: key.expiresAt, stage },
    event: {
      type: stage === 0 ? KEY_EXPIRED_EVENT : KEY_EXPIRING_EVENT,
      keyId: key.id,
      ownerId: key.ownerId,
      name: key.name,
      threshold: stage === 0 ? null : stage,
      expiresAt: key.expiresAt,
    },
  };
}

/**
 * Whether a notice may still be claimed given what the ledger holds: nothing yet, a higher stage
 * (an earlier threshold), or this stage claimed by a run whose lease ran out without confirming.
 * The conditional write repeats the test, so a race between runs is settled by the store.
 */
export function needsClaim(marker: ExpiryMarker, held: LedgerState | undefined, now: Date): boolean {
  if (!held) return true;
  if (held.stage > marker.stage) return true;
  return held.stage === marker.stage && held.state === 'pending' && held.leaseUntil < now.getTime();
}

/** Epoch seconds after which the ledger may forget a key and expiry. */
export const ledgerExpiry = (marker: Pick<ExpiryMarker, 'expiresAt'>): number => Math.floor((Date.parse(marker.expiresAt) + EXPIRY_LEDGER_DAYS * DAY_MS) / 1000);

// --- ports ------------------------------------------------------------------------------------

/** Reads the expiry index in pages, in `expiresAt` order. */
export interface ExpiryIndex {
  /**
   * Keys whose `expiresAt` is in [from, to), strictly after the position `after`, at most `limit`.
   * `next` is the position of the last key returned when more may follow.
   */
  pageExpiring(from: Date, to: Date, options: { readonly after?: string; readonly limit: number }): Promise<{ readonly items: readonly ExpiringKey[]; readonly next?: string }>;
}

/** A claim: the marker and the token that proves which run holds it. */
export interface ExpiryClaim extends ExpiryMarker {
  readonly token: string;
  /** Epoch ms: another run may take this claim over after it. */
  readonly leaseUntil: number;
}

/** Port: the stages already sent (or being sent), one item per key and expiry. */
export interface ExpiryLedger {
  /** What is recorded for each marker's key and expiry (absent: nothing). */
  read(markers: readonly ExpiryMarker[]): Promise<ReadonlyMap<string, LedgerState>>;
  /** Records the claim if `needsClaim` holds in the store; false when another run got there first. */
  claim(claim: ExpiryClaim, now: Date): Promise<boolean>;
  /** The claimed stage was published. */
  confirm(claim: ExpiryClaim): Promise<void>;
  /** The publish failed: the next run may claim the stage at once. */
  release(claim: ExpiryClaim): Promise<void>;
}

/** Map key of `ExpiryLedger.read`'s answer. */
export const markerKey = (m: Pick<ExpiryMarker, 'keyId' | 'expiresAt'>): string => `${m.keyId}#${m.expiresAt}`;

/** An EventSink that can put several events in one call; one result per event (undefined = sent). */
export interface BatchEventSink extends EventSink {
  publishBatch(events: readonly { readonly type: string; readonly [field: string]: unknown }[]): Promise<readonly (Error | undefined)[]>;
}

const hasBatch = (sink: EventSink): sink is BatchEventSink => typeof (sink as Partial<BatchEventSink>).publishBatch === 'function';

type AnyEvent = { readonly type: string; readonly [field: string]: unknown };

async function publishAll(sink: EventSink, events: readonly AnyEvent[]): Promise<(Error | undefined)[]> {
  if (hasBatch(sink)) {
    try {
      return [...(await sink.publishBatch(events))];
    } catch (err) {
      return events.map(() => (err instanceof Error ? err : new Error(String(err))));
    }
  }
  const out: (Error | undefined)[] = [];
  for (const e of events) {
    try {
      await sink.publish(e);
      out.push(undefined);
    } catch (err) {
      out.push(err instanceof Error ? err : new Error(String(err)));
    }
  }
  return out;
}

// --- audit ------------------------------------------------------------------------------------

/** The unchained audit entry of a notification: who was told what (actor: the service). */
export function notificationEntry(event: ExpiryEvent, at: Date, retentionDays: number): AuditEntry {
  return sealEntry({
    id: newAuditId(at.getTime()),
    at: at.toISOString(),
    action: event.type === KEY_EXPIRED_EVENT ? 'key.expired_notified' : 'key.expiring_notified',
    outcome: 'success',
    actor: { type: 'system' },
    target: { keyId: event.keyId, ownerId: event.ownerId },
    request: {},
    changes: [{ field: 'notification', after: { type: event.type, threshold: event.threshold, expiresAt: event.expiresAt } }],
    expiresAt: Math.floor(at.getTime() / 1000) + retentionDays * 86_400,
  });
}

// --- the scan ---------------------------------------------------------------------------------

export interface ExpiryScanOptions {
  readonly index: ExpiryIndex;
  readonly ledger: ExpiryLedger;
  readonly events: EventSink;
  readonly clock: Clock;
  /** @default DEFAULT_EXPIRY_THRESHOLDS_DAYS */
  readonly thresholdsDays?: readonly number[];
  /** Audit entries (one per event sent); absent: none. */
  readonly audit?: { readonly store: AuditStore; readonly retentionDays: number };
  /** Also publish each audit entry as `keygate.audit.<action>`, as the key service does. @default true when audit is set */
  readonly publishAuditEvents?: boolean;
  readonly logger?: Logger;
  /** @default DEFAULT_EXPIRY_LOOKBACK_MS */
  readonly lookbackMs?: number;
  /** @default DEFAULT_EXPIRY_LEASE_MS */
  readonly leaseMs?: number;
  /** Keys read per index page. @default 100 */
  readonly pageSize?: number;
  /** Resume after this index position (a previous run's `continueAfter`). */
  readonly after?: string;
  /** Checked before each page: false stops the run with a continuation. @default always true */
  readonly hasTime?: () => boolean;
  /** Claim tokens; tests may fix them. @default random */
  readonly token?: () => string;
}

export interface ExpiryScanResult {
  /** Events published by this run. */
  readonly published: readonly ExpiryEvent[];
  /** Notices due that an earlier or concurrent run had already sent (or is sending). */
  readonly alreadySent: number;
  /** Keys read from the index. */
  readonly scanned: number;
  /** Notices that failed (claim, publish or confirm); a later run retries those it can. */
  readonly failed: readonly { readonly keyId: string; readonly stage: number; readonly message: string }[];
  /** Set when the run stopped for time: the index position to resume after. */
  readonly continueAfter?: string;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Reads the expiry index over the window, and for every key with a notice due claims it, publishes
 * the claimed ones (batches of {@link EXPIRY_PUBLISH_BATCH}), confirms them and audits them.
 *
 * Order: claim → publish → confirm. Overlapping runs never send twice (the claim decides). A run
 * that dies after claiming and before publishing loses nothing: its claims are taken over once
 * their lease runs out. A run that dies after PutEvents returned and before the confirm write
 * sends those events again after the lease: at least once, with that one narrow window for a
 * duplicate, rather than at most once with a window for a lost warning.
 */
export async function scanExpiring(o: ExpiryScanOptions): Promise<ExpiryScanResult> {
  const thresholds = o.thresholdsDays ?? DEFAULT_EXPIRY_THRESHOLDS_DAYS;
  const now = o.clock.now();
  const { from, to } = expiryWindow(now, thresholds, o.lookbackMs);
  const leaseMs = o.leaseMs ?? DEFAULT_EXPIRY_LEASE_MS;
  const token = o.token ?? randomUUID;
  const published: ExpiryEvent[] = [];
  const failed: { keyId: string; stage: number; message: string }[] = [];
  let alreadySent = 0;
  let scanned = 0;
  let after = o.after;

  for (;;) {
    if (o.hasTime && !o.hasTime()) {
      o.logger?.log('warn', 'expiry scan stopped for time', { scanned, published: published.length, continueAfter: after });
      return { published, alreadySent, scanned, failed, ...(after !== undefined ? { continueAfter: after } : {}) };
    }
    const page = await o.index.pageExpiring(from, to, { ...(after !== undefined ? { after } : {}), limit: o.pageSize ?? 100 });
    scanned += page.items.length;
    const notices = page.items.map((k) => planExpiryNotice(k, now, thresholds)).filter((n): n is ExpiryNotice => n !== undefined);
    const held = notices.length > 0 ? await o.ledger.read(notices.map((n) => n.marker)) : new Map<string, LedgerState>();
    const due = notices.filter((n) => {
      if (needsClaim(n.marker, held.get(markerKey(n.marker)), now)) return true;
      alreadySent++;
      return false;
    });
    for (let i = 0; i < due.length; i += EXPIRY_PUBLISH_BATCH) {
      await sendBatch(due.slice(i, i + EXPIRY_PUBLISH_BATCH));
    }
    if (page.next === undefined) break;
    after = page.next;
  }
  o.logger?.log('info', 'expiry scan done', { scanned, published: published.length, alreadySent, failed: failed.length });
  return { published, alreadySent, scanned, failed };

  async function sendBatch(batch: readonly ExpiryNotice[]): Promise<void> {
    // The batch's claims at once (different items), in batch order after.
    const attempts = await Promise.all(
      batch.map(async (notice) => {
        const claim: ExpiryClaim = { ...notice.marker, token: token(), leaseUntil: now.getTime() + leaseMs };
        try {
          return { notice, claim, won: await o.ledger.claim(claim, now) };
        } catch (err) {
          return { notice, claim, error: err };
        }
      }),
    );
    const claimed: { notice: ExpiryNotice; claim: ExpiryClaim }[] = [];
    for (const a of attempts) {
      if ('error' in a) {
        o.logger?.log('error', 'expiry ledger claim failed', { keyId: a.claim.keyId, stage: a.claim.stage, error: a.error });
        failed.push({ keyId: a.claim.keyId, stage: a.claim.stage, message: message(a.error) });
      } else if (a.won) claimed.push(a);
      else alreadySent++;
    }
    if (claimed.length === 0) return;
    const results = await publishAll(o.events, claimed.map((c) => c.notice.event));
    const sent: ExpiryEvent[] = [];
    for (const [i, { notice, claim }] of claimed.entries()) {
      const error = results[i];
      if (error) {
        o.logger?.log('error', 'expiry event publish failed', { keyId: claim.keyId, stage: claim.stage, error });
        failed.push({ keyId: claim.keyId, stage: claim.stage, message: message(error) });
        await o.ledger.release(claim).catch((releaseError: unknown) =>
          o.logger?.log('error', 'expiry ledger release failed: the notice is sent once its lease runs out', { keyId: claim.keyId, stage: claim.stage, error: releaseError }),
        );
        continue;
      }
      published.push(notice.event);
      sent.push(notice.event);
      try {
        await o.ledger.confirm(claim);
      } catch (err) {
        // Sent but not confirmed: a run after the lease sends it again (the documented duplicate).
        o.logger?.log('error', 'expiry ledger confirm failed', { keyId: claim.keyId, stage: claim.stage, error: err });
        failed.push({ keyId: claim.keyId, stage: claim.stage, message: message(err) });
      }
    }
    if (o.audit && sent.length > 0) await auditSent(sent);
  }

  async function auditSent(sent: readonly ExpiryEvent[]): Promise<void> {
    const audit = o.audit!;
    const entries: AuditEntry[] = [];
    for (const event of sent) {
      const entry = notificationEntry(event, o.clock.now(), audit.retentionDays);
      try {
        await audit.store.record(entry);
        entries.push(entry);
      } catch (err) {
        // The event is out; the entry is the record of it, not a condition for it.
        o.logger?.log('error', 'expiry notification audit entry not written', { keyId: event.keyId, action: entry.action, error: err });
      }
    }
    if (entries.length === 0 || o.publishAuditEvents === false) return;
    const results = await publishAll(o.events, entries.map((e) => ({ type: auditEventType(e), ...e })));
    results.forEach((error, i) => {
      if (error) o.logger?.log('warn', 'audit event publish failed', { entryId: entries[i]!.id, error });
    });
  }
}
