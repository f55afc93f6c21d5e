/**
 * What a REST API needs so that Keygate's authorizer decisions reach the client as Keygate's
 * responses: the usage plan that turns an over-limit request into a 429, and the gateway
 * responses from core/gateway-responses.ts. `ManagementApi` wires its own API with these;
 * `KeygateAuthorizer` wires an operator's API with the same functions.
 */
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type { Construct } from 'constructs';
import {
  GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT,
  GATEWAY_RESPONSES,
  type GatewayResponseDefinition,
  responseHeaderMappings,
} from '../core/gateway-responses';

export interface GatewayResponseOptions {
  /**
   * Gateway responses to register.
   *
   * @default GATEWAY_RESPONSES (core/gateway-responses.ts)
   */
  readonly responses?: readonly GatewayResponseDefinition[];
  /**
   * Also map each response's `contextHeaders` from `context.authorizer.*` (see `ManagementApi`).
   *
   * @default GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT (false)
   */
  readonly contextHeaders?: boolean;
}

/**
 * One `AWS::ApiGateway::GatewayResponse` per definition, with construct id `<PascalType>Response`
 * under `scope`. A REST API holds one response per type, so an API that already customizes one of
 * these types cannot take Keygate's as well (the deploy would fail).
 */
export function addGatewayResponses(scope: Construct, api: apigateway.IRestApi, options: GatewayResponseOptions = {}): apigateway.GatewayResponse[] {
  const contextHeaders = options.contextHeaders ?? GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT;
  return (options.responses ?? GATEWAY_RESPONSES).map((response) => {
    const { literal, fromContext } = responseHeaderMappings(response, contextHeaders);
    return new apigateway.GatewayResponse(scope, `${pascalCase(response.type)}Response`, {
      restApi: api,
      type: apigateway.ResponseType.of(response.type),
      statusCode: response.statusCode === undefined ? undefined : String(response.statusCode),
      responseHeaders: { ...quoteHeaderValues(literal), ...contextHeaderValues(fromContext) },
      templates: { 'application/json': response.bodyTemplate },
    });
  });
}

export interface AdmittedUsagePlan {
  readonly usageKey: apigateway.ApiKey;
  readonly usagePlan: apigateway.UsagePlan;
}

/**
 * One usage plan with one API key and no throttle or quota of its own: it only marks requests
 * the authorizer admitted (the authorizer returns `value` as `usageIdentifierKey`); Keygate's
 * own counters do the limiting. An over-limit request gets a key in no plan, which API Gateway
 * answers with INVALID_API_KEY, remapped to 429 by the gateway responses. Needs apiKeySource
 * AUTHORIZER ({@link requireAuthorizerKeySource}) and `apiKeyRequired` on the methods.
 *
 * Construct ids `AdmittedUsageKey` and `UsagePlan` under `scope`.
 */
export function addAdmittedUsagePlan(scope: Construct, api: apigateway.IRestApi, stage: apigateway.Stage, value: string): AdmittedUsagePlan {
  const usageKey = new apigateway.ApiKey(scope, 'AdmittedUsageKey', {
    value,
    stages: [stage],
    description: 'Keygate: returned by the authorizer for admitted requests; not a credential (apiKeySource AUTHORIZER)',
  });
  const usagePlan = new apigateway.UsagePlan(scope, 'UsagePlan', {
    description: 'Keygate: admitted requests (limits are enforced by the authorizer)',
    apiStages: [{ api, stage }],
  });
  usagePlan.addApiKey(usageKey);
  return { usageKey, usagePlan };
}

/**
 * Sets the API's key source to AUTHORIZER (CfnRestApi escape hatch, for an API created without
 * it). Throws if the API takes keys from the `X-API-Key` header (HEADER): that would let a
 * client present the usage key itself, and the API's other key-required methods rely on it.
 */
export function requireAuthorizerKeySource(api: apigateway.RestApiBase): void {
  const cfn = api.node.defaultChild as apigateway.CfnRestApi | undefined;
  if (!cfn) throw new Error(`${api.node.path}: Keygate needs an API defined in this app (no CfnRestApi to set apiKeySourceType on)`);
  const current = cfn.apiKeySourceType;
  if (current === undefined) {
    cfn.apiKeySourceType = apigateway.ApiKeySourceType.AUTHORIZER;
  } else if (current !== apigateway.ApiKeySourceType.AUTHORIZER) {
    throw new Error(
      `${api.node.path}: apiKeySourceType is ${String(current)}; Keygate needs AUTHORIZER (its authorizer supplies the usage-plan key, which is how an over-limit request becomes a 429)`,
    );
  }
}

function pascalCase(type: string): string {
  return type
    .toLowerCase()
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Headers taken from the authorizer context: `context.authorizer.<key>`, unquoted. */
function contextHeaderValues(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, key]) => [name, `context.authorizer.${key}`]));
}

/** API Gateway reads a header mapping value as an expression; a literal goes in single quotes. */
function quoteHeaderValues(headers: Readonly<Record<string, string>>): Record<string, string> {
  const quoted: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value.includes("'")) {
      throw new Error(`gateway response header ${name} contains a single quote, which cannot appear in a literal mapping value`);
    }
    quoted[name] = `'${value}'`;
  }
  return quoted;
}
