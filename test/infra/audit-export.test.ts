/**
 * The audit export (lib/audit-export.ts): every audit event on the Keygate bus reaches the usage
 * bucket under audit/, through roles that can do that and nothing else.
 */
import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../adapters/eventbridge-event-sink';
import { AUDIT_ACTIONS, auditEventType } from '../../core/audit';
import { KEY_LEAKED_EVENT } from '../../core/leak-response';
import { AUDIT_EVENT_TYPE_PREFIX, AUDIT_EXPORT_ERROR_PREFIX, AUDIT_EXPORT_PREFIX } from '../../lib/audit-export';
import { actionsOf, buildKeygate, type BuiltKeygate, logicalIdOf, ref, removeBuilds, resourcesOf, roleStatements, type Statement } from './keygate-app';

let k: BuiltKeygate;
beforeAll(() => {
  k = buildKeygate({ bundle: false });
});
afterAll(removeBuilds);

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };
const resourceOf = (b: BuiltKeygate, construct: { node: { defaultChild?: unknown } } | CfnElement): Resource => {
  const cfn = ('node' in construct && (construct as { node: { defaultChild?: unknown } }).node.defaultChild) || construct;
  return b.template.toJSON().Resources[b.stack.getLogicalId(cfn as CfnElement)] as Resource;
};
const exporter = () => k.stack.auditExport!;

/**
 * EventBridge's matching for the shapes the rule uses: each listed field must match one entry,
 * an entry being an exact string or `{prefix}`. Enough to show which events the rule takes.
 */
function matches(pattern: Record<string, (string | { prefix: string })[]>, event: Record<string, string>): boolean {
  return Object.entries(pattern).every(([field, allowed]) => {
    const value = event[field];
    if (value === undefined) return false;
    return allowed.some((a) => (typeof a === 'string' ? a === value : value.startsWith(a.prefix)));
  });
}

describe('audit export rule', () => {
  const pattern = () => resourceOf(k, exporter().rule).Properties.EventPattern as Record<string, (string | { prefix: string })[]>;

  it('listens on the Keygate bus for source keygate, detail-type keygate.audit.* and keygate.key.leaked', () => {
    const rule = resourceOf(k, exporter().rule);
    expect(rule.Properties.EventBusName).toEqual(ref(k.stack, k.stack.notifications.bus.eventBusName));
    expect(rule.Properties.State).toBe('ENABLED');
    expect(pattern()).toEqual({ source: ['keygate'], 'detail-type': [{ prefix: 'keygate.audit.' }, 'keygate.key.leaked'] });
  });

  it('takes every event the service publishes for an audit entry or a leaked key, and no other Keygate event', () => {
    // Prepare: the detail types as the service builds them (core/audit.ts, core/leak-response.ts)
    const wanted = [...AUDIT_ACTIONS.map((action) => auditEventType({ action })), KEY_LEAKED_EVENT];
    const others = ['keygate.quota.warning', 'keygate.usage.anomaly', 'keygate.key.expiring', 'keygate.auditx', 'other.keygate.audit.key.created'];
    const event = (type: string, source = EVENT_SOURCE) => ({ source, 'detail-type': type });

    // Assess
    expect(AUDIT_ACTIONS.length).toBeGreaterThanOrEqual(5);
    for (const type of wanted) expect(matches(pattern(), event(type)), type).toBe(true);
    for (const type of others) expect(matches(pattern(), event(type)), type).toBe(false);
    expect(matches(pattern(), event(auditEventType({ action: 'key.created' }), 'not-keygate'))).toBe(false);
    expect(AUDIT_EVENT_TYPE_PREFIX).toBe('keygate.audit.');
  });

  it('sends the whole event to the audit delivery stream with its own role', () => {
    const targets = resourceOf(k, exporter().rule).Properties.Targets as { Arn: unknown; RoleArn: unknown; Input?: unknown; InputTransformer?: unknown }[];
    expect(targets).toHaveLength(1);
    expect(targets[0]!.Arn).toEqual(ref(k.stack, exporter().deliveryStream.attrArn));
    expect(targets[0]!.RoleArn).toEqual(ref(k.stack, exporter().ruleRole.roleArn));
    // the whole event (id, time, detail-type, detail) is the archived line
    expect(targets[0]!.Input).toBeUndefined();
    expect(targets[0]!.InputTransformer).toBeUndefined();
  });
});

describe('audit delivery stream', () => {
  it('writes GZIP JSON lines under audit/dt=<arrival day>/ of the usage bucket, errors under audit-errors/', () => {
    expect([AUDIT_EXPORT_PREFIX, AUDIT_EXPORT_ERROR_PREFIX]).toEqual(['audit/', 'audit-errors/']);
    const stream = resourceOf(k, exporter().deliveryStream);
    expect(stream.Properties).toMatchObject({
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: {
        BucketARN: ref(k.stack, k.stack.usageAnalytics!.bucket.bucketArn),
        RoleARN: ref(k.stack, exporter().deliveryStreamRole.roleArn),
        Prefix: 'audit/dt=!{timestamp:yyyy-MM-dd}/',
        ErrorOutputPrefix: 'audit-errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        CompressionFormat: 'GZIP',
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 900 },
        // one event per line
        ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord' }] },
      },
    });
    const destination = stream.Properties.ExtendedS3DestinationConfiguration as Record<string, unknown>;
    // no format conversion, no dynamic partitioning (extra cost, fixed at creation)
    expect(destination.DataFormatConversionConfiguration).toBeUndefined();
    expect(destination.DynamicPartitioningConfiguration).toBeUndefined();
    // its name is CloudFormation's, unique per stack; API Gateway does not write to it
    expect(stream.Properties.DeliveryStreamName).toBeUndefined();
    // the role's policy exists before Firehose checks the destination
    expect(stream.DependsOn).toEqual(expect.arrayContaining([logicalIdOf(ref(k.stack, exporter().deliveryStreamRole.roleArn))]));
  });
});

