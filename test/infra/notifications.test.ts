/**
 * Notifications (lib/notifications.ts) in a minimal stack: the topic and its customer managed
 * key, the key and topic policies (EventBridge from Keygate's rules only, CloudWatch alarms of
 * this account, TLS only), one rule per message of core/notification-messages.ts with exactly its
 * input transformer, email subscriptions, the grants, and cdk-nag.
 */
import { App, type CfnElement, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../adapters/eventbridge-event-sink';
import { inputTemplate, NOTIFICATION_MESSAGES } from '../../core/notification-messages';
import { WEBHOOK_EVENT_TYPES } from '../../core/webhook-signature';
import { Notifications, type NotificationsProps } from '../../lib/notifications';
import { ref } from './keygate-app';

interface Built {
  app: App;
  stack: Stack;
  notifications: Notifications;
  template: Template;
}
const apps: App[] = [];

function build(props: NotificationsProps = {}, extra?: (stack: Stack, n: Notifications) => void): Built {
  const app = new App();
  apps.push(app);
  const stack = new Stack(app, 'NotificationsTest');
  const notifications = new Notifications(stack, 'Notifications', props);
  extra?.(stack, notifications);
  return { app, stack, notifications, template: Template.fromStack(stack) };
}

let b: Built;
beforeAll(() => {
  b = build();
});
afterAll(() => {
  for (const app of apps.splice(0)) rmSync(app.outdir, { recursive: true, force: true });
});

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Sid?: string; Effect: string; Principal?: unknown; Action: string | string[]; Resource?: unknown; Condition?: Record<string, Record<string, unknown>> };
const logicalId = (construct: { node: { defaultChild?: unknown } }, stack = b.stack) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const resourceOf = (construct: { node: { defaultChild?: unknown } }, built = b): Resource =>
  built.template.toJSON().Resources[logicalId(construct, built.stack)] as Resource;
const keyStatements = (built = b): Statement[] => (resourceOf(built.notifications.topicKey, built).Properties.KeyPolicy as { Statement: Statement[] }).Statement;
const topicStatements = (built = b): Statement[] => {
  const policies = Object.values(built.template.findResources('AWS::SNS::TopicPolicy')) as Resource[];
  expect(policies).toHaveLength(1);
  expect(policies[0]!.Properties.Topics).toEqual([ref(built.stack, built.notifications.topic.topicArn)]);
  return (policies[0]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
};
const servicePrincipal = (s: Statement) => (s.Principal as { Service?: string } | undefined)?.Service;
const thisAccountsTopics = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*']] };

describe('topic', () => {
  it('is encrypted with its own customer managed key, rotated and kept like the key store keys', () => {
    const topic = resourceOf(b.notifications.topic);
    expect(topic.Properties.KmsMasterKeyId).toEqual(ref(b.stack, b.notifications.topicKey.keyArn));
    expect(JSON.stringify(topic.Properties.KmsMasterKeyId)).not.toContain('alias/aws/sns');
    const key = resourceOf(b.notifications.topicKey);
    expect(key.Properties).toMatchObject({ EnableKeyRotation: true, PendingWindowInDays: 30 });
    expect([key.DeletionPolicy, key.UpdateReplacePolicy]).toEqual(['RetainExceptOnCreate', 'Retain']);
    const destroyed = build({ keyRemovalPolicy: RemovalPolicy.DESTROY });
    expect(resourceOf(destroyed.notifications.topicKey, destroyed).DeletionPolicy).toBe('Delete');
  });

  it('lets the key policy admit EventBridge and CloudWatch only for SNS topics of this account, with the actions SNS needs', () => {
    const services = keyStatements().filter((s) => servicePrincipal(s) !== undefined);
    expect(services).toEqual([
      {
        Sid: 'EventBridgeRulesPublishToEncryptedTopic',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: { StringLike: { 'kms:EncryptionContext:aws:sns:topicArn': thisAccountsTopics } },
      },
      {
        Sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          StringLike: { 'kms:EncryptionContext:aws:sns:topicArn': thisAccountsTopics },
        },
      },
    ]);
    // Everything else is the account's own administration of the key (CDK's default statement).
    const others = keyStatements().filter((s) => servicePrincipal(s) === undefined);
    expect(others).toHaveLength(1);
    expect(JSON.stringify(others[0]!.Principal)).toContain(':root');
  });

  it('refuses publishing over plain HTTP', () => {
    expect(topicStatements()).toContainEqual({
      Sid: 'AllowPublishThroughSSLOnly',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Resource: ref(b.stack, b.notifications.topic.topicArn),
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('lets EventBridge publish from exactly the notification rules, and CloudWatch from alarms of this account and Region', () => {
    const allows = topicStatements().filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Sid: 'KeygateRulesPublish',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: ref(b.stack, b.notifications.topic.topicArn),
        Condition: { ArnEquals: { 'aws:SourceArn': Object.values(b.notifications.rules).map((r) => ref(b.stack, r.ruleArn)) } },
      },
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: ref(b.stack, b.notifications.topic.topicArn),
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] } },
        },
      },
    ]);
    expect(Object.keys(b.notifications.rules)).toHaveLength(NOTIFICATION_MESSAGES.length);
  });
});

