import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, configToEnv, KEY_TEMPLATES_ENV, resolveConfig } from '../../core/config';
import { KEY_TEMPLATES_MAX } from '../../core/key-templates';
import { ProblemError } from '../../core/problem';
import { authorizerEnvironment, resolveDeployment } from '../../core/settings';
import { LIMITS, parseCreateKey } from '../../core/validation';

const scopes = [
  { name: 'orders:read', description: 'Read orders.' },
  { name: 'orders:write', description: 'Write orders.' },
];
const partner = {
  name: 'partner-readonly',
  description: 'Read-only partner access.',
  scopes: ['orders:read'],
  rateLimit: { limit: 10, windowSeconds: 60 },
  quota: { daily: 1000 },
  expiresInDays: 90,
  environment: 'test',
  allowedIps: ['203.0.113.7'],
};
const withTemplates = (keyTemplates: unknown) => resolveConfig({ scopes, keyTemplates });
const NOW = new Date('2030-01-01T00:00:00Z');

function problemOf(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProblemError) return err;
    throw err;
  }
  throw new Error('expected a ProblemError');
}

describe('keygate:keyTemplates in the config', () => {
  it('keeps a valid template with its addresses normalised', () => {
    // Act
    const config = withTemplates([partner]);
    // Assess
    expect(config.keyTemplates).toEqual([{ ...partner, allowedIps: ['203.0.113.7/32'] }]);
  });

  it('defaults to no templates', () => {
    expect(resolveConfig({}).keyTemplates).toEqual([]);
  });

  it.each([
    ['not an array', { 'partner-readonly': partner }, /keyTemplates must be an array/],
    ['a bad name', [{ ...partner, name: 'Partner Readonly' }], /keyTemplates\[0\]\.name/],
    ['a duplicate name', [partner, partner], /"partner-readonly" is defined twice/],
    ['an unknown field', [{ ...partner, metadata: {} }], /keyTemplates "partner-readonly": metadata is not a template field/],
    ['a scope the deployment lacks', [{ ...partner, scopes: ['orders:delete'] }], /keyTemplates "partner-readonly": scopes names scopes this deployment does not define: orders:delete/],
    ['a rate limit above the bound', [{ ...partner, rateLimit: { limit: LIMITS.rateLimitMax + 1, windowSeconds: 60 } }], /keyTemplates "partner-readonly": rateLimit/],
    ['an unknown rate-limit policy', [{ ...partner, rateLimit: { limit: 10, windowSeconds: 60, policy: 'leaky' } }], /keyTemplates "partner-readonly": rateLimit\.policy must be "fixed", "sliding" or "tokenBucket"/],
    ['a burst without tokenBucket', [{ ...partner, rateLimit: { limit: 10, windowSeconds: 60, policy: 'sliding', burst: 20 } }], /keyTemplates "partner-readonly": rateLimit\.burst is only allowed with policy "tokenBucket"/],
    ['a burst with no policy', [{ ...partner, rateLimit: { limit: 10, windowSeconds: 60, burst: 20 } }], /rateLimit\.burst is only allowed with policy "tokenBucket"/],
    ['a burst of 0', [{ ...partner, rateLimit: { limit: 10, windowSeconds: 60, policy: 'tokenBucket', burst: 0 } }], /rateLimit\.burst must be an integer from 1 to 1000000/],
    ['an unknown rate-limit member', [{ ...partner, rateLimit: { limit: 10, windowSeconds: 60, refill: 1 } }], /rateLimit\.refill is not a rate-limit member/],
    ['a daily quota above the monthly', [{ ...partner, quota: { daily: 10, monthly: 5 } }], /keyTemplates "partner-readonly": quota/],
    ['an expiry past the bound', [{ ...partner, expiresInDays: LIMITS.expiresInDaysMax + 1 }], /keyTemplates "partner-readonly": expiresInDays/],
    ['an unknown environment', [{ ...partner, environment: 'prod' }], /keyTemplates "partner-readonly": environment/],
    ['an invalid address', [{ ...partner, allowedIps: ['300.1.1.1'] }], /keyTemplates "partner-readonly": allowedIps/],
    ['too many templates', Array.from({ length: KEY_TEMPLATES_MAX + 1 }, (_, i) => ({ name: `t${i}`, scopes: [] })), /at most 20 templates/],
    ['templates too big for the environment', Array.from({ length: 20 }, (_, i) => ({ name: `t${i}`, description: 'x'.repeat(200), scopes: [] })), /over 2048/],
  ])('rejects %s', (_what, keyTemplates, message) => {
    // Act / Assess
    expect(() => withTemplates(keyTemplates)).toThrow(ConfigError);
    expect(() => withTemplates(keyTemplates)).toThrow(message);
  });

  it.each([
    { limit: 10, windowSeconds: 60, policy: 'sliding' },
    { limit: 10, windowSeconds: 60, policy: 'tokenBucket' },
    { limit: 10, windowSeconds: 60, policy: 'tokenBucket', burst: 100 },
    { limit: 10, windowSeconds: 60, policy: 'fixed' },
  ])('keeps a template rate limit with its policy as written: %j', (rateLimit) => {
    // Act
    const config = withTemplates([{ ...partner, rateLimit }]);
    // Assess
    expect(config.keyTemplates[0]!.rateLimit).toEqual(rateLimit);
    expect(configFromEnv(configToEnv(config)).keyTemplates[0]!.rateLimit).toEqual(rateLimit);
  });

  it('accepts the built-in management scopes in a template', () => {
    expect(withTemplates([{ name: 'reader', scopes: ['keys:read'] }]).keyTemplates[0]!.scopes).toEqual(['keys:read']);
  });

  it('reads keygate:keyTemplates from the settings against keygate:scopes', () => {
    // Prepare
    const settings: Record<string, unknown> = { 'keygate:scopes': scopes, 'keygate:keyTemplates': [partner] };
    // Act
    const { config } = resolveDeployment((k) => settings[k]);
    // Assess
    expect(config.keyTemplates.map((t) => t.name)).toEqual(['partner-readonly']);
    expect(() => resolveDeployment((k) => ({ ...settings, 'keygate:scopes': [] })[k])).toThrow(/orders:read/);
  });

  it('round-trips through KEYGATE_KEY_TEMPLATES and leaves it out when there are none', () => {
    // Prepare
    const config = withTemplates([partner]);
    // Act
    const env = configToEnv(config);
    // Assess
    expect(JSON.parse(env[KEY_TEMPLATES_ENV]!)).toEqual(config.keyTemplates);
    expect(configFromEnv(env)).toEqual(config);
    expect(configToEnv(resolveConfig({ scopes }))).not.toHaveProperty(KEY_TEMPLATES_ENV);
    expect(() => configFromEnv({ [KEY_TEMPLATES_ENV]: '[{' })).toThrow(/KEYGATE_KEY_TEMPLATES/);
  });

  it('keeps the templates out of the authorizer environment', () => {
    // Act
    const env = authorizerEnvironment(withTemplates([partner]), [], { tableName: 't', counterTableName: 'c' });
    // Assess
    expect(env).not.toHaveProperty(KEY_TEMPLATES_ENV);
    expect(env.KEYGATE_SCOPES).toBeDefined();
  });
});

