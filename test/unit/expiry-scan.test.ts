/** Expiry notifications' pure parts: settings, the notice due at each distance from expiry, the claim rule, and the scan over in-memory ports. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config';
import {
  DEFAULT_EXPIRY_SCHEDULE,
  DEFAULT_EXPIRY_THRESHOLDS_DAYS,
  type ExpiringKey,
  type ExpiryClaim,
  type ExpiryIndex,
  type ExpiryLedger,
  type ExpiryMarker,
  expirySettings,
  expiryWindow,
  KEY_EXPIRED_EVENT,
  KEY_EXPIRING_EVENT,
  type LedgerState,
  markerKey,
  needsClaim,
  notificationEntry,
  parseExpiryThresholds,
  planExpiryNotice,
  scanExpiring,
} from '../../core/expiry-scan';
import { entryDigest, verifyChain } from '../../core/audit';
import type { AuditEntry, AuditPage } from '../../core/audit';
import type { AuditStore, EventSink } from '../../core/ports';

const DAY = 86_400_000;
const NOW = new Date('2031-05-10T12:00:00.000Z');
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

const key = (expiresInMs: number, over: Partial<ExpiringKey> = {}): ExpiringKey => ({
  id: 'key_01J00000000000000000000001',
  ownerId: 'acme',
  name: 'billing',
  status: 'active',
  expiresAt: at(expiresInMs),
  ...over,
});

describe('expiry settings', () => {
  it('defaults to 14, 7 and 1 days, hourly, on', () => {
    // Act
    const s = expirySettings(() => undefined);
    // Assess
    expect(s).toEqual({ enabled: true, schedule: 'rate(1 hour)', thresholdsDays: [14, 7, 1] });
    expect(DEFAULT_EXPIRY_SCHEDULE).toBe('rate(1 hour)');
  });

  it('takes thresholds as a list or JSON text, distinct and largest first', () => {
    expect(parseExpiryThresholds([1, 30, 7, 7])).toEqual([30, 7, 1]);
    expect(parseExpiryThresholds('[3, 10]')).toEqual([10, 3]);
    expect(parseExpiryThresholds([])).toEqual([]);
  });

  it.each([
    [[0], 'keygate:expiryThresholdsDays must hold whole days from 1 to 365 (got 0)'],
    [[1.5], 'keygate:expiryThresholdsDays must hold whole days from 1 to 365 (got 1.5)'],
    [['7'], 'keygate:expiryThresholdsDays must hold whole days from 1 to 365 (got "7")'],
    [7, 'keygate:expiryThresholdsDays must be an array of at most 10 whole days such as [14, 7, 1] (got 7)'],
    ['7,1', 'keygate:expiryThresholdsDays must be a JSON array of whole days such as [14, 7, 1] (got "7,1")'],
  ])('rejects thresholds %j', (raw, message) => {
    expect(() => parseExpiryThresholds(raw)).toThrow(new ConfigError(message));
  });

  it('rejects a schedule that is not a Scheduler expression and an on/off that is not a boolean', () => {
    expect(() => expirySettings((k) => (k === 'keygate:expirySchedule' ? 'every hour' : undefined))).toThrow(/keygate:expirySchedule must be an EventBridge Scheduler expression/);
    expect(() => expirySettings((k) => (k === 'keygate:expiryNotifications' ? 'yes' : undefined))).toThrow('keygate:expiryNotifications must be true or false (got "yes")');
    expect(expirySettings((k) => (k === 'keygate:expiryNotifications' ? 'false' : k === 'keygate:expirySchedule' ? 'cron(0 * * * ? *)' : undefined))).toMatchObject({
      enabled: false,
      schedule: 'cron(0 * * * ? *)',
    });
  });
});

describe('the notice due', () => {
  const stageAt = (expiresInMs: number, thresholds = DEFAULT_EXPIRY_THRESHOLDS_DAYS) => planExpiryNotice(key(expiresInMs), NOW, thresholds)?.marker.stage;

  it('gives a key that expires in 2 days only the 7-day event', () => {
    // Act
    const notice = planExpiryNotice(key(2 * DAY), NOW);
    // Assess
    expect(notice?.event).toEqual({ type: KEY_EXPIRING_EVENT, keyId: 'key_01J00000000000000000000001', ownerId: 'acme', name: 'billing', threshold: 7, expiresAt: at(2 * DAY) });
    expect(notice?.marker).toEqual({ keyId: 'key_01J00000000000000000000001', expiresAt: at(2 * DAY), stage: 7 });
  });

  it('gives a key 20 days from expiry nothing until 14 days remain', () => {
    expect(planExpiryNotice(key(20 * DAY), NOW)).toBeUndefined();
    expect(stageAt(14 * DAY + 1)).toBeUndefined();
    expect(stageAt(14 * DAY)).toBe(14);
  });

  it('moves to the nearest threshold crossed at each distance', () => {
    expect(stageAt(10 * DAY)).toBe(14);
    expect(stageAt(7 * DAY)).toBe(7);
    expect(stageAt(3 * DAY)).toBe(7);
    expect(stageAt(DAY)).toBe(1);
    expect(stageAt(1)).toBe(1);
  });

  it('gives a key past its expiry (a rotation grace end included) only expired, with a null threshold', () => {
    // Act
    const atExpiry = planExpiryNotice(key(0), NOW);
    const graceEnded = planExpiryNotice(key(-3 * 3_600_000, { name: 'rotated' }), NOW);
    // Assess
    expect(atExpiry?.event).toMatchObject({ type: KEY_EXPIRED_EVENT, threshold: null });
    expect(graceEnded?.event).toMatchObject({ type: KEY_EXPIRED_EVENT, threshold: null, name: 'rotated' });
    expect(graceEnded?.marker.stage).toBe(0);
  });

  it('gives revoked keys and keys without an expiry nothing, and with no thresholds only expired', () => {
    expect(planExpiryNotice(key(DAY, { status: 'revoked' }), NOW)).toBeUndefined();
    expect(planExpiryNotice({ id: 'k', ownerId: 'o', name: 'n', status: 'active' }, NOW)).toBeUndefined();
    expect(stageAt(DAY, [])).toBeUndefined();
    expect(stageAt(-1, [])).toBe(0);
  });

  it('carries no secret and nothing sealed', () => {
    const event = planExpiryNotice({ ...key(DAY), hash: 'h'.repeat(64), sealed: 'ciphertext' } as ExpiringKey, NOW)!.event;
    expect(Object.keys(event).sort()).toEqual(['expiresAt', 'keyId', 'name', 'ownerId', 'threshold', 'type']);
  });

  it('reads the window from the lookback to the largest threshold', () => {
    const w = expiryWindow(NOW, [14, 7, 1], 2 * DAY);
    expect(w.from.toISOString()).toBe(at(-2 * DAY));
    expect(w.to.getTime()).toBe(NOW.getTime() + 14 * DAY + 1);
  });
});

describe('the claim rule', () => {
  const m = (stage: number): ExpiryMarker => ({ keyId: 'k', expiresAt: at(DAY), stage });
  const held = (stage: number, state: 'pending' | 'sent', leaseUntil = 0): LedgerState => ({ stage, state, leaseUntil });

  it('claims what nothing or a higher stage holds', () => {
    expect(needsClaim(m(7), undefined, NOW)).toBe(true);
    expect(needsClaim(m(7), held(14, 'sent'), NOW)).toBe(true);
    expect(needsClaim(m(0), held(1, 'sent'), NOW)).toBe(true);
  });

  it('refuses a stage already sent, a lower one held (no expiring after expired), and a live pending claim', () => {
    expect(needsClaim(m(7), held(7, 'sent'), NOW)).toBe(false);
    expect(needsClaim(m(1), held(0, 'sent'), NOW)).toBe(false);
    expect(needsClaim(m(7), held(7, 'pending', NOW.getTime() + 1), NOW)).toBe(false);
  });

  it('takes over a pending claim whose lease ran out (a run that died before confirming)', () => {
    expect(needsClaim(m(7), held(7, 'pending', NOW.getTime() - 1), NOW)).toBe(true);
  });
});

describe('the notification audit entry', () => {
  it('is an unchained system entry naming the event, with a valid digest, ignored by chain verification', () => {
    // Prepare
    const event = planExpiryNotice(key(2 * DAY), NOW)!.event;
    // Act
    const entry = notificationEntry(event, NOW, 30);
    // Assess
    expect(entry).toMatchObject({
      action: 'key.expiring_notified',
      outcome: 'success',
      actor: { type: 'system' },
      target: { keyId: event.keyId, ownerId: 'acme' },
      changes: [{ field: 'notification', after: { type: KEY_EXPIRING_EVENT, threshold: 7, expiresAt: event.expiresAt } }],
      expiresAt: Math.floor(NOW.getTime() / 1000) + 30 * 86_400,
    });
    expect(entry.chain).toBeUndefined();
    expect(entryDigest(entry)).toBe(entry.digest);
    expect(verifyChain(event.keyId, [entry], undefined, NOW)).toMatchObject({ ok: true, entries: 0 });
    expect(notificationEntry(planExpiryNotice(key(-1), NOW)!.event, NOW, 30).action).toBe('key.expired_notified');
  });
});

// --- the scan over in-memory ports ---------------------------------------------------------------

/** The ledger's store semantics in memory: the same condition as the DynamoDB adapter's. */
class MemoryLedger implements ExpiryLedger {
  readonly items = new Map<string, LedgerState & { token: string }>();
  failClaims = false;
  async read(markers: readonly ExpiryMarker[]) {
    const out = new Map<string, LedgerState>();
    for (const m of markers) {
      const i = this.items.get(markerKey(m));
      if (i) out.set(markerKey(m), i);
    }
    return out;
  }
  async claim(c: ExpiryClaim, now: Date) {
    if (this.failClaims) throw new Error('ledger down');
    if (!needsClaim(c, this.items.get(markerKey(c)), now)) return false;
    this.items.set(markerKey(c), { stage: c.stage, state: 'pending', leaseUntil: c.leaseUntil, token: c.token });
    return true;
  }
  async confirm(c: ExpiryClaim) {
    const i = this.items.get(markerKey(c));
    if (i?.token === c.token) this.items.set(markerKey(c), { ...i, state: 'sent' });
  }
  async release(c: ExpiryClaim) {
    const i = this.items.get(markerKey(c));
    if (i?.token === c.token) this.items.set(markerKey(c), { ...i, leaseUntil: 0 });
  }
}

