/**
 * The "done when" of expiry notifications on the local stack: a key created through the API to
 * expire in 2 days yields exactly one `keygate.key.expiring` (the 7-day threshold) in
 * `<home>/events.ndjson`, and later scans add none; the notification is in the audit log.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_EXPIRED_EVENT, KEY_EXPIRING_EVENT } from '../../core/expiry-scan';
import { startTestStack, type TestStack } from '../support/local';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let stack: TestStack;
let receiver: WebhookReceiver;
const SECRET = 'whsec-test-expiry-0123456789abcdef';

const notices = (): Json[] =>
  readFileSync(join(stack.home, 'events.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Json)
    .filter((e) => e.type === KEY_EXPIRING_EVENT || e.type === KEY_EXPIRED_EVENT);

beforeAll(async () => {
  receiver = await startWebhookReceiver({ secret: SECRET });
  stack = await startTestStack({ webhook: { url: receiver.url, secret: SECRET } });
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

describe('expiry notifications on the local stack', () => {
  it('sends one keygate.key.expiring at the 7-day threshold for a key expiring in 2 days, and nothing on later scans', async () => {
    // Prepare
    const res = await stack.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: JSON.stringify({ name: 'soon', scopes: ['echo:read'], expiresInDays: 2 }) });
    expect(res.status).toBe(201);
    const key = (await res.json()) as Json;
    // Act
    const first = await stack.expiry.runNow();
    await stack.expiry.runNow();
    await stack.expiry.runNow();
    // Assess
    const mine = notices().filter((e) => e.keyId === key.id);
    expect(mine).toEqual([{ type: KEY_EXPIRING_EVENT, keyId: key.id, ownerId: key.ownerId, name: 'soon', threshold: 7, expiresAt: key.expiresAt }]);
    expect(first.published.length + first.alreadySent).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(mine)).not.toContain(key.key);

    // The same single notice reached the webhook, signed.
    expect(await stack.flushEvents(10_000)).toBe(true);
    const hooks = receiver.received.map((r) => ({ verified: r.verified, body: JSON.parse(r.body) as Json })).filter((r) => r.body.detail?.keyId === key.id);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ verified: { kind: 'ok' }, body: { type: KEY_EXPIRING_EVENT, detail: { keyId: key.id, threshold: 7, expiresAt: key.expiresAt } } });

    const audit = await stack.call(`/v1/audit?keyId=${key.id}&action=key.expiring_notified`, { key: stack.adminKey });
    expect(audit.status).toBe(200);
    const entries = ((await audit.json()) as Json).items as Json[];
    expect(entries.map((e) => [e.action, e.actor.type, e.target.keyId])).toEqual([['key.expiring_notified', 'system', key.id]]);
  });
});