describe('parseCreateKey with a template', () => {
  const templates = withTemplates([partner]).keyTemplates;

  it('fills every field the request leaves out from the template', () => {
    // Act
    const input = parseCreateKey({ name: 'acme', template: 'partner-readonly' }, NOW, templates);
    // Assess
    expect(input).toEqual({
      name: 'acme',
      scopes: ['orders:read'],
      rateLimit: { limit: 10, windowSeconds: 60 },
      quota: { daily: 1000 },
      expiresAt: '2030-04-01T00:00:00.000Z',
      environment: 'test',
      allowedIps: ['203.0.113.7/32'],
      template: 'partner-readonly',
    });
  });

  it('lets a request field win whole: scopes are replaced, not merged', () => {
    // Act
    const input = parseCreateKey(
      { name: 'acme', template: 'partner-readonly', scopes: ['orders:write'], rateLimit: { limit: 5, windowSeconds: 1 }, environment: 'live', expiresAt: '2031-01-01T00:00:00Z' },
      NOW,
      templates,
    );
    // Assess
    expect(input.scopes).toEqual(['orders:write']);
    expect(input.rateLimit).toEqual({ limit: 5, windowSeconds: 1 });
    expect(input.environment).toBe('live');
    expect(input.expiresAt).toBe('2031-01-01T00:00:00.000Z');
    expect(input.quota).toEqual({ daily: 1000 });
    expect(input.template).toBe('partner-readonly');
  });

  it('counts expiresInDays of the request, not the template', () => {
    expect(parseCreateKey({ name: 'acme', template: 'partner-readonly', expiresInDays: 1 }, NOW, templates).expiresAt).toBe('2030-01-02T00:00:00.000Z');
  });

  it('rejects an unknown template naming the field', () => {
    // Act
    const p = problemOf(() => parseCreateKey({ name: 'acme', template: 'partner-admin' }, NOW, templates));
    // Assess
    expect(p.status).toBe(400);
    expect(p.code).toBe('validation_failed');
    expect(p.errors).toEqual([expect.objectContaining({ field: 'template', code: 'unknown_template' })]);
  });

  it('rejects a template that is not a string', () => {
    const p = problemOf(() => parseCreateKey({ name: 'acme', template: ['partner-readonly'] }, NOW, templates));
    expect(p.errors).toEqual([expect.objectContaining({ field: 'template' })]);
  });

  it('creates a key without a template as before', () => {
    const input = parseCreateKey({ name: 'acme' }, NOW, templates);
    expect(input).toEqual({ name: 'acme', scopes: [], environment: 'live' });
  });
});
