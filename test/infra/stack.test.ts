import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_TABLE } from '../../adapters/dynamodb/table-schema';
import { ADMITTED_USAGE_KEY, configFromContext, configToEnv, INFRA_ENV, KEY_TEMPLATES_ENV } from '../../core/config';
import { GATEWAY_RESPONSES, gatewayResponse } from '../../core/gateway-responses';
import { QUOTED_CONTEXT_KEYS } from '../../core/rate-limit-headers';
import { ManagementApi } from '../../lib/management-api';
import { admittedUsageKeyValue } from '../../lib/physical-names';
import { ROUTES } from '../../core/routes';
import { accessLogFormat, USAGE_FIELDS } from '../../core/usage-record';
import {
  actionsOf,
  apiMethods,
  buildKeygate,
  type BuiltKeygate,
  logicalIdOf,
  ref,
  removeBuilds,
  resourcesOf,
  roleStatements,
} from './keygate-app';

// One synthesis (with esbuild bundling) for the whole file.
let k: BuiltKeygate;
beforeAll(() => {
  k = buildKeygate();
});
afterAll(removeBuilds);

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
const resources = (): Resources => k.template.toJSON().Resources as Resources;

function logicalId(construct: { node: { defaultChild?: unknown } }): string {
  return k.stack.getLogicalId(construct.node.defaultChild as never);
}

describe('key store', () => {
  it('encrypts the table with the customer-managed table key', () => {
    k.template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: ref(k.stack, k.stack.keyStore.tableKey.keyArn) },
    });
  });

  it('builds the key schema and every index from KEY_TABLE, on-demand', () => {
    k.template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: KEY_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: KEY_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: Match.arrayEquals(
        KEY_TABLE.globalSecondaryIndexes.map((i) => ({
          IndexName: i.indexName,
          KeySchema: [
            { AttributeName: i.partitionKey, KeyType: 'HASH' },
            { AttributeName: i.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      ),
    });
  });

  it('expires audit entries by TTL on `ttl` and indexes them by actor (sparse byActor, gsi4pk/gsi4sk)', () => {
    // Prepare: both tables have this key schema; only the key table has indexes
    const keyTable = { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }] };

    // Assess
    expect(KEY_TABLE.timeToLiveAttribute).toBe('ttl');
    k.template.hasResourceProperties('AWS::DynamoDB::Table', {
      ...keyTable,
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'byActor',
          KeySchema: [
            { AttributeName: 'gsi4pk', KeyType: 'HASH' },
            { AttributeName: 'gsi4sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ]),
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'gsi4pk', AttributeType: 'S' },
        { AttributeName: 'gsi4sk', AttributeType: 'S' },
      ]),
    });
  });

  it('keeps the table: point-in-time recovery, deletion protection, retained except when its first create rolls back', () => {
    k.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
  });

  it('has three distinct customer-managed keys (table, records, notifications topic), all rotated and retained (except on a rolled-back first create)', () => {
    const keys = Object.entries(resources()).filter(([, r]) => r.Type === 'AWS::KMS::Key');
    expect(keys.map(([id]) => id).sort()).toEqual(
      [
        logicalIdOf(ref(k.stack, k.stack.keyStore.tableKey.keyArn)),
        logicalIdOf(ref(k.stack, k.stack.keyStore.recordKey.keyArn)),
        logicalIdOf(ref(k.stack, k.stack.notifications.topicKey.keyArn)),
      ].sort(),
    );
    for (const [, key] of keys) {
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(key.UpdateReplacePolicy).toBe('Retain');
    }
  });
});

describe('authorizer', () => {
  it('is an uncached REQUEST authorizer backed by the authorizer function', () => {
    k.template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0 });
    const authorizer = resources()[logicalId(k.stack.keyAuthorizer.authorizer as never)]!;
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(JSON.stringify(ref(k.stack, k.stack.keyAuthorizer.handler.functionArn)));
  });

  it('declares no identity source, so API Gateway never answers 401 without invoking it', () => {
    k.template.hasResourceProperties('AWS::ApiGateway::Authorizer', { IdentitySource: Match.absent() });
  });
});

