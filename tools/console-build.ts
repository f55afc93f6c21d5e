/**
 * Builds the web console (console/, Vite) when its build is missing or out of date, so that
 * `npm start`, `cdk synth` and `npm test` need no extra command on a fresh clone.
 *
 * Up to date means: console/dist/.build-stamp holds the SHA-256 of every input the build reads
 * (console/ except its build, core/ and packages/client/src, which the console imports from, and
 * package-lock.json, which fixes Vite's and Preact's versions). Contents, not modification times:
 * a checkout or a copy that touches every file does not force a rebuild, an edit always does.
 *
 * Several processes may ask at once (test workers, the CDK bundling hook, npm start): one builds
 * under a lock file while the others wait, then find the stamp current. The build is written to a
 * temporary directory and moved into place, so nobody reads a half-written console/dist.
 *
 * Library: `ensureConsoleBuilt()`. Command line (the CDK bundling hook, lib/console.ts):
 *   tsx tools/console-build.ts [--force] [--copy-to <dir>]
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The console's sources (Vite root). */
export const CONSOLE_ROOT = join(REPO_ROOT, 'console');
/** What the build writes and the console Lambda serves. */
export const CONSOLE_DIST = join(CONSOLE_ROOT, 'dist');
export const CONSOLE_VITE_CONFIG = join(CONSOLE_ROOT, 'vite.config.ts');
/** Inside dist, a dot file: the console Lambda never serves dot files. */
export const BUILD_STAMP = '.build-stamp';
const LOCK = join(CONSOLE_ROOT, '.build.lock');

/** Inputs of the build, relative to the repository. Directories are walked, skipping dot entries, node_modules and the build. */
const INPUTS = ['console', 'core', 'packages/client/src', 'package-lock.json', 'tools/console-build.ts'];
const SKIP = new Set(['node_modules', 'dist']);

export class ConsoleBuildError extends Error {
  override readonly name = 'ConsoleBuildError';
}

function inputFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (e.name.startsWith('.') || SKIP.has(e.name)) continue;
      const child = join(abs, e.name);
      if (e.isDirectory()) walk(child);
      else if (e.isFile()) out.push(child);
    }
  };
  for (const input of INPUTS) {
    const abs = join(root, input);
    if (!existsSync(abs)) continue;
    if (readdirSafe(abs)) walk(abs);
    else out.push(abs);
  }
  return out.sort();
}

function readdirSafe(path: string): boolean {
  try {
    readdirSync(path);
    return true;
  } catch {
    return false;
  }
}

/** SHA-256 over the names and contents of the build's inputs. */
export function consoleSourceHash(root: string = REPO_ROOT): string {
  const hash = createHash('sha256');
  for (const file of inputFiles(root)) {
    hash.update(relative(root, file).split('\\').join('/'));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Whether console/dist holds the build of the current sources. */
export function consoleBuildIsCurrent(hash: string = consoleSourceHash()): boolean {
  try {
    return readFileSync(join(CONSOLE_DIST, BUILD_STAMP), 'utf8').trim() === hash && existsSync(join(CONSOLE_DIST, 'index.html'));
  } catch {
    return false;
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes the build lock, waiting for another process's build; a lock whose process is gone is taken over. */
async function lock(waitMs: number): Promise<() => void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(LOCK, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(LOCK, 'utf8'));
    } catch {
      continue; // released between our two calls
    }
    // An empty file is a lock being written this instant; only a named, dead holder is stale.
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
      rmSync(LOCK, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new ConsoleBuildError(`another process (pid ${holder}) has been building the console for too long; remove ${LOCK} if it is gone`);
    await sleep(200);
  }
}

export interface EnsureConsoleBuiltOptions {
  /** Build even when the stamp says the build is current. */
  readonly force?: boolean;
  /** How long to wait for another process's build. @default 5 minutes */
  readonly waitMs?: number;
  /** Progress lines (e.g. console.log); silent by default. */
  readonly log?: (line: string) => void;
}

export interface ConsoleBuildResult {
  readonly dir: string;
  /** False when the existing build was current. */
  readonly built: boolean;
  readonly hash: string;
}

/** Builds console/dist with Vite (its JS API, console/vite.config.ts) unless the stamp says it is current. */
export async function ensureConsoleBuilt(options: EnsureConsoleBuiltOptions = {}): Promise<ConsoleBuildResult> {
  if (!existsSync(CONSOLE_VITE_CONFIG)) throw new ConsoleBuildError(`the console's build configuration ${relative(REPO_ROOT, CONSOLE_VITE_CONFIG)} is missing`);
  let hash = consoleSourceHash();
  if (!options.force && consoleBuildIsCurrent(hash)) return { dir: CONSOLE_DIST, built: false, hash };
  const release = await lock(options.waitMs ?? 5 * 60_000);
  try {
    // Someone else may have built it while we waited.
    hash = consoleSourceHash();
    if (!options.force && consoleBuildIsCurrent(hash)) return { dir: CONSOLE_DIST, built: false, hash };
    options.log?.('Building the web console (vite)…');
    const tmp = join(CONSOLE_ROOT, `.dist-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    const { build } = await import('vite');
    try {
      await build({ configFile: CONSOLE_VITE_CONFIG, logLevel: 'warn', build: { outDir: tmp, emptyOutDir: true } });
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw new ConsoleBuildError(`the web console did not build: ${(err as Error).message}`, { cause: err });
    }
    writeFileSync(join(tmp, BUILD_STAMP), hash + '\n');
    rmSync(CONSOLE_DIST, { recursive: true, force: true });
    renameSync(tmp, CONSOLE_DIST);
    return { dir: CONSOLE_DIST, built: true, hash };
  } finally {
    release();
  }
}

/** Copies the current build (without its stamp) to `dir`: the console Lambda's asset. */
export function copyConsoleBuild(dir: string): void {
  mkdirSync(dir, { recursive: true });
  cpSync(CONSOLE_DIST, dir, { recursive: true, filter: (src) => !src.endsWith(`/${BUILD_STAMP}`) && !src.endsWith(`\\${BUILD_STAMP}`) });
}

async function main(argv: readonly string[]): Promise<void> {
  const force = argv.includes('--force');
  const at = argv.indexOf('--copy-to');
  const copyTo = at >= 0 ? argv[at + 1] : undefined;
  if (at >= 0 && !copyTo) throw new ConsoleBuildError('--copy-to needs a directory');
  const unknown = argv.filter((a, i) => a !== '--force' && a !== '--copy-to' && !(at >= 0 && i === at + 1));
  if (unknown.length > 0) throw new ConsoleBuildError(`unknown argument ${unknown[0]} (supported: --force, --copy-to <dir>)`);
  const result = await ensureConsoleBuilt({ force, log: (l) => process.stderr.write(l + '\n') });
  if (copyTo) copyConsoleBuild(resolve(copyTo));
  if (result.built) process.stderr.write(`console: built (${relative(REPO_ROOT, result.dir)})\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`console-build: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
