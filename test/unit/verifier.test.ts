import { describe, expect, it } from 'vitest';
import { generateKey, hashKey } from '../../core/key-format';
import type { Clock } from '../../core/ports';
import type { AuthzRecord } from '../../core/records';
import { extractKey, KeyVerifier } from '../../core/verifier';

/** A hand-written in-memory repository that records every lookup. */
class FakeRepo {
  readonly records = new Map<string, AuthzRecord>();
  readonly calls: string[] = [];

  async getAuthzByHash(hash: string): Promise<AuthzRecord | undefined> {
    this.calls.push(hash);
    return this.records.get(hash);
  }
}

class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

const START = Date.parse('2025-06-01T12:00:00.000Z');

function setup(overrides: { cacheTtlSeconds?: number; negativeCacheTtlSeconds?: number; cacheMaxEntries?: number } = {}) {
  const repo = new FakeRepo();
  const clock = new ManualClock(START);
  const verifier = new KeyVerifier(
    repo,
    { keyPrefix: 'kg', cacheTtlSeconds: 10, negativeCacheTtlSeconds: 2, cacheMaxEntries: 100, ...overrides },
    clock,
  );
  return { repo, clock, verifier };
}

function storedKey(repo: FakeRepo, overrides: Partial<AuthzRecord> = {}): { plaintext: string; record: AuthzRecord } {
  const k = generateKey('kg', 'live');
  const record: AuthzRecord = { keyId: 'key_A', ownerId: 'team-a', environment: 'live', scopes: ['orders:read'], status: 'active', ...overrides };
  repo.records.set(k.hash, record);
  return { plaintext: k.plaintext, record };
}

const req = (key: string | undefined, requiredScopes: readonly string[] = ['orders:read']) => ({ key, requiredScopes, sourceIp: '203.0.113.7' });

