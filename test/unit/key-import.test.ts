/**
 * Key import planning (core/key-import.ts): the row schema, plaintext vs hash rows, the legacy
 * switch, in-batch duplicates, row decisions, summaries and the bounded map; and the verifier's
 * legacy-key path (core/verifier.ts). No I/O.
 */
import { describe, expect, it } from 'vitest';
import { generateKey, hashKey } from '../../core/key-format';
import {
  decideRow,
  type ImportOptions,
  IMPORT_MAX_ROWS,
  mapBounded,
  parseImportRequest,
  type PlannedRow,
  summarize,
} from '../../core/key-import';
import { ProblemError } from '../../core/problem';
import type { AuthzRecord } from '../../core/records';
import { classifyPresentedKey, KeyVerifier } from '../../core/verifier';
import { packBatches, parseCsv, parseCsvRecords, parseJsonl } from '../../cli/import';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const OPTS: ImportOptions = { keyPrefix: 'kg', legacyKeys: false, scopes: ['orders:read', 'orders:write', 'admin', 'keys:read'] };
const LEGACY = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd'; // 40 characters, an API Gateway key's shape

const row = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  externalId: 'ext-1',
  name: 'partner',
  ownerId: 'acme',
  scopes: ['orders:read'],
  key: generateKey('kg', 'live').plaintext,
  ...over,
});

const plan = (rows: unknown[], opts: Partial<ImportOptions> = {}) => parseImportRequest({ keys: rows }, NOW, { ...OPTS, ...opts });
const only = (rows: unknown[], opts: Partial<ImportOptions> = {}): PlannedRow => plan(rows, opts).rows[0]!;
const codes = (r: PlannedRow): (string | undefined)[] => (r.kind === 'settled' ? r.errors.map((e) => e.code ?? e.field) : []);

describe('parseImportRequest: the body', () => {
  it.each([
    ['an array body', [], 'invalid_body'],
    ['no keys', {}, 'validation_failed'],
    ['zero rows', { keys: [] }, 'validation_failed'],
    ['too many rows', { keys: Array.from({ length: IMPORT_MAX_ROWS + 1 }, () => ({})) }, 'validation_failed'],
    ['a non-boolean dryRun', { keys: [{}], dryRun: 'yes' }, 'validation_failed'],
    ['an unknown member', { keys: [{}], force: true }, 'validation_failed'],
  ])('rejects %s as a 400', (_name, body, code) => {
    // Act
    const act = () => parseImportRequest(body, NOW, OPTS);
    // Assess
    expect(act).toThrow(ProblemError);
    try {
      act();
    } catch (err) {
      expect((err as ProblemError).status).toBe(400);
      expect((err as ProblemError).code).toBe(code);
    }
  });

  it('reads dryRun and keeps rows in order', () => {
    // Act
    const p = parseImportRequest({ keys: [row({ externalId: 'a' }), row({ externalId: 'b' })], dryRun: true }, NOW, OPTS);
    // Assess
    expect(p.dryRun).toBe(true);
    expect(p.rows.map((r) => [r.index, r.externalId])).toEqual([[0, 'a'], [1, 'b']]);
  });
});

