import { describe, expect, it } from 'vitest';
import { formatUsage } from '../../cli/format';
import { planBootstrap, UsageError } from '../../cli/main';

describe('keygate usage output', () => {
  it('prints one row per limit that applies', () => {
    const text = formatUsage({
      keyId: 'key_X',
      rateLimit: { limit: 10, used: 3, remaining: 7, resetAt: '2030-01-01T00:01:00.000Z', windowSeconds: 60, windowStart: '2030-01-01T00:00:00.000Z', policy: 'sliding' },
      quota: { daily: { limit: 100, used: 3, remaining: 97, resetAt: '2030-01-02T00:00:00.000Z' }, monthly: null },
    });
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^rate\s+per 60s \(sliding\)\s+3\s+7\s+10\s+2030-01-01T00:01:00.000Z$/);
    expect(lines[2]).toMatch(/^daily\s+UTC day\s+3\s+97\s+100\s+2030-01-02T00:00:00.000Z$/);
  });

  it('says so when no limit applies', () => {
    expect(formatUsage({ keyId: 'key_X', rateLimit: null, quota: { daily: null, monthly: null } })).toBe('key_X: no rate limit or quota applies');
  });
});

describe('bootstrap --aws --key-prefix', () => {
  it('passes the deployment key prefix through', () => {
    const plan = planBootstrap({ aws: true, tableName: 't', kmsKeyId: 'arn:k', keyPrefix: 'acme' }, {}, '/tmp');
    expect(plan).toMatchObject({ kind: 'aws', keyPrefix: 'acme' });
  });

  it('rejects --key-prefix without --aws', () => {
    expect(() => planBootstrap({ keyPrefix: 'acme' }, {}, '/tmp')).toThrow(UsageError);
  });
});
