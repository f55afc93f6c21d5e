/**
 * Wiring for the benchmark: the same objects lambdas/authorizer/handler.ts builds (clients
 * with the same settings, repository, counter store, LastUsedTracker, JsonLogger), pointed
 * at DynamoDB Local instead of AWS. handler.ts itself cannot be imported here: it builds
 * its clients without an endpoint, i.e. for AWS.
 */
import { authorizationTable } from '../core/operator-routes';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CLIENT_PROFILES } from '../adapters/client-profiles';
import { createRuntime } from '../adapters/runtime';
import { DynamoKeyRepository } from '../adapters/dynamodb/key-repository';
import { EmfMetrics } from '../adapters/emf-metrics';
import { JsonLogger } from '../adapters/json-logger';
import { ADMITTED_USAGE_KEY, type KeygateConfig, resolveConfig } from '../core/config';
import { newKeyId } from '../core/ids';
import { chainedEntry } from '../core/audit';
import { generateKey } from '../core/key-format';
import { type Clock, systemClock } from '../core/ports';
import type { Quota, RateLimit, SealedKeyRecord } from '../core/records';
import { type AuthorizerHandler, createAuthorizer } from '../lambdas/authorizer/authorizer';

/** The authorizer's client settings (adapters/client-profiles.ts). */
export const KEY_CLIENT_SETTINGS = CLIENT_PROFILES.keyRead;
export const COUNTER_CLIENT_SETTINGS = CLIENT_PROFILES.counterWrite;

export interface Tables {
  readonly endpoint: string;
  readonly keyTable: string;
  readonly counterTable: string;
}

export interface BenchAuthorizer {
  readonly handler: AuthorizerHandler;
  readonly keyDoc: DynamoDBDocumentClient;
  readonly counterDoc: DynamoDBDocumentClient;
  /** Log lines the handler produced (the sink discards them, as CloudWatch is not part of this). */
  readonly logLines: () => number;
  /**
   * The class names of the counter-store stack the verifier counts on, outermost first, as far
   * as the decorators expose their inner store (e.g. `LeasingCounterStore → DynamoCounterStore`):
   * the issue-13 rows say which stack they measured.
   */
  readonly storeStack: string;
  destroy(): void;
}

export interface AuthorizerOptions {
  readonly cacheTtlSeconds: number;
  readonly config?: Partial<Record<keyof KeygateConfig, unknown>>;
  readonly clock?: Clock;
  /** Called with both clients before anything is sent (used to count calls). */
  readonly instrument?: (keyDoc: DynamoDBDocumentClient, counterDoc: DynamoDBDocumentClient) => void;
}

/** One "authorizer container": own clients, own cache, own LastUsedTracker. */
export function buildAuthorizer(tables: Tables, options: AuthorizerOptions): BenchAuthorizer {
  const config = resolveConfig({ defaultRateLimit: null, ...options.config, cacheTtlSeconds: options.cacheTtlSeconds });
  let lines = 0;
  // The real logger at its default level ('info'); lines are counted, not printed.
  const logger = new JsonLogger({ service: 'keygate-authorizer' }, () => {
    lines++;
  }, 'info');
  const clock = options.clock ?? systemClock;
  // EMF as deployed (one line per invocation), serialized but not printed.
  const metrics = new EmfMetrics({ write: () => undefined });
  const runtime = createRuntime({
    metrics: { recorder: metrics, service: 'authorizer' },
    tables: { keys: tables.keyTable, counters: tables.counterTable },
    config,
    logger,
    clock,
    dynamoEndpoint: tables.endpoint,
    keyTableProfile: CLIENT_PROFILES.keyRead,
    hotKeyLeases: true,
  });
  const { keyDoc, counterDoc } = runtime;
  options.instrument?.(keyDoc, counterDoc);
  const handler = createAuthorizer({
    routes: authorizationTable(undefined),
    verifier: runtime.verifier,
    config,
    logger,
    admittedUsageKey: ADMITTED_USAGE_KEY,
    clock,
    metrics,
  });
  return {
    handler,
    keyDoc,
    counterDoc,
    logLines: () => lines,
    storeStack: storeStackOf((runtime.verifier as unknown as { counters?: unknown }).counters),
    destroy() {
      keyDoc.destroy();
      counterDoc.destroy();
    },
  };
}

