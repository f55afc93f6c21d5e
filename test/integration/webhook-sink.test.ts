/**
 * The webhook sink (adapters/webhook-sink.ts) against a real HTTP receiver on 127.0.0.1 that
 * verifies each request with core/webhook-signature.ts `verify`; the local forwarding sink and
 * the local secret (adapters/webhook-forwarding-sink.ts, adapters/local-webhook.ts).
 * Backoff pauses go through an injected sleep that records them: nothing waits on the clock.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileEventSink } from '../../adapters/file-event-sink';
import { localWebhookSecret, webhookSecretPath, withLocalWebhook } from '../../adapters/local-webhook';
import { WebhookForwardingSink } from '../../adapters/webhook-forwarding-sink';
import { WebhookDeliveryError, WebhookSink, type WebhookSinkOptions } from '../../adapters/webhook-sink';
import type { Logger, LogLevel } from '../../core/ports';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const SECRET = 'whsec_integration_test_secret';
const receivers: WebhookReceiver[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function receiver(answers?: (number | 'hang')[], extra: { retryAfter?: string } = {}): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver({ secret: SECRET, ...(answers ? { answers } : {}), ...extra });
  receivers.push(r);
  return r;
}

function recordingLogger(): Logger & { lines: { level: LogLevel; message: string; fields?: Readonly<Record<string, unknown>> }[] } {
  const lines: { level: LogLevel; message: string; fields?: Readonly<Record<string, unknown>> }[] = [];
  return { lines, log: (level, message, fields) => void lines.push({ level, message, ...(fields ? { fields } : {}) }) };
}

function sinkFor(url: string, opts: Partial<WebhookSinkOptions> = {}) {
  const pauses: number[] = [];
  const sink = new WebhookSink({ url, secret: SECRET, sleep: async (ms) => void pauses.push(ms), newId: () => 'evt_fixed', ...opts });
  return { sink, pauses };
}

const expiring = {
  type: 'keygate.key.expiring',
  keyId: 'key_1',
  ownerId: 'acme',
  name: 'billing',
  thresholdDays: 7,
  expiresAt: '2030-01-08T00:00:00.000Z',
  time: '2030-01-01T00:00:00.000Z',
};

function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-webhook-'));
  dirs.push(dir);
  return dir;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('WebhookSink', () => {
  it('POSTs the event as JSON, signed so the receiver verifies it, with its id and type', async () => {
    // Prepare
    const r = await receiver([204]);
    const { sink } = sinkFor(r.url);

    // Act
    await sink.publish(expiring);

    // Assess
    expect(r.received).toHaveLength(1);
    const got = r.received[0]!;
    expect(got.verified.kind).toBe('ok');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['keygate-event-id']).toBe('evt_fixed');
    expect(got.headers['keygate-event-type']).toBe('keygate.key.expiring');
    const { type: _type, ...detail } = expiring;
    expect(JSON.parse(got.body)).toEqual({ id: 'evt_fixed', type: 'keygate.key.expiring', time: expiring.time, detail });
  });

  it('retries after a 500 and succeeds on the 200, with the same event id and a fresh signature', async () => {
    // Prepare
    const r = await receiver([500, 200]);
    let nowMs = 1_900_000_000_000;
    const { sink, pauses } = sinkFor(r.url, { now: () => (nowMs += 7000), backoffMs: 250 });
    const t0 = Math.floor(nowMs / 1000);

    // Act
    const result = await sink.deliver({ id: 'evt_r', type: 'keygate.quota.warning', time: 'x', detail: {} });

    // Assess
    expect(result).toEqual({ status: 200, attempts: 2 });
    expect(r.received).toHaveLength(2);
    expect(r.received.map((q) => q.headers['keygate-event-id'])).toEqual(['evt_r', 'evt_r']);
    expect(r.received[0]!.body).toBe(r.received[1]!.body);
    const ts = r.received.map((q) => /t=(\d+)/.exec(String(q.headers['keygate-signature']))![1]);
    expect(ts).toEqual([String(t0 + 7), String(t0 + 14)]);
    expect(pauses).toEqual([250]);
  });

  it('retries a 429 and waits at least its Retry-After (capped by maxBackoffMs)', async () => {
    const r = await receiver([429, 429, 200], { retryAfter: '3' });
    const { sink, pauses } = sinkFor(r.url, { backoffMs: 100, maxBackoffMs: 5000 });

    await sink.publish(expiring);

    expect(r.received).toHaveLength(3);
    expect(pauses).toEqual([3000, 3000]);
  });

  it('does not retry a 400 and says it is not retryable', async () => {
    const r = await receiver([400, 200]);
    const { sink, pauses } = sinkFor(r.url);

    const err = await sink.publish(expiring).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(WebhookDeliveryError);
    expect(err).toMatchObject({ retryable: false, status: 400, attempts: 1 });
    expect(r.received).toHaveLength(1);
    expect(pauses).toEqual([]);
  });

  it('does not follow a redirect (the signed body goes only to the configured URL)', async () => {
    const r = await receiver([302]);
    const { sink } = sinkFor(r.url);

    const err = await sink.publish(expiring).catch((e: unknown) => e);

    expect(err).toMatchObject({ name: 'WebhookDeliveryError', retryable: false, status: 302 });
    expect(r.received).toHaveLength(1);
  });

  it('gives up after maxAttempts of 5xx, backing off exponentially up to the cap', async () => {
    const r = await receiver([503]);
    const { sink, pauses } = sinkFor(r.url, { maxAttempts: 5, backoffMs: 500, maxBackoffMs: 1500 });

    const err = await sink.publish(expiring).catch((e: unknown) => e);

    expect(err).toMatchObject({ retryable: true, status: 503, attempts: 5 });
    expect((err as Error).message).toMatch(/answered 503 after 5 attempts/);
    expect(r.received).toHaveLength(5);
    expect(r.received.every((q) => q.verified.kind === 'ok')).toBe(true);
    expect(pauses).toEqual([500, 1000, 1500, 1500]);
  });

  it('retries when nothing listens, and reports the network error by code', async () => {
    const port = await closedPort();
    const { sink, pauses } = sinkFor(`http://127.0.0.1:${port}/hook`, { maxAttempts: 3 });

    const err = await sink.publish(expiring).catch((e: unknown) => e);

    expect(err).toMatchObject({ retryable: true, attempts: 3 });
    expect((err as Error).message).toMatch(/did not answer \(ECONNREFUSED\) after 3 attempts/);
    expect(pauses).toHaveLength(2);
  });

  it('aborts an attempt the receiver does not answer and retries it', async () => {
    const r = await receiver(['hang', 200]);
    const log = recordingLogger();
    const { sink } = sinkFor(r.url, { attemptTimeoutMs: 200, logger: log });

    const result = await sink.deliver({ id: 'evt_t', type: 'keygate.key.expired', time: 'x', detail: {} });

    expect(result).toEqual({ status: 200, attempts: 2 });
    expect(log.lines.find((l) => l.message === 'webhook attempt failed')?.fields).toMatchObject({ attempt: 1, error: 'timeout' });
  });

  it('never logs the secret, the body or the URL beyond its origin', async () => {
    // Prepare: a receiver that fails every time, so every log line is written
    const r = await receiver([500]);
    const log = recordingLogger();
    const { sink } = sinkFor(r.url, { maxAttempts: 2, logger: log });

    // Act
    const err = await sink.publish(expiring).catch((e: unknown) => e);

    // Assess
    const text = JSON.stringify(log.lines) + String((err as Error).message);
    expect(log.lines.length).toBeGreaterThanOrEqual(2);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('billing');
    expect(text).not.toContain('receiver-side');
    expect(text).toContain(new URL(r.url).origin);
  });

  it('takes the secret from a getter (the Lambda reads it from Secrets Manager)', async () => {
    const r = await receiver([200]);
    const sink = new WebhookSink({ url: r.url, secret: async () => SECRET });

    await sink.publish(expiring);

    expect(r.received[0]!.verified.kind).toBe('ok');
  });

  it('refuses a URL that is not http(s) without echoing it', () => {
    expect(() => new WebhookSink({ url: 'ftp://h/x?token=abc', secret: SECRET })).toThrow('webhook URL must be http(s)');
    expect(() => new WebhookSink({ url: 'not a url token=abc', secret: SECRET })).toThrow('webhook URL is not a URL');
  });
});

describe('WebhookForwardingSink', () => {
  it('writes every event to the file and sends only the notification events to the webhook', async () => {
    // Prepare
    const r = await receiver([200]);
    const file = join(tempHome(), 'events.ndjson');
    const sink = new WebhookForwardingSink(new FileEventSink(file), new WebhookSink({ url: r.url, secret: SECRET }));
    const events = [
      expiring,
      { type: 'keygate.audit.key.created', keyId: 'key_1' },
      { type: 'keygate.quota.warning', keyId: 'key_1', quota: 'daily' },
      { type: 'keygate.key.leaked', keyId: 'key_2' },
    ];

    // Act
    for (const e of events) await sink.publish(e);
    expect(await sink.flush()).toBe(true);

    // Assess
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(events.map((e) => e.type));
    expect(r.received.map((q) => q.headers['keygate-event-type'])).toEqual(['keygate.key.expiring', 'keygate.quota.warning', 'keygate.key.leaked']);
    expect(r.received.every((q) => q.verified.kind === 'ok')).toBe(true);
  });

  it('does not fail or delay the publish when the webhook fails; logs the failure', async () => {
    // Prepare: a receiver that holds the first attempt, then refuses
    const r = await receiver(['hang', 400]);
    const file = join(tempHome(), 'events.ndjson');
    const log = recordingLogger();
    const sink = new WebhookForwardingSink(new FileEventSink(file), new WebhookSink({ url: r.url, secret: SECRET, attemptTimeoutMs: 300, sleep: async () => {} }), { logger: log });

    // Act: the publish resolves while the first attempt is still held by the receiver
    await sink.publish(expiring);
    await r.waitFor(1);
    expect(readFileSync(file, 'utf8')).toContain('keygate.key.expiring');
    expect(log.lines.some((l) => l.message === 'webhook delivery failed')).toBe(false);
    await sink.flush();

    // Assess
    expect(r.received).toHaveLength(2);
    const failed = log.lines.find((l) => l.message === 'webhook delivery failed');
    expect(failed?.level).toBe('error');
    expect(failed?.fields).toMatchObject({ eventType: 'keygate.key.expiring' });
  });
});

describe('local webhook settings', () => {
  it('returns the file sink itself when KEYGATE_WEBHOOK_URL is not set', () => {
    const primary = new FileEventSink(join(tempHome(), 'events.ndjson'));
    expect(withLocalWebhook(primary, { home: tempHome(), env: {} })).toBe(primary);
  });

  it('generates the secret once into <home>/webhook.secret (0600) and reuses it', async () => {
    // Prepare
    const home = tempHome();
    const log = recordingLogger();

    // Act
    const first = localWebhookSecret(home, {}, log);
    const second = localWebhookSecret(home, {}, log);

    // Assess
    expect(first).toEqual({ secret: second.secret, source: webhookSecretPath(home) });
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(webhookSecretPath(home)).mode & 0o777).toBe(0o600);
    expect(log.lines.filter((l) => l.message === 'webhook signing secret generated')).toHaveLength(1);
    expect(JSON.stringify(log.lines)).not.toContain(first.secret);
  });

  it('takes KEYGATE_WEBHOOK_SECRET over the file, and delivers signed with it', async () => {
    // Prepare
    const r = await receiver([200]);
    const home = tempHome();
    const sink = withLocalWebhook(new FileEventSink(join(home, 'events.ndjson')), {
      home,
      env: { KEYGATE_WEBHOOK_URL: r.url, KEYGATE_WEBHOOK_SECRET: SECRET },
    });

    // Act
    await sink.publish(expiring);
    await sink.flush?.();

    // Assess
    expect(r.received[0]!.verified.kind).toBe('ok');
    expect(() => statSync(webhookSecretPath(home))).toThrow();
  });
});