describe('KeyVerifier', () => {
  it('returns MISSING without a key and makes no repository call', async () => {
    const { repo, verifier } = setup();
    expect(await verifier.verify(req(undefined))).toEqual({ code: 'MISSING' });
    expect(repo.calls).toEqual([]);
  });

  it('rejects a key with a bad checksum as MALFORMED with zero repository calls', async () => {
    const { repo, verifier } = setup();
    const { plaintext } = storedKey(repo);
    const i = 'kg_live_'.length + 3;
    const tampered = plaintext.slice(0, i) + (plaintext[i] === 'x' ? 'y' : 'x') + plaintext.slice(i + 1);
    expect(await verifier.verify(req(tampered))).toEqual({ code: 'MALFORMED' });
    expect(await verifier.verify(req('not-a-key'))).toEqual({ code: 'MALFORMED' });
    expect(repo.calls).toEqual([]);
  });

  it('rejects a well-formed key of another prefix as MALFORMED with zero repository calls', async () => {
    const { repo, verifier } = setup();
    expect(await verifier.verify(req(generateKey('other', 'live').plaintext))).toEqual({ code: 'MALFORMED' });
    expect(repo.calls).toEqual([]);
  });

  it('looks the key up by its SHA-256 hash and returns VALID', async () => {
    const { repo, verifier } = setup();
    const { plaintext, record } = storedKey(repo);
    expect(await verifier.verify(req(plaintext))).toEqual({ code: 'VALID', key: record });
    expect(repo.calls).toEqual([hashKey(plaintext)]);
  });

  it('returns NOT_FOUND for an unknown, well-formed key', async () => {
    const { repo, verifier } = setup();
    expect(await verifier.verify(req(generateKey('kg', 'live').plaintext))).toEqual({ code: 'NOT_FOUND' });
    expect(repo.calls).toHaveLength(1);
  });

  it('serves a found key from the cache within cacheTtlSeconds and reads again after it', async () => {
    const { repo, clock, verifier } = setup({ cacheTtlSeconds: 10 });
    const { plaintext } = storedKey(repo);
    await verifier.verify(req(plaintext));
    clock.advance(9_999);
    expect((await verifier.verify(req(plaintext))).code).toBe('VALID');
    expect(repo.calls).toHaveLength(1);
    clock.advance(1);
    expect((await verifier.verify(req(plaintext))).code).toBe('VALID');
    expect(repo.calls).toHaveLength(2);
  });

  it('keeps a revoked key valid from the cache until the TTL ends (bounded revocation lag)', async () => {
    const { repo, clock, verifier } = setup({ cacheTtlSeconds: 10 });
    const { plaintext, record } = storedKey(repo);
    expect((await verifier.verify(req(plaintext))).code).toBe('VALID');
    repo.records.set(hashKey(plaintext), { ...record, status: 'revoked' });
    clock.advance(5_000);
    expect((await verifier.verify(req(plaintext))).code).toBe('VALID');
    clock.advance(5_000);
    expect(await verifier.verify(req(plaintext))).toEqual({ code: 'REVOKED', keyId: 'key_A' });
    expect(repo.calls).toHaveLength(2);
  });

  it('remembers an unknown hash for negativeCacheTtlSeconds, not cacheTtlSeconds', async () => {
    const { repo, clock, verifier } = setup({ cacheTtlSeconds: 10, negativeCacheTtlSeconds: 2 });
    const k = generateKey('kg', 'live');
    expect((await verifier.verify(req(k.plaintext))).code).toBe('NOT_FOUND');
    clock.advance(1_999);
    expect((await verifier.verify(req(k.plaintext))).code).toBe('NOT_FOUND');
    expect(repo.calls).toHaveLength(1);
    // The key is created meanwhile; after the negative TTL it is found.
    repo.records.set(k.hash, { keyId: 'key_B', ownerId: 'o', environment: 'live', scopes: ['orders:read'], status: 'active' });
    clock.advance(1);
    expect((await verifier.verify(req(k.plaintext))).code).toBe('VALID');
    expect(repo.calls).toHaveLength(2);
  });

  it('does not cache an unknown hash when negativeCacheTtlSeconds is 0', async () => {
    const { repo, verifier } = setup({ cacheTtlSeconds: 10, negativeCacheTtlSeconds: 0 });
    const k = generateKey('kg', 'live').plaintext;
    await verifier.verify(req(k));
    await verifier.verify(req(k));
    expect(repo.calls).toHaveLength(2);
  });

  it('reads the repository on every call when cacheTtlSeconds and negativeCacheTtlSeconds are 0', async () => {
    const { repo, verifier } = setup({ cacheTtlSeconds: 0, negativeCacheTtlSeconds: 0 });
    const { plaintext } = storedKey(repo);
    const unknown = generateKey('kg', 'live').plaintext;
    for (let i = 0; i < 3; i++) {
      expect((await verifier.verify(req(plaintext))).code).toBe('VALID');
      expect((await verifier.verify(req(unknown))).code).toBe('NOT_FOUND');
    }
    expect(repo.calls).toHaveLength(6);
  });

  it('re-evaluates expiry against a cached record: it becomes EXPIRED without a repository call', async () => {
    const { repo, clock, verifier } = setup({ cacheTtlSeconds: 60 });
    const { plaintext } = storedKey(repo, { expiresAt: new Date(START + 5_000).toISOString() });
    expect((await verifier.verify(req(plaintext))).code).toBe('VALID');
    clock.advance(4_999);
    expect((await verifier.verify(req(plaintext))).code).toBe('VALID');
    clock.advance(1);
    expect(await verifier.verify(req(plaintext))).toEqual({ code: 'EXPIRED', keyId: 'key_A' });
    expect(repo.calls).toHaveLength(1);
  });

  it('applies the required scopes of each request to the cached record', async () => {
    const { repo, verifier } = setup();
    const { plaintext } = storedKey(repo, { scopes: ['orders:read'] });
    expect((await verifier.verify(req(plaintext, ['orders:read']))).code).toBe('VALID');
    expect(await verifier.verify(req(plaintext, ['orders:write']))).toEqual({ code: 'INSUFFICIENT_SCOPE', keyId: 'key_A', missing: ['orders:write'] });
    expect(repo.calls).toHaveLength(1);
  });

  it('applies the source IP of each request to the cached record', async () => {
    const { repo, verifier } = setup();
    const { plaintext } = storedKey(repo, { allowedIps: ['203.0.113.0/24'] });
    expect((await verifier.verify({ key: plaintext, requiredScopes: [], sourceIp: '203.0.113.1' })).code).toBe('VALID');
    expect((await verifier.verify({ key: plaintext, requiredScopes: [], sourceIp: '198.51.100.1' })).code).toBe('IP_NOT_ALLOWED');
    expect((await verifier.verify({ key: plaintext, requiredScopes: [], sourceIp: undefined })).code).toBe('IP_NOT_ALLOWED');
    expect(repo.calls).toHaveLength(1);
  });

  it('evicts beyond cacheMaxEntries', async () => {
    const { repo, verifier } = setup({ cacheMaxEntries: 1 });
    const a = storedKey(repo).plaintext;
    const b = storedKey(repo).plaintext;
    await verifier.verify(req(a));
    await verifier.verify(req(b));
    await verifier.verify(req(a));
    expect(repo.calls).toEqual([hashKey(a), hashKey(b), hashKey(a)]);
  });
});

