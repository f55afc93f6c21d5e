/**
 * Operator routes (`keygate:routes`, issue 7): the methods, integrations and Lambda permissions
 * ManagementApi builds for them next to Keygate's own routes, the authorizer's copy of their
 * rules, and synthesis failing on a bad route with a message that names the entry.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAuthorizationRules, ROUTES_ENV } from '../../core/operator-routes';
import { ROUTES } from '../../core/routes';
import { resolveDeployment } from '../../core/settings';
import { apiMethods, type BuiltKeygate, buildKeygate, type BuiltMethod, ref, removeBuilds } from './keygate-app';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const OTHER_ACCOUNT = '444455556666';
const REPORTS_FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:reports`;
const STATUS_FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:report-status:live`;
const PARTNER_FN = `arn:aws:lambda:${REGION}:${OTHER_ACCOUNT}:function:partner`;

const SCOPES = [
  { name: 'echo:read', description: 'Call the sample protected route GET /v1/echo.' },
  { name: 'orders:read', description: 'Read orders.' },
  { name: 'orders:write', description: 'Change orders.' },
  { name: 'reports:read', description: 'Run reports.' },
];

const ROUTE_CONFIG = [
  { name: 'getOrder', path: '/orders/{id}', methods: ['GET'], scopes: ['orders:read'], upstream: 'https://orders.example.com/orders/{id}', timeoutMs: 5000 },
  { name: 'orderFiles', path: '/orders/{id}/files/{proxy+}', methods: ['ANY'], scopes: ['orders:write'], upstream: 'https://files.example.com/orders/{id}/{proxy}', forwardCredentials: true },
  { name: 'createReport', path: '/reports', methods: ['POST'], scopes: ['reports:read'], lambda: REPORTS_FN, cost: 5, timeoutMs: 10000 },
  { name: 'reportStatus', path: '/reports/{id}', methods: ['GET', 'DELETE'], scopes: ['reports:read'], lambda: STATUS_FN },
  { name: 'partner', path: '/partner', methods: ['GET'], scopes: [], lambda: PARTNER_FN },
];

const CONTEXT = { 'keygate:scopes': SCOPES, 'keygate:routes': ROUTE_CONFIG };

/** What every upstream request carries from the authorizer context (core/authorizer-context.ts), spelled out. */
const IDENTITY_HEADERS = {
  'integration.request.header.X-Keygate-Key-Id': 'context.authorizer.keyId',
  'integration.request.header.X-Keygate-Owner-Id': 'context.authorizer.ownerId',
  'integration.request.header.X-Keygate-Scopes': 'context.authorizer.scopes',
  'integration.request.header.X-RateLimit-Limit': 'context.authorizer.rateLimitLimit',
  'integration.request.header.X-RateLimit-Remaining': 'context.authorizer.rateLimitRemaining',
  'integration.request.header.X-RateLimit-Reset': 'context.authorizer.rateLimitReset',
  'integration.request.header.RateLimit-Policy': 'context.authorizer.rateLimitPolicy',
  'integration.request.header.RateLimit': 'context.authorizer.rateLimitState',
};
const REDACTED = {
  'integration.request.header.Authorization': "'keygate-redacted'",
  'integration.request.header.X-API-Key': "'keygate-redacted'",
};

let k: BuiltKeygate;
beforeAll(() => {
  k = buildKeygate({ bundle: false, context: CONTEXT, env: { account: ACCOUNT, region: REGION } });
});
afterAll(removeBuilds);

function method(list: BuiltMethod[], httpMethod: string, path: string): BuiltMethod {
  const found = list.find((m) => m.method === httpMethod && m.path === path);
  if (!found) throw new Error(`no method ${httpMethod} ${path}; built: ${list.map((m) => `${m.method} ${m.path}`).join(', ')}`);
  return found;
}
const integrationOf = (m: BuiltMethod) => m.properties.Integration as Record<string, unknown>;

describe('operator route methods', () => {
  it('builds one method per operator route, next to every built-in route', () => {
    // Act
    const built = apiMethods(k.template).map((m) => `${m.method} ${m.path}`).sort();

    // Assess
    const operator = ['GET /orders/{id}', 'ANY /orders/{id}/files/{proxy+}', 'POST /reports', 'GET /reports/{id}', 'DELETE /reports/{id}', 'GET /partner'];
    expect(built).toEqual([...ROUTES.map((r) => `${r.method} ${r.path}`), ...operator].sort());
  });

  it.each([
    ['GET', '/orders/{id}', 'getOrder'],
    ['ANY', '/orders/{id}/files/{proxy+}', 'orderFiles'],
    ['POST', '/reports', 'createReport'],
    ['GET', '/reports/{id}', 'reportStatus-get'],
    ['DELETE', '/reports/{id}', 'reportStatus-delete'],
    ['GET', '/partner', 'partner'],
  ])('%s %s is behind the Keygate authorizer and requires the usage key (operation %s)', (httpMethod, path, operation) => {
    // Act
    const m = method(apiMethods(k.template), httpMethod, path);

    // Assess
    expect(m.properties).toMatchObject({
      AuthorizationType: 'CUSTOM',
      AuthorizerId: ref(k.stack, k.stack.keyAuthorizer.authorizer.authorizerId),
      ApiKeyRequired: true,
      OperationName: operation,
    });
  });
});

