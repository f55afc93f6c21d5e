/**
 * The caller examples in examples/callers/ (docs/authenticating.md includes them), run as the
 * subprocesses a reader would run, against the local stack: what each prints and its exit status
 * for a good key, a revoked key, a key without the route's scope, a rate-limited key (the
 * Retry-After wait and the retry) and a key over its daily quota (a wait longer than the cap:
 * no retry). The verify examples check a valid and a revoked key, and fail when their own key
 * lacks keys:verify.
 *
 * Every run starts in one beforeAll, in parallel, so the file takes about one retry wait (2 s)
 * in all; each `it` asserts on one recorded run. A missing interpreter (python3, bash, curl)
 * skips that example's tests with a message, and fails none.
 */
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CALLERS = join(ROOT, 'examples', 'callers');
const ECHO_MESSAGE = 'Hello from a Keygate-protected route.';
/** Rate window of the retry scenario, and so its Retry-After (within the examples' default cap of 5 s). */
const RETRY_WINDOW_SECONDS = 2;

// --- interpreters ----------------------------------------------------------------------------

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The real Python 3 executable (not a pyenv shim), or null. */
function findPython(): string | null {
  for (const name of ['python3', 'python']) {
    const found = onPath(name);
    if (!found) continue;
    try {
      const out = execFileSync(found, ['-c', 'import sys; print(sys.version_info[0], sys.executable)'], { encoding: 'utf8', timeout: 10_000 }).trim();
      const [major, executable] = [out.slice(0, out.indexOf(' ')), out.slice(out.indexOf(' ') + 1)];
      if (major === '3' && executable) return executable;
    } catch {
      // not a working interpreter
    }
  }
  return null;
}

const python = findPython();
const bash = onPath('bash');
const curl = onPath('curl');

interface Example {
  readonly file: string;
  /** Why it cannot run here, or null. */
  readonly missing: string | null;
  readonly command: string;
  readonly args: readonly string[];
}

function example(file: string, command: string | null, missing: string, preArgs: readonly string[] = []): Example {
  const path = join(CALLERS, file);
  if (file.endsWith('.sh')) {
    const why = !bash ? 'bash not found' : !curl ? 'curl not found' : null;
    return { file, missing: why && `${why}: the curl examples were not run`, command: bash ?? 'bash', args: [path] };
  }
  return { file, missing: command ? null : missing, command: command ?? '', args: [...preArgs, path] };
}

const PYTHON_MISSING = 'python3 not found: the Python examples were not run';
const CALL_EXAMPLES: readonly Example[] = [
  example('curl.sh', bash, ''),
  example('fetch.mjs', process.execPath, ''),
  // As `npx tsx examples/callers/client.ts`, without npx's start-up.
  example('client.ts', process.execPath, '', ['--import', 'tsx']),
  example('python/call.py', python, PYTHON_MISSING),
];
const VERIFY_EXAMPLES: readonly Example[] = [example('verify.sh', bash, ''), example('python/verify.py', python, PYTHON_MISSING)];

for (const e of [...CALL_EXAMPLES, ...VERIFY_EXAMPLES]) if (e.missing) console.warn(`${e.file}: ${e.missing}`);

// --- runs ------------------------------------------------------------------------------------

interface Run {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs an example with only PATH, HOME and the given KEYGATE_* variables (none inherited). */
function run(e: Example, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      e.command,
      [...e.args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 25_000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ exitCode: code, stdout, stderr });
      },
    );
  });
}

/** The JSON an example printed before the X-RateLimit-* lines. */
function printedJson(stdout: string): Json {
  const json = stdout
    .split('\n')
    .filter((l) => !/^x-ratelimit-/i.test(l))
    .join('\n');
  return JSON.parse(json) as Json;
}

type CallScenario = 'ok' | 'revoked' | 'noScope' | 'retry' | 'overQuota' | 'noKey';
type VerifyScenario = 'valid' | 'revoked' | 'callerLacksScope';

let stack: TestStack;
let offsetMs = 0;
let frozenAt: number | undefined;
const keys = new Map<string, string>(); // what → plaintext, for the leak checks
const callRuns = new Map<string, Run>(); // `${file} ${scenario}`
const verifyRuns = new Map<string, Run>();
const echoKeyIds = new Map<string, string>();