describe('routes', () => {
  interface BuiltRoute {
    method: string;
    path: string;
    authorizationType: string;
    authorizerId?: unknown;
    integration: { Type?: string; Uri?: unknown };
  }

  function builtRoutes(): BuiltRoute[] {
    return apiMethods(k.template).map((m) => ({
      method: m.method,
      path: m.path,
      authorizationType: String(m.properties.AuthorizationType),
      authorizerId: m.properties.AuthorizerId,
      integration: m.properties.Integration as BuiltRoute['integration'],
    }));
  }

  it('builds exactly the methods ROUTES lists (no extras, no proxy catch-all)', () => {
    const built = builtRoutes().map((r) => `${r.method} ${r.path}`).sort();
    expect(built).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s has the authorization its definition asks for', (_name, route) => {
    const built = builtRoutes().find((r) => r.method === route.method && r.path === route.path);
    expect(built).toBeDefined();
    if (route.authorized) {
      expect(built!.authorizationType).toBe('CUSTOM');
      expect(built!.authorizerId).toEqual(ref(k.stack, k.stack.keyAuthorizer.authorizer.authorizerId));
    } else {
      expect(built!.authorizationType).toBe('NONE');
      expect(built!.authorizerId).toBeUndefined();
    }
  });

  it('builds POST /v1/keys/revoke-leaked without authorizer or API key, beside /v1/keys/{id}', () => {
    // Prepare
    const leak = apiMethods(k.template).find((m) => m.method === 'POST' && m.path === '/v1/keys/revoke-leaked');
    const all = resources();
    const resourceOf = (path: string) =>
      Object.values(all).filter((r) => r.Type === 'AWS::ApiGateway::Resource' && r.Properties.PathPart === path.split('/').at(-1));

    // Assess: no key of any kind (the presented keys are the authority), served by the keys Lambda
    expect(ROUTES.find((r) => r.operation === 'revokeLeaked')).toMatchObject({ method: 'POST', path: '/v1/keys/revoke-leaked', authorized: false });
    expect(leak).toBeDefined();
    expect(leak!.properties.AuthorizationType).toBe('NONE');
    expect(leak!.properties.AuthorizerId).toBeUndefined();
    expect(leak!.properties.ApiKeyRequired ?? false).toBe(false);
    expect(JSON.stringify((leak!.properties.Integration as { Uri: unknown }).Uri)).toContain(JSON.stringify(ref(k.stack, k.stack.managementApi.keysFunction.functionArn)));
    // a literal segment and the {id} parameter are siblings under one /v1/keys resource
    const [literal] = resourceOf('/v1/keys/revoke-leaked');
    const [param] = resourceOf('/v1/keys/{id}');
    expect(literal).toBeDefined();
    expect(param).toBeDefined();
    expect(literal!.Properties.ParentId).toEqual(param!.Properties.ParentId);
    // and {id}'s own methods are still behind the authorizer
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      expect(apiMethods(k.template).find((m) => m.method === method && m.path === '/v1/keys/{id}')?.properties.AuthorizationType).toBe('CUSTOM');
    }
  });

  it('sends every route to the function its definition names, as a Lambda proxy integration', () => {
    const arns = {
      keys: JSON.stringify(ref(k.stack, k.stack.managementApi.keysFunction.functionArn)),
      usage: JSON.stringify(ref(k.stack, k.stack.usageReports!.function.functionArn)),
      console: JSON.stringify(ref(k.stack, k.stack.managementApi.consoleSite!.function.functionArn)),
    };
    for (const route of builtRoutes()) {
      const definition = ROUTES.find((r) => r.method === route.method && r.path === route.path)!;
      expect(route.integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(route.integration.Uri), `${route.method} ${route.path}`).toContain(arns[definition.handler]);
    }
  });
});

