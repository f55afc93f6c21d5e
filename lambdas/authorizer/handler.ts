/** Lambda entry: wires the authorizer from the environment once per container. */
import { configFromEnv, INFRA_ENV } from '../../core/config';
import { systemClock } from '../../core/ports';
import { KeyVerifier } from '../../core/verifier';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { DynamoKeyRepository } from '../../adapters/dynamodb/key-repository';
import { JsonLogger } from '../../adapters/json-logger';
import { createAuthorizer } from './authorizer';

const config = configFromEnv(process.env);
const tableName = process.env[INFRA_ENV.tableName];
if (!tableName) throw new Error(`${INFRA_ENV.tableName} is not set`);

// Short timeouts and one retry: a slow read fails closed (503) well inside API Gateway's 10 s authorizer limit.
const doc = createDocumentClient({ maxAttempts: 2, requestTimeoutMs: 1000, connectionTimeoutMs: 500 });
const logger = new JsonLogger({ service: 'keygate-authorizer' });

export const handler = createAuthorizer({
  verifier: new KeyVerifier(new DynamoKeyRepository(doc, tableName), config, systemClock),
  config,
  logger,
});
