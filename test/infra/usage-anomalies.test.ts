/**
 * UsageAnomalies in a stack with the constructs it is wired to (KeyStore, Notifications,
 * UsageAnalytics): the schedule, its target and role, the function's IAM, and cdk-nag.
 */
import { App, type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { INFRA_ENV } from '../../core/config';
import { ANOMALY_THRESHOLDS_ENV, DEFAULT_ANOMALY_THRESHOLDS } from '../../core/usage-anomalies';
import { KeyStore } from '../../lib/key-store';
import { Notifications } from '../../lib/notifications';
import { UsageAnalytics } from '../../lib/usage-analytics';
import { UsageAnomalies, type UsageAnomaliesProps } from '../../lib/usage-anomalies';
import { actionsOf, ref, roleStatements, type Statement } from './keygate-app';

interface Built {
  app: App;
  stack: Stack;
  anomalies: UsageAnomalies;
  analytics: UsageAnalytics;
  keyStore: KeyStore;
  notifications: Notifications;
  template: Template;
}
const apps: App[] = [];

function build(props: Partial<UsageAnomaliesProps> = {}, bundle = false): Built {
  const app = new App(bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  apps.push(app);
  const stack = new Stack(app, 'Anomalies');
  const keyStore = new KeyStore(stack, 'KeyStore');
  const notifications = new Notifications(stack, 'Notifications');
  const analytics = new UsageAnalytics(stack, 'UsageAnalytics', { deliveryStreamName: 'amazon-apigateway-Anomalies', databaseName: 'anomalies_usage', workGroupName: 'anomalies-usage' });
  const anomalies = new UsageAnomalies(stack, 'UsageAnomalies', { usageAnalytics: analytics, notifications, keyStore, ...props });
  return { app, stack, anomalies, analytics, keyStore, notifications, template: Template.fromStack(stack) };
}

let b: Built;
beforeAll(() => {
  b = build({}, true);
});
afterAll(() => {
  for (const app of apps.splice(0)) rmSync(app.outdir, { recursive: true, force: true });
});

const roleId = (role: unknown) => b.stack.getLogicalId((role as { node: { defaultChild: CfnElement } }).node.defaultChild);
const functionStatements = (): Statement[] => roleStatements(b.template, roleId(b.anomalies.function.role)).statements;

describe('anomaly schedule', () => {
  it('runs at minute 15 of every hour in UTC, with no flexible window, and passes the scheduled time', () => {
    b.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(15 * * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: ref(b.stack, b.anomalies.function.functionArn),
        RoleArn: ref(b.stack, b.anomalies.schedulerRole.roleArn),
        Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}',
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      },
    });
  });

  it('takes another schedule expression and refuses one that is not', () => {
    expect(build({ schedule: 'rate(30 minutes)' }).template.findResources('AWS::Scheduler::Schedule', { Properties: { ScheduleExpression: 'rate(30 minutes)' } })).not.toEqual({});
    expect(() => build({ schedule: 'every hour' })).toThrow(/UsageAnomalies: schedule must be an EventBridge Scheduler expression/);
  });

  it('gives the scheduler role only lambda:InvokeFunction on this function, assumable by Scheduler of this account', () => {
    const { statements, managedPolicyArns } = roleStatements(b.template, roleId(b.anomalies.schedulerRole));
    expect(managedPolicyArns).toEqual([]);
    expect(statements).toEqual([{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: ref(b.stack, b.anomalies.function.functionArn) }]);
    b.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } })],
      },
    });
  });
});

