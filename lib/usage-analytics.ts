import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { INFRA_ENV } from '../core/config';
import { USAGE_NAMED_QUERIES, type UsageNamedQuery } from '../core/usage-named-queries';
import { USAGE_FIELDS, USAGE_PARTITION, USAGE_TABLE_NAME, type UsageColumnType } from '../core/usage-record';
import { API_GATEWAY_FIREHOSE_PREFIX } from './physical-names';

/** Prefix of the Parquet usage objects (`usage/dt=YYYY-MM-DD/...`). */
export const USAGE_PREFIX = 'usage/';
/** Prefix of records Firehose could not convert or deliver. */
export const USAGE_ERROR_PREFIX = 'usage-errors/';
/** Prefix of Athena query results. */
export const ATHENA_RESULTS_PREFIX = 'athena-results/';
/** Name of the Glue table (inside the per-stack database), defined with the record. */
export { USAGE_TABLE_NAME };

export const DEFAULT_USAGE_RETENTION_DAYS = 400;
/** 10 GB. */
export const DEFAULT_ATHENA_BYTES_SCANNED_CUTOFF = 10_000_000_000;
/** Athena's minimum for `BytesScannedCutoffPerQuery`. */
export const MIN_ATHENA_BYTES_SCANNED_CUTOFF = 10_000_000;

/** First day partition projection offers; earlier days hold no Keygate data. */
const PROJECTION_START = '2024-01-01';

const GLUE_TYPES: Readonly<Record<UsageColumnType, glue.Type>> = {
  string: glue.Schema.STRING,
  bigint: glue.Schema.BIG_INT,
  int: glue.Schema.INTEGER,
};

export interface UsageAnalyticsProps {
  /** Delivery stream name; must start with `amazon-apigateway-` (API Gateway refuses any other). */
  readonly deliveryStreamName: string;
  /** Glue database name (lower case, unique per account and Region). */
  readonly databaseName: string;
  /** Athena workgroup name (unique per account and Region). */
  readonly workGroupName: string;
  /**
   * Days a usage object (and an error object) is kept before S3 expires it.
   *
   * @default 400
   */
  readonly retentionDays?: number;
  /**
   * Athena cancels a query in the workgroup once it has scanned this many bytes (min 10,000,000).
   *
   * @default 10 GB
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * Days an Athena result object is kept.
   *
   * @default 30
   */
  readonly resultRetentionDays?: number;
}

/**
 * Usage analytics: the stage access log (one usage record per request, core/usage-record.ts)
 * goes to a Firehose delivery stream, which converts it to Parquet with the Glue table's schema
 * and writes it under `usage/dt=YYYY-MM-DD/` in the usage bucket; Athena queries it through a
 * workgroup with a scan cutoff and the named reports of core/usage-named-queries.ts.
 *
 * - Bucket: SSE-S3. The records are request metadata (key ids, routes, client addresses), not
 *   secrets, and a KMS key would add a key policy for Firehose, Athena and every reader plus a
 *   KMS request per object for no gain in who can read them (that is the bucket's IAM).
 *   Athena results go to `athena-results/` in the same bucket, SSE-S3, expiring after 30 days:
 *   one bucket, one place to secure, separate lifecycle rules per prefix.
 * - No crawler: the table is defined from `USAGE_FIELDS`, and partition projection on `dt`
 *   means no partition is ever registered.
 * - The stream has no dynamic partitioning (it costs extra and can only be set at creation):
 *   `!{timestamp:yyyy-MM-dd}` is Firehose's arrival day in UTC, which is the `dt` column.
 */