describe('gateway responses', () => {
  it('registers exactly the GATEWAY_RESPONSES types', () => {
    const types = Object.values(resources())
      .filter((r) => r.Type === 'AWS::ApiGateway::GatewayResponse')
      .map((r) => r.Properties.ResponseType)
      .sort();
    expect(types).toEqual(GATEWAY_RESPONSES.map((g) => g.type).sort());
  });

  it.each(GATEWAY_RESPONSES.map((g) => [g.type, g] as const))('%s has its status, exactly its quoted literal headers and body template', (_type, g) => {
    k.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: g.type,
      StatusCode: g.statusCode === undefined ? Match.absent() : String(g.statusCode),
      // exact: by default no header is mapped from anything but a literal (docs/authorizer.md)
      ResponseParameters: Match.exact(Object.fromEntries(Object.entries(g.headers).map(([h, v]) => [`gatewayresponse.header.${h}`, `'${v}'`]))),
      ResponseTemplates: { 'application/json': g.bodyTemplate },
    });
  });
});

describe('IAM', () => {
  const roleOf = (fn: lambda.IFunction): string => logicalIdOf(ref(k.stack, fn.role!.roleArn));

  /** One row per (action, resource, condition), sorted, so the comparison ignores how CDK merges statements. */
  function grants(fn: lambda.IFunction, prefix: string): string[] {
    const { statements } = roleStatements(k.template, roleOf(fn));
    return statements
      .flatMap((s) =>
        actionsOf(s)
          .filter((a) => a.startsWith(prefix))
          .flatMap((a) => resourcesOf(s).map((r) => JSON.stringify([a, r, s.Condition ?? null]))),
      )
      .sort();
  }
  const row = (action: string, resource: unknown, condition: unknown = null): string => JSON.stringify([action, resource, condition]);
  const leading = (...patterns: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns } });
  const lastUsedOnly = {
    'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'lastUsedAt'] },
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['KEY#*'] },
    StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
  };

  it('authorizer: GetItem on HASH# items, lastUsedAt on KEY# items, UpdateItem on CTR# counters, nothing else', () => {
    const table = ref(k.stack, k.stack.keyStore.table.tableArn);
    const counterTable = ref(k.stack, k.stack.keyStore.counterTable.tableArn);
    const { managedPolicyArns } = roleStatements(k.template, roleOf(k.stack.keyAuthorizer.handler));
    expect(managedPolicyArns).toEqual([]);
    expect(grants(k.stack.keyAuthorizer.handler, 'dynamodb:')).toEqual(
      [
        row('dynamodb:GetItem', table, leading('HASH#*')),
        row('dynamodb:UpdateItem', table, lastUsedOnly),
        row('dynamodb:UpdateItem', counterTable, leading('CTR#*')),
      ].sort(),
    );
    expect(grants(k.stack.keyAuthorizer.handler, 'events:')).toEqual([row('events:PutEvents', ref(k.stack, k.stack.notifications.bus.eventBusArn))]);
    // No KMS call of its own: the only KMS permission is Decrypt on the table key, and
    // only when DynamoDB makes the call on its behalf (see KeyStore.grantTableKeyViaDynamoDb).
    const kmsRows = grants(k.stack.keyAuthorizer.handler, 'kms:');
    expect(kmsRows).toHaveLength(1);
    const [action, resource, condition] = JSON.parse(kmsRows[0]!) as [string, unknown, Record<string, Record<string, unknown>>];
    expect([action, resource]).toEqual(['kms:Decrypt', ref(k.stack, k.stack.keyStore.tableKey.keyArn)]);
    expect(JSON.stringify(condition.StringEquals?.['kms:ViaService'])).toContain('dynamodb.');
    const all = roleStatements(k.template, roleOf(k.stack.keyAuthorizer.handler)).statements;
    expect(JSON.stringify(all)).not.toContain(JSON.stringify(ref(k.stack, k.stack.keyStore.recordKey.keyArn)));
  });

  it('keys function: Get/Put on KEY# and HASH# items, Put/Query on AUDIT# partitions, lastUsedAt only, Query on byOwner, byCreated and byActor, counters, RecordKey', () => {
    const fn = k.stack.managementApi.keysFunction;
    const table = ref(k.stack, k.stack.keyStore.table.tableArn);
    const counterTable = ref(k.stack, k.stack.keyStore.counterTable.tableArn);
    const index = (name: string) => ref(k.stack, `${k.stack.keyStore.table.tableArn}/index/${name}`);
    expect(roleStatements(k.template, roleOf(fn)).managedPolicyArns).toEqual([]);
    expect(grants(fn, 'dynamodb:')).toEqual(
      [
        row('dynamodb:GetItem', table, leading('KEY#*', 'HASH#*')),
        row('dynamodb:PutItem', table, leading('KEY#*', 'HASH#*')),
        row('dynamodb:PutItem', table, leading('AUDIT#*')),
        row('dynamodb:Query', table, leading('AUDIT#*')),
        row('dynamodb:UpdateItem', table, lastUsedOnly),
        row('dynamodb:Query', index('byOwner')),
        row('dynamodb:Query', index('byCreated')),
        row('dynamodb:Query', index('byActor')),
        row('dynamodb:GetItem', counterTable, leading('CTR#*')),
        row('dynamodb:UpdateItem', counterTable, leading('CTR#*')),
      ].sort(),
    );
    const actions = grants(fn, '').map((r) => (JSON.parse(r) as [string])[0]);
    for (const unused of ['dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Scan', 'dynamodb:BatchWriteItem']) {
      expect(actions).not.toContain(unused);
    }
    expect(grants(fn, 'kms:').filter((r) => r.includes(JSON.stringify(ref(k.stack, k.stack.keyStore.recordKey.keyArn))))).toEqual(
      [row('kms:Decrypt', ref(k.stack, k.stack.keyStore.recordKey.keyArn)), row('kms:GenerateDataKey', ref(k.stack, k.stack.keyStore.recordKey.keyArn))].sort(),
    );
    const onTableKey = grants(fn, 'kms:').filter((r) => r.includes(JSON.stringify(ref(k.stack, k.stack.keyStore.tableKey.keyArn))));
    expect(onTableKey).toHaveLength(1);
    expect(onTableKey[0]).toContain('kms:ViaService');
  });

  it('grants nothing with a wildcard in any action or resource, and never Scan', () => {
    for (const fn of [k.stack.keyAuthorizer.handler, k.stack.managementApi.keysFunction, k.stack.usageReports!.function]) {
      const { statements } = roleStatements(k.template, roleOf(fn));
      expect(statements.length).toBeGreaterThan(0);
      // actions and resources only: a condition may narrow with a pattern (LeadingKeys KEY#*);
      // the one exception is the usage bucket's two object prefixes Athena reads and writes
      // under names it generates (cdk-nag IAM5, acknowledged with that reason).
      const text = JSON.stringify(statements.map((s) => [s.Action, s.Resource])).replaceAll('"/usage/*"', '"/usage/"').replaceAll('"/athena-results/*"', '"/athena-results/"');
      expect(text).not.toContain('*');
      expect(statements.flatMap(actionsOf)).not.toContain('dynamodb:Scan');
      expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    }
  });
});