describe('anomaly function', () => {
  it('runs the anomalies handler for up to 5 minutes with the tables, bus, workgroup and thresholds in its environment', () => {
    b.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Timeout: 300,
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({
          [INFRA_ENV.tableName]: ref(b.stack, b.keyStore.table.tableName),
          [INFRA_ENV.counterTableName]: ref(b.stack, b.keyStore.counterTable.tableName),
          [INFRA_ENV.eventBusName]: ref(b.stack, b.notifications.bus.eventBusName),
          [INFRA_ENV.athenaWorkGroup]: ref(b.stack, b.analytics.workGroup.ref),
          [INFRA_ENV.usageTable]: ref(b.stack, b.analytics.table.tableName),
          [INFRA_ENV.usageDatabase]: ref(b.stack, b.analytics.database.databaseName),
          [ANOMALY_THRESHOLDS_ENV]: JSON.stringify(DEFAULT_ANOMALY_THRESHOLDS),
          KEYGATE_ANOMALY_DELAY_MINUTES: '10',
        }),
      },
    });
    b.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
  });

  it('validates thresholds at synth, naming the field', () => {
    const bad = { ...DEFAULT_ANOMALY_THRESHOLDS, errorRate: { ...DEFAULT_ANOMALY_THRESHOLDS.errorRate, rate: 5 } };
    expect(() => build({ thresholds: bad })).toThrow('UsageAnomalies: thresholds.errorRate.rate must be a number from 0 to 1 (got 5)');
    expect(build({ timeout: Duration.minutes(10) }).template.findResources('AWS::Lambda::Function', { Properties: { Timeout: 600 } })).not.toEqual({});
  });

  it('reads only KEY# items and CTR# counters, writes only ANOM# ledger items, and nothing else in DynamoDB', () => {
    const dynamo = functionStatements().filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    const table = ref(b.stack, b.keyStore.table.tableArn);
    const counters = ref(b.stack, b.keyStore.counterTable.tableArn);
    expect(dynamo).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['KEY#*'] } } },
        { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: counters, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CTR#*'] } } },
        {
          Effect: 'Allow',
          Action: 'dynamodb:PutItem',
          Resource: counters,
          Condition: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ANOM#*'] },
            'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'ttl', 'claimedAt'] },
          },
        },
        { Effect: 'Allow', Action: 'dynamodb:DeleteItem', Resource: counters, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ANOM#*'] } } },
      ]),
    );
    expect(dynamo).toHaveLength(4);
  });

  it('has Athena on its workgroup, PutEvents on the bus, table-key Decrypt via DynamoDB only, and no wildcard action', () => {
    const statements = functionStatements();
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'glue:GetTable', 'events:PutEvents']));
    expect(actions).not.toContain('kms:GenerateDataKey');
    const putEvents = statements.find((s) => actionsOf(s).includes('events:PutEvents'))!;
    expect(putEvents.Resource).toEqual(ref(b.stack, b.notifications.bus.eventBusArn));
    const decrypt = statements.find((s) => actionsOf(s).includes('kms:Decrypt'))!;
    expect(decrypt.Resource).toEqual(ref(b.stack, b.keyStore.tableKey.keyArn));
    expect(decrypt.Condition).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } });
  });
});

describe('cdk-nag AwsSolutions on UsageAnomalies', () => {
  const mine = (paths: string[]) => paths.filter((p) => p.startsWith('Anomalies/UsageAnomalies'));

  it('reports no unacknowledged finding on the construct', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(b.app);
    expect(mine(report.violations.flatMap((v) => v.violatingResources.map((r) => `${r.constructPath ?? ""} ${v.ruleName}`)))).toEqual([]);
  });

  it('acknowledges only the two grantQuery object prefixes on the function role, and they are live findings', () => {
    const bucket = b.stack.getLogicalId(b.analytics.bucket.node.defaultChild as CfnElement);
    const expected = ['usage', 'athena-results'].map((p) => `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/${p}/*]`);
    const acks = b.anomalies.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((m) => Object.entries(m.data as Record<string, string>)));
    expect(acks.map(([id]) => id.replace(/^annotation::/i, '')).sort()).toEqual(expected.sort());
    for (const [, reason] of acks) expect(reason.length).toBeGreaterThanOrEqual(60);

    const acknowledge = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    try {
      const bare = build();
      const rules = new AwsSolutionsChecks().validateScope(bare.app).violations.filter((v) => mine(v.violatingResources.map((r) => r.constructPath ?? '')).length > 0).map((v) => v.ruleName);
      const bareBucket = bare.stack.getLogicalId(bare.analytics.bucket.node.defaultChild as CfnElement);
      expect(rules.sort()).toEqual(['usage', 'athena-results'].map((p) => `AwsSolutions-IAM5[Resource::<${bareBucket}.Arn>/${p}/*]`).sort());
    } finally {
      acknowledge.mockRestore();
    }
  });
});
