/** Lambda entry: wires the keys app from the environment once per container. */
import { configFromEnv, INFRA_ENV } from '../../core/config';
import { systemClock } from '../../core/ports';
import { CLIENT_PROFILES } from '../../adapters/client-profiles';
import { JsonLogger } from '../../adapters/json-logger';
import { createRuntime, eventBridgeSink, kmsDataKeys, requiredEnv } from '../../adapters/runtime';
import { createKeysHandler } from './app';

const config = configFromEnv(process.env);
const logger = new JsonLogger({ service: 'keygate-keys' });
const busName = process.env[INFRA_ENV.eventBusName];
const runtime = createRuntime({
  tables: { keys: requiredEnv(INFRA_ENV.tableName), counters: requiredEnv(INFRA_ENV.counterTableName) },
  config,
  logger,
  keyTableProfile: CLIENT_PROFILES.management,
  dataKeys: kmsDataKeys(requiredEnv(INFRA_ENV.kmsKeyId)).provider,
  ...(busName ? { events: eventBridgeSink(busName) } : {}),
});

export const handler = createKeysHandler({ service: runtime.service!, verifier: runtime.verifier, config, clock: systemClock, logger });
