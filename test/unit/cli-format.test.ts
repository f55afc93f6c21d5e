import { describe, expect, it } from 'vitest';
import { KeygateProblemError as ApiError, parseProblem, routePath, type KeyView } from '../../packages/client/src/index';
import {
  formatApiError,
  formatKeyTable,
  formatQuota,
  formatRateLimit,
  formatRecord,
  formatScopeTable,
  formatSecret,
  formatWhoami,
  renderTable,
  SECRET_WARNING,
} from '../../cli/format';

const key: KeyView = {
  id: 'key_01',
  ownerId: 'acme',
  name: 'billing',
  environment: 'live',
  start: 'kg_live_AbCd',
  scopes: ['keys:read', 'echo:read'],
  status: 'active',
  createdAt: '2025-01-01T00:00:00.000Z',
  createdBy: 'key_admin',
  updatedAt: '2025-01-02T00:00:00.000Z',
};

describe('renderTable', () => {
  it('pads every column to its widest cell and trims line ends', () => {
    expect(
      renderTable(
        ['A', 'BB'],
        [
          ['xxx', 'y'],
          ['z', ''],
        ],
      ),
    ).toBe('A    BB\nxxx  y\nz\n');
  });
});

describe('formatKeyTable', () => {
  it('lists id, name, owner, status, scopes, rate limit with its policy, start, expiry and creation per key', () => {
    const other: KeyView = { ...key, id: 'key_02', name: 'ci', scopes: [], status: 'revoked', expiresAt: '2026-01-01T00:00:00.000Z', rateLimit: { limit: 10, windowSeconds: 1, policy: 'tokenBucket', burst: 50 } };
    expect(formatKeyTable([key, other])).toBe(
      [
        'ID      NAME     OWNER  STATUS   SCOPES               RATE LIMIT                         START         EXPIRES                   CREATED',
        'key_01  billing  acme   active   keys:read,echo:read  -                                  kg_live_AbCd  never                     2025-01-01T00:00:00.000Z',
        'key_02  ci       acme   revoked  -                    10 per 1s (tokenBucket, burst 50)  kg_live_AbCd  2026-01-01T00:00:00.000Z  2025-01-01T00:00:00.000Z',
        '',
      ].join('\n'),
    );
  });

  it('says so when there are no keys', () => {
    expect(formatKeyTable([])).toBe('No keys.\n');
  });
});

describe('formatRecord', () => {
  it('shows known fields in a fixed order with readable limits, and leaves out absent ones', () => {
    const record = {
      ...key,
      rateLimit: { limit: 100, windowSeconds: 60 },
      quota: { daily: 1000, monthly: 20000 },
      allowedIps: ['10.0.0.0/8', '192.168.1.1/32'],
      metadata: { team: 'billing' },
      lastUsedAt: null,
    };
    expect(formatRecord(record)).toBe(
      [
        'id           key_01',
        'name         billing',
        'owner        acme',
        'environment  live',
        'status       active',
        'start        kg_live_AbCd',
        'scopes       keys:read,echo:read',
        'rate limit   100 per 60s (fixed)',
        'quota        1000/day, 20000/month',
        'allowed IPs  10.0.0.0/8, 192.168.1.1/32',
        'metadata     {"team":"billing"}',
        'created      2025-01-01T00:00:00.000Z',
        'created by   key_admin',
        'updated      2025-01-02T00:00:00.000Z',
        '',
      ].join('\n'),
    );
  });

  it('never renders the plaintext key or the previous-key block inside the record', () => {
    const out = formatRecord({ ...key, key: 'kg_live_SECRETSECRET', previous: { id: 'key_00', status: 'active' } });
    expect(out).not.toContain('kg_live_SECRETSECRET');
    expect(out).not.toContain('key_00');
  });

  it('appends fields it does not know after the known ones', () => {
    expect(formatRecord({ id: 'k', region: 'eu-west-1' })).toBe('id      k\nregion  eu-west-1\n');
  });
});

