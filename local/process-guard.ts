/**
 * What keeps `npm start` well behaved as a process: one instance per KEYGATE_HOME (a lock
 * file holding the owner's pid), and DynamoDB Local stopped whatever ends the service — a
 * signal to npm, tsx or Node, a crash, or the JVM dying on its own (see local/watchdog.mjs).
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const lockPath = (home: string): string => join(home, 'keygate.lock');

export class AlreadyRunningError extends Error {
  override readonly name = 'AlreadyRunningError';
  constructor(readonly pid: number, home: string) {
    super(`Keygate is already running on ${home} (pid ${pid}). Stop it first, or set KEYGATE_HOME to another directory.`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data directory for this process, or throws AlreadyRunningError if a live process
 * holds it. A lock left by a process that is gone (killed with SIGKILL, say) is taken over.
 * Returns the release function.
 */
export function lockHome(home: string, pid = process.pid): () => void {
  const path = lockPath(home);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (Number(readFileSync(path, 'utf8')) === pid) rmSync(path, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(owner) && owner > 0 && owner !== pid && alive(owner)) throw new AlreadyRunningError(owner, home);
      rmSync(path, { force: true }); // stale
    }
  }
  throw new Error(`could not take the lock ${path}`);
}

/**
 * The processes whose end should end the service: this process's ancestors up to and
 * including npm (`npm start` → sh → tsx → node), never pid 1, at most four levels. Uses `ps`;
 * where it is missing, only the parent is watched.
 */
export function launcherAncestors(pid = process.pid): number[] {
  const out: number[] = [];
  let current = pid;
  for (let depth = 0; depth < 4; depth++) {
    let line: string;
    try {
      line = execFileSync('ps', ['-o', 'ppid=,args=', '-p', String(current)], { encoding: 'utf8' }).trim();
    } catch {
      return out.length > 0 ? out : process.ppid > 1 ? [process.ppid] : [];
    }
    const m = /^(\d+)\s*(.*)$/.exec(line);
    const parent = m ? Number(m[1]) : 0;
    if (parent <= 1) break;
    out.push(parent);
    let parentArgs = '';
    try {
      parentArgs = execFileSync('ps', ['-o', 'args=', '-p', String(parent)], { encoding: 'utf8' }).trim();
    } catch {
      break;
    }
    if (/(^|[\s/])npm(-cli\.js)?(\s|$)/.test(parentArgs)) break;
    current = parent;
  }
  return out;
}

/** Starts the watchdog for the JVM, detached so that it outlives whatever kills this process. */
export function startWatchdog(javaPid: number, watched: readonly number[]): void {
  const script = fileURLToPath(new URL('./watchdog.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, String(javaPid), String(process.pid), ...watched.map(String)], { detached: true, stdio: 'ignore' });
  child.unref();
}
