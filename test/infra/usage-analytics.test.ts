import { DuckDBInstance } from '@duckdb/node-api';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillUsageQuery, USAGE_NAMED_QUERIES } from '../../core/usage-named-queries';
import { USAGE_FIELDS, USAGE_PARTITION, usageRecord } from '../../core/usage-record';
import { USAGE_TABLE_NAME } from '../../lib/usage-analytics';
import { actionsOf, apiMethods, buildKeygate, type BuiltKeygate, logicalIdOf, ref, removeBuilds, roleStatements } from './keygate-app';

let k: BuiltKeygate;
let off: BuiltKeygate;
beforeAll(() => {
  k = buildKeygate({ bundle: false });
  off = buildKeygate({ bundle: false, context: { 'keygate:usageAnalytics': 'false' } });
});
afterAll(removeBuilds);

const analytics = () => k.stack.usageAnalytics!;
const bucketRef = () => ref(k.stack, analytics().bucket.bucketName);

describe('usage delivery stream', () => {
  it('is a DirectPut stream named amazon-apigateway-<stack name>, encrypted, buffering 64 MB / 300 s', () => {
    k.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'amazon-apigateway-Keygate',
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BucketARN: ref(k.stack, analytics().bucket.bucketArn),
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 300 },
      }),
    });
  });

  it('writes usage/dt=<arrival day>/ and errors under usage-errors/<error type>/dt=<day>/', () => {
    k.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'usage/dt=!{timestamp:yyyy-MM-dd}/',
        ErrorOutputPrefix: 'usage-errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
      }),
    });
  });

  it('converts OpenX JSON to Parquet with the schema of the Glue usage table', () => {
    k.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        DataFormatConversionConfiguration: {
          Enabled: true,
          InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
          OutputFormatConfiguration: { Serializer: { ParquetSerDe: Match.anyValue() } },
          SchemaConfiguration: Match.objectLike({
            DatabaseName: ref(k.stack, analytics().database.databaseName),
            TableName: ref(k.stack, analytics().table.tableName),
            RoleARN: ref(k.stack, analytics().deliveryStreamRole.roleArn),
            VersionId: 'LATEST',
          }),
        },
      }),
    });
  });

  it('keeps a stream name within 64 characters for a long stack name, still unique', () => {
    const long = (name: string) =>
      buildKeygate({ bundle: false, context: { 'keygate:stackName': name } }).stack.usageAnalytics!.deliveryStream.deliveryStreamName!;
    const a = long(`K${'a'.repeat(60)}1`);
    const b = long(`K${'a'.repeat(60)}2`);
    for (const n of [a, b]) expect(n).toMatch(/^amazon-apigateway-[A-Za-z0-9-]{1,46}$/);
    expect(a).not.toBe(b);
  });

  it('has a role with no wildcard action: Glue schema reads and S3 writes under its own prefixes', () => {
    const roleId = k.stack.getLogicalId(analytics().deliveryStreamRole.node.defaultChild as never);
    const { statements, managedPolicyArns } = roleStatements(k.template, roleId);
    expect(managedPolicyArns).toEqual([]);
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(actions.sort()).toEqual(
      [
        'glue:GetTable',
        'glue:GetTableVersion',
        'glue:GetTableVersions',
        's3:GetBucketLocation',
        's3:ListBucket',
        's3:ListBucketMultipartUploads',
        's3:AbortMultipartUpload',
        's3:GetObject',
        's3:PutObject',
      ].sort(),
    );
    const objectResources = JSON.stringify(statements.find((s) => actionsOf(s).includes('s3:PutObject'))!.Resource);
    expect(objectResources).toContain('/usage/*');
    expect(objectResources).toContain('/usage-errors/*');
    expect(objectResources).not.toContain('athena-results');
    expect(JSON.stringify(statements)).not.toContain('"Resource":"*"');
  });
});

