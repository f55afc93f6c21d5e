/**
 * Every `keygate:*` setting in one place. Settings come from `cdk.json` context, with a
 * per-stage file named by `KEYGATE_CONFIG` layered on top; `npx cdk synth/deploy` and
 * `npm start` read them the same way (adapters/settings-file.ts), so one file changes a
 * deployment and a local run alike. An unknown `keygate:*` key is an error that names it:
 * a typo must not silently fall back to a default.
 */
import { allScopes, configFromContext, configToEnv, CONTEXT_PREFIX, DEFAULT_CONFIG, INFRA_ENV, KEY_TEMPLATES_ENV, type KeygateConfig } from './config';
import { encodeAuthorizationRules, type OperatorRoute, parseOperatorRoutes, ROUTES_ENV, ROUTES_SETTING } from './operator-routes';
import type { AuthorizationRule } from './routes';

/** Settings that only the CDK stack reads (infrastructure), with what they do. */
export const INFRA_SETTINGS: Readonly<Record<string, string>> = {
  'keygate:stackName': 'CloudFormation stack name (default Keygate)',
  'keygate:webAclArn': 'regional WAFv2 web ACL to associate with the API stage',
  'keygate:tableDeletionProtection': 'DynamoDB deletion protection on both tables (default true)',
  'keygate:cloudWatchRole': 'create the account-level API Gateway logging role (default true)',
  'keygate:gatewayResponseContextHeaders': 'map Retry-After / RateLimit-Policy / RateLimit / X-RateLimit-* on the 429 from the authorizer context (default false)',
  'keygate:usageAnalytics': 'stage access log to S3 (Parquet) via Firehose, queried with Athena; false keeps it in CloudWatch Logs (default true)',
  'keygate:usageRetentionDays': 'days S3 keeps usage records, 1 to 3650 (default 400)',
  'keygate:athenaBytesScannedCutoff': 'bytes an Athena query in the usage workgroup may scan before it is cancelled, at least 10000000 (default 10000000000)',
  // Usage anomaly alerts (core/usage-anomalies.ts parses them; docs/anomalies.md). The local timer reads keygate:anomalies too.
  'keygate:anomalyDetection': 'hourly usage anomaly detection with keygate.usage.anomaly events; needs keygate:usageAnalytics (default true)',
  'keygate:auditExport': 'every keygate.audit.* and keygate.key.leaked event to the usage bucket under audit/ (GZIP JSON lines) via Firehose; needs keygate:usageAnalytics (default true when analytics is on)',
  'keygate:anomalySchedule': 'EventBridge Scheduler expression (UTC) of the anomaly detection run (default "cron(15 * * * ? *)")',
  'keygate:anomalies': 'anomaly thresholds, any of {requestSpike, errorRate, failedAuth, quotaProjection} with their fields (defaults in docs/anomalies.md)',
  // Expiry notifications (core/expiry-scan.ts parses them; docs/operations.md). The local scan reads the thresholds and the on/off too.
  'keygate:webhookUrl': 'https URL that receives the notification events (expiring, expired, quota warning, leaked, anomaly), signed with a generated Secrets Manager secret (docs/webhooks.md); unset: no webhook',
  'keygate:notificationEmails': 'email addresses subscribed to the notifications topic (readable expiring / expired / quota warning / leaked / anomaly messages, and the alarms), a JSON array, at most 10 (docs/notifications.md); default none',
  // Dashboard and alarms (lib/monitoring.ts parses them; docs/operations.md, Monitoring).
  'keygate:dashboard': 'CloudWatch dashboard <stackName>-<region> (default true)',
  'keygate:alarms': 'CloudWatch alarms to the notifications topic (default true)',
  'keygate:alarmUnavailablePercent': 'authorizer-unavailable alarm: UNAVAILABLE decisions as % of authorizer invocations, 0.01 to 100 (default 1)',
  'keygate:alarmServerErrorPercent': 'api-5xx alarm: 5xx as % of API requests, 0.01 to 100 (default 1)',
  'keygate:alarmLatencyP99Ms': 'api-latency-p99 alarm threshold in ms, 1 to 29000 (default 1000)',
  'keygate:alarmLambdaErrors': 'errors per function in 5 minutes that alarm (default 1)',
  'keygate:alarmDynamoDbThrottles': 'throttle events per table per minute that alarm, in 3 of 5 minutes (default 1)',
  'keygate:alarmRejectedKeysStdDevs': 'rejected-keys anomaly band width in standard deviations, 0.5 to 10 (default 3)',
  'keygate:alarmRejectedKeysFloor': 'rejected keys per 5 minutes below which the spike alarm stays quiet (default 50)',
  'keygate:alarmDeliveryFreshnessSeconds': 'Firehose DeliveryToS3.DataFreshness alarm threshold, 60 to 86400 (default 1800)',
  'keygate:expiryNotifications': 'scheduled expiry scan publishing keygate.key.expiring / keygate.key.expired (default true)',
  'keygate:expirySchedule': 'EventBridge Scheduler expression (UTC) of the expiry scan (default "rate(1 hour)")',
  'keygate:expiryThresholdsDays': 'days before expiresAt that send keygate.key.expiring, whole days 1 to 365 (default [14, 7, 1])',
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
      const near = KNOWN_SETTINGS.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
      throw new SettingsError(`${source}: unknown setting "${key}"${near ? ` (did you mean "${near}"?)` : ''}; known settings: ${KNOWN_SETTINGS.join(', ')}`);
    }
  }
}

