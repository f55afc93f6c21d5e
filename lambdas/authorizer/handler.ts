/** Lambda entry: wires the authorizer from the environment once per container. */
import { configFromEnv, INFRA_ENV } from '../../core/config';
import { CLIENT_PROFILES } from '../../adapters/client-profiles';
import { EmfMetrics } from '../../adapters/emf-metrics';
import { JsonLogger } from '../../adapters/json-logger';
import { createRuntime, eventBridgeSink, requiredEnv } from '../../adapters/runtime';
import { authorizationTable, ROUTES_ENV } from '../../core/operator-routes';
import { createAuthorizer } from './authorizer';

const config = configFromEnv(process.env);
const logger = new JsonLogger({ service: 'keygate-authorizer' });
const busName = process.env[INFRA_ENV.eventBusName];
// CloudWatch embedded metric format on stdout, one line per invocation (docs/metrics.md).
const metrics = new EmfMetrics();
// keyRead: short timeouts that abort and one retry, so a slow store fails closed (503) in about
// 1.3 s, far inside API Gateway's 10 s authorizer limit (adapters/client-profiles.ts).
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
  // Built-in routes plus the operator routes' scopes and costs, set by the CDK stack.
  routes: authorizationTable(process.env[ROUTES_ENV]),
  ...(process.env[INFRA_ENV.admittedUsageKey] ? { admittedUsageKey: process.env[INFRA_ENV.admittedUsageKey] } : {}),
  metrics,
});
