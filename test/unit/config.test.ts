import { describe, expect, it } from 'vitest';
import {
  allScopes,
  ConfigError,
  configFromContext,
  configFromEnv,
  configToEnv,
  DEFAULT_CONFIG,
  type KeygateConfig,
  resolveConfig,
} from '../../core/config';

describe('resolveConfig', () => {
  it('fills every setting with its default', () => {
    expect(resolveConfig({})).toEqual({
      keyPrefix: 'kg',
      scopes: [{ name: 'echo:read', description: 'Call the sample protected route GET /v1/echo.' }],
      cacheTtlSeconds: 10,
      negativeCacheTtlSeconds: 2,
      cacheMaxEntries: 10_000,
      allowQueryKey: false,
      defaultRateLimit: { limit: 1000, windowSeconds: 60 },
      quotaWarningThreshold: 0.8,
      auditRetentionDays: 400,
      keyTemplates: [],
      legacyKeys: false,
      hotKeyThreshold: 500,
    });
    expect(resolveConfig({})).toEqual(DEFAULT_CONFIG);
  });

  it('keeps valid settings', () => {
    const c = resolveConfig({
      keyPrefix: 'acme1',
      scopes: [{ name: 'orders:read', description: 'Read orders' }],
      cacheTtlSeconds: 30,
      negativeCacheTtlSeconds: 5,
      cacheMaxEntries: 50,
      allowQueryKey: true,
      defaultRateLimit: { limit: 1000, windowSeconds: 60 },
      quotaWarningThreshold: 0.8,
      auditRetentionDays: 90,
    });
    expect(c).toEqual({
      keyPrefix: 'acme1',
      scopes: [{ name: 'orders:read', description: 'Read orders' }],
      cacheTtlSeconds: 30,
      negativeCacheTtlSeconds: 5,
      cacheMaxEntries: 50,
      allowQueryKey: true,
      defaultRateLimit: { limit: 1000, windowSeconds: 60 },
      quotaWarningThreshold: 0.8,
      auditRetentionDays: 90,
      keyTemplates: [],
      legacyKeys: false,
      hotKeyThreshold: 500,
    });
  });

  it('parses integers and booleans given as strings', () => {
    const c = resolveConfig({ cacheTtlSeconds: '60', cacheMaxEntries: '7', allowQueryKey: '1' });
    expect(c.cacheTtlSeconds).toBe(60);
    expect(c.cacheMaxEntries).toBe(7);
    expect(c.allowQueryKey).toBe(true);
    expect(resolveConfig({ allowQueryKey: 'false' }).allowQueryKey).toBe(false);
    expect(resolveConfig({ allowQueryKey: '0' }).allowQueryKey).toBe(false);
  });

  describe('negativeCacheTtlSeconds default', () => {
    it('is min(2, cacheTtlSeconds)', () => {
      expect(resolveConfig({ cacheTtlSeconds: 0 }).negativeCacheTtlSeconds).toBe(0);
      expect(resolveConfig({ cacheTtlSeconds: 1 }).negativeCacheTtlSeconds).toBe(1);
      expect(resolveConfig({ cacheTtlSeconds: 2 }).negativeCacheTtlSeconds).toBe(2);
      expect(resolveConfig({ cacheTtlSeconds: 300 }).negativeCacheTtlSeconds).toBe(2);
    });

    it('is overridden when set explicitly', () => {
      expect(resolveConfig({ cacheTtlSeconds: 0, negativeCacheTtlSeconds: 4 }).negativeCacheTtlSeconds).toBe(4);
    });
  });

  it.each([
    ['an uppercase prefix', 'KG'],
    ['a prefix starting with a digit', '1kg'],
    ['a prefix with an underscore', 'k_g'],
    ['an empty prefix', ''],
    ['a prefix over 16 characters', 'a'.repeat(17)],
    ['a non-string prefix', 42],
  ])('rejects %s', (_what, keyPrefix) => {
    expect(() => resolveConfig({ keyPrefix })).toThrow(ConfigError);
    expect(() => resolveConfig({ keyPrefix })).toThrow(/keyPrefix/);
  });

  it('accepts a 16-character prefix', () => {
    expect(resolveConfig({ keyPrefix: 'a'.repeat(16) }).keyPrefix).toBe('a'.repeat(16));
  });

  it.each([
    ['an uppercase scope name', [{ name: 'Orders:read', description: 'x' }]],
    ['a scope name with a space', [{ name: 'orders read', description: 'x' }]],
    ['a scope name over 64 characters', [{ name: 'a'.repeat(65), description: 'x' }]],
    ['an empty scope name', [{ name: '', description: 'x' }]],
  ])('rejects %s', (_what, scopes) => {
    expect(() => resolveConfig({ scopes })).toThrow(/invalid scope name/);
  });

  it.each([
    ['scopes that are not an array', { name: 'a', description: 'b' }],
    ['a scope without a description', [{ name: 'orders:read' }]],
    ['a scope that is a string', ['orders:read']],
    ['a null scope', [null]],
  ])('rejects %s', (_what, scopes) => {
    expect(() => resolveConfig({ scopes })).toThrow(ConfigError);
  });

  it.each([
    ['a negative cacheTtlSeconds', { cacheTtlSeconds: -1 }, /cacheTtlSeconds/],
    ['cacheTtlSeconds over an hour', { cacheTtlSeconds: 3601 }, /cacheTtlSeconds/],
    ['a fractional cacheTtlSeconds', { cacheTtlSeconds: 1.5 }, /cacheTtlSeconds/],
    ['a non-numeric cacheTtlSeconds', { cacheTtlSeconds: 'ten' }, /cacheTtlSeconds/],
    ['an empty cacheTtlSeconds', { cacheTtlSeconds: '' }, /cacheTtlSeconds/],
    ['a boolean cacheTtlSeconds', { cacheTtlSeconds: true }, /cacheTtlSeconds/],
    ['a negative negativeCacheTtlSeconds', { negativeCacheTtlSeconds: -1 }, /negativeCacheTtlSeconds/],
    ['a zero cacheMaxEntries', { cacheMaxEntries: 0 }, /cacheMaxEntries/],
    ['a fractional cacheMaxEntries', { cacheMaxEntries: '2.5' }, /cacheMaxEntries/],
    ['an allowQueryKey of "yes"', { allowQueryKey: 'yes' }, /allowQueryKey/],
    ['a numeric allowQueryKey', { allowQueryKey: 1 }, /allowQueryKey/],
  ])('rejects %s', (_what, partial, message) => {
    expect(() => resolveConfig(partial as Partial<Record<keyof KeygateConfig, unknown>>)).toThrow(ConfigError);
    expect(() => resolveConfig(partial as Partial<Record<keyof KeygateConfig, unknown>>)).toThrow(message);
  });
});

