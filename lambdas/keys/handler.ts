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
import { createKeysHandler } from './app';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

const config = configFromEnv(process.env);
const repo = new DynamoKeyRepository(createDocumentClient(), required(INFRA_ENV.tableName));
const cipher = new EnvelopeCipher(new KmsDataKeyProvider(new KMSClient({}), required(INFRA_ENV.kmsKeyId)), systemClock);

export const handler = createKeysHandler({
  service: new KeyService({ repo, cipher, config, clock: systemClock }),
  config,
  clock: systemClock,
  logger: new JsonLogger({ service: 'keygate-keys' }),
});
