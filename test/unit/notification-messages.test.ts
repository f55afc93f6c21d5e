/**
 * The readable notification messages (core/notification-messages.ts): each template rendered
 * against an event as EventBridge delivers it (source keygate, detail-type = type, detail = the
 * event's other fields), the definitions' own rules, and the `keygate:notificationEmails` setting.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config';
import { planExpiryNotice } from '../../core/expiry-scan';
import { KEY_LIKE_PATTERN } from '../../core/key-format';
import { KEY_LEAKED_EVENT } from '../../core/leak-response';
import {
  checkNotificationMessages,
  inputTemplate,
  MAX_NOTIFICATION_EMAILS,
  matchesDetail,
  NOTIFICATION_MESSAGES,
  type NotificationMessage,
  notificationMessagesFor,
  parseNotificationEmails,
  renderNotification,
  templateVariables,
} from '../../core/notification-messages';
import { ANOMALY_RULES, type AnomalyEvent, anomalyEvents, DEFAULT_ANOMALY_THRESHOLDS } from '../../core/usage-anomalies';
import type { QuotaWarningEvent } from '../../core/usage-signals';
import { WEBHOOK_EVENT_TYPES } from '../../core/webhook-signature';

const DAY = 86_400_000;
const NOW = new Date('2026-12-01T10:00:00.000Z');
const HOUR_START = Date.parse('2026-12-01T09:00:00.000Z');
const KEY_ID = 'key_01J00000000000000000000001';
/** A string shaped like a Keygate key: it must never reach a message. */
const FAKE_SECRET = 'kg_live_0123456789ABCDEFGHIJabcdefghij0123456789abc';

/** The EventBridge event for a Keygate event, as adapters/eventbridge-event-sink.ts puts it. */
function busEvent(event: { readonly type: string; readonly [field: string]: unknown }): { 'detail-type': string; source: string; detail: Record<string, unknown> } {
  const { type, ...detail } = event;
  return { 'detail-type': type, source: 'keygate', detail };
}

const expiring = planExpiryNotice({ id: KEY_ID, ownerId: 'acme', name: 'ci', status: 'active', expiresAt: new Date(NOW.getTime() + 2 * DAY).toISOString() }, NOW)!.event;
const expired = planExpiryNotice({ id: KEY_ID, ownerId: 'acme', name: 'ci', status: 'active', expiresAt: new Date(NOW.getTime() - 60_000).toISOString() }, NOW)!.event;
const quota: QuotaWarningEvent = {
  type: 'keygate.quota.warning',
  keyId: KEY_ID,
  ownerId: 'acme',
  quota: 'daily',
  limit: 10_000,
  used: 8_000,
  threshold: 0.8,
  resetsAt: '2026-12-02T00:00:00.000Z',
  time: NOW.toISOString(),
};
const leaked = { type: KEY_LEAKED_EVENT, keyId: KEY_ID, ownerId: 'acme', revokedAt: NOW.toISOString(), sourceIp: '203.0.113.7', requestId: 'req-1' };
const [requestSpike] = anomalyEvents('requestSpike', [{ keyId: KEY_ID, ownerId: 'acme', requests: 9000, baselineRequests: 2400, baselineHours: 24 }], HOUR_START, DEFAULT_ANOMALY_THRESHOLDS, NOW);
const [errorRate] = anomalyEvents('errorRate', [{ keyId: KEY_ID, ownerId: 'acme', requests: 400, errors: 120, rateLimited: 3 }], HOUR_START, DEFAULT_ANOMALY_THRESHOLDS, NOW);
const [failedAuth] = anomalyEvents('failedAuth', [{ sourceIp: '198.51.100.9', failures: 250, unauthorized: 240, ipNotAllowed: 10 }], HOUR_START, DEFAULT_ANOMALY_THRESHOLDS, NOW);
const quotaProjection: AnomalyEvent = {
  type: 'keygate.usage.anomaly',
  rule: 'quotaProjection',
  keyId: KEY_ID,
  ownerId: 'acme',
  quota: 'monthly',
  hour: '2026-12-01T09:00:00Z',
  observed: { hourlyRequests: 500, used: 90_000, projected: 150_000, hoursLeft: 120 },
  threshold: { limit: 100_000 },
  time: NOW.toISOString(),
};

/** One sample event per message, keyed by message id. */
const SAMPLES: Record<string, { readonly type: string; readonly [field: string]: unknown }> = {
  KeyExpiring: expiring,
  KeyExpired: expired,
  QuotaWarning: quota,
  KeyLeaked: leaked,
  AnomalyRequestSpike: requestSpike!,
  AnomalyErrorRate: errorRate!,
  AnomalyFailedAuth: failedAuth!,
  AnomalyQuotaProjection: quotaProjection,
};