describe('configToEnv / configFromEnv', () => {
  it('round-trips a config through environment variables', () => {
    const config = resolveConfig({
      keyPrefix: 'acme',
      scopes: [
        { name: 'orders:read', description: 'Read "orders", with quotes' },
        { name: 'orders:write', description: 'Write orders' },
      ],
      cacheTtlSeconds: 0,
      negativeCacheTtlSeconds: 0,
      cacheMaxEntries: 123,
      allowQueryKey: true,
    });
    const env = configToEnv(config);
    expect(env).toEqual({
      KEYGATE_KEY_PREFIX: 'acme',
      KEYGATE_SCOPES: JSON.stringify(config.scopes),
      KEYGATE_CACHE_TTL_SECONDS: '0',
      KEYGATE_NEGATIVE_CACHE_TTL_SECONDS: '0',
      KEYGATE_CACHE_MAX_ENTRIES: '123',
      KEYGATE_ALLOW_QUERY_KEY: 'true',
      KEYGATE_DEFAULT_RATE_LIMIT: JSON.stringify({ limit: 1000, windowSeconds: 60 }),
      KEYGATE_QUOTA_WARNING_THRESHOLD: '0.8',
      KEYGATE_AUDIT_RETENTION_DAYS: '400',
    });
    expect(configFromEnv(env)).toEqual(config);
  });

  it('round-trips the defaults', () => {
    expect(configFromEnv(configToEnv(DEFAULT_CONFIG))).toEqual(DEFAULT_CONFIG);
  });

  it('reads defaults for unset variables and ignores unrelated ones', () => {
    expect(configFromEnv({ PATH: '/usr/bin', KEYGATE_CACHE_TTL_SECONDS: '1' })).toEqual({ ...DEFAULT_CONFIG, cacheTtlSeconds: 1, negativeCacheTtlSeconds: 1 });
  });

  it('rejects KEYGATE_SCOPES that is not JSON', () => {
    expect(() => configFromEnv({ KEYGATE_SCOPES: '[orders:read' })).toThrow(ConfigError);
    expect(() => configFromEnv({ KEYGATE_SCOPES: '[orders:read' })).toThrow(/KEYGATE_SCOPES/);
  });

  it('rejects an invalid value from the environment', () => {
    expect(() => configFromEnv({ KEYGATE_CACHE_TTL_SECONDS: '-5' })).toThrow(/cacheTtlSeconds/);
  });
});