async function createKey(body: Json): Promise<{ id: string; key: string }> {
  const res = await stack.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: JSON.stringify({ name: 'caller example', ...body }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

/** Rate-limit refusals the authorizer logged for a key (its `authorization decision` lines). */
function refusals(keyId: string): number {
  return stack.logs.lines.filter((l) => l.includes('"outcome":"RATE_LIMITED"') && l.includes(`"keyId":"${keyId}"`)).length;
}

beforeAll(async () => {
  // Prepare: the stack's clock follows real time, except that the retry scenario freezes it just
  // after the start of a rate window until every retry run's first attempt has been refused, then
  // moves it to the next window. So each first attempt is refused with retryAfter = the window,
  // and the retry after that wait is admitted, however long the subprocesses take to start.
  stack = await startTestStack({ clock: { now: () => new Date(frozenAt ?? Date.now() + offsetMs) } });
  const env = (key: string) => ({ KEYGATE_URL: stack.url, KEYGATE_API_KEY: key });

  const runnableCalls = CALL_EXAMPLES.filter((e) => !e.missing);
  const perExample = await Promise.all(
    runnableCalls.map(async (e) => ({
      e,
      ok: await createKey({ scopes: ['echo:read'], rateLimit: { limit: 100, windowSeconds: 3600 } }),
      revoked: await createKey({ scopes: ['echo:read'] }),
      noScope: await createKey({ scopes: [] }),
      retry: await createKey({ scopes: ['echo:read'], rateLimit: { limit: 1, windowSeconds: RETRY_WINDOW_SECONDS } }),
      overQuota: await createKey({ scopes: ['echo:read'], quota: { daily: 1 } }),
    })),
  );
  for (const p of perExample) {
    for (const [what, k] of Object.entries(p).filter(([w]) => w !== 'e') as [string, { id: string; key: string }][]) keys.set(`${p.e.file} ${what}`, k.key);
    echoKeyIds.set(p.e.file, p.ok.id);
    expect((await stack.call(`/v1/keys/${p.revoked.id}`, { method: 'DELETE', key: stack.adminKey })).status).toBe(200);
  }
  const verifier = await createKey({ scopes: ['keys:verify'] });
  const notVerifier = await createKey({ scopes: ['echo:read'] });
  const presented = await createKey({ scopes: ['echo:read'] });
  const presentedRevoked = await createKey({ scopes: ['echo:read'] });
  expect((await stack.call(`/v1/keys/${presentedRevoked.id}`, { method: 'DELETE', key: stack.adminKey })).status).toBe(200);
  for (const [what, k] of Object.entries({ verifier, notVerifier, presented, presentedRevoked })) keys.set(what, k.key);

  // Freeze 100 ms into the next rate window (forward, never back), then use up the retry keys'
  // one request (and see the refusal) and the quota keys' day.
  const windowMs = RETRY_WINDOW_SECONDS * 1000;
  const windowStart = (Math.floor(Date.now() / windowMs) + 1) * windowMs;
  frozenAt = windowStart + 100;
  for (const p of perExample) {
    for (const k of [p.retry, p.overQuota]) {
      expect((await stack.call('/v1/echo', { key: k.key })).status).toBe(200);
      expect((await stack.call('/v1/echo', { key: k.key })).status).toBe(429);
    }
  }

  // Act: the retry runs at once (their first attempts must come while the clock is frozen), the
  // others a few at a time (a flood of subprocesses makes DynamoDB Local slow enough for the
  // authorizer's 600 ms counter-write timeout to answer 503, which the examples would retry).
  const retryRuns = perExample.map((p) => run(p.e, env(p.retry.key)).then((r) => void callRuns.set(`${p.e.file} retry`, r)));
  const queue: (() => Promise<void>)[] = [];
  const record = (e: Example, scenario: CallScenario, env: Record<string, string>) =>
    queue.push(() => run(e, env).then((r) => void callRuns.set(`${e.file} ${scenario}`, r)));
  for (const p of perExample) {
    record(p.e, 'ok', env(p.ok.key));
    record(p.e, 'revoked', env(p.revoked.key));
    record(p.e, 'noScope', env(p.noScope.key));
    record(p.e, 'overQuota', env(p.overQuota.key));
    record(p.e, 'noKey', { KEYGATE_URL: stack.url });
  }
  for (const e of VERIFY_EXAMPLES.filter((v) => !v.missing)) {
    const verifyRun = (scenario: VerifyScenario, backendKey: string, presentedKey: string) =>
      queue.push(() => run(e, { ...env(backendKey), KEYGATE_PRESENTED_KEY: presentedKey }).then((r) => void verifyRuns.set(`${e.file} ${scenario}`, r)));
    verifyRun('valid', verifier.key, presented.key);
    verifyRun('revoked', verifier.key, presentedRevoked.key);
    verifyRun('callerLacksScope', notVerifier.key, presented.key);
  }
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) await next();
  };
  const others = Promise.all([worker(), worker(), worker(), worker()]);

  // Each retry key's second refusal is its example's first refused attempt: then move to the next
  // window (or stop waiting once every retry run has ended, so a failing run fails its own test).
  let retriesEnded = false;
  void Promise.all(retryRuns).then(() => (retriesEnded = true));
  while (!retriesEnded && !perExample.every((p) => refusals(p.retry.id) >= 2)) await new Promise((r) => setTimeout(r, 50));
  offsetMs = windowStart + windowMs - Date.now();
  frozenAt = undefined;
  await Promise.all([...retryRuns, others]);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

function callRun(e: Example, scenario: CallScenario): Run {
  const r = callRuns.get(`${e.file} ${scenario}`);
  if (!r) throw new Error(`no run of ${e.file} ${scenario}`);
  return r;
}

/** What an example printed after the last line containing `marker` (where a run ends up). */
function after(text: string, marker: string): string {
  const at = text.lastIndexOf(marker);
  expect(at, `no "${marker}" in ${text}`).toBeGreaterThanOrEqual(0);
  return text.slice(at + marker.length);
}

function expectNoKeyPrinted(r: Run): void {
  for (const key of keys.values()) {
    expect(r.stdout).not.toContain(key);
    expect(r.stderr).not.toContain(key);
  }
}

for (const e of CALL_EXAMPLES) {
  describe(`examples/callers/${e.file}`, () => {
    const test = e.missing ? it.skip : it;

    test('prints the echo answer and the X-RateLimit-* headers, and exits 0', () => {
      // Assess
      const r = callRun(e, 'ok');
      expect(r.exitCode, r.stderr).toBe(0);
      expect(printedJson(r.stdout)).toMatchObject({ message: ECHO_MESSAGE, keyId: echoKeyIds.get(e.file), scopes: ['echo:read'], path: '/v1/echo' });
      expect(r.stdout).toMatch(/^x-ratelimit-limit: 100$/im);
      expect(r.stdout).toMatch(/^x-ratelimit-remaining: 99$/im);
      expect(r.stdout).toMatch(/^x-ratelimit-reset: \d{10}$/im);
      expectNoKeyPrinted(r);
    });

    test('rejects a revoked key: prints 401 unauthorized with its detail and exits 1 without retrying', () => {
      const r = callRun(e, 'revoked');
      expect(r.exitCode).toBe(1);
      // (An earlier 503 from a slow DynamoDB Local may have been retried; the 401 must not be.)
      expect(after(r.stderr, 'HTTP 401 unauthorized: ')).toMatch(/^A valid API key is required[^\n]*\n$/);
      expect(r.stdout).toBe('');
      expectNoKeyPrinted(r);
    });

    test('rejects a key without the route scope: prints 403 forbidden and the reason insufficient_scope, exits 1', () => {
      const r = callRun(e, 'noScope');
      expect(r.exitCode).toBe(1);
      expect(after(r.stderr, 'HTTP 403 forbidden: ')).toMatch(/^[^\n]*\nreason: insufficient_scope\n$/);
    });

    test('waits the 429 retryAfter and retries, then prints the echo answer and exits 0', () => {
      const r = callRun(e, 'retry');
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`HTTP 429 rate_limited: [^\\n]*\\nretrying in ${RETRY_WINDOW_SECONDS} s \\(retry [12] of 3\\)\\n`));
      expect(printedJson(r.stdout)).toMatchObject({ message: ECHO_MESSAGE });
      expect(r.stdout).toMatch(/^x-ratelimit-limit: 1$/im);
      expectNoKeyPrinted(r);
    });

    test('does not retry when the wait exceeds KEYGATE_MAX_RETRY_WAIT: prints daily_quota_exceeded, exits 1', () => {
      const r = callRun(e, 'overQuota');
      expect(r.exitCode).toBe(1);
      expect(after(r.stderr, 'HTTP 429 daily_quota_exceeded: ')).toMatch(/^[^\n]*\nRetry-After is \d+ s, more than KEYGATE_MAX_RETRY_WAIT \(5 s\): not retrying\n$/);
      expect(r.stdout).toBe('');
    });

    test('exits 2 when KEYGATE_API_KEY is not set', () => {
      const r = callRun(e, 'noKey');
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('KEYGATE_API_KEY is not set');
    });
  });
}

for (const e of VERIFY_EXAMPLES) {
  describe(`examples/callers/${e.file}`, () => {
    const test = e.missing ? it.skip : it;
    const verifyRun = (scenario: VerifyScenario): Run => {
      const r = verifyRuns.get(`${e.file} ${scenario}`);
      if (!r) throw new Error(`no run of ${e.file} ${scenario}`);
      return r;
    };

    test('prints the VALID decision for a good key and exits 0', () => {
      const r = verifyRun('valid');
      expect(r.exitCode, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, code: 'VALID', scopes: ['echo:read'] });
      expectNoKeyPrinted(r);
    });

    test('reports a revoked presented key as valid: false (REVOKED) and exits 1', () => {
      const r = verifyRun('revoked');
      expect(r.exitCode).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ valid: false, code: 'REVOKED' });
      expect(r.stderr).toContain('valid: false (REVOKED)');
      expectNoKeyPrinted(r);
    });

    test('fails closed when its own key lacks keys:verify: prints the 403 and exits 1', () => {
      const r = verifyRun('callerLacksScope');
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/verify call failed.*forbidden/);
      expect(r.stdout).toBe('');
      expectNoKeyPrinted(r);
    });
  });
}
