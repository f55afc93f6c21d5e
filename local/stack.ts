/**
 * The whole service on one machine: DynamoDB Local, the key table, the real authorizer and
 * keys handlers behind a local API Gateway stand-in, and the local KMS stand-in.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMITTED_USAGE_KEY, allScopes, type KeygateConfig } from '../core/config';
import { authorizationTable, encodeAuthorizationRules, fullRouteTable, type OperatorRoute } from '../core/operator-routes';
import { authorizerEnvironment, checkAuthorizerEnvironment, UNRESOLVED_VALUE_BYTES } from '../core/settings';
import type { KeyService } from '../core/key-service';
import { type Clock, type EventSink, type Logger, systemClock } from '../core/ports';
import { CLIENT_PROFILES, type ClientProfile } from '../adapters/client-profiles';
import { createTable } from '../adapters/dynamodb/create-tables';
import type { DynamoCounterStore } from '../adapters/dynamodb/counter-store';
import { COUNTER_TABLE } from '../adapters/dynamodb/table-schema';
import type { DynamoKeyRepository } from '../adapters/dynamodb/key-repository';
import { JsonLogger } from '../adapters/json-logger';
import { LocalDataKeyProvider } from '../adapters/local-data-key-provider';
import { FileEventSink } from '../adapters/file-event-sink';
import { withLocalWebhook } from '../adapters/local-webhook';
import { WEBHOOK_ENV } from '../core/webhook-signature';
import { createRuntime, type Runtime } from '../adapters/runtime';
import { LOCAL_METRICS_PATH, PrometheusMetrics } from '../adapters/prometheus-metrics';
import { countedEventSink, type MetricService } from '../core/metrics';
import { DuckDbUsageEngine } from '../adapters/usage/duckdb-engine';
import { LocalUsageWriter } from '../adapters/usage/local-usage-writer';
import { UsageReports } from '../core/usage-report-service';
import { USAGE_TABLE_NAME } from '../core/usage-record';
import { createUsageHandler } from '../lambdas/usage/app';
import { createAuthorizer } from '../lambdas/authorizer/authorizer';
import { createKeysHandler } from '../lambdas/keys/app';
import { createConsoleHandler, loadConsoleFiles } from '../lambdas/console/app';
import { CONSOLE_DIST } from '../tools/console-build';
import { openApiSource } from '../lambdas/keys/openapi-route';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { ConcurrencyLimit, limited } from './concurrency';
import { type LocalAnomalyDetection, startLocalAnomalyDetection } from './anomalies';
import { type LocalExpiryScan, startLocalExpiryScan } from './expiry';
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
  /**
   * Retry-After / RateLimit-Policy / RateLimit / X-RateLimit-* on the 429 from the authorizer context, as a deployment with
   * `-c keygate:gatewayResponseContextHeaders=true` does.
   * @default false (the deployed default: the numbers are in the 429 body only)
   */
  readonly gatewayResponseContextHeaders?: boolean;
  /**
   * Operator routes to serve (validated settings, see local/config.ts `localRoutes`).
   * @default none: only Keygate's own routes
   */
  readonly routes?: readonly OperatorRoute[];
  /**
   * Usage records (the access-log stand-in): one per request, written as Parquet under
   * `<home>/usage/dt=YYYY-MM-DD/` every `flushMs` and on stop. Also with `inMemory` (then in the
   * temp data directory), so a throwaway run can be analysed like a persistent one.
   * @default { flushMs: 2000 }
   */
  readonly usage?: { readonly flushMs?: number };
  /** Seconds between local anomaly runs (0 = no timer). @default KEYGATE_ANOMALY_SCAN_SECONDS or 3600 */
  readonly anomalyScanSeconds?: number;
  /** Seconds between local expiry scans (0 = no timer and no scan at start). @default KEYGATE_EXPIRY_SCAN_SECONDS or 60 */
  readonly expiryScanSeconds?: number;
  /**
   * Webhook receiver of notification events (tests); absent = `KEYGATE_WEBHOOK_URL` and
   * `KEYGATE_WEBHOOK_SECRET` from the environment decide.
   */
  readonly webhook?: { readonly url: string; readonly secret: string };
  /**
   * The built web console served at /console/ (read once, at start, as the console Lambda reads
   * its copy at cold start). `npm start` builds it first (tools/console-build.ts).
   * @default console/dist of this repository
   */
  readonly consoleDir?: string;
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
  /** The usage-record writer; `flush()` puts everything recorded so far on disk. */
  readonly usage: LocalUsageWriter;
  /** Usage anomaly detection over <home>/usage (timer; runNow() for one run). */
  readonly anomalies: LocalAnomalyDetection;
  /** Expiry notifications: the scan of the expiry index (at start, then a timer; runNow() for one run). */
  readonly expiry: LocalExpiryScan;
  /** Waits (at most `boundMs`) for webhook deliveries in flight; true when none is left. */
  flushEvents(boundMs?: number): Promise<boolean>;
  /** The counters served at GET /metrics (Prometheus text), cumulative since start. */
  readonly metrics: PrometheusMetrics;
  /** The DynamoDB Local process this stack started (absent when it was given an endpoint). */
  readonly dynamoProcess?: Pick<DynamoDbLocal, 'pid' | 'exited'>;
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

