/**
 * bench/metrics.ts only: lambdas/authorizer/handler.ts with Powertools Metrics in place of the
 * hand-written EMF buffer, bundled the same way so the two bundles differ by that alone.
 */
import { configFromEnv, INFRA_ENV } from '../core/config';
import { CLIENT_PROFILES } from '../adapters/client-profiles';
import { JsonLogger } from '../adapters/json-logger';
import { createRuntime, eventBridgeSink, requiredEnv } from '../adapters/runtime';
import { authorizationTable, ROUTES_ENV } from '../core/operator-routes';
import { createAuthorizer } from '../lambdas/authorizer/authorizer';
import { PowertoolsMetricsBuffer } from './powertools-metrics';

const config = configFromEnv(process.env);
const logger = new JsonLogger({ service: 'keygate-authorizer' });
const busName = process.env[INFRA_ENV.eventBusName];
const metrics = new PowertoolsMetricsBuffer();
const runtime = createRuntime({
  tables: { keys: requiredEnv(INFRA_ENV.tableName), counters: requiredEnv(INFRA_ENV.counterTableName) },
  config,
  logger,
  keyTableProfile: CLIENT_PROFILES.keyRead,
  ...(busName ? { events: eventBridgeSink(busName) } : {}),
  metrics: { recorder: metrics, service: 'authorizer' },
  // Hot keys count through per-container allowance leases (core/hot-keys.ts).
  hotKeyLeases: true,
});

export const handler = createAuthorizer({
  verifier: runtime.verifier,
  config,
  logger,
  routes: authorizationTable(process.env[ROUTES_ENV]),
  ...(process.env[INFRA_ENV.admittedUsageKey] ? { admittedUsageKey: process.env[INFRA_ENV.admittedUsageKey] } : {}),
  metrics,
});
