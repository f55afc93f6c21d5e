/**
 * KeygateAuthorizer (lib/keygate-authorizer.ts): Keygate's key check on a REST API the operator
 * defines, reading a deployed key store imported by ARN.
 */
import { readFileSync, rmSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allScopes, resolveConfig } from '../../core/config';
import { GATEWAY_RESPONSES, gatewayResponse } from '../../core/gateway-responses';
import { parseOperatorRoutes } from '../../core/operator-routes';
import { KeygateAuthorizer, KeygateStack, KeyStore } from '../../lib/index';
import { admittedUsageKeyValue } from '../../lib/physical-names';
import { actionsOf, apiMethods, logicalIdOf, ref, resourcesOf, roleStatements } from './keygate-app';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const TABLE_NAME = 'KeygateProd-KeyStoreTable-1A2B3C';
const COUNTER_TABLE_NAME = 'KeygateProd-KeyStoreCounterTable-4D5E6F';
/** The ARNs the grants must name: the imported names in the stack's account and Region. */
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE_NAME}`;
const COUNTER_TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${COUNTER_TABLE_NAME}`;
const TABLE_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const CONFIG = resolveConfig({
  scopes: [
    { name: 'orders:read', description: 'Read orders.' },
    { name: 'orders:write', description: 'Change orders.' },
  ],
});

const apps: App[] = [];
afterAll(() => {
  for (const app of apps.splice(0)) rmSync(app.outdir, { recursive: true, force: true });
});

/** A fresh app with cdk.json's feature flags, no bundling, and a plain RestApi in a stack of the operator's. */
function shop(apiProps: apigateway.RestApiProps = {}) {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  apps.push(app);
  const stack = new Stack(app, 'Shop', { env: { account: ACCOUNT, region: REGION } });
  const api = new apigateway.RestApi(stack, 'ShopApi', apiProps);
  const store = KeyStore.fromKeyStoreAttributes(stack, 'KeygateStore', { tableName: TABLE_NAME, counterTableName: COUNTER_TABLE_NAME, tableKeyArn: TABLE_KEY_ARN });
  return { app, stack, api, store };
}

