/**
 * The IAM grants cover what the DynamoDB adapters actually send (issue 6, item 12).
 *
 * stack.test.ts pins each function's grants exactly; this file checks them against the code:
 * it runs the adapters' methods each function uses against a recording DocumentClient, turns
 * every request into the IAM actions, resources and condition keys DynamoDB evaluates, and
 * requires an Allow in the synthesized policy for each. If an adapter starts writing another
 * key prefix, reading another index or sending another action, this fails before AWS does.
 */
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '../../adapters/dynamodb/audit-store';
import { DynamoCounterStore } from '../../adapters/dynamodb/counter-store';
import { DynamoExpiryLedger } from '../../adapters/dynamodb/expiry-ledger';
import { DynamoKeyRepository } from '../../adapters/dynamodb/key-repository';
import { type AuditEntry, deniedEntry } from '../../core/audit';
import { LEAK_REPORT_PLAN, leakCounterId } from '../../core/leak-response';
import type { LimitPlan } from '../../core/limits';
import type { SealedKeyRecord } from '../../core/records';
import { auditedCreate, TEST_AUDIT_POLICY } from '../support/audit-fixtures';
import { actionsOf, buildKeygate, type BuiltKeygate, logicalIdOf, ref, removeBuilds, resourcesOf, roleStatements } from './keygate-app';

const KEYS = 'key-table';
const COUNTERS = 'counter-table';

/** One DynamoDB authorization check: what IAM sees for one item of one request. */
interface Access {
  readonly action: string;
  readonly table: string;
  readonly index?: string;
  readonly leadingKey?: string;
  readonly attributes?: readonly string[];
  readonly returnValues?: string;
}

const EXPRESSION_WORDS = new Set([
  'SET', 'ADD', 'REMOVE', 'DELETE', 'AND', 'OR', 'NOT', 'BETWEEN', 'IN',
  'attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains', 'size', 'if_not_exists', 'list_append',
]);

