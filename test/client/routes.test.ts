/** The client package keeps its own route table (it cannot import core/); it must equal the server's. */
import { describe, expect, it } from 'vitest';
// The console's pages are routes but not API operations: the client has no business with them.
import { API_ROUTES as SERVER_ROUTES } from '../../core/routes';
import { KeygateClient, ROUTES, routePath } from '../../packages/client/src/index';

describe('client route table', () => {
  it('has exactly the operations of core/routes.ts, each with the same method, path and key requirement', () => {
    // Prepare
    const server = Object.fromEntries(SERVER_ROUTES.map((r) => [r.operation, { method: r.method, path: r.path, authorized: r.authorized }]));
    // Act
    const client = Object.fromEntries(Object.entries(ROUTES).map(([op, r]) => [op, { method: r.method, path: r.path, authorized: r.authorized }]));
    // Assess
    expect(client).toEqual(server);
  });

  it('has a typed client method named after every operation', () => {
    const client = new KeygateClient({ endpoint: 'http://127.0.0.1:1' });
    const missing = SERVER_ROUTES.map((r) => r.operation).filter((op) => typeof (client as unknown as Record<string, unknown>)[op] !== 'function');
    expect(missing).toEqual([]);
  });

  it('encodes path parameters and refuses a missing or empty one', () => {
    expect(routePath('getKey', { id: 'a/b?c' }).path).toBe('/v1/keys/a%2Fb%3Fc');
    expect(() => routePath('getKey')).toThrow('needs parameter id');
    expect(() => routePath('getKey', { id: '' })).toThrow('must not be empty');
  });

  it('refuses an operation it does not know, even an inherited property name', () => {
    expect(() => routePath('toString' as never)).toThrow('no route for operation toString');
  });
});
