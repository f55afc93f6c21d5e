/**
 * `keygate import` against the local stack: a CSV file (quoted fields, lists, limits), a re-run
 * that resumes as `unchanged`, a JSONL dry run with a broken line, batch sizes and progress, and
 * usage errors with line numbers. The command is registered on a bare commander program exactly
 * as cli/main.ts registers it. No output ever carries a plaintext key from the file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey, hashKey } from '../../core/key-format';
import { registerImportCommand } from '../../cli/import';
import { UsageError } from '../../cli/errors';
import { startTestStack, testConfig, type TestStack } from '../support/local';

let stack: TestStack;
let dir: string;

beforeAll(async () => {
  stack = await startTestStack({ config: testConfig({ legacyKeys: true }) });
  dir = mkdtempSync(join(tmpdir(), 'keygate-cli-import-'));
});
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `keygate [--json] import …` with the admin key; exit code 2 for usage errors, 1 for the rest, as main() maps them. */
async function keygate(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const program = new Command('keygate').exitOverride().option('--json');
  program.configureOutput({ writeOut: (t) => void (stdout += t), writeErr: (t) => void (stderr += t) });
  registerImportCommand(program, {
    cwd: dir,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    connection: (cmd) => ({ endpoint: stack.url, apiKey: stack.adminKey, json: cmd.optsWithGlobals<{ json?: boolean }>().json === true }),
  });
  try {
    await program.parseAsync(['node', 'keygate', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    stderr += `keygate: ${(err as Error).message}\n`;
    return { code: err instanceof UsageError ? 2 : 1, stdout, stderr };
  }
}

const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};

describe('keygate import <file.csv>', () => {
  const keys = Array.from({ length: 240 }, () => generateKey('kg', 'live').plaintext);
  const header = 'externalId,name,ownerId,scopes,key,hash,start,rateLimit.limit,rateLimit.windowSeconds,quota.daily,description';
  const lines = [
    header,
    ...keys.map((k, i) => `csv-${i},key ${i},acme,orders:read echo:read,${k},,,10,60,1000,`),
    `csv-hash,"hashed, with a comma",acme,orders:read,,${hashKey('old-db-key-000000000001')},legacy,,,,"two ""quoted"" words, one comma"`,
  ];

  it('imports every row, prints progress on stderr and the totals on stdout, and never a key', async () => {
    // Prepare
    const file = write('keys.csv', lines.join('\r\n') + '\r\n');
    // Act
    const run = await keygate(['import', file]);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('imported 241 rows (created 241, unchanged 0, conflict 0, invalid 0)\n');
    expect(run.stderr.trim().split('\n').at(-1)).toBe('imported 241/241 (created 241, unchanged 0, conflict 0, invalid 0)');
    for (const k of keys) expect(run.stdout + run.stderr).not.toContain(k);
    const list = await stack.call('/v1/keys?ownerId=acme&limit=100', { key: stack.adminKey });
    const hashed = ((await list.json()) as { items: { externalId?: string; description?: string; name: string }[] }).items.find((k) => k.externalId === 'csv-hash');
    expect(hashed).toMatchObject({ name: 'hashed, with a comma', description: 'two "quoted" words, one comma' });
    const imported = await stack.call('/v1/whoami', { key: keys[17]! });
    expect(imported.status).toBe(200);
  });

  it('resumes on a re-run: every row comes back unchanged', async () => {
    const run = await keygate(['import', 'keys.csv']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('imported 241 rows (created 0, unchanged 241, conflict 0, invalid 0)\n');
  });

  it('sends batches of --batch-size rows, one progress line each', async () => {
    // Prepare
    const file = write('seven.csv', [header, ...Array.from({ length: 20 }, (_, i) => `seven-${i},k,acme,,${generateKey('kg', 'test').plaintext},,,,,,`)].join('\n'));
    // Act
    const run = await keygate(['import', file, '--batch-size', '7']);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual([
      'imported 7/20 (created 7, unchanged 0, conflict 0, invalid 0)',
      'imported 14/20 (created 14, unchanged 0, conflict 0, invalid 0)',
      'imported 20/20 (created 20, unchanged 0, conflict 0, invalid 0)',
    ]);
  });
});

describe('keygate import <file.jsonl> --dry-run', () => {
  it('reports what would change, lists bad lines by number without their content, writes nothing and exits 1', async () => {
    // Prepare
    const secret = generateKey('kg', 'live').plaintext;
    const fresh = generateKey('kg', 'live').plaintext;
    const file = write(
      'keys.jsonl',
      [
        JSON.stringify({ externalId: 'j-1', name: 'one', ownerId: 'acme', scopes: [], key: fresh }),
        '',
        `{"externalId": "j-2", "key": "${secret}"`,
        JSON.stringify({ externalId: 'j-3', name: 'three', ownerId: 'acme', scopes: ['nope:x'], key: generateKey('kg', 'live').plaintext }),
      ].join('\n'),
    );
    // Act
    const run = await keygate(['import', file, '--dry-run']);
    const after = await keygate(['import', file]);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('line 3: invalid — line: is not valid JSON');
    expect(run.stdout).toContain('line 4 (j-3): invalid — scopes: not defined in this deployment: nope:x (see GET /v1/scopes) [unknown_scope]');
    expect(run.stdout).toContain('dry run checked 3 rows (would create 1, unchanged 0, conflict 0, invalid 2)');
    expect(run.stdout + run.stderr).not.toContain(secret);
    expect(run.stdout + run.stderr).not.toContain(fresh);
    expect(after.stdout).toContain('imported 3 rows (created 1,'); // the dry run wrote nothing
  });

  it('prints the whole run as JSON with --json', async () => {
    const run = await keygate(['--json', 'import', 'keys.jsonl', '--dry-run']);
    const body = JSON.parse(run.stdout) as { dryRun: boolean; counts: Record<string, number>; problems: { line: number }[] };
    expect(body.dryRun).toBe(true);
    expect(body.counts).toMatchObject({ unchanged: 1, invalid: 2 });
    expect(body.problems.map((p) => p.line)).toEqual([3, 4]);
  });
});

describe('usage errors', () => {
  it.each([
    ['an unknown CSV column, with its line', 'bad.csv', 'externalId,secret\nx,y\n', [], /line 1: unknown column "secret"/],
    ['an unclosed quote, with its line', 'quote.csv', 'externalId,name\na,b\nc,"open\n', [], /line 3 opens a quoted field that is never closed/],
    ['an unknown format', 'keys.txt', 'x', [], /cannot tell the format/],
    ['a --format that is not csv or jsonl', 'keys2.txt', 'x', ['--format', 'xml'], /--format must be csv or jsonl/],
    ['a --batch-size over 100', 'ok.jsonl', '{}', ['--batch-size', '101'], /--batch-size must be a whole number from 1 to 100/],
    ['an empty file', 'empty.jsonl', '\n\n', [], /holds no rows/],
  ])('rejects %s with exit code 2', async (_name, name, text, extra, message) => {
    write(name, text);
    const run = await keygate(['import', name, ...extra]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('rejects a file that does not exist', async () => {
    const run = await keygate(['import', 'missing.csv']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot read missing.csv');
  });
});
