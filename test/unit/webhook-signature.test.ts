/**
 * The webhook signature (core/webhook-signature.ts): the header format, a vector computed outside
 * this code (Python's hmac and `openssl dgst -sha256 -hmac`), and every way verify() refuses.
 */
import { describe, expect, it } from 'vitest';
import { KEY_LEAKED_EVENT } from '../../core/leak-response';
import { ANOMALY_EVENT_TYPE } from '../../core/usage-anomalies';
import {
  DEFAULT_TOLERANCE_SECONDS,
  isWebhookEvent,
  sign,
  verify,
  WEBHOOK_EVENT_TYPES,
  webhookBody,
} from '../../core/webhook-signature';

const SECRET = 'whsec_test';
const T = 1_700_000_000;
const BODY = webhookBody({ id: 'evt_1', type: 'keygate.key.expiring', time: '2023-11-14T22:13:20.000Z', detail: { keyId: 'k1' } });

describe('sign', () => {
  it('matches a vector computed with Python hmac and openssl over "<t>.<body>"', () => {
    // Prepare: printf '%s' '1700000000.<BODY>' | openssl dgst -sha256 -hmac whsec_test
    const expected = '0101a19b5efe28a246c44c0865f233234d6aac90f2866d2c05d66f2007a4a368';
    expect(BODY).toBe('{"id":"evt_1","type":"keygate.key.expiring","time":"2023-11-14T22:13:20.000Z","detail":{"keyId":"k1"}}');

    // Act
    const header = sign(SECRET, BODY, T);

    // Assess
    expect(header).toBe(`t=1700000000,v1=${expected}`);
  });

  it('rejects an empty secret and a timestamp that is not whole unix seconds', () => {
    expect(() => sign('', BODY, T)).toThrow(/secret/);
    expect(() => sign(SECRET, BODY, 1.5)).toThrow(/unix seconds/);
    expect(() => sign(SECRET, BODY, -1)).toThrow(/unix seconds/);
  });
});

describe('verify', () => {
  const header = sign(SECRET, BODY, T);

  it('accepts the body as signed, at the signing time and at either edge of the tolerance', () => {
    expect(verify(SECRET, BODY, header, T)).toEqual({ kind: 'ok', timestamp: T });
    expect(verify(SECRET, BODY, header, T + DEFAULT_TOLERANCE_SECONDS).kind).toBe('ok');
    expect(verify(SECRET, BODY, header, T - DEFAULT_TOLERANCE_SECONDS).kind).toBe('ok');
  });

  it('rejects a signature older or newer than the tolerance as stale', () => {
    expect(DEFAULT_TOLERANCE_SECONDS).toBe(300);
    expect(verify(SECRET, BODY, header, T + 301)).toEqual({ kind: 'stale', timestamp: T, ageSeconds: 301 });
    expect(verify(SECRET, BODY, header, T - 301)).toEqual({ kind: 'stale', timestamp: T, ageSeconds: -301 });
    expect(verify(SECRET, BODY, header, T + 60, 30).kind).toBe('stale');
  });

  it('rejects a tampered body', () => {
    const tampered = BODY.replace('"k1"', '"k2"');
    expect(verify(SECRET, tampered, header, T)).toEqual({ kind: 'mismatch', timestamp: T });
    expect(verify(SECRET, BODY + ' ', header, T).kind).toBe('mismatch');
  });

  it('rejects a signature made with another secret', () => {
    expect(verify('whsec_other', BODY, header, T).kind).toBe('mismatch');
    expect(verify(SECRET, BODY, sign('whsec_other', BODY, T), T).kind).toBe('mismatch');
  });

  it('rejects a timestamp moved after signing (t is inside the MAC)', () => {
    const moved = header.replace(`t=${T}`, `t=${T + 10}`);
    expect(verify(SECRET, BODY, moved, T + 10).kind).toBe('mismatch');
  });

  it('accepts any matching v1 among several (secret switch-over) and ignores unknown schemes', () => {
    const v1 = header.split('v1=')[1]!;
    const wrong = sign('whsec_old', BODY, T).split('v1=')[1]!;
    expect(verify(SECRET, BODY, `t=${T},v1=${wrong},v1=${v1}`, T).kind).toBe('ok');
    expect(verify(SECRET, BODY, `t=${T}, v2=abc, v1=${v1}`, T).kind).toBe('ok');
    expect(verify(SECRET, BODY, `t=${T},v1=${wrong},v1=${wrong}`, T).kind).toBe('mismatch');
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['no t', `v1=${'a'.repeat(64)}`],
    ['no v1', `t=${T}`],
    ['two t', `t=${T},t=${T},v1=${'a'.repeat(64)}`],
    ['a t that is not seconds', `t=17e8,v1=${'a'.repeat(64)}`],
    ['a negative t', `t=-5,v1=${'a'.repeat(64)}`],
    ['a short v1', `t=${T},v1=abcd`],
    ['an uppercase v1', `t=${T},v1=${'A'.repeat(64)}`],
    ['a part without =', `t=${T},v1`],
    ['an oversized header', `t=${T},v1=${'a'.repeat(64)},x=${'y'.repeat(5000)}`],
  ])('rejects a malformed header: %s', (_name, bad) => {
    const outcome = verify(SECRET, BODY, bad, T);
    expect(outcome.kind).toBe('malformed');
  });
});

describe('webhook events', () => {
  it('are the notification events, and no audit event', () => {
    expect([...WEBHOOK_EVENT_TYPES].sort()).toEqual(
      ['keygate.key.expired', 'keygate.key.expiring', 'keygate.key.leaked', 'keygate.quota.warning', 'keygate.usage.anomaly'].sort(),
    );
    expect(isWebhookEvent(KEY_LEAKED_EVENT)).toBe(true);
    expect(isWebhookEvent(ANOMALY_EVENT_TYPE)).toBe(true);
    expect(isWebhookEvent('keygate.audit.key.created')).toBe(false);
    expect(isWebhookEvent('keygate.key.expiring.extra')).toBe(false);
  });

  it('body keeps id, type, time, detail in that order and nothing else', () => {
    const body = webhookBody({ id: 'a', type: 'keygate.quota.warning', time: 't', detail: { n: 1 }, extra: 1 } as never);
    expect(body).toBe('{"id":"a","type":"keygate.quota.warning","time":"t","detail":{"n":1}}');
  });
});
