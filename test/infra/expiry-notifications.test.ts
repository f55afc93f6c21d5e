/**
 * ExpiryNotifications in a stack with the constructs it is wired to (KeyStore, Notifications):
 * the schedule, its target and role, the function's environment and IAM, the settings in the
 * Keygate stack, and cdk-nag.
 */
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INFRA_ENV } from '../../core/config';
import { EXPIRY_AUDIT_RETENTION_ENV, EXPIRY_THRESHOLDS_ENV } from '../../core/expiry-scan';
import { KNOWN_SETTINGS } from '../../core/settings';
import { ExpiryNotifications, type ExpiryNotificationsProps } from '../../lib/expiry-notifications';
import { KeyStore } from '../../lib/key-store';
import { Notifications } from '../../lib/notifications';
import { actionsOf, buildKeygate, ref, removeBuilds, roleStatements, type Statement } from './keygate-app';

interface Built {
  app: App;
  stack: Stack;
  expiry: ExpiryNotifications;
  keyStore: KeyStore;
  notifications: Notifications;
  template: Template;
}
const apps: App[] = [];

function build(props: Partial<ExpiryNotificationsProps> = {}): Built {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  apps.push(app);
  const stack = new Stack(app, 'Expiry');
  const keyStore = new KeyStore(stack, 'KeyStore');
  const notifications = new Notifications(stack, 'Notifications');
  const expiry = new ExpiryNotifications(stack, 'ExpiryNotifications', { notifications, keyStore, auditRetentionDays: 400, ...props });
  return { app, stack, expiry, keyStore, notifications, template: Template.fromStack(stack) };
}

let b: Built;
beforeAll(() => {
  b = build();
});
afterAll(() => {
  for (const app of apps.splice(0)) rmSync(app.outdir, { recursive: true, force: true });
  removeBuilds();
});

const roleId = (role: unknown) => b.stack.getLogicalId((role as { node: { defaultChild: CfnElement } }).node.defaultChild);
const functionStatements = (): Statement[] => roleStatements(b.template, roleId(b.expiry.function.role)).statements;

describe('expiry schedule', () => {
  it('runs every hour in UTC by default, with no flexible window, invoking the function with its own role', () => {
    b.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: ref(b.stack, b.expiry.function.functionArn),
        RoleArn: ref(b.stack, b.expiry.schedulerRole.roleArn),
        Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}',
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      },
    });
  });

  it('takes another expression and refuses one that is not', () => {
    expect(build({ schedule: 'cron(5 * * * ? *)' }).template.findResources('AWS::Scheduler::Schedule', { Properties: { ScheduleExpression: 'cron(5 * * * ? *)' } })).not.toEqual({});
    expect(() => build({ schedule: 'hourly' })).toThrow(/ExpiryNotifications: schedule must be an EventBridge Scheduler expression/);
  });

  it('gives the scheduler role only lambda:InvokeFunction on this function', () => {
    const { statements, managedPolicyArns } = roleStatements(b.template, roleId(b.expiry.schedulerRole));
    expect(managedPolicyArns).toEqual([]);
    expect(statements).toEqual([{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: ref(b.stack, b.expiry.function.functionArn) }]);
  });
});

describe('expiry function', () => {
  it('runs the expiry handler with the tables, bus, thresholds and audit retention in its environment, and no async retry', () => {
    b.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Timeout: 300,
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({
          [INFRA_ENV.tableName]: ref(b.stack, b.keyStore.table.tableName),
          [INFRA_ENV.counterTableName]: ref(b.stack, b.keyStore.counterTable.tableName),
          [INFRA_ENV.eventBusName]: ref(b.stack, b.notifications.bus.eventBusName),
          [EXPIRY_THRESHOLDS_ENV]: '[14,7,1]',
          [EXPIRY_AUDIT_RETENTION_ENV]: '400',
        }),
      },
    });
    b.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 });
  });

  it('validates thresholds at synth, naming the construct', () => {
    expect(() => build({ thresholdsDays: [0] })).toThrow('ExpiryNotifications: thresholdsDays must hold whole days from 1 to 365 (got 0)');
    expect(build({ thresholdsDays: [30, 1] }).template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: Match.objectLike({ [EXPIRY_THRESHOLDS_ENV]: '[30,1]' }) } } })).not.toEqual({});
  });

  it('queries only the byExpiry index, reads and writes only EXPN# ledger items with their own attributes, writes only AUDIT# items', () => {
    const dynamo = functionStatements().filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    const table = ref(b.stack, b.keyStore.table.tableArn);
    const counters = ref(b.stack, b.keyStore.counterTable.tableArn);
    expect(dynamo).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Resource: { 'Fn::Join': ['', [table, '/index/byExpiry']] },
      },
      { Effect: 'Allow', Action: 'dynamodb:BatchGetItem', Resource: counters, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['EXPN#*'] } } },
      {
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: counters,
        Condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['EXPN#*'] },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'ttl', 'stage', 'state', 'leaseUntil', 'token', 'claimedAt'] },
        },
      },
      { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: table, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } } },
    ]);
  });

  it('has PutEvents on the bus, table-key Decrypt via DynamoDB only, and no wildcard action', () => {
    const statements = functionStatements();
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(actions).not.toContain('kms:GenerateDataKey');
    expect(statements.find((s) => actionsOf(s).includes('events:PutEvents'))!.Resource).toEqual(ref(b.stack, b.notifications.bus.eventBusArn));
    const decrypt = statements.find((s) => actionsOf(s).includes('kms:Decrypt'))!;
    expect(decrypt.Resource).toEqual(ref(b.stack, b.keyStore.tableKey.keyArn));
    expect(decrypt.Condition).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } });
  });
});

describe('cdk-nag AwsSolutions on ExpiryNotifications', () => {
  it('reports no finding on the construct, and it needs no acknowledgement', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(b.app);
    const mine = report.violations.flatMap((v) => v.violatingResources.map((r) => `${r.constructPath ?? ''} ${v.ruleName}`)).filter((p) => p.startsWith('Expiry/ExpiryNotifications'));
    expect(mine).toEqual([]);
    const acks = b.expiry.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY));
    expect(acks).toEqual([]);
  });
});

describe('expiry settings in the Keygate stack', () => {
  it('are known settings, on by default, and off with keygate:expiryNotifications=false', () => {
    expect(KNOWN_SETTINGS).toEqual(expect.arrayContaining(['keygate:expiryNotifications', 'keygate:expirySchedule', 'keygate:expiryThresholdsDays']));
    const on = buildKeygate({ bundle: false, context: { 'keygate:expirySchedule': 'rate(30 minutes)', 'keygate:expiryThresholdsDays': '[3]' } });
    expect(on.stack.expiryNotifications).toBeDefined();
    on.template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(30 minutes)' });
    on.template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ [EXPIRY_THRESHOLDS_ENV]: '[3]' }) } });
    const off = buildKeygate({ bundle: false, context: { 'keygate:expiryNotifications': 'false' } });
    expect(off.stack.expiryNotifications).toBeUndefined();
    expect(off.template.findResources('AWS::Scheduler::Schedule', { Properties: { ScheduleExpression: 'rate(1 hour)' } })).toEqual({});
    expect(() => buildKeygate({ bundle: false, context: { 'keygate:expiryThresholdsDays': [400] } })).toThrow('keygate:expiryThresholdsDays must hold whole days from 1 to 365 (got 400)');
  });
});
