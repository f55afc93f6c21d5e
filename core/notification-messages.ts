/**
 * The readable messages of the notification events, one definition for the EventBridge rules
 * that publish them to the notifications topic (lib/notifications.ts), the tests that render
 * them, and docs/notifications.md.
 *
 * Each message is an EventBridge input transformer: `paths` names the event fields it reads
 * (JSON paths into the event, `$.detail.<field>`), `template` is plain text with `<variable>`
 * placeholders. EventBridge fills the placeholders without escaping the values and without
 * arithmetic or conditionals, so:
 * - a template reads only fields its event always carries (a missing path leaves the
 *   placeholder empty), which is why `keygate.usage.anomaly` has one message per anomaly rule;
 * - templates hold no `"` or `\`: the input template is a JSON string, and EventBridge keeps
 *   escaped quotes escaped in what it sends;
 * - values are ids, owners, names, numbers and ISO times, never a secret, hash or key material
 *   (the events carry none).
 *
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */
import { ConfigError } from './config';
import { KEY_EXPIRED_EVENT, KEY_EXPIRING_EVENT } from './expiry-scan';
import { KEY_LEAKED_EVENT } from './leak-response';
import { ANOMALY_EVENT_TYPE, ANOMALY_RULES, type AnomalyRule } from './usage-anomalies';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-signature';

export interface NotificationMessage {
  /** PascalCase and stable: the EventBridge rule's construct id is `<id>Rule` (a contract). */
  readonly id: string;
  /** The event's detail-type. */
  readonly eventType: WebhookEventType;
  /** Extra detail fields the rule matches, for event types with one message per variant. */
  readonly detail?: Readonly<Record<string, readonly string[]>>;
  /** Template variable → JSON path into the EventBridge event (InputPathsMap). */
  readonly paths: Readonly<Record<string, string>>;
  /** Plain text with `<variable>` placeholders. */
  readonly template: string;
}

const d = (field: string): string => `$.detail.${field}`;

const anomaly = (rule: AnomalyRule, id: string, paths: Record<string, string>, template: string): NotificationMessage => ({
  id,
  eventType: ANOMALY_EVENT_TYPE,
  detail: { rule: [rule] },
  paths: { hour: d('hour'), ...paths },
  template,
});

