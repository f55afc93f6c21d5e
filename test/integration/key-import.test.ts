/**
 * Key import on DynamoDB Local through the composition root (KeyService + DynamoKeyRepository):
 * what one imported row writes, idempotency by externalId, conflicts, dry runs that write
 * nothing, and two imports of the same rows racing each other.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../adapters/runtime';
import { generateKey, hashKey } from '../../core/key-format';
import { type ImportOptions, type ImportResult, parseImportRequest } from '../../core/key-import';
import type { Caller, KeyService } from '../../core/key-service';
import { localRuntime } from '../../local/stack';
import { CapturingLogger, dynamoEndpoint, testConfig, uniqueTableName } from '../support/local';

const tableName = uniqueTableName('import');
const config = testConfig({ legacyKeys: true });
const opts: ImportOptions = { keyPrefix: 'kg', legacyKeys: true, scopes: ['echo:read', 'orders:read', 'orders:write', 'admin'] };
const admin: Caller = { keyId: 'key_01JDZ8Q6N3V0000000000000AD', ownerId: 'admin', scopes: ['admin'] };
const logs = new CapturingLogger();
let home: string;
let runtime: Runtime & { service: KeyService };
let client: DynamoDBClient;

const importRows = (rows: unknown[], dryRun = false): Promise<ImportResult> =>
  runtime.service.importKeys(admin, parseImportRequest({ keys: rows, dryRun }, new Date(), opts));

const row = (externalId: string, over: Record<string, unknown> = {}) => ({
  externalId,
  name: `imported ${externalId}`,
  ownerId: 'acme',
  scopes: ['orders:read'],
  key: generateKey('kg', 'live').plaintext,
  ...over,
});

async function itemCount(): Promise<number> {
  let n = 0;
  let start: Record<string, never> | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: tableName, Select: 'COUNT', ExclusiveStartKey: start }));
    n += out.Count ?? 0;
    start = out.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return n;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'keygate-import-'));
  runtime = await localRuntime({ home, dynamoEndpoint: dynamoEndpoint(), tableName, config, logger: logs, inMemoryMasterKey: true });
  client = new DynamoDBClient({ endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => {
  runtime?.destroy();
  client?.destroy();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('importing a row', () => {
  it('writes the key, its hash, its externalId and a key.imported entry, and keeps no plaintext', async () => {
    // Prepare
    const key = generateKey('kg', 'live').plaintext;
    const before = await itemCount();
    // Act
    const result = await importRows([row('one', { key, description: 'from the old system', quota: { daily: 50 } })]);
    // Assess
    expect(result.summary).toMatchObject({ total: 1, created: 1 });
    const keyId = result.results[0]!.keyId!;
    expect(await itemCount()).toBe(before + 4); // KEY, HASH, EXT, AUDIT
    const stored = await runtime.repo.getById(keyId);
    expect(stored).toMatchObject({ externalId: 'one', hash: hashKey(key), start: key.slice(0, 12), createdBy: admin.keyId, ownerId: 'acme', quota: { daily: 50 } });
    expect(stored!.importedAt).toBe(stored!.createdAt);
    expect(await runtime.repo.getImported('one')).toEqual({ keyId, hash: hashKey(key) });
    expect(await runtime.repo.getAuthzByHash(hashKey(key))).toMatchObject({ keyId, ownerId: 'acme', scopes: ['orders:read'] });
    const view = await runtime.service.get(admin, keyId);
    expect(view).toMatchObject({ externalId: 'one', description: 'from the old system' });
    const entries = await runtime.audit!.list(admin, { keyId, limit: 10 });
    expect(entries.items.map((e) => [e.action, e.outcome, e.actor.keyId, e.chain?.seq])).toEqual([['key.imported', 'success', admin.keyId, 1]]);
    expect(entries.items[0]!.changes.find((c) => c.field === 'externalId')).toEqual({ field: 'externalId', after: 'one' });
    expect((await runtime.audit!.verify(admin, { keyId, limit: 1 })).ok).toBe(true);
    const everything = JSON.stringify([entries, view, stored]) + logs.lines.join('\n');
    expect(everything).not.toContain(key);
  });

  it('imports a hash row with its display prefix', async () => {
    // Prepare
    const hash = hashKey('legacy-system-key-0123456789');
    // Act
    const result = await importRows([row('hashed', { key: undefined, hash, start: 'legacy', environment: 'test' })]);
    // Assess
    expect(result.results[0]!.status).toBe('created');
    expect(await runtime.repo.getById(result.results[0]!.keyId!)).toMatchObject({ hash, start: 'legacy', environment: 'test' });
  });
});

describe('idempotency and conflicts', () => {
  it('answers unchanged for the same externalId and key, and writes nothing', async () => {
    // Prepare
    const r = row('again');
    const first = await importRows([r]);
    const count = await itemCount();
    // Act
    const second = await importRows([r]);
    // Assess
    expect(second.results[0]).toEqual({ index: 0, externalId: 'again', status: 'unchanged', keyId: first.results[0]!.keyId });
    expect(await itemCount()).toBe(count);
  });

  it('answers conflict for the same externalId with another key, and never overwrites', async () => {
    // Prepare
    const original = row('changed');
    const first = await importRows([original]);
    // Act
    const second = await importRows([row('changed')]);
    // Assess
    expect(second.results[0]).toMatchObject({ status: 'conflict', keyId: first.results[0]!.keyId, errors: [{ code: 'external_id_conflict' }] });
    expect((await runtime.repo.getById(first.results[0]!.keyId!))!.hash).toBe(hashKey(original.key));
  });

  it('answers conflict for a key that Keygate issued, naming neither the key nor its owner', async () => {
    // Prepare
    const issued = await runtime.service.create(admin, { name: 'issued', ownerId: 'someone-else', scopes: [], environment: 'live' });
    // Act
    const result = await importRows([row('steal', { key: issued.plaintext })]);
    // Assess
    expect(result.results[0]).toMatchObject({ status: 'conflict', errors: [{ code: 'hash_conflict' }] });
    expect(result.results[0]).not.toHaveProperty('keyId');
    expect(JSON.stringify(result)).not.toContain(issued.view.id);
    expect(JSON.stringify(result)).not.toContain('someone-else');
  });

  it('gives every row exactly one key when two imports of the same rows race', async () => {
    // Prepare
    const rows = Array.from({ length: 24 }, (_, i) => row(`race-${i}`));
    // Act
    const [a, b] = await Promise.all([importRows(rows), importRows(rows)]);
    // Assess
    for (let i = 0; i < rows.length; i++) {
      const pair = [a.results[i]!, b.results[i]!];
      expect(pair.map((r) => r.status).sort()).toEqual(['created', 'unchanged']);
      expect(pair[0]!.keyId).toBe(pair[1]!.keyId);
    }
  });
});

describe('dry run', () => {
  it('reports what a real run would do and writes nothing', async () => {
    // Prepare
    const existing = row('dry-existing');
    await importRows([existing]);
    const count = await itemCount();
    // Act
    const result = await importRows([existing, row('dry-new'), row('dry-existing'), row('dry-bad', { name: '' })], true);
    // Assess
    expect(result.dryRun).toBe(true);
    expect(result.results.map((r) => r.status)).toEqual(['unchanged', 'would_create', 'invalid', 'invalid']);
    expect(result.summary).toMatchObject({ total: 4, unchanged: 1, would_create: 1, invalid: 2, created: 0 });
    expect(await itemCount()).toBe(count);
    expect(await runtime.repo.getImported('dry-new')).toBeUndefined();
  });
});
