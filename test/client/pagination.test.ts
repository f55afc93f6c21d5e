/** `keys.listAll` and `audit.listAll` walk every page through nextCursor, one request per page. */
import { afterEach, describe, expect, it } from 'vitest';
import { KeygateClient } from '../../packages/client/src/index';
import { ok, startScriptedServer, type ScriptedServer } from './scripted-server';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Pages of `ids`, `size` per page; the cursor is the index of the next item. */
async function pagedServer(ids: readonly string[], size: number): Promise<ScriptedServer> {
  server = await startScriptedServer((req) => {
    const url = new URL(req.url, 'http://x');
    const from = Number(url.searchParams.get('cursor') ?? '0');
    const items = ids.slice(from, from + size).map((id) => ({ id }));
    const next = from + size < ids.length ? String(from + size) : null;
    return ok({ items, nextCursor: next });
  });
  return server;
}

const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}_${i}`);

describe('listAll iterators', () => {
  it('yields every key across pages, keeping the filters on every request', async () => {
    // Prepare
    const s = await pagedServer(ids(7, 'key'), 3);
    const api = new KeygateClient({ endpoint: s.url, apiKey: 'kg_test_pagingKey' });
    // Act
    const seen: string[] = [];
    for await (const key of api.keys.listAll({ status: 'active', limit: 3 })) seen.push(key.id);
    // Assess
    expect(seen).toEqual(ids(7, 'key'));
    expect(s.seen.map((r) => r.url)).toEqual(['/v1/keys?status=active&limit=3', '/v1/keys?status=active&limit=3&cursor=3', '/v1/keys?status=active&limit=3&cursor=6']);
  });

  it('yields every audit entry across pages', async () => {
    const s = await pagedServer(ids(5, 'aud'), 2);
    const api = new KeygateClient({ endpoint: s.url, apiKey: 'kg_test_pagingKey' });
    const seen: string[] = [];
    for await (const entry of api.audit.listAll({ keyId: 'key_1' })) seen.push(entry.id);
    expect(seen).toEqual(ids(5, 'aud'));
    expect(s.seen.every((r) => r.url.startsWith('/v1/audit?keyId=key_1'))).toBe(true);
    expect(s.seen).toHaveLength(3);
  });

  it('fetches lazily: breaking out stops the requests', async () => {
    const s = await pagedServer(ids(10, 'key'), 2);
    const api = new KeygateClient({ endpoint: s.url, apiKey: 'kg_test_pagingKey' });
    for await (const key of api.keys.listAll()) if (key.id === 'key_2') break;
    expect(s.seen).toHaveLength(2);
  });

  it('stops when the server repeats a cursor instead of looping forever', async () => {
    server = await startScriptedServer(() => ok({ items: [{ id: 'key_a' }], nextCursor: 'same' }));
    const api = new KeygateClient({ endpoint: server.url, apiKey: 'kg_test_pagingKey' });
    const seen: string[] = [];
    for await (const key of api.keys.listAll()) seen.push(key.id);
    expect(seen).toEqual(['key_a', 'key_a']);
    expect(server.seen).toHaveLength(2);
  });
});
