/**
 * createTable on a table that already exists: a persisted local data directory (npm start) may
 * hold a key table made before the audit log, without the byActor index and without TTL.
 */
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '../../adapters/dynamodb/audit-store';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { createTable } from '../../adapters/dynamodb/create-tables';
import { KEY_TABLE, type TableSchema } from '../../adapters/dynamodb/table-schema';
import { deniedEntry } from '../../core/audit';
import { newKeyId } from '../../core/ids';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local';
import { uniqueTableName } from '../support/local';

/** The key table as it was before the audit log. */
const OLD_KEY_TABLE: TableSchema = {
  partitionKey: KEY_TABLE.partitionKey,
  sortKey: KEY_TABLE.sortKey,
  globalSecondaryIndexes: KEY_TABLE.globalSecondaryIndexes.filter((g) => g.indexName !== 'byActor'),
};

let client: DynamoDBClient;
let doc: ReturnType<typeof createDocumentClient>;
// Its own DynamoDB Local: on the shared one, busy with every other suite, building an index on an
// existing table was seen to take over 30 s (the background backfill starves), here about 1 s.
let ddb: DynamoDbLocal;

beforeAll(async () => {
  ddb = await startDynamoDbLocal({ timeoutMs: 60_000 });
  client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  doc = createDocumentClient({ endpoint: ddb.endpoint });
}, 90_000);
afterAll(async () => {
  doc?.destroy();
  client?.destroy();
  await ddb?.stop();
});

const indexesOf = async (table: string) =>
  ((await client.send(new DescribeTableCommand({ TableName: table }))).Table?.GlobalSecondaryIndexes ?? []).map((g) => `${g.IndexName}:${g.IndexStatus}`).sort();
const ttlOf = async (table: string) => (await client.send(new DescribeTimeToLiveCommand({ TableName: table }))).TimeToLiveDescription;

describe('createTable on an existing table', () => {
  it('adds the missing byActor index and enables TTL on a key table made by the old schema', { timeout: 120_000 }, async () => {
    // Prepare
    const table = uniqueTableName('migrate');
    await createTable(client, table, OLD_KEY_TABLE);
    expect(await indexesOf(table)).toEqual(['byCreated:ACTIVE', 'byExpiry:ACTIVE', 'byOwner:ACTIVE']);
    expect(await ttlOf(table)).toMatchObject({ TimeToLiveStatus: 'DISABLED' });
    // Act
    await createTable(client, table);
    // Assess
    expect(await indexesOf(table)).toEqual(['byActor:ACTIVE', 'byCreated:ACTIVE', 'byExpiry:ACTIVE', 'byOwner:ACTIVE']);
    expect(await ttlOf(table)).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    // and the new index answers queries
    const store = new DynamoAuditStore(doc, table);
    const actorKeyId = newKeyId(Date.parse('2033-01-01T00:00:00.000Z'));
    const entry = deniedEntry(
      { action: 'key.updated', reason: 'not_found', target: { keyId: newKeyId(0), ownerId: 'acme' }, context: { actor: { type: 'key', keyId: actorKeyId, ownerId: 'x' }, request: {} }, at: new Date('2033-01-01T00:00:00.000Z') },
      { retentionDays: 400 },
    );
    await store.record(entry);
    expect((await store.query({ actorKeyId, limit: 5 })).items).toEqual([entry]);
  });

  it('leaves an up-to-date table as it is when run again', async () => {
    // Prepare
    const table = uniqueTableName('again');
    await createTable(client, table);
    // Act
    await createTable(client, table);
    // Assess
    expect(await indexesOf(table)).toEqual(['byActor:ACTIVE', 'byCreated:ACTIVE', 'byExpiry:ACTIVE', 'byOwner:ACTIVE']);
    expect(await ttlOf(table)).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
  });
});