describe('functions', () => {
  const newestNode = lambda.Runtime.ALL.map((r) => r.name)
    .filter((n) => /^nodejs\d+\.x$/.test(n))
    .sort((a, b) => parseInt(a.slice(6), 10) - parseInt(b.slice(6), 10))
    .at(-1);

  const fnProps = (fn: lambda.IFunction): Record<string, unknown> => resources()[logicalId(fn as never)]!.Properties;

  it.each([
    ['authorizer', () => k.stack.keyAuthorizer.handler],
    ['keys', () => k.stack.managementApi.keysFunction],
  ] as const)('%s function runs on the newest Node.js runtime, on ARM64, from an ESM bundle', (_name, fn) => {
    const props = fnProps(fn());
    expect(newestNode).toBeDefined();
    expect(props.Runtime).toBe(newestNode);
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.Handler).toBe('index.handler');
    expect((props.Environment as { Variables: Record<string, unknown> }).Variables.NODE_OPTIONS).toBe('--enable-source-maps');

    const assetHash = String((props.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
    const bundle = join(k.app.synth().directory, `asset.${assetHash}`, 'index.mjs');
    expect(existsSync(bundle)).toBe(true);
    expect(readFileSync(bundle, 'utf8').split('\n', 1)[0]).toContain('createRequire');
    expect(existsSync(`${bundle}.map`)).toBe(true);
  });

  it('authorizer: short timeout, config env and the table name', () => {
    const config = configFromContext((key) => k.stack.node.tryGetContext(key));
    k.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('authorizer'),
      Timeout: 3,
      MemorySize: 512,
      Environment: {
        Variables: Match.objectLike({
          ...configToEnv(config),
          [INFRA_ENV.tableName]: ref(k.stack, k.stack.keyStore.table.tableName),
        }),
      },
    });
    expect(Object.keys((fnProps(k.stack.keyAuthorizer.handler).Environment as { Variables: object }).Variables)).not.toContain(INFRA_ENV.kmsKeyId);
  });

  it('keys function: config env, the table name and the record key', () => {
    const config = configFromContext((key) => k.stack.node.tryGetContext(key));
    expect((fnProps(k.stack.managementApi.keysFunction).Environment as { Variables: object }).Variables).toMatchObject({
      ...configToEnv(config),
      [INFRA_ENV.tableName]: ref(k.stack, k.stack.keyStore.table.tableName),
      [INFRA_ENV.kmsKeyId]: ref(k.stack, k.stack.keyStore.recordKey.keyArn),
    });
  });

  it('keys function: audit retention from keygate:auditRetentionDays (default 400), validated at synth', () => {
    // Prepare + Act
    const v = buildKeygate({ bundle: false, context: { 'keygate:auditRetentionDays': '30' } });
    const envOf = (b: BuiltKeygate) =>
      (b.template.toJSON().Resources[b.stack.getLogicalId(b.stack.managementApi.keysFunction.node.defaultChild as CfnElement)].Properties.Environment as { Variables: Record<string, unknown> }).Variables;

    // Assess
    expect(envOf(k).KEYGATE_AUDIT_RETENTION_DAYS).toBe('400');
    expect(envOf(v).KEYGATE_AUDIT_RETENTION_DAYS).toBe('30');
    expect(() => buildKeygate({ bundle: false, context: { 'keygate:auditRetentionDays': 0 } })).toThrow(/auditRetentionDays must be an integer from 1 to 3650/);
    expect(() => buildKeygate({ bundle: false, context: { 'keygate:auditRetentionDays': 'forever' } })).toThrow(/auditRetentionDays/);
  });

  it('key templates from keygate:keyTemplates reach the keys function, not the authorizer, validated at synth', () => {
    // Prepare
    const keyTemplates = [{ name: 'partner-readonly', scopes: ['echo:read'], rateLimit: { limit: 10, windowSeconds: 60 }, expiresInDays: 90 }];
    // Act
    const v = buildKeygate({ bundle: false, context: { 'keygate:keyTemplates': keyTemplates } });
    const variables = (fn: lambda.IFunction): Record<string, unknown> =>
      (v.template.toJSON().Resources[v.stack.getLogicalId(fn.node.defaultChild as CfnElement)].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    // Assess
    expect(JSON.parse(variables(v.stack.managementApi.keysFunction)[KEY_TEMPLATES_ENV] as string)).toEqual(keyTemplates);
    expect(variables(v.stack.keyAuthorizer.handler)).not.toHaveProperty(KEY_TEMPLATES_ENV);
    expect(variables(v.stack.keyAuthorizer.handler)).toHaveProperty('KEYGATE_SCOPES');
    expect((fnProps(k.stack.managementApi.keysFunction).Environment as { Variables: object }).Variables).not.toHaveProperty(KEY_TEMPLATES_ENV);
    expect(() => buildKeygate({ bundle: false, context: { 'keygate:keyTemplates': [{ name: 'x', scopes: ['orders:delete'] }] } })).toThrow(
      /keyTemplates "x": scopes names scopes this deployment does not define: orders:delete/,
    );
  });

  it('each function logs to its own log group with one-month retention', () => {
    for (const fn of [k.stack.keyAuthorizer.handler, k.stack.managementApi.keysFunction]) {
      const group = (fnProps(fn).LoggingConfig as { LogGroup: unknown }).LogGroup;
      expect(resources()[logicalIdOf(group)]!.Properties.RetentionInDays).toBe(30);
    }
  });
});

