/**
 * Deployment configuration: defaults, validation, and the two encodings it travels in —
 * `cdk.json` context (what an operator edits) and Lambda environment variables (what the
 * CDK stack hands each function and the local stack hands the handlers).
 */
import type { RateLimit } from './records';
import { type KeyTemplate, parseKeyTemplates, RATE_LIMIT_SHAPE, readRateLimit } from './key-templates';
import { mergeScopes, SCOPE_PATTERN, type ScopeDefinition } from './scopes';

export interface KeygateConfig {
  /** First segment of every key (`kg_live_...`). */
  readonly keyPrefix: string;
  /** The deployment's own scopes (management scopes are added by `mergeScopes`). */
  readonly scopes: readonly ScopeDefinition[];
  /** How long an authorizer container trusts a verified key: the maximum revocation lag. */
  readonly cacheTtlSeconds: number;
  /** How long an authorizer container remembers that a hash is unknown. */
  readonly negativeCacheTtlSeconds: number;
  /** Bound of the per-container LRU cache. */
  readonly cacheMaxEntries: number;
  /** Accept the key from the `api_key` query parameter (off: URLs end up in logs and browser history). */
  readonly allowQueryKey: boolean;
  /** Rate limit for keys without their own; null = none. */
  readonly defaultRateLimit: RateLimit | null;
  /** Share of a quota at which one `keygate.quota.warning` event is published per window. */
  readonly quotaWarningThreshold: number;
  /** Days an audit entry is kept before DynamoDB TTL deletes it (`keygate:auditRetentionDays`). */
  readonly auditRetentionDays: number;
  /** Named key policies `POST /v1/keys` can start from (`keygate:keyTemplates`; core/key-templates.ts). */
  readonly keyTemplates: readonly KeyTemplate[];
  /**
   * Also verify keys that are not in Keygate's format (imported from API Gateway or another
   * system: 20-256 printable ASCII characters, no spaces) by hash lookup (`keygate:legacyKeys`;
   * docs/migration.md). Off: such keys are MALFORMED before any lookup, and importing them is refused.
   */
  readonly legacyKeys: boolean;
  /**
   * Requests per second (a rate limit's `limit / windowSeconds`) from which a key is a hot key,
   * counted through per-container allowance leases instead of one write per request
   * (`keygate:hotKeyThreshold`; core/hot-keys.ts, docs/rate-limiting.md#hot-keys). 0 = never.
   */
  readonly hotKeyThreshold: number;
}

export const DEFAULT_CONFIG: KeygateConfig = {
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
};

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const KEY_PREFIX_PATTERN = /^[a-z][a-z0-9]{0,15}$/;

