/**
 * `keygate bootstrap` for the local stack: creates an admin key straight in the data
 * directory's DynamoDB (no HTTP, since no key exists yet). Uses the running stack's
 * DynamoDB Local if `npm start` is up, otherwise starts one on the data directory.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { JsonLogger } from '../adapters/json-logger';
import { localConfig } from './config';
import { startDynamoDbLocal } from './dynamodb-local';
import { ADMIN_OWNER_ID, adminKeyPath, LOCAL_TABLE_NAME, localRuntime, readLocalState, writeAdminKey } from './stack';

export class AdminKeyExistsError extends Error {
  override readonly name = 'AdminKeyExistsError';
}

export async function bootstrapLocal(opts: { home?: string; force?: boolean } = {}): Promise<{ plaintext: string; keyId: string; path: string }> {
  const home = resolve(opts.home ?? process.env.KEYGATE_HOME ?? '.keygate');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  if (existsSync(adminKeyPath(home)) && !opts.force) {
    throw new AdminKeyExistsError(`an admin key already exists at ${adminKeyPath(home)} (use --force to create another)`);
  }
  const state = readLocalState(home);
  let running = false;
  if (state) {
    try {
      running = (await fetch(`${state.url}/health`)).ok;
    } catch {
      running = false;
    }
  }
  const ddb = running ? undefined : await startDynamoDbLocal({ dataDir: join(home, 'dynamodb') });
  try {
    const runtime = await localRuntime({
      home,
      dynamoEndpoint: running ? state!.dynamoEndpoint : ddb!.endpoint,
      tableName: state?.tableName ?? LOCAL_TABLE_NAME,
      config: localConfig(),
      logger: new JsonLogger({ service: 'keygate-bootstrap' }, undefined, 'warn'),
    });
    const created = await runtime.service.createBootstrapKey({ ownerId: ADMIN_OWNER_ID, name: 'bootstrap admin', createdBy: 'bootstrap' }).finally(() => runtime.destroy());
    return { plaintext: created.plaintext, keyId: created.view.id, path: writeAdminKey(home, created.plaintext) };
  } finally {
    await ddb?.stop();
  }
}