describe('small formatters', () => {
  it('formats limits and quotas, with a dash when absent', () => {
    expect(formatRateLimit({ limit: 5, windowSeconds: 1 })).toBe('5 per 1s (fixed)');
    expect(formatRateLimit({ limit: 5, windowSeconds: 1, policy: 'sliding' })).toBe('5 per 1s (sliding)');
    expect(formatRateLimit({ limit: 5, windowSeconds: 1, policy: 'tokenBucket' })).toBe('5 per 1s (tokenBucket)');
    expect(formatRateLimit({ limit: 5, windowSeconds: 1, policy: 'tokenBucket', burst: 9 })).toBe('5 per 1s (tokenBucket, burst 9)');
    expect(formatRateLimit(null)).toBe('-');
    expect(formatQuota({ monthly: 9 })).toBe('9/month');
    expect(formatQuota({})).toBe('-');
  });

  it('frames the secret and warns that it is shown once', () => {
    expect(formatSecret('kg_live_abc')).toBe(`\n  kg_live_abc\n\n${SECRET_WARNING}\n`);
    expect(SECRET_WARNING).toBe('Store this key now: it is shown once and cannot be recovered.');
  });

  it('lists scopes and the calling key', () => {
    expect(formatScopeTable({ items: [{ name: 'admin', description: 'Full access' }] })).toBe('NAME   DESCRIPTION\nadmin  Full access\n');
    expect(formatWhoami({ keyId: 'key_01', ownerId: 'acme', scopes: ['admin'], expiresAt: null })).toBe(
      'key id   key_01\nowner    acme\nscopes   admin\nexpires  never\n',
    );
  });
});

describe('parseProblem / formatApiError', () => {
  it('reads a problem+json body, field errors included, onto one line', () => {
    const err = parseProblem(
      400,
      'Bad Request',
      JSON.stringify({
        type: 'urn:keygate:problem:validation_failed',
        title: 'Bad Request',
        status: 400,
        code: 'validation_failed',
        detail: 'The request body is invalid.',
        errors: [
          { field: 'name', message: 'is required' },
          { field: 'scopes[0]', message: 'unknown\nscope' },
        ],
        requestId: 'req-1',
      }),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.requestId).toBe('req-1');
    expect(err.retryable).toBe(false);
    expect(formatApiError(err)).toBe('400 validation_failed: The request body is invalid. (name: is required; scopes[0]: unknown scope)');
  });

  it('lists every field error once when the detail already repeats the first (Keygate validation_failed)', () => {
    const err = parseProblem(
      400,
      'Bad Request',
      JSON.stringify({
        status: 400,
        code: 'validation_failed',
        detail: 'name: is required (and 1 more)',
        errors: [
          { field: 'name', message: 'is required' },
          { field: 'quota.daily', message: 'must be from 1 to 1000000000' },
        ],
      }),
    );
    expect(formatApiError(err)).toBe('400 validation_failed: name: is required; quota.daily: must be from 1 to 1000000000');
  });

  it('falls back to the status text for an HTML error page', () => {
    const err = parseProblem(502, 'Bad Gateway', '<html><body>upstream down</body></html>');
    expect(formatApiError(err)).toBe('502 server_error: Bad Gateway');
    expect(err.retryable).toBe(true);
  });

  it('uses a short plain-text body as the detail', () => {
    expect(formatApiError(parseProblem(429, 'Too Many Requests', 'slow down\n'))).toBe('429 http_error: slow down');
  });

  it('fills in a code for JSON without one', () => {
    expect(formatApiError(parseProblem(403, 'Forbidden', '{"message":"Forbidden"}'))).toBe('403 http_error: Forbidden');
  });
});

describe('routePath', () => {
  it('builds paths from the route table, encoding the id', () => {
    expect(routePath('rotateKey', { id: 'key 1/2' })).toEqual({ method: 'POST', path: '/v1/keys/key%201%2F2/rotate', authorized: true });
    expect(routePath('listKeys')).toEqual({ method: 'GET', path: '/v1/keys', authorized: true });
  });

  it('rejects a missing path parameter', () => {
    expect(() => routePath('getKey')).toThrow('needs parameter id');
  });
});