describe('usage bucket', () => {
  it('is SSE-S3 encrypted, blocks public access and is retained (except on a rolled-back first create)', () => {
    k.template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      }),
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('refuses requests without TLS', () => {
    k.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: bucketRef(),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('expires usage and error objects after 400 days by default, results after 30', () => {
    k.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'usage/', ExpirationInDays: 400, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'usage-errors/', ExpirationInDays: 400, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'athena-results/', ExpirationInDays: 30, Status: 'Enabled' }),
        ]),
      },
    });
  });

  it('takes the retention from keygate:usageRetentionDays and rejects values out of range, naming the key', () => {
    const configured = buildKeygate({ bundle: false, context: { 'keygate:usageRetentionDays': '90' } });
    configured.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'usage/', ExpirationInDays: 90 })]) },
    });
    for (const bad of [0, 3651, '1.5', 'forever']) {
      expect(() => buildKeygate({ bundle: false, context: { 'keygate:usageRetentionDays': bad } })).toThrow(/keygate:usageRetentionDays/);
    }
  });
});

describe('Glue usage table', () => {
  it('has exactly the USAGE_FIELDS columns with their types, as Parquet under usage/', () => {
    k.template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: ref(k.stack, analytics().database.databaseName),
      TableInput: Match.objectLike({
        Name: USAGE_TABLE_NAME,
        StorageDescriptor: Match.objectLike({
          Columns: USAGE_FIELDS.map((f) => Match.objectLike({ Name: f.name, Type: f.type })),
          Location: { 'Fn::Join': ['', ['s3://', bucketRef(), '/usage/']] },
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        }),
      }),
    });
  });

  it('is partitioned by dt (string) with date projection from 2024-01-01 to NOW, one day apart', () => {
    k.template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        PartitionKeys: [Match.objectLike({ Name: USAGE_PARTITION.name, Type: 'string' })],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2024-01-01,NOW',
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': { 'Fn::Join': ['', ['s3://', bucketRef(), '/usage/dt=${dt}/']] },
        }),
      }),
    });
  });

  it('lives in a database named after the stack', () => {
    k.template.hasResourceProperties('AWS::Glue::Database', {
      DatabaseInput: Match.objectLike({ Name: Match.stringLikeRegexp('^keygate_usage_[0-9a-f]{8}$') }),
    });
  });
});

describe('Athena workgroup and named queries', () => {
  it('enforces its configuration: 10 GB scan cutoff, SSE-S3 results under athena-results/, CloudWatch metrics', () => {
    k.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'Keygate-usage',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 10_000_000_000,
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', bucketRef(), '/athena-results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        },
      },
    });
  });

  it('takes the cutoff from keygate:athenaBytesScannedCutoff and rejects less than Athena\'s minimum, naming the key', () => {
    const configured = buildKeygate({ bundle: false, context: { 'keygate:athenaBytesScannedCutoff': 50_000_000 } });
    configured.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 50_000_000 }),
    });
    expect(() => buildKeygate({ bundle: false, context: { 'keygate:athenaBytesScannedCutoff': 9_999_999 } })).toThrow(/keygate:athenaBytesScannedCutoff/);
  });

  it('saves every report of core/usage-named-queries.ts in the workgroup and the usage database', () => {
    k.template.resourceCountIs('AWS::Athena::NamedQuery', USAGE_NAMED_QUERIES.length);
    for (const q of USAGE_NAMED_QUERIES) {
      k.template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: q.name,
        Database: ref(k.stack, analytics().database.databaseName),
        WorkGroup: ref(k.stack, analytics().workGroup.ref),
        QueryString: q.sql(USAGE_TABLE_NAME),
      });
    }
  });

  it('grantQuery gives a grantee the workgroup, catalog and bucket prefixes it needs, and no wildcard action', () => {
    // Prepare: a stack of its own, so the shared one stays as synthesized
    const b = buildKeygate({ bundle: false });
    const role = new iam.Role(b.stack, 'QueryTestRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    // Act
    b.stack.usageAnalytics!.grantQuery(role);
    // Assess
    const statements = b.stack.resolve((role.node.tryFindChild('DefaultPolicy') as iam.Policy).document) as {
      Statement: { Action: string | string[]; Resource: unknown }[];
    };
    const actions = statements.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'athena:GetQueryResults', 'glue:GetTable', 'glue:GetPartitions', 's3:GetObject', 's3:PutObject']));
    const put = statements.Statement.find((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes('s3:PutObject'))!;
    expect(JSON.stringify(put.Resource)).toContain('/athena-results/*');
    expect(JSON.stringify(put.Resource)).not.toContain('/usage/*');
  });
});