/** Validates a partial config (from context or env) and fills in defaults. Throws ConfigError naming the setting. */
export function resolveConfig(partial: Partial<Record<keyof KeygateConfig, unknown>>): KeygateConfig {
  const keyPrefix = partial.keyPrefix ?? DEFAULT_CONFIG.keyPrefix;
  if (typeof keyPrefix !== 'string' || !KEY_PREFIX_PATTERN.test(keyPrefix)) {
    throw new ConfigError(`keyPrefix must match ${KEY_PREFIX_PATTERN} (got ${JSON.stringify(keyPrefix)})`);
  }
  const scopes = partial.scopes ?? DEFAULT_CONFIG.scopes;
  if (!Array.isArray(scopes)) throw new ConfigError('scopes must be an array of {name, description}');
  for (const s of scopes) {
    if (!s || typeof s !== 'object' || typeof s.name !== 'string' || typeof s.description !== 'string') {
      throw new ConfigError('each scope must be {name: string, description: string}');
    }
    if (!SCOPE_PATTERN.test(s.name) || s.name.length > 64) throw new ConfigError(`invalid scope name ${JSON.stringify(s.name)}`);
  }
  const int = (name: keyof KeygateConfig, min: number, max: number): number => {
    const raw = partial[name] ?? DEFAULT_CONFIG[name];
    const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    }
    return n;
  };
  const cacheTtlSeconds = int('cacheTtlSeconds', 0, 3600);
  const negativeCacheTtlSeconds =
    partial.negativeCacheTtlSeconds === undefined
      ? Math.min(DEFAULT_CONFIG.negativeCacheTtlSeconds, cacheTtlSeconds)
      : int('negativeCacheTtlSeconds', 0, 3600);
  const flag = (name: 'allowQueryKey' | 'legacyKeys'): boolean => {
    const raw = partial[name] ?? DEFAULT_CONFIG[name];
    const on = raw === true || raw === 'true' || raw === '1';
    if (!on && !(raw === false || raw === 'false' || raw === '0' || raw === '')) {
      throw new ConfigError(`${name} must be true or false (got ${JSON.stringify(raw)})`);
    }
    return on;
  };
  const allowQueryKey = flag('allowQueryKey');
  let defaultRateLimit: RateLimit | null = DEFAULT_CONFIG.defaultRateLimit;
  if (partial.defaultRateLimit !== undefined) {
    const d = partial.defaultRateLimit;
    if (d === null || d === 'none') defaultRateLimit = null;
    else {
      const r = readRateLimit(typeof d === 'string' ? safeJson(d) : d);
      if (!('rateLimit' in r)) {
        throw new ConfigError(r.member === undefined ? `defaultRateLimit must be null or ${RATE_LIMIT_SHAPE}` : `defaultRateLimit.${r.member} ${r.message}`);
      }
      defaultRateLimit = r.rateLimit;
    }
  }
  const thresholdRaw = partial.quotaWarningThreshold ?? DEFAULT_CONFIG.quotaWarningThreshold;
  const quotaWarningThreshold = typeof thresholdRaw === 'string' ? Number(thresholdRaw) : thresholdRaw;
  if (typeof quotaWarningThreshold !== 'number' || !(quotaWarningThreshold > 0 && quotaWarningThreshold <= 1)) {
    throw new ConfigError(`quotaWarningThreshold must be a number in (0, 1] (got ${JSON.stringify(thresholdRaw)})`);
  }
  const keyTemplates =
    partial.keyTemplates === undefined
      ? DEFAULT_CONFIG.keyTemplates
      : parseKeyTemplates(
          partial.keyTemplates,
          mergeScopes(scopes as ScopeDefinition[]).map((s) => s.name),
          (message) => {
            throw new ConfigError(message);
          },
        );
  return {
    defaultRateLimit,
    quotaWarningThreshold,
    keyPrefix,
    scopes: scopes as ScopeDefinition[],
    cacheTtlSeconds,
    negativeCacheTtlSeconds,
    cacheMaxEntries: int('cacheMaxEntries', 1, 1_000_000),
    allowQueryKey,
    auditRetentionDays: int('auditRetentionDays', 1, 3650),
    keyTemplates,
    legacyKeys: flag('legacyKeys'),
    hotKeyThreshold: int('hotKeyThreshold', 0, 1_000_000),
  };
}

/**
 * The value of the one API key in the deployment's usage plan. The authorizer returns it as
 * `usageIdentifierKey` for admitted requests. It is not a credential: with apiKeySource
 * AUTHORIZER, API Gateway ignores any key a client sends and only takes the authorizer's.
 */
export const ADMITTED_USAGE_KEY = 'keygate-admitted-requests-usage-key-v1';

/** `cdk.json` context keys, e.g. `"keygate:scopes": [...]`. */
export const CONTEXT_PREFIX = 'keygate:';

export function configFromContext(get: (key: string) => unknown): KeygateConfig {
  const partial: Partial<Record<keyof KeygateConfig, unknown>> = {};
  for (const k of Object.keys(DEFAULT_CONFIG) as (keyof KeygateConfig)[]) {
    const v = get(CONTEXT_PREFIX + k);
    if (v !== undefined) partial[k] = v;
  }
  return resolveConfig(partial);
}

const ENV_NAMES: Record<keyof KeygateConfig, string> = {
  keyPrefix: 'KEYGATE_KEY_PREFIX',
  scopes: 'KEYGATE_SCOPES',
  cacheTtlSeconds: 'KEYGATE_CACHE_TTL_SECONDS',
  negativeCacheTtlSeconds: 'KEYGATE_NEGATIVE_CACHE_TTL_SECONDS',
  cacheMaxEntries: 'KEYGATE_CACHE_MAX_ENTRIES',
  allowQueryKey: 'KEYGATE_ALLOW_QUERY_KEY',
  defaultRateLimit: 'KEYGATE_DEFAULT_RATE_LIMIT',
  quotaWarningThreshold: 'KEYGATE_QUOTA_WARNING_THRESHOLD',
  auditRetentionDays: 'KEYGATE_AUDIT_RETENTION_DAYS',
  keyTemplates: 'KEYGATE_KEY_TEMPLATES',
  legacyKeys: 'KEYGATE_LEGACY_KEYS',
  hotKeyThreshold: 'KEYGATE_HOT_KEY_THRESHOLD',
};