describe('stage logging', () => {
  it('logs one usage record per request (core/usage-record.ts), including the authorizer keyId, ownerId and decision', () => {
    const stage = Object.values(resources()).find((r) => r.Type === 'AWS::ApiGateway::Stage')!;
    const setting = stage.Properties.AccessLogSetting as { Format: string; DestinationArn: unknown };
    // A line with every $context variable replaced by a sample value parses as one usage record.
    const sample = setting.Format.replace(/"\$context\.[A-Za-z.]+"/g, '"x"').replace(/\$context\.[A-Za-z.]+/g, '1');
    const record = JSON.parse(sample) as Record<string, unknown>;
    expect(Object.keys(record)).toEqual(USAGE_FIELDS.map((f) => f.name));
    expect(setting.Format).toBe(accessLogFormat());
    for (const f of USAGE_FIELDS) expect(setting.Format).toContain(f.type === 'string' ? `"${f.name}":"${f.accessLog}"` : `"${f.name}":${f.accessLog}`);
    expect(setting.Format).toContain('"keyId":"$context.authorizer.keyId"');
    expect(setting.Format).toContain('"decision":"$context.authorizer.decision"');
    expect(setting.Format).toContain('"errorType":"$context.error.responseType"');
    // keygate:usageAnalytics is on by default: the records go to the usage delivery stream
    // (the CloudWatch case is in usage-analytics.test.ts).
    expect(setting.DestinationArn).toEqual(ref(k.stack, k.stack.usageAnalytics!.deliveryStream.attrArn));
    expect(k.stack.managementApi.accessLogGroup).toBeUndefined();
  });

  it('logs execution errors for every method without request or response data', () => {
    k.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR', DataTraceEnabled: false }),
      ]),
    });
  });

  it('owns the execution log group (with retention) before the stage exists', () => {
    const groupId = logicalId(k.stack.managementApi.executionLogGroup as never);
    const group = resources()[groupId]!;
    expect(JSON.stringify(group.Properties.LogGroupName)).toContain('API-Gateway-Execution-Logs_');
    expect(group.Properties.RetentionInDays).toBe(30);
    const stage = k.template.toJSON().Resources[logicalId(k.stack.managementApi.api.deploymentStage as never)] as { DependsOn?: string[] };
    expect(stage.DependsOn).toContain(groupId);
  });
});

