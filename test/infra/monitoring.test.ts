/**
 * Monitoring (lib/monitoring.ts) on a real KeygateStack (webhook on, analytics on, no bundling):
 * the dashboard's widgets and metrics read from the synthesized DashboardBody, each alarm's
 * metric, statistic, threshold, comparison, periods, missing-data treatment and actions, the
 * thresholds and switches as props and as keygate:* settings, no per-key dimension, cdk-nag.
 */
import { readFileSync, rmSync } from 'node:fs';
import { App, type CfnElement, CfnResource, Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECISION_OUTCOMES, LIMITED_OUTCOMES, METRIC_LIST, METRICS, METRICS_NAMESPACE, REJECTED_KEY_OUTCOMES } from '../../core/metrics';
import { KeygateStack } from '../../lib/keygate-stack';
import { Monitoring, MONITORING_DEFAULTS, MONITORING_SETTINGS, type MonitoringProps, monitoringSettings } from '../../lib/monitoring';
import { ref } from './keygate-app';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };

interface Built {
  app: App;
  stack: KeygateStack;
  topic: sns.Topic;
  monitoring: Monitoring;
  template: Template;
}
const apps: App[] = [];

/**
 * The real stack with analytics, audit export and the webhook, its own monitoring turned off, plus
 * a Monitoring under test with an encrypted stand-in alarm topic (so props can vary per test).
 */
function build(props: Partial<MonitoringProps> = {}, options: { topic?: boolean } = {}): Built {
  const app = new App({
    context: {
      ...cdkJson.context,
      'keygate:webhookUrl': 'https://hooks.example.com/keygate',
      'keygate:dashboard': false,
      'keygate:alarms': false,
      'aws:cdk:bundling-stacks': [],
    },
  });
  apps.push(app);
  const stack = new KeygateStack(app, 'Keygate', { stackName: 'Keygate' });
  const topic = new sns.Topic(stack, 'AlarmTopicStandIn', { masterKey: new kms.Key(stack, 'AlarmTopicKeyStandIn', { enableKeyRotation: true }), enforceSSL: true });
  const monitoring = new Monitoring(stack, 'MonitoringUnderTest', {
    stage: stack.managementApi.api.deploymentStage,
    authorizerFunction: stack.keyAuthorizer.handler,
    functions: [
      stack.managementApi.keysFunction,
      stack.usageReports!.function,
      stack.usageAnomalies!.function,
      stack.expiryNotifications!.function,
      stack.webhookDelivery!.function,
    ],
    table: stack.keyStore.table,
    counterTable: stack.keyStore.counterTable,
    deliveryStreams: [stack.usageAnalytics!.deliveryStream, stack.auditExport!.deliveryStream],
    deadLetterQueue: stack.webhookDelivery!.deadLetterQueue,
    ...(options.topic === false ? {} : { alarmTopic: topic }),
    ...props,
  });
  return { app, stack, topic, monitoring, template: Template.fromStack(stack) };
}

let b: Built;
beforeAll(() => {
  b = build();
});
afterAll(() => {
  for (const app of apps.splice(0)) rmSync(app.outdir, { recursive: true, force: true });
});

type Props = Record<string, unknown>;
const logicalId = (x: Built, construct: { node: { defaultChild?: unknown } }) => x.stack.getLogicalId(construct.node.defaultChild as CfnElement);
const resource = (x: Built, construct: { node: { defaultChild?: unknown } }) =>
  (x.template.toJSON().Resources as Record<string, { Type: string; Properties: Props }>)[logicalId(x, construct)]!;
const alarmProps = (x: Built, name: string): Props => {
  const alarm = x.monitoring.alarms[name];
  if (!alarm) throw new Error(`no alarm ${name}; have ${Object.keys(x.monitoring.alarms).join(', ')}`);
  return resource(x, alarm).Properties;
};

// --- the dashboard body -------------------------------------------------------------------------