/** Levenshtein distance, for "did you mean" on a misspelt setting. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
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

// --- the authorizer's environment --------------------------------------------------------

/** Lambda's limit on a function's environment variables, keys and values together. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * Length assumed for a value not known before deployment (a table or bus name that
 * CloudFormation generates): generous, so a route table that fits at synth also fits deployed.
 */
export const UNRESOLVED_VALUE_BYTES = 256;

/** Bytes an environment takes against Lambda's limit; `isUnresolved` marks values known only at deploy time. */
export function environmentBytes(env: Readonly<Record<string, string>>, isUnresolved: (value: string) => boolean = () => false): number {
  let total = 0;
  for (const [k, v] of Object.entries(env)) total += Buffer.byteLength(k) + (isUnresolved(v) ? UNRESOLVED_VALUE_BYTES : Buffer.byteLength(v));
  return total;
}

/**
 * Fails when the authorizer's environment would pass Lambda's 4 KB limit. The operator routes
 * are what grows it, so the message names `keygate:routes` with the numbers.
 */
export function checkAuthorizerEnvironment(env: Readonly<Record<string, string>>, isUnresolved?: (value: string) => boolean): void {
  const bytes = environmentBytes(env, isUnresolved);
  if (bytes <= LAMBDA_ENVIRONMENT_LIMIT_BYTES) return;
  const routes = Buffer.byteLength(env[ROUTES_ENV] ?? '');
  throw new SettingsError(
    `${ROUTES_SETTING}: the authorizer's environment would take ${bytes} bytes (the routes' scopes and costs ${routes} of them), ` +
      `over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte limit. Use fewer routes (a {proxy+} route covers a subtree), shorter paths or fewer scopes per route.`,
  );
}

/**
 * The authorizer function's environment, built in one place for the CDK construct (with the
 * real, deploy-time table and bus names) and for the local start check (with placeholders).
 */
export function authorizerEnvironment(
  config: KeygateConfig,
  routes: readonly AuthorizationRule[],
  infra: { tableName: string; counterTableName: string; admittedUsageKey?: string; eventBusName?: string },
  base: Readonly<Record<string, string>> = {},
): Record<string, string> {
  // Key templates are for the keys Lambda only: the authorizer never reads them, and its 4 KB belong to the routes.
  const { [KEY_TEMPLATES_ENV]: _templates, ...serviceConfig } = configToEnv(config);
  return {
    ...base,
    ...serviceConfig,
    ...(routes.length > 0 ? { [ROUTES_ENV]: encodeAuthorizationRules(routes) } : {}),
    [INFRA_ENV.tableName]: infra.tableName,
    [INFRA_ENV.counterTableName]: infra.counterTableName,
    ...(infra.admittedUsageKey ? { [INFRA_ENV.admittedUsageKey]: infra.admittedUsageKey } : {}),
    ...(infra.eventBusName ? { [INFRA_ENV.eventBusName]: infra.eventBusName } : {}),
    POWERTOOLS_SERVICE_NAME: 'keygate-authorizer',
  };
}