/** The message EventBridge would pick for an event: its detail-type and, for anomalies, its rule. */
function pick(event: { readonly type: string; readonly [field: string]: unknown }): NotificationMessage[] {
  const { detail } = busEvent(event);
  return notificationMessagesFor(event.type).filter((m) => matchesDetail(m, detail));
}

describe('notification messages', () => {
  it('has one message per notification event type, and one per anomaly rule', () => {
    // Prepare / Act
    const types = new Set(NOTIFICATION_MESSAGES.map((m) => m.eventType));
    // Assess
    expect([...types].sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
    expect(notificationMessagesFor('keygate.usage.anomaly').map((m) => m.detail?.rule)).toEqual(ANOMALY_RULES.map((r) => [r]));
    expect(Object.keys(SAMPLES).sort()).toEqual(NOTIFICATION_MESSAGES.map((m) => m.id).sort());
    expect(() => checkNotificationMessages()).not.toThrow();
  });

  it.each(NOTIFICATION_MESSAGES.map((m) => [m.id, m] as const))('%s: exactly this message matches its sample event', (id, message) => {
    expect(pick(SAMPLES[id]!)).toEqual([message]);
  });

  it.each(NOTIFICATION_MESSAGES.map((m) => [m.id, m] as const))('%s: fills every placeholder from the event, with no empty value', (id, message) => {
    // Prepare
    const event = busEvent(SAMPLES[id]!);
    // Act
    const text = renderNotification(message, event);
    // Assess: no placeholder left, and every variable had a value in the event
    expect(text).not.toMatch(/<[A-Za-z][A-Za-z0-9_]*>/);
    for (const variable of templateVariables(message.template)) {
      const path = message.paths[variable]!;
      const value = path.split('.').slice(1).reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], event);
      expect(value, `${id}: ${path}`).not.toBeUndefined();
      expect(value, `${id}: ${path}`).not.toBeNull();
      expect(text).toContain(String(value));
    }
    expect(text.startsWith('Keygate')).toBe(true);
    expect(text).not.toMatch(/\n|\s{2}/);
  });

  it.each(NOTIFICATION_MESSAGES.map((m) => [m.id, m] as const))('%s: carries no secret even when the event holds one', (id, message) => {
    // Prepare: the sample event with secret-looking fields an event must never have
    const poisoned = { ...SAMPLES[id]!, secret: FAKE_SECRET, key: FAKE_SECRET, hash: 'a'.repeat(64), plaintext: FAKE_SECRET, sealed: FAKE_SECRET };
    // Act
    const text = renderNotification(message, busEvent(poisoned));
    // Assess
    expect(text).not.toContain(FAKE_SECRET);
    expect(text).not.toMatch(KEY_LIKE_PATTERN);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    expect(text).not.toMatch(/secret|hash|plaintext|password|token/i);
    for (const path of Object.values(message.paths)) expect(path).not.toMatch(/secret|hash|plaintext|sealed|\.key$/i);
  });

  it('renders the expiry notice for a key that expires in 2 days (the 7-day threshold) word for word', () => {
    const text = renderNotification(pick(expiring)[0]!, busEvent(expiring));
    expect(text).toBe(
      `Keygate: key ${KEY_ID} (name ci, owner acme) expires in 7 day(s), at ${expiring.expiresAt}. Rotate it before then: keygate rotate-key ${KEY_ID}`,
    );
  });

  it('renders the other messages with their numbers', () => {
    expect(renderNotification(pick(expired)[0]!, busEvent(expired))).toContain(`expired at ${expired.expiresAt} and is no longer accepted`);
    expect(renderNotification(pick(quota)[0]!, busEvent(quota))).toBe(
      `Keygate: key ${KEY_ID} (owner acme) has used 8000 of its daily quota of 10000 requests (warning threshold 0.8 of the limit). ` +
        `The quota resets at 2026-12-02T00:00:00.000Z. Live counters: keygate usage ${KEY_ID}`,
    );
    expect(renderNotification(pick(requestSpike!)[0]!, busEvent(requestSpike!))).toContain('made 9000 requests in the hour from 2026-12-01T09:00:00Z, against a mean of 100 per hour');
    expect(renderNotification(pick(errorRate!)[0]!, busEvent(errorRate!))).toContain('got 120 errors in 400 requests (rate 0.3)');
    expect(renderNotification(pick(failedAuth!)[0]!, busEvent(failedAuth!))).toContain('source IP 198.51.100.9 made 250 requests that were refused');
    expect(renderNotification(pick(quotaProjection)[0]!, busEvent(quotaProjection))).toContain('has used 90000 of its monthly quota of 100000; at the rate');
  });

  it('leaves a missing field empty, as EventBridge does, rather than failing', () => {
    const message = pick(leaked)[0]!;
    const { ownerId: _gone, ...rest } = leaked;
    expect(renderNotification(message, busEvent(rest))).toContain('(owner )');
  });

  it('puts a value in as is, without escaping (EventBridge does not escape): a name with a quote breaks the JSON string', () => {
    // What docs/notifications.md warns about: names are free text; the webhook still gets the exact event.
    const odd = { ...expiring, name: 'say "hi"' };
    expect(() => renderNotification(pick(odd)[0]!, busEvent(odd))).toThrow(SyntaxError);
  });

  it('is quoted word for word, with its rule id, in docs/notifications.md', () => {
    const doc = readFileSync(new URL('../../docs/notifications.md', import.meta.url), 'utf8').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
    for (const m of NOTIFICATION_MESSAGES) {
      expect(doc, m.id).toContain(m.template);
      expect(doc, m.id).toContain(`\`${m.id}Rule\``);
    }
  });

  it('gives EventBridge the text as a JSON string', () => {
    for (const m of NOTIFICATION_MESSAGES) expect(JSON.parse(inputTemplate(m))).toBe(m.template);
  });
});