/** DashboardBody is an Fn::Join of literal JSON and tokens: tokens become `«Ref:Id»` strings, then it parses. */
function dashboardBody(x: Built): { widgets: { type: string; properties: Props }[] } {
  const body = resource(x, x.monitoring.dashboard!).Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const p = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
      return p.Ref ? `«Ref:${p.Ref}»` : `«GetAtt:${(p['Fn::GetAtt'] ?? []).join('.')}»`;
    })
    .join('');
  return JSON.parse(text) as { widgets: { type: string; properties: Props }[] };
}

interface GraphMetric {
  namespace?: string;
  metricName?: string;
  dimensions: Record<string, string>;
  options: Props;
}

/** A graph's metric rows: `[namespace, name, dim, value, ..., {options}]` or `[{expression, ...}]`. */
function rows(widget: { properties: Props }): GraphMetric[] {
  return ((widget.properties.metrics ?? []) as unknown[][]).map((row) => {
    const last = row.at(-1);
    const options = (typeof last === 'object' && last !== null ? last : {}) as Props;
    const fields = (options === last ? row.slice(0, -1) : row) as string[];
    if (fields.length === 0) return { dimensions: {}, options };
    const dimensions: Record<string, string> = {};
    for (let i = 2; i < fields.length; i += 2) dimensions[fields[i]!] = fields[i + 1]!;
    return { namespace: fields[0]!, metricName: fields[1]!, dimensions, options };
  });
}

const widget = (x: Built, title: string) => {
  const w = dashboardBody(x).widgets.find((w) => w.properties.title === title);
  if (!w) throw new Error(`no widget "${title}"; have ${dashboardBody(x).widgets.map((w) => String(w.properties.title)).join(' | ')}`);
  return w;
};

