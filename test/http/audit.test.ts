/**
 * The audit log over real HTTP against the local stack (DynamoDB Local): one entry per affected
 * key per operation, actors and changed fields, tenant isolation of queries and cursors, chain
 * verification before and after tampering, export events, and no secret in any stored entry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { startTestStack, type TestStack } from '../support/local';
import { ApiClient, type ApiRequest, type ApiResponse, expectProblem, sha256Hex, TestClock } from '../support/e2e';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let stack: TestStack;
let api: ApiClient;
const clock = new TestClock();
let adminKeyId: string;
const plaintexts: string[] = [];

const call = (path: string, req: ApiRequest = {}): Promise<ApiResponse> => api.call(path, req);
const admin = (path: string, req: Omit<ApiRequest, 'key'> = {}): Promise<ApiResponse> => call(path, { ...req, key: stack.adminKey });

async function create(body: Record<string, unknown>, key = stack.adminKey): Promise<Json> {
  const res = await call('/v1/keys', { method: 'POST', body, key });
  expect(res.status, res.text).toBe(201);
  plaintexts.push(res.body.key);
  return res.body;
}

async function audit(query: string, key = stack.adminKey): Promise<Json> {
  const res = await call(`/v1/audit${query}`, { key });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** Every entry about a key, oldest first (the API answers newest first). */
async function trail(keyId: string): Promise<Json[]> {
  return [...(await audit(`?keyId=${keyId}&limit=100`)).items].reverse();
}