describe('audit export roles', () => {
  const rows = (roleArn: string): string[] =>
    roleStatements(k.template, logicalIdOf(ref(k.stack, roleArn)))
      .statements.flatMap((s: Statement) => actionsOf(s).flatMap((a) => resourcesOf(s).map((r) => JSON.stringify([s.Effect, a, r, s.Condition ?? null]))))
      .sort();
  const row = (action: string, resource: unknown) => JSON.stringify(['Allow', action, resource, null]);
  const objects = (prefix: string) => ref(k.stack, k.stack.usageAnalytics!.bucket.arnForObjects(`${prefix}*`));

  it('EventBridge may only put records into the audit stream', () => {
    const stream = ref(k.stack, exporter().deliveryStream.attrArn);
    expect(rows(exporter().ruleRole.roleArn)).toEqual([row('firehose:PutRecord', stream), row('firehose:PutRecordBatch', stream)].sort());
    expect(roleStatements(k.template, logicalIdOf(ref(k.stack, exporter().ruleRole.roleArn))).managedPolicyArns).toEqual([]);
    k.template.hasResourceProperties('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('EventBridge puts audit events'),
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
        Version: '2012-10-17',
      },
    });
  });

  it('Firehose may only write objects under audit/ and audit-errors/, and never touch usage data', () => {
    const bucket = ref(k.stack, k.stack.usageAnalytics!.bucket.bucketArn);
    expect(rows(exporter().deliveryStreamRole.roleArn)).toEqual(
      [
        row('s3:GetBucketLocation', bucket),
        row('s3:ListBucket', bucket),
        row('s3:ListBucketMultipartUploads', bucket),
        ...['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'].flatMap((a) => [row(a, objects('audit/')), row(a, objects('audit-errors/'))]),
      ].sort(),
    );
    const text = JSON.stringify(rows(exporter().deliveryStreamRole.roleArn));
    for (const other of ['/usage/', '/usage-errors/', '/athena-results/']) expect(text).not.toContain(other);
    expect(roleStatements(k.template, logicalIdOf(ref(k.stack, exporter().deliveryStreamRole.roleArn))).managedPolicyArns).toEqual([]);
    k.template.hasResourceProperties('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('audit export: writes'),
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'firehose.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } })],
      }),
    });
  });

  it('the usage stream cannot write under audit/, nor the keys Lambda put records into the audit stream', () => {
    const usage = JSON.stringify(rows(k.stack.usageAnalytics!.deliveryStreamRole.roleArn));
    expect(usage).not.toContain('/audit');
    const keys = roleStatements(k.template, logicalIdOf(ref(k.stack, k.stack.managementApi.keysFunction.role!.roleArn))).statements;
    expect(keys.flatMap(actionsOf).filter((a) => a.startsWith('firehose:'))).toEqual([]);
  });
});

// The Notifications construct has rules of its own on the bus (one per notification message).
const auditRules = (b: { template: { findResources(type: string): Record<string, unknown> } }) => Object.keys(b.template.findResources('AWS::Events::Rule')).filter((id) => id.startsWith('AuditExport'));

describe('keygate:auditExport', () => {
  it('is on by default with usage analytics, and the bucket output says where audit events go', () => {
    expect(k.stack.auditExport).toBeDefined();
    expect(auditRules(k)).toHaveLength(1);
    expect(JSON.stringify(k.template.toJSON().Outputs.UsageBucketName.Description)).toContain('audit/dt=YYYY-MM-DD/');
  });

  it('false builds no rule, stream or roles for it', () => {
    const off = buildKeygate({ bundle: false, context: { 'keygate:auditExport': 'false' } });
    expect(off.stack.auditExport).toBeUndefined();
    expect(auditRules(off)).toEqual([]);
    off.template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1); // the usage stream only
    expect(Object.keys(off.template.toJSON().Resources).filter((id) => id.startsWith('AuditExport'))).toEqual([]);
    expect(JSON.stringify(off.template.toJSON().Outputs.UsageBucketName.Description)).not.toContain('audit/');
  });

  it('is off with usage analytics off (there is no bucket), and asking for it then fails synthesis', () => {
    const noAnalytics = buildKeygate({ bundle: false, context: { 'keygate:usageAnalytics': false } });
    expect(noAnalytics.stack.auditExport).toBeUndefined();
    expect(auditRules(noAnalytics)).toEqual([]);
    expect(() => buildKeygate({ bundle: false, context: { 'keygate:usageAnalytics': false, 'keygate:auditExport': true } })).toThrow(
      /keygate:auditExport needs keygate:usageAnalytics/,
    );
  });

  it('rejects a value that is not a boolean', () => {
    expect(() => buildKeygate({ bundle: false, context: { 'keygate:auditExport': 'yes' } })).toThrow(/keygate:auditExport must be true or false/);
  });
});