/** The key templates' variable: only the keys Lambda reads it (the authorizer's environment leaves it out). */
export const KEY_TEMPLATES_ENV = ENV_NAMES.keyTemplates;

export function configToEnv(config: KeygateConfig): Record<string, string> {
  return {
    [ENV_NAMES.keyPrefix]: config.keyPrefix,
    [ENV_NAMES.scopes]: JSON.stringify(config.scopes),
    [ENV_NAMES.cacheTtlSeconds]: String(config.cacheTtlSeconds),
    [ENV_NAMES.negativeCacheTtlSeconds]: String(config.negativeCacheTtlSeconds),
    [ENV_NAMES.cacheMaxEntries]: String(config.cacheMaxEntries),
    [ENV_NAMES.allowQueryKey]: String(config.allowQueryKey),
    [ENV_NAMES.defaultRateLimit]: config.defaultRateLimit ? JSON.stringify(config.defaultRateLimit) : 'none',
    [ENV_NAMES.quotaWarningThreshold]: String(config.quotaWarningThreshold),
    [ENV_NAMES.auditRetentionDays]: String(config.auditRetentionDays),
    // Only when on: the authorizer's 4 KB environment belongs to the routes, and absent reads as off.
    ...(config.legacyKeys ? { [ENV_NAMES.legacyKeys]: 'true' } : {}),
    ...(config.hotKeyThreshold !== DEFAULT_CONFIG.hotKeyThreshold ? { [ENV_NAMES.hotKeyThreshold]: String(config.hotKeyThreshold) } : {}),
    ...(config.keyTemplates.length > 0 ? { [ENV_NAMES.keyTemplates]: JSON.stringify(config.keyTemplates) } : {}),
  };
}

export function configFromEnv(env: Readonly<Record<string, string | undefined>>): KeygateConfig {
  const partial: Partial<Record<keyof KeygateConfig, unknown>> = {};
  for (const [k, name] of Object.entries(ENV_NAMES) as [keyof KeygateConfig, string][]) {
    const v = env[name];
    if (v === undefined) continue;
    if (k === 'scopes' || k === 'keyTemplates') {
      try {
        partial[k] = JSON.parse(v);
      } catch {
        throw new ConfigError(`${name} must be a JSON array of ${k === 'scopes' ? '{name, description}' : '{name, scopes, ...}'}`);
      }
    } else {
      partial[k] = v;
    }
  }
  return resolveConfig(partial);
}

/** Every scope the deployment knows, built-ins included. */
export function allScopes(config: KeygateConfig): ScopeDefinition[] {
  return mergeScopes(config.scopes);
}

/** Environment variables naming the infrastructure (set by the CDK stack and the local stack). */
export const INFRA_ENV = {
  tableName: 'KEYGATE_TABLE_NAME',
  counterTableName: 'KEYGATE_COUNTER_TABLE_NAME',
  /** The usage-plan API key the authorizer returns for admitted requests (see docs/authorizer.md). */
  admittedUsageKey: 'KEYGATE_ADMITTED_USAGE_KEY',
  eventBusName: 'KEYGATE_EVENT_BUS_NAME',
  kmsKeyId: 'KEYGATE_KMS_KEY_ID',
  /** Athena workgroup of usage reports (set where usage analytics is on). */
  athenaWorkGroup: 'KEYGATE_ATHENA_WORKGROUP',
  /** Glue database of the usage table. */
  usageDatabase: 'KEYGATE_USAGE_DATABASE',
  /** Glue table of the usage records. */
  usageTable: 'KEYGATE_USAGE_TABLE',
  /** Local stack only: DynamoDB Local endpoint. */
  dynamoEndpoint: 'KEYGATE_DYNAMODB_ENDPOINT',
  /** Local stack only: directory holding the local master key. */
  home: 'KEYGATE_HOME',
} as const;