describe('dashboard', () => {
  it('is named after the stack and Region and shows the alarm states first', () => {
    const props = resource(b, b.monitoring.dashboard!).Properties;
    expect(props.DashboardName).toEqual({ 'Fn::Join': ['', ['Keygate-', { Ref: 'AWS::Region' }]] });
    const first = dashboardBody(b).widgets[0]!;
    expect(first.type).toBe('alarm');
    expect((first.properties.alarms as unknown[]).length).toBe(Object.keys(b.monitoring.alarms).length);
  });

  it('has one widget per concern, in order', () => {
    expect(dashboardBody(b).widgets.map((w) => w.properties.title)).toEqual([
      'Alarms',
      'Requests (API Gateway)',
      'Authorizer decisions by outcome',
      '4xx / 429 / 5xx',
      'Latency p50 / p99 (ms)',
      'Store latency p50 / p99 (ms)',
      'Authorizer key cache',
      'DynamoDB throttles and system errors',
      'Lambda errors and throttles',
      'Lambda concurrency (max)',
      'Management API responses by status class',
      'Events published / failed',
      'Firehose delivery to S3',
      'Webhook dead-letter queue depth',
    ]);
  });

  it('graphs API Gateway Count, 4XXError and 5XXError by ApiName and Stage', () => {
    const api = rows(widget(b, 'Requests (API Gateway)'));
    expect(api.map((r) => [r.namespace, r.metricName, Object.keys(r.dimensions).sort(), r.options.stat])).toEqual([
      ['AWS/ApiGateway', 'Count', ['ApiName', 'Stage'], 'Sum'],
      ['AWS/ApiGateway', '4XXError', ['ApiName', 'Stage'], 'Sum'],
      ['AWS/ApiGateway', '5XXError', ['ApiName', 'Stage'], 'Sum'],
    ]);
  });

  it('graphs every decision outcome of the authorizer, stacked', () => {
    const w = widget(b, 'Authorizer decisions by outcome');
    expect(w.properties.stacked).toBe(true);
    expect(rows(w).map((r) => [r.namespace, r.metricName, r.dimensions])).toEqual(
      DECISION_OUTCOMES.map((o) => [METRICS_NAMESPACE, METRICS.Decisions.name, { Service: 'authorizer', Outcome: o }]),
    );
  });

  it('splits 4xx into 429s and rejected keys from the decision metric, next to 503s and all 5xx', () => {
    const all = rows(widget(b, '4xx / 429 / 5xx'));
    const expressions = all.filter((r) => r.options.expression).map((r) => [r.options.label, r.options.expression]);
    expect(expressions).toEqual([
      ['429 (rate limited + quota exceeded)', `SUM([${LIMITED_OUTCOMES.map((o) => `FILL(${o.toLowerCase()}, 0)`).join(', ')}])`],
      ['Rejected keys (401/403)', `SUM([${REJECTED_KEY_OUTCOMES.map((o) => `FILL(${o.toLowerCase()}, 0)`).join(', ')}])`],
    ]);
    const outcomes = all.filter((r) => r.metricName === METRICS.Decisions.name).map((r) => r.dimensions.Outcome);
    expect(new Set(outcomes)).toEqual(new Set([...LIMITED_OUTCOMES, ...REJECTED_KEY_OUTCOMES, 'UNAVAILABLE']));
    expect(all.filter((r) => r.namespace === 'AWS/ApiGateway').map((r) => r.metricName)).toEqual(['4XXError', '5XXError']);
  });

  it('graphs API latency and authorizer duration at p50 and p99, and store latency per store', () => {
    const latency = rows(widget(b, 'Latency p50 / p99 (ms)')).map((r) => [r.namespace, r.metricName, r.options.stat]);
    expect(latency).toEqual([
      ['AWS/ApiGateway', 'Latency', 'p50'],
      ['AWS/ApiGateway', 'Latency', 'p99'],
      ['AWS/Lambda', 'Duration', 'p50'],
      ['AWS/Lambda', 'Duration', 'p99'],
    ]);
    const store = rows(widget(b, 'Store latency p50 / p99 (ms)'));
    expect(store.map((r) => [r.metricName, r.dimensions.Store, r.options.stat])).toEqual([
      [METRICS.StoreLatency.name, 'keys', 'p50'],
      [METRICS.StoreLatency.name, 'keys', 'p99'],
      [METRICS.StoreLatency.name, 'counters', 'p50'],
      [METRICS.StoreLatency.name, 'counters', 'p99'],
    ]);
  });

  it('graphs throttles and system errors of both tables, and errors, throttles and concurrency of every function', () => {
    const ddb = rows(widget(b, 'DynamoDB throttles and system errors'));
    expect(ddb.filter((r) => r.metricName).map((r) => r.metricName)).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents', 'ReadThrottleEvents', 'WriteThrottleEvents']);
    const tableNames = ddb.filter((r) => r.metricName).map((r) => r.dimensions.TableName);
    expect(new Set(tableNames)).toEqual(new Set([`«Ref:${logicalId(b, b.stack.keyStore.table)}»`, `«Ref:${logicalId(b, b.stack.keyStore.counterTable)}»`]));
    expect(ddb.filter((r) => r.options.expression).map((r) => r.options.expression)).toEqual(
      tableNames.filter((_, i) => i % 2 === 0).map((t) => `SEARCH('{AWS/DynamoDB,Operation,TableName} MetricName="SystemErrors" TableName="${t}"', 'Sum', 60)`),
    );
    const errors = rows(widget(b, 'Lambda errors and throttles'));
    expect(errors.map((r) => r.metricName)).toEqual(Array.from({ length: 6 }, () => ['Errors', 'Throttles']).flat());
    const concurrency = rows(widget(b, 'Lambda concurrency (max)'));
    expect(concurrency.map((r) => [r.metricName, r.options.stat])).toEqual(Array.from({ length: 6 }, () => ['ConcurrentExecutions', 'Maximum']));
    expect(concurrency.map((r) => r.options.label)).toEqual([
      'KeyAuthorizer',
      'ManagementApi-KeysFunction',
      'UsageReports',
      'UsageAnomalies',
      'ExpiryNotifications',
      'WebhookDelivery',
    ]);
  });

  it('graphs Firehose delivery of both streams and the dead-letter queue depth', () => {
    const fh = widget(b, 'Firehose delivery to S3');
    const usage = `«Ref:${b.stack.getLogicalId(b.stack.usageAnalytics!.deliveryStream)}»`;
    const audit = `«Ref:${b.stack.getLogicalId(b.stack.auditExport!.deliveryStream)}»`;
    const left = rows({ properties: { metrics: (fh.properties.metrics as unknown[][]).filter((r) => (r.at(-1) as Props).yAxis !== 'right') } });
    // A dashboard metric without `stat` is an Average (CDK leaves the default out).
    expect(left.map((r) => [r.metricName, r.dimensions.DeliveryStreamName, r.options.stat ?? 'Average'])).toEqual([
      ['DeliveryToS3.Success', usage, 'Average'],
      ['FailedConversion.Records', usage, 'Sum'],
      ['DeliveryToS3.Success', audit, 'Average'],
      ['FailedConversion.Records', audit, 'Sum'],
    ]);
    const right = rows({ properties: { metrics: (fh.properties.metrics as unknown[][]).filter((r) => (r.at(-1) as Props).yAxis === 'right') } });
    expect(right.map((r) => [r.metricName, r.options.stat])).toEqual([
      ['DeliveryToS3.DataFreshness', 'Maximum'],
      ['DeliveryToS3.DataFreshness', 'Maximum'],
    ]);
    const dlq = rows(widget(b, 'Webhook dead-letter queue depth'));
    expect(dlq.map((r) => [r.namespace, r.metricName, r.dimensions.QueueName, r.options.stat])).toEqual([
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', `«GetAtt:${logicalId(b, b.stack.webhookDelivery!.deadLetterQueue)}.QueueName»`, 'Maximum'],
    ]);
  });

  it('leaves out the Firehose and dead-letter widgets when there is nothing to watch', () => {
    const app = new App({ context: { ...cdkJson.context, 'keygate:dashboard': false, 'keygate:alarms': false, 'aws:cdk:bundling-stacks': [] } });
    apps.push(app);
    const stack = new KeygateStack(app, 'Keygate', { stackName: 'Keygate' });
    const monitoring = new Monitoring(stack, 'MonitoringUnderTest', {
      stage: stack.managementApi.api.deploymentStage,
      authorizerFunction: stack.keyAuthorizer.handler,
      table: stack.keyStore.table,
      counterTable: stack.keyStore.counterTable,
    });
    const x = { app, stack, monitoring, template: Template.fromStack(stack) } as unknown as Built;
    const titles = dashboardBody(x).widgets.map((w) => w.properties.title);
    expect(titles).not.toContain('Firehose delivery to S3');
    expect(titles).not.toContain('Webhook dead-letter queue depth');
    expect(Object.keys(monitoring.alarms).filter((k) => /Delivery|DeadLetter/.test(k))).toEqual([]);
  });
});

