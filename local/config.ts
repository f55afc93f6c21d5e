/** The local stack reads the same `cdk.json` context as the CDK app, so scopes and key prefix match. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFromContext, type KeygateConfig, resolveConfig } from '../core/config';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export function cdkContext(): Record<string, unknown> {
  const cdk = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdk.context ?? {};
}

/**
 * Locally the authorizer cache TTL defaults to 0 so a revoke or change shows at once
 * while you try things out; `KEYGATE_CACHE_TTL_SECONDS` sets it (the deployed default is in cdk.json).
 */
export function localConfig(env: Readonly<Record<string, string | undefined>> = process.env, overrides: Partial<KeygateConfig> = {}): KeygateConfig {
  const ctx = cdkContext();
  const base = configFromContext((k) => ctx[k]);
  const ttl = env.KEYGATE_CACHE_TTL_SECONDS ?? '0';
  return resolveConfig({
    ...base,
    cacheTtlSeconds: ttl,
    negativeCacheTtlSeconds: env.KEYGATE_NEGATIVE_CACHE_TTL_SECONDS ?? String(Math.min(base.negativeCacheTtlSeconds, Number(ttl) || 0)),
    ...(env.KEYGATE_ALLOW_QUERY_KEY !== undefined ? { allowQueryKey: env.KEYGATE_ALLOW_QUERY_KEY } : {}),
    ...(env.KEYGATE_DEFAULT_RATE_LIMIT !== undefined ? { defaultRateLimit: env.KEYGATE_DEFAULT_RATE_LIMIT } : {}),
    ...overrides,
  });
}
