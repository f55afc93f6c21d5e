/**
 * The client against the local stack (real HTTP, DynamoDB Local): create → list → rotate → revoke,
 * problem errors as the stack answers them, and no plaintext key in the stack's log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeygateClient, KeygateProblemError, type CreatedKey, type RotatedKey } from '../../packages/client/src/index';
import { startTestStack, type TestStack } from '../support/local';

let stack: TestStack;
let admin: KeygateClient;

beforeAll(async () => {
  stack = await startTestStack();
  admin = new KeygateClient({ endpoint: stack.url, apiKey: stack.adminKey });
});

afterAll(async () => {
  await stack?.stop();
});

describe('KeygateClient against the local stack', () => {
  let created: CreatedKey;
  let rotated: RotatedKey;

  it('creates a key and gets its plaintext once', async () => {
    // Act
    created = await admin.createKey({ name: 'orders service', ownerId: 'client-acme', scopes: ['echo:read'], rateLimit: { limit: 100, windowSeconds: 60 } });
    // Assess
    expect(created).toMatchObject({ name: 'orders service', ownerId: 'client-acme', scopes: ['echo:read'], status: 'active' });
    expect(created.key).toMatch(/^kg_live_/);
    const fetched = await admin.getKey(created.id);
    expect(fetched).not.toHaveProperty('key');
    expect(fetched.start).toBe(created.start);
  });

  it('lists it, by page and through the iterator', async () => {
    const page = await admin.listKeys({ ownerId: 'client-acme' });
    expect(page.items.map((k) => k.id)).toEqual([created.id]);
    const all: string[] = [];
    for await (const key of admin.keys.listAll({ ownerId: 'client-acme', status: 'active', limit: 1 })) all.push(key.id);
    expect(all).toEqual([created.id]);
  });

  it('rotates it: a new key with a new plaintext, the old one in its grace period', async () => {
    rotated = await admin.rotateKey(created.id, { gracePeriodSeconds: 3600 });
    expect(rotated.id).not.toBe(created.id);
    expect(rotated.key).not.toBe(created.key);
    expect(rotated.replaces).toBe(created.id);
    expect(rotated.previous).toMatchObject({ id: created.id, status: 'active' });
    // The new key works for the route its scope allows.
    const asService = new KeygateClient({ endpoint: stack.url, apiKey: rotated.key });
    expect(await asService.echo()).toMatchObject({ keyId: rotated.id, ownerId: 'client-acme' });
  });

  it('revokes both, and the revoked key is refused with a typed problem', async () => {
    // Act
    const old = await admin.revokeKey(created.id);
    const current = await admin.revokeKey(rotated.id);
    // Assess
    expect([old.status, current.status]).toEqual(['revoked', 'revoked']);
    const listed: string[] = [];
    for await (const key of admin.keys.listAll({ ownerId: 'client-acme', status: 'revoked' })) listed.push(key.id);
    expect(listed.sort()).toEqual([created.id, rotated.id].sort());
    const asRevoked = new KeygateClient({ endpoint: stack.url, apiKey: rotated.key, maxRetries: 0 });
    const err = await asRevoked.whoami().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeygateProblemError);
    expect((err as KeygateProblemError).status).toBe(401);
    expect((err as KeygateProblemError).code).toMatch(/^[a-z_]+$/);
  });

  it('reads a validation problem with its field errors', async () => {
    const err = await admin.createKey({ name: '', scopes: ['no:such:scope'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeygateProblemError);
    const e = err as KeygateProblemError;
    expect(e).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(e.errors.map((f) => f.field)).toEqual(expect.arrayContaining(['name']));
    expect(e.requestId).toBeTruthy();
  });

  it('answers health without a key and audits through the iterator', async () => {
    expect(await new KeygateClient({ endpoint: stack.url }).health()).toEqual({ status: 'ok' });
    const actions: string[] = [];
    for await (const entry of admin.audit.listAll({ keyId: created.id, limit: 2 })) actions.push(entry.action);
    expect(actions).toEqual(['key.revoked', 'key.rotated', 'key.created']);
  });

  it('left no plaintext key in the stack log', () => {
    const log = stack.logs.lines.join('\n');
    for (const key of [created.key, rotated.key, stack.adminKey]) expect(log).not.toContain(key);
  });
});