describe('parseImportRequest: plaintext rows', () => {
  it('hashes a Keygate key, derives start and environment, and keeps no plaintext', () => {
    // Prepare
    const key = generateKey('kg', 'test').plaintext;
    // Act
    const r = only([row({ key, rateLimit: { limit: 10, windowSeconds: 60 }, quota: { daily: 100 } })]);
    // Assess
    expect(r.kind).toBe('draft');
    if (r.kind !== 'draft') return;
    expect(r.hash).toBe(hashKey(key));
    expect(r.start).toBe(key.slice(0, 12));
    expect(r.fields).toMatchObject({ ownerId: 'acme', environment: 'test', rateLimit: { limit: 10, windowSeconds: 60 }, quota: { daily: 100 } });
    expect(JSON.stringify(r)).not.toContain(key);
  });

  it('rejects a legacy key with legacy_keys_off while legacyKeys is off, naming the setting', () => {
    // Act
    const r = only([row({ key: LEGACY })]);
    // Assess
    expect(codes(r)).toEqual(['legacy_keys_off']);
    expect(JSON.stringify(r)).toContain('keygate:legacyKeys');
    expect(JSON.stringify(r)).not.toContain(LEGACY);
  });

  it('accepts a legacy key with legacyKeys on: hash of the whole key, 4-character start, live by default', () => {
    // Act
    const r = only([row({ key: LEGACY })], { legacyKeys: true });
    // Assess
    expect(r).toMatchObject({ kind: 'draft', hash: hashKey(LEGACY), start: 'AbCd', fields: { environment: 'live' } });
  });

  it.each([
    ['a Keygate key with a bad checksum', () => generateKey('kg', 'live').plaintext.slice(0, -1) + 'x'],
    ['a key with a space', () => 'abcdefghij klmnopqrstuvwxyz'],
    ['a key that is too short', () => 'short-key-123'],
  ])('rejects %s as malformed_key, even with legacy keys on', (_name, key) => {
    // Act
    const r = only([row({ key: key() })], { legacyKeys: true });
    // Assess
    expect(codes(r)).toEqual(['malformed_key']);
  });

  it('rejects an environment that contradicts the key', () => {
    const r = only([row({ key: generateKey('kg', 'live').plaintext, environment: 'test' })]);
    expect(codes(r)).toEqual(['environment_mismatch']);
  });

  it('rejects start given with key', () => {
    const r = only([row({ start: 'kg_live_AbCd' })]);
    expect(codes(r)).toEqual(['key_or_hash']);
  });
});

describe('parseImportRequest: hash rows', () => {
  const hash = hashKey('some-key');

  it('takes a Keygate-prefixed start with its environment', () => {
    const r = only([row({ key: undefined, hash, start: 'kg_test_AbCd' })]);
    expect(r).toMatchObject({ kind: 'draft', hash, start: 'kg_test_AbCd', fields: { environment: 'test' } });
  });

  it('refuses a foreign start while legacyKeys is off, and takes it when on', () => {
    expect(codes(only([row({ key: undefined, hash, start: 'AbCd' })]))).toEqual(['legacy_keys_off']);
    expect(only([row({ key: undefined, hash, start: 'AbCd' })], { legacyKeys: true })).toMatchObject({ kind: 'draft', start: 'AbCd' });
  });

  it.each([
    ['both key and hash', { hash, start: 'kg_live_AbCd' }, 'key_or_hash'],
    ['neither key nor hash', { key: undefined }, 'key_or_hash'],
    ['hash without start', { key: undefined, hash }, 'start'],
    ['an upper-case hash', { key: undefined, hash: hash.toUpperCase(), start: 'kg_live_AbCd' }, 'hash'],
    ['a start of 17 characters', { key: undefined, hash, start: 'kg_live_AbCdEfGhI' }, 'start'],
  ])('rejects %s', (_name, over, code) => {
    expect(codes(only([row(over)]))).toEqual([code]);
  });
});

