/**
 * `npm start`: run Keygate locally.
 *   --in-memory     throwaway run (DynamoDB in memory, data directory in a temp folder)
 *   PORT            HTTP port (default 3000)
 *   KEYGATE_HOME    data directory (default ./.keygate)
 *   KEYGATE_CACHE_TTL_SECONDS  authorizer cache TTL (default 0 locally)
 */
import './quiet-warnings';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { JavaMissingError } from './dynamodb-local';
import { localConfig } from './config';
import { startLocalStack } from './stack';

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

try {
  const config = localConfig();
  const stack = await startLocalStack({
    home,
    inMemory,
    port,
    config,
    server: { onRequest: (l) => console.log(`${l.method} ${l.path} ${l.status} ${l.ms.toFixed(1)}ms`) },
  });
  console.log(`Keygate is running on ${stack.url}  (DynamoDB Local ${stack.dynamoEndpoint}, data ${inMemory ? 'in memory' : home})`);
  console.log(`Authorizer cache TTL: ${config.cacheTtlSeconds}s (maximum revocation lag)`);
  if (stack.createdAdminKey) {
    console.log('\nBootstrap admin key (shown once; saved to ' + stack.adminKeyPath + ', mode 0600):\n');
    console.log('  ' + stack.createdAdminKey + '\n');
  } else {
    console.log(`Admin key: ${stack.adminKeyPath}`);
  }
  console.log(`Try:  curl -s ${stack.url}/v1/whoami -H "Authorization: Bearer $(cat ${stack.adminKeyPath})"`);
  console.log('Press Ctrl-C to stop.');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping Keygate and DynamoDB Local…');
    await stack.stop();
    if (inMemory && !process.env.KEYGATE_HOME) rmSync(home, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (err) {
  if (err instanceof JavaMissingError) console.error(`keygate: ${err.message}`);
  else console.error(`keygate: could not start: ${(err as Error).message}`);
  process.exit(1);
}
