/**
 * `keygate report` and `keygate usage --history` in-process against the local stack: requests made
 * through the gateway come back exactly counted in the CLI's table, CSV and JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { startTestStack, type TestStack } from '../support/local';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let stack: TestStack;
let echoKey: Json;
let limitedKey: Json;
let tenant: Json;
const today = new Date().toISOString().slice(0, 10);

async function create(body: Json): Promise<Json> {
  const res = await stack.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: JSON.stringify(body) });
  const created = (await res.json()) as Json;
  expect(res.status, JSON.stringify(created)).toBe(201);
  return created;
}

async function echo(key: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await (await stack.call('/v1/echo', { key })).arrayBuffer();
}

/** Runs the CLI as `keygate <args>` against the stack, with the given key. */
async function keygate(args: string[], apiKey = stack.adminKey): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'keygate', ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { KEYGATE_ENDPOINT: stack.url, KEYGATE_API_KEY: apiKey },
    cwd: stack.home,
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  // Prepare
  stack = await startTestStack();
  echoKey = await create({ name: 'echo', ownerId: 'acme', scopes: ['echo:read'] });
  limitedKey = await create({ name: 'limited', ownerId: 'globex', scopes: ['echo:read'], rateLimit: { limit: 1, windowSeconds: 3600 } });
  tenant = await create({ name: 'acme reporter', ownerId: 'acme', scopes: ['usage:read'] });
  // Act: 4 admitted calls, 1 admitted + 2 rate limited, 1 with a bad key.
  await echo(echoKey.key, 4);
  await echo(limitedKey.key, 3);
  await echo('not-a-key', 1);
  await stack.usage.flush();
});

afterAll(async () => {
  await stack?.stop();
});

describe('keygate report against the local stack', () => {
  it('prints exact counts per key and status as CSV', async () => {
    // Act
    const r = await keygate(['report', '--from', today, '--to', today, '--group-by', 'key,status', '--route', '/v1/echo', '--csv']);
    // Assess
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines[0]).toBe('keyId,status,requests,errors,rateLimited,p50LatencyMs,p95LatencyMs,p99LatencyMs');
    const counts = lines.slice(1).map((l) => l.split(',').slice(0, 5).join(','));
    const expected = [
      `${echoKey.id},200,4,0,0`,
      `${limitedKey.id},200,1,0,0`,
      `${limitedKey.id},429,2,2,2`,
    ].sort();
    expect(counts).toEqual([...expected, ',401,1,1,0']); // no key id on a failed authentication, sorted last
  });

  it('prints a table with a total and a chart of requests per day', async () => {
    const r = await keygate(['report', '--from', today, '--to', today, '--route', '/v1/echo']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('DAY         REQUESTS  ERRORS  RATE LIMITED  P50 MS  P95 MS  P99 MS');
    expect(lines[1]).toMatch(new RegExp(`^${today}\\s+8\\s+3\\s+2\\s+\\d+\\s+\\d+\\s+\\d+$`));
    expect(lines.slice(2, 5)).toEqual(['', 'Requests per day (UTC)', `${today}  8 ${'█'.repeat(40)}`]);
  });

  it("gives a tenant only its own owner's rows", async () => {
    const r = await keygate(['report', '--group-by', 'owner,key', '--route', '/v1/echo', '--json'], tenant.key);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as Json;
    expect(body.ownerId).toBe('acme');
    expect(body.rows.map((row: Json) => [row.ownerId, row.keyId, row.requests])).toEqual([['acme', echoKey.id, 4]]);
    const other = await keygate(['report', '--owner', 'globex'], tenant.key);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^keygate: 403 owner_not_allowed: /);
  });

  it('prints a key history with today counted and the earlier days as 0', async () => {
    const r = await keygate(['usage', limitedKey.id, '--history', '3d']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Today \(live counters\)\nlimit .*\nrate\s+per 3600s \(fixed\)\s+1\s+0\s+1\s/);
    expect(r.stdout).toMatch(new RegExp(`\\n${today}\\s+3\\s+2\\s+2\\s+\\d+\\s+\\d+\\s+\\d+\\n`));
    const zeros = r.stdout.match(/^\d{4}-\d{2}-\d{2}\s+0\s+0\s+0\s+-\s+-\s+-$/gm);
    expect(zeros).toHaveLength(2);
  });
});