/** Every message, in WEBHOOK_EVENT_TYPES order (anomaly rules in ANOMALY_RULES order). */
export const NOTIFICATION_MESSAGES: readonly NotificationMessage[] = [
  {
    id: 'KeyExpiring',
    eventType: KEY_EXPIRING_EVENT,
    paths: { keyId: d('keyId'), name: d('name'), ownerId: d('ownerId'), threshold: d('threshold'), expiresAt: d('expiresAt') },
    template:
      'Keygate: key <keyId> (name <name>, owner <ownerId>) expires in <threshold> day(s), at <expiresAt>. ' +
      'Rotate it before then: keygate rotate-key <keyId>',
  },
  {
    id: 'KeyExpired',
    eventType: KEY_EXPIRED_EVENT,
    paths: { keyId: d('keyId'), name: d('name'), ownerId: d('ownerId'), expiresAt: d('expiresAt') },
    template:
      'Keygate: key <keyId> (name <name>, owner <ownerId>) expired at <expiresAt> and is no longer accepted. ' +
      'Issue a replacement (keygate create-key) and give it to the callers.',
  },
  {
    id: 'QuotaWarning',
    eventType: 'keygate.quota.warning',
    paths: {
      keyId: d('keyId'),
      ownerId: d('ownerId'),
      quota: d('quota'),
      used: d('used'),
      limit: d('limit'),
      threshold: d('threshold'),
      resetsAt: d('resetsAt'),
    },
    template:
      'Keygate: key <keyId> (owner <ownerId>) has used <used> of its <quota> quota of <limit> requests ' +
      '(warning threshold <threshold> of the limit). The quota resets at <resetsAt>. Live counters: keygate usage <keyId>',
  },
  {
    id: 'KeyLeaked',
    eventType: KEY_LEAKED_EVENT,
    paths: { keyId: d('keyId'), ownerId: d('ownerId'), revokedAt: d('revokedAt') },
    template:
      'Keygate: key <keyId> (owner <ownerId>) was reported as leaked and was revoked at <revokedAt>; every request with it is refused. ' +
      'Issue a replacement (keygate create-key) and review its use: keygate audit --key <keyId>',
  },
  anomaly(
    'requestSpike',
    'AnomalyRequestSpike',
    { keyId: d('keyId'), requests: d('observed.requests'), baseline: d('observed.baselineHourlyMean') },
    'Keygate usage anomaly (request spike): key <keyId> made <requests> requests in the hour from <hour>, ' +
      'against a mean of <baseline> per hour before. History: keygate usage <keyId> --history 7d',
  ),
  anomaly(
    'errorRate',
    'AnomalyErrorRate',
    { keyId: d('keyId'), requests: d('observed.requests'), errors: d('observed.errors'), errorRate: d('observed.errorRate') },
    'Keygate usage anomaly (error rate): key <keyId> got <errors> errors in <requests> requests (rate <errorRate>) ' +
      'in the hour from <hour>. History: keygate usage <keyId> --history 7d',
  ),
  anomaly(
    'failedAuth',
    'AnomalyFailedAuth',
    { sourceIp: d('sourceIp'), failures: d('observed.failures') },
    'Keygate usage anomaly (failed authentication): source IP <sourceIp> made <failures> requests that were refused ' +
      '(unknown key or IP not allowed) in the hour from <hour>.',
  ),
  anomaly(
    'quotaProjection',
    'AnomalyQuotaProjection',
    {
      keyId: d('keyId'),
      ownerId: d('ownerId'),
      quota: d('quota'),
      used: d('observed.used'),
      limit: d('threshold.limit'),
      projected: d('observed.projected'),
      hoursLeft: d('observed.hoursLeft'),
    },
    'Keygate usage anomaly (quota projection): key <keyId> (owner <ownerId>) has used <used> of its <quota> quota of <limit>; ' +
      'at the rate of the hour from <hour> it would reach <projected> before the quota resets in <hoursLeft> hours.',
  ),
];

/** Every NotificationMessage for one event type (several for `keygate.usage.anomaly`). */
export function notificationMessagesFor(eventType: string): NotificationMessage[] {
  return NOTIFICATION_MESSAGES.filter((m) => m.eventType === eventType);
}

/** The input template EventBridge takes: the text as a JSON string. */
export function inputTemplate(message: NotificationMessage): string {
  return JSON.stringify(message.template);
}

/** The `<variable>` names a template uses, in order of first use. */
export function templateVariables(template: string): string[] {
  return [...new Set([...template.matchAll(/<([A-Za-z][A-Za-z0-9_]*)>/g)].map((m) => m[1]!))];
}

