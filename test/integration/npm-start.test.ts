/**
 * `npm start` as a process: one instance per KEYGATE_HOME, and DynamoDB Local never outlives
 * the service, whoever is signalled (npm itself does not forward SIGINT/SIGTERM to its script)
 * and however it ends (SIGKILL of Node, the JVM dying on its own).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pidsMatching, tryKill } from '../support/processes';
import { lockPath } from '../../local/process-guard';

const started: { npm: ChildProcess; home: string }[] = [];
afterEach(() => {
  for (const { npm, home } of started.splice(0)) {
    for (const pid of pidsMatching(home)) tryKill(pid, 'SIGKILL');
    tryKill(npm.pid!, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
});



const javaPid = (home: string) => pidsMatching(`-dbPath ${join(home, 'dynamodb')}`)[0];

/** Starts `npm start` on a fresh data directory and resolves once it serves. */
async function npmStart(): Promise<{ npm: ChildProcess; home: string; output: () => string; exit: Promise<number | null> }> {
  const home = mkdtempSync(join(tmpdir(), 'keygate-npm-start-'));
  const npm = spawn('npm', ['start'], { env: { ...process.env, KEYGATE_HOME: home, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push({ npm, home });
  let output = '';
  npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<number | null>((r) => npm.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (/Keygate is running on/.test(output)) {
        clearInterval(check);
        resolve();
      }
    }, 100);
    void exit.then(() => {
      clearInterval(check);
      reject(new Error(`npm start exited early:\n${output}`));
    });
  });
  return { npm, home, output: () => output, exit };
}

/** Waits (polling, bounded) until the process is gone; true if it went. */
async function gone(pid: number, maxMs = 20_000): Promise<boolean> {
  for (let waited = 0; waited < maxMs; waited += 200) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe('npm start', () => {
  it('refuses a second start on the same KEYGATE_HOME, and stops DynamoDB Local on SIGTERM to npm', async () => {
    // Prepare
    const run = await npmStart();
    const java = javaPid(run.home);
    expect(java).toBeGreaterThan(0);
    // Act: a second start on the same data directory
    const second = spawnSync('npm', ['start'], { env: { ...process.env, KEYGATE_HOME: run.home, PORT: '0' }, encoding: 'utf8', timeout: 60_000 });
    // Assess
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/already running on .* \(pid \d+\)/);
    // Act: SIGTERM to the npm process only
    process.kill(run.npm.pid!, 'SIGTERM');
    // Assess: the JVM goes, and the lock is released
    expect(await gone(java!)).toBe(true);
    for (let i = 0; i < 50 && existsSync(lockPath(run.home)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(lockPath(run.home))).toBe(false);
  });

  it('stops DynamoDB Local when the Node process is killed with SIGKILL', async () => {
    const run = await npmStart();
    const java = javaPid(run.home)!;
    const main = pidsMatching('local/start.ts').find((pid) => execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).includes('loader'));
    expect(main).toBeGreaterThan(0);
    process.kill(main!, 'SIGKILL');
    expect(await gone(java)).toBe(true);
  });

  it('exits non-zero, saying why, when DynamoDB Local dies on its own', async () => {
    const run = await npmStart();
    process.kill(javaPid(run.home)!, 'SIGKILL');
    expect(await run.exit).not.toBe(0);
    expect(run.output()).toMatch(/DynamoDB Local exited unexpectedly/);
    expect(existsSync(lockPath(run.home))).toBe(false);
  });
});
