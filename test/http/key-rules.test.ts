import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function create(key: string, body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const res = await stack.call('/v1/keys', { method: 'POST', key, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

describe('key lifecycle rules', () => {
  it('rejects changing the expiry of a rotated key, so its grace period cannot be extended', async () => {
    const k = await create(stack.adminKey, { name: 'graced', scopes: ['echo:read'] });
    const rotated = await stack.call(`/v1/keys/${k.id}/rotate`, { method: 'POST', key: stack.adminKey, body: '{"gracePeriodSeconds":60}' });
    expect(rotated.status).toBe(201);
    const clear = await stack.call(`/v1/keys/${k.id}`, { method: 'PATCH', key: stack.adminKey, body: '{"expiresAt":null}' });
    expect(clear.status).toBe(409);
    expect(((await clear.json()) as { code: string }).code).toBe('key_rotated');
    // other attributes of the rotated key may still change
    const rename = await stack.call(`/v1/keys/${k.id}`, { method: 'PATCH', key: stack.adminKey, body: '{"name":"old one"}' });
    expect(rename.status).toBe(200);
  });

  it('rejects a tenant key revoking a key of its owner that holds scopes it lacks', async () => {
    const strong = await create(stack.adminKey, { name: 'strong', ownerId: 'acme', scopes: ['keys:read', 'keys:write', 'echo:read'] });
    const weak = await create(stack.adminKey, { name: 'weak', ownerId: 'acme', scopes: ['keys:write', 'keys:read'] });
    const denied = await stack.call(`/v1/keys/${strong.id}`, { method: 'DELETE', key: weak.key });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { code: string }).code).toBe('scope_not_grantable');
    expect((await stack.call('/v1/echo', { key: strong.key })).status).toBe(200);
    // the stronger key may revoke the weaker one
    expect((await stack.call(`/v1/keys/${weak.id}`, { method: 'DELETE', key: strong.key })).status).toBe(200);
    expect((await stack.call('/v1/whoami', { key: weak.key })).status).toBe(401);
  });
});
