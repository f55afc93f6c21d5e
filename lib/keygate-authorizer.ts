import { Annotations, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { allScopes, DEFAULT_CONFIG, type KeygateConfig } from '../core/config';
import { COST_RANGE, type OperatorRoute } from '../core/operator-routes';
import { HTTP_METHODS, type RouteMethod } from '../core/routes';
import { addAdmittedUsagePlan, addGatewayResponses, requireAuthorizerKeySource } from './api-wiring';
import { KeyAuthorizer } from './key-authorizer';
import type { IKeyStore } from './key-store';
import { COG4_REASON, OperatorRoutes, protectedMethodOptions } from './operator-routes';
import { admittedUsageKeyValue } from './physical-names';

export interface KeygateAuthorizerProps {
  /**
   * The REST API to protect, defined in this app. Keygate sets its API key source to
   * AUTHORIZER and adds a usage plan, a usage key and its gateway responses to it.
   */
  readonly api: apigateway.RestApiBase;

  /**
   * The key store whose keys are accepted: `keygateStack.keyStore` when Keygate is in the same
   * app, or `KeyStore.fromKeyStoreAttributes(...)` for a deployed one (same account and Region).
   * The authorizer gets `grantVerify` on it and nothing else.
   */
  readonly store: IKeyStore;

  /**
   * Settings shared with the deployment that issues the keys: key prefix, scopes, default rate
   * limit, caches, `allowQueryKey`. Use the same values (`configFromContext` on the same
   * settings), or keys are parsed and limited differently here.
   *
   * @default DEFAULT_CONFIG
   */
  readonly config?: KeygateConfig;

  /**
   * Operator routes (validated by `parseOperatorRoutes`) to build on the API as well, each
   * proxied to its HTTP(S) upstream or Lambda function as in a Keygate stack.
   *
   * @default - none; add methods with {@link KeygateAuthorizer.protect}
   */
  readonly routes?: readonly OperatorRoute[];

  /**
   * Bus for `keygate.quota.warning` events; the authorizer is granted `events:PutEvents` on it.
   *
   * @default - no quota warning events
   */
  readonly eventBus?: events.IEventBus;

  /**
   * The stage the usage plan (and Lambda invoke permissions of `routes`) apply to.
   *
   * @default - the API's deployment stage
   */
  readonly stage?: apigateway.Stage;

  /**
   * Map the 429's `Retry-After`, `RateLimit-Policy`, `RateLimit` and `X-RateLimit-*` headers from the authorizer context (see
   * `ManagementApi` `gatewayResponseContextHeaders`). The numbers are always in the body.
   *
   * @default false
   */
  readonly gatewayResponseContextHeaders?: boolean;
}

export interface ProtectOptions {
  /** Scopes a key must hold, every one (`admin` satisfies all); empty = any valid key. Each must be defined in `config`. */
  readonly scopes: readonly string[];
  /**
   * Units one request costs against the key's rate limit and quotas.
   *
   * @default 1
   */
  readonly cost?: number;
  /**
   * Other method options (operation name, request parameters, models...). The authorizer,
   * `authorizationType` and `apiKeyRequired` are Keygate's and cannot be overridden.
   *
   * @default - none
   */
  readonly methodOptions?: Omit<apigateway.MethodOptions, 'authorizer' | 'authorizationType' | 'apiKeyRequired'>;
}

/**
 * Keygate's API-key check on a REST API of your own: the authorizer Lambda (the same
 * `KeyAuthorizer` a Keygate stack runs) reading a Keygate key store, and on the API everything
 * that makes its decisions reach clients as Keygate's responses — apiKeySource AUTHORIZER, a
 * usage plan with the admitted usage key (unique per construct, lib/physical-names.ts), and the
 * gateway responses of core/gateway-responses.ts (401/403 problem+json, over-limit → 429, ...).
 *
 * ```ts
 * const gate = new KeygateAuthorizer(this, 'Keygate', {
 *   api,
 *   // the Keygate stack's outputs KeyTableName, CounterTableName and TableKeyArn
 *   store: KeyStore.fromKeyStoreAttributes(this, 'KeygateStore', { tableName, counterTableName, tableKeyArn }),
 *   config: resolveConfig({ scopes: [{ name: 'orders:read', description: 'Read orders' }] }),
 * });
 * gate.protect(api.root.addResource('orders'), 'GET', new apigateway.HttpIntegration('https://orders.example.com/orders'), { scopes: ['orders:read'] });
 * ```
 *
 * The authorizer denies any route it was not told about (fail closed): a method that uses
 * `gate.authorizer` without going through {@link protect} / {@link methodOptions} (or `routes`)
 * answers 403. One
 * KeygateAuthorizer protects one API: its route table is keyed by resource path and also holds
 * Keygate's own routes, so a method and path Keygate serves itself (`GET /v1/keys`,
 * `GET /health`, ...) cannot be protected here. Methods not protected by it are
 * untouched, but the API-wide settings apply to them too: with apiKeySource AUTHORIZER a
 * client-sent `X-API-Key` no longer selects a usage plan, and the API can have only one gateway
 * response per type (synthesis fails if it already customizes one of Keygate's).
 *
 * Bundling the authorizer needs esbuild, as in a Keygate stack (`LAMBDA_BUNDLING`).
 */
export class KeygateAuthorizer extends Construct {
  /** The authorizer function and its API Gateway authorizer. */
  public readonly keyAuthorizer: KeyAuthorizer;
  /** The API Gateway REQUEST authorizer (no identity source, no result cache). */
  public readonly authorizer: apigateway.RequestAuthorizer;
  /** The usage plan that marks admitted requests, and its one key. */
  public readonly usagePlan: apigateway.UsagePlan;
  public readonly usageKey: apigateway.ApiKey;
  /** Methods built from `routes`, when given. */
  public readonly operatorRoutes?: OperatorRoutes;

  private readonly api: apigateway.RestApiBase;
  private readonly config: KeygateConfig;

  constructor(scope: Construct, id: string, props: KeygateAuthorizerProps) {
    super(scope, id);
    this.api = props.api;
    this.config = props.config ?? DEFAULT_CONFIG;
    const stage = props.stage ?? props.api.deploymentStage;
    const admittedUsageKey = admittedUsageKeyValue(this, this.node.path);

    requireAuthorizerKeySource(props.api);

    this.keyAuthorizer = new KeyAuthorizer(this, 'KeyAuthorizer', {
      table: props.store.table,
      counterTable: props.store.counterTable,
      admittedUsageKey,
      ...(props.eventBus ? { eventBusName: props.eventBus.eventBusName } : {}),
      config: this.config,
      routes: props.routes ?? [],
    });
    this.authorizer = this.keyAuthorizer.authorizer;
    // CDK attaches an authorizer to an API when the first method uses it, and fails synthesis
    // ("must be attached to a RestApi") if none does. Attach now, so a KeygateAuthorizer whose
    // methods come later, or not yet, still synthesizes. `_attachToApi` is what Method calls;
    // it is idempotent for the same API.
    this.authorizer._attachToApi(props.api);
    props.store.grantVerify(this.keyAuthorizer);
    props.eventBus?.grantPutEventsTo(this.keyAuthorizer);

    const { usageKey, usagePlan } = addAdmittedUsagePlan(this, props.api, stage, admittedUsageKey);
    this.usageKey = usageKey;
    this.usagePlan = usagePlan;
    addGatewayResponses(this, props.api, { contextHeaders: props.gatewayResponseContextHeaders ?? false });

    if (props.routes && props.routes.length > 0) {
      this.operatorRoutes = new OperatorRoutes(this, 'OperatorRoutes', {
        api: props.api,
        authorizer: this.authorizer,
        routes: props.routes,
        allowQueryKey: this.config.allowQueryKey,
        stage,
      });
      const binary = (props.api.node.defaultChild as apigateway.CfnRestApi | undefined)?.binaryMediaTypes;
      if (props.routes.some((r) => r.target.kind === 'upstream') && !(Array.isArray(binary) && binary.includes('*/*'))) {
        Annotations.of(this).addWarningV2(
          'keygate:authorizer:binary-media-types',
          "The API has no binaryMediaTypes ['*/*']: upstream routes receive request bodies as UTF-8 text, so non-UTF-8 bytes are altered. A Keygate stack sets it; setting it here changes how your Lambda proxy integrations receive bodies (base64), so Keygate leaves it to you.",
        );
      }
    }

    this.node.addValidation({ validate: () => this.duplicateGatewayResponses() });
  }

  /**
   * Adds `httpMethod` on `resource` behind Keygate, with {@link methodOptions}; the usual way
   * to protect a method. Throws as `methodOptions` does.
   */
  public protect(resource: apigateway.IResource, httpMethod: string, integration: apigateway.Integration, options: ProtectOptions): apigateway.Method {
    const built = resource.addMethod(httpMethod, integration, this.methodOptions(resource, httpMethod, options));
    Validations.of(built).acknowledge({ id: 'AwsSolutions-COG4', reason: COG4_REASON });
    return built;
  }

  /**
   * Declares `httpMethod` on `resource` to the authorizer (its scopes and cost go into
   * `KEYGATE_ROUTES`, checked against Lambda's 4 KB limit) and returns the options to add that
   * one method with: the authorizer, `authorizationType` CUSTOM and `apiKeyRequired` (the 429
   * channel), over `options.methodOptions`. For code that calls `resource.addMethod` itself;
   * options used for another method or path than declared get that method denied (403). Unlike
   * {@link protect}, this cannot acknowledge cdk-nag's AwsSolutions-COG4 on the method for you.
   *
   * Throws naming the route for an undefined scope, a bad cost, a method and path already
   * declared, or one Keygate serves itself.
   */
  public methodOptions(resource: apigateway.IResource, httpMethod: string, options: ProtectOptions): apigateway.MethodOptions {
    const method = httpMethod.toUpperCase();
    const where = `${this.node.path}: ${method} ${resource.path}`;
    if (resource.api !== this.api) throw new Error(`${where}: the resource belongs to another API than the one this KeygateAuthorizer protects`);
    if (method !== 'ANY' && !(HTTP_METHODS as readonly string[]).includes(method)) throw new Error(`${where}: ${httpMethod} is not ANY or one of ${HTTP_METHODS.join(', ')}`);
    const known = new Set(allScopes(this.config).map((s) => s.name));
    for (const scope of options.scopes) {
      if (!known.has(scope)) throw new Error(`${where}: scope "${scope}" is not defined in config.scopes (defined: ${[...known].join(', ')})`);
    }
    const cost = options.cost ?? 1;
    if (!Number.isInteger(cost) || cost < COST_RANGE.min || cost > COST_RANGE.max) {
      throw new Error(`${where}: cost must be an integer from ${COST_RANGE.min} to ${COST_RANGE.max} (got ${cost})`);
    }
    try {
      this.keyAuthorizer.addAuthorizationRules([{ method: method as RouteMethod, path: resource.path, authorized: true, scopes: [...options.scopes], cost }]);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
    }
    return { ...options.methodOptions, ...protectedMethodOptions(this.authorizer) };
  }

  /** A REST API holds one gateway response per type; two would fail the deploy. */
  private duplicateGatewayResponses(): string[] {
    const apiId = Stack.of(this.api).resolve(this.api.restApiId) as unknown;
    const seen = new Map<string, string>();
    const errors: string[] = [];
    for (const c of Stack.of(this.api).node.findAll()) {
      if (!(c instanceof apigateway.CfnGatewayResponse)) continue;
      if (JSON.stringify(Stack.of(c).resolve(c.restApiId)) !== JSON.stringify(apiId)) continue;
      const other = seen.get(c.responseType);
      if (other) errors.push(`${c.node.path} and ${other} both define the ${c.responseType} gateway response of ${this.api.node.path}; Keygate needs its own (remove the other)`);
      seen.set(c.responseType, c.node.path);
    }
    return errors;
  }
}
