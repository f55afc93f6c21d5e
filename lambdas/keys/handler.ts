/** Lambda entry: wires the keys app from the environment once per container. */
import { allScopes, configFromEnv, INFRA_ENV } from '../../core/config';
import { decodeAuthorizationRules, ROUTES_ENV } from '../../core/operator-routes';
import { systemClock } from '../../core/ports';
import { CLIENT_PROFILES } from '../../adapters/client-profiles';
import { EmfMetrics } from '../../adapters/emf-metrics';
import { JsonLogger } from '../../adapters/json-logger';
import { createRuntime, eventBridgeSink, kmsDataKeys, requiredEnv } from '../../adapters/runtime';
import { usageReportsFromEnv } from '../../adapters/usage/athena-engine';
import { createKeysHandler } from './app';
import { openApiSource } from './openapi-route';

/** A key's usage history waits this long for Athena before answering 202 (the keys Lambda's timeout is 10 s). */
const HISTORY_WAIT_MS = 5_000;

const config = configFromEnv(process.env);
const logger = new JsonLogger({ service: 'keygate-keys' });
const busName = process.env[INFRA_ENV.eventBusName];
const metrics = new EmfMetrics();
const runtime = createRuntime({
  tables: { keys: requiredEnv(INFRA_ENV.tableName), counters: requiredEnv(INFRA_ENV.counterTableName) },
  config,
  logger,
  keyTableProfile: CLIENT_PROFILES.management,
  dataKeys: kmsDataKeys(requiredEnv(INFRA_ENV.kmsKeyId)).provider,
  ...(busName ? { events: eventBridgeSink(busName) } : {}),
  // POST /v1/verify's cache and store metrics, and the audit/leak/quota events, as Service=keys.
  metrics: { recorder: metrics, service: 'keys' },
});

const reports = usageReportsFromEnv(process.env, HISTORY_WAIT_MS);

export const handler = createKeysHandler({
  service: runtime.service!,
  verifier: runtime.verifier,
  audit: runtime.audit!,
  leaks: runtime.leaks!,
  config,
  clock: systemClock,
  logger,
  ...(reports ? { reports } : {}),
  metrics,
  // The operator routes of this API (the same encoding the authorizer reads), for GET /v1/openapi.json.
  openApi: openApiSource({ operatorRoutes: decodeAuthorizationRules(process.env[ROUTES_ENV]), scopes: allScopes(config) }),
});
