/**
 * WebhookDelivery (lib/webhook-delivery.ts) in a minimal stack with the Keygate bus: the rule and
 * its retries and dead-letter queue, the function's asynchronous retries and on-failure
 * destination, the generated secret and the least-privilege grants, the outputs, and cdk-nag.
 */
import { App, type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENT_SOURCE } from '../../adapters/eventbridge-event-sink';
import { AUDIT_ACTIONS, auditEventType } from '../../core/audit';
import { WEBHOOK_EVENT_TYPES } from '../../core/webhook-signature';
import { Notifications } from '../../lib/notifications';
import { WebhookDelivery, type WebhookDeliveryProps, webhookUrlSetting } from '../../lib/webhook-delivery';
import { actionsOf, buildKeygate, ref, roleStatements } from './keygate-app';

const URL_ = 'https://hooks.example.com/keygate';

interface Built {
  app: App;
  stack: Stack;
  webhook: WebhookDelivery;
  notifications: Notifications;
  template: Template;
}
const apps: App[] = [];

function build(props: Partial<WebhookDeliveryProps> = {}, bundle = false): Built {
  const app = new App(bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  apps.push(app);
  const stack = new Stack(app, 'Webhook');
  const notifications = new Notifications(stack, 'Notifications');
  const webhook = new WebhookDelivery(stack, 'WebhookDelivery', { eventBus: notifications.bus, url: URL_, ...props });
  return { app, stack, webhook, notifications, template: Template.fromStack(stack) };
}

let b: Built;
beforeAll(() => {
  // Bundled once: the handler must build with the shared esbuild settings.
  b = build({}, true);
});
afterAll(() => {
  for (const app of apps.splice(0)) rmSync(app.outdir, { recursive: true, force: true });
});

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
const resourceOf = (construct: { node: { defaultChild?: unknown } }): Resource =>
  b.template.toJSON().Resources[b.stack.getLogicalId(construct.node.defaultChild as CfnElement)] as Resource;
const roleId = (role: unknown) => b.stack.getLogicalId((role as { node: { defaultChild: CfnElement } }).node.defaultChild);

describe('webhook rule', () => {
  it('takes exactly the notification events from the Keygate bus, source keygate', () => {
    const rule = resourceOf(b.webhook.rule);
    expect(rule.Properties.EventBusName).toEqual(ref(b.stack, b.notifications.bus.eventBusName));
    expect(rule.Properties.EventPattern).toEqual({ source: [EVENT_SOURCE], 'detail-type': [...WEBHOOK_EVENT_TYPES] });
    const types = (rule.Properties.EventPattern as { 'detail-type': string[] })['detail-type'];
    for (const action of AUDIT_ACTIONS) expect(types).not.toContain(auditEventType({ action }));
  });

  it('invokes the function, retrying for up to maxEventAge, then dead-letters to the queue', () => {
    const targets = resourceOf(b.webhook.rule).Properties.Targets as Record<string, unknown>[];
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      Arn: ref(b.stack, b.webhook.function.functionArn),
      RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 21600 },
      DeadLetterConfig: { Arn: ref(b.stack, b.webhook.deadLetterQueue.queueArn) },
    });
    expect(targets[0]!.Input).toBeUndefined();
    b.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: ref(b.stack, b.webhook.function.functionArn),
      SourceArn: ref(b.stack, b.webhook.rule.ruleArn),
    });
  });
});

describe('webhook function', () => {
  it('runs the webhook handler with the URL and the secret ARN, for up to 30 s', () => {
    b.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Timeout: 30,
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ KEYGATE_WEBHOOK_URL: URL_, KEYGATE_WEBHOOK_SECRET_ARN: ref(b.stack, b.webhook.secret.secretArn) }) },
    });
  });

  it('is retried twice by Lambda after a failed delivery, then sends the record to the same queue', () => {
    b.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(b.stack, b.webhook.function.functionName),
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: ref(b.stack, b.webhook.deadLetterQueue.queueArn) } },
    });
  });

  it('may only read its secret, send to its queue and write its log group', () => {
    const { statements, managedPolicyArns } = roleStatements(b.template, roleId(b.webhook.function.role));
    expect(managedPolicyArns).toEqual([]);
    const secret = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secret).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: ref(b.stack, b.webhook.secret.secretArn) }]);
    const sqs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    expect(sqs).toEqual([{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ref(b.stack, b.webhook.deadLetterQueue.queueArn) }]);
    const others = statements.flatMap(actionsOf).filter((a) => !a.startsWith('secretsmanager:') && !a.startsWith('sqs:'));
    expect(others.every((a) => a.startsWith('logs:'))).toBe(true);
    expect(statements.flatMap(actionsOf).filter((a) => a.includes('*'))).toEqual([]);
  });
});

