/**
 * `POST /v1/keys/import` over real HTTP against the local stack (DynamoDB Local): 10,000 rows
 * sent batch by batch with progress (the CLI's runner and the typed client), an idempotent
 * re-run, a dry run that writes nothing, plaintext and hash rows, legacy keys verifying through
 * the authorizer when keygate:legacyKeys is on (and refused when off), admin only, and bad
 * bodies answered 4xx problem+json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey, hashKey } from '../../core/key-format';
import { KeygateClient } from '../../packages/client/src/index';
import { type FileRow, runImport } from '../../cli/import';
import { startTestStack, testConfig, type TestStack } from '../support/local';
import { ApiClient, type ApiRequest, type ApiResponse, expectProblem, expectUnauthorized } from '../support/e2e';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const ROWS = 10_000;
let stack: TestStack;
let api: ApiClient;

const call = (path: string, req: ApiRequest = {}): Promise<ApiResponse> => api.call(path, req);
const importBody = (body: unknown, key = stack.adminKey): Promise<ApiResponse> => call('/v1/keys/import', { method: 'POST', body, key });

/** A legacy key such as an API Gateway usage-plan key: 40 characters of letters and digits. */
const legacyKey = (i: number): string => `Lg${String(i).padStart(6, '0')}${'abcdefghijABCDEFGHIJ0123456789xy'}`;

beforeAll(async () => {
  stack = await startTestStack({ config: testConfig({ legacyKeys: true }) });
  api = new ApiClient({ baseUrl: stack.url });
});
afterAll(async () => {
  await stack?.stop();
});

describe('10,000 rows through the local stack', () => {
  // 9,000 Keygate keys in plaintext, 500 hash rows with their start, 500 legacy keys.
  const plaintexts: string[] = [];
  const rows: FileRow[] = Array.from({ length: ROWS }, (_, i) => {
    const base = { externalId: `bulk-${i}`, name: `bulk key ${i}`, ownerId: `tenant-${i % 7}`, scopes: ['echo:read'] };
    if (i < 9_000) {
      const key = generateKey('kg', i % 2 === 0 ? 'live' : 'test').plaintext;
      plaintexts.push(key);
      return { line: i + 2, row: { ...base, key } };
    }
    if (i < 9_500) return { line: i + 2, row: { ...base, hash: hashKey(`hashed-${i}`), start: 'kg_live_Hash' } };
    plaintexts.push(legacyKey(i));
    return { line: i + 2, row: { ...base, key: legacyKey(i) } };
  });
  const client = () => new KeygateClient({ endpoint: stack.url, apiKey: stack.adminKey, retryNonIdempotent: true });

  it('imports every row with progress, then answers unchanged for all of them on a re-run', async () => {
    // Act
    const progress: string[] = [];
    const started = performance.now();
    const first = await runImport(client(), { rows, problems: [] }, { dryRun: false, batchSize: 100, onProgress: (l) => progress.push(l) });
    const seconds = (performance.now() - started) / 1000;
    const again = await runImport(client(), { rows, problems: [] }, { dryRun: false, batchSize: 100 });
    // Assess
    expect(first.counts).toEqual({ created: ROWS, unchanged: 0, conflict: 0, invalid: 0, would_create: 0 });
    expect(first.problems).toEqual([]);
    expect(progress.length).toBeGreaterThanOrEqual(ROWS / 100); // at most 100 rows, and at most 16 KB, per request
    for (const line of progress) expect(line).toMatch(/^imported [\d,]+\/10,000 \(created [\d,]+, unchanged 0, conflict 0, invalid 0\)$/);
    expect(progress.at(-1)).toBe('imported 10,000/10,000 (created 10,000, unchanged 0, conflict 0, invalid 0)');
    expect(again.counts).toEqual({ created: 0, unchanged: ROWS, conflict: 0, invalid: 0, would_create: 0 });
    // A figure for the report, not an assertion (no timing in pass/fail tests).
    console.info(`import: ${ROWS} rows in ${seconds.toFixed(1)} s (${Math.round(ROWS / seconds)} rows/s), ${progress.length} requests`);
  }, 600_000);

  it('lets imported keys through the authorizer: Keygate keys, and legacy keys with legacyKeys on', async () => {
    for (const key of [plaintexts[0]!, plaintexts[1]!, plaintexts.at(-1)!]) {
      const res = await call('/v1/whoami', { key });
      expect(res.status, res.text).toBe(200);
    }
    expect((await call('/v1/whoami', { key: legacyKey(99_999) })).status).toBe(401);
  });

  it('keeps the plaintext keys out of every log line', () => {
    const logs = stack.logs.lines.join('\n');
    for (const key of [plaintexts[0]!, plaintexts[4_500]!, plaintexts.at(-1)!]) expect(logs).not.toContain(key);
  });
});

