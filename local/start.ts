/**
 * `npm start`: run Keygate locally.
 *   --in-memory     throwaway run (DynamoDB in memory, data directory in a temp folder)
 *   PORT            HTTP port (default 3000)
 *   KEYGATE_HOME    data directory (default ./.keygate)
 *   KEYGATE_CACHE_TTL_SECONDS  authorizer cache TTL (default 0 locally)
 * One instance per KEYGATE_HOME (a lock file); DynamoDB Local stops with the service whatever
 * ends it: Ctrl-C, SIGTERM/SIGINT to npm, tsx or Node, a crash, or SIGKILL (local/process-guard.ts).
 */
import './quiet-warnings';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { JavaMissingError } from './dynamodb-local';
import { localConfig, localRoutes } from './config';
import { launcherAncestors, lockHome, startWatchdog } from './process-guard';
import { type LocalStack, startLocalStack } from './stack';
import { ConsoleBuildError, ensureConsoleBuilt } from '../tools/console-build';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--in-memory');
if (unknown.length > 0) {
  console.error(`keygate: unknown option ${unknown[0]} (supported: --in-memory)`);
  process.exit(2);
}
const inMemory = args.includes('--in-memory');
const home = inMemory && !process.env.KEYGATE_HOME ? mkdtempSync(join(tmpdir(), 'keygate-')) : resolve(process.env.KEYGATE_HOME ?? '.keygate');
const port = process.env.PORT ? Number(process.env.PORT) : 3000;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`keygate: PORT must be a port number (got ${process.env.PORT})`);
  process.exit(2);
}

let release: (() => void) | undefined;
try {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  release = lockHome(home);
} catch (err) {
  console.error(`keygate: ${(err as Error).message}`);
  process.exit(1);
}

let stack: LocalStack | undefined;
let stopping = false;
/** Stops the server and DynamoDB Local, releases the data directory, and exits with `code`. */
const stop = async (code: number, why?: string) => {
  if (stopping) return;
  stopping = true;
  if (why) console.error(`keygate: ${why}`);
  console.log('\nStopping Keygate and DynamoDB Local…');
  const force = setTimeout(() => {
    if (stack?.dynamoProcess) killQuietly(stack.dynamoProcess.pid);
    process.exit(code || 1);
  }, 10_000);
  try {
    await stack?.stop();
  } catch (err) {
    console.error(`keygate: stopping failed: ${(err as Error).message}`);
  }
  clearTimeout(force);
  release?.();
  if (inMemory && !process.env.KEYGATE_HOME) rmSync(home, { recursive: true, force: true });
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));
// A crash of this process must not leave DynamoDB Local behind (the watchdog covers SIGKILL).
process.on('uncaughtException', (err) => void stop(1, `crashed: ${err.stack ?? err.message}`));
process.on('unhandledRejection', (err) => void stop(1, `crashed: ${(err as Error)?.stack ?? String(err)}`));

try {
  const config = localConfig();
  const routes = localRoutes();
  // The web console is part of npm start: built here when its sources changed (a no-op otherwise).
  // A console that does not build leaves the API running; /console/ then answers 404 console_file_not_found.
  const consoleBuilt = await ensureConsoleBuilt({ log: (line) => console.log(line) }).then(
    () => true,
    (err: unknown) => {
      if (!(err instanceof ConsoleBuildError)) throw err;
      console.error(`keygate: ${err.message}\nkeygate: starting without the web console.`);
      return false;
    },
  );
  stack = await startLocalStack({
    home,
    inMemory,
    port,
    config,
    routes,
    server: { onRequest: (l) => console.log(`${l.method} ${l.path} ${l.status} ${l.ms.toFixed(1)}ms`) },
  });
  if (stack.dynamoProcess) {
    startWatchdog(stack.dynamoProcess.pid, launcherAncestors());
    void stack.dynamoProcess.exited.then(({ code, signal }) => {
      if (!stopping) void stop(1, `DynamoDB Local exited unexpectedly (${signal ?? `code ${code}`}); stopping.`);
    });
  }
  console.log(`Keygate is running on ${stack.url}  (DynamoDB Local ${stack.dynamoEndpoint}, data ${inMemory ? 'in memory' : home})`);
  console.log(`Authorizer cache TTL: ${config.cacheTtlSeconds}s (maximum revocation lag)`);
  if (routes.length > 0) {
    console.log(`Operator routes${process.env.KEYGATE_CONFIG ? ` (from ${process.env.KEYGATE_CONFIG})` : ''}:`);
    for (const r of routes) {
      const target = r.target.kind === 'upstream' ? r.target.url : r.target.localHandler ? `${r.target.localHandler} (local handler)` : `${r.target.functionArn} (501 locally: no localHandler)`;
      console.log(`  ${r.method.padEnd(7)} ${r.path}  scopes [${r.scopes.join(' ')}]${r.cost !== 1 ? ` cost ${r.cost}` : ''} → ${target}`);
    }
  }
  if (stack.createdAdminKey) {
    console.log('\nBootstrap admin key (shown once; saved to ' + stack.adminKeyPath + ', mode 0600):\n');
    console.log('  ' + stack.createdAdminKey + '\n');
  } else {
    console.log(`Admin key: ${stack.adminKeyPath}`);
  }
  if (consoleBuilt) console.log(`Console: ${stack.url}/console/  (sign in with the admin key)`);
  console.log(`Try:  curl -s ${stack.url}/v1/whoami -H "Authorization: Bearer $(cat ${stack.adminKeyPath})"`);
  console.log('Press Ctrl-C to stop.');
} catch (err) {
  if (err instanceof JavaMissingError) console.error(`keygate: ${err.message}`);
  else console.error(`keygate: could not start: ${(err as Error).message}`);
  release?.();
  process.exit(1);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