describe('webhook secret and queue', () => {
  it('generates a 64-character letters-and-digits secret that is retained when removed from the stack', () => {
    const secret = resourceOf(b.webhook.secret);
    expect(secret.Properties.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false });
    expect(secret.DeletionPolicy).toBe('Retain');
    expect(build({ secretRemovalPolicy: RemovalPolicy.DESTROY }).template.findResources('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' })).not.toEqual({});
  });

  it('outputs the secret name and ARN and the dead-letter queue URL', () => {
    const outputs = Object.values(b.template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>);
    expect(outputs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Value: ref(b.stack, b.webhook.secret.secretName), Description: expect.stringMatching(/signs webhook requests/) }),
        expect.objectContaining({ Value: ref(b.stack, b.webhook.secret.secretArn) }),
        expect.objectContaining({ Value: ref(b.stack, b.webhook.deadLetterQueue.queueUrl) }),
      ]),
    );
  });

  it('keeps undelivered events 14 days, encrypted, and accepts them only over TLS and from this rule', () => {
    b.template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    const policy = Object.values(b.template.findResources('AWS::SQS::QueuePolicy'))[0] as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } };
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Principal: { Service: 'events.amazonaws.com' },
          Condition: { ArnEquals: { 'aws:SourceArn': ref(b.stack, b.webhook.rule.ruleArn) } },
        }),
      ]),
    );
    expect(statements.filter((s) => s.Effect === 'Allow')).toHaveLength(1);
  });
});

describe('webhook settings', () => {
  it('is off when keygate:webhookUrl is unset, and takes an https URL', () => {
    expect(webhookUrlSetting(undefined)).toBeUndefined();
    expect(webhookUrlSetting('')).toBeUndefined();
    expect(webhookUrlSetting(URL_)).toBe(URL_);
  });

  it.each([
    [42, /must be an https URL \(got 42\)/],
    ['hooks.example.com', /not a URL/],
    ['http://hooks.example.com/x', /must be an https URL \(got http:\/\/\)/],
    ['https://user:pw@hooks.example.com/x', /must not carry user:password/],
  ])('rejects keygate:webhookUrl %j', (raw, message) => {
    expect(() => webhookUrlSetting(raw)).toThrow(message);
  });

  it('rejects retries and event ages Lambda does not allow, naming the construct', () => {
    expect(() => build({ retryAttempts: 3 })).toThrow('Webhook/WebhookDelivery: retryAttempts must be 0, 1 or 2 (got 3)');
    expect(() => build({ maxEventAge: Duration.hours(7) })).toThrow(/maxEventAge must be 60 seconds to 6 hours/);
    expect(() => build({ url: 'http://insecure.example.com' })).toThrow(/https/);
  });

  it('passes other retry settings to both layers', () => {
    const t = build({ retryAttempts: 0, maxEventAge: Duration.hours(1) }).template;
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 3600 });
    t.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 3600 } })] });
  });
});

describe('cdk-nag AwsSolutions on WebhookDelivery', () => {
  const mine = (paths: string[]) => paths.filter((p) => p.startsWith('Webhook/WebhookDelivery'));
  const EXPECTED = ['AwsSolutions-SMG4', 'AwsSolutions-SQS3'];

  it('reports no unacknowledged finding on the construct', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(b.app);
    expect(mine(report.violations.flatMap((v) => v.violatingResources.map((r) => `${r.constructPath ?? ''} ${v.ruleName}`)))).toEqual([]);
  });

  it('acknowledges only secret rotation and the queue having no DLQ, with reasons, and they are live findings', () => {
    // Prepare: the acknowledgements as written
    const acks = b.webhook.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((m) => Object.entries(m.data as Record<string, string>)));
    expect(acks.map(([id]) => id.replace(/^annotation::/i, '')).sort()).toEqual(EXPECTED);
    for (const [, reason] of acks) expect(reason.length).toBeGreaterThanOrEqual(60);

    // Act: the same construct with acknowledgements switched off
    const acknowledge = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    try {
      const bare = build();
      const rules = new AwsSolutionsChecks()
        .validateScope(bare.app)
        .violations.filter((v) => mine(v.violatingResources.map((r) => r.constructPath ?? '')).length > 0)
        .map((v) => v.ruleName);

      // Assess: exactly the acknowledged findings
      expect(rules.sort()).toEqual(EXPECTED);
    } finally {
      acknowledge.mockRestore();
    }
  });
});

describe('KeygateStack with keygate:webhookUrl', () => {
  it('builds the webhook delivery on the Keygate bus only when the setting is given', () => {
    // Act
    const on = buildKeygate({ bundle: false, context: { 'keygate:webhookUrl': 'https://hooks.example.com/keygate' } });
    const off = buildKeygate({ bundle: false });
    // Assess
    expect(on.stack.webhookDelivery).toBeDefined();
    expect(off.stack.webhookDelivery).toBeUndefined();
    on.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: ref(on.stack, on.stack.notifications.bus.eventBusName),
      EventPattern: Match.objectLike({ source: [EVENT_SOURCE] }),
      Targets: Match.arrayWith([Match.objectLike({ DeadLetterConfig: Match.anyValue() })]),
    });
    on.template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    off.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });
});