// --- the alarms ---------------------------------------------------------------------------------

const actions = (x: Built) => [ref(x.stack, x.topic.topicArn)];

describe('alarms', () => {
  it('are exactly these, named after the stack', () => {
    expect(Object.keys(b.monitoring.alarms)).toEqual([
      'AuthorizerUnavailable',
      'ApiServerErrors',
      'ApiLatencyP99',
      'KeyAuthorizerErrors',
      'ManagementApiKeysFunctionErrors',
      'UsageReportsErrors',
      'UsageAnomaliesErrors',
      'ExpiryNotificationsErrors',
      'WebhookDeliveryErrors',
      'KeyStoreTableThrottles',
      'KeyStoreCounterTableThrottles',
      'UsageAnalyticsDeliveryStreamDeliveryFreshness',
      'AuditExportDeliveryStreamDeliveryFreshness',
      'WebhookDeadLetters',
      'RejectedKeysSpike',
    ]);
    for (const name of Object.keys(b.monitoring.alarms)) {
      const p = alarmProps(b, name);
      expect(p.AlarmName).toMatch(/^Keygate-[a-z0-9-]+$/i);
      expect(p.AlarmActions).toEqual(actions(b));
      expect(p.OKActions).toEqual(actions(b));
    }
  });

  it('authorizer unavailability: UNAVAILABLE decisions as % of invocations > 1, 3 of 5 minutes, quiet is fine', () => {
    const p = alarmProps(b, 'AuthorizerUnavailable');
    expect(p).toMatchObject({
      AlarmName: 'Keygate-authorizer-unavailable',
      Threshold: MONITORING_DEFAULTS.unavailablePercent,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
    });
    const metrics = p.Metrics as { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] }; Stat: string; Period: number } }[];
    expect(metrics.find((m) => m.ReturnData !== false)?.Expression).toBe('100 * FILL(unavailable, 0) / invocations');
    const unavailable = metrics.find((m) => m.Id === 'unavailable')!.MetricStat!;
    expect(unavailable).toMatchObject({ Stat: 'Sum', Period: 60, Metric: { Namespace: METRICS_NAMESPACE, MetricName: METRICS.Decisions.name } });
    expect(unavailable.Metric.Dimensions).toEqual(expect.arrayContaining([{ Name: 'Outcome', Value: 'UNAVAILABLE' }, { Name: 'Service', Value: 'authorizer' }]));
    const invocations = metrics.find((m) => m.Id === 'invocations')!.MetricStat!;
    expect(invocations).toMatchObject({ Stat: 'Sum', Period: 60, Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: [{ Name: 'FunctionName', Value: ref(b.stack, b.stack.keyAuthorizer.handler.functionName) }] } });
  });

  it('API 5xx: 5XXError average × 100 > 1, 2 of 3 five-minute periods', () => {
    const p = alarmProps(b, 'ApiServerErrors');
    expect(p).toMatchObject({ AlarmName: 'Keygate-api-5xx', Threshold: 1, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching' });
    const metrics = p.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string }[] }; Stat: string; Period: number } }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('100 * errors');
    const errors = metrics.find((m) => m.Id === 'errors')!.MetricStat!;
    expect(errors).toMatchObject({ Stat: 'Average', Period: 300, Metric: { MetricName: '5XXError' } });
    expect(errors.Metric.Dimensions.map((d) => d.Name).sort()).toEqual(['ApiName', 'Stage']);
  });

  it('latency: API Gateway Latency p99 > 1000 ms for 3 five-minute periods in a row', () => {
    expect(alarmProps(b, 'ApiLatencyP99')).toMatchObject({
      AlarmName: 'Keygate-api-latency-p99',
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Period: 300,
      Threshold: 1000,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      TreatMissingData: 'notBreaching',
    });
    expect(alarmProps(b, 'ApiLatencyP99').DatapointsToAlarm).toBeUndefined();
  });

  it('Lambda errors: one alarm per function, Errors sum ≥ 1 in 5 minutes', () => {
    const fns: [string, { functionName: string }][] = [
      ['KeyAuthorizerErrors', b.stack.keyAuthorizer.handler],
      ['ManagementApiKeysFunctionErrors', b.stack.managementApi.keysFunction],
      ['WebhookDeliveryErrors', b.stack.webhookDelivery!.function],
    ];
    for (const [name, fn] of fns) {
      expect(alarmProps(b, name)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: ref(b.stack, fn.functionName) }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    }
    expect(alarmProps(b, 'ManagementApiKeysFunctionErrors').AlarmName).toBe('Keygate-ManagementApi-KeysFunction-errors');
  });

  it('DynamoDB throttling: read + write throttle events ≥ 1 per minute in 3 of 5, per table', () => {
    for (const [name, table] of [
      ['KeyStoreTableThrottles', b.stack.keyStore.table],
      ['KeyStoreCounterTableThrottles', b.stack.keyStore.counterTable],
    ] as const) {
      const p = alarmProps(b, name);
      expect(p).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 5, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching' });
      const metrics = p.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] }; Stat: string; Period: number } }[];
      expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(reads, 0) + FILL(writes, 0)');
      expect(metrics.filter((m) => m.MetricStat).map((m) => [m.MetricStat!.Metric.MetricName, m.MetricStat!.Stat, m.MetricStat!.Period, m.MetricStat!.Metric.Dimensions])).toEqual([
        ['ReadThrottleEvents', 'Sum', 60, [{ Name: 'TableName', Value: ref(b.stack, table.tableName) }]],
        ['WriteThrottleEvents', 'Sum', 60, [{ Name: 'TableName', Value: ref(b.stack, table.tableName) }]],
      ]);
    }
  });

  it('Firehose: DeliveryToS3.DataFreshness maximum > 1800 s, per stream', () => {
    expect(alarmProps(b, 'UsageAnalyticsDeliveryStreamDeliveryFreshness')).toMatchObject({
      Namespace: 'AWS/Firehose',
      MetricName: 'DeliveryToS3.DataFreshness',
      Dimensions: [{ Name: 'DeliveryStreamName', Value: ref(b.stack, b.stack.usageAnalytics!.deliveryStream.ref) }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1800,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('webhook dead letters: any visible message', () => {
    expect(alarmProps(b, 'WebhookDeadLetters')).toMatchObject({
      AlarmName: 'Keygate-webhook-dead-letters',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: ref(b.stack, b.stack.webhookDelivery!.deadLetterQueue.queueName) }],
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('rejected keys: an anomaly band (3 std devs) on the rejected outcomes AND a floor of 50, combined, only the combination notifies', () => {
    const spike = alarmProps(b, 'RejectedKeysSpike');
    expect(spike.AlarmName).toBe('Keygate-rejected-keys-spike');
    const all = b.template.findResources('AWS::CloudWatch::Alarm') as Record<string, { Properties: Props }>;
    const byName = (n: string) => Object.entries(all).find(([, r]) => r.Properties.AlarmName === n)!;
    const [anomalyId, anomaly] = byName('Keygate-rejected-keys-anomaly');
    const [floorId, floor] = byName('Keygate-rejected-keys-floor');
    expect(spike.AlarmRule).toEqual({
      'Fn::Join': ['', ['(ALARM("', { 'Fn::GetAtt': [anomalyId, 'Arn'] }, '") AND ALARM("', { 'Fn::GetAtt': [floorId, 'Arn'] }, '"))']],
    });
    for (const a of [anomaly, floor]) {
      expect(a.Properties.AlarmActions).toBeUndefined();
      expect(a.Properties.OKActions).toBeUndefined();
      expect(a.Properties).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching' });
      const metrics = a.Properties.Metrics as { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: string }[] }; Period: number } }[];
      const outcomes = metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric.Dimensions.find((d) => d.Name === 'Outcome')!.Value);
      expect(outcomes).toEqual([...REJECTED_KEY_OUTCOMES]);
      expect(metrics.filter((m) => m.MetricStat).every((m) => m.MetricStat!.Period === 300)).toBe(true);
      expect(metrics.length).toBeLessThanOrEqual(10); // CloudWatch: a metric math alarm reads at most 10 metrics
    }
    const anomalyMetrics = anomaly.Properties.Metrics as { Id: string; Expression?: string }[];
    expect(anomaly.Properties).toMatchObject({ ComparisonOperator: 'GreaterThanUpperThreshold' });
    expect(anomalyMetrics.find((m) => m.Id === anomaly.Properties.ThresholdMetricId)?.Expression).toMatch(/^ANOMALY_DETECTION_BAND\(\w+, 3\)$/);
    expect(floor.Properties).toMatchObject({ Threshold: 50, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  it('have no actions without a topic, and none at all when alarms are off', () => {
    const quiet = build({}, { topic: false });
    for (const name of Object.keys(quiet.monitoring.alarms)) {
      expect(alarmProps(quiet, name).AlarmActions).toBeUndefined();
      expect(alarmProps(quiet, name).OKActions).toBeUndefined();
    }
    const off = build({ alarms: false, dashboard: false });
    expect(off.monitoring.alarms).toEqual({});
    expect(off.monitoring.dashboard).toBeUndefined();
    expect(off.monitoring.node.findAll().filter((c) => CfnResource.isCfnResource(c))).toEqual([]);
    expect(quiet.monitoring.node.findAll().filter((c) => CfnResource.isCfnResource(c)).length).toBeGreaterThan(0);
  });
});

describe('thresholds', () => {
  it('come from the props', () => {
    const t = build({
      unavailablePercent: 5,
      serverErrorPercent: 2.5,
      latencyP99: Duration.millis(250),
      lambdaErrors: 3,
      dynamoDbThrottles: 10,
      rejectedKeysStdDevs: 2,
      rejectedKeysFloor: 7,
      deliveryFreshness: Duration.minutes(20),
    });
    expect(alarmProps(t, 'AuthorizerUnavailable').Threshold).toBe(5);
    expect(alarmProps(t, 'ApiServerErrors').Threshold).toBe(2.5);
    expect(alarmProps(t, 'ApiLatencyP99').Threshold).toBe(250);
    expect(alarmProps(t, 'KeyAuthorizerErrors').Threshold).toBe(3);
    expect(alarmProps(t, 'KeyStoreCounterTableThrottles').Threshold).toBe(10);
    expect(alarmProps(t, 'AuditExportDeliveryStreamDeliveryFreshness').Threshold).toBe(1200);
    const all = Object.values(t.template.findResources('AWS::CloudWatch::Alarm')) as { Properties: Props }[];
    const anomaly = all.find((a) => a.Properties.AlarmName === 'Keygate-rejected-keys-anomaly')!;
    expect(JSON.stringify(anomaly.Properties.Metrics)).toMatch(/ANOMALY_DETECTION_BAND\(\w+, 2\)/);
    expect(all.find((a) => a.Properties.AlarmName === 'Keygate-rejected-keys-floor')!.Properties.Threshold).toBe(7);
  });

  it('come from keygate:* settings, validated and named in errors', () => {
    const context = (values: Record<string, unknown>) => (key: string) => values[key];
    const defaults = monitoringSettings(context({}));
    expect(defaults.dashboard).toBe(true);
    expect(defaults.alarms).toBe(true);
    expect(defaults.thresholds.latencyP99!.toMilliseconds()).toBe(MONITORING_DEFAULTS.latencyP99Ms);
    expect(defaults.thresholds.deliveryFreshness!.toSeconds()).toBe(MONITORING_DEFAULTS.deliveryFreshnessSeconds);
    const s = MONITORING_SETTINGS;
    const set = monitoringSettings(
      context({ [s.alarms]: 'false', [s.dashboard]: false, [s.latencyP99Ms]: '300', [s.unavailablePercent]: '0.5', [s.rejectedKeysFloor]: 0, [s.deliveryFreshnessSeconds]: 600 }),
    );
    expect(set).toMatchObject({ alarms: false, dashboard: false, thresholds: { unavailablePercent: 0.5, rejectedKeysFloor: 0 } });
    expect(set.thresholds.latencyP99!.toMilliseconds()).toBe(300);
    expect(set.thresholds.deliveryFreshness!.toSeconds()).toBe(600);
    expect(() => monitoringSettings(context({ [s.alarms]: 'yes' }))).toThrow(/keygate:alarms must be true or false/);
    expect(() => monitoringSettings(context({ [s.latencyP99Ms]: 12.5 }))).toThrow(/keygate:alarmLatencyP99Ms must be an integer from 1 to 29000/);
    expect(() => monitoringSettings(context({ [s.unavailablePercent]: 0 }))).toThrow(/keygate:alarmUnavailablePercent must be a number/);
    expect(() => monitoringSettings(context({ [s.lambdaErrors]: '-1' }))).toThrow(/keygate:alarmLambdaErrors/);
  });
});

// --- cardinality and cdk-nag --------------------------------------------------------------------

describe('dimensions', () => {
  /** Every dimension name in the dashboard and in our alarms. */
  function dimensionNames(x: Built): Set<string> {
    const names = new Set<string>();
    for (const w of dashboardBody(x).widgets) for (const r of rows(w)) for (const n of Object.keys(r.dimensions)) names.add(n);
    for (const name of Object.keys(x.monitoring.alarms)) {
      const alarm = x.monitoring.alarms[name]!;
      const scan = (p: unknown): void => {
        if (Array.isArray(p)) p.forEach(scan);
        else if (p && typeof p === 'object') {
          const o = p as Props;
          if (Array.isArray(o.Dimensions)) for (const d of o.Dimensions as { Name: string }[]) names.add(d.Name);
          Object.values(o).forEach(scan);
        }
      };
      scan(resource(x, alarm).Properties);
    }
    for (const r of Object.values(x.template.findResources('AWS::CloudWatch::Alarm')) as { Properties: Props }[]) {
      if (String(r.Properties.AlarmName).startsWith('Keygate-rejected-keys')) JSON.stringify(r.Properties.Metrics).replace(/"Name":"(\w+)"/g, (_, n: string) => (names.add(n), ''));
    }
    return names;
  }

  it('are only service-level: no key, owner, route or address anywhere', () => {
    const keygate = new Set(METRIC_LIST.flatMap((m) => m.dimensions));
    const aws = new Set(['ApiName', 'Stage', 'FunctionName', 'TableName', 'DeliveryStreamName', 'QueueName']);
    const names = dimensionNames(b);
    expect([...names].filter((n) => !keygate.has(n as never) && !aws.has(n))).toEqual([]);
    expect([...names].filter((n) => /key|owner|route|ip|path|client/i.test(n))).toEqual([]);
  });

  it('of a custom metric are exactly its published set', () => {
    for (const w of dashboardBody(b).widgets) {
      for (const r of rows(w).filter((r) => r.namespace === METRICS_NAMESPACE)) {
        const def = METRIC_LIST.find((m) => m.name === r.metricName)!;
        expect(Object.keys(r.dimensions).sort()).toEqual([...def.dimensions].sort());
      }
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports nothing on the stack with monitoring, with no acknowledgement added', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(b.app);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('KeygateStack wiring', () => {
  it('builds Monitoring by default, alarming to the notifications topic, and none when both switches are off', () => {
    // Act
    const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
    apps.push(app);
    const stack = new KeygateStack(app, 'KeygateWired', { stackName: 'KeygateWired' });
    const template = Template.fromStack(stack);
    const offApp = new App({ context: { ...cdkJson.context, 'keygate:dashboard': false, 'keygate:alarms': false, 'aws:cdk:bundling-stacks': [] } });
    apps.push(offApp);
    const off = new KeygateStack(offApp, 'KeygateQuiet', { stackName: 'KeygateQuiet' });
    // Assess
    expect(stack.monitoring).toBeDefined();
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as { Properties: Props }[];
    expect(alarms.length).toBeGreaterThan(5);
    const topicArn = ref(stack, stack.notifications.topic.topicArn);
    expect(alarms.filter((a) => Array.isArray(a.Properties.AlarmActions)).every((a) => JSON.stringify(a.Properties.AlarmActions) === JSON.stringify([topicArn]))).toBe(true);
    expect(off.monitoring).toBeUndefined();
    Template.fromStack(off).resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    Template.fromStack(off).resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });
});