describe('rules', () => {
  it('has one rule per notification message and no other rule on the bus', () => {
    b.template.resourceCountIs('AWS::Events::Rule', NOTIFICATION_MESSAGES.length);
    expect(Object.keys(b.notifications.rules)).toEqual(NOTIFICATION_MESSAGES.map((m) => m.id));
    const types = new Set(NOTIFICATION_MESSAGES.map((m) => m.eventType));
    expect([...types].sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
  });

  it.each(NOTIFICATION_MESSAGES.map((m) => [m.id, m] as const))(
    '%s: matches source keygate and its detail-type on the Keygate bus, and sends the core template to the topic',
    (id, message) => {
      const rule = resourceOf(b.notifications.rules[id]!);
      expect(b.notifications.rules[id]!.node.id).toBe(`${id}Rule`);
      expect(rule.Properties.EventBusName).toEqual(ref(b.stack, b.notifications.bus.eventBusName));
      expect(rule.Properties.EventPattern).toEqual({
        source: [EVENT_SOURCE],
        'detail-type': [message.eventType],
        ...(message.detail ? { detail: message.detail } : {}),
      });
      expect(rule.Properties.Targets).toEqual([
        {
          Id: 'Target0',
          Arn: ref(b.stack, b.notifications.topic.topicArn),
          InputTransformer: { InputPathsMap: message.paths, InputTemplate: inputTemplate(message) },
        },
      ]);
    },
  );

  it('adds no role and no unconditioned EventBridge grant (the topic policy admits the rules)', () => {
    b.template.resourceCountIs('AWS::IAM::Role', 0);
    b.template.resourceCountIs('AWS::IAM::Policy', 0);
    const events = topicStatements().filter((s) => servicePrincipal(s) === 'events.amazonaws.com');
    expect(events.every((s) => s.Condition !== undefined)).toBe(true);
  });
});

describe('email subscriptions', () => {
  it('subscribes none by default', () => {
    b.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('subscribes each address from the emails prop to the topic', () => {
    const withEmails = build({ emails: ['ops@example.com', 'security@example.com'] });
    withEmails.template.resourceCountIs('AWS::SNS::Subscription', 2);
    for (const address of ['ops@example.com', 'security@example.com']) {
      withEmails.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: address,
        TopicArn: ref(withEmails.stack, withEmails.notifications.topic.topicArn),
      });
    }
  });

  it('rejects an address that is not one, naming the construct', () => {
    expect(() => build({ emails: ['Ops <ops@example.com>'] })).toThrow(/Notifications: emails\[0\] must be an email address/);
  });
});

describe('grants', () => {
  it('grantTopicPublish gives sns:Publish on the topic and use of its key, nothing else', () => {
    const built = build({}, (stack, n) => {
      n.grantTopicPublish(new iam.Role(stack, 'Publisher', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    });
    const policies = Object.values(built.template.findResources('AWS::IAM::Policy')) as Resource[];
    expect(policies).toHaveLength(1);
    expect((policies[0]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: ref(built.stack, built.notifications.topic.topicArn) },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: ref(built.stack, built.notifications.topicKey.keyArn) },
    ]);
  });

  it('grantPublish still gives events:PutEvents on the bus only', () => {
    let role!: iam.Role;
    const built = build({}, (stack, n) => {
      role = new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      n.grantPublish(role);
    });
    built.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: ref(built.stack, built.notifications.bus.eventBusArn) }] },
    });
  });

  it('alarmAction sends an alarm to the topic', () => {
    const built = build({}, (stack, n) => {
      const alarm = new cloudwatch.Alarm(stack, 'Alarm', {
        metric: new cloudwatch.Metric({ namespace: 'Keygate', metricName: 'Errors' }),
        threshold: 1,
        evaluationPeriods: 1,
      });
      alarm.addAlarmAction(n.alarmAction);
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [ref(built.stack, built.notifications.topic.topicArn)] });
    // No extra permission: the topic and key policies already admit CloudWatch alarms.
    built.template.resourceCountIs('AWS::IAM::Policy', 0);
    built.template.resourceCountIs('AWS::SNS::TopicPolicy', 1);
  });
});

describe('cdk-nag AwsSolutions on Notifications', () => {
  it('reports no finding and needs no acknowledgement (SNS3 TLS, KMS5 rotation met)', () => {
    const built = build({ emails: ['ops@example.com'] });
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(built.app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    const acknowledged = built.notifications.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type.includes('acknowledge')));
    expect(acknowledged).toEqual([]);
  });

  it('the check is live: a topic without TLS enforcement is reported', () => {
    const built = build({}, (stack) => {
      // A topic without a TLS-only policy, beside the construct, must be found.
      new sns.Topic(stack, 'Plain');
    });
    const rules = new AwsSolutionsChecks().validateScope(built.app).violations.map((v) => v.ruleName);
    expect(rules).toEqual(['AwsSolutions-SNS3']);
  });
});
