import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../adapters/eventbridge-event-sink';
import { KEY_LEAKED_EVENT } from '../core/leak-response';

/** Prefix of the exported audit events (`audit/dt=YYYY-MM-DD/...`, GZIP JSON lines). */
export const AUDIT_EXPORT_PREFIX = 'audit/';
/** Prefix of records Firehose could not deliver or process. */
export const AUDIT_EXPORT_ERROR_PREFIX = 'audit-errors/';
/** Every audit entry is published as `keygate.audit.<action>` (core/audit.ts `auditEventType`). */
export const AUDIT_EVENT_TYPE_PREFIX = 'keygate.audit.';
/** The detail types the export rule takes: every audit event, and the leak notice of each revoked key. */
export const AUDIT_EXPORT_DETAIL_TYPES = [{ prefix: AUDIT_EVENT_TYPE_PREFIX }, KEY_LEAKED_EVENT] as const;

export interface AuditExportProps {
  /** The bus the keys Lambda publishes audit events on (source `keygate`). */
  readonly eventBus: events.IEventBus;
  /**
   * Where the events land, under `audit/` and `audit-errors/`. KeygateStack passes the usage
   * bucket, so the operator has one bucket for usage and audit data.
   */
  readonly bucket: s3.IBucket;
  /**
   * How long Firehose buffers before it writes an object (60 s to 900 s). Audit events are few,
   * so the longest interval keeps the object count (and Athena's per-file overhead) low; the
   * DynamoDB audit log is the live copy.
   *
   * @default Duration.seconds(900)
   */
  readonly bufferInterval?: Duration;
}

/**
 * The audit log's archive copy: an EventBridge rule on the Keygate bus takes every audit event
 * (`source` `keygate`, `detail-type` starting `keygate.audit.`, and `keygate.key.leaked`) and
 * hands the whole event to a Firehose delivery stream, which writes GZIP-compressed JSON lines
 * (one EventBridge event per line, the entry in `detail`) under
 * `audit/dt=YYYY-MM-DD/` of the bucket. DynamoDB expires entries after
 * `keygate:auditRetentionDays`; the objects here stay until the operator's own lifecycle rule
 * removes them.
 *
 * - No dynamic partitioning (it costs extra and can only be set when a stream is created):
 *   `!{timestamp:yyyy-MM-dd}` is the UTC day Firehose received the event.
 * - Firehose concatenates records as they arrive; the `AppendDelimiterToRecord` processor adds
 *   the newline that makes each object JSON lines.
 * - Roles: EventBridge may only `firehose:PutRecord`/`PutRecordBatch` on this stream; Firehose
 *   may only write objects under its two prefixes of the bucket.
 */
export class AuditExport extends Construct {
  public readonly rule: events.Rule;
  public readonly deliveryStream: firehose.CfnDeliveryStream;
  public readonly deliveryStreamRole: iam.Role;
  /** The role EventBridge assumes to put the matched events into the stream. */
  public readonly ruleRole: iam.Role;

  constructor(scope: Construct, id: string, props: AuditExportProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const interval = (props.bufferInterval ?? Duration.seconds(900)).toSeconds();
    if (interval < 60 || interval > 900) throw new Error(`AuditExport: bufferInterval must be 60 to 900 seconds (got ${interval})`);
    const sourceAccount = { StringEquals: { 'aws:SourceAccount': stack.account } };

    // --- delivery stream -----------------------------------------------------------------
    this.deliveryStreamRole = new iam.Role(this, 'DeliveryStreamRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: sourceAccount }),
      description: 'Keygate audit export: writes audit events under audit/ of the usage bucket',
    });
    // The S3 destination permissions AWS lists for Firehose, objects limited to the two prefixes.
    this.deliveryStreamRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [props.bucket.bucketArn],
      }),
    );
    this.deliveryStreamRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: [props.bucket.arnForObjects(`${AUDIT_EXPORT_PREFIX}*`), props.bucket.arnForObjects(`${AUDIT_EXPORT_ERROR_PREFIX}*`)],
      }),
    );
    const bucketFinding = bucketArnFinding(props.bucket);
    for (const prefix of [AUDIT_EXPORT_PREFIX, AUDIT_EXPORT_ERROR_PREFIX]) {
      Validations.of(this.deliveryStreamRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${bucketFinding}/${prefix}*]`,
        reason: 'Firehose names each object itself (date prefix plus a generated name), so the audit export may write any object under its own prefix of the bucket, and no other prefix; it cannot read or write usage data.',
      });
    }

    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'DirectPut',
      // Encrypts the records while Firehose holds them (cdk-nag KDF1); S3 encrypts them at rest.
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: props.bucket.bucketArn,
        roleArn: this.deliveryStreamRole.roleArn,
        prefix: `${AUDIT_EXPORT_PREFIX}dt=!{timestamp:yyyy-MM-dd}/`,
        errorOutputPrefix: `${AUDIT_EXPORT_ERROR_PREFIX}!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`,
        bufferingHints: { sizeInMBs: 64, intervalInSeconds: interval },
        compressionFormat: 'GZIP',
        processingConfiguration: {
          enabled: true,
          processors: [{ type: 'AppendDelimiterToRecord' }],
        },
      },
    });
    // The role's policy must exist before Firehose validates the destination.
    this.deliveryStream.node.addDependency(this.deliveryStreamRole);

    // --- rule ------------------------------------------------------------------------------
    this.ruleRole = new iam.Role(this, 'RuleRole', {
      // aws:SourceArn would name the rule, whose target names this role: a cycle. The account
      // condition keeps other accounts' rules out.
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', { conditions: sourceAccount }),
      description: 'Keygate audit export: EventBridge puts audit events into the audit delivery stream',
    });
    this.ruleRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [this.deliveryStream.attrArn],
      }),
    );

    this.rule = new events.Rule(this, 'Rule', {
      eventBus: props.eventBus,
      description: 'Keygate audit export: every keygate.audit.* and keygate.key.leaked event to the audit delivery stream',
      eventPattern: {
        source: [EVENT_SOURCE],
        detailType: events.Match.anyOf(...AUDIT_EXPORT_DETAIL_TYPES.map((t) => (typeof t === 'string' ? t : events.Match.prefix(t.prefix)))),
      },
    });
    const stream = this.deliveryStream;
    const role = this.ruleRole;
    this.rule.addTarget({ bind: () => ({ arn: stream.attrArn, role }) });
  }
}

/** How cdk-nag spells a bucket ARN in an IAM5 finding: `<LogicalId.Arn>`. */
function bucketArnFinding(bucket: s3.IBucket): string {
  const cfn = bucket.node.defaultChild as s3.CfnBucket | undefined;
  if (!cfn) throw new Error('AuditExport: the bucket must be defined in this app (its IAM5 acknowledgements name its logical id)');
  return `<${Stack.of(cfn).getLogicalId(cfn)}.Arn>`;
}
