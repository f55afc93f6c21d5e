import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('local stack smoke flow', () => {
  it('creates a key, calls echo with it, rotates, revokes, and then rejects it with 401', async () => {
    const created = await stack.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: JSON.stringify({ name: 'smoke', scopes: ['echo:read'] }) });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string; key: string };
    const echo = await stack.call('/v1/echo', { key: body.key });
    expect(echo.status).toBe(200);
    expect(((await echo.json()) as { keyId: string }).keyId).toBe(body.id);

    const rotated = await stack.call(`/v1/keys/${body.id}/rotate`, { method: 'POST', key: stack.adminKey, body: '{"gracePeriodSeconds":0}' });
    expect(rotated.status).toBe(201);
    const next = (await rotated.json()) as { id: string; key: string; previous: { status: string } };
    expect(next.previous.status).toBe('revoked');
    expect((await stack.call('/v1/echo', { key: body.key })).status).toBe(401);
    expect((await stack.call('/v1/echo', { key: next.key })).status).toBe(200);

    expect((await stack.call(`/v1/keys/${next.id}`, { method: 'DELETE', key: stack.adminKey })).status).toBe(200);
    const denied = await stack.call('/v1/echo', { key: next.key });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(denied.headers.get('content-type')).toBe('application/problem+json');
  });
});
