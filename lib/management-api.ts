import { Annotations, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ADMITTED_USAGE_KEY, configToEnv, DEFAULT_CONFIG, INFRA_ENV, type KeygateConfig } from '../core/config';
import { GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT, GATEWAY_RESPONSES, type GatewayResponseDefinition } from '../core/gateway-responses';
import { encodeAuthorizationRules, type OperatorRoute, ROUTES_ENV } from '../core/operator-routes';
import { accessLogFormat } from '../core/usage-record';
import { type Operation, ROUTES, type RouteDefinition, type RouteHandler } from '../core/routes';
import { addAdmittedUsagePlan, addGatewayResponses } from './api-wiring';
import { ConsoleSite } from './console';
import { keygateFunction } from './keygate-function';
import { COG4_REASON, OperatorRoutes, protectedMethodOptions } from './operator-routes';

/**
 * Why each built-in route that needs no API key may go without one (cdk-nag AwsSolutions-APIG4).
 * A route core/routes.ts marks `authorized: false` that is not listed here fails synthesis, so
 * every unauthenticated route is a reviewed decision.
 */
export const UNAUTHENTICATED_ROUTE_REASONS: Readonly<Partial<Record<Operation, string>>> = {
  health: 'the unauthenticated liveness probe (core/routes.ts marks it authorized: false); it reads no key data and returns no secrets.',
  openApi:
    'the OpenAPI document. It describes the routes, their scopes and the error codes, which are public by design (the same document is committed as docs/openapi.json); it reads no key data and returns no secrets.',
  consoleIndex:
    'the web console page. It is public static code (HTML, scripts, styles) with no key data and no secret in it; every API call the console makes carries the user\'s own key and is checked by the authorizer like any other. Served same-origin with a strict Content-Security-Policy (core/console-assets.ts).',
  consoleAsset:
    'the web console\'s hashed scripts, styles and images. They are public static code with no key data and no secret in them; the function only serves the files of its own build and reads no table. Every API call the console makes carries the user\'s own key.',
  revokeLeaked:
    'the leak report. Possession of a key is the authority to revoke it (as with GitHub credential revocation), so whoever finds a leaked key needs no key of their own. It answers 202 with the same body whatever was presented, so it reveals nothing, and the keys Lambda limits it per source IP on the counter table.',
};

/**
 * Bytes of the keys function's environment the operator routes may take for GET
 * /v1/openapi.json. Lambda allows 4 KB for every variable together, and key templates may take
 * 2 KB of it; past this share the document lists the built-in routes only, and synth warns.
 */
export const OPENAPI_ROUTES_ENV_MAX_BYTES = 1500;

function operatorRoutesForDocument(scope: Construct, routes: readonly OperatorRoute[] | undefined): Record<string, string> {
  if (!routes || routes.length === 0) return {};
  const encoded = encodeAuthorizationRules(routes);
  if (Buffer.byteLength(encoded) > OPENAPI_ROUTES_ENV_MAX_BYTES) {
    Annotations.of(scope).addWarningV2(
      'keygate:openapi-routes-omitted',
      `The operator routes take ${Buffer.byteLength(encoded)} bytes encoded, more than the ${OPENAPI_ROUTES_ENV_MAX_BYTES} the keys function's environment spares for them: GET /v1/openapi.json will list the built-in routes only.`,
    );
    return {};
  }
  return { [ROUTES_ENV]: encoded };
}

export interface ManagementApiProps {
  /** The key table; its name is handed to the function as `KEYGATE_TABLE_NAME`. */
  readonly table: dynamodb.ITable;
  /** The counter table (`KEYGATE_COUNTER_TABLE_NAME`): usage reports and POST /v1/verify. */
  readonly counterTable: dynamodb.ITable;
  /**
   * Value of the one API key in the usage plan (apiKeySource AUTHORIZER); the authorizer
   * returns it for admitted requests. See docs/authorizer.md.
   * @default ADMITTED_USAGE_KEY (core/config.ts)
   */
  readonly admittedUsageKey?: string;
  /**
   * EventBridge bus for quota warnings raised by POST /v1/verify (`KEYGATE_EVENT_BUS_NAME`).
   * @default - no quota warning events
   */
  readonly eventBusName?: string;

  /** Envelope-encryption key; its ARN is handed to the function as `KEYGATE_KMS_KEY_ID`. */
  readonly recordKey: kms.IKey;

  /** Authorizer attached to every route whose definition says `authorized: true`. */
  readonly authorizer: apigateway.IAuthorizer;

  /**
   * Deployment configuration, passed to the function as environment variables.
   *
   * @default DEFAULT_CONFIG
   */
  readonly config?: KeygateConfig;

