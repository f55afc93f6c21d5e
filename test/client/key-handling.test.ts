/**
 * The API key goes only into `Authorization: Bearer` of routes that take one: never into a URL,
 * an error, or what String(), JSON.stringify or util.inspect show of the client or its errors.
 * Plaintext keys returned by create and rotate go to the caller and nowhere else.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeygateClient } from '../../packages/client/src/index';
import { ok, problem, recordingSleep, startScriptedServer, type ScriptedServer } from './scripted-server';

const API_KEY = 'kg_test_T0pS3cretApiKeyNeverShown1234567890abcdefghij';
const PLAINTEXT = 'kg_test_N3wPlaintextReturnedOnce1234567890abcdefghijk';

let server: ScriptedServer | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await server?.close();
  server = undefined;
});

/** Every way a value can be shown, deep and with hidden properties, causes included. */
function shown(value: unknown): string {
  const json = (() => {
    try {
      return JSON.stringify(value) ?? '';
    } catch {
      return '';
    }
  })();
  const parts = [String(value), json, inspect(value, { depth: 10, showHidden: true, getters: true })];
  if (value instanceof Error) parts.push(value.message, value.stack ?? '', shown(value.cause));
  return parts.join('\n');
}

describe('the API key', () => {
  it('is sent as a Bearer header to routes that take a key, and to no other', async () => {
    // Prepare
    server = await startScriptedServer((req) => (req.url.startsWith('/v1/keys/revoke-leaked') ? { status: 202, body: { status: 'accepted', message: 'ok' } } : ok({})));
    const api = new KeygateClient({ endpoint: server.url, apiKey: API_KEY });
    // Act
    await api.whoami();
    await api.listKeys({ ownerId: 'acme' });
    await api.health();
    await api.openApi();
    await api.revokeLeaked(['kg_test_leaked']);
    // Assess
    const auth = server.seen.map((r) => [r.url.split('?')[0], r.headers.authorization]);
    expect(auth).toEqual([
      ['/v1/whoami', `Bearer ${API_KEY}`],
      ['/v1/keys', `Bearer ${API_KEY}`],
      ['/health', undefined],
      ['/v1/openapi.json', undefined],
      ['/v1/keys/revoke-leaked', undefined],
    ]);
    expect(server.seen.some((r) => r.url.includes(API_KEY) || r.body.includes(API_KEY))).toBe(false);
  });

  it('never shows in String(), JSON.stringify or util.inspect of the client', () => {
    const api = new KeygateClient({ endpoint: 'https://api.example.test/prod', apiKey: API_KEY });
    const text = shown(api);
    expect(text).toContain('https://api.example.test/prod');
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(API_KEY.slice(8, 24));
  });

  it('never shows in a problem error, a connection error, a timeout or a cancellation', async () => {
    // Prepare: a problem answer, then a port that refuses, then one that never answers
    server = await startScriptedServer((req) => (req.url === '/v1/whoami' ? problem(401, 'invalid_key', 'The key is not valid.') : { status: 200, hang: true }));
    const { sleep } = recordingSleep();
    const api = new KeygateClient({ endpoint: server.url, apiKey: API_KEY, timeoutMs: 100, sleep });
    const closed = await startScriptedServer(() => ok({}));
    await closed.close();
    const refused = new KeygateClient({ endpoint: closed.url, apiKey: API_KEY, sleep });
    // Act
    const errors = [
      await api.whoami().catch((e: unknown) => e),
      await refused.getKey('key_1').catch((e: unknown) => e),
      await api.getKey('key_1').catch((e: unknown) => e),
      await api.getKey('key_1', { signal: AbortSignal.abort() }).catch((e: unknown) => e),
    ];
    // Assess
    expect(errors.map((e) => (e as Error).name)).toEqual(['KeygateProblemError', 'KeygateConnectionError', 'KeygateConnectionError', 'KeygateConnectionError']);
    for (const err of errors) expect(shown(err)).not.toContain(API_KEY);
  });

  it('is refused when a header could not carry it, without quoting it', () => {
    const bad = `${API_KEY}\r\nX-Injected: 1`;
    let message = '';
    try {
      new KeygateClient({ endpoint: 'http://127.0.0.1:1', apiKey: bad });
    } catch (err) {
      message = shown(err);
    }
    expect(message).toContain('apiKey must be visible ASCII');
    expect(message).not.toContain(API_KEY);
  });

  it('is refused inside the endpoint URL, without quoting it', () => {
    let message = '';
    try {
      new KeygateClient({ endpoint: `https://user:${API_KEY}@api.example.test` });
    } catch (err) {
      message = shown(err);
    }
    expect(message).toContain('endpoint must not carry credentials');
    expect(message).not.toContain(API_KEY);
  });
});

describe('plaintext keys from create and rotate', () => {
  it('are returned to the caller and never logged', async () => {
    // Prepare
    server = await startScriptedServer((req) =>
      req.url.endsWith('/rotate')
        ? { status: 201, body: { id: 'key_2', key: PLAINTEXT, previous: { id: 'key_1', status: 'active' } } }
        : { status: 201, body: { id: 'key_1', key: PLAINTEXT } },
    );
    const api = new KeygateClient({ endpoint: server.url, apiKey: API_KEY });
    const consoleCalls = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((m) => vi.spyOn(console, m).mockImplementation(() => undefined));
    const writes = [vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write')];
    // Act
    const created = await api.createKey({ name: 'billing' });
    const rotated = await api.rotateKey('key_1', { gracePeriodSeconds: 60 });
    // Assess
    expect(created.key).toBe(PLAINTEXT);
    expect(rotated.key).toBe(PLAINTEXT);
    for (const spy of [...consoleCalls, ...writes]) {
      expect(spy.mock.calls.flat().map(String).join('\n')).not.toContain(PLAINTEXT);
    }
    expect(consoleCalls.every((spy) => spy.mock.calls.length === 0)).toBe(true);
  });
});