describe('outputs', () => {
  it('publishes exactly ApiUrl, KeyTableName, CounterTableName, EventBusName, NotificationsTopicArn, TableKeyArn, RecordKeyArn, BootstrapCommand and the usage analytics names', () => {
    expect(Object.keys(k.template.toJSON().Outputs).sort()).toEqual(
      ['ApiUrl', 'AthenaWorkGroup', 'BootstrapCommand', 'CounterTableName', 'EventBusName', 'GlueDatabase', 'GlueTable', 'KeyTableName', 'NotificationsTopicArn', 'RecordKeyArn', 'TableKeyArn', 'UsageBucketName'],
    );
    k.template.hasOutput('NotificationsTopicArn', { Value: ref(k.stack, k.stack.notifications.topic.topicArn) });
    // what KeyStore.fromKeyStoreAttributes takes in another stack
    k.template.hasOutput('TableKeyArn', { Value: ref(k.stack, k.stack.keyStore.tableKey.keyArn) });
    k.template.hasOutput('KeyTableName', { Value: ref(k.stack, k.stack.keyStore.table.tableName) });
    k.template.hasOutput('RecordKeyArn', { Value: ref(k.stack, k.stack.keyStore.recordKey.keyArn) });
    k.template.hasOutput('ApiUrl', { Value: ref(k.stack, k.stack.managementApi.api.url) });
  });

  it('BootstrapCommand names the table, the record key, the region, the key prefix, the audit retention and the bus', () => {
    k.template.hasOutput('BootstrapCommand', {
      Value: {
        'Fn::Join': [
          '',
          [
            'npx keygate bootstrap --aws --table-name ',
            ref(k.stack, k.stack.keyStore.table.tableName),
            ' --kms-key-id ',
            ref(k.stack, k.stack.keyStore.recordKey.keyArn),
            ' --region ',
            { Ref: 'AWS::Region' },
            ' --key-prefix kg --audit-retention-days 400 --event-bus-name ',
            ref(k.stack, k.stack.notifications.bus.eventBusName),
          ],
        ],
      },
    });
  });
});