describe('checkNotificationMessages', () => {
  const base = NOTIFICATION_MESSAGES[0]!;
  it.each([
    ['a template with a double quote', { ...base, template: `${base.template} "x"` }, /may not hold/],
    ['a placeholder without a path', { ...base, template: `${base.template} <other>` }, /variables without a path \["other"\]/],
    ['a path the template does not use', { ...base, paths: { ...base.paths, extra: '$.detail.extra' } }, /paths not used \["extra"\]/],
    ['a path outside the detail', { ...base, paths: { ...base.paths, keyId: '$.account' } }, /must be \$\.detail/],
    ['an id that is not PascalCase', { ...base, id: 'key-expiring' }, /PascalCase/],
  ])('rejects %s', (_name, bad, error) => {
    expect(() => checkNotificationMessages([bad as NotificationMessage, ...NOTIFICATION_MESSAGES.slice(1)])).toThrow(error);
  });

  it('rejects a set without a message for an event type or an anomaly rule', () => {
    expect(() => checkNotificationMessages(NOTIFICATION_MESSAGES.filter((m) => m.id !== 'KeyLeaked'))).toThrow(/keygate\.key\.leaked/);
    expect(() => checkNotificationMessages(NOTIFICATION_MESSAGES.filter((m) => m.id !== 'AnomalyFailedAuth'))).toThrow(/anomaly rule failedAuth/);
  });

  it('rejects two messages with one id (rule construct ids must be unique)', () => {
    expect(() => checkNotificationMessages([...NOTIFICATION_MESSAGES, NOTIFICATION_MESSAGES[0]!])).toThrow(/unique/);
  });
});

describe('keygate:notificationEmails', () => {
  it('is empty by default', () => {
    expect(parseNotificationEmails(undefined)).toEqual([]);
    expect(parseNotificationEmails(null)).toEqual([]);
  });

  it('takes an array, or its JSON text from -c, and drops duplicates ignoring case', () => {
    expect(parseNotificationEmails(['ops@example.com', 'Sec.Team+keygate@mail.example.org'])).toEqual(['ops@example.com', 'Sec.Team+keygate@mail.example.org']);
    expect(parseNotificationEmails('["ops@example.com","OPS@example.com"]')).toEqual(['ops@example.com']);
  });

  it.each([
    ['a bare string', 'ops@example.com', /JSON array/],
    ['an object', { to: 'ops@example.com' }, /array of email addresses/],
    ['a non-string entry', [42], /\[0\] must be an email address/],
    ['two addresses in one entry', ['a@example.com, b@example.com'], /\[0\] must be an email address/],
    ['a display name', ['Ops <ops@example.com>'], /\[0\] must be an email address/],
    ['a missing domain dot', ['ops@localhost'], /\[0\] must be an email address/],
    ['a newline', ['ops@example.com\nBcc: x@example.com'], /\[0\] must be an email address/],
  ])('rejects %s, naming the setting', (_name, raw, error) => {
    expect(() => parseNotificationEmails(raw)).toThrow(ConfigError);
    expect(() => parseNotificationEmails(raw)).toThrow(/keygate:notificationEmails/);
    expect(() => parseNotificationEmails(raw)).toThrow(error);
  });

  it(`rejects more than ${MAX_NOTIFICATION_EMAILS} addresses`, () => {
    const many = Array.from({ length: MAX_NOTIFICATION_EMAILS + 1 }, (_, i) => `ops${i}@example.com`);
    expect(parseNotificationEmails(many.slice(0, MAX_NOTIFICATION_EMAILS))).toHaveLength(MAX_NOTIFICATION_EMAILS);
    expect(() => parseNotificationEmails(many)).toThrow(/at most 10/);
  });
});