describe('usage reports (GET /v1/usage)', () => {
  const roleOf = (b: BuiltKeygate, fn: { role?: iam.IRole }): string => logicalIdOf(ref(b.stack, fn.role!.roleArn));

  it('is served by the usage Lambda, which may only run the reports and write its log', () => {
    const fn = k.stack.usageReports!.function;
    const { statements, managedPolicyArns } = roleStatements(k.template, roleOf(k, fn));
    expect(managedPolicyArns).toEqual([]);
    expect([...new Set(statements.flatMap(actionsOf))].sort()).toEqual(
      [
        'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:GetWorkGroup', 'athena:StartQueryExecution', 'athena:StopQueryExecution',
        'glue:GetDatabase', 'glue:GetPartitions', 'glue:GetTable',
        'logs:CreateLogStream', 'logs:PutLogEvents',
        's3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetObject', 's3:ListBucket', 's3:PutObject',
      ].sort(),
    );
    k.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('usage reports'),
      Timeout: 28,
      Environment: {
        Variables: Match.objectLike({
          KEYGATE_ATHENA_WORKGROUP: ref(k.stack, analytics().workGroup.ref),
          KEYGATE_USAGE_DATABASE: ref(k.stack, analytics().database.databaseName),
          KEYGATE_USAGE_TABLE: ref(k.stack, analytics().table.tableName),
        }),
      },
    });
  });

  it('lets the keys Lambda run the same reports for a key\'s history', () => {
    const fn = k.stack.managementApi.keysFunction;
    const actions = roleStatements(k.template, roleOf(k, fn)).statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'athena:GetQueryResults', 'glue:GetTable', 's3:GetObject']));
    k.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('key management'),
      Environment: { Variables: Match.objectLike({ KEYGATE_ATHENA_WORKGROUP: ref(k.stack, analytics().workGroup.ref) }) },
    });
  });

  it('does not exist with keygate:usageAnalytics=false: no usage Lambda, no /v1/usage, no Athena for the keys Lambda', () => {
    expect(off.stack.usageReports).toBeUndefined();
    expect(apiMethods(off.template).map((m) => `${m.method} ${m.path}`)).not.toContain('GET /v1/usage');
    const actions = roleStatements(off.template, roleOf(off, off.stack.managementApi.keysFunction)).statements.flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('athena:') || a.startsWith('glue:') || a.startsWith('s3:'))).toEqual([]);
  });
});

describe('stage access log', () => {
  const stageSetting = (b: BuiltKeygate) =>
    (Object.values(b.template.findResources('AWS::ApiGateway::Stage'))[0] as { Properties: { AccessLogSetting: { DestinationArn: unknown } } }).Properties
      .AccessLogSetting;

  it('goes to the usage delivery stream only, when analytics is on (the default)', () => {
    expect(stageSetting(k).DestinationArn).toEqual(ref(k.stack, analytics().deliveryStream.attrArn));
    expect(k.stack.managementApi.accessLogGroup).toBeUndefined();
  });

  it('stays in the CloudWatch log group with keygate:usageAnalytics=false, with no analytics resources', () => {
    expect(off.stack.usageAnalytics).toBeUndefined();
    const group = off.stack.managementApi.accessLogGroup!;
    const groupId = off.stack.getLogicalId(group.node.defaultChild as never);
    expect(JSON.stringify(stageSetting(off).DestinationArn)).toContain(groupId);
    expect((off.template.toJSON().Resources[groupId] as { Properties: { RetentionInDays: number } }).Properties.RetentionInDays).toBe(30);
    for (const type of ['AWS::KinesisFirehose::DeliveryStream', 'AWS::S3::Bucket', 'AWS::Glue::Table', 'AWS::Athena::WorkGroup']) off.template.resourceCountIs(type, 0);
    expect(Object.keys(off.template.toJSON().Outputs)).not.toContain('UsageBucketName');
  });

  it('rejects a keygate:usageAnalytics that is not a boolean, naming the key', () => {
    expect(() => buildKeygate({ bundle: false, context: { 'keygate:usageAnalytics': 'yes' } })).toThrow(/keygate:usageAnalytics/);
  });

  it('publishes the bucket, workgroup, database and table names', () => {
    k.template.hasOutput('UsageBucketName', { Value: bucketRef() });
    k.template.hasOutput('AthenaWorkGroup', { Value: ref(k.stack, analytics().workGroup.ref) });
    k.template.hasOutput('GlueDatabase', { Value: ref(k.stack, analytics().database.databaseName) });
    k.template.hasOutput('GlueTable', { Value: ref(k.stack, analytics().table.tableName) });
  });
});

