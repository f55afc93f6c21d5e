/** Lambda entry: wires the authorizer from the environment once per container. */
import { configFromEnv, INFRA_ENV } from '../../core/config';
import { systemClock } from '../../core/ports';
import { KeyVerifier } from '../../core/verifier';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { DynamoCounterStore } from '../../adapters/dynamodb/counter-store';
import { DynamoKeyRepository } from '../../adapters/dynamodb/key-repository';
import { JsonLogger } from '../../adapters/json-logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LastUsedTracker } from '../../core/usage-signals';
import { EventBridgeEventSink } from '../../adapters/eventbridge-event-sink';
import { createAuthorizer } from './authorizer';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

const config = configFromEnv(process.env);
// Short timeouts and one retry: a slow read fails closed (503) well inside API Gateway's 10 s authorizer limit.
const doc = createDocumentClient({ maxAttempts: 2, requestTimeoutMs: 1000, connectionTimeoutMs: 500 });
const logger = new JsonLogger({ service: 'keygate-authorizer' });

const repo = new DynamoKeyRepository(doc, required(INFRA_ENV.tableName));
const busName = process.env[INFRA_ENV.eventBusName];

export const handler = createAuthorizer({
  verifier: new KeyVerifier(
    repo,
    config,
    systemClock,
    // No SDK retries for counter writes: they are not idempotent (see DynamoCounterStore).
    new DynamoCounterStore(createDocumentClient({ maxAttempts: 1, requestTimeoutMs: 1000, connectionTimeoutMs: 500 }), required(INFRA_ENV.counterTableName)),
    {
      lastUsed: new LastUsedTracker(repo, logger),
      ...(busName ? { events: new EventBridgeEventSink(new EventBridgeClient({}), busName) } : {}),
      quotaWarningThreshold: config.quotaWarningThreshold,
      logger,
    },
  ),
  config,
  logger,
  ...(process.env[INFRA_ENV.admittedUsageKey] ? { admittedUsageKey: process.env[INFRA_ENV.admittedUsageKey] } : {}),
});