describe('upstream targets (HTTP_PROXY)', () => {
  it('maps {id} into the URL, sets the identity headers, redacts credentials and applies timeoutMs', () => {
    // Act
    const m = method(apiMethods(k.template), 'GET', '/orders/{id}');

    // Assess
    expect(m.properties.RequestParameters).toEqual({ 'method.request.path.id': true });
    expect(integrationOf(m)).toEqual({
      Type: 'HTTP_PROXY',
      Uri: 'https://orders.example.com/orders/{id}',
      IntegrationHttpMethod: 'GET',
      TimeoutInMillis: 5000,
      RequestParameters: { 'integration.request.path.id': 'method.request.path.id', ...IDENTITY_HEADERS, ...REDACTED },
    });
  });

  it('passes a greedy {proxy+} as {proxy}, keeps ANY, and forwards credentials when the route says so', () => {
    // Act
    const m = method(apiMethods(k.template), 'ANY', '/orders/{id}/files/{proxy+}');

    // Assess
    expect(m.properties.RequestParameters).toEqual({ 'method.request.path.id': true, 'method.request.path.proxy': true });
    expect(integrationOf(m)).toEqual({
      Type: 'HTTP_PROXY',
      Uri: 'https://files.example.com/orders/{id}/{proxy}',
      IntegrationHttpMethod: 'ANY',
      // no TimeoutInMillis: API Gateway's default (29 s)
      RequestParameters: {
        'integration.request.path.id': 'method.request.path.id',
        'integration.request.path.proxy': 'method.request.path.proxy',
        ...IDENTITY_HEADERS,
      },
    });
  });

  it('redacts the api_key query parameter too when keys may arrive there (allowQueryKey), only on routes that redact', () => {
    // Prepare
    const v = buildKeygate({ bundle: false, context: { ...CONTEXT, 'keygate:allowQueryKey': true }, env: { account: ACCOUNT, region: REGION } });

    // Act
    const methods = apiMethods(v.template);
    const redacting = integrationOf(method(methods, 'GET', '/orders/{id}')).RequestParameters as Record<string, string>;
    const forwarding = integrationOf(method(methods, 'ANY', '/orders/{id}/files/{proxy+}')).RequestParameters as Record<string, string>;

    // Assess
    expect(redacting['integration.request.querystring.api_key']).toBe("'keygate-redacted'");
    expect(forwarding['integration.request.querystring.api_key']).toBeUndefined();
    expect(integrationOf(method(apiMethods(k.template), 'GET', '/orders/{id}')).RequestParameters).not.toHaveProperty('integration.request.querystring.api_key');
  });

  it('passes every body through as bytes (binaryMediaTypes */*)', () => {
    k.template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'], ApiKeySourceType: 'AUTHORIZER' });
  });
});

