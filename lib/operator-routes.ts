/**
 * API Gateway methods for operator routes (`keygate:routes`, core/operator-routes.ts): each
 * route becomes one method on a REST API, behind the Keygate authorizer, proxied to an HTTP(S)
 * upstream (HTTP_PROXY) or a Lambda function (AWS_PROXY). `ManagementApi` builds them next to
 * Keygate's own routes; `KeygateAuthorizer` builds them on an API of the operator's.
 */
import { createHash } from 'node:crypto';
import { Annotations, Aws, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { CREDENTIAL_HEADERS, CREDENTIAL_QUERY_PARAMETER, REDACTED_CREDENTIAL, UPSTREAM_REQUEST_HEADERS } from '../core/authorizer-context';
import { type OperatorRoute, urlPlaceholders } from '../core/operator-routes';
import { templateParameters } from '../core/routes';

/** Reason for the cdk-nag AwsSolutions-COG4 acknowledgement on every method Keygate protects. */
export const COG4_REASON =
  'Callers are machines holding Keygate API keys, not Cognito users; every authorized route uses the Keygate Lambda REQUEST authorizer, which verifies the key against the key table.';

/** Method options every Keygate-protected method has (see `ManagementApi` for why `apiKeyRequired`). */
export function protectedMethodOptions(authorizer: apigateway.IAuthorizer): apigateway.MethodOptions {
  return {
    authorizer,
    authorizationType: apigateway.AuthorizationType.CUSTOM,
    // Needed for the 429: an over-limit request is admitted with a usage key that is in no
    // usage plan, which API Gateway only checks (and answers with INVALID_API_KEY) on methods
    // that require a key.
    apiKeyRequired: true,
  };
}

/** A static value in a request-parameter mapping: API Gateway reads it in single quotes. */
const literal = (value: string): string => `'${value}'`;

/**
 * Integration request parameters of an upstream route:
 * - `integration.request.path.<p>` = `method.request.path.<p>` for each URL placeholder;
 * - the authorizer's identity and rate-limit headers (`UPSTREAM_REQUEST_HEADERS`), replacing
 *   whatever a client sent under those names;
 * - unless `forwardCredentials`, the credential headers (and with `allowQueryKey` the `api_key`
 *   query parameter) overwritten with a fixed marker. A REST API proxy integration can only
 *   overwrite a request parameter, not remove it, and an empty static value is not applied
 *   (issue 7 notes), so the upstream always sees `keygate-redacted` there, never the key.
 *
 * Lambda targets get none of these: the function reads the same values from
 * `requestContext.authorizer`, and AWS/AWS_PROXY integrations reject `Authorization` as a
 * mapping target.
 */
export function upstreamRequestParameters(route: OperatorRoute, url: string, allowQueryKey: boolean): Record<string, string> {
  const params: Record<string, string> = {};
  for (const p of urlPlaceholders(url)) params[`integration.request.path.${p}`] = `method.request.path.${p}`;
  for (const [header, key] of Object.entries(UPSTREAM_REQUEST_HEADERS)) params[`integration.request.header.${header}`] = `context.authorizer.${key}`;
  if (!route.forwardCredentials) {
    for (const header of CREDENTIAL_HEADERS) params[`integration.request.header.${header}`] = literal(REDACTED_CREDENTIAL);
    if (allowQueryKey) params[`integration.request.querystring.${CREDENTIAL_QUERY_PARAMETER}`] = literal(REDACTED_CREDENTIAL);
  }
  return params;
}

/** `arn:<partition>:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`: the Lambda Invoke action's REST path. */
export function lambdaInvocationUri(scope: Construct, functionArn: string): string {
  return `arn:${Aws.PARTITION}:apigateway:${Stack.of(scope).region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
}

export interface OperatorRoutesProps {
  /** The REST API the methods are added to. */
  readonly api: apigateway.RestApiBase;
  /** The Keygate authorizer (must admit these routes: `KeyAuthorizer` `routes` or `addAuthorizationRules`). */
  readonly authorizer: apigateway.IAuthorizer;
  /** The routes, as `parseOperatorRoutes` returns them. */
  readonly routes: readonly OperatorRoute[];
  /**
   * Whether keys may arrive in the `api_key` query parameter (`KeygateConfig.allowQueryKey`);
   * if so it is redacted like the credential headers.
   *
   * @default false
   */
  readonly allowQueryKey?: boolean;
  /**
   * Stage the Lambda invoke permissions are scoped to.
   *
   * @default - the API's deployment stage (`api.deploymentStage`)
   */
  readonly stage?: apigateway.Stage;
}

/**
 * One method per operator route, and the invoke permissions of their Lambda targets.
 *
 * Lambda permissions: one `AWS::Lambda::Permission` per function ARN (a function's resource
 * policy is limited to 20 KB, so not one per route). Its `SourceArn` is the method's
 * execute-api ARN on the stage when the function serves one route, or every method of this
 * API on the stage when it serves several. `lambda.Function.fromFunctionArn(...).addPermission`
 * is not used: it silently adds nothing when the stack's account is a token.
 *
 * A function in another account or Region gets no permission here (CloudFormation would try to
 * change the function's policy from this stack's account and Region and fail); a warning names
 * the route, and the permission must be added in the function's own account:
 * `aws lambda add-permission --function-name <arn> --action lambda:InvokeFunction
 * --principal apigateway.amazonaws.com --source-arn arn:aws:execute-api:<region>:<api-account>:<api-id>/<stage>/<METHOD>/<path>`
 * (API Gateway documents this for cross-account Lambda integrations). In an
 * environment-agnostic stack the account is unknown at synth, so the permission is created and
 * a cross-account ARN fails at deploy time instead.
 */
export class OperatorRoutes extends Construct {
  /** The methods, in route order. */
  public readonly methods: readonly apigateway.Method[];

  constructor(scope: Construct, id: string, props: OperatorRoutesProps) {
    super(scope, id);
    const allowQueryKey = props.allowQueryKey ?? false;
    const methods: apigateway.Method[] = [];
    const byFunction = new Map<string, { route: OperatorRoute; method: apigateway.Method }[]>();

    for (const route of props.routes) {
      const resource = props.api.root.resourceForPath(route.path);
      const timeout = route.timeoutMs === undefined ? undefined : Duration.millis(route.timeoutMs);
      const requestParameters = Object.fromEntries(templateParameters(route.path).map((p) => [`method.request.path.${p.name}`, true]));
      let integration: apigateway.Integration;
      if (route.target.kind === 'upstream') {
        integration = new apigateway.HttpIntegration(route.target.url, {
          proxy: true,
          httpMethod: route.method,
          options: { requestParameters: upstreamRequestParameters(route, route.target.url, allowQueryKey), ...(timeout ? { timeout } : {}) },
        });
      } else {
        integration = new apigateway.Integration({
          type: apigateway.IntegrationType.AWS_PROXY,
          integrationHttpMethod: 'POST',
          uri: lambdaInvocationUri(this, route.target.functionArn),
          options: timeout ? { timeout } : {},
        });
      }
      const method = resource.addMethod(route.method, integration, {
        ...protectedMethodOptions(props.authorizer),
        operationName: route.name,
        ...(Object.keys(requestParameters).length > 0 ? { requestParameters } : {}),
      });
      Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: COG4_REASON });
      methods.push(method);
      if (route.target.kind === 'lambda') {
        const uses = byFunction.get(route.target.functionArn) ?? [];
        uses.push({ route, method });
        byFunction.set(route.target.functionArn, uses);
      }
    }
    this.methods = methods;

    const stage = props.stage ?? props.api.deploymentStage;
    for (const [functionArn, uses] of byFunction) {
      const foreign = this.foreignTo(functionArn);
      if (foreign) {
        for (const { method, route } of uses) {
          Annotations.of(method).addWarningV2(
            'keygate:operator-routes:lambda-permission',
            `${route.source}: the Lambda target ${functionArn} is in another ${foreign} than this stack, so Keygate adds no invoke permission for it. ` +
              `Add one with the function's own account and Region: aws lambda add-permission --function-name ${functionArn} --action lambda:InvokeFunction ` +
              `--principal apigateway.amazonaws.com --source-arn <this API's execute-api ARN for ${route.method === 'ANY' ? '*' : route.method} ${route.path.replace(/\{[^}]*\}/g, '*')}>.`,
          );
        }
        continue;
      }
      const only = uses.length === 1 ? uses[0]!.method : undefined;
      new lambda.CfnPermission(this, permissionId(functionArn), {
        action: 'lambda:InvokeFunction',
        functionName: functionArn,
        principal: 'apigateway.amazonaws.com',
        // Same shape as Method.methodArn ({param} → *, ANY → *), on the chosen stage.
        sourceArn: only
          ? props.api.arnForExecuteApi(only.httpMethod, only.resource.path.replace(/\{[^}]*\}/g, '*'), stage.stageName)
          : props.api.arnForExecuteApi('*', '/*', stage.stageName),
      });
    }
  }

  /** `account` or `Region` when the function's ARN names one that differs from this stack's (both known at synth), else undefined. */
  private foreignTo(functionArn: string): string | undefined {
    const stack = Stack.of(this);
    // arn:<partition>:lambda:<region>:<account>:function:<name>[:<alias>] (checked by parseOperatorRoutes)
    const [, , , region, account] = functionArn.split(':');
    if (!Token.isUnresolved(stack.account) && account !== stack.account) return 'account';
    if (!Token.isUnresolved(stack.region) && region !== stack.region) return 'Region';
    return undefined;
  }
}

/** Stable construct id for a function's permission: readable name plus a hash of the full ARN (alias included). */
function permissionId(functionArn: string): string {
  const name = functionArn.split(':')[6] ?? 'function';
  const digest = createHash('sha256').update(functionArn, 'utf8').digest('hex').slice(0, 8);
  return `Invoke${name.replace(/[^A-Za-z0-9]/g, '')}${digest}`;
}