/**
 * Names a decorated store chain by walking any property that holds another store (an object with
 * `consume`). Bench-only introspection: the decorators are not required to expose anything, so an
 * unexposed inner store just ends the chain.
 */
export function storeStackOf(store: unknown): string {
  const names: string[] = [];
  let current: unknown = store;
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth++) {
    names.push((current as { constructor?: { name?: string } }).constructor?.name ?? 'unknown');
    const inner = Object.values(current as Record<string, unknown>).find(
      (v) => v !== null && typeof v === 'object' && typeof (v as { consume?: unknown }).consume === 'function',
    );
    current = inner;
  }
  return names.length > 0 ? names.join(' → ') : 'none';
}

export interface BenchKey {
  readonly plaintext: string;
  readonly id: string;
}

/** Creates a key through the real repository (one TransactWriteItems), like test/integration/limits.test.ts. */
export async function createKey(repo: DynamoKeyRepository, limits: { rateLimit?: RateLimit; quota?: Quota } = {}): Promise<BenchKey> {
  const g = generateKey('kg', 'live', randomBytes(32));
  const now = new Date();
  const id = newKeyId(now.getTime());
  const iso = now.toISOString();
  const record: SealedKeyRecord = {
    id,
    ownerId: 'bench-owner',
    name: 'bench',
    environment: 'live',
    start: g.start,
    hash: g.hash,
    scopes: ['echo:read'],
    status: 'active',
    createdAt: iso,
    createdBy: 'bench',
    updatedAt: iso,
    version: 1,
    ...limits,
  };
  const { entry, head } = chainedEntry({ action: 'key.created', before: undefined, after: record, context: { actor: { type: 'system' }, request: {} }, at: now }, { retentionDays: 1 });
  await repo.create({ ...record, auditHead: head }, entry);
  return { plaintext: g.plaintext, id };
}

const METHOD_ARN = 'arn:aws:execute-api:us-east-1:000000000000:benchapi/prod/GET/v1/echo';

/**
 * A REQUEST authorizer event as API Gateway sends it for `GET /v1/echo` (same shape as
 * local/gateway.ts builds), with a realistic set of headers: extractKey walks all of them.
 */
export function authorizerEvent(key: string): APIGatewayRequestAuthorizerEvent {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'accept-encoding': 'gzip, deflate, br',
    authorization: `Bearer ${key}`,
    'cloudfront-forwarded-proto': 'https',
    'cloudfront-viewer-country': 'DE',
    host: 'benchapi.execute-api.us-east-1.amazonaws.com',
    'user-agent': 'keygate-bench/1.0',
    via: '2.0 0123456789abcdef.cloudfront.net (CloudFront)',
    'x-amz-cf-id': 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5',
    'x-amzn-trace-id': 'Root=1-65f0a1b2-0123456789abcdef01234567',
    'x-forwarded-for': '203.0.113.10, 130.176.0.1',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  const multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
  return {
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    resource: '/v1/echo',
    path: '/v1/echo',
    httpMethod: 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'benchapi',
      resourceId: 'abc123',
      resourcePath: '/v1/echo',
      httpMethod: 'GET',
      path: '/prod/v1/echo',
      stage: 'prod',
      protocol: 'HTTP/1.1',
      requestId: '11111111-2222-3333-4444-555555555555',
      requestTimeEpoch: Date.now(),
      identity: {
        sourceIp: '203.0.113.10',
        userAgent: 'keygate-bench/1.0',
        accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
        cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null,
        cognitoIdentityPoolId: null, principalOrgId: null, user: null, userArn: null,
      },
    },
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

/** The authorizer decided something other than what the scenario needs: the run is invalid, not slow. */
export class WrongDecisionError extends Error {
  override readonly name = 'WrongDecisionError';
}

/** What a result must look like for an admitted request; anything else aborts the run (timing refusals would be meaningless). */
export function assertAdmitted(result: Awaited<ReturnType<AuthorizerHandler>>, label: string): void {
  const statement = result.policyDocument.Statement[0] as { Effect?: string } | undefined;
  if (statement?.Effect !== 'Allow' || result.usageIdentifierKey !== ADMITTED_USAGE_KEY) {
    throw new WrongDecisionError(`${label}: expected an admitted request, got ${JSON.stringify({ effect: statement?.Effect, context: result.context })}`);
  }
}