function events(): Json[] {
  return readFileSync(join(stack.home, 'events.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

beforeAll(async () => {
  stack = await startTestStack({ clock });
  api = new ApiClient({ baseUrl: stack.url });
  adminKeyId = (await admin('/v1/whoami')).body.keyId;
});
afterAll(async () => {
  await stack?.stop();
});

describe('the story of a key: create → patch → rotate → revoke → revoke-leaked', () => {
  let oldId: string;
  let newId: string;
  let oldPlaintext: string;

  beforeAll(async () => {
    const created = await create({ name: 'orders-ci', ownerId: 'acme', scopes: ['echo:read'], metadata: { contact: 'alice@example.com' }, description: 'Alice’s CI' });
    oldId = created.id;
    oldPlaintext = created.key;
    const patched = await admin(`/v1/keys/${oldId}`, { method: 'PATCH', body: { scopes: ['echo:read', 'orders:read'], metadata: { contact: 'bob@example.com' }, name: 'orders-ci-2' } });
    expect(patched.status, patched.text).toBe(200);
    const rotated = await admin(`/v1/keys/${oldId}/rotate`, { method: 'POST', body: { gracePeriodSeconds: 3600 } });
    expect(rotated.status, rotated.text).toBe(201);
    newId = rotated.body.id;
    plaintexts.push(rotated.body.key);
    expect((await admin(`/v1/keys/${newId}`, { method: 'DELETE' })).status).toBe(200);
    const leak = await call('/v1/keys/revoke-leaked', { method: 'POST', body: { keys: [oldPlaintext] }, headers: { 'x-forwarded-for': '198.51.100.7', 'user-agent': 'leak-scanner/1.0' } });
    expect(leak.status, leak.text).toBe(202);
  });

  it('writes one entry per affected key per operation, with actors', async () => {
    // Act
    const old = await trail(oldId);
    const fresh = await trail(newId);
    // Assess
    expect(old.map((e) => [e.action, e.outcome, e.actor.type, e.actor.keyId ?? null])).toEqual([
      ['key.created', 'success', 'key', adminKeyId],
      ['key.updated', 'success', 'key', adminKeyId],
      ['key.rotated', 'success', 'key', adminKeyId],
      ['key.leak_revoked', 'success', 'leak-report', null],
    ]);
    expect(fresh.map((e) => [e.action, e.actor.keyId ?? null])).toEqual([
      ['key.rotated', adminKeyId],
      ['key.revoked', adminKeyId],
    ]);
    expect(old.map((e) => e.chain.seq)).toEqual([1, 2, 3, 4]);
    expect(old.every((e) => e.target.keyId === oldId && e.target.ownerId === 'acme')).toBe(true);
  });

  it('records what changed: values for plain fields, digests for sealed ones', async () => {
    const [created, updated, rotated, leaked] = await trail(oldId);
    expect(created.changes).toEqual(
      expect.arrayContaining([
        { field: 'name', after: 'orders-ci' },
        { field: 'scopes', after: ['echo:read'] },
        { field: 'metadata', sealed: true, after: expect.stringMatching(/^sha256:/) },
        { field: 'description', sealed: true, after: expect.stringMatching(/^sha256:/) },
      ]),
    );
    expect(updated.changes).toEqual([
      { field: 'name', before: 'orders-ci', after: 'orders-ci-2' },
      { field: 'scopes', before: ['echo:read'], after: ['echo:read', 'orders:read'] },
      { field: 'metadata', sealed: true, before: expect.stringMatching(/^sha256:/), after: expect.stringMatching(/^sha256:/) },
    ]);
    expect(rotated.changes).toEqual(expect.arrayContaining([{ field: 'replacedBy', after: newId }, expect.objectContaining({ field: 'expiresAt' })]));
    expect(leaked.changes).toEqual(expect.arrayContaining([{ field: 'status', before: 'active', after: 'revoked' }]));
    expect(leaked.request).toMatchObject({ sourceIp: '198.51.100.7', userAgent: 'leak-scanner/1.0', requestId: expect.any(String) });
    const fresh = await trail(newId);
    expect(fresh[0].changes).toEqual(expect.arrayContaining([{ field: 'replaces', after: oldId }]));
  });

  it('links a key to its audit trail', async () => {
    const res = await admin(`/v1/keys/${oldId}`);
    expect(res.headers.get('link')).toBe(`</v1/audit?keyId=${oldId}>; rel="audit"`);
  });

  it('publishes every entry as a keygate.audit.* event, and the leak as keygate.key.leaked', async () => {
    // Prepare
    const entries = [...(await trail(oldId)), ...(await trail(newId))];
    // Act
    const published = events();
    // Assess
    for (const e of entries) {
      expect(published.find((p) => p.id === e.id)).toEqual({ type: `keygate.audit.${e.action}`, ...e });
    }
    expect(published.filter((p) => p.type === 'keygate.key.leaked')).toEqual([
      expect.objectContaining({ keyId: oldId, ownerId: 'acme', sourceIp: '198.51.100.7' }),
    ]);
  });

  it('verifies the untouched chain, then names the first tampered entry', async () => {
    // Prepare
    const before = await admin(`/v1/audit/verify?keyId=${oldId}`);
    expect(before.status, before.text).toBe(200);
    expect(before.body).toMatchObject({ ok: true, keysChecked: 1, entriesChecked: 4, firstBroken: null });
    const victim = (await trail(oldId))[1];
    const doc = createDocumentClient({ endpoint: stack.dynamoEndpoint });
    // Act: someone with table access rewrites history
    await doc.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { pk: `AUDIT#${oldId}`, sk: victim.id },
        UpdateExpression: 'SET #c = :c',
        ExpressionAttributeNames: { '#c': 'changes' },
        ExpressionAttributeValues: { ':c': [] },
      }),
    );
    doc.destroy();
    const after = await admin(`/v1/audit/verify?keyId=${oldId}`);
    // Assess
    expect(after.body.ok).toBe(false);
    expect(after.body.firstBroken).toMatchObject({ keyId: oldId, broken: { reason: 'digest_mismatch', seq: 2, entryId: victim.id } });
    const all = await admin('/v1/audit/verify?limit=100');
    expect(all.body.ok).toBe(false);
    expect(all.body.firstBroken.keyId).toBe(oldId);
  });
});

