/**
 * The webhook Lambda handler (lambdas/webhook/handler.ts) with Secrets Manager mocked (no local
 * emulator) and a real HTTP receiver that verifies the signature: the exact GetSecretValue input,
 * one read per container, the body built from the EventBridge event, and a thrown error when the
 * receiver does not take the event (so Lambda's asynchronous retries and the DLQ apply).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebhookInvocation } from '../../lambdas/webhook/handler';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:KeygateWebhookSecret-AbCdEf';
const SECRET = 'generatedBySecretsManager0123456789abcdefghijklmnopqrstuvwxyzABCD';
const sm = mockClient(SecretsManagerClient);
let r: WebhookReceiver | undefined;

beforeEach(() => {
  sm.reset();
  vi.resetModules();
});
afterEach(async () => {
  await r?.close();
  r = undefined;
  vi.unstubAllEnvs();
});

/** A fresh container: the module is imported again, so its cache starts empty. */
async function coldStart(url: string) {
  vi.stubEnv('KEYGATE_WEBHOOK_URL', url);
  vi.stubEnv('KEYGATE_WEBHOOK_SECRET_ARN', SECRET_ARN);
  vi.stubEnv('KEYGATE_LOG_LEVEL', 'error');
  return (await import('../../lambdas/webhook/handler')).handler;
}

const event = (over: Partial<WebhookInvocation> = {}): WebhookInvocation => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'keygate.key.expiring',
  source: 'keygate',
  account: '111122223333',
  time: '2030-01-01T00:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: { keyId: 'key_1', ownerId: 'acme', name: 'billing', thresholdDays: 7, expiresAt: '2030-01-08T00:00:00.000Z' },
  ...over,
});

describe('webhook handler', () => {
  it('reads the secret by ARN, signs the event and POSTs it: id, type and time from EventBridge, detail as is', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    r = await startWebhookReceiver({ secret: SECRET, answers: [200] });
    const handler = await coldStart(r.url);

    // Act
    const result = await handler(event());

    // Assess
    expect(result).toEqual({ status: 200, attempts: 1 });
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET_ARN }]);
    const got = r.received[0]!;
    expect(got.verified.kind).toBe('ok');
    expect(got.headers['keygate-event-id']).toBe(event().id);
    expect(got.headers['keygate-event-type']).toBe('keygate.key.expiring');
    expect(JSON.parse(got.body)).toEqual({ id: event().id, type: 'keygate.key.expiring', time: '2030-01-01T00:00:00Z', detail: event().detail });
  });

  it('reads the secret once per container, not once per event', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    r = await startWebhookReceiver({ secret: SECRET, answers: [200] });
    const handler = await coldStart(r.url);

    await handler(event());
    await handler(event({ id: 'second', 'detail-type': 'keygate.quota.warning' }));

    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(r.received.map((q) => q.verified.kind)).toEqual(['ok', 'ok']);
  });

  it('throws when the receiver keeps failing after its three in-process attempts', async () => {
    // Prepare: the pauses between attempts are real (500 ms, then 1 s); the test asserts outcomes only
    sm.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    r = await startWebhookReceiver({ secret: SECRET, answers: [500, 503, 502, 200] });
    const handler = await coldStart(r.url);

    // Act
    const err = await handler(event()).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ name: 'WebhookDeliveryError', retryable: true, status: 502, attempts: 3 });
    expect(r.received).toHaveLength(3);
    expect(r.received.every((q) => q.verified.kind === 'ok')).toBe(true);
  });

  it('throws at once when the receiver refuses the event with a 4xx', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    r = await startWebhookReceiver({ secret: SECRET, answers: [401, 200] });
    const handler = await coldStart(r.url);

    const err = await handler(event()).catch((e: unknown) => e);

    expect(err).toMatchObject({ name: 'WebhookDeliveryError', retryable: false, status: 401, attempts: 1 });
    expect(r.received).toHaveLength(1);
  });

  it('throws when the secret cannot be read, and reads it again on the next event', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(new Error('AccessDeniedException')).resolves({ SecretString: SECRET });
    r = await startWebhookReceiver({ secret: SECRET, answers: [200] });
    const handler = await coldStart(r.url);

    const err = await handler(event()).catch((e: unknown) => e);
    const second = await handler(event());

    expect(err).toMatchObject({ name: 'DependencyError', retryable: true });
    expect(second).toEqual({ status: 200, attempts: 1 });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(r.received).toHaveLength(1);
  });

  it('skips an event type the webhook does not deliver (an audit event) without calling anything', async () => {
    r = await startWebhookReceiver({ secret: SECRET });
    const handler = await coldStart(r.url);

    const result = await handler(event({ 'detail-type': 'keygate.audit.key.created' }));

    expect(result).toEqual({ skipped: 'keygate.audit.key.created' });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(r.received).toHaveLength(0);
  });

  it('fails the cold start naming a missing variable', async () => {
    vi.stubEnv('KEYGATE_WEBHOOK_URL', '');
    vi.stubEnv('KEYGATE_WEBHOOK_SECRET_ARN', SECRET_ARN);
    await expect(import('../../lambdas/webhook/handler')).rejects.toThrow('KEYGATE_WEBHOOK_URL is not set');
  });
});
