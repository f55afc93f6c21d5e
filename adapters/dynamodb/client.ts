/** DynamoDB clients built once per container. Timeouts stay well under the authorizer's budget. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoClientOptions {
  /** DynamoDB Local endpoint; absent in AWS. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Total attempts including the first (SDK default 3). */
  readonly maxAttempts?: number;
  readonly requestTimeoutMs?: number;
  readonly connectionTimeoutMs?: number;
}

export function createDocumentClient(options: DynamoClientOptions = {}): DynamoDBDocumentClient {
  const local = options.endpoint !== undefined;
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
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 2000,
      connectionTimeout: options.connectionTimeoutMs ?? 1000,
    },
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
