/**
 * Rate-limit policies over real HTTP against the local stack: `rateLimit.policy` and
 * `rateLimit.burst` on create, PATCH, key templates and import rows, stored exactly as sent
 * (no policy added to a key that names none), shown by GET and the live usage, and refused with a
 * 400 problem naming the member when wrong; the CLI's --policy and --burst on the same stack.
 * How each policy counts is tested with the counting engine (core/limits.ts), not here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { startTestStack, testConfig, type TestStack } from '../support/local';
import { ApiClient, type ApiRequest, type ApiResponse, expectProblem, TestClock } from '../support/e2e';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const bursty = { name: 'bursty', scopes: ['echo:read'], rateLimit: { limit: 10, windowSeconds: 1, policy: 'tokenBucket', burst: 40 } };

let stack: TestStack;
let api: ApiClient;
let dir: string;
const clock = new TestClock();

const admin = (path: string, req: Omit<ApiRequest, 'key'> = {}): Promise<ApiResponse> => api.call(path, { ...req, key: stack.adminKey });

async function create(body: Record<string, unknown>): Promise<Json> {
  const res = await admin('/v1/keys', { method: 'POST', body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

beforeAll(async () => {
  stack = await startTestStack({ clock, config: testConfig({ keyTemplates: [bursty] }) });
  api = new ApiClient({ baseUrl: stack.url });
  dir = mkdtempSync(join(tmpdir(), 'keygate-rate-policies-'));
});
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function keygate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'keygate', ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { KEYGATE_ENDPOINT: stack.url, KEYGATE_API_KEY: stack.adminKey },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

describe('POST /v1/keys with a rate-limit policy', () => {
  it.each([
    ['fixed', { limit: 100, windowSeconds: 60, policy: 'fixed' }],
    ['sliding', { limit: 100, windowSeconds: 60, policy: 'sliding' }],
    ['tokenBucket without burst', { limit: 100, windowSeconds: 60, policy: 'tokenBucket' }],
    ['tokenBucket with burst', { limit: 100, windowSeconds: 60, policy: 'tokenBucket', burst: 250 }],
  ])('stores and shows %s exactly as sent', async (_what, rateLimit) => {
    // Act
    const created = await create({ name: `policy ${rateLimit.policy}`, rateLimit });
    const read = await admin(`/v1/keys/${created.id}`);

    // Assess
    expect(created.rateLimit).toStrictEqual(rateLimit);
    expect(read.status, read.text).toBe(200);
    expect(read.body.rateLimit).toStrictEqual(rateLimit);
  });

  it('adds no policy to a key that names none (an old key reads the same)', async () => {
    // Act
    const created = await create({ name: 'no policy', rateLimit: { limit: 5, windowSeconds: 10 } });
    const read = await admin(`/v1/keys/${created.id}`);
    const listed = (await admin('/v1/keys?limit=100')).body.items.find((k: Json) => k.id === created.id);

    // Assess
    expect(read.body.rateLimit).toStrictEqual({ limit: 5, windowSeconds: 10 });
    expect(listed.rateLimit).toStrictEqual({ limit: 5, windowSeconds: 10 });
  });

  it.each([
    ['a burst without a policy', { limit: 5, windowSeconds: 1, burst: 10 }, { field: 'rateLimit.burst', message: 'is only allowed with policy "tokenBucket"', code: 'burst_without_token_bucket' }],
    ['a burst with policy sliding', { limit: 5, windowSeconds: 1, policy: 'sliding', burst: 10 }, { field: 'rateLimit.burst', message: 'is only allowed with policy "tokenBucket"', code: 'burst_without_token_bucket' }],
    ['an unknown policy', { limit: 5, windowSeconds: 1, policy: 'leakyBucket' }, { field: 'rateLimit.policy', message: 'must be "fixed", "sliding" or "tokenBucket"' }],
    ['a burst of 0', { limit: 5, windowSeconds: 1, policy: 'tokenBucket', burst: 0 }, { field: 'rateLimit.burst', message: 'must be from 1 to 1000000' }],
    ['an unknown member', { limit: 5, windowSeconds: 1, refill: 2 }, { field: 'rateLimit.refill', message: 'unknown field' }],
  ])('refuses %s with 400 validation_failed naming the member', async (_what, rateLimit, error) => {
    // Act
    const res = await admin('/v1/keys', { method: 'POST', body: { name: 'refused', rateLimit } });

    // Assess
    expect(expectProblem(res, 400, 'validation_failed').errors).toStrictEqual([error]);
  });

  it('takes the policy and burst of a key template', async () => {
    // Act
    const created = await create({ name: 'from template', template: 'bursty' });

    // Assess
    expect(created.rateLimit).toStrictEqual(bursty.rateLimit);
    expect((await admin('/v1/templates')).body.items[0].rateLimit).toStrictEqual(bursty.rateLimit);
  });
});

describe('PATCH /v1/keys/{id} with a rate-limit policy', () => {
  it('changes the policy, then back to none, storing each as sent', async () => {
    // Prepare
    const key = await create({ name: 'patched', rateLimit: { limit: 5, windowSeconds: 10 } });

    // Act
    const toBucket = await admin(`/v1/keys/${key.id}`, { method: 'PATCH', body: { rateLimit: { limit: 5, windowSeconds: 10, policy: 'tokenBucket', burst: 20 } } });
    const toSliding = await admin(`/v1/keys/${key.id}`, { method: 'PATCH', body: { rateLimit: { limit: 6, windowSeconds: 10, policy: 'sliding' } } });
    const toNone = await admin(`/v1/keys/${key.id}`, { method: 'PATCH', body: { rateLimit: { limit: 7, windowSeconds: 10 } } });

    // Assess
    expect(toBucket.status, toBucket.text).toBe(200);
    expect(toBucket.body.rateLimit).toStrictEqual({ limit: 5, windowSeconds: 10, policy: 'tokenBucket', burst: 20 });
    expect(toSliding.body.rateLimit).toStrictEqual({ limit: 6, windowSeconds: 10, policy: 'sliding' });
    expect(toNone.body.rateLimit).toStrictEqual({ limit: 7, windowSeconds: 10 });
    expect((await admin(`/v1/keys/${key.id}`)).body.rateLimit).toStrictEqual({ limit: 7, windowSeconds: 10 });
  });

  it('refuses a burst without tokenBucket with 400 problem+json and leaves the key unchanged', async () => {
    // Prepare
    const key = await create({ name: 'unchanged', rateLimit: { limit: 5, windowSeconds: 10, policy: 'sliding' } });

    // Act
    const res = await admin(`/v1/keys/${key.id}`, { method: 'PATCH', body: { rateLimit: { limit: 5, windowSeconds: 10, policy: 'fixed', burst: 9 } } });

    // Assess
    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors).toStrictEqual([{ field: 'rateLimit.burst', message: 'is only allowed with policy "tokenBucket"', code: 'burst_without_token_bucket' }]);
    expect((await admin(`/v1/keys/${key.id}`)).body.rateLimit).toStrictEqual({ limit: 5, windowSeconds: 10, policy: 'sliding' });
  });
});

describe('GET /v1/keys/{id}/usage names the policy', () => {
  it.each([
    ['fixed for a key that names none', { limit: 5, windowSeconds: 10 }, { policy: 'fixed' }],
    ['sliding', { limit: 5, windowSeconds: 10, policy: 'sliding' }, { policy: 'sliding' }],
    ['tokenBucket with its burst', { limit: 5, windowSeconds: 10, policy: 'tokenBucket', burst: 30 }, { policy: 'tokenBucket', burst: 30 }],
  ])('%s', async (_what, rateLimit, expected) => {
    // Prepare
    const key = await create({ name: 'usage', rateLimit });

    // Act
    const res = await admin(`/v1/keys/${key.id}/usage`);

    // Assess
    expect(res.status, res.text).toBe(200);
    expect(res.body.rateLimit).toMatchObject(expected);
    if (!('burst' in expected)) expect(res.body.rateLimit).not.toHaveProperty('burst');
  });
});

describe('POST /v1/keys/import rows with a rate-limit policy', () => {
  it('imports a row with a policy as sent and marks a row with a stray burst invalid, naming the member', async () => {
    // Prepare
    const row = (externalId: string, rateLimit: object): object => ({
      externalId,
      hash: (externalId === 'pol-ok' ? 'a' : 'b').repeat(64),
      start: 'kg_live_AbCd',
      name: externalId,
      ownerId: 'importer',
      scopes: [],
      rateLimit,
    });

    // Act
    const res = await admin('/v1/keys/import', {
      method: 'POST',
      body: { keys: [row('pol-ok', { limit: 9, windowSeconds: 60, policy: 'tokenBucket', burst: 90 }), row('pol-bad', { limit: 9, windowSeconds: 60, burst: 90 })] },
    });

    // Assess
    expect(res.status, res.text).toBe(200);
    const [ok, bad] = res.body.results;
    expect(ok).toMatchObject({ status: 'created' });
    expect(bad).toMatchObject({ status: 'invalid', errors: [expect.objectContaining({ field: 'rateLimit.burst', message: 'is only allowed with policy "tokenBucket"' })] });
    expect((await admin(`/v1/keys/${ok.keyId}`)).body.rateLimit).toStrictEqual({ limit: 9, windowSeconds: 60, policy: 'tokenBucket', burst: 90 });
  });
});

describe('keygate create-key / update-key --policy --burst', () => {
  it('creates a token-bucket key, shows its policy, and changes it to sliding', async () => {
    // Act
    const created = await keygate(['--json', 'create-key', '--name', 'cli bucket', '--rate-limit', '10/1', '--policy', 'tokenBucket', '--burst', '50']);
    const id = JSON.parse(created.stdout).id as string;
    const shown = await keygate(['get-key', id]);
    const updated = await keygate(['--json', 'update-key', id, '--rate-limit', '20/60', '--policy', 'sliding']);

    // Assess
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(created.stdout).rateLimit).toStrictEqual({ limit: 10, windowSeconds: 1, policy: 'tokenBucket', burst: 50 });
    expect(shown.stdout).toMatch(/^rate limit\s+10 per 1s \(tokenBucket, burst 50\)$/m);
    expect(updated).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(updated.stdout).rateLimit).toStrictEqual({ limit: 20, windowSeconds: 60, policy: 'sliding' });
  });

  it('refuses --burst without --policy tokenBucket before sending anything', async () => {
    // Act
    const r = await keygate(['create-key', '--name', 'never', '--rate-limit', '10/1', '--burst', '50']);

    // Assess
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--burst needs --policy tokenBucket');
    expect((await admin('/v1/keys?limit=100')).body.items.map((k: Json) => k.name)).not.toContain('never');
  });
});
