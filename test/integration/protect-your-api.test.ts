/**
 * README "Protect your API", run as written: `npm run example:orders` and
 * `KEYGATE_CONFIG=examples/orders-service/keygate.json npm start` as real processes, then the
 * README's curl requests made with fetch, with the request bodies read from the README itself so
 * the two cannot drift. The orders service's own record (`GET /stats`) shows which requests
 * reached it, so "refused before the upstream" is a count.
 *
 * The one departure from the README: both processes listen on free ports (PORT=0), so the test
 * runs a copy of keygate.json whose upstream port is rewritten to the service's actual port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pidsMatching, tryKill } from '../support/processes';
// Types only: `import type` is erased, so this never runs the server (and keeps it type-checked).
import type { OrdersStats, OrderView } from '../../examples/orders-service/server';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLE_CONFIG = join(ROOT, 'examples', 'orders-service', 'keygate.json');
const README_PORT = 4000;

// --- processes -----------------------------------------------------------------------------

interface Started {
  readonly proc: ChildProcess;
  /** Temporary directory this process owns (KEYGATE_HOME, config copy), removed at cleanup. */
  readonly dir: string;
  readonly output: () => string;
  readonly exit: Promise<number | null>;
}

/**
 * Starts `npm <args>` in its own process group (npm does not pass signals on to its script, so
 * cleanup signals the whole group) and collects its output.
 */
