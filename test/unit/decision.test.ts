import { describe, expect, it } from 'vitest';
import { decide, denialDetail, httpStatusFor, type VerificationCode, type VerificationOutcome } from '../../core/decision';
import type { AuthzRecord } from '../../core/records';

const NOW = new Date('2025-06-01T12:00:00.000Z');

function record(overrides: Partial<AuthzRecord> = {}): AuthzRecord {
  return {
    keyId: 'key_01J00000000000000000000000',
    ownerId: 'team-a',
    environment: 'live',
    scopes: ['orders:read'],
    status: 'active',
    ...overrides,
  };
}

// An explicit undefined source IP must reach decide(); a default parameter would replace it.
const input = (r: AuthzRecord | undefined, requiredScopes: readonly string[] = [], ...ip: [string | undefined] | []) => ({
  record: r,
  now: NOW,
  requiredScopes,
  sourceIp: ip.length === 0 ? '203.0.113.7' : ip[0],
});

describe('decide', () => {
  it('returns NOT_FOUND when no record has the hash', () => {
    expect(decide(input(undefined, ['orders:read']))).toEqual({ code: 'NOT_FOUND' });
  });

  it('returns VALID with the record when every check passes', () => {
    const r = record({ allowedIps: ['203.0.113.0/24'], expiresAt: '2025-06-01T12:00:00.001Z' });
    expect(decide(input(r, ['orders:read']))).toEqual({ code: 'VALID', key: r });
  });

  it('returns VALID for a route requiring no scope', () => {
    expect(decide(input(record({ scopes: [] }), [])).code).toBe('VALID');
  });

  it('checks revocation before expiry, IP and scope', () => {
    const r = record({ status: 'revoked', expiresAt: '2020-01-01T00:00:00Z', allowedIps: ['10.0.0.0/8'], scopes: [] });
    expect(decide(input(r, ['orders:write']))).toEqual({ code: 'REVOKED', keyId: r.keyId });
  });

  it('checks expiry before IP and scope', () => {
    const r = record({ expiresAt: '2020-01-01T00:00:00Z', allowedIps: ['10.0.0.0/8'], scopes: [] });
    expect(decide(input(r, ['orders:write']))).toEqual({ code: 'EXPIRED', keyId: r.keyId });
  });

  it('checks the source IP before scopes', () => {
    const r = record({ allowedIps: ['10.0.0.0/8'], scopes: [] });
    expect(decide(input(r, ['orders:write']))).toEqual({ code: 'IP_NOT_ALLOWED', keyId: r.keyId });
  });

  it('rejects a key missing a required scope and lists what is missing', () => {
    const r = record({ scopes: ['orders:read'] });
    expect(decide(input(r, ['orders:read', 'orders:write', 'billing:read']))).toEqual({
      code: 'INSUFFICIENT_SCOPE',
      keyId: r.keyId,
      missing: ['orders:write', 'billing:read'],
    });
  });

  it('lets admin satisfy any scope', () => {
    const r = record({ scopes: ['admin'] });
    expect(decide(input(r, ['orders:write', 'keys:write'])).code).toBe('VALID');
  });

  it('treats a key whose expiresAt equals now as expired, and one a millisecond later as valid', () => {
    expect(decide(input(record({ expiresAt: NOW.toISOString() }))).code).toBe('EXPIRED');
    expect(decide(input(record({ expiresAt: '2025-06-01T12:00:00.001Z' }))).code).toBe('VALID');
  });

  it('compares expiry as an instant, whatever the offset it is written with', () => {
    expect(decide(input(record({ expiresAt: '2025-06-01T13:00:00+01:00' }))).code).toBe('EXPIRED');
    expect(decide(input(record({ expiresAt: '2025-06-01T13:00:01+01:00' }))).code).toBe('VALID');
  });

  it('rejects an IP-restricted key when the source IP is unknown', () => {
    const r = record({ allowedIps: ['0.0.0.0/0'] });
    expect(decide(input(r, [], undefined))).toEqual({ code: 'IP_NOT_ALLOWED', keyId: r.keyId });
  });

  it('allows a key without allowedIps from an unknown source IP', () => {
    expect(decide(input(record(), [], undefined)).code).toBe('VALID');
  });

  it('allows an IPv4-mapped IPv6 source inside an IPv4 allowlist', () => {
    expect(decide(input(record({ allowedIps: ['203.0.113.0/24'] }), [], '::ffff:203.0.113.9')).code).toBe('VALID');
  });
});

describe('httpStatusFor', () => {
  it.each<[VerificationCode, number]>([
    ['VALID', 200],
    ['MISSING', 401],
    ['MALFORMED', 401],
    ['NOT_FOUND', 401],
    ['REVOKED', 401],
    ['EXPIRED', 401],
    ['INSUFFICIENT_SCOPE', 403],
    ['IP_NOT_ALLOWED', 403],
  ])('maps %s to %i', (code, status) => {
    expect(httpStatusFor(code)).toBe(status);
  });
});

describe('denialDetail', () => {
  it('names the missing scopes for INSUFFICIENT_SCOPE', () => {
    expect(denialDetail({ code: 'INSUFFICIENT_SCOPE', keyId: 'k', missing: ['a:b', 'c:d'] })).toEqual({
      code: 'insufficient_scope',
      detail: 'The key lacks the scope(s) this route requires: a:b, c:d.',
    });
  });

  it('explains IP_NOT_ALLOWED', () => {
    expect(denialDetail({ code: 'IP_NOT_ALLOWED', keyId: 'k' })).toEqual({
      code: 'ip_not_allowed',
      detail: 'The key may not be used from this source IP address.',
    });
  });

  it.each<VerificationOutcome>([
    { code: 'MISSING' },
    { code: 'MALFORMED' },
    { code: 'NOT_FOUND' },
    { code: 'REVOKED', keyId: 'key_secret_id' },
    { code: 'EXPIRED', keyId: 'key_secret_id' },
  ])('gives a generic unauthorized detail for $code that does not say why', (outcome) => {
    const d = denialDetail(outcome);
    expect(d).toEqual({ code: 'unauthorized', detail: 'A valid API key is required.' });
    expect(JSON.stringify(d)).not.toContain('key_secret_id');
  });
});
