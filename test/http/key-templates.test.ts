/**
 * Key templates over real HTTP against the local stack: `GET /v1/templates`, `POST /v1/keys`
 * with `template` (fields filled, a request field overriding), an unknown template, and a
 * non-admin that cannot escalate through a template holding scopes it lacks.
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

const DAY_MS = 86_400_000;
const templates = [
  {
    name: 'partner-readonly',
    description: 'Read-only partner access.',
    scopes: ['orders:read'],
    rateLimit: { limit: 10, windowSeconds: 60 },
    quota: { daily: 1000 },
    expiresInDays: 90,
    environment: 'test',
  },
  { name: 'orders-writer', scopes: ['orders:read', 'orders:write'] },
];

let stack: TestStack;
let api: ApiClient;
let dir: string;
const clock = new TestClock();

const call = (path: string, req: ApiRequest = {}): Promise<ApiResponse> => api.call(path, req);
const admin = (path: string, req: Omit<ApiRequest, 'key'> = {}): Promise<ApiResponse> => call(path, { ...req, key: stack.adminKey });

async function create(body: Record<string, unknown>, key = stack.adminKey): Promise<Json> {
  const res = await call('/v1/keys', { method: 'POST', body, key });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

beforeAll(async () => {
  stack = await startTestStack({ clock, config: testConfig({ keyTemplates: templates }) });
  api = new ApiClient({ baseUrl: stack.url });
  dir = mkdtempSync(join(tmpdir(), 'keygate-cli-templates-'));
});
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI as `keygate <args>` against the stack with the admin key. */
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

describe('GET /v1/templates', () => {
  it('lists the configured templates to a key with keys:read', async () => {
    // Prepare
    const reader = await create({ name: 'template-reader', scopes: ['keys:read'] });
    // Act
    const res = await call('/v1/templates', { key: reader.key });
    // Assess
    expect(res.status, res.text).toBe(200);
    expect(res.body).toStrictEqual({ items: templates });
  });

  it('refuses a key without keys:read', async () => {
    const other = await create({ name: 'no-read', scopes: ['orders:read'] });
    expect(expectProblem(await call('/v1/templates', { key: other.key }), 403, 'forbidden').reason).toBe('insufficient_scope');
  });
});

describe('POST /v1/keys with a template', () => {
  it('creates a key with the template’s policy, shows and audits the template', async () => {
    // Prepare
    const before = clock.now().getTime();
    // Act
    const created = await create({ name: 'acme partner', ownerId: 'acme', template: 'partner-readonly' });
    // Assess
    expect(created).toMatchObject({
      name: 'acme partner',
      ownerId: 'acme',
      scopes: ['orders:read'],
      rateLimit: { limit: 10, windowSeconds: 60 },
      quota: { daily: 1000 },
      environment: 'test',
      template: 'partner-readonly',
    });
    expect(created.key).toMatch(/^kg_test_/);
    const expires = Date.parse(created.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 90 * DAY_MS);
    expect(expires).toBeLessThanOrEqual(clock.now().getTime() + 90 * DAY_MS);
    expect((await admin(`/v1/keys/${created.id}`)).body.template).toBe('partner-readonly');
    const entries = (await admin(`/v1/audit?keyId=${created.id}`)).body.items;
    expect(entries).toHaveLength(1);
    expect(entries[0].changes).toContainEqual({ field: 'template', after: 'partner-readonly' });
    expect(entries[0].changes).toContainEqual({ field: 'scopes', after: ['orders:read'] });
  });

  it('lets a field in the request win over the template’s', async () => {
    // Act
    const created = await create({ name: 'override', template: 'partner-readonly', scopes: ['echo:read'], rateLimit: { limit: 5, windowSeconds: 1 }, environment: 'live' });
    // Assess
    expect(created).toMatchObject({ scopes: ['echo:read'], rateLimit: { limit: 5, windowSeconds: 1 }, quota: { daily: 1000 }, environment: 'live', template: 'partner-readonly' });
    expect(created.key).toMatch(/^kg_live_/);
  });

  it('rejects an unknown template with 400 validation_failed naming template', async () => {
    // Act
    const res = await admin('/v1/keys', { method: 'POST', body: { name: 'x', template: 'partner-admin' } });
    // Assess
    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'template', code: 'unknown_template' })]);
  });

  it('does not let a non-admin grant, through a template, scopes it does not hold', async () => {
    // Prepare: a tenant key that may create keys and read orders, but not write them.
    const tenant = await create({ name: 'tenant-admin', ownerId: 'globex', scopes: ['keys:read', 'keys:write', 'orders:read'] });
    // Act
    const refused = await call('/v1/keys', { method: 'POST', key: tenant.key, body: { name: 'escalate', template: 'orders-writer' } });
    const allowed = await call('/v1/keys', { method: 'POST', key: tenant.key, body: { name: 'fine', template: 'orders-writer', scopes: ['orders:read'] } });
    // Assess
    const problem = expectProblem(refused, 403, 'scope_not_grantable');
    expect(problem.detail).toContain('orders:write');
    expect(allowed.status, allowed.text).toBe(201);
    expect(allowed.body).toMatchObject({ ownerId: 'globex', scopes: ['orders:read'], template: 'orders-writer' });
  });
});

describe('keygate templates and create-key --template', () => {
  it('lists the templates as a table and as JSON', async () => {
    // Act
    const table = await keygate(['templates']);
    const asJson = await keygate(['--json', 'templates']);
    // Assess
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SCOPES\s+RATE LIMIT\s+QUOTA\s+EXPIRES\s+ENV\s+DESCRIPTION$/);
    expect(lines[1]).toMatch(/^partner-readonly\s+orders:read\s+10 per 60s \(fixed\)\s+1000\/day\s+90d\s+test\s+Read-only partner access\.$/);
    expect(lines[2]).toMatch(/^orders-writer\s+orders:read,orders:write\s+-\s+-\s+never\s+live$/);
    expect(JSON.parse(asJson.stdout)).toStrictEqual({ items: templates });
  });

  it('creates a key from a template, a flag overriding it', async () => {
    // Act
    const r = await keygate(['--json', 'create-key', '--name', 'cli partner', '--template', 'partner-readonly', '--rate-limit', '3/1']);
    // Assess
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'cli partner', scopes: ['orders:read'], rateLimit: { limit: 3, windowSeconds: 1 }, environment: 'test', template: 'partner-readonly' });
  });

  it('reports an unknown template and exits non-zero', async () => {
    // Act
    const r = await keygate(['create-key', '--name', 'x', '--template', 'nope']);
    // Assess
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('template');
    expect(r.stderr).toContain('nope');
  });
});
