/**
 * `keygate audit`, `audit verify` and `revoke-leaked` in-process against the local stack: after a
 * create → update → rotate → revoke → revoke-leaked sequence, the audit log tells the whole story
 * with actors and changed fields, and its hash chains verify.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { startTestStack, type TestStack } from '../support/local';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let stack: TestStack;
let adminId: string;
let original: Json; // created, updated, rotated, then revoked as leaked (it is still in its grace period)
let replacement: Json; // the rotation's new key, then revoked by id
let tenant: Json; // another owner's key, refused when it touches `original`
let dir: string;

/** Runs the CLI as `keygate <args>` against the stack, with the given key. */
async function keygate(args: string[], apiKey = stack.adminKey): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'keygate', ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { KEYGATE_ENDPOINT: stack.url, KEYGATE_API_KEY: apiKey },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

async function ok(args: string[], apiKey?: string): Promise<string> {
  const r = await keygate(args, apiKey);
  expect(r.stderr, `keygate ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  // Prepare
  stack = await startTestStack();
  dir = mkdtempSync(join(tmpdir(), 'keygate-cli-audit-'));
  adminId = (JSON.parse(await ok(['--json', 'whoami'])) as Json).keyId;
  tenant = JSON.parse(await ok(['--json', 'create-key', '--name', 'globex ops', '--owner', 'globex', '--scopes', 'keys:read,keys:write,audit:read'])) as Json;
  // Act: the story of one key
  original = JSON.parse(await ok(['--json', 'create-key', '--name', 'billing', '--owner', 'acme', '--scopes', 'echo:read', '--metadata', '{"team":"billing"}'])) as Json;
  await ok(['update-key', original.id, '--scopes', 'echo:read,orders:read', '--metadata', '{"team":"payments"}']);
  const denied = await keygate(['update-key', original.id, '--name', 'mine now'], tenant.key);
  expect(denied.code).toBe(1);
  replacement = JSON.parse(await ok(['--json', 'rotate-key', original.id, '--grace-period', '3600'])) as Json;
  await ok(['revoke-key', replacement.id]);
  // The leak: a ticket that pasted both keys (the replacement is already revoked, so only the original changes).
  writeFileSync(join(dir, 'ticket.txt'), `Customer pasted their config:\nKEY=${original.key}\nOLD_KEY=${replacement.key}\n`);
  const leak = await keygate(['revoke-leaked', 'ticket.txt'], 'kg_live_thisIsNotSentAnywhere000000');
  expect(leak.stderr).toBe('');
  expect(leak.code).toBe(0);
  expect(leak.stdout).toMatch(/^Submitted 2 strings in 1 request \(accepted\)\.\n/);
  expect(leak.stdout).not.toContain(original.key);
});

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('keygate audit against the local stack', () => {
  it('shows the whole story of a key, newest first, with actors and changed fields', async () => {
    // Act
    const entries = JSON.parse(await ok(['audit', '--key', original.id, '--all', '--json'])) as Json[];
    const table = await ok(['audit', '--key', original.id]);
    // Assess
    expect(entries.map((e) => [e.action, e.outcome, e.actor.type])).toEqual([
      ['key.leak_revoked', 'success', 'leak-report'],
      ['key.rotated', 'success', 'key'],
      ['key.updated', 'denied', 'key'],
      ['key.updated', 'success', 'key'],
      ['key.created', 'success', 'key'],
    ]);
    const lines = table.trimEnd().split('\n');
    expect(lines[0]!.split(/ {2,}/)).toEqual(['TIME', 'ACTION', 'OUTCOME', 'ACTOR', 'TARGET', 'SOURCE IP', 'CHANGES']);
    const row = (i: number): string[] => lines[i]!.split(/ {2,}/);
    expect(row(1).slice(1, 5)).toEqual(['key.leak_revoked', 'success', 'leak-report', original.id]);
    expect(row(1)[6]).toMatch(/^status: active → revoked; revokedAt: - → \d{4}-/);
    expect([row(2)[1], row(2)[2], row(2)[4]]).toEqual(['key.rotated', 'success', original.id]);
    expect(row(2)[3]).toMatch(new RegExp(`^${adminId} \\(.+\\)$`));
    expect(row(2)[6]).toContain(`replacedBy: - → ${replacement.id}`);
    expect(row(3).slice(1, 5)).toEqual(['key.updated', 'denied (key_not_found)', `${tenant.id} (globex)`, original.id]);
    expect(row(4).slice(1, 3)).toEqual(['key.updated', 'success']);
    expect(row(4)[6]).toBe('scopes: [echo:read] → [echo:read,orders:read]; metadata: changed');
    expect(row(5).slice(1, 3)).toEqual(['key.created', 'success']);
    expect(row(5)[6]).toMatch(/^ownerId: acme; name: billing; .*scopes: \[echo:read\].*; metadata: changed$/);
    expect(table).not.toMatch(/billing"|payments|sha256:/);
    expect(table).not.toContain(original.key);
  });

  it('shows the replacement key created by the rotation and revoked by id', async () => {
    const entries = JSON.parse(await ok(['audit', '--key', replacement.id, '--json'])) as Json[];
    expect(entries.map((e) => [e.action, e.actor.type, e.actor.keyId])).toEqual([
      ['key.revoked', 'key', adminId],
      ['key.rotated', 'key', adminId],
    ]);
  });

  it('filters by action and actor', async () => {
    const leaks = JSON.parse(await ok(['audit', '--action', 'leak_revoked', '--json'])) as Json[];
    expect(leaks.map((e) => e.target.keyId)).toEqual([original.id]);
    const byTenant = JSON.parse(await ok(['audit', '--actor', tenant.id, '--json'])) as Json[];
    expect(byTenant.map((e) => [e.action, e.outcome, e.target.keyId])).toEqual([['key.updated', 'denied', original.id]]);
  });

  it("gives a tenant only its own owner's entries", async () => {
    const own = JSON.parse(await ok(['audit', '--all', '--json'], tenant.key)) as Json[];
    expect(own.every((e) => e.target.ownerId === 'globex')).toBe(true);
    const other = await keygate(['audit', '--owner', 'acme'], tenant.key);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^keygate: 403 owner_not_allowed: /);
  });

  it('verifies every chain, and one key with --key', async () => {
    // Act
    const all = await keygate(['audit', 'verify']);
    const one = await keygate(['audit', 'verify', '--key', original.id]);
    // Assess
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    // The bootstrap admin, the tenant, the original and its replacement.
    expect(all.stdout).toMatch(/^audit chain OK: 4 keys, \d+ entries\n$/);
    expect(one.code).toBe(0);
    expect(one.stdout).toBe('audit chain OK: 1 key, 4 entries\n');
  });
});
