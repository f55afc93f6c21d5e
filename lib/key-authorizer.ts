import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { keygateFunction, LAMBDA_BASE_ENVIRONMENT } from './keygate-function';
import { DEFAULT_CONFIG, type KeygateConfig } from '../core/config';
import { authorizationTable, type OperatorRoute, ROUTES_ENV } from '../core/operator-routes';
import type { AuthorizationRule } from '../core/routes';
import { authorizerEnvironment, checkAuthorizerEnvironment } from '../core/settings';

export { handlerEntry, LAMBDA_ARCHITECTURE, LAMBDA_BASE_ENVIRONMENT, LAMBDA_BUNDLING, LAMBDA_RUNTIME } from './keygate-function';

export interface KeyAuthorizerProps {
  /** The key table; its name is handed to the function as `KEYGATE_TABLE_NAME`. */
  readonly table: dynamodb.ITable;
  /** The counter table (`KEYGATE_COUNTER_TABLE_NAME`): rate limits and quotas. */
  readonly counterTable: dynamodb.ITable;
  /**
   * The usage plan's API key value, returned as `usageIdentifierKey` for admitted requests
   * (the API must use apiKeySource AUTHORIZER). Rate-limited requests get a key in no plan,
   * which API Gateway answers with the INVALID_API_KEY gateway response (429).
   * @default - no usage plan: rate-limited requests are denied with 403 (fail closed)
   */
  readonly admittedUsageKey?: string;
  /**
   * EventBridge bus for `keygate.quota.warning` events (`KEYGATE_EVENT_BUS_NAME`).
   * @default - no quota warning events
   */
  readonly eventBusName?: string;

  /**
   * Deployment configuration, passed to the function as environment variables.
   *
   * @default DEFAULT_CONFIG
   */
  readonly config?: KeygateConfig;

  /**
   * Operator routes (`keygate:routes`) the authorizer admits, besides Keygate's own. Their
   * scopes and cost travel in `KEYGATE_ROUTES`; a route the authorizer does not know is denied.
   *
   * @default - none: only Keygate's own routes
   */
  readonly routes?: readonly OperatorRoute[];

  /**
   * Handler source file (must export `handler`).
   *
   * @default lambdas/authorizer/handler.ts
   */
  readonly entry?: string;

  /**
   * Function memory. More memory also means more CPU, which shortens cold starts.
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Function timeout. API Gateway waits at most 10 s for an authorizer; a verification
   * is one DynamoDB read, so anything near the limit is a fault worth failing fast.
   *
   * @default Duration.seconds(3)
   */
  readonly timeout?: Duration;

  /**
   * Retention of the function's log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the function's log group when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (kept, except when the first create rolls back)
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The Lambda REQUEST authorizer that checks an API key on every call.
 *
 * Result caching is off (TTL 0): a revoked key stops working as soon as the function's
 * own short in-memory cache lets go (`cacheTtlSeconds`), and any rate limiting in the
 * authorizer sees every request. Because the key may arrive in `Authorization`,
 * `X-API-Key` or (optionally) a query parameter, the authorizer has **no identity
 * source**: with identity sources API Gateway answers 401 itself whenever one of them is
 * missing, without invoking the function. The API Gateway reference
 * (CreateAuthorizer `identitySource`) says the property is only required when caching is
 * enabled, and CDK's `RequestAuthorizer` only accepts an empty `identitySources` when
 * `resultsCacheTtl` is 0.
 *
 * Access to the key table is granted by `KeyStore.grantVerify(keyAuthorizer)`.
 *
 * The environment comes from `authorizerEnvironment` (core/settings.ts), the one definition the
 * local stack checks too. Synthesis fails when it would pass Lambda's 4 KB limit (the operator
 * routes are what grows it; the message names `keygate:routes`) or when the route table would
 * fail the authorizer's own parse at cold start (a duplicate method and path, a bad template).
 */
export class KeyAuthorizer extends Construct implements iam.IGrantable {
  public readonly handler: nodejs.NodejsFunction;
  public readonly authorizer: apigateway.RequestAuthorizer;
  public readonly logGroup: logs.LogGroup;
  public readonly grantPrincipal: iam.IPrincipal;

  private readonly config: KeygateConfig;
  private readonly infra: Parameters<typeof authorizerEnvironment>[2];
  /** Operator routes and routes added with {@link addAuthorizationRules}, in order. */
  private readonly rules: AuthorizationRule[];

  constructor(scope: Construct, id: string, props: KeyAuthorizerProps) {
    super(scope, id);
    const config = props.config ?? DEFAULT_CONFIG;
    this.config = config;
    this.rules = [...(props.routes ?? [])];
    this.infra = {
      tableName: props.table.tableName,
      counterTableName: props.counterTable.tableName,
      ...(props.admittedUsageKey ? { admittedUsageKey: props.admittedUsageKey } : {}),
      ...(props.eventBusName ? { eventBusName: props.eventBusName } : {}),
    };
    const environment = this.checkedEnvironment();

    const parts = keygateFunction(this, {
      ids: { function: 'Function', role: 'Role', logGroup: 'LogGroup' },
      entry: 'lambdas/authorizer/handler.ts',
      ...(props.entry ? { entryPath: props.entry } : {}),
      description: 'Keygate: verifies the API key on each request (API Gateway REQUEST authorizer)',
      roleDescription: 'Keygate authorizer: writes its own log group; key-table access is granted by KeyStore.grantVerify',
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(3),
      environment,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    this.logGroup = parts.logGroup;
    this.handler = parts.function;
    this.grantPrincipal = this.handler.grantPrincipal;

    this.authorizer = new apigateway.RequestAuthorizer(this, 'Authorizer', {
      handler: this.handler,
      identitySources: [],
      resultsCacheTtl: Duration.seconds(0),
    });
    // CDK renders an empty identitySources list as `IdentitySource: ""`. Leave the
    // property out instead, which is what the API reference describes for an uncached
    // REQUEST authorizer, rather than rely on how CloudFormation passes an empty string.
    const cfnAuthorizer = this.authorizer.node.defaultChild as apigateway.CfnAuthorizer;
    cfnAuthorizer.addPropertyDeletionOverride('IdentitySource');
  }

  /**
   * Admits more routes (method, resource path, scopes, cost): what `KeygateAuthorizer.protect`
   * calls for each method it protects on an API. Re-encodes `KEYGATE_ROUTES` and checks again.
   */
  public addAuthorizationRules(rules: readonly AuthorizationRule[]): void {
    this.rules.push(...rules);
    const environment = this.checkedEnvironment();
    this.handler.addEnvironment(ROUTES_ENV, environment[ROUTES_ENV] ?? '[]');
  }

  /** The function's environment for the current rules; throws where the deployed function would fail. */
  private checkedEnvironment(): Record<string, string> {
    const environment = authorizerEnvironment(this.config, this.rules, this.infra, LAMBDA_BASE_ENVIRONMENT);
    checkAuthorizerEnvironment(environment, (value) => Token.isUnresolved(value));
    // What the handler does at cold start: a table it cannot build must fail here, not in Lambda.
    authorizationTable(environment[ROUTES_ENV]);
    return environment;
  }
}

