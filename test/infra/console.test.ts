/**
 * The web console in the stack (lib/console.ts, lib/management-api.ts): its two routes without
 * authorizer, served by a small function of its own whose role only writes its log group, and
 * whose asset holds the built console (the bundling hook builds and copies it, as `cdk synth` does).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CfnElement } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../core/routes';
import { BUILD_STAMP } from '../../tools/console-build';
import { actionsOf, buildKeygate, type BuiltKeygate, logicalIdOf, ref, removeBuilds, roleStatements } from './keygate-app';

interface MethodResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown> & { HttpMethod?: string; ResourceId?: unknown; AuthorizationType?: string; Integration?: { Type: string; Uri: unknown } };
}

let k: BuiltKeygate;
beforeAll(() => {
  k = buildKeygate();
});
afterAll(removeBuilds);

const site = () => k.stack.managementApi.consoleSite!;
const fnProps = () => k.template.toJSON().Resources[k.stack.getLogicalId(site().function.node.defaultChild as CfnElement)].Properties as Record<string, unknown>;

/** The API Gateway methods whose integration invokes the console function. */
function consoleMethods(b: BuiltKeygate): MethodResource[] {
  const arn = JSON.stringify(ref(b.stack, b.stack.managementApi.consoleSite!.function.functionArn));
  return Object.values(b.template.findResources('AWS::ApiGateway::Method') as Record<string, MethodResource>).filter((m) => JSON.stringify(m.Properties.Integration?.Uri ?? '').includes(arn));
}

describe('web console routes', () => {
  it('sends GET /console and GET /console/{proxy+} (and nothing else) to the console function, without authorizer or API key', () => {
    // Act
    const methods = consoleMethods(k);
    // Assess
    expect(ROUTES.filter((r) => r.handler === 'console')).toHaveLength(2);
    expect(methods).toHaveLength(2);
    for (const m of methods) {
      expect(m.Properties.HttpMethod).toBe('GET');
      expect(m.Properties.AuthorizationType).toBe('NONE');
      expect(m.Properties.AuthorizerId).toBeUndefined();
      expect(m.Properties.ApiKeyRequired ?? false).toBe(false);
      expect(m.Properties.Integration!.Type).toBe('AWS_PROXY');
    }
    const pathParts = Object.values(k.template.findResources('AWS::ApiGateway::Resource') as Record<string, MethodResource>).map((r) => r.Properties.PathPart);
    expect(pathParts).toEqual(expect.arrayContaining(['console', '{proxy+}']));
  });

  it('builds no console routes and no console function with console: false', async () => {
    // Prepare
    const { App, Stack } = await import('aws-cdk-lib');
    const dynamodb = await import('aws-cdk-lib/aws-dynamodb');
    const kms = await import('aws-cdk-lib/aws-kms');
    const apigateway = await import('aws-cdk-lib/aws-apigateway');
    const lambda = await import('aws-cdk-lib/aws-lambda');
    const { Template } = await import('aws-cdk-lib/assertions');
    const { ManagementApi } = await import('../../lib/management-api');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'NoConsole');
    const table = new dynamodb.Table(stack, 'T', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const fn = new lambda.Function(stack, 'AuthFn', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=()=>{}') });

    // Act
    const api = new ManagementApi(stack, 'Api', {
      table,
      counterTable: table,
      recordKey: new kms.Key(stack, 'K'),
      authorizer: new apigateway.RequestAuthorizer(stack, 'Auth', { handler: fn, identitySources: [apigateway.IdentitySource.header('Authorization')] }),
      console: false,
    });

    // Assess
    const parts = Object.values(Template.fromStack(stack).findResources('AWS::ApiGateway::Resource') as Record<string, MethodResource>).map((r) => r.Properties.PathPart);
    expect(api.consoleSite).toBeUndefined();
    expect(parts).not.toContain('console');
    expect(parts).toContain('v1');
  });
});

describe('web console function', () => {
  it('is small: 128 MB, a 5 s timeout, no environment beyond the shared base', () => {
    const props = fnProps();
    expect(props.MemorySize).toBe(128);
    expect(props.Timeout).toBe(5);
    expect(Object.keys((props.Environment as { Variables: Record<string, string> }).Variables)).toEqual(['NODE_OPTIONS']);
  });

  it('has a role of its own that may only write its own log group (no managed policy, no other action)', () => {
    // Prepare
    const roleId = logicalIdOf(ref(k.stack, site().function.role!.roleArn));
    // Act
    const { statements, managedPolicyArns } = roleStatements(k.template, roleId);
    // Assess
    expect(managedPolicyArns).toEqual([]);
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      for (const a of actionsOf(s)) expect(a).toMatch(/^logs:(CreateLogStream|PutLogEvents)$/);
      expect(JSON.stringify(s.Resource)).toContain(k.stack.getLogicalId(site().logGroup.node.defaultChild as CfnElement));
    }
  });

  it('carries the built console beside its handler: index.html and hashed assets, without the build stamp', () => {
    // Prepare: the staged asset directory of the function's code (asset.<hash>, the S3 key without .zip)
    const key = String((fnProps().Code as { S3Key: unknown }).S3Key);
    const dir = join(k.app.outdir, `asset.${key.replace(/\.zip$/, '')}`);

    // Act
    const files = readdirSync(join(dir, 'console'), { recursive: true }).map(String);

    // Assess
    expect(existsSync(join(dir, 'index.mjs'))).toBe(true);
    expect(files).toContain('index.html');
    expect(files.some((f) => /^assets[/\\][\w-]+-[\w-]{6,}\.js$/.test(f))).toBe(true);
    expect(files).not.toContain(BUILD_STAMP);
  });

  it('answers from the bundle as deployed: the bundled handler finds the console beside it', async () => {
    // Prepare: the bundled handler module, loaded as Lambda loads it
    const key = String((fnProps().Code as { S3Key: unknown }).S3Key);
    const dir = join(k.app.outdir, `asset.${key.replace(/\.zip$/, '')}`);
    const { handler } = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { handler: (e: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }> };
    const event = (path: string, resource: string, proxy?: string) => ({ resource, path, httpMethod: 'GET', headers: {}, pathParameters: proxy ? { proxy } : null, requestContext: { requestId: 'r1' } });

    // Act
    const index = await handler(event('/console/', '/console'));
    const missing = await handler(event('/console/nope.js', '/console/{proxy+}', 'nope.js'));

    // Assess
    expect(index.statusCode).toBe(200);
    expect(index.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(index.body).toMatch(/<script type="module"[^>]* src="\.\/assets\//);
    expect(missing.statusCode).toBe(404);
  });
});