describe('variants (no bundling)', () => {
  it('reads keygate:* context into the function environment', () => {
    const v = buildKeygate({ bundle: false, context: { 'keygate:keyPrefix': 'acme', 'keygate:allowQueryKey': true } });
    v.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KEYGATE_KEY_PREFIX: 'acme', KEYGATE_ALLOW_QUERY_KEY: 'true' }) },
    });
  });

  it('puts the stage behind a WAF web ACL when keygate:webAclArn is set', () => {
    const webAclArn = 'arn:aws:wafv2:us-east-1:111122223333:regional/webacl/keygate/abc';
    const v = buildKeygate({ bundle: false, context: { 'keygate:webAclArn': webAclArn } });
    v.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: webAclArn });
    const association = Object.values(v.template.findResources('AWS::WAFv2::WebACLAssociation'))[0] as { Properties: { ResourceArn: unknown } };
    expect(JSON.stringify(association.Properties.ResourceArn)).toContain(
      JSON.stringify(ref(v.stack, v.stack.managementApi.api.deploymentStage.stageName)),
    );
    // With a web ACL there is nothing to acknowledge for AwsSolutions-APIG3.
    expect(new AwsSolutionsChecks().validateScope(v.app).violations).toEqual([]);
    const ackIds = v.stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((m) => Object.keys(m.data as object)));
    expect(ackIds.some((id) => id.includes('APIG3'))).toBe(false);
  });

  it('refuses a route without API key whose reason for going without one was never reviewed', () => {
    // Prepare: whoami, marked authorized: false
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Unreviewed');
    const table = new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const whoami = ROUTES.find((r) => r.operation === 'whoami')!;

    // Act + Assess
    expect(() =>
      new ManagementApi(stack, 'Api', {
        table,
        counterTable: table,
        recordKey: new kms.Key(stack, 'Key'),
        authorizer: { authorizerId: 'unused' } as apigateway.IAuthorizer,
        routes: [{ ...whoami, authorized: false }],
      }),
    ).toThrow(/GET \/v1\/whoami \(whoami\) is marked authorized: false, but no reason/);
  });

  it('rejects an invalid keygate:* setting at synth time', () => {
    expect(() => buildKeygate({ bundle: false, context: { 'keygate:keyPrefix': 'Not Valid' } })).toThrow(/keyPrefix/);
  });
});