  /**
   * Serves the built-in routes whose handler is `usage` (GET /v1/usage).
   * @default - those routes are not built (usage analytics off)
   */
  readonly usageFunction?: lambda.IFunction;

  /**
   * Serve the web console at /console (GET /console and /console/{proxy+}, built-in routes whose
   * handler is `console`) from a `ConsoleSite` function (lib/console.ts). Off, those routes are
   * not built.
   *
   * @default true
   */
  readonly console?: boolean;

  /**
   * Routes to build. Tests may pass a subset; deployments use the default.
   *
   * @default ROUTES (core/routes.ts)
   */
  readonly routes?: readonly RouteDefinition[];

  /**
   * The operator's own routes (`keygate:routes`), built on this API next to Keygate's routes:
   * each behind the authorizer (which must admit them: `KeyAuthorizer` `routes`), proxied to its
   * HTTP(S) upstream or Lambda function (lib/operator-routes.ts).
   *
   * @default - none
   */
  readonly operatorRoutes?: readonly OperatorRoute[];

  /**
   * Gateway responses to register.
   *
   * @default GATEWAY_RESPONSES (core/gateway-responses.ts)
   */
  readonly gatewayResponses?: readonly GatewayResponseDefinition[];

  /**
   * Also map the `contextHeaders` of each gateway response (e.g. the 429's `Retry-After`,
   * `RateLimit-Policy`, `RateLimit` and `X-RateLimit-*`) from `context.authorizer.*`. AWS documents gateway-response header values
   * only as request parameters or static values, so this is off until a deployment has shown
   * that API Gateway accepts and renders it (docs/authorizer.md). Off, the numbers are still
   * in the body.
   *
   * @default GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT (false)
   */
  readonly gatewayResponseContextHeaders?: boolean;

  /**
   * Name of the REST API.
   *
   * @default 'Api'
   */
  readonly restApiName?: string;

  /**
   * What happens to the keys function's log group, the access log group, the execution log
   * group and the account-level CloudWatch role when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (kept, except when the first create rolls back)
   */
  readonly logRemovalPolicy?: RemovalPolicy;

  /**
   * Handler source file (must export `handler`).
   *
   * @default lambdas/keys/handler.ts
   */
  readonly entry?: string;

  /**
   * Keys function memory.
   *
   * @default 1024
   */
  readonly memorySize?: number;

  /**
   * Keys function timeout (API Gateway gives up on the integration after 29 s).
   *
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;

  /**
   * Retention of the keys function's log group, the stage access log and the
   * stage execution log.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Stage name (the first path segment of the API URL).
   *
   * @default 'prod'
   */
  readonly stageName?: string;

  /**
   * Endpoint type. Regional: no CloudFront hop in front; put your own distribution or
   * custom domain in front if you need edge caching.
   *
   * @default apigateway.EndpointType.REGIONAL
   */
  readonly endpointType?: apigateway.EndpointType;

  /**
   * Create the account-level role API Gateway uses to write CloudWatch logs, and set it
   * on the region's API Gateway account settings. Stage logging fails to deploy without
   * one. Set `false` if the account already has it (it is one setting per account and
   * region, shared by every REST API there).
   *
   * @default true
   */
  readonly cloudWatchRole?: boolean;

  /**
   * X-Ray tracing on the stage (X-Ray charges per trace recorded).
   *
   * @default false
   */
  readonly tracingEnabled?: boolean;

  /**
   * Per-method CloudWatch metrics. API-level Count/Latency/4XX/5XX metrics are always
   * on; per-method metrics are billed as custom metrics (several per route).
   *
   * @default false
   */
  readonly detailedMetrics?: boolean;

  /**
   * Stage-wide steady-state request rate limit (requests per second).
   *
   * @default - the account-level limit
   */
  readonly throttlingRateLimit?: number;

  /**
   * Stage-wide burst limit.
   *
   * @default - the account-level limit
   */
  readonly throttlingBurstLimit?: number;

  /**
   * Where the stage's access log (the usage records) goes instead of a CloudWatch log group:
   * KeygateStack passes the usage delivery stream (`UsageAnalytics`). A stage has only one
   * access-log destination, so with this set there is no CloudWatch copy of the access log
   * (`accessLogGroup` is undefined); the execution log (errors) stays in CloudWatch.
   *
   * @default - a CloudWatch log group (`accessLogGroup`) with `logRetention`
   */
  readonly accessLogDestination?: apigateway.IAccessLogDestination;