/** Attribute names a request touches: key, expressions (names and `#placeholders`). */
function attributesOf(input: Record<string, unknown>): string[] {
  const names = new Set(Object.keys((input.Key ?? {}) as object));
  const placeholders = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  for (const field of ['UpdateExpression', 'ConditionExpression', 'ProjectionExpression']) {
    const expr = input[field];
    if (typeof expr !== 'string') continue;
    for (const m of expr.matchAll(/[:#]?[A-Za-z_][A-Za-z0-9_]*/g)) {
      const token = m[0];
      if (token.startsWith(':')) continue;
      if (token.startsWith('#')) names.add(placeholders[token] ?? token);
      else if (!EXPRESSION_WORDS.has(token)) names.add(token);
    }
  }
  return [...names].sort();
}

/** The partition key value a Query on the table names: the value `pk = :v` binds in its key condition. */
function queriedPartition(input: Record<string, unknown>): string {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  for (const m of String(input.KeyConditionExpression).matchAll(/(#?[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(:[A-Za-z0-9_]+)/g)) {
    const name = m[1]!.startsWith('#') ? names[m[1]!] : m[1];
    if (name === 'pk') return String(values[m[2]!]);
  }
  throw new Error(`no partition key condition in ${String(input.KeyConditionExpression)}`);
}

/** A DocumentClient stand-in that records what IAM would evaluate and answers with empty results. */
function recordingClient(accesses: Access[]): DynamoDBDocumentClient {
  const send = async (command: unknown): Promise<unknown> => {
    if (command instanceof GetCommand) {
      const i = command.input as Record<string, unknown> & { TableName: string; Key: { pk: string } };
      accesses.push({ action: 'dynamodb:GetItem', table: i.TableName, leadingKey: i.Key.pk, attributes: attributesOf(i) });
      return {};
    }
    if (command instanceof UpdateCommand) {
      const i = command.input as Record<string, unknown> & { TableName: string; Key: { pk: string }; ReturnValues?: string };
      accesses.push({
        action: 'dynamodb:UpdateItem',
        table: i.TableName,
        leadingKey: i.Key.pk,
        attributes: attributesOf(i),
        ...(i.ReturnValues ? { returnValues: i.ReturnValues } : {}),
      });
      return { Attributes: {} };
    }
    if (command instanceof PutCommand) {
      const i = command.input as Record<string, unknown> & { TableName: string; Item: { pk: string } };
      // A PutItem's attributes are the item's and those its condition names.
      const attributes = [...new Set([...Object.keys(i.Item), ...attributesOf({ ...i, Key: {} })])].sort();
      accesses.push({ action: 'dynamodb:PutItem', table: i.TableName, leadingKey: i.Item.pk, attributes });
      return {};
    }
    if (command instanceof BatchGetCommand) {
      for (const [table, request] of Object.entries(command.input.RequestItems ?? {})) {
        for (const key of request.Keys ?? []) accesses.push({ action: 'dynamodb:BatchGetItem', table, leadingKey: String((key as { pk: string }).pk) });
      }
      return { Responses: {} };
    }
    if (command instanceof QueryCommand) {
      const i = command.input as { TableName: string; IndexName?: string };
      accesses.push({
        action: 'dynamodb:Query',
        table: i.TableName,
        // On an index the grant has no LeadingKeys condition; on the table, the partition it names.
        ...(i.IndexName ? { index: i.IndexName } : { leadingKey: queriedPartition(command.input as Record<string, unknown>) }),
      });
      return { Items: [] };
    }
    if (command instanceof TransactWriteCommand) {
      for (const item of command.input.TransactItems ?? []) {
        const [kind, body] = Object.entries(item)[0] as [string, { TableName: string; Item?: { pk: string }; Key?: { pk: string } }];
        const action = { Put: 'dynamodb:PutItem', Update: 'dynamodb:UpdateItem', Delete: 'dynamodb:DeleteItem', ConditionCheck: 'dynamodb:ConditionCheckItem' }[kind];
        if (!action) throw new Error(`unexpected transaction item ${kind}`);
        accesses.push({ action, table: body.TableName, leadingKey: (body.Item ?? body.Key)!.pk });
      }
      return {};
    }
    throw new Error(`the grants do not model ${(command as object).constructor.name}; extend this test`);
  };
  return { send } as unknown as DynamoDBDocumentClient;
}

const record = (id: string, hash: string, version: number): SealedKeyRecord =>
  ({
    id,
    ownerId: 'acme',
    name: 'fixture',
    environment: 'live',
    start: 'kg_live_AbCd',
    hash,
    scopes: ['echo:read'],
    status: 'active',
    createdAt: '2031-01-01T00:00:00.000Z',
    createdBy: 'key_01ARZ3NDEKTSV4RRFFQ69G5FAA',
    updatedAt: '2031-01-01T00:00:00.000Z',
    version,
  }) as unknown as SealedKeyRecord;

/** The audit entry written with a record (tests/support/audit-fixtures.ts). */
const entryAbout = (id: string, hash: string, version: number): AuditEntry => auditedCreate(record(id, hash, version)).entry;

const ID_A = 'key_01ARZ3NDEKTSV4RRFFQ69G5FAV';
const ID_B = 'key_01ARZ3NDEKTSV4RRFFQ69G5FAW';
const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
const PLAN: LimitPlan = { rateLimit: { limit: 10, windowSeconds: 60 }, quota: { daily: 100, monthly: 1000 } };
const NOW = new Date('2031-05-10T12:00:00.000Z');

/** Runs `calls` against recording adapters; returns every access they asked for. */
async function accessesOf(calls: (repo: DynamoKeyRepository, counters: DynamoCounterStore, audit: DynamoAuditStore) => Promise<unknown>[]): Promise<Access[]> {
  const accesses: Access[] = [];
  const doc = recordingClient(accesses);
  const settled = await Promise.allSettled(calls(new DynamoKeyRepository(doc, KEYS), new DynamoCounterStore(doc, COUNTERS), new DynamoAuditStore(doc, KEYS)));
  // An empty answer may make a method give up after its first request; what it sent still counts.
  expect(settled.length).toBeGreaterThan(0);
  return accesses;
}

let k: BuiltKeygate;
beforeAll(() => {
  k = buildKeygate({ bundle: false });
});
afterAll(removeBuilds);

/** Whether the function's identity policy allows one access (Allow-only policies, conditions evaluated). */
function allows(fn: lambda.IFunction, access: Access): boolean {
  const tableArn = { [KEYS]: k.stack.keyStore.table.tableArn, [COUNTERS]: k.stack.keyStore.counterTable.tableArn }[access.table]!;
  const resource = JSON.stringify(ref(k.stack, access.index ? `${tableArn}/index/${access.index}` : tableArn));
  const { statements } = roleStatements(k.template, logicalIdOf(ref(k.stack, fn.role!.roleArn)));
  return statements.some((s) => {
    if (s.Effect !== 'Allow' || !actionsOf(s).includes(access.action)) return false;
    if (!resourcesOf(s).some((r) => JSON.stringify(r) === resource)) return false;
    for (const [operator, block] of Object.entries(s.Condition ?? {})) {
      for (const [key, expected] of Object.entries(block)) {
        const values = ([] as string[]).concat(expected as string | string[]);
        if (operator === 'ForAllValues:StringLike' && key === 'dynamodb:LeadingKeys') {
          const like = (v: string) => values.some((p) => new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(v));
          if (access.leadingKey === undefined || !like(access.leadingKey)) return false;
        } else if (operator === 'ForAllValues:StringEquals' && key === 'dynamodb:Attributes') {
          if (!(access.attributes ?? []).every((a) => values.includes(a))) return false;
        } else if (operator === 'StringEqualsIfExists' && key === 'dynamodb:ReturnValues') {
          if (access.returnValues !== undefined && !values.includes(access.returnValues)) return false;
        } else {
          throw new Error(`condition ${operator} ${key} is not modelled; extend allows()`);
        }
      }
    }
    return true;
  });
}

describe('the grants cover every DynamoDB request the code sends', () => {
  it('authorizer: hash lookup, lastUsedAt, counter write', async () => {
    const accesses = await accessesOf((repo, counters) => [
      repo.getAuthzByHash(HASH_A),
      repo.touchLastUsed(ID_A, NOW.toISOString()),
      counters.consume(ID_A, PLAN, NOW),
    ]);
    expect(new Set(accesses.map((a) => a.action))).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    expect(accesses.map((a) => `${a.action} ${a.table} ${a.leadingKey?.replace(/#.*/, '#')}`)).toEqual(
      expect.arrayContaining(['dynamodb:GetItem key-table HASH#', 'dynamodb:UpdateItem key-table KEY#', 'dynamodb:UpdateItem counter-table CTR#']),
    );
    // what the attribute-level condition is checked against
    expect(accesses.find((a) => a.table === KEYS && a.action === 'dynamodb:UpdateItem')?.attributes).toEqual(['lastUsedAt', 'pk', 'sk']);
    for (const access of accesses) expect(allows(k.stack.keyAuthorizer.handler, access), JSON.stringify(access)).toBe(true);
  });

  it('keys function: records, transactions, both list indexes, verify, usage', async () => {
    const accesses = await accessesOf((repo, counters) => [
      repo.getById(ID_A),
      repo.create(record(ID_A, HASH_A, 1), entryAbout(ID_A, HASH_A, 1)),
      repo.update(record(ID_A, HASH_A, 2), entryAbout(ID_A, HASH_A, 2)),
      repo.rotate(record(ID_A, HASH_A, 3), record(ID_B, HASH_B, 1), [entryAbout(ID_A, HASH_A, 3), entryAbout(ID_B, HASH_B, 1)]),
      repo.list({ ownerId: 'acme', limit: 10, now: NOW }),
      repo.list({ limit: 10, now: NOW }),
      repo.getAuthzByHash(HASH_A),
      repo.touchLastUsed(ID_A, NOW.toISOString()),
      counters.peek(ID_A, PLAN, NOW),
      counters.consume(ID_A, PLAN, NOW),
    ]);
    expect(new Set(accesses.map((a) => a.index).filter(Boolean))).toEqual(new Set(['byOwner', 'byCreated']));
    expect(new Set(accesses.map((a) => a.action))).toEqual(
      new Set(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']),
    );
    for (const access of accesses) expect(allows(k.stack.managementApi.keysFunction, access), JSON.stringify(access)).toBe(true);
  });

  it('keys function: the audit log — entries in the transactions, denied attempts, queries on the table and every index', async () => {
    // Prepare: a key acting on another owner's key, and a denied create (no key: the owner's partition)
    const actor = { type: 'key' as const, keyId: ID_B, ownerId: 'globex' };
    const denied = (target: { keyId?: string; ownerId: string }): AuditEntry =>
      deniedEntry({ action: target.keyId ? 'key.updated' : 'key.created', reason: 'forbidden', target, context: { actor, request: { sourceIp: '203.0.113.9' } }, at: NOW }, TEST_AUDIT_POLICY);

    // Act
    const accesses = await accessesOf((repo, counters, audit) => [
      repo.create(record(ID_A, HASH_A, 1), entryAbout(ID_A, HASH_A, 1)),
      audit.record(denied({ keyId: ID_A, ownerId: 'acme' })),
      audit.record(denied({ ownerId: 'acme' })),
      audit.query({ keyId: ID_A, limit: 10 }),
      audit.query({ actorKeyId: ID_B, limit: 10 }),
      audit.query({ ownerId: 'acme', limit: 10 }),
      audit.query({ limit: 10 }),
      audit.entriesOfKey(ID_A),
      // the leak report's per-IP limit
      counters.consume(leakCounterId('203.0.113.9'), LEAK_REPORT_PLAN, NOW, 3),
    ]);

    // Assess: what was sent is what the audit log needs ...
    const shape = (a: Access) => `${a.action} ${a.index ?? a.table} ${a.leadingKey?.replace(/^(AUDIT#OWNER#|AUDIT#|KEY#|HASH#|CTR#).*/, '$1') ?? ''}`.trim();
    expect(new Set(accesses.map(shape))).toEqual(
      new Set([
        'dynamodb:PutItem key-table KEY#',
        'dynamodb:PutItem key-table HASH#',
        'dynamodb:PutItem key-table AUDIT#',
        'dynamodb:PutItem key-table AUDIT#OWNER#',
        'dynamodb:Query key-table AUDIT#',
        'dynamodb:Query byActor',
        'dynamodb:Query byOwner',
        'dynamodb:Query byCreated',
        'dynamodb:UpdateItem counter-table CTR#',
      ]),
    );
    expect(accesses.find((a) => a.table === COUNTERS)?.leadingKey).toBe('CTR#leak-ip:203.0.113.9');
    // ... the keys function may do all of it, the authorizer none of the audit part
    for (const access of accesses) expect(allows(k.stack.managementApi.keysFunction, access), JSON.stringify(access)).toBe(true);
    for (const access of accesses.filter((a) => a.table === KEYS)) expect(allows(k.stack.keyAuthorizer.handler, access), JSON.stringify(access)).toBe(false);
  });

  it('keys function: audit grants stay on audit partitions (no Query of key or hash partitions, no reading entries one by one)', () => {
    const keys = k.stack.managementApi.keysFunction;
    expect(allows(keys, { action: 'dynamodb:Query', table: KEYS, leadingKey: `KEY#${ID_A}` })).toBe(false);
    expect(allows(keys, { action: 'dynamodb:Query', table: KEYS, leadingKey: `HASH#${HASH_A}` })).toBe(false);
    expect(allows(keys, { action: 'dynamodb:Query', table: COUNTERS, leadingKey: `CTR#${ID_A}` })).toBe(false);
    expect(allows(keys, { action: 'dynamodb:GetItem', table: KEYS, leadingKey: `AUDIT#${ID_A}` })).toBe(false);
    expect(allows(keys, { action: 'dynamodb:UpdateItem', table: KEYS, leadingKey: `AUDIT#${ID_A}`, attributes: ['pk', 'sk', 'digest'] })).toBe(false);
    expect(allows(keys, { action: 'dynamodb:DeleteItem', table: KEYS, leadingKey: `AUDIT#${ID_A}` })).toBe(false);
    expect(allows(keys, { action: 'dynamodb:PutItem', table: COUNTERS, leadingKey: `AUDIT#${ID_A}` })).toBe(false);
    // and the control: what it does send is allowed
    expect(allows(keys, { action: 'dynamodb:Query', table: KEYS, leadingKey: `AUDIT#${ID_A}` })).toBe(true);
  });

  it('expiry scan function: the expiry index, the ledger (read, claim, confirm, release), notification entries', async () => {
    // Prepare
    const fn = k.stack.expiryNotifications!.function;
    const accesses: Access[] = [];
    const doc = recordingClient(accesses);
    const ledger = new DynamoExpiryLedger(doc, COUNTERS);
    const claim = { keyId: ID_A, expiresAt: '2031-05-17T12:00:00.000Z', stage: 7, token: 'tok', leaseUntil: NOW.getTime() + 60_000 };
    // Act
    await new DynamoKeyRepository(doc, KEYS).pageExpiring(NOW, new Date(NOW.getTime() + 15 * 86_400_000), { limit: 50 });
    await ledger.read([claim]);
    await ledger.claim(claim, NOW);
    await ledger.confirm(claim);
    await ledger.release(claim);
    await new DynamoAuditStore(doc, KEYS).record(
      deniedEntry({ action: 'key.expiring_notified', reason: 'threshold', target: { keyId: ID_A, ownerId: 'acme' }, context: { actor: { type: 'system' }, request: {} }, at: NOW }, TEST_AUDIT_POLICY),
    );
    // Assess
    expect(new Set(accesses.map((a) => `${a.action} ${a.table} ${a.index ?? a.leadingKey?.replace(/#.*/, '#')}`))).toEqual(
      new Set(['dynamodb:Query key-table byExpiry', 'dynamodb:BatchGetItem counter-table EXPN#', 'dynamodb:PutItem counter-table EXPN#', 'dynamodb:PutItem key-table AUDIT#']),
    );
    for (const access of accesses) expect(allows(fn, access), JSON.stringify(access)).toBe(true);
    // and nothing beyond: no key records, no counters, no hash items
    expect(allows(fn, { action: 'dynamodb:GetItem', table: KEYS, leadingKey: `KEY#${ID_A}` })).toBe(false);
    expect(allows(fn, { action: 'dynamodb:PutItem', table: COUNTERS, leadingKey: `CTR#${ID_A}`, attributes: ['pk', 'sk'] })).toBe(false);
    expect(allows(fn, { action: 'dynamodb:PutItem', table: COUNTERS, leadingKey: `EXPN#${ID_A}`, attributes: ['pk', 'sk', 'stage', 'other'] })).toBe(false);
    expect(allows(fn, { action: 'dynamodb:Query', table: KEYS, index: 'byOwner' })).toBe(false);
  });

  it('the check is live: what only the keys function may do is refused to the authorizer', async () => {
    const accesses = await accessesOf((repo) => [repo.getById(ID_A), repo.create(record(ID_A, HASH_A, 1), entryAbout(ID_A, HASH_A, 1)), repo.list({ limit: 10, now: NOW })]);
    expect(accesses.length).toBeGreaterThanOrEqual(4);
    for (const access of accesses) expect(allows(k.stack.keyAuthorizer.handler, access), JSON.stringify(access)).toBe(false);
    // and a write of anything but lastUsedAt, or to a hash item, is refused to both
    for (const fn of [k.stack.keyAuthorizer.handler, k.stack.managementApi.keysFunction]) {
      expect(allows(fn, { action: 'dynamodb:UpdateItem', table: KEYS, leadingKey: `KEY#${ID_A}`, attributes: ['pk', 'sk', 'status'] })).toBe(false);
      expect(allows(fn, { action: 'dynamodb:UpdateItem', table: KEYS, leadingKey: `HASH#${HASH_A}`, attributes: ['lastUsedAt', 'pk', 'sk'] })).toBe(false);
      expect(allows(fn, { action: 'dynamodb:DeleteItem', table: KEYS, leadingKey: `KEY#${ID_A}` })).toBe(false);
      expect(allows(fn, { action: 'dynamodb:Query', table: KEYS, index: 'byExpiry' })).toBe(false);
    }
  });
});
