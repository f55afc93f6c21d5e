/**
 * The whole service on one machine: DynamoDB Local, the key table, the real authorizer and
 * keys handlers behind a local API Gateway stand-in, and the local KMS stand-in.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMITTED_USAGE_KEY, type KeygateConfig } from '../core/config';
import { EnvelopeCipher } from '../core/envelope';
import { KeyService } from '../core/key-service';
import { type Clock, type Logger, systemClock } from '../core/ports';
import { KeyVerifier } from '../core/verifier';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { createTable } from '../adapters/dynamodb/create-tables';
import { DynamoCounterStore } from '../adapters/dynamodb/counter-store';
import { COUNTER_TABLE } from '../adapters/dynamodb/table-schema';
import { DynamoKeyRepository } from '../adapters/dynamodb/key-repository';
import { JsonLogger } from '../adapters/json-logger';
import { LocalDataKeyProvider } from '../adapters/local-data-key-provider';
import { FileEventSink } from '../adapters/file-event-sink';
import { LastUsedTracker } from '../core/usage-signals';
import { createAuthorizer } from '../lambdas/authorizer/authorizer';
import { createKeysHandler } from '../lambdas/keys/app';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { LocalGateway } from './gateway';
import { type LocalServerOptions, startLocalServer } from './server';

export const LOCAL_TABLE_NAME = 'keygate-keys';
export const counterTableFor = (tableName: string): string => `${tableName}-counters`;
export const ADMIN_OWNER_ID = 'admin';

export interface LocalStackOptions {
  /** Data directory (master key, admin key, DynamoDB files). */
  readonly home: string;
  /** Keep DynamoDB in memory (a throwaway run). */
  readonly inMemory?: boolean;
  readonly port?: number;
  readonly config: KeygateConfig;
  /** Use an already running DynamoDB (tests share one); the stack then does not start or stop it. */
  readonly dynamoEndpoint?: string;
  readonly tableName?: string;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly server?: Omit<LocalServerOptions, 'port'>;
  /** Create and write `<home>/admin.key` if it is missing. Default true. */
  readonly bootstrap?: boolean;
}

export interface LocalStack {
  readonly url: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly home: string;
  /** The admin key, when this start created it (printed once by `npm start`). */
  readonly createdAdminKey?: string;
  readonly adminKeyPath: string;
  readonly repo: DynamoKeyRepository;
  readonly counters: DynamoCounterStore;
  readonly service: KeyService;
  readonly gateway: LocalGateway;
  stop(): Promise<void>;
}

export interface LocalState {
  readonly url: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly pid: number;
}

export const statePath = (home: string): string => join(home, 'local.json');
export const adminKeyPath = (home: string): string => join(home, 'admin.key');

export function readLocalState(home: string): LocalState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(home), 'utf8')) as LocalState;
  } catch {
    return undefined;
  }
}

export function writeAdminKey(home: string, plaintext: string): string {
  const path = adminKeyPath(home);
  writeFileSync(path, plaintext + '\n', { mode: 0o600 });
  return path;
}

/** Builds the service objects on a DynamoDB endpoint (shared by the local stack and `keygate bootstrap`). */
export async function localServices(opts: { home: string; dynamoEndpoint: string; tableName: string; config: KeygateConfig; inMemoryMasterKey?: boolean; clock?: Clock }) {
  const client = new DynamoDBClient({ endpoint: opts.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createTable(client, opts.tableName);
  await createTable(client, counterTableFor(opts.tableName), COUNTER_TABLE);
  client.destroy();
  const doc = createDocumentClient({ endpoint: opts.dynamoEndpoint, maxAttempts: 2, requestTimeoutMs: 1000, connectionTimeoutMs: 500 });
  const repo = new DynamoKeyRepository(doc, opts.tableName);
  const counters = new DynamoCounterStore(
    createDocumentClient({ endpoint: opts.dynamoEndpoint, maxAttempts: 1, requestTimeoutMs: 2000, connectionTimeoutMs: 2000 }),
    counterTableFor(opts.tableName),
  );
  const clock = opts.clock ?? systemClock;
  const provider = opts.inMemoryMasterKey ? new LocalDataKeyProvider(randomBytes(32)) : LocalDataKeyProvider.fromHome(opts.home);
  const service = new KeyService({ repo, cipher: new EnvelopeCipher(provider, clock), config: opts.config, clock, counters });
  return { doc, repo, counters, service, clock };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const home = options.home;
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const logger = options.logger ?? new JsonLogger({ service: 'keygate-local' }, undefined, 'warn');
  let ddb: DynamoDbLocal | undefined;
  const dynamoEndpoint =
    options.dynamoEndpoint ??
    (ddb = await startDynamoDbLocal(options.inMemory ? {} : { dataDir: join(home, 'dynamodb') })).endpoint;
  const tableName = options.tableName ?? LOCAL_TABLE_NAME;
  try {
    const { doc, repo, counters, service, clock } = await localServices({ home, dynamoEndpoint, tableName, config: options.config, clock: options.clock });
    // The same usage-plan arrangement as the CDK stack, so rate-limited requests get the same 429.
    // EventBridge stand-in: events go to <home>/events.ndjson and the log.
    const signals = () => ({
      lastUsed: new LastUsedTracker(repo, logger),
      events: new FileEventSink(join(home, 'events.ndjson'), logger),
      quotaWarningThreshold: options.config.quotaWarningThreshold,
      logger,
    });
    const authorizer = createAuthorizer({
      verifier: new KeyVerifier(repo, options.config, clock, counters, signals()),
      config: options.config,
      logger,
      clock,
      admittedUsageKey: ADMITTED_USAGE_KEY,
    });
    const keys = createKeysHandler({ service, verifier: new KeyVerifier(repo, options.config, clock, counters, signals()), config: options.config, clock, logger });
    const gateway = new LocalGateway({ authorizer, keys, admittedUsageKey: ADMITTED_USAGE_KEY });

    let createdAdminKey: string | undefined;
    if (options.bootstrap !== false && !existsSync(adminKeyPath(home))) {
      const created = await service.createBootstrapKey({ ownerId: ADMIN_OWNER_ID, name: 'bootstrap admin', createdBy: 'bootstrap' });
      writeAdminKey(home, created.plaintext);
      createdAdminKey = created.plaintext;
    }

    const server = await startLocalServer(gateway, { ...options.server, port: options.port ?? 3000 });
    const state: LocalState = { url: server.url, dynamoEndpoint, tableName, pid: process.pid };
    if (!options.inMemory) writeFileSync(statePath(home), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    return {
      url: server.url,
      dynamoEndpoint,
      tableName,
      home,
      adminKeyPath: adminKeyPath(home),
      ...(createdAdminKey ? { createdAdminKey } : {}),
      repo,
      counters,
      service,
      gateway,
      async stop() {
        await server.close();
        doc.destroy();
        if (!options.inMemory) rmSync(statePath(home), { force: true });
        await ddb?.stop();
      },
    };
  } catch (err) {
    await ddb?.stop();
    throw err;
  }
}