describe('named query SQL on DuckDB (the local engine)', () => {
  it('runs every report unchanged once its days are filled, with the expected counts', async () => {
    // Prepare: a table shaped like the Glue table, with records on two days
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const sqlType = { string: 'VARCHAR', bigint: 'BIGINT', int: 'INTEGER' } as const;
    await c.run(`CREATE TABLE ${USAGE_TABLE_NAME} (${USAGE_FIELDS.map((f) => `${f.name} ${sqlType[f.type]}`).join(', ')}, dt VARCHAR)`);
    const rows: [Record<string, string | number>, string][] = [
      [{ keyId: 'k1', ownerId: 'o1', method: 'GET', route: '/v1/echo', status: 200, decision: 'VALID', authorizerLatencyMs: '4' }, '2026-03-02'],
      [{ keyId: 'k1', ownerId: 'o1', method: 'GET', route: '/v1/echo', status: 429, errorType: 'INVALID_API_KEY', decision: 'RATE_LIMITED' }, '2026-03-02'],
      [{ keyId: 'k2', ownerId: 'o2', method: 'GET', route: '/v1/echo', status: 429, errorType: 'THROTTLED' }, '2026-03-02'],
      [{ method: 'GET', route: '/v1/echo', status: 401, errorType: 'UNAUTHORIZED', sourceIp: '203.0.113.9' }, '2026-03-02'],
      [{ keyId: 'k1', ownerId: 'o1', method: 'GET', route: '/v1/echo', status: 500 }, '2026-03-01'],
    ];
    for (const [values, dt] of rows) {
      const r = usageRecord(values);
      await c.run(
        `INSERT INTO ${USAGE_TABLE_NAME} VALUES (${USAGE_FIELDS.map((f) => (f.type === 'string' ? `'${String(r[f.name])}'` : String(r[f.name]))).join(', ')}, '${dt}')`,
      );
    }
    const run = async (id: string, days: Record<string, string>) => {
      const q = USAGE_NAMED_QUERIES.find((x) => x.id === id)!;
      return (await c.runAndReadAll(fillUsageQuery(q, USAGE_TABLE_NAME, days))).getRowObjectsJson();
    };

    // Act
    const byDay = await run('requests-by-day-and-route', { from: '2026-03-01', to: '2026-03-02' });
    const topKeys = await run('top-keys-by-requests', { day: '2026-03-02' });
    const limited = await run('rate-limited-by-cause', { from: '2026-03-02', to: '2026-03-02' });
    const failed = await run('failed-authentication-by-source-ip', { day: '2026-03-02' });

    // Assess
    expect(byDay.map((r) => [r.dt, Number(r.requests), Number(r.client_errors), Number(r.server_errors)])).toEqual([
      ['2026-03-01', 1, 0, 1],
      ['2026-03-02', 4, 3, 0],
    ]);
    expect(topKeys.map((r) => [r.key_id, Number(r.requests), Number(r.limited)])).toEqual([
      ['k1', 2, 1],
      ['k2', 1, 1],
    ]);
    expect(limited.map((r) => [r.cause, r.decision]).sort()).toEqual([
      ['keygate-limit', 'RATE_LIMITED'],
      ['stage-throttle', null],
    ]);
    expect(failed.map((r) => [r.sourceIp, Number(r.failures)])).toEqual([['203.0.113.9', 1]]);
    c.closeSync();
  });

  it('refuses to fill a placeholder with anything but a day', () => {
    const q = USAGE_NAMED_QUERIES.find((x) => x.id === 'top-keys-by-requests')!;
    expect(() => fillUsageQuery(q, USAGE_TABLE_NAME, { day: "2026-01-01' OR '1'='1" })).toThrow(/\{\{day\}\}/);
    expect(() => fillUsageQuery(q, USAGE_TABLE_NAME, {})).toThrow(/\{\{day\}\}/);
  });
});