describe('one request', () => {
  it('answers 200 with one outcome per row: created, conflict, invalid', async () => {
    // Prepare
    const key = generateKey('kg', 'live').plaintext;
    // Act
    const res = await importBody({
      keys: [
        { externalId: 'mix-1', name: 'one', ownerId: 'acme', scopes: ['orders:read'], key },
        { externalId: 'mix-2', name: 'two', ownerId: 'acme', scopes: ['orders:read'], key },
        { externalId: 'mix-3', name: '', ownerId: 'acme', scopes: [], key: generateKey('kg', 'live').plaintext },
      ],
    });
    // Assess
    expect(res.status, res.text).toBe(200);
    const body = res.body as Json;
    expect(body.summary).toEqual({ total: 3, created: 1, unchanged: 0, conflict: 1, invalid: 1, would_create: 0 });
    expect(body.results.map((r: Json) => r.status)).toEqual(['created', 'conflict', 'invalid']);
    expect(res.text).not.toContain(key);
    expect(res.text).not.toContain(hashKey(key));
    const view = (await call(`/v1/keys/${body.results[0].keyId}`, { key: stack.adminKey })).body as Json;
    expect(view).toMatchObject({ externalId: 'mix-1', importedAt: expect.any(String), start: key.slice(0, 12) });
    expect(view).not.toHaveProperty('hash');
    const audit = (await call(`/v1/audit?keyId=${view.id}`, { key: stack.adminKey })).body as Json;
    expect(audit.items.map((e: Json) => e.action)).toEqual(['key.imported']);
  });

  it('reports a dry run without writing anything', async () => {
    // Prepare
    const row = { externalId: 'dry-1', name: 'dry', ownerId: 'acme', scopes: [], key: generateKey('kg', 'live').plaintext };
    // Act
    const dry = await importBody({ keys: [row], dryRun: true });
    const real = await importBody({ keys: [row] });
    // Assess
    expect((dry.body as Json).results).toEqual([{ index: 0, externalId: 'dry-1', status: 'would_create' }]);
    expect((real.body as Json).results[0].status).toBe('created');
  });

  it('refuses a non-admin key with 403, even one holding keys:write', async () => {
    // Prepare
    const writer = (await call('/v1/keys', { method: 'POST', key: stack.adminKey, body: { name: 'writer', scopes: ['keys:write', 'keys:read'] } })).body as Json;
    // Act
    const res = await importBody({ keys: [{ externalId: 'x', name: 'x', ownerId: 'acme', scopes: [], key: generateKey('kg', 'live').plaintext }] }, writer.key);
    // Assess
    const body = expectProblem(res, 403, 'forbidden');
    expect(body.reason).toBe('insufficient_scope');
  });

  it.each([
    ['a body that is not JSON', '{"keys": [', 400, 'malformed_json'],
    ['an empty batch', JSON.stringify({ keys: [] }), 400, 'validation_failed'],
    ['a batch over 100 rows', JSON.stringify({ keys: Array.from({ length: 101 }, () => ({})) }), 400, 'validation_failed'],
    ['an array body', '[]', 400, 'invalid_body'],
    ['a body over 16 KB', JSON.stringify({ keys: [{ externalId: 'big', description: 'x'.repeat(17_000) }] }), 413, 'payload_too_large'],
  ])('answers %s with a 4xx problem', async (_name, raw, status, code) => {
    const res = await call('/v1/keys/import', { method: 'POST', key: stack.adminKey, body: raw });
    expectProblem(res, status, code);
  });
});

describe('with keygate:legacyKeys off', () => {
  let plain: TestStack;
  beforeAll(async () => {
    plain = await startTestStack();
  });
  afterAll(async () => {
    await plain?.stop();
  });

  it('marks legacy rows legacy_keys_off, naming the setting, and the authorizer refuses such keys', async () => {
    // Act
    const res = await new ApiClient({ baseUrl: plain.url }).call('/v1/keys/import', {
      method: 'POST',
      key: plain.adminKey,
      body: {
        keys: [
          { externalId: 'apigw-1', name: 'old', ownerId: 'acme', scopes: [], key: legacyKey(1) },
          { externalId: 'db-1', name: 'old', ownerId: 'acme', scopes: [], hash: hashKey('x'), start: 'sk_12' },
        ],
      },
    });
    // Assess
    expect(res.status, res.text).toBe(200);
    const results = (res.body as Json).results;
    expect(results.map((r: Json) => r.errors[0].code)).toEqual(['legacy_keys_off', 'legacy_keys_off']);
    expect(results[0].errors[0].message).toContain('keygate:legacyKeys');
    expect(res.text).not.toContain(legacyKey(1));
    expectUnauthorized(await new ApiClient({ baseUrl: plain.url }).call('/v1/whoami', { key: legacyKey(1) }));
  });
});