describe('Lambda targets (AWS_PROXY)', () => {
  it('invokes the function ARN through the Lambda Invoke path with POST and the route timeout', () => {
    // Act
    const m = method(apiMethods(k.template), 'POST', '/reports');

    // Assess
    expect(integrationOf(m)).toEqual({
      Type: 'AWS_PROXY',
      IntegrationHttpMethod: 'POST',
      TimeoutInMillis: 10000,
      Uri: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:apigateway:${REGION}:lambda:path/2015-03-31/functions/${REPORTS_FN}/invocations`]] },
    });
    // no credential or header mappings: the function reads requestContext.authorizer
    expect(m.properties.RequestParameters).toBeUndefined();
  });

  it('lets API Gateway invoke a one-route function only for that method and path on the stage', () => {
    // Prepare
    const api = k.stack.managementApi.api;

    // Assess
    k.template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: REPORTS_FN,
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: ref(k.stack, api.arnForExecuteApi('POST', '/reports', api.deploymentStage.stageName)),
    });
    const sourceArn = JSON.stringify(ref(k.stack, api.arnForExecuteApi('POST', '/reports', api.deploymentStage.stageName)));
    expect(sourceArn).toContain(`:execute-api:${REGION}:${ACCOUNT}:`);
    expect(sourceArn).toContain(JSON.stringify(ref(k.stack, api.restApiId)));
    expect(sourceArn).toContain('/POST/reports');
  });

  it('gives a function serving several routes one permission for this API on the stage (a resource policy is limited to 20 KB)', () => {
    // Prepare
    const api = k.stack.managementApi.api;

    // Act
    const permissions = Object.values(k.template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: STATUS_FN } }));

    // Assess
    expect(permissions).toHaveLength(1);
    expect((permissions[0] as { Properties: { SourceArn: unknown } }).Properties.SourceArn).toEqual(
      ref(k.stack, api.arnForExecuteApi('*', '/*', api.deploymentStage.stageName)),
    );
  });

  it('adds no permission for a function in another account, and warns naming the route', () => {
    // Act
    const permissions = Object.values(k.template.findResources('AWS::Lambda::Permission')).map((p) => (p as { Properties: { FunctionName: unknown } }).Properties.FunctionName);
    const warnings = Annotations.fromStack(k.stack).findWarning('*', Match.stringLikeRegexp('keygate:routes\\[4\\]'));

    // Assess
    expect(permissions).not.toContain(PARTNER_FN);
    expect(permissions.filter((f) => f === REPORTS_FN || f === STATUS_FN)).toHaveLength(2);
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0]!.entry.data)).toContain(PARTNER_FN);
    expect(JSON.stringify(warnings[0]!.entry.data)).toContain('add-permission');
  });

  it('in an environment-agnostic stack (account unknown at synth) still adds the permission', () => {
    // Prepare
    const v = buildKeygate({ bundle: false, context: CONTEXT });

    // Act
    const functions = Object.values(v.template.findResources('AWS::Lambda::Permission')).map((p) => (p as { Properties: { FunctionName: unknown } }).Properties.FunctionName);

    // Assess
    expect(functions).toContain(PARTNER_FN);
  });
});

describe("the authorizer's copy of the routes", () => {
  it('carries exactly encodeAuthorizationRules(routes) in KEYGATE_ROUTES', () => {
    // Prepare
    const { routes } = resolveDeployment((key) => k.stack.node.tryGetContext(key));

    // Act
    const fn = k.template.toJSON().Resources[k.stack.getLogicalId(k.stack.keyAuthorizer.handler.node.defaultChild as never)] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };

    // Assess
    expect(routes).toHaveLength(6);
    expect(fn.Properties.Environment.Variables[ROUTES_ENV]).toBe(encodeAuthorizationRules(routes));
    expect(JSON.parse(fn.Properties.Environment.Variables[ROUTES_ENV] as string)).toContainEqual(['POST', '/reports', 'reports:read', 5]);
  });

  it('has no KEYGATE_ROUTES without operator routes', () => {
    // Act
    const v = buildKeygate({ bundle: false });

    // Assess
    v.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'keygate-authorizer', [ROUTES_ENV]: Match.absent() }) },
    });
  });
});

describe('a bad keygate:routes fails synthesis naming the entry', () => {
  const upstream = (path: string, url: string, extra: Record<string, unknown> = {}) => ({ path, methods: ['GET'], scopes: [], upstream: url, ...extra });
  const synth = (routes: unknown[]) => () => buildKeygate({ bundle: false, context: { 'keygate:scopes': SCOPES, 'keygate:routes': routes } });

  it('rejects two routes serving the same method and resource', () => {
    expect(synth([upstream('/orders/{id}', 'https://a.example.com/{id}'), upstream('/orders/{orderId}', 'https://b.example.com/{orderId}')])).toThrow(
      /keygate:routes\[1\] \(GET \/orders\/\{orderId\}\): overlaps keygate:routes\[0\]/,
    );
  });

  it("rejects a path under Keygate's reserved /v1", () => {
    expect(synth([upstream('/v1/orders', 'https://a.example.com/orders')])).toThrow(/keygate:routes\[0\] \(GET \/v1\/orders\): path collides with Keygate's own routes/);
  });

  it('rejects a scope the deployment does not define', () => {
    expect(synth([upstream('/orders', 'https://a.example.com/orders', { scopes: ['orders:delete'] })])).toThrow(/keygate:routes\[0\] \(GET \/orders\): scope "orders:delete" is not defined/);
  });

  it('rejects a malformed path template', () => {
    expect(synth([upstream('/orders/{id', 'https://a.example.com/orders')])).toThrow(/keygate:routes\[0\] \(GET \/orders\/\{id\): path .* malformed parameter segment/);
  });

  it('rejects an upstream placeholder that is not a path parameter', () => {
    expect(synth([upstream('/orders/{id}', 'https://a.example.com/orders/{orderId}')])).toThrow(
      /keygate:routes\[0\] \(GET \/orders\/\{id\}\): upstream placeholder \{orderId\} is not a path parameter/,
    );
  });

  it("rejects a route table that would not fit the authorizer's 4 KB environment, naming keygate:routes", () => {
    // Prepare: 100 routes (the maximum) with long paths and three scopes each
    const many = Array.from({ length: 100 }, (_, i) => ({
      path: `/reports-${i}-${'x'.repeat(40)}/{id}`,
      methods: ['GET'],
      scopes: ['orders:read', 'orders:write', 'reports:read'],
      lambda: REPORTS_FN,
    }));

    // Act + Assess
    expect(synth(many)).toThrow(/^keygate:routes: the authorizer's environment would take \d+ bytes .* over Lambda's 4096-byte limit/);
  });
});