class MemoryIndex implements ExpiryIndex {
  constructor(readonly keys: ExpiringKey[]) {}
  async pageExpiring(from: Date, to: Date, o: { after?: string; limit: number }) {
    const pos = (k: ExpiringKey) => `${k.expiresAt}#${k.id}`;
    const all = this.keys
      .filter((k) => k.expiresAt! >= from.toISOString() && k.expiresAt! < to.toISOString())
      .sort((a, b) => (pos(a) < pos(b) ? -1 : 1))
      .filter((k) => o.after === undefined || pos(k) > o.after);
    const items = all.slice(0, o.limit);
    return all.length > o.limit ? { items, next: pos(items.at(-1)!) } : { items };
  }
}

class Events implements EventSink {
  readonly sent: { type: string; [f: string]: unknown }[] = [];
  failTypes = new Set<string>();
  async publish(e: { readonly type: string; readonly [f: string]: unknown }) {
    if (this.failTypes.has(e.type)) throw new Error('bus down');
    this.sent.push({ ...e });
  }
}

class Audit implements AuditStore {
  readonly entries: AuditEntry[] = [];
  async record(e: AuditEntry) {
    this.entries.push(e);
  }
  async query(): Promise<AuditPage> {
    return { items: [] };
  }
  async entriesOfKey() {
    return [];
  }
}