  /**
   * ARN of an AWS WAFv2 web ACL (scope REGIONAL) to associate with the stage.
   *
   * @default - no web ACL (cdk-nag AwsSolutions-APIG3 is acknowledged)
   */
  readonly webAclArn?: string;
}

/**
 * The management REST API: API Gateway resources and methods built from `ROUTES`, all
 * served by one keys Lambda (proxy integration), the key authorizer on every
 * `authorized` route, gateway responses from `GATEWAY_RESPONSES`, access and execution
 * logging.
 *
 * Access to the key store is granted by `KeyStore.grantManage(managementApi)`.
 */
export class ManagementApi extends Construct implements iam.IGrantable {
  public readonly api: apigateway.RestApi;
  public readonly keysFunction: nodejs.NodejsFunction;
  public readonly functionLogGroup: logs.LogGroup;
  /** The CloudWatch access log, when the access log is not sent to `accessLogDestination`. */
  public readonly accessLogGroup?: logs.LogGroup;
  public readonly executionLogGroup: logs.LogGroup;
  public readonly grantPrincipal: iam.IPrincipal;
  /** The operator routes' methods and Lambda permissions, when there are operator routes. */
  public readonly operatorRoutes?: OperatorRoutes;
  /** The web console's function, unless `console` is false. */
  public readonly consoleSite?: ConsoleSite;