describe('rate limiting wiring', () => {
  it('takes the usage-plan key from the authorizer and requires it on every authorized method', () => {
    k.template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
    const methods = Object.values(k.template.findResources('AWS::ApiGateway::Method')) as { Properties: Record<string, unknown> }[];
    const custom = methods.filter((m) => m.Properties.AuthorizationType === 'CUSTOM');
    expect(custom.length).toBe(ROUTES.filter((r) => r.authorized).length);
    for (const m of custom) expect(m.Properties.ApiKeyRequired).toBe(true);
    for (const m of methods.filter((m) => m.Properties.AuthorizationType === 'NONE')) expect(m.Properties.ApiKeyRequired ?? false).toBe(false);
  });

  it('has one usage plan with the admitted key and no throttle or quota of its own', () => {
    k.template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    k.template.hasResourceProperties('AWS::ApiGateway::ApiKey', { Value: ref(k.stack, admittedUsageKeyValue(k.stack)) });
    const plan = Object.values(k.template.findResources('AWS::ApiGateway::UsagePlan'))[0] as { Properties: Record<string, unknown> };
    expect(plan.Properties.Throttle).toBeUndefined();
    expect(plan.Properties.Quota).toBeUndefined();
    k.template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
  });

  it('by default answers INVALID_API_KEY with 429, literal headers only, and the numbers in the body', () => {
    const invalidKey = gatewayResponse('INVALID_API_KEY');
    k.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'INVALID_API_KEY',
      StatusCode: '429',
      ResponseParameters: Match.exact({
        'gatewayresponse.header.Content-Type': "'application/problem+json'",
        'gatewayresponse.header.Cache-Control': "'no-store'",
      }),
      ResponseTemplates: { 'application/json': invalidKey.bodyTemplate },
    });
    // Every mapped value is in the body too, except the quoted IETF fields, which must never be.
    for (const key of Object.values(invalidKey.contextHeaders ?? {})) {
      if (QUOTED_CONTEXT_KEYS.includes(key)) expect(invalidKey.bodyTemplate).not.toContain(`$context.authorizer.${key}`);
      else expect(invalidKey.bodyTemplate).toContain(`$context.authorizer.${key}`);
    }
    // No gateway response maps a header from anything that is not a literal.
    const params = Object.values(k.template.findResources('AWS::ApiGateway::GatewayResponse')).map(
      (r) => (r as { Properties: { ResponseParameters?: Record<string, string> } }).Properties.ResponseParameters ?? {},
    );
    for (const value of params.flatMap((p) => Object.values(p))) expect(value).toMatch(/^'[^']*'$/);
  });

  it('maps Retry-After, RateLimit-Policy, RateLimit and X-RateLimit-* from the authorizer context only with keygate:gatewayResponseContextHeaders=true', () => {
    const v = buildKeygate({ bundle: false, context: { 'keygate:gatewayResponseContextHeaders': 'true' } });
    v.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'INVALID_API_KEY',
      StatusCode: '429',
      ResponseParameters: Match.exact({
        'gatewayresponse.header.Retry-After': 'context.authorizer.retryAfter',
        'gatewayresponse.header.X-RateLimit-Limit': 'context.authorizer.rateLimitLimit',
        'gatewayresponse.header.X-RateLimit-Remaining': 'context.authorizer.rateLimitRemaining',
        'gatewayresponse.header.X-RateLimit-Reset': 'context.authorizer.rateLimitReset',
        'gatewayresponse.header.RateLimit-Policy': 'context.authorizer.rateLimitPolicy',
        'gatewayresponse.header.RateLimit': 'context.authorizer.rateLimitState',
        'gatewayresponse.header.Content-Type': "'application/problem+json'",
        'gatewayresponse.header.Cache-Control': "'no-store'",
      }),
    });
    expect(() => buildKeygate({ bundle: false, context: { 'keygate:gatewayResponseContextHeaders': 'yes' } })).toThrow(/gatewayResponseContextHeaders/);
  });

  it('keeps counters in their own CMK-encrypted table with TTL and hands both functions its name', () => {
    k.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    for (const fn of [k.stack.keyAuthorizer.handler, k.stack.managementApi.keysFunction]) {
      const props = k.template.toJSON().Resources[k.stack.getLogicalId(fn.node.defaultChild as CfnElement)].Properties;
      expect(props.Environment.Variables.KEYGATE_COUNTER_TABLE_NAME).toEqual(ref(k.stack, k.stack.keyStore.counterTable.tableName));
    }
    const authEnv = k.template.toJSON().Resources[k.stack.getLogicalId(k.stack.keyAuthorizer.handler.node.defaultChild as CfnElement)].Properties.Environment.Variables;
    // the authorizer returns exactly the value of the plan's key
    expect(authEnv.KEYGATE_ADMITTED_USAGE_KEY).toEqual(ref(k.stack, admittedUsageKeyValue(k.stack)));
    expect(authEnv.KEYGATE_ADMITTED_USAGE_KEY).not.toBe(ADMITTED_USAGE_KEY);
    expect(JSON.parse(authEnv.KEYGATE_DEFAULT_RATE_LIMIT)).toEqual({ limit: 1000, windowSeconds: 60 });
  });
});
