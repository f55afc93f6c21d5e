/** DynamoDB clients built once per container, with timeouts that abort (adapters/client-profiles.ts). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CLIENT_PROFILES, clientSettings } from '../client-profiles';

export interface DynamoClientOptions {
  /** DynamoDB Local endpoint; absent in AWS. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Total attempts including the first (default: the management profile's). */
  readonly maxAttempts?: number;
  readonly requestTimeoutMs?: number;
  readonly connectionTimeoutMs?: number;
}

export function createDocumentClient(options: DynamoClientOptions = {}): DynamoDBDocumentClient {
  const local = options.endpoint !== undefined;
  const defaults = CLIENT_PROFILES.management;
  const client = new DynamoDBClient({
    ...(local
      ? {
          endpoint: options.endpoint,
          region: options.region ?? 'us-east-1',
          // DynamoDB Local accepts any credentials; these never reach AWS.
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : options.region
        ? { region: options.region }
        : {}),
    ...clientSettings({
      maxAttempts: options.maxAttempts ?? defaults.maxAttempts,
      requestTimeoutMs: options.requestTimeoutMs ?? defaults.requestTimeoutMs,
      connectionTimeoutMs: options.connectionTimeoutMs ?? defaults.connectionTimeoutMs,
    }),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