describe('parseImportRequest: the create-key rules and the row schema', () => {
  it.each([
    ['a missing externalId', { externalId: undefined }, 'externalId'],
    ['an externalId with a space', { externalId: 'a b' }, 'externalId'],
    ['an externalId of 129 characters', { externalId: 'x'.repeat(129) }, 'externalId'],
    ['a missing ownerId', { ownerId: undefined }, 'ownerId'],
    ['a missing name', { name: undefined }, 'name'],
    ['a name with a bidi override', { name: 'evil\u202Ename' }, 'bidi_control'],
    ['an unknown field', { template: 'x' }, 'template'],
    ['an expiry in the past', { expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
    ['a rate limit window of 0', { rateLimit: { limit: 1, windowSeconds: 0 } }, 'rateLimit.windowSeconds'],
    ['a bad CIDR', { allowedIps: ['300.1.1.1'] }, 'allowedIps[0]'],
    ['an undefined scope', { scopes: ['orders:refund'] }, 'unknown_scope'],
  ])('marks a row with %s invalid, not the batch', (_name, over, code) => {
    // Prepare: `undefined` members are dropped, as JSON would
    const r = JSON.parse(JSON.stringify(row(over))) as Record<string, unknown>;
    // Act
    const p = plan([r, row({ externalId: 'fine' })]);
    // Assess
    expect(codes(p.rows[0]!)).toContain(code);
    expect(p.rows[1]!.kind).toBe('draft');
  });

  it('keeps the externalId of an invalid row when it is valid itself', () => {
    expect(only([row({ name: '' })])).toMatchObject({ kind: 'settled', status: 'invalid', externalId: 'ext-1' });
  });

  it('reports a row that is not an object', () => {
    expect(only(['kg_live_x'])).toMatchObject({ kind: 'settled', status: 'invalid', errors: [{ field: 'row' }] });
  });
});

describe('parseImportRequest: duplicates within a request', () => {
  it('marks a repeated externalId invalid and a repeated key under another externalId a conflict', () => {
    // Prepare
    const key = generateKey('kg', 'live').plaintext;
    // Act
    const p = plan([row({ externalId: 'a', key }), row({ externalId: 'a', key }), row({ externalId: 'b', key })]);
    // Assess
    expect(p.rows.map((r) => (r.kind === 'draft' ? 'draft' : r.status))).toEqual(['draft', 'invalid', 'conflict']);
    expect(codes(p.rows[1]!)).toEqual(['duplicate_external_id']);
    expect(codes(p.rows[2]!)).toEqual(['hash_conflict']);
  });
});

describe('decideRow', () => {
  const draft = { hash: 'a'.repeat(64) };
  it('is unchanged for the same externalId and hash', () => {
    expect(decideRow(draft, { keyId: 'key_1', hash: draft.hash }, true)).toEqual({ status: 'unchanged', keyId: 'key_1' });
  });
  it('is a conflict for the same externalId with another hash', () => {
    expect(decideRow(draft, { keyId: 'key_1', hash: 'b'.repeat(64) }, false)).toMatchObject({ status: 'conflict', keyId: 'key_1', error: { code: 'external_id_conflict' } });
  });
  it('is a conflict without a key id when only the hash is taken', () => {
    const d = decideRow(draft, undefined, true);
    expect(d).toMatchObject({ status: 'conflict', error: { code: 'hash_conflict' } });
    expect(d).not.toHaveProperty('keyId');
  });
  it('creates when neither exists', () => {
    expect(decideRow(draft, undefined, false)).toEqual({ status: 'create' });
  });
});

describe('summarize and mapBounded', () => {
  it('counts every status', () => {
    const s = summarize(false, [
      { index: 0, status: 'created' },
      { index: 1, status: 'created' },
      { index: 2, status: 'invalid' },
      { index: 3, status: 'unchanged' },
    ]);
    expect(s.summary).toEqual({ total: 4, created: 2, unchanged: 1, conflict: 0, invalid: 1, would_create: 0 });
  });

  it('never runs more than the limit at once and keeps the order', async () => {
    // Prepare
    let running = 0;
    let peak = 0;
    // Act
    const out = await mapBounded([5, 4, 3, 2, 1, 0, 7, 8, 9, 10], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      running--;
      return n * 2;
    });
    // Assess
    expect(peak).toBe(3);
    expect(out).toEqual([10, 8, 6, 4, 2, 0, 14, 16, 18, 20]);
  });
});

describe('legacy keys in the verifier', () => {
  const record: AuthzRecord = { keyId: 'key_01', ownerId: 'acme', environment: 'live', scopes: [], status: 'active' };
  const setup = (legacyKeys: boolean) => {
    const calls: string[] = [];
    const repo = { getAuthzByHash: async (h: string) => (calls.push(h), h === hashKey(LEGACY) ? record : undefined) };
    const verifier = new KeyVerifier(repo, { keyPrefix: 'kg', cacheTtlSeconds: 0, negativeCacheTtlSeconds: 0, cacheMaxEntries: 10, legacyKeys }, { now: () => NOW });
    return { calls, verifier };
  };
  const req = (key: string) => ({ key, requiredScopes: [], sourceIp: undefined });

  it('answers MALFORMED for a legacy key without a lookup while legacyKeys is off', async () => {
    const { calls, verifier } = setup(false);
    expect((await verifier.verify(req(LEGACY))).code).toBe('MALFORMED');
    expect(calls).toEqual([]);
  });

  it('looks a legacy key up by hash when legacyKeys is on', async () => {
    const { calls, verifier } = setup(true);
    expect((await verifier.verify(req(LEGACY))).code).toBe('VALID');
    expect(calls).toEqual([hashKey(LEGACY)]);
  });

  it('still rejects a mistyped key of its own prefix before any lookup with legacyKeys on', async () => {
    const { calls, verifier } = setup(true);
    const typo = generateKey('kg', 'live').plaintext.slice(0, -1) + 'x';
    expect((await verifier.verify(req(typo))).code).toBe('MALFORMED');
    expect(calls).toEqual([]);
  });

  it('classifies keys the same way for import and verification', () => {
    expect(classifyPresentedKey(generateKey('kg', 'live').plaintext, 'kg')).toBe('keygate');
    expect(classifyPresentedKey(generateKey('ab', 'live').plaintext, 'kg')).toBe('legacy');
    expect(classifyPresentedKey(LEGACY, 'kg')).toBe('legacy');
    expect(classifyPresentedKey('kg_live_short', 'kg')).toBe('malformed');
    expect(classifyPresentedKey('x'.repeat(257), 'kg')).toBe('malformed');
    expect(classifyPresentedKey('naïve-key-with-unicode-chars', 'kg')).toBe('malformed');
  });
});

describe('keygate import: reading files (cli/import.ts)', () => {
  it('parses RFC 4180 CSV: quoted commas, doubled quotes, CRLF, and the line each record starts on', () => {
    // Act
    const { records, problem } = parseCsvRecords('a,b\r\n"x, y","say ""hi"""\r\n"multi\nline",z\nlast,\n');
    // Assess
    expect(problem).toBeUndefined();
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['multi\nline', 'z'] },
      { line: 5, fields: ['last', ''] },
    ]);
  });

  it('builds rows from columns: lists, nested limits, empty scopes, and bad numbers by line without the cell', () => {
    // Act
    const parsed = parseCsv('externalId,scopes,rateLimit.limit,rateLimit.windowSeconds,quota.daily,allowedIps\na,orders:read  echo:read,5,60,,10.0.0.0/8 192.0.2.1\nb,,x1,60,,\n');
    // Assess
    expect(parsed.rows).toEqual([{ line: 2, row: { externalId: 'a', scopes: ['orders:read', 'echo:read'], rateLimit: { limit: 5, windowSeconds: 60 }, allowedIps: ['10.0.0.0/8', '192.0.2.1'] } }]);
    expect(parsed.problems).toEqual([{ line: 3, message: 'rateLimit.limit: must be a whole number' }]);
  });

  it('reads rateLimit.policy as text and rateLimit.burst as a whole number', () => {
    // Act
    const parsed = parseCsv('externalId,rateLimit.limit,rateLimit.windowSeconds,rateLimit.policy,rateLimit.burst\na,5,60,tokenBucket,20\nb,5,60,sliding,\nc,5,60,tokenBucket,2x\n');
    // Assess
    expect(parsed.rows).toEqual([
      { line: 2, row: { externalId: 'a', rateLimit: { limit: 5, windowSeconds: 60, policy: 'tokenBucket', burst: 20 } } },
      { line: 3, row: { externalId: 'b', rateLimit: { limit: 5, windowSeconds: 60, policy: 'sliding' } } },
    ]);
    expect(parsed.problems).toEqual([{ line: 4, message: 'rateLimit.burst: must be a whole number' }]);
  });

  it('reports a JSONL line that is not JSON by number only', () => {
    const key = generateKey('kg', 'live').plaintext;
    const parsed = parseJsonl(`{"externalId":"a"}\n\n{"key":"${key}"\n[1]\n`);
    expect(parsed.rows.map((r) => r.line)).toEqual([1]);
    expect(parsed.problems).toEqual([{ line: 3, message: 'is not valid JSON' }, { line: 4, message: 'must be a JSON object (one row per line)' }]);
    expect(JSON.stringify(parsed.problems)).not.toContain(key);
  });

  it('packs batches by rows and by body bytes, and sets aside a row too large for any request', () => {
    // Prepare
    const rows = Array.from({ length: 10 }, (_, i) => ({ line: i + 1, row: { externalId: `r${i}`, description: 'x'.repeat(i === 4 ? 600 : 100) } }));
    // Act
    const byRows = packBatches(rows, { maxRows: 3, dryRun: false });
    const byBytes = packBatches(rows, { maxRows: 100, maxBytes: 400, dryRun: true });
    // Assess
    expect(byRows.batches.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    expect(byBytes.tooLarge.map((r) => r.line)).toEqual([5]);
    for (const b of byBytes.batches) expect(Buffer.byteLength(JSON.stringify({ keys: b.map((r) => r.row), dryRun: true }))).toBeLessThanOrEqual(400);
    expect(byBytes.batches.flat().length).toBe(9);
  });
});