describe('configFromContext', () => {
  it('reads keygate:* context keys', () => {
    const context: Record<string, unknown> = {
      'keygate:keyPrefix': 'ctx',
      'keygate:scopes': [{ name: 'reports:read', description: 'Read reports' }],
      'keygate:cacheTtlSeconds': 20,
      'keygate:allowQueryKey': true,
      // Not keygate-prefixed: must be ignored.
      cacheMaxEntries: 1,
      keyPrefix: 'nope',
    };
    const asked: string[] = [];
    const c = configFromContext((k) => {
      asked.push(k);
      return context[k];
    });
    expect(c).toEqual({
      keyPrefix: 'ctx',
      scopes: [{ name: 'reports:read', description: 'Read reports' }],
      cacheTtlSeconds: 20,
      negativeCacheTtlSeconds: 2,
      cacheMaxEntries: 10_000,
      allowQueryKey: true,
      defaultRateLimit: { limit: 1000, windowSeconds: 60 },
      quotaWarningThreshold: 0.8,
      auditRetentionDays: 400,
      keyTemplates: [],
      legacyKeys: false,
      hotKeyThreshold: 500,
    });
    expect(asked.sort()).toEqual(Object.keys(DEFAULT_CONFIG).map((k) => `keygate:${k}`).sort());
  });

  it('gives the defaults for an empty context', () => {
    expect(configFromContext(() => undefined)).toEqual(DEFAULT_CONFIG);
  });

  it('rejects an invalid context value', () => {
    expect(() => configFromContext((k) => (k === 'keygate:keyPrefix' ? 'Bad-Prefix' : undefined))).toThrow(ConfigError);
  });
});

describe('allScopes', () => {
  it('adds the built-in scopes, sorted by name, and built-ins win on a clash', () => {
    const c = resolveConfig({ scopes: [{ name: 'admin', description: 'hijacked' }, { name: 'zeta', description: 'z' }] });
    const scopes = allScopes(c);
    expect(scopes.map((s) => s.name)).toEqual(['admin', 'audit:read', 'keys:read', 'keys:verify', 'keys:write', 'usage:read', 'zeta']);
    expect(scopes.find((s) => s.name === 'admin')!.description).not.toBe('hijacked');
  });
});