function startNpm(args: readonly string[], env: Record<string, string>, dir: string, registry: Started[]): Started {
  const proc = spawn('npm', [...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const started = { proc, dir, output: () => output, exit };
  registry.push(started);
  return started;
}

/** Resolves with the first match of `pattern` in the output (bounded polling); rejects if the process exits first. */
async function waitFor(p: Started, pattern: RegExp, maxMs = 100_000): Promise<RegExpMatchArray> {
  let exited = false;
  void p.exit.then(() => (exited = true));
  for (let waited = 0; waited < maxMs; waited += 100) {
    const m = pattern.exec(p.output());
    if (m) return m;
    if (exited) throw new Error(`process exited before printing ${pattern}:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${pattern} after ${maxMs} ms:\n${p.output()}`);
}


function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}


/** SIGTERM to each process group (a graceful stop), bounded wait, then SIGKILL to what is left, the JVM included. */
async function stopAll(registry: Started[]): Promise<void> {
  const all = registry.splice(0);
  for (const s of all) tryKill(-s.proc.pid!, 'SIGTERM');
  const pids = () => all.flatMap((s) => [s.proc.pid!, ...pidsMatching(join(s.dir, 'dynamodb'))]);
  for (let waited = 0; waited < 15_000 && pids().some(alive); waited += 200) await new Promise((r) => setTimeout(r, 200));
  for (const s of all) {
    tryKill(-s.proc.pid!, 'SIGKILL');
    for (const pid of pidsMatching(join(s.dir, 'dynamodb'))) tryKill(pid, 'SIGKILL');
    rmSync(s.dir, { recursive: true, force: true });
  }
}

/** `npm start` with its own KEYGATE_HOME, a free port and the given KEYGATE_CONFIG content. */
function npmStart(config: unknown, registry: Started[]): Started & { home: string } {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-protect-'));
  const configPath = join(dir, 'keygate.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const home = join(dir, 'home');
  return { ...startNpm(['start'], { KEYGATE_HOME: home, PORT: '0', KEYGATE_CONFIG: configPath }, dir, registry), home };
}

// --- the README ----------------------------------------------------------------------------

/** The "## Protect your API" section of README.md. */
function readmeSection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Protect your API\n');
  expect(start).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** The JSON bodies of the README's curl `-d '…'` arguments, in order: the key to create, then the order to post. */
function readmeBodies(section: string): { key: Json; order: Json } {
  const bodies = [...section.matchAll(/-d '([^']*)'/g)].map((m) => JSON.parse(m[1]!) as Json);
  expect(bodies).toHaveLength(2);
  return { key: bodies[0]!, order: bodies[1]! };
}

/** keygate.json with each upstream moved from the README's port to the port the service got. */
function exampleConfigOn(port: number): Json {
  const config = JSON.parse(readFileSync(EXAMPLE_CONFIG, 'utf8')) as Json;
  for (const route of config['keygate:routes'] as Json[]) {
    const url = new URL((route.upstream as string).replace(/\{[^}]*\}/g, 'x'));
    expect(url.host).toBe(`127.0.0.1:${README_PORT}`);
    route.upstream = (route.upstream as string).replace(`127.0.0.1:${README_PORT}`, `127.0.0.1:${port}`);
  }
  return config;
}

// --- the walkthrough -----------------------------------------------------------------------

describe('README "Protect your API", as processes', () => {
  const running: Started[] = [];
  let api = '';
  let service = '';
  let adminKey = '';
  let section = '';

  beforeAll(async () => {
    // Prepare: terminal 1 and terminal 2 of the README.
    section = readmeSection();
    expect(section).toContain('npm run example:orders');
    expect(section).toContain('KEYGATE_CONFIG=examples/orders-service/keygate.json npm start');
    const orders = startNpm(['run', 'example:orders'], { PORT: '0' }, mkdtempSync(join(tmpdir(), 'keygate-orders-')), running);
    const port = Number((await waitFor(orders, /listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
    service = `http://127.0.0.1:${port}`;
    const keygate = npmStart(exampleConfigOn(port), running);
    api = (await waitFor(keygate, /Keygate is running on (http:\/\/\S+)/))[1]!;
    // The banner lists both operator routes with the rewritten upstreams.
    expect(keygate.output()).toMatch(new RegExp(`GET +/orders/\\{id\\} +scopes \\[orders:read\\] → ${service}/orders/\\{id\\}\n`));
    expect(keygate.output()).toMatch(new RegExp(`POST +/orders +scopes \\[orders:write\\] cost 2 → ${service}/orders\n`));
    adminKey = readFileSync(join(keygate.home, 'admin.key'), 'utf8').trim();
  });
  afterAll(() => stopAll(running));

  const createKey = async (body: Json): Promise<{ id: string; key: string }> => {
    const res = await fetch(`${api}/v1/keys`, { method: 'POST', headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; key: string };
  };
  const getOrder = (key?: string) => fetch(`${api}/orders/42`, key ? { headers: { Authorization: `Bearer ${key}` } } : {});
  const stats = async () => ((await (await fetch(`${service}/stats`)).json()) as OrdersStats).requests;

  /** Terminal 3, one pass: the key, then 200, 401, 403, and the loop of three. */
  async function walkthrough() {
    const { key: keyBody, order } = readmeBodies(section);
    const key = await createKey(keyBody);
    const first = await getOrder(key.key);
    const firstBody = (await first.json()) as OrderView;
    const noKey = await getOrder();
    const noKeyBody = (await noKey.json()) as Json;
    const post = await fetch(`${api}/orders`, { method: 'POST', headers: { Authorization: `Bearer ${key.key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(order) });
    const postBody = (await post.json()) as Json;
    const loop: { status: number; reset: string | null; body: Json }[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await getOrder(key.key);
      const body = (await res.json()) as Json;
      // An admitted response carries the window's reset in the header the service echoes; the 429 in its body.
      loop.push({ status: res.status, reset: res.status === 429 ? (body.reset as string) : res.headers.get('x-ratelimit-reset'), body });
    }
    const resets = new Set([first.headers.get('x-ratelimit-reset'), ...loop.map((l) => l.reset)]);
    return { keyBody, key, first, firstBody, noKey, noKeyBody, post, postBody, loop, sameWindow: resets.size === 1 };
  }

  it('answers 200, 401, 403 and 429 as the README shows, and the service sees only the admitted requests', async () => {
    // Act: rate windows are aligned to the clock, so a run that straddles one is repeated with
    // a fresh key (two straddles in a row would need a pass slower than the window).
    let run = await walkthrough();
    for (let attempt = 1; attempt < 3 && !run.sameWindow; attempt++) run = await walkthrough();
    expect(run.sameWindow).toBe(true);

    // Assess: the key is what the README asked for.
    expect(run.keyBody).toMatchObject({ scopes: ['orders:read'], rateLimit: { limit: 3, windowSeconds: 60 } });
    const owner = run.keyBody.ownerId as string;
    // 200: the service's answer is built from Keygate's headers, and it echoes the allowance.
    expect(run.first.status).toBe(200);
    expect(run.firstBody).toEqual({ id: '42', owner, calledWith: run.key.id, scopes: ['orders:read'], rateLimitRemaining: 2 });
    expect(run.first.headers.get('x-ratelimit-limit')).toBe('3');
    expect(run.first.headers.get('x-ratelimit-remaining')).toBe('2');
    // 401 without a key.
    expect(run.noKey.status).toBe(401);
    expect(run.noKey.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(run.noKeyBody.code).toBe('unauthorized');
    // 403: POST /orders needs orders:write.
    expect(run.post.status).toBe(403);
    expect(run.postBody).toMatchObject({ code: 'forbidden', reason: 'insufficient_scope' });
    expect(run.postBody.detail).toContain('orders:write');
    // The loop: 200 200 429 (the 401 and 403 counted nothing).
    expect(run.loop.map((l) => l.status)).toEqual([200, 200, 429]);
    expect(run.loop[1]!.body.rateLimitRemaining).toBe(0);
    expect(run.loop[2]!.body).toMatchObject({ code: 'rate_limited', limit: '3', remaining: '0' });

    // Assess: the service handled exactly the three admitted GETs for this key (a forwarded 403
    // or 429 would carry this key's id, a forwarded 401 no id at all).
    const seen = (await stats()).filter((r) => r.keyId === run.key.id || r.keyId === null);
    expect(seen).toEqual([
      { method: 'GET', path: '/orders/42', status: 200, keyId: run.key.id },
      { method: 'GET', path: '/orders/42', status: 200, keyId: run.key.id },
      { method: 'GET', path: '/orders/42', status: 200, keyId: run.key.id },
    ]);
  });

  it('admits POST /orders for a key with orders:write, charging the route cost of 2', async () => {
    // Prepare
    const { key: keyBody, order } = readmeBodies(section);
    const writer = await createKey({ ...keyBody, name: 'orders writer', scopes: ['orders:write'] });

    // Act
    const res = await fetch(`${api}/orders`, { method: 'POST', headers: { Authorization: `Bearer ${writer.key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(order) });

    // Assess: 201 with the order and a Location; one request of a 3-per-window key used 2.
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual(order);
    expect(res.headers.get('location')).toMatch(/^\/orders\/ord_[0-9a-f-]{36}$/);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('1');
    expect((await stats()).filter((r) => r.keyId === writer.id)).toEqual([{ method: 'POST', path: '/orders', status: 201, keyId: writer.id }]);
  });

  it('refuses a request sent straight to the service without Keygate\'s headers', async () => {
    const res = await fetch(`${service}/orders/42`);
    expect(res.status).toBe(401);
  });
});

// --- bad settings stop npm start ------------------------------------------------------------

describe('npm start with a bad KEYGATE_CONFIG', () => {
  const running: Started[] = [];
  afterEach(() => stopAll(running));

  const example = () => JSON.parse(readFileSync(EXAMPLE_CONFIG, 'utf8')) as Json;

  it('rejects a route with an undefined scope, naming keygate:routes[0]', async () => {
    // Prepare
    const config = example();
    (config['keygate:routes'] as Json[])[0]!.scopes = ['orders:delete'];

    // Act
    const run = npmStart(config, running);

    // Assess
    expect(await run.exit).toBe(1);
    expect(run.output()).toMatch(/keygate:routes\[0\] \(GET \/orders\/\{id\}\): scope "orders:delete" is not defined/);
    expect(run.output()).not.toContain('Keygate is running');
  });

  it('rejects an unknown setting, naming keygate:rutes', async () => {
    // Prepare
    const config = example();
    config['keygate:rutes'] = config['keygate:routes'];
    delete config['keygate:routes'];

    // Act
    const run = npmStart(config, running);

    // Assess
    expect(await run.exit).toBe(1);
    expect(run.output()).toMatch(/unknown setting "keygate:rutes"/);
    expect(run.output()).not.toContain('Keygate is running');
  });
});