/** The value at a `$.a.b` path, or undefined. */
function valueAt(event: unknown, path: string): unknown {
  let v: unknown = event;
  for (const part of path.replace(/^\$\.?/, '').split('.')) {
    if (part === '') continue;
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/**
 * The text the topic receives for an event, filled the way EventBridge fills an input template:
 * a string value goes in as is (not escaped), any other value as its JSON text, a missing path as
 * nothing. `event` is the EventBridge event (`{ 'detail-type', source, detail, … }`).
 * The JSON string EventBridge sends is decoded, so this is the text a reader sees (docs/notifications.md
 * notes the quotes an email may show around it).
 */
export function renderNotification(message: NotificationMessage, event: unknown): string {
  const filled = inputTemplate(message).replace(/<([A-Za-z][A-Za-z0-9_]*)>/g, (whole, name: string) => {
    const path = message.paths[name];
    if (path === undefined) return whole;
    const value = valueAt(event, path);
    if (value === undefined) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
  return JSON.parse(filled) as string;
}

/** Whether a message's extra detail match (if any) accepts this detail. */
export function matchesDetail(message: NotificationMessage, detail: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(message.detail ?? {}).every(([field, values]) => values.includes(String(detail[field])));
}

/** Sanity of the definitions themselves; the unit tests run it, and lib/notifications.ts at synth. */
export function checkNotificationMessages(messages: readonly NotificationMessage[] = NOTIFICATION_MESSAGES): void {
  const ids = new Set<string>();
  for (const m of messages) {
    if (!/^[A-Z][A-Za-z0-9]*$/.test(m.id) || ids.has(m.id)) throw new Error(`notification message id ${JSON.stringify(m.id)} must be unique PascalCase`);
    ids.add(m.id);
    if (/["\\]/.test(m.template)) throw new Error(`${m.id}: a template may not hold " or \\`);
    const used = templateVariables(m.template);
    const defined = Object.keys(m.paths);
    const unused = defined.filter((v) => !used.includes(v));
    const undefinedVars = used.filter((v) => !defined.includes(v));
    if (unused.length || undefinedVars.length) throw new Error(`${m.id}: variables without a path ${JSON.stringify(undefinedVars)}, paths not used ${JSON.stringify(unused)}`);
    for (const [v, path] of Object.entries(m.paths)) {
      if (v.startsWith('aws.')) throw new Error(`${m.id}: ${v} is a reserved EventBridge variable`);
      if (!/^\$\.detail\.[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/.test(path)) throw new Error(`${m.id}: path ${path} must be $.detail.<field>`);
    }
  }
  for (const type of WEBHOOK_EVENT_TYPES) {
    if (!messages.some((m) => m.eventType === type)) throw new Error(`no notification message for ${type}`);
  }
  for (const rule of ANOMALY_RULES) {
    if (!messages.some((m) => m.eventType === ANOMALY_EVENT_TYPE && m.detail?.rule?.includes(rule))) throw new Error(`no notification message for anomaly rule ${rule}`);
  }
}

// --- email subscriptions ----------------------------------------------------------------------

/** The setting that subscribes email addresses to the notifications topic. */
export const NOTIFICATION_EMAILS_SETTING = 'keygate:notificationEmails';
/** More addresses than this belong on a mailing list, not as separate subscriptions. */
export const MAX_NOTIFICATION_EMAILS = 10;

// A pragmatic address check (no quoted local parts, no IP literals): what SNS will mail, and no
// character that could smuggle a second address or a header.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * `keygate:notificationEmails`: a JSON array of email addresses (none by default). A string is
 * parsed as JSON, as `-c keygate:notificationEmails='["ops@example.com"]'` arrives as text.
 * Duplicates (ignoring case) are dropped; anything else wrong throws naming the setting.
 */
export function parseNotificationEmails(raw: unknown, source: string = NOTIFICATION_EMAILS_SETTING): readonly string[] {
  if (raw === undefined || raw === null) return [];
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new ConfigError(`${source} must be a JSON array of email addresses such as ["ops@example.com"] (got ${JSON.stringify(raw)})`);
    }
  }
  if (!Array.isArray(value)) throw new ConfigError(`${source} must be an array of email addresses such as ["ops@example.com"] (got ${JSON.stringify(raw)})`);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const [i, address] of value.entries()) {
    if (typeof address !== 'string' || address.length > 254 || !EMAIL.test(address)) {
      throw new ConfigError(`${source}[${i}] must be an email address (got ${JSON.stringify(address)})`);
    }
    const key = address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(address);
  }
  if (out.length > MAX_NOTIFICATION_EMAILS) throw new ConfigError(`${source} takes at most ${MAX_NOTIFICATION_EMAILS} addresses (got ${out.length}); use a mailing list`);
  return Object.freeze(out);
}
