/**
 * Every `keygate:*` setting in one place. Settings come from `cdk.json` context, with a
 * per-stage file named by `KEYGATE_CONFIG` layered on top; `npx cdk synth/deploy` and
 * `npm start` read them the same way (adapters/settings-file.ts), so one file changes a
 * deployment and a local run alike. An unknown `keygate:*` key is an error that names it:
 * a typo must not silently fall back to a default.
 */
import { allScopes, configFromContext, CONTEXT_PREFIX, DEFAULT_CONFIG, type KeygateConfig } from './config';
import { type OperatorRoute, parseOperatorRoutes, ROUTES_SETTING } from './operator-routes';

/** Settings that only the CDK stack reads (infrastructure), with what they do. */
export const INFRA_SETTINGS: Readonly<Record<string, string>> = {
  'keygate:stackName': 'CloudFormation stack name (default Keygate)',
  'keygate:webAclArn': 'regional WAFv2 web ACL to associate with the API stage',
  'keygate:tableDeletionProtection': 'DynamoDB deletion protection on both tables (default true)',
  'keygate:cloudWatchRole': 'create the account-level API Gateway logging role (default true)',
  'keygate:gatewayResponseContextHeaders': 'map Retry-After / X-RateLimit-* on the 429 from the authorizer context (default false)',
};

/** Every `keygate:*` key Keygate reads. */
export const KNOWN_SETTINGS: readonly string[] = [
  ...Object.keys(DEFAULT_CONFIG).map((k) => CONTEXT_PREFIX + k),
  ROUTES_SETTING,
  ...Object.keys(INFRA_SETTINGS),
];

/** Environment variable naming a per-stage settings file (a JSON object of `keygate:*` keys). */
export const CONFIG_FILE_ENV = 'KEYGATE_CONFIG';

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** Throws naming the first `keygate:*` key Keygate does not know (`source` says where it was found). */
export function checkSettingNames(settings: Readonly<Record<string, unknown>>, source: string): void {
  for (const key of Object.keys(settings)) {
    if (key.startsWith(CONTEXT_PREFIX) && !KNOWN_SETTINGS.includes(key)) {
      const near = KNOWN_SETTINGS.find((k) => k.toLowerCase() === key.toLowerCase());
      throw new SettingsError(`${source}: unknown setting "${key}"${near ? ` (did you mean "${near}"?)` : ''}; known settings: ${KNOWN_SETTINGS.join(', ')}`);
    }
  }
}

/**
 * Validates a settings file's content: a JSON object whose keys are all known `keygate:*`
 * settings. Other keys (CDK feature flags included) belong in cdk.json, not in a stage file.
 */
export function checkSettingsFile(content: unknown, source: string): Record<string, unknown> {
  if (!content || typeof content !== 'object' || Array.isArray(content)) throw new SettingsError(`${source}: must be a JSON object of "keygate:*" settings`);
  const obj = content as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!key.startsWith(CONTEXT_PREFIX)) throw new SettingsError(`${source}: "${key}" is not a keygate:* setting (a stage file holds only keygate:* keys)`);
  }
  checkSettingNames(obj, source);
  return obj;
}

/** The overlay wins key by key (a list such as keygate:routes is replaced, not merged). */
export function layerSettings(base: Readonly<Record<string, unknown>>, overlay: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { ...base, ...overlay };
}

export interface Deployment {
  readonly config: KeygateConfig;
  readonly routes: readonly OperatorRoute[];
}

/** The service configuration and the operator routes, validated together (routes may use only defined scopes). */
export function resolveDeployment(get: (key: string) => unknown): Deployment {
  const config = configFromContext(get);
  const routes = parseOperatorRoutes(get(ROUTES_SETTING), allScopes(config).map((s) => s.name));
  return { config, routes };
}