export class UsageAnalytics extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly database: glue.Database;
  public readonly table: glue.S3Table;
  public readonly deliveryStream: firehose.CfnDeliveryStream;
  public readonly deliveryStreamRole: iam.Role;
  public readonly workGroup: athena.CfnWorkGroup;
  public readonly namedQueries: readonly athena.CfnNamedQuery[];

  constructor(scope: Construct, id: string, props: UsageAnalyticsProps) {
    super(scope, id);
    if (!props.deliveryStreamName.startsWith(API_GATEWAY_FIREHOSE_PREFIX) || props.deliveryStreamName.length > 64) {
      throw new Error(`UsageAnalytics: deliveryStreamName must start with ${API_GATEWAY_FIREHOSE_PREFIX} and have at most 64 characters (got ${props.deliveryStreamName})`);
    }
    const retentionDays = props.retentionDays ?? DEFAULT_USAGE_RETENTION_DAYS;
    const cutoff = props.bytesScannedCutoffPerQuery ?? DEFAULT_ATHENA_BYTES_SCANNED_CUTOFF;
    if (cutoff < MIN_ATHENA_BYTES_SCANNED_CUTOFF) throw new Error(`UsageAnalytics: bytesScannedCutoffPerQuery must be at least ${MIN_ATHENA_BYTES_SCANNED_CUTOFF}`);

    // --- bucket ----------------------------------------------------------------------------
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Keygate's usual retain: kept on delete and replacement, removed only if the first
      // create rolls back (nothing can have been delivered yet then).
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      lifecycleRules: [
        { id: 'ExpireUsage', prefix: USAGE_PREFIX, expiration: Duration.days(retentionDays) },
        { id: 'ExpireUsageErrors', prefix: USAGE_ERROR_PREFIX, expiration: Duration.days(retentionDays) },
        { id: 'ExpireAthenaResults', prefix: ATHENA_RESULTS_PREFIX, expiration: Duration.days(props.resultRetentionDays ?? 30) },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The usage bucket is written only by Keygate\'s Firehose roles (usage records, and audit events when the audit export is on, each under its own prefixes) and read through the Athena workgroup; all are IAM-controlled and their API calls are in CloudTrail. A server-access-log bucket would be a second bucket holding a log of the log.',
    });

    // --- Glue database and table (schema from USAGE_FIELDS) ---------------------------------
    this.database = new glue.Database(this, 'Database', {
      databaseName: props.databaseName,
      description: 'Keygate usage records (one per API request)',
      // Catalog metadata only, rebuilt from USAGE_FIELDS; the records stay in the retained bucket.
      // Retaining it would make a redeploy of the same stack name fail on the existing name.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const bucketUrl = `s3://${this.bucket.bucketName}/${USAGE_PREFIX}`;
    this.table = new glue.S3Table(this, 'Table', {
      database: this.database,
      tableName: USAGE_TABLE_NAME,
      description: 'Keygate usage records as Parquet, written by Firehose from the stage access log (core/usage-record.ts)',
      columns: USAGE_FIELDS.map((f) => ({ name: f.name, type: GLUE_TYPES[f.type], comment: f.meaning.slice(0, 255) })),
      partitionKeys: [{ name: USAGE_PARTITION.name, type: glue.Schema.STRING, comment: 'UTC day the record was delivered, YYYY-MM-DD' }],
      dataFormat: glue.DataFormat.PARQUET,
      // SSE-S3 objects are decrypted by S3 itself; the flag is for client-side (CSE-KMS) data.
      hasEncryptedData: false,
      storage: glue.S3TableStorage.fromBucket(this.bucket),
      s3Prefix: USAGE_PREFIX,
      partitionProjection: {
        [USAGE_PARTITION.name]: glue.PartitionProjectionConfiguration.date({
          min: PROJECTION_START,
          max: 'NOW',
          format: USAGE_PARTITION.format,
          step: { interval: 1, intervalUnit: glue.DateIntervalUnit.DAYS },
        }),
      },
      parameters: {
        'storage.location.template': `${bucketUrl}${USAGE_PARTITION.name}=\${${USAGE_PARTITION.name}}/`,
      },
    });

    // --- delivery stream ---------------------------------------------------------------------
    const stack = Stack.of(this);
    const catalogArn = stack.formatArn({ service: 'glue', resource: 'catalog' });
    const tableArn = this.table.tableArn;
    this.deliveryStreamRole = new iam.Role(this, 'DeliveryStreamRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Keygate usage delivery stream: reads the usage table schema, writes Parquet to the usage bucket',
    });
    // Record format conversion reads the table schema (AWS, "Firehose: record format conversion").
    this.deliveryStreamRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
        resources: [catalogArn, this.database.databaseArn, tableArn],
      }),
    );
    // The S3 destination permissions AWS lists for Firehose, objects limited to its two prefixes.
    this.deliveryStreamRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [this.bucket.bucketArn],
      }),
    );
    const streamObjects = [this.bucket.arnForObjects(`${USAGE_PREFIX}*`), this.bucket.arnForObjects(`${USAGE_ERROR_PREFIX}*`)];
    this.deliveryStreamRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: streamObjects,
      }),
    );
    for (const finding of [`Resource::${this.bucketArnFinding()}/${USAGE_PREFIX}*`, `Resource::${this.bucketArnFinding()}/${USAGE_ERROR_PREFIX}*`]) {
      Validations.of(this.deliveryStreamRole).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason: 'Firehose names each object itself (date prefix plus a generated name), so the write permission covers every object under its own prefix of the usage bucket, and no other prefix.',
      });
    }

    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamName: props.deliveryStreamName,
      deliveryStreamType: 'DirectPut',
      // Encrypts the records while Firehose holds them (cdk-nag KDF1); S3 encrypts them at rest.
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: this.deliveryStreamRole.roleArn,
        prefix: `${USAGE_PREFIX}${USAGE_PARTITION.name}=!{timestamp:${USAGE_PARTITION.format}}/`,
        errorOutputPrefix: `${USAGE_ERROR_PREFIX}!{firehose:error-output-type}/${USAGE_PARTITION.name}=!{timestamp:${USAGE_PARTITION.format}}/`,
        // Parquet conversion needs a buffer of at least 64 MiB; 300 s bounds the delay.
        bufferingHints: { sizeInMBs: 64, intervalInSeconds: 300 },
        // Parquet compresses itself (Snappy); S3-level compression must stay off with conversion.
        compressionFormat: 'UNCOMPRESSED',
        dataFormatConversionConfiguration: {
          enabled: true,
          inputFormatConfiguration: { deserializer: { openXJsonSerDe: {} } },
          outputFormatConfiguration: { serializer: { parquetSerDe: { compression: 'SNAPPY' } } },
          schemaConfiguration: {
            catalogId: stack.account,
            region: stack.region,
            databaseName: this.database.databaseName,
            tableName: this.table.tableName,
            roleArn: this.deliveryStreamRole.roleArn,
            versionId: 'LATEST',
          },
        },
      },
    });
    // The role's policy must exist before Firehose validates the destination.
    this.deliveryStream.node.addDependency(this.deliveryStreamRole);

    // --- Athena ----------------------------------------------------------------------------
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName,
      description: 'Keygate usage reports (named queries in core/usage-named-queries.ts)',
      state: 'ENABLED',
      // The workgroup is the stack's: deleting the stack deletes its saved queries and history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff,
        resultConfiguration: {
          outputLocation: `s3://${this.bucket.bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    this.namedQueries = USAGE_NAMED_QUERIES.map((q: UsageNamedQuery) => {
      const query = new athena.CfnNamedQuery(this, pascal(q.id), {
        name: q.name,
        description: q.description,
        database: this.database.databaseName,
        workGroup: this.workGroup.ref,
        queryString: q.sql(USAGE_TABLE_NAME),
      });
      // A named query in a workgroup needs the workgroup first (Ref gives that) and the database.
      query.node.addDependency(this.database);
      return query;
    });
  }

  /**
   * Lets `grantee` run the usage reports: on the workgroup `athena:StartQueryExecution`,
   * `athena:GetQueryExecution`, `athena:GetQueryResults`, `athena:StopQueryExecution`,
   * `athena:GetWorkGroup`; `glue:GetDatabase`, `glue:GetTable`, `glue:GetPartitions` on the
   * catalog, database and table; `s3:GetBucketLocation` and `s3:ListBucket` on the bucket,
   * `s3:GetObject` on `usage/*`, and `s3:GetObject`, `s3:PutObject`, `s3:AbortMultipartUpload`
   * on `athena-results/*` (Athena writes results as the caller). No KMS: the bucket is SSE-S3.
   */
  public grantQuery(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    const workGroupArn = stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroup.ref });
    const grants = [
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
        resourceArns: [workGroupArn],
      }),
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resourceArns: [stack.formatArn({ service: 'glue', resource: 'catalog' }), this.database.databaseArn, this.table.tableArn],
      }),
      iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetBucketLocation', 's3:ListBucket'], resourceArns: [this.bucket.bucketArn] }),
      iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.bucket.arnForObjects(`${USAGE_PREFIX}*`)] }),
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
        resourceArns: [this.bucket.arnForObjects(`${ATHENA_RESULTS_PREFIX}*`)],
      }),
    ];
    return grants.reduce((a, b) => a.combine(b));
  }

  /**
   * Makes `fn` able to answer usage reports: sets the environment the report engine reads
   * (`KEYGATE_ATHENA_WORKGROUP`, `KEYGATE_USAGE_DATABASE`, `KEYGATE_USAGE_TABLE`) and grants
   * {@link grantQuery}. Used for the usage Lambda and for the keys Lambda (a key's history).
   */
  public bindReports(fn: lambda.Function): iam.Grant {
    fn.addEnvironment(INFRA_ENV.athenaWorkGroup, this.workGroup.ref);
    fn.addEnvironment(INFRA_ENV.usageDatabase, this.database.databaseName);
    fn.addEnvironment(INFRA_ENV.usageTable, this.table.tableName);
    const grant = this.grantQuery(fn);
    const reasons: Record<string, string> = {
      [USAGE_PREFIX]: 'Athena reads the usage objects as the caller, and Firehose names them itself (date prefix plus a generated name), so reading covers every object under the usage prefix, read-only, and no other prefix.',
      [ATHENA_RESULTS_PREFIX]: 'Athena writes each query result under a name it generates (the query execution id) as the caller, so results need put/get on every object under the results prefix of the usage bucket, and no other prefix.',
    };
    for (const [prefix, reason] of Object.entries(reasons)) {
      Validations.of(fn.role ?? fn).acknowledge({ id: `AwsSolutions-IAM5[Resource::${this.bucketArnFinding()}/${prefix}*]`, reason });
    }
    return grant;
  }

  /** How cdk-nag spells the bucket ARN in an IAM5 finding: `<LogicalId.Arn>`. */
  private bucketArnFinding(): string {
    return `<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
  }
}

function pascal(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_m, _d: string, c: string) => c.toUpperCase()) + 'Query';
}