const id = (n: number) => `key_01J${String(n).padStart(23, '0')}`;

describe('the scan', () => {
  it('publishes each due notice once across repeated runs, and audits each', async () => {
    // Prepare: keys at several distances from expiry
    const keys = [key(2 * DAY, { id: id(1) }), key(20 * DAY, { id: id(2) }), key(-DAY, { id: id(3) }), key(10 * DAY, { id: id(4), status: 'revoked' })];
    const ledger = new MemoryLedger();
    const events = new Events();
    const audit = new Audit();
    const run = () => scanExpiring({ index: new MemoryIndex(keys), ledger, events, audit: { store: audit, retentionDays: 30 }, clock: { now: () => NOW } });
    // Act
    const first = await run();
    const second = await run();
    // Assess
    expect(first.published.map((e) => [e.keyId, e.type, e.threshold])).toEqual([
      [id(3), KEY_EXPIRED_EVENT, null],
      [id(1), KEY_EXPIRING_EVENT, 7],
    ]);
    expect(second.published).toEqual([]);
    expect(second.alreadySent).toBe(2);
    expect(events.sent.filter((e) => !e.type.startsWith('keygate.audit.')).map((e) => e.keyId)).toEqual([id(3), id(1)]);
    expect(events.sent.filter((e) => e.type.startsWith('keygate.audit.')).map((e) => e.type).sort()).toEqual(['keygate.audit.key.expired_notified', 'keygate.audit.key.expiring_notified']);
    expect(audit.entries.map((e) => [e.target.keyId, e.action])).toEqual([
      [id(3), 'key.expired_notified'],
      [id(1), 'key.expiring_notified'],
    ]);
  });

  it('sends later thresholds when they are reached, then expired, and no expiring after it', async () => {
    // Prepare
    const keys = [key(15 * DAY, { id: id(1) })];
    const ledger = new MemoryLedger();
    const events = new Events();
    const runAt = (ms: number) => scanExpiring({ index: new MemoryIndex(keys), ledger, events, clock: { now: () => new Date(NOW.getTime() + ms) } });
    // Act: hourly-ish runs over the key's last 15 days, and one late run from a clock behind
    for (let h = 0; h <= 16 * 24; h += 6) await runAt(h * 3_600_000);
    await runAt(15 * DAY - 3_600_000);
    // Assess
    expect(events.sent.map((e) => e.threshold)).toEqual([14, 7, 1, null]);
  });

  it('releases a claim whose publish failed so the next run sends it', async () => {
    // Prepare
    const keys = [key(DAY / 2, { id: id(1) })];
    const ledger = new MemoryLedger();
    const events = new Events();
    events.failTypes.add(KEY_EXPIRING_EVENT);
    const run = () => scanExpiring({ index: new MemoryIndex(keys), ledger, events, clock: { now: () => NOW } });
    // Act
    const failed = await run();
    events.failTypes.clear();
    const retried = await run();
    // Assess
    expect(failed.failed).toEqual([{ keyId: id(1), stage: 1, message: 'bus down' }]);
    expect(retried.published.map((e) => e.threshold)).toEqual([1]);
    expect(events.sent).toHaveLength(1);
  });

  it('resumes a run that died between claim and publish once the lease runs out, never before', async () => {
    // Prepare: a claim left pending by a run that died
    const keys = [key(DAY / 2, { id: id(1) })];
    const ledger = new MemoryLedger();
    ledger.items.set(markerKey({ keyId: id(1), expiresAt: keys[0]!.expiresAt! }), { stage: 1, state: 'pending', leaseUntil: NOW.getTime() + 60_000, token: 'dead' });
    const events = new Events();
    // Act
    const during = await scanExpiring({ index: new MemoryIndex(keys), ledger, events, clock: { now: () => NOW } });
    const after = await scanExpiring({ index: new MemoryIndex(keys), ledger, events, clock: { now: () => new Date(NOW.getTime() + 60_001) } });
    // Assess
    expect(during.published).toEqual([]);
    expect(after.published.map((e) => e.keyId)).toEqual([id(1)]);
  });

  it('reports a ledger that fails as failures and publishes nothing unclaimed', async () => {
    const ledger = new MemoryLedger();
    ledger.failClaims = true;
    const events = new Events();
    const r = await scanExpiring({ index: new MemoryIndex([key(DAY, { id: id(1) })]), ledger, events, clock: { now: () => NOW } });
    expect(r.failed).toEqual([{ keyId: id(1), stage: 1, message: 'ledger down' }]);
    expect(events.sent).toEqual([]);
  });

  it('pages through the index and stops for time with a continuation that a later run resumes from', async () => {
    // Prepare: 25 keys due, pages of 10, time for two pages
    const keys = Array.from({ length: 25 }, (_, i) => key(DAY + i * 1000, { id: id(i) }));
    const ledger = new MemoryLedger();
    const events = new Events();
    let pages = 0;
    // Act
    const first = await scanExpiring({ index: new MemoryIndex(keys), ledger, events, clock: { now: () => NOW }, pageSize: 10, hasTime: () => pages++ < 2 });
    const rest = await scanExpiring({ index: new MemoryIndex(keys), ledger, events, clock: { now: () => NOW }, pageSize: 10, after: first.continueAfter! });
    // Assess
    expect(first.published).toHaveLength(20);
    expect(first.continueAfter).toBe(`${keys[19]!.expiresAt}#${id(19)}`);
    expect(rest.published).toHaveLength(5);
    expect(rest.continueAfter).toBeUndefined();
    expect(new Set(events.sent.map((e) => e.keyId)).size).toBe(25);
  });

  it('uses a batch sink in calls of at most 10 events', async () => {
    // Prepare
    const calls: number[] = [];
    const sink = {
      publish: async () => {
        throw new Error('not used');
      },
      publishBatch: async (batch: readonly unknown[]) => {
        calls.push(batch.length);
        return batch.map(() => undefined);
      },
    };
    const keys = Array.from({ length: 23 }, (_, i) => key(DAY, { id: id(i) }));
    // Act
    const r = await scanExpiring({ index: new MemoryIndex(keys), ledger: new MemoryLedger(), events: sink, clock: { now: () => NOW }, pageSize: 50 });
    // Assess
    expect(r.published).toHaveLength(23);
    expect(calls).toEqual([10, 10, 3]);
  });
});