describe('extractKey', () => {
  const KEY = 'kg_live_abc';

  it('reads a Bearer token, whatever the case of header name and scheme', () => {
    expect(extractKey({ headers: { Authorization: `Bearer ${KEY}` } }, false)).toBe(KEY);
    expect(extractKey({ headers: { authorization: `bearer ${KEY}` } }, false)).toBe(KEY);
    expect(extractKey({ headers: { AUTHORIZATION: `BEARER ${KEY}` } }, false)).toBe(KEY);
    expect(extractKey({ headers: { Authorization: `Bearer \t${KEY} ` } }, false)).toBe(KEY);
  });

  it('reads X-API-Key, whatever the case of the header name, trimmed', () => {
    expect(extractKey({ headers: { 'X-API-Key': KEY } }, false)).toBe(KEY);
    expect(extractKey({ headers: { 'x-api-key': ` ${KEY} ` } }, false)).toBe(KEY);
  });

  it('prefers Authorization over X-API-Key', () => {
    expect(extractKey({ headers: { 'X-API-Key': 'kg_live_other', Authorization: `Bearer ${KEY}` } }, false)).toBe(KEY);
  });

  it('falls back to X-API-Key when Authorization is not a Bearer token', () => {
    expect(extractKey({ headers: { Authorization: 'Basic dXNlcjpwYXNz', 'X-API-Key': KEY } }, false)).toBe(KEY);
    expect(extractKey({ headers: { Authorization: 'Bearer', 'X-API-Key': KEY } }, false)).toBe(KEY);
  });

  it('rejects a non-Bearer Authorization header when nothing else is given', () => {
    expect(extractKey({ headers: { Authorization: `Basic ${KEY}` } }, false)).toBeUndefined();
    expect(extractKey({ headers: { Authorization: `Bearer ${KEY} extra` } }, false)).toBeUndefined();
    expect(extractKey({ headers: { Authorization: KEY } }, false)).toBeUndefined();
  });

  it('rejects a blank X-API-Key', () => {
    expect(extractKey({ headers: { 'X-API-Key': '   ' } }, false)).toBeUndefined();
  });

  it('reads the api_key query parameter only when allowQueryKey is on', () => {
    expect(extractKey({ query: { api_key: KEY } }, false)).toBeUndefined();
    expect(extractKey({ query: { api_key: KEY } }, true)).toBe(KEY);
    expect(extractKey({ query: { api_key: '' } }, true)).toBeUndefined();
  });

  it('prefers headers over the query parameter', () => {
    expect(extractKey({ headers: { 'X-API-Key': KEY }, query: { api_key: 'kg_live_query' } }, true)).toBe(KEY);
  });

  it('returns undefined for no sources, null sources and undefined header values', () => {
    expect(extractKey({}, true)).toBeUndefined();
    expect(extractKey({ headers: null, query: null }, true)).toBeUndefined();
    expect(extractKey({ headers: { Authorization: undefined, 'X-API-Key': undefined } }, true)).toBeUndefined();
  });
});

describe('KeyVerifier single-flight cache fills', () => {
  it('shares one read among concurrent misses for the same hash, with or without a cache TTL', async () => {
    for (const cacheTtlSeconds of [0, 10]) {
      // Prepare: a repository whose reads wait until released
      const { repo, verifier } = setup({ cacheTtlSeconds });
      const { plaintext } = storedKey(repo);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const read = repo.getAuthzByHash.bind(repo);
      repo.getAuthzByHash = async (hash) => (await gate, read(hash));
      // Act: 20 concurrent verifications of one key, and one of another key
      const other = storedKey(repo, { keyId: 'key_B' });
      const pending = [...Array.from({ length: 20 }, () => verifier.verify(req(plaintext))), verifier.verify(req(other.plaintext))];
      release();
      const outcomes = await Promise.all(pending);
      // Assess: two reads in all, every outcome VALID
      expect(repo.calls).toHaveLength(2);
      expect(outcomes.every((o) => o.code === 'VALID')).toBe(true);
      // a later miss (TTL 0) reads again: the shared read does not outlive its callers
      await verifier.verify(req(plaintext));
      expect(repo.calls).toHaveLength(cacheTtlSeconds === 0 ? 3 : 2);
    }
  });

  it('hands a failed shared read to every waiter, then reads afresh', async () => {
    const { repo, verifier } = setup();
    const { plaintext } = storedKey(repo);
    const read = repo.getAuthzByHash.bind(repo);
    let fail = true;
    repo.getAuthzByHash = async (hash) => {
      repo.calls.push(hash);
      await Promise.resolve();
      if (fail) throw new Error('store down');
      return read(hash);
    };
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => verifier.verify(req(plaintext))));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    expect(repo.calls).toHaveLength(1);
    fail = false;
    expect((await verifier.verify(req(plaintext))).code).toBe('VALID');
  });
});