/** Local timeouts are the deployed ones × this: DynamoDB Local runs on a JVM that shares a laptop's cores. */
export const LOCAL_TIMEOUT_SCALE = 2;
/** Concurrent invocations per local function (see local/concurrency.ts). */
export const LOCAL_CONCURRENCY = 16;

/** Creates the key and counter tables if they are missing. */
export async function ensureTables(dynamoEndpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint: dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await createTable(client, tableName);
    await createTable(client, counterTableFor(tableName), COUNTER_TABLE);
  } finally {
    client.destroy();
  }
}

/**
 * The keys Lambda's runtime on a DynamoDB endpoint (the local stack and `keygate bootstrap`):
 * the same composition root as in AWS, with the local KMS stand-in.
 */
export async function localRuntime(opts: {
  home: string;
  dynamoEndpoint: string;
  tableName: string;
  config: KeygateConfig;
  logger: Logger;
  inMemoryMasterKey?: boolean;
  clock?: Clock;
  events?: EventSink;
  keyTableProfile?: ClientProfile;
  metrics?: { recorder: PrometheusMetrics; service: MetricService };
}): Promise<Runtime & { service: KeyService }> {
  await ensureTables(opts.dynamoEndpoint, opts.tableName);
  const dataKeys = opts.inMemoryMasterKey ? new LocalDataKeyProvider(randomBytes(32)) : LocalDataKeyProvider.fromHome(opts.home);
  const runtime = createRuntime({
    tables: { keys: opts.tableName, counters: counterTableFor(opts.tableName) },
    config: opts.config,
    logger: opts.logger,
    dynamoEndpoint: opts.dynamoEndpoint,
    keyTableProfile: opts.keyTableProfile ?? CLIENT_PROFILES.management,
    timeoutScale: LOCAL_TIMEOUT_SCALE,
    dataKeys,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.events ? { events: opts.events } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  return runtime as Runtime & { service: KeyService };
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
  const runtimes: Runtime[] = [];
  let usage: LocalUsageWriter | undefined;
  let usageEngine: DuckDbUsageEngine | undefined;
  let anomalies: LocalAnomalyDetection | undefined;
  let expiry: LocalExpiryScan | undefined;
  try {
    // Two "functions", as deployed: the authorizer (short key-read timeouts) and the keys Lambda.
    // EventBridge stand-in: events go to <home>/events.ndjson and the log.
    // With KEYGATE_WEBHOOK_URL set, notification events are also POSTed signed, like the deployed webhook.
    const events = withLocalWebhook(new FileEventSink(join(home, 'events.ndjson'), logger), {
      home,
      logger,
      ...(options.webhook ? { env: { [WEBHOOK_ENV.url]: options.webhook.url, [WEBHOOK_ENV.secret]: options.webhook.secret } } : {}),
    });
    // The same recordings as the Lambdas' EMF, kept cumulative for GET /metrics (docs/metrics.md).
    const metrics = new PrometheusMetrics();
    const keysRuntime = await localRuntime({
      home,
      dynamoEndpoint,
      tableName,
      config: options.config,
      logger,
      events,
      metrics: { recorder: metrics, service: 'keys' },
      ...(options.clock ? { clock: options.clock } : {}),
    });
    runtimes.push(keysRuntime);
    const authzRuntime = createRuntime({
      tables: { keys: tableName, counters: counterTableFor(tableName) },
      config: options.config,
      logger,
      dynamoEndpoint,
      keyTableProfile: CLIENT_PROFILES.keyRead,
      timeoutScale: LOCAL_TIMEOUT_SCALE,
      events,
      metrics: { recorder: metrics, service: 'authorizer' },
      // Hot keys count through per-container leases, as in the deployed authorizer (core/hot-keys.ts).
      hotKeyLeases: true,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    runtimes.push(authzRuntime);
    const { repo, counters, service } = keysRuntime;
    anomalies = startLocalAnomalyDetection({
      home,
      dynamoEndpoint,
      tableName,
      counterTableName: counterTableFor(tableName),
      keys: repo,
      counters,
      events: countedEventSink(events, metrics, 'anomalies'),
      logger,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.anomalyScanSeconds !== undefined ? { intervalSeconds: options.anomalyScanSeconds } : {}),
    });
    const anomalyDetection = anomalies;
    expiry = startLocalExpiryScan({
      home,
      dynamoEndpoint,
      tableName,
      counterTableName: counterTableFor(tableName),
      auditRetentionDays: options.config.auditRetentionDays,
      events: countedEventSink(events, metrics, 'expiry'),
      logger,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.expiryScanSeconds !== undefined ? { intervalSeconds: options.expiryScanSeconds } : {}),
    });
    const expiryScan = expiry;
    const clock = options.clock ?? systemClock;
    // The authorizer reads the operator routes through the same encoding the deployed one gets in
    // its environment, and the same size check runs here as at synth (names as long as a deploy's may be).
    const operatorRoutes = options.routes ?? [];
    const placeholder = 'x'.repeat(UNRESOLVED_VALUE_BYTES);
    checkAuthorizerEnvironment(
      authorizerEnvironment(options.config, operatorRoutes, { tableName: placeholder, counterTableName: placeholder, admittedUsageKey: placeholder, eventBusName: placeholder }),
    );
    const authorizer = createAuthorizer({
      verifier: authzRuntime.verifier,
      config: options.config,
      logger,
      clock,
      admittedUsageKey: ADMITTED_USAGE_KEY,
      routes: authorizationTable(encodeAuthorizationRules(operatorRoutes)),
      metrics,
    });
    // Usage reports: the same handlers as deployed, over DuckDB reading the local writer's Parquet.
    usageEngine = new DuckDbUsageEngine({ home, table: USAGE_TABLE_NAME });
    const reports = new UsageReports({ engine: usageEngine, table: USAGE_TABLE_NAME });
    const keys = createKeysHandler({
      service,
      verifier: keysRuntime.verifier,
      audit: keysRuntime.audit!,
      leaks: keysRuntime.leaks!,
      config: options.config,
      clock,
      logger,
      reports,
      metrics,
      openApi: openApiSource({ operatorRoutes, scopes: allScopes(options.config) }),
    });
    const usageReports = createUsageHandler({ reports, clock, logger });
    const consoleSite = createConsoleHandler(loadConsoleFiles(options.consoleDir ?? CONSOLE_DIST));
    usage = new LocalUsageWriter({ home, logger, ...(options.usage?.flushMs !== undefined ? { flushMs: options.usage.flushMs } : {}) });
    const usageWriter = usage;
    const routeTable = fullRouteTable(operatorRoutes);
    // The same usage-plan arrangement as the CDK stack, so rate-limited requests get the same 429.
    const gateway = new LocalGateway({
      authorizer: limited(new ConcurrencyLimit(LOCAL_CONCURRENCY), authorizer),
      keys: limited(new ConcurrencyLimit(LOCAL_CONCURRENCY), keys),
      usage: limited(new ConcurrencyLimit(LOCAL_CONCURRENCY), usageReports),
      console: limited(new ConcurrencyLimit(LOCAL_CONCURRENCY), consoleSite),
      admittedUsageKey: ADMITTED_USAGE_KEY,
      routes: routeTable,
      allowQueryKey: options.config.allowQueryKey,
      ...(options.gatewayResponseContextHeaders !== undefined ? { gatewayResponseContextHeaders: options.gatewayResponseContextHeaders } : {}),
      onUsage: (record) => usageWriter.write(record),
    });

    let createdAdminKey: string | undefined;
    if (options.bootstrap !== false && !existsSync(adminKeyPath(home))) {
      const created = await service.createBootstrapKey({ ownerId: ADMIN_OWNER_ID, name: 'bootstrap admin', createdBy: 'bootstrap' });
      writeAdminKey(home, created.plaintext);
      createdAdminKey = created.plaintext;
    }

    // GET /metrics is local-only; an operator route that claims the path keeps it (it is the API's).
    const metricsServed = !routeTable.match('GET', LOCAL_METRICS_PATH);
    if (!metricsServed) logger.log('warn', `an operator route serves GET ${LOCAL_METRICS_PATH}; the local metrics endpoint is off`, {});
    const server = await startLocalServer(gateway, {
      ...options.server,
      port: options.port ?? 3000,
      ...(metricsServed ? { metrics: () => metrics.render() } : {}),
    });
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
      usage: usageWriter,
      anomalies: anomalyDetection,
      expiry: expiryScan,
      flushEvents: async (boundMs?: number) => (events.flush ? events.flush(boundMs) : true),
      metrics,
      ...(ddb ? { dynamoProcess: { pid: ddb.pid, exited: ddb.exited } } : {}),
      async stop() {
        await server.close();
        // After the server: the last requests' records are in the buffer by now.
        await usageWriter.stop().catch((err: unknown) => logger.log('error', 'usage records lost on stop', { error: err }));
        usageEngine?.close();
        await anomalyDetection.stop().catch((err: unknown) => logger.log('error', 'anomaly detection stop failed', { error: err }));
        await expiryScan.stop().catch((err: unknown) => logger.log('error', 'expiry scan stop failed', { error: err }));
        await events.flush?.(10_000);
        for (const r of runtimes) r.destroy();
        if (!options.inMemory) rmSync(statePath(home), { force: true });
        await ddb?.stop();
      },
    };
  } catch (err) {
    await usage?.stop().catch(() => undefined);
    usageEngine?.close();
    await anomalies?.stop().catch(() => undefined);
    await expiry?.stop().catch(() => undefined);
    for (const r of runtimes) r.destroy();
    await ddb?.stop();
    throw err;
  }
}
