/** Lambda entry: wires the keys app from the environment once per container. */
import { KMSClient } from '@aws-sdk/client-kms';
import { configFromEnv, INFRA_ENV } from '../../core/config';
import { EnvelopeCipher } from '../../core/envelope';
import { KeyService } from '../../core/key-service';
import { systemClock } from '../../core/ports';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { DynamoKeyRepository } from '../../adapters/dynamodb/key-repository';
import { JsonLogger } from '../../adapters/json-logger';
import { KmsDataKeyProvider } from '../../adapters/kms-data-key-provider';
import { KeyVerifier } from '../../core/verifier';
import { DynamoCounterStore } from '../../adapters/dynamodb/counter-store';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LastUsedTracker } from '../../core/usage-signals';
import { EventBridgeEventSink } from '../../adapters/eventbridge-event-sink';
import { createKeysHandler } from './app';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

const config = configFromEnv(process.env);
const logger = new JsonLogger({ service: 'keygate-keys' });
const busName = process.env[INFRA_ENV.eventBusName];
const doc = createDocumentClient();
const repo = new DynamoKeyRepository(doc, required(INFRA_ENV.tableName));
const counters = new DynamoCounterStore(createDocumentClient({ maxAttempts: 1 }), required(INFRA_ENV.counterTableName));
const cipher = new EnvelopeCipher(new KmsDataKeyProvider(new KMSClient({}), required(INFRA_ENV.kmsKeyId)), systemClock);

export const handler = createKeysHandler({
  service: new KeyService({ repo, cipher, config, clock: systemClock, counters }),
  verifier: new KeyVerifier(repo, config, systemClock, counters, {
    lastUsed: new LastUsedTracker(repo, logger),
    ...(busName ? { events: new EventBridgeEventSink(new EventBridgeClient({}), busName) } : {}),
    quotaWarningThreshold: config.quotaWarningThreshold,
    logger,
  }),
  config,
  clock: systemClock,
  logger,
});