  constructor(scope: Construct, id: string, props: ManagementApiProps) {
    super(scope, id);
    const config = props.config ?? DEFAULT_CONFIG;
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const stageName = props.stageName ?? 'prod';
    const removalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    const createCloudWatchRole = props.cloudWatchRole ?? true;

    // --- keys function -----------------------------------------------------------------
    const keys = keygateFunction(this, {
      ids: { function: 'KeysFunction', role: 'KeysFunctionRole', logGroup: 'KeysFunctionLogGroup' },
      entry: 'lambdas/keys/handler.ts',
      ...(props.entry ? { entryPath: props.entry } : {}),
      description: 'Keygate: key management API (create, list, get, update, revoke, rotate)',
      roleDescription: 'Keygate keys API: writes its own log group; key-store access is granted by KeyStore.grantManage',
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(10),
      logRetention: retention,
      logRemovalPolicy: removalPolicy,
      environment: {
        ...configToEnv(config),
        [INFRA_ENV.tableName]: props.table.tableName,
        [INFRA_ENV.counterTableName]: props.counterTable.tableName,
        [INFRA_ENV.kmsKeyId]: props.recordKey.keyArn,
        ...(props.eventBusName ? { [INFRA_ENV.eventBusName]: props.eventBusName } : {}),
        ...operatorRoutesForDocument(this, props.operatorRoutes),
        POWERTOOLS_SERVICE_NAME: 'keygate-keys',
      },
    });
    this.functionLogGroup = keys.logGroup;
    this.keysFunction = keys.function;
    this.grantPrincipal = this.keysFunction.grantPrincipal;

    // --- REST API ------------------------------------------------------------------------
    let accessLogDestination = props.accessLogDestination;
    if (!accessLogDestination) {
      this.accessLogGroup = new logs.LogGroup(this, 'AccessLogGroup', { retention, removalPolicy });
      accessLogDestination = new apigateway.LogGroupLogDestination(this.accessLogGroup);
    }

    this.api = new apigateway.RestApi(this, 'Api', {
      ...(props.restApiName ? { restApiName: props.restApiName } : {}),
      description: 'Keygate management API',
      endpointTypes: [props.endpointType ?? apigateway.EndpointType.REGIONAL],
      cloudWatchRole: createCloudWatchRole,
      ...(createCloudWatchRole ? { cloudWatchRoleRemovalPolicy: removalPolicy } : {}),
      // The usage-plan key comes from the authorizer, never from the client: this is how a
      // rate-limited request becomes a 429 (INVALID_API_KEY) while scope denials stay 403.
      apiKeySourceType: apigateway.ApiKeySourceType.AUTHORIZER,
      // Every body passes as bytes. Without binary media types API Gateway treats a request
      // body as UTF-8 text, so an HTTP_PROXY upstream would get non-UTF-8 bytes mangled (AWS,
      // "Content type conversions in API Gateway"). `*/*` matches every Content-Type, so the
      // upstream receives the caller's exact bytes. The price: a Lambda proxy integration gets
      // every body base64-encoded (`isBase64Encoded: true`) — the keys Lambda decodes it and
      // refuses bytes that are not UTF-8, operator Lambda targets must decode too — and a MOCK
      // integration would need CONVERT_TO_TEXT (Keygate has none). [U] unverified on a real
      // stage: that gateway-response `application/json` templates still render with `*/*`; no
      // AWS document or report says otherwise (docs/protect-your-api.md).
      binaryMediaTypes: ['*/*'],
      deployOptions: {
        stageName,
        accessLogDestination,
        // One JSON line per request in the usage-record shape (core/usage-record.ts).
        accessLogFormat: apigateway.AccessLogFormat.custom(accessLogFormat()),
        // Execution log: errors only, and never request/response data: bodies and
        // headers carry API keys and the plaintext of newly created keys.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: props.detailedMetrics ?? false,
        tracingEnabled: props.tracingEnabled ?? false,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
      },
    });

    // The stack publishes the URL as its own `ApiUrl` output; drop RestApi's duplicate.
    this.api.node.tryRemoveChild('Endpoint');

    // API Gateway creates the execution log group on first write with no retention;
    // creating it first (and before the stage) makes it ours, with a retention.
    this.executionLogGroup = new logs.LogGroup(this, 'ExecutionLogGroup', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${stageName}`,
      retention,
      removalPolicy,
    });
    this.api.deploymentStage.node.addDependency(this.executionLogGroup);

    // One invoke permission for the whole API instead of two per method (a Lambda
    // resource policy is limited to 20 KB; the per-method test-invoke one is not needed).
    const integration = new apigateway.LambdaIntegration(this.keysFunction, {
      scopePermissionToMethod: false,
    });

    const usageIntegration = props.usageFunction ? new apigateway.LambdaIntegration(props.usageFunction, { scopePermissionToMethod: false }) : undefined;
    if (props.console ?? true) {
      this.consoleSite = new ConsoleSite(this, 'Console', { logRetention: retention, logRemovalPolicy: removalPolicy });
    }
    const consoleIntegration = this.consoleSite ? new apigateway.LambdaIntegration(this.consoleSite.function, { scopePermissionToMethod: false }) : undefined;
    const integrations: Readonly<Record<RouteHandler, apigateway.LambdaIntegration | undefined>> = { keys: integration, usage: usageIntegration, console: consoleIntegration };
    for (const route of props.routes ?? ROUTES) {
      const target = integrations[route.handler];
      if (!target) continue;
      const resource = this.api.root.resourceForPath(route.path);
      const method = resource.addMethod(route.method, target, {
        operationName: route.operation,
        ...(route.authorized ? protectedMethodOptions(props.authorizer) : { authorizationType: apigateway.AuthorizationType.NONE }),
      });
      Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: COG4_REASON });
      if (!route.authorized) {
        const reason = UNAUTHENTICATED_ROUTE_REASONS[route.operation];
        if (!reason) {
          throw new Error(`${route.method} ${route.path} (${route.operation}) is marked authorized: false, but no reason for an unauthenticated route is reviewed in lib/management-api.ts`);
        }
        Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason: `${route.method} ${route.path}: ${reason}` });
      }
    }

    // The operator's own routes (keygate:routes), behind the same authorizer on the same API.
    if (props.operatorRoutes && props.operatorRoutes.length > 0) {
      this.operatorRoutes = new OperatorRoutes(this, 'OperatorRoutes', {
        api: this.api,
        authorizer: props.authorizer,
        routes: props.operatorRoutes,
        allowQueryKey: config.allowQueryKey,
      });
    }

    // Created under the API construct, where they have always been (construct ids are a contract).
    addAdmittedUsagePlan(this.api, this.api, this.api.deploymentStage, props.admittedUsageKey ?? ADMITTED_USAGE_KEY);
    addGatewayResponses(this.api, this.api, {
      responses: props.gatewayResponses ?? GATEWAY_RESPONSES,
      contextHeaders: props.gatewayResponseContextHeaders ?? GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT,
    });

    // --- cdk-nag acknowledgements ----------------------------------------------------------
    Validations.of(this.api.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Request bodies are validated in the keys Lambda against the same core definitions the local stack uses; API Gateway models would duplicate them and drift. No route has a required header or query parameter to validate: the API key may arrive in Authorization, X-API-Key or a query parameter and is checked by the authorizer.',
    });

    if (props.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: props.webAclArn,
      });
    } else {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'WAF is opt-in (webAclArn prop): a web ACL costs a monthly fee plus per-request charges, which a small self-hosted deployment may not want. Every non-health route already requires a valid API key, and stage throttling is configurable.',
      });
    }

    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'This is the account-wide role API Gateway uses to write the logs of every REST API in the account and region (one setting per account and region). AWS publishes this managed policy for exactly that role; scoping it to Keygate\'s log groups would break logging for other APIs in the account.',
      });
    }
  }
}