describe('KeygateAuthorizer on a plain RestApi with an imported key store', () => {
  let s: ReturnType<typeof shop>;
  let gate: KeygateAuthorizer;
  let template: Template;

  beforeAll(() => {
    // Prepare
    s = shop();
    gate = new KeygateAuthorizer(s.stack, 'Keygate', { api: s.api, store: s.store, config: CONFIG });
    const orders = s.api.root.addResource('orders');

    // Act
    gate.protect(orders, 'GET', new apigateway.HttpIntegration('https://orders.example.com/orders'), { scopes: ['orders:read'] });
    gate.protect(orders.addResource('{id}'), 'delete', new apigateway.HttpIntegration('https://orders.example.com/orders/{id}'), {
      scopes: ['orders:write'],
      cost: 3,
      methodOptions: { operationName: 'deleteOrder', requestParameters: { 'method.request.path.id': true } },
    });
    const reports = s.api.root.addResource('reports');
    reports.addMethod('POST', new apigateway.MockIntegration(), gate.methodOptions(reports, 'POST', { scopes: [], cost: 5 }));
    s.api.root.addResource('public').addMethod('GET', new apigateway.MockIntegration());
    template = Template.fromStack(s.stack);
  });

  it('creates the uncached REQUEST authorizer without identity source on this API', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: Match.absent(),
      RestApiId: ref(s.stack, s.api.restApiId),
    });
  });

  it('puts the protected methods behind it with apiKeyRequired, and leaves other methods alone', () => {
    // Act
    const methods = apiMethods(template);
    const find = (m: string, p: string) => methods.find((x) => x.method === m && x.path === p)!.properties;

    // Assess
    for (const [m, p] of [['GET', '/orders'], ['DELETE', '/orders/{id}'], ['POST', '/reports']] as const) {
      expect(find(m, p)).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: ref(s.stack, gate.authorizer.authorizerId), ApiKeyRequired: true });
    }
    expect(find('DELETE', '/orders/{id}')).toMatchObject({ OperationName: 'deleteOrder', RequestParameters: { 'method.request.path.id': true } });
    expect(find('GET', '/public').AuthorizationType).toBe('NONE');
    expect(find('GET', '/public').ApiKeyRequired).toBeUndefined();
  });

  it('tells the authorizer exactly the protected routes, their scopes and cost', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          KEYGATE_ROUTES: JSON.stringify([
            ['GET', '/orders', 'orders:read', 1],
            ['DELETE', '/orders/{id}', 'orders:write', 3],
            ['POST', '/reports', '', 5],
          ]),
          KEYGATE_TABLE_NAME: TABLE_NAME,
          KEYGATE_COUNTER_TABLE_NAME: COUNTER_TABLE_NAME,
          KEYGATE_SCOPES: JSON.stringify(CONFIG.scopes),
        }),
      },
    });
  });

  it('sets the API key source to AUTHORIZER on an API created without one', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
  });

  it('adds one usage plan on the stage with one key, whose value the authorizer returns and no other stack or construct shares', () => {
    // Prepare
    const value = admittedUsageKeyValue(gate, gate.node.path);

    // Assess
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      ApiStages: [{ ApiId: ref(s.stack, s.api.restApiId), Stage: ref(s.stack, s.api.deploymentStage.stageName) }],
      Throttle: Match.absent(),
      Quota: Match.absent(),
    });
    template.hasResourceProperties('AWS::ApiGateway::ApiKey', { Value: value });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ KEYGATE_ADMITTED_USAGE_KEY: value }) } });
    expect(value).toMatch(/^keygateShop[0-9a-f]{12}euwest1$/);
    expect(value).not.toBe(admittedUsageKeyValue(s.stack));
  });

  it("adds every one of Keygate's gateway responses to this API, INVALID_API_KEY as the 429", () => {
    // Act
    const types = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).map((r) => (r as { Properties: { ResponseType: string } }).Properties.ResponseType);

    // Assess
    expect(types.sort()).toEqual(GATEWAY_RESPONSES.map((g) => g.type).sort());
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'INVALID_API_KEY',
      StatusCode: '429',
      RestApiId: ref(s.stack, s.api.restApiId),
      ResponseTemplates: { 'application/json': gatewayResponse('INVALID_API_KEY').bodyTemplate },
    });
  });

  it("grants the authorizer what grantVerify grants, on the imported tables and key only, with no wildcard", () => {
    // Prepare
    const roleId = logicalIdOf(ref(s.stack, gate.keyAuthorizer.handler.role!.roleArn));

    // Act
    const { statements, managedPolicyArns } = roleStatements(template, roleId);
    const rows = statements
      .flatMap((st) => actionsOf(st).filter((a) => /^(dynamodb|kms):/.test(a)).flatMap((a) => resourcesOf(st).map((r) => JSON.stringify([a, r, st.Condition ?? null]))))
      .sort();

    // Assess
    expect(managedPolicyArns).toEqual([]);
    expect(rows).toEqual(
      [
        JSON.stringify(['dynamodb:GetItem', TABLE_ARN, { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['HASH#*'] } }]),
        JSON.stringify([
          'dynamodb:UpdateItem',
          TABLE_ARN,
          {
            'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'lastUsedAt'] },
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['KEY#*'] },
            StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
          },
        ]),
        JSON.stringify(['dynamodb:UpdateItem', COUNTER_TABLE_ARN, { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CTR#*'] } }]),
        JSON.stringify(['kms:Decrypt', TABLE_KEY_ARN, { StringEquals: { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com` } }]),
      ].sort(),
    );
    expect(JSON.stringify(statements.map((st) => [st.Action, st.Resource]))).not.toContain('*');
  });

  it('raises no cdk-nag finding on what it creates', () => {
    // Act
    const findings = new AwsSolutionsChecks().validateScope(s.app).violations.flatMap((v) =>
      v.violatingResources.filter((r) => (r.constructPath ?? '').startsWith('Shop/Keygate/') || (r.constructPath ?? '').includes('/orders')).map((r) => `${v.ruleName} @ ${r.constructPath}`),
    );

    // Assess
    expect(findings).toEqual([]);
  });
});

describe('KeygateAuthorizer refuses what would not work', () => {
  it('rejects a scope the config does not define, naming the route', () => {
    const s = shop();
    const gate = new KeygateAuthorizer(s.stack, 'Keygate', { api: s.api, store: s.store, config: CONFIG });
    expect(() => gate.protect(s.api.root.addResource('orders'), 'GET', new apigateway.MockIntegration(), { scopes: ['orders:delete'] })).toThrow(
      /Shop\/Keygate: GET \/orders: scope "orders:delete" is not defined/,
    );
  });

  it("rejects a method and path Keygate serves itself (the authorizer's table could not be built)", () => {
    const s = shop();
    const gate = new KeygateAuthorizer(s.stack, 'Keygate', { api: s.api, store: s.store, config: CONFIG });
    expect(() => gate.protect(s.api.root.addResource('health'), 'GET', new apigateway.MockIntegration(), { scopes: [] })).toThrow(/Shop\/Keygate: GET \/health: .*GET \/health is listed twice/);
  });

  it('rejects a route table over the 4 KB environment limit', () => {
    const s = shop();
    const gate = new KeygateAuthorizer(s.stack, 'Keygate', { api: s.api, store: s.store, config: CONFIG });
    const protectOne = (i: number) => gate.protect(s.api.root.addResource(`orders-${i}-${'x'.repeat(60)}`), 'GET', new apigateway.MockIntegration(), { scopes: ['orders:read', 'orders:write'] });
    expect(() => {
      for (let i = 0; i < 60; i++) protectOne(i);
    }).toThrow(/over Lambda's 4096-byte limit/);
  });

  it('rejects an API that takes usage keys from the X-API-Key header', () => {
    const s = shop({ apiKeySourceType: apigateway.ApiKeySourceType.HEADER });
    expect(() => new KeygateAuthorizer(s.stack, 'Keygate', { api: s.api, store: s.store })).toThrow(/apiKeySourceType is HEADER; Keygate needs AUTHORIZER/);
  });

  it('fails synthesis when the API already customizes one of its gateway responses', () => {
    const s = shop();
    const gate = new KeygateAuthorizer(s.stack, 'Keygate', { api: s.api, store: s.store });
    s.api.addGatewayResponse('MyUnauthorized', { type: apigateway.ResponseType.UNAUTHORIZED, statusCode: '401' });
    gate.protect(s.api.root, 'GET', new apigateway.MockIntegration(), { scopes: [] });
    expect(() => s.app.synth()).toThrow(/both define the UNAUTHORIZED gateway response/);
  });

  it('rejects an imported key store whose table key is in another Region', () => {
    const s = shop();
    expect(() =>
      KeyStore.fromKeyStoreAttributes(s.stack, 'Elsewhere', { tableName: TABLE_NAME, counterTableName: COUNTER_TABLE_NAME, tableKeyArn: TABLE_KEY_ARN.replace(REGION, 'us-east-1') }),
    ).toThrow(/tableKeyArn .* is not in this stack's account and Region/);
  });
});

describe('KeygateAuthorizer with operator routes and with a Keygate stack in the same app', () => {
  it('synthesizes before any method is protected (the authorizer is attached to the API at once)', () => {
    // Prepare
    const s = shop();
    s.api.root.addMethod('GET', new apigateway.MockIntegration());

    // Act
    new KeygateAuthorizer(s.stack, 'Keygate', { api: s.api, store: s.store });

    // Assess
    Template.fromStack(s.stack).hasResourceProperties('AWS::ApiGateway::Authorizer', { RestApiId: ref(s.stack, s.api.restApiId) });
  });

  it('builds operator routes on the API and warns that binaryMediaTypes is left to the operator', () => {
    // Prepare
    const s = shop();
    const routes = parseOperatorRoutes(
      [{ name: 'getOrder', path: '/orders/{id}', methods: ['GET'], scopes: ['orders:read'], upstream: 'https://orders.example.com/orders/{id}' }],
      allScopes(CONFIG).map((x) => x.name),
    );

    // Act
    const gate = new KeygateAuthorizer(s.stack, 'Keygate', { api: s.api, store: s.store, config: CONFIG, routes });
    const template = Template.fromStack(s.stack);

    // Assess
    const m = apiMethods(template).find((x) => x.method === 'GET' && x.path === '/orders/{id}')!;
    expect(m.properties).toMatchObject({ AuthorizationType: 'CUSTOM', ApiKeyRequired: true, Integration: { Type: 'HTTP_PROXY', Uri: 'https://orders.example.com/orders/{id}' } });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ KEYGATE_ROUTES: '[["GET","/orders/{id}","orders:read",1]]' }) } });
    expect(gate.operatorRoutes?.methods).toHaveLength(1);
    Annotations.fromStack(s.stack).hasWarning('/Shop/Keygate', Match.stringLikeRegexp('binaryMediaTypes'));
  });

  it("reads a KeygateStack's key store in the same app through cross-stack references", () => {
    // Prepare
    const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
    apps.push(app);
    const env = { account: ACCOUNT, region: REGION };
    const keygate = new KeygateStack(app, 'Keygate', { env });
    const shopStack = new Stack(app, 'Shop', { env });
    const api = new apigateway.RestApi(shopStack, 'ShopApi');

    // Act
    const gate = new KeygateAuthorizer(shopStack, 'Keygate', { api, store: keygate.keyStore });
    gate.protect(api.root.addResource('orders'), 'GET', new apigateway.MockIntegration(), { scopes: [] });
    const template = Template.fromStack(shopStack);

    // Assess: values of the other stack (cdk.json asks for weak references, Fn::GetStackOutput), not literals
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    const tableName = JSON.stringify(fn.Properties.Environment.Variables.KEYGATE_TABLE_NAME);
    expect(tableName).toContain('Fn::GetStackOutput');
    expect(tableName).toContain(keygate.stackName);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain('Fn::GetStackOutput');
  });
});
