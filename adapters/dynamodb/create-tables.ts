/**
 * Creates a table from its schema (local stack and tests; CDK builds the deployed one).
 * A persisted local data directory may hold a table made by an older schema: then the missing
 * indexes are added (one per UpdateTable, as DynamoDB requires) and TTL is enabled.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type IndexSchema, KEY_TABLE, type TableSchema } from './table-schema';

const stringAttrs = (names: readonly string[]): AttributeDefinition[] => [...new Set(names)].map((a) => ({ AttributeName: a, AttributeType: 'S' }));

const indexDefinition = (g: IndexSchema) => ({
  IndexName: g.indexName,
  KeySchema: [
    { AttributeName: g.partitionKey, KeyType: 'HASH' as const },
    { AttributeName: g.sortKey, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
});

/** Polls until the table and all its indexes are ACTIVE (DynamoDB Local: well under a second). */
async function waitActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const t = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    if (t?.TableStatus === 'ACTIVE' && (t.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

/** Adds the schema's indexes an existing table lacks. */
async function addMissingIndexes(client: DynamoDBClient, tableName: string, schema: TableSchema): Promise<void> {
  const existing = new Set(
    ((await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName),
  );
  for (const g of schema.globalSecondaryIndexes) {
    if (existing.has(g.indexName)) continue;
    await waitActive(client, tableName);
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: stringAttrs([g.partitionKey, g.sortKey]),
        GlobalSecondaryIndexUpdates: [{ Create: indexDefinition(g) }],
      }),
    );
  }
}

async function enableTtl(client: DynamoDBClient, tableName: string, attribute: string): Promise<void> {
  const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription;
  if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') return;
  await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: attribute, Enabled: true } }));
}

export async function createTable(client: DynamoDBClient, tableName: string, schema: TableSchema = KEY_TABLE): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: stringAttrs([schema.partitionKey, schema.sortKey, ...schema.globalSecondaryIndexes.flatMap((g) => [g.partitionKey, g.sortKey])]),
        KeySchema: [
          { AttributeName: schema.partitionKey, KeyType: 'HASH' },
          { AttributeName: schema.sortKey, KeyType: 'RANGE' },
        ],
        ...(schema.globalSecondaryIndexes.length > 0 ? { GlobalSecondaryIndexes: schema.globalSecondaryIndexes.map(indexDefinition) } : {}),
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
    // Already there (a persisted local data directory), perhaps from an older schema.
    await addMissingIndexes(client, tableName, schema);
  }
  if (schema.timeToLiveAttribute) await enableTtl(client, tableName, schema.timeToLiveAttribute);
  await waitActive(client, tableName);
}
