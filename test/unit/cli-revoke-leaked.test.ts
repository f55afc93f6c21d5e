/**
 * `keygate revoke-leaked`: picking keys out of pasted text, batching, and the requests it sends —
 * captured by a small node:http server on 127.0.0.1, so the real fetch path (headers included) is
 * what is checked.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../core/key-format';
import { LEAK_REPORT_MAX_KEYS } from '../../core/validation';
import { main, UsageError } from '../../cli/main';
import { extractLeakCandidates, isKeyLike, leakBatches, readLeakInput, wellFormedKey } from '../../cli/revoke-leaked';

const CONFIGURED_API_KEY = 'kg_live_thisIsTheCliOwnAdminKey0000';
const MESSAGE = 'Every presented string that was a live key of this deployment is now revoked. The answer is the same whether or not any was.';
const key = (env: 'live' | 'test' = 'live', prefix = 'kg'): string => generateKey(prefix, env).plaintext;

describe('finding keys in text', () => {
  it('picks every key out of a pasted ticket, once each, in order', () => {
    // Prepare
    const [a, b, c] = [key(), key('test'), key('live', 'acme')];
    const ticket = `Hi, our CI log printed Authorization: Bearer ${a}\n{"apiKey":"${b}"} and again ${a}\nstaging=${c};`;
    // Act
    const found = extractLeakCandidates(ticket);
    // Assess
    expect(found).toEqual({ keys: [a, b, c], tokens: 4, malformed: 0 });
  });

  it('recovers a key glued to letters before or after it', () => {
    const a = key();
    expect(extractLeakCandidates(`token${a}xyz`).keys).toEqual([a]);
    expect(wellFormedKey(`zz${a}`)).toBe(a);
  });

  it('drops key-like strings that fail the key format or checksum', () => {
    // Prepare: a truncated key, a key with one character changed, and a redaction placeholder
    const a = key();
    const flipped = a.slice(0, 20) + (a[20] === 'A' ? 'B' : 'A') + a.slice(21);
    // Act
    const found = extractLeakCandidates(`${a.slice(0, 40)} ${flipped} kg_live_xxxxxxxxxxxxxxxxxxxxxxxx`);
    // Assess
    expect(found).toEqual({ keys: [], tokens: 3, malformed: 3 });
  });

  it('finds nothing in text without a key', () => {
    expect(extractLeakCandidates('nothing to see, kg_live_ too short')).toEqual({ keys: [], tokens: 0, malformed: 0 });
  });

  it('splits into batches of at most the API limit', () => {
    const items = Array.from({ length: 250 }, (_, i) => i);
    expect(leakBatches(items).map((b) => b.length)).toEqual([100, 100, 50]);
    expect(leakBatches(items).flat()).toEqual(items);
    expect(leakBatches(items.slice(0, 100))).toHaveLength(1);
    expect(LEAK_REPORT_MAX_KEYS).toBe(100);
  });
});

describe('reading the argument', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'keygate-leak-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const noStdin = async (): Promise<string> => {
    throw new Error('stdin read');
  };

  it('takes a key-shaped argument as the key, without touching the file system', async () => {
    const a = key();
    expect(isKeyLike(a)).toBe(true);
    expect(await readLeakInput(a, { cwd: '/nonexistent', readStdin: noStdin })).toEqual({ text: a, source: 'the argument' });
  });

  it('reads a file relative to the working directory', async () => {
    writeFileSync(join(dir, 'ticket.txt'), 'leaked: x');
    expect(await readLeakInput('ticket.txt', { cwd: dir, readStdin: noStdin })).toEqual({ text: 'leaked: x', source: join(dir, 'ticket.txt') });
  });

  it('reads stdin for -', async () => {
    expect(await readLeakInput('-', { cwd: dir, readStdin: async () => 'from stdin' })).toEqual({ text: 'from stdin', source: 'stdin' });
  });

  it('rejects an argument that is neither a key nor a file, without repeating it', async () => {
    const typo = 'kg_live_short0';
    const error = await readLeakInput(typo, { cwd: dir, readStdin: noStdin }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe('the argument is not a key, and it names no readable file (ENOENT); pass a key, a file or - for stdin');
  });

  it('rejects a directory', async () => {
    await expect(readLeakInput('.', { cwd: dir, readStdin: noStdin })).rejects.toThrow(/names no readable file/);
  });
});

interface Captured {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: { keys: string[] };
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> };

describe('keygate revoke-leaked against a local server', () => {
  let server: Server;
  let endpoint: string;
  let requests: Captured[] = [];
  let replies: (n: number) => Reply = () => ({ status: 202, body: { status: 'accepted', message: MESSAGE } });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        const r = replies(requests.length - 1);
        const type = r.status >= 400 ? 'application/problem+json' : 'application/json';
        res.writeHead(r.status, { 'content-type': type, ...r.headers }).end(JSON.stringify(r.body));
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
  });
  afterEach(() => {
    requests = [];
    replies = () => ({ status: 202, body: { status: 'accepted', message: MESSAGE } });
  });

  async function keygate(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await main(['node', 'keygate', ...args], {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      // An API key is configured for the CLI: revoke-leaked must not send it.
      env: { KEYGATE_ENDPOINT: endpoint, KEYGATE_API_KEY: CONFIGURED_API_KEY },
      cwd: tmpdir(),
      readStdin: async () => stdin,
    });
    return { code, stdout, stderr };
  }

  it('sends one key as POST /v1/keys/revoke-leaked with no API key, and never prints it', async () => {
    // Prepare
    const a = key();
    // Act
    const r = await keygate(['revoke-leaked', a]);
    // Assess
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/v1/keys/revoke-leaked', body: { keys: [a] } });
    expect(requests[0]!.headers.authorization).toBeUndefined();
    expect(JSON.stringify(requests[0]!.headers)).not.toContain(CONFIGURED_API_KEY);
    expect(r.stdout).toBe(`Submitted 1 string in 1 request (accepted).\n${MESSAGE}\n`);
    expect(r.stdout).not.toContain(a);
  });

  it('sends no API key even when one is passed with --api-key', async () => {
    await keygate(['--api-key', CONFIGURED_API_KEY, 'revoke-leaked', key()]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers.authorization).toBeUndefined();
  });

  it('de-duplicates the keys of a pasted log on stdin and sends them in batches of at most 100', async () => {
    // Prepare: 150 distinct keys, each twice, in log lines
    const keys = Array.from({ length: 150 }, () => key());
    const log = [...keys, ...keys].map((k, i) => `2026-11-26T10:00:${String(i % 60).padStart(2, '0')}Z GET /v1/echo key=${k} 200`).join('\n');
    // Act
    const r = await keygate(['revoke-leaked', '-'], log);
    // Assess
    expect(r.code).toBe(0);
    expect(requests.map((q) => q.body.keys.length)).toEqual([100, 50]);
    expect(requests.flatMap((q) => q.body.keys)).toEqual(keys);
    expect(requests.every((q) => q.headers.authorization === undefined)).toBe(true);
    expect(r.stdout).toBe(`Submitted 150 strings in 2 requests (accepted).\n${MESSAGE}\n`);
  });

  it('stops at a 429 with its Retry-After and how many were sent, exit 1', async () => {
    // Prepare: the second batch is over the per-IP limit
    const keys = Array.from({ length: 101 }, () => key());
    replies = (n) =>
      n === 0
        ? { status: 202, body: { status: 'accepted', message: MESSAGE } }
        : { status: 429, headers: { 'retry-after': '42' }, body: { code: 'rate_limited', detail: 'Too many leaked keys reported from this address; retry in 42 s.' } };
    // Act
    const r = await keygate(['revoke-leaked', '-'], keys.join('\n'));
    // Assess
    expect(r.code).toBe(1);
    expect(requests).toHaveLength(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'keygate: 429 rate_limited: Too many leaked keys reported from this address; retry in 42 s. — retry after 42 s (Retry-After); ' +
        '100 of 101 strings were submitted before it, run it again for the rest (keys already revoked are ignored)\n',
    );
  });

  it('says so when the first request is refused', async () => {
    replies = () => ({ status: 429, headers: { 'retry-after': '7' }, body: { code: 'quota_exceeded', detail: 'Too many leaked keys reported from this address; retry in 7 s.' } });
    const r = await keygate(['revoke-leaked', key()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ — retry after 7 s \(Retry-After\); none of the 1 string was submitted\n$/);
  });

  it('sends nothing and exits 1 when the input holds no key', async () => {
    const r = await keygate(['revoke-leaked', '-'], 'a ticket with no key in it');
    expect(r.code).toBe(1);
    expect(requests).toEqual([]);
    expect(r.stderr).toBe('keygate: no key found in stdin: nothing matches the key format <prefix>_live|test_<49 characters>; nothing was sent\n');
  });

  it('names malformed key-like strings by count only', async () => {
    const bad = `${key().slice(0, 40)}`;
    const r = await keygate(['revoke-leaked', '-'], `truncated: ${bad}`);
    expect(r.code).toBe(1);
    expect(requests).toEqual([]);
    expect(r.stderr).toBe('keygate: no well-formed key in stdin: 1 key-like string failed the key format or checksum (truncated or mistyped?); nothing was sent\n');
    expect(r.stderr).not.toContain(bad);
  });
});
