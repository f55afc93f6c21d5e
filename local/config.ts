/**
 * The local stack reads the same settings as the CDK app: `cdk.json` context with the
 * KEYGATE_CONFIG stage file layered on top (core/settings.ts), so scopes, key prefix and
 * operator routes match a deployment.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KeygateConfig, resolveConfig } from '../core/config';
import type { OperatorRoute } from '../core/operator-routes';
import { checkSettingNames, CONFIG_FILE_ENV, layerSettings, resolveDeployment } from '../core/settings';
import { readSettingsFile } from '../adapters/settings-file';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export function cdkContext(): Record<string, unknown> {
  const cdk = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdk.context ?? {};
}

/** cdk.json context with the KEYGATE_CONFIG file on top; unknown keygate:* keys are an error. */
export function localSettings(env: Readonly<Record<string, string | undefined>> = process.env): Record<string, unknown> {
  const settings = layerSettings(cdkContext(), readSettingsFile(env));
  checkSettingNames(settings, env[CONFIG_FILE_ENV] ? `cdk.json context + ${CONFIG_FILE_ENV}` : 'cdk.json context');
  return settings;
}

/** The operator routes a local run serves (validated exactly as `cdk synth` validates them). */
export function localRoutes(env: Readonly<Record<string, string | undefined>> = process.env): readonly OperatorRoute[] {
  const settings = localSettings(env);
  return resolveDeployment((k) => settings[k]).routes;
}

/**
 * Locally the authorizer cache TTL defaults to 0 so a revoke or change shows at once
 * while you try things out; `KEYGATE_CACHE_TTL_SECONDS` sets it (the deployed default is in cdk.json).
 */
export function localConfig(env: Readonly<Record<string, string | undefined>> = process.env, overrides: Partial<KeygateConfig> = {}): KeygateConfig {
  const settings = localSettings(env);
  const base = resolveDeployment((k) => settings[k]).config;
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