describe('defaultRateLimit', () => {
  it('accepts null, "none" and a JSON object from the environment', () => {
    expect(resolveConfig({ defaultRateLimit: null }).defaultRateLimit).toBeNull();
    expect(configFromEnv({ KEYGATE_DEFAULT_RATE_LIMIT: 'none' }).defaultRateLimit).toBeNull();
    expect(configFromEnv({ KEYGATE_DEFAULT_RATE_LIMIT: '{"limit":5,"windowSeconds":10}' }).defaultRateLimit).toEqual({ limit: 5, windowSeconds: 10 });
  });

  it('rejects a default rate limit with a window over an hour or a zero limit', () => {
    expect(() => resolveConfig({ defaultRateLimit: { limit: 5, windowSeconds: 3601 } })).toThrow(/defaultRateLimit/);
    expect(() => resolveConfig({ defaultRateLimit: { limit: 0, windowSeconds: 60 } })).toThrow(/defaultRateLimit/);
    expect(() => configFromEnv({ KEYGATE_DEFAULT_RATE_LIMIT: '{bad' })).toThrow(/defaultRateLimit/);
  });

  it.each([
    { limit: 5, windowSeconds: 10, policy: 'fixed' },
    { limit: 5, windowSeconds: 10, policy: 'sliding' },
    { limit: 5, windowSeconds: 10, policy: 'tokenBucket' },
    { limit: 5, windowSeconds: 10, policy: 'tokenBucket', burst: 50 },
  ])('keeps a policy as written and round-trips it through the environment: %j', (defaultRateLimit) => {
    // Act
    const config = resolveConfig({ defaultRateLimit });
    const env = configToEnv(config);

    // Assess
    expect(config.defaultRateLimit).toEqual(defaultRateLimit);
    expect(JSON.parse(env.KEYGATE_DEFAULT_RATE_LIMIT!)).toEqual(defaultRateLimit);
    expect(configFromEnv(env).defaultRateLimit).toEqual(defaultRateLimit);
  });

  it('adds no policy to a default rate limit that names none', () => {
    expect(configFromEnv({ KEYGATE_DEFAULT_RATE_LIMIT: '{"limit":5,"windowSeconds":10}' }).defaultRateLimit).not.toHaveProperty('policy');
  });

  it.each([
    ['an unknown policy', { limit: 5, windowSeconds: 10, policy: 'leaky' }, 'defaultRateLimit.policy must be "fixed", "sliding" or "tokenBucket"'],
    ['a burst with no policy', { limit: 5, windowSeconds: 10, burst: 10 }, 'defaultRateLimit.burst is only allowed with policy "tokenBucket"'],
    ['a burst with policy sliding', { limit: 5, windowSeconds: 10, policy: 'sliding', burst: 10 }, 'defaultRateLimit.burst is only allowed with policy "tokenBucket"'],
    ['a burst of 0', { limit: 5, windowSeconds: 10, policy: 'tokenBucket', burst: 0 }, 'defaultRateLimit.burst must be an integer from 1 to 1000000'],
    ['a burst over the bound', { limit: 5, windowSeconds: 10, policy: 'tokenBucket', burst: 1_000_001 }, 'defaultRateLimit.burst must be an integer from 1 to 1000000'],
    ['an unknown member', { limit: 5, windowSeconds: 10, refill: 1 }, 'defaultRateLimit.refill is not a rate-limit member (limit, windowSeconds, policy, burst)'],
    ['an array', [5, 10], 'defaultRateLimit must be null or {limit: 1..1000000, windowSeconds: 1..3600, policy?: "fixed" | "sliding" | "tokenBucket", burst?: 1..1000000 (tokenBucket only)}'],
  ])('rejects %s, naming the member', (_what, defaultRateLimit, message) => {
    expect(() => resolveConfig({ defaultRateLimit })).toThrow(new ConfigError(message));
  });

  it('rejects a quota warning threshold outside (0, 1]', () => {
    expect(() => resolveConfig({ quotaWarningThreshold: 0 })).toThrow(/quotaWarningThreshold/);
    expect(() => resolveConfig({ quotaWarningThreshold: 1.5 })).toThrow(/quotaWarningThreshold/);
  });
});