describe('tenants', () => {
  let acmeKey: string;
  let acmeKeyId: string;
  let globexKey: string;
  let globexKeyId: string;
  let acmeTarget: string;

  beforeAll(async () => {
    const a = await create({ name: 'acme-admin', ownerId: 'tenant-acme', scopes: ['keys:read', 'keys:write', 'audit:read', 'echo:read'] });
    const g = await create({ name: 'globex-admin', ownerId: 'tenant-globex', scopes: ['keys:read', 'keys:write', 'audit:read', 'echo:read'] });
    [acmeKey, acmeKeyId, globexKey, globexKeyId] = [a.key, a.id, g.key, g.id];
    acmeTarget = (await create({ name: 'acme-svc', scopes: ['echo:read'] }, acmeKey)).id;
    for (let i = 0; i < 4; i++) {
      expect((await call(`/v1/keys/${acmeTarget}`, { method: 'PATCH', body: { name: `acme-svc-${i}` }, key: acmeKey })).status).toBe(200);
    }
    // globex probes acme's key: 404, as if it did not exist
    expectProblem(await call(`/v1/keys/${acmeTarget}`, { method: 'PATCH', body: { name: 'pwned' }, key: globexKey }), 404, 'key_not_found');
    expectProblem(await call(`/v1/keys/${acmeTarget}`, { method: 'DELETE', key: globexKey }), 404, 'key_not_found');
    // and tries to create a key in acme's name: 403
    expectProblem(await call('/v1/keys', { method: 'POST', body: { name: 'x', ownerId: 'tenant-acme', scopes: [] }, key: globexKey }), 403, 'owner_not_allowed');
  });

  it('records denied attempts on another tenant’s key for the owner to see, not the prober', async () => {
    // Act
    const seenByAcme = (await audit(`?keyId=${acmeTarget}&limit=100`, acmeKey)).items;
    const seenByGlobex = (await audit(`?keyId=${acmeTarget}&limit=100`, globexKey)).items;
    // Assess
    const denied = seenByAcme.filter((e: Json) => e.outcome === 'denied');
    expect(denied.map((e: Json) => [e.action, e.reason, e.actor.keyId, e.chain])).toEqual([
      ['key.revoked', 'key_not_found', globexKeyId, undefined],
      ['key.updated', 'key_not_found', globexKeyId, undefined],
    ]);
    expect(seenByGlobex).toEqual([]);
    const ownerView = (await audit('?ownerId=tenant-acme&action=key.created&limit=100')).items;
    expect(ownerView.some((e: Json) => e.outcome === 'denied' && e.reason === 'owner_not_allowed' && e.actor.keyId === globexKeyId)).toBe(true);
    // The denied attempts do not break the chain.
    expect((await call(`/v1/audit/verify?keyId=${acmeTarget}`, { key: acmeKey })).body.ok).toBe(true);
  });

  it('confines a non-admin to its own owner’s entries, whatever the filters', async () => {
    // Act
    const mine = (await audit('?limit=100', globexKey)).items;
    const byActor = (await audit(`?actorKeyId=${acmeKeyId}&limit=100`, globexKey)).items;
    // Assess
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e: Json) => e.target.ownerId === 'tenant-globex')).toBe(true);
    expect(byActor).toEqual([]);
    expectProblem(await call('/v1/audit?ownerId=tenant-acme', { key: globexKey }), 403, 'owner_not_allowed');
    expectProblem(await call(`/v1/audit/verify?keyId=${acmeTarget}`, { key: globexKey }), 404, 'key_not_found');
  });

  it('pages newest first with cursors that work only for the query and caller that got them', async () => {
    // Act
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Json = await audit(`?keyId=${acmeTarget}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, acmeKey);
      ids.push(...page.items.map((e: Json) => e.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    // Assess: 5 changes + 2 denied attempts, no duplicates, newest first
    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
    expect([...ids].sort().reverse()).toEqual(ids);
    const first = await audit(`?keyId=${acmeTarget}&limit=2`, acmeKey);
    expectProblem(await call(`/v1/audit?keyId=${acmeTarget}&limit=2&cursor=${first.nextCursor}`, { key: globexKey }), 400, 'invalid_cursor');
    expectProblem(await call(`/v1/audit?limit=2&cursor=${first.nextCursor}`, { key: acmeKey }), 400, 'invalid_cursor');
    expectProblem(await call('/v1/audit?cursor=not-a-cursor', { key: acmeKey }), 400, 'invalid_cursor');
  });

  it('filters by action, actor and time', async () => {
    const updates = (await audit(`?keyId=${acmeTarget}&action=key.updated&limit=100`, acmeKey)).items;
    expect(updates.filter((e: Json) => e.outcome === 'success')).toHaveLength(4);
    expect(updates.every((e: Json) => e.action === 'key.updated')).toBe(true);
    const byGlobex = (await audit(`?actorKeyId=${globexKeyId}&limit=100`)).items;
    expect(byGlobex.length).toBeGreaterThanOrEqual(3);
    expect(byGlobex.every((e: Json) => e.actor.keyId === globexKeyId)).toBe(true);
    const future = new Date(clock.now().getTime() + 3_600_000).toISOString();
    expect((await audit(`?keyId=${acmeTarget}&from=${encodeURIComponent(future)}`, acmeKey)).items).toEqual([]);
  });

  it('needs audit:read', async () => {
    const plain = await create({ name: 'no-audit', ownerId: 'tenant-acme', scopes: ['keys:read'] });
    expect(expectProblem(await call('/v1/audit', { key: plain.key }), 403, 'forbidden').reason).toBe('insufficient_scope');
  });

  it('refuses bad filters with a problem naming them', async () => {
    const res = await call('/v1/audit?keyId=nope&action=key.deleted&from=yesterday&extra=1', { key: acmeKey });
    const body = expectProblem(res, 400, 'validation_failed');
    expect(body.errors.map((e: Json) => e.field).sort()).toEqual(['action', 'extra', 'from', 'keyId']);
  });
});

describe('concurrent changes', () => {
  it('writes an entry only for the change that won', async () => {
    // Prepare
    const k = await create({ name: 'race', ownerId: 'racer', scopes: [] });
    // Act
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => admin(`/v1/keys/${k.id}`, { method: 'PATCH', body: { name: `race-${i}` } })),
    );
    // Assess
    const won = results.filter((r) => r.status === 200).length;
    expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    const entries = await trail(k.id);
    expect(entries.filter((e) => e.action === 'key.updated')).toHaveLength(won);
    expect((await admin(`/v1/audit/verify?keyId=${k.id}`)).body.ok).toBe(true);
  });
});

describe('what the table holds', () => {
  it('no audit entry carries a plaintext key, a key hash or a sealed value', async () => {
    // Prepare
    const doc = createDocumentClient({ endpoint: stack.dynamoEndpoint });
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await doc.send(new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    doc.destroy();
    const auditItems = items.filter((i) => String(i.pk).startsWith('AUDIT#'));
    const hashes = items.filter((i) => String(i.pk).startsWith('HASH#')).map((i) => String(i.pk).slice(5));
    // Act
    const text = JSON.stringify(auditItems);
    // Assess
    expect(auditItems.length).toBeGreaterThan(20);
    expect(plaintexts.length).toBeGreaterThan(5);
    for (const p of [...plaintexts, stack.adminKey]) {
      expect(text).not.toContain(p);
      expect(text).not.toContain(sha256Hex(p));
    }
    for (const h of hashes) expect(text).not.toContain(h);
    for (const secret of ['alice@example.com', 'bob@example.com', 'Alice’s CI']) expect(text).not.toContain(secret);
    expect(auditItems.every((i) => typeof i.ttl === 'number' && (i.ttl as number) > Date.now() / 1000)).toBe(true);
  });
});
