import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import {
  DECISION_OUTCOMES,
  type DecisionOutcome,
  type DimensionsOf,
  LIMITED_OUTCOMES,
  METRIC_SERVICES,
  METRIC_STORES,
  METRICS,
  METRICS_NAMESPACE,
  type MetricName,
  REJECTED_KEY_OUTCOMES,
  STATUS_CLASSES,
} from '../core/metrics';

// --- settings -----------------------------------------------------------------------------------

/** The `keygate:*` settings this construct reads (core/settings.ts lists them with what they do). */
export const MONITORING_SETTINGS = {
  dashboard: 'keygate:dashboard',
  alarms: 'keygate:alarms',
  unavailablePercent: 'keygate:alarmUnavailablePercent',
  serverErrorPercent: 'keygate:alarmServerErrorPercent',
  latencyP99Ms: 'keygate:alarmLatencyP99Ms',
  lambdaErrors: 'keygate:alarmLambdaErrors',
  dynamoDbThrottles: 'keygate:alarmDynamoDbThrottles',
  rejectedKeysStdDevs: 'keygate:alarmRejectedKeysStdDevs',
  rejectedKeysFloor: 'keygate:alarmRejectedKeysFloor',
  deliveryFreshnessSeconds: 'keygate:alarmDeliveryFreshnessSeconds',
} as const;

/** Defaults of the thresholds, in the units of the settings. The props' `@default`s say the same. */
export const MONITORING_DEFAULTS = {
  unavailablePercent: 1,
  serverErrorPercent: 1,
  latencyP99Ms: 1000,
  lambdaErrors: 1,
  dynamoDbThrottles: 1,
  rejectedKeysStdDevs: 3,
  rejectedKeysFloor: 50,
  deliveryFreshnessSeconds: 1800,
} as const;

/** What `monitoringSettings` read: the two switches and the thresholds as `Monitoring` props. */
export interface MonitoringSettings {
  readonly dashboard: boolean;
  readonly alarms: boolean;
  readonly thresholds: Pick<
    MonitoringProps,
    | 'unavailablePercent'
    | 'serverErrorPercent'
    | 'latencyP99'
    | 'lambdaErrors'
    | 'dynamoDbThrottles'
    | 'rejectedKeysStdDevs'
    | 'rejectedKeysFloor'
    | 'deliveryFreshness'
  >;
}

function booleanSetting(get: (key: string) => unknown, key: string): boolean {
  const raw = get(key);
  if (raw === undefined || raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new Error(`${key} must be true or false (got ${JSON.stringify(raw)})`);
}

/** A number setting in [min, max]; `-c key=2.5` arrives as the string "2.5". */
function numberSetting(get: (key: string) => unknown, key: string, fallback: number, min: number, max: number, integer = false): number {
  const raw = get(key);
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`${key} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

/**
 * The monitoring settings, validated; every error names its setting. Read even when a switch is
 * off, so a typo in a threshold fails synthesis instead of waiting for the day alarms go on.
 */
export function monitoringSettings(get: (key: string) => unknown): MonitoringSettings {
  const s = MONITORING_SETTINGS;
  const d = MONITORING_DEFAULTS;
  return {
    dashboard: booleanSetting(get, s.dashboard),
    alarms: booleanSetting(get, s.alarms),
    thresholds: {
      unavailablePercent: numberSetting(get, s.unavailablePercent, d.unavailablePercent, 0.01, 100),
      serverErrorPercent: numberSetting(get, s.serverErrorPercent, d.serverErrorPercent, 0.01, 100),
      latencyP99: Duration.millis(numberSetting(get, s.latencyP99Ms, d.latencyP99Ms, 1, 29_000, true)),
      lambdaErrors: numberSetting(get, s.lambdaErrors, d.lambdaErrors, 1, 1_000_000, true),
      dynamoDbThrottles: numberSetting(get, s.dynamoDbThrottles, d.dynamoDbThrottles, 1, 1_000_000, true),
      rejectedKeysStdDevs: numberSetting(get, s.rejectedKeysStdDevs, d.rejectedKeysStdDevs, 0.5, 10),
      rejectedKeysFloor: numberSetting(get, s.rejectedKeysFloor, d.rejectedKeysFloor, 0, 1_000_000_000, true),
      deliveryFreshness: Duration.seconds(numberSetting(get, s.deliveryFreshnessSeconds, d.deliveryFreshnessSeconds, 60, 86_400, true)),
    },
  };
}

// --- construct ----------------------------------------------------------------------------------

/** A Firehose delivery stream: the L1 Keygate builds (usage analytics, audit export) or an L2. */
export type MonitoredDeliveryStream = firehose.CfnDeliveryStream | firehose.IDeliveryStream;

export interface MonitoringProps {
  /** The REST API's deployed stage: API Gateway metrics by `ApiName` and `Stage`. */
  readonly stage: apigateway.Stage;
  /** The authorizer function: decisions, duration, errors, concurrency. */
  readonly authorizerFunction: lambda.IFunction;
  /**
   * Keygate's other functions (keys, usage, expiry scan, anomalies, webhook): errors, throttles,
   * concurrency, one errors alarm each.
   * @default - none
   */
  readonly functions?: readonly lambda.IFunction[];
  /** The key table. */
  readonly table: dynamodb.ITable;
  /** The rate-limit and quota counter table. */
  readonly counterTable: dynamodb.ITable;
  /**
   * Firehose streams whose delivery to S3 is graphed and alarmed on (usage analytics, audit export).
   * @default - none: no Firehose widgets or alarms
   */
  readonly deliveryStreams?: readonly MonitoredDeliveryStream[];
  /**
   * The webhook's dead-letter queue: its depth is graphed and any message alarms.
   * @default - none
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Where alarms notify, on ALARM and again on OK. Its key policy (if encrypted) must let
   * `cloudwatch.amazonaws.com` use the key.
   * @default - alarms change state on the dashboard and the console, nobody is notified
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Create the dashboard.
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * Create the alarms.
   * @default true
   */
  readonly alarms?: boolean;
  /**
   * Dashboard name; CloudWatch dashboard names are unique per account, across Regions.
   * @default - `<stackName>-<region>`
   */
  readonly dashboardName?: string;
  /**
   * Authorizer unavailability: `UNAVAILABLE` decisions (the store failed, the caller got 503) as a
   * percentage of authorizer invocations, per minute, in 3 of 5 minutes.
   * @default 1
   */
  readonly unavailablePercent?: number;
  /**
   * API 5xx responses as a percentage of requests, per 5 minutes, in 2 of 3 periods. Catches an
   * authorizer that crashes or times out (it records no decision) and failing integrations.
   * @default 1
   */
  readonly serverErrorPercent?: number;
  /**
   * API Gateway `Latency` p99 (authorizer plus integration), per 5 minutes, 3 periods in a row.
   * @default Duration.seconds(1)
   */
  readonly latencyP99?: Duration;
  /**
   * Errors of one function in 5 minutes that alarm (each function has its own alarm).
   * @default 1
   */
  readonly lambdaErrors?: number;
  /**
   * DynamoDB read + write throttle events on one table in a minute, in 3 of 5 minutes.
   * @default 1
   */
  readonly dynamoDbThrottles?: number;
  /**
   * Width of the anomaly-detection band (standard deviations) that rejected keys must rise above.
   * @default 3
   */
  readonly rejectedKeysStdDevs?: number;
  /**
   * Rejected keys in 5 minutes below which the spike alarm stays quiet whatever the band says,
   * so a quiet deployment is not paged for a handful of typos.
   * @default 50
   */
  readonly rejectedKeysFloor?: number;
  /**
   * Age of the oldest record a delivery stream has not yet written to S3 (`DeliveryToS3.DataFreshness`).
   * @default Duration.minutes(30) - twice the longest buffer interval Keygate uses (900 s)
   */
  readonly deliveryFreshness?: Duration;
}

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);
/** The `Service` the authorizer records its custom metrics under. */
const AUTHORIZER_SERVICE = 'authorizer' satisfies (typeof METRIC_SERVICES)[number];
/** The `Service` the keys Lambda records its responses under. */
const KEYS_SERVICE = 'keys' satisfies (typeof METRIC_SERVICES)[number];

/** One of Keygate's custom metrics (core/metrics.ts), with exactly its dimension set. */
export function keygateMetric<N extends MetricName>(name: N, dimensions: DimensionsOf<N>, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  const definition = METRICS[name];
  const given = Object.keys(dimensions).sort();
  if (given.join() !== [...definition.dimensions].sort().join()) {
    throw new Error(`${definition.name} is published with dimensions ${definition.dimensions.join(', ')} (got ${given.join(', ')})`);
  }
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: definition.name, dimensionsMap: { ...dimensions }, ...options });
}

function decisions(outcome: DecisionOutcome, options: cloudwatch.MetricOptions): cloudwatch.Metric {
  return keygateMetric('Decisions', { Service: AUTHORIZER_SERVICE, Outcome: outcome }, { statistic: cloudwatch.Stats.SUM, label: outcome, ...options });
}

/** `SUM` of the outcomes' decision counts, missing periods of an outcome counted as 0. */
function decisionsSum(outcomes: readonly DecisionOutcome[], label: string, period: Duration): cloudwatch.MathExpression {
  const usingMetrics: Record<string, cloudwatch.IMetric> = {};
  // Ids from the outcome (`not_found`): the same outcome in two sums on one graph is one metric.
  for (const o of outcomes) usingMetrics[o.toLowerCase()] = decisions(o, { period });
  const ids = Object.keys(usingMetrics);
  return new cloudwatch.MathExpression({ expression: `SUM([${ids.map((id) => `FILL(${id}, 0)`).join(', ')}])`, usingMetrics, label, period });
}

/** A short, stable name for a construct: its path below the stack, without a trailing `Function`. */
function labelOf(construct: IConstruct): string {
  const stackPath = Stack.of(construct).node.path;
  const parts = construct.node.path.slice(stackPath.length).split('/').filter(Boolean);
  if (parts.length > 1 && (parts.at(-1) === 'Function' || parts.at(-1) === 'Resource')) parts.pop();
  return parts.join('-');
}

/** `ManagementApi-KeysFunction` → `ManagementApiKeysFunction`, for a construct id. */
function idOf(label: string): string {
  return label.replace(/[^A-Za-z0-9]/g, '');
}

function deliveryStreamName(stream: MonitoredDeliveryStream): string {
  return stream instanceof firehose.CfnDeliveryStream ? stream.ref : stream.deliveryStreamName;
}

/**
 * Keygate's CloudWatch dashboard and alarms. Reads AWS metrics of the stage, functions, tables,
 * delivery streams and dead-letter queue, and Keygate's own metrics from core/metrics.ts (never a
 * per-key dimension: those are not published). Each alarm is named `<stackName>-<what>` and
 * notifies `alarmTopic` on ALARM and on OK; docs/operations.md ("Monitoring") says what each
 * means and what to do.
 */
export class Monitoring extends Construct {
  /** The dashboard, unless `dashboard` is false. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** Every alarm that notifies (empty when `alarms` is false), by what it watches. */
  public readonly alarms: Readonly<Record<string, cloudwatch.AlarmBase>>;

  private readonly alarmList: Record<string, cloudwatch.AlarmBase> = {};
  private readonly stackName: string;
  private readonly topic?: sns.ITopic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.stackName = Stack.of(this).stackName;
    if (props.alarmTopic) this.topic = props.alarmTopic;
    const d = MONITORING_DEFAULTS;
    const stage = props.stage;
    const authorizer = props.authorizerFunction;
    const functions = [authorizer, ...(props.functions ?? [])];
    const tables = [props.table, props.counterTable];
    const streams = props.deliveryStreams ?? [];

    if (props.alarms ?? true) {
      // Unavailability: the store failed and the authorizer answered 503. The rate is over
      // invocations, not the sum of every outcome: an alarm may read at most 10 metrics.
      const unavailable = new cloudwatch.MathExpression({
        expression: '100 * FILL(unavailable, 0) / invocations',
        usingMetrics: {
          unavailable: decisions('UNAVAILABLE', { period: ONE_MINUTE }),
          invocations: authorizer.metricInvocations({ period: ONE_MINUTE, statistic: cloudwatch.Stats.SUM }),
        },
        label: 'Unavailable decisions (% of authorizer invocations)',
        period: ONE_MINUTE,
      });
      this.alarm('AuthorizerUnavailable', 'authorizer-unavailable', {
        metric: unavailable,
        threshold: props.unavailablePercent ?? d.unavailablePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        // No invocations, no rate: a quiet API is not an unavailable one.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: 'More than the threshold % of authorizer decisions were UNAVAILABLE (503: the key or counter store failed) in 3 of 5 minutes.',
      });

      const serverErrors = new cloudwatch.MathExpression({
        expression: '100 * errors',
        usingMetrics: { errors: stage.metricServerError({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.AVERAGE }) },
        label: '5XXError (% of requests)',
        period: FIVE_MINUTES,
      });
      this.alarm('ApiServerErrors', 'api-5xx', {
        metric: serverErrors,
        threshold: props.serverErrorPercent ?? d.serverErrorPercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: 'More than the threshold % of API responses were 5xx in 2 of 3 five-minute periods.',
      });

      this.alarm('ApiLatencyP99', 'api-latency-p99', {
        metric: stage.metricLatency({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.p(99) }),
        threshold: (props.latencyP99 ?? Duration.millis(d.latencyP99Ms)).toMilliseconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        // No requests, no latency.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: 'API Gateway Latency p99 (authorizer + integration) above the threshold for 15 minutes.',
      });

      for (const fn of functions) {
        const label = labelOf(fn);
        this.alarm(`${idOf(label)}Errors`, `${label}-errors`, {
          metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
          threshold: props.lambdaErrors ?? d.lambdaErrors,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // One period: the scheduled functions run once an hour, so "n of m" would never fire.
          evaluationPeriods: 1,
          // Lambda publishes Errors only for periods with invocations.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `${label}: invocation errors (unhandled exceptions, timeouts) in 5 minutes at or above the threshold.`,
        });
      }

      for (const table of tables) {
        const label = labelOf(table);
        const throttles = new cloudwatch.MathExpression({
          expression: 'FILL(reads, 0) + FILL(writes, 0)',
          usingMetrics: {
            reads: table.metric('ReadThrottleEvents', { period: ONE_MINUTE, statistic: cloudwatch.Stats.SUM }),
            writes: table.metric('WriteThrottleEvents', { period: ONE_MINUTE, statistic: cloudwatch.Stats.SUM }),
          },
          label: `${label} throttle events`,
          period: ONE_MINUTE,
        });
        this.alarm(`${idOf(label)}Throttles`, `${label}-throttles`, {
          metric: throttles,
          threshold: props.dynamoDbThrottles ?? d.dynamoDbThrottles,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          // DynamoDB publishes throttle events only when there are some.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `${label}: read + write throttle events at or above the threshold in 3 of 5 minutes.`,
        });
      }

      for (const stream of streams) {
        const label = labelOf(stream);
        this.alarm(`${idOf(label)}DeliveryFreshness`, `${label}-delivery-freshness`, {
          metric: new cloudwatch.Metric({
            namespace: 'AWS/Firehose',
            metricName: 'DeliveryToS3.DataFreshness',
            dimensionsMap: { DeliveryStreamName: deliveryStreamName(stream) },
            period: FIVE_MINUTES,
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: (props.deliveryFreshness ?? Duration.seconds(d.deliveryFreshnessSeconds)).toSeconds(),
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          // An idle stream has nothing waiting.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `${label}: the oldest record not yet in S3 is older than the threshold (delivery failing or far behind).`,
        });
      }

      if (props.deadLetterQueue) {
        this.alarm('WebhookDeadLetters', 'webhook-dead-letters', {
          metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.MAXIMUM }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          // A queue with messages is active and reports; one that reports nothing is empty.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: 'Webhook events that could not be delivered are waiting in the dead-letter queue.',
        });
      }

      this.rejectedKeysSpike(props.rejectedKeysStdDevs ?? d.rejectedKeysStdDevs, props.rejectedKeysFloor ?? d.rejectedKeysFloor);
    }
    this.alarms = this.alarmList;

    if (props.dashboard ?? true) {
      this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
        dashboardName: props.dashboardName ?? `${this.stackName}-${Stack.of(this).region}`,
        defaultInterval: Duration.hours(3),
      });
      this.dashboard.addWidgets(...this.widgets(props, functions, tables, streams));
    }
  }

  /**
   * A sudden rise in rejected keys (missing, malformed, unknown, revoked, expired, out of scope,
   * wrong IP): credential stuffing, a leaked-key sweep, or a client rolled out with a bad key.
   * Anomaly detection, not a comparison with the previous period: CloudWatch metric math cannot
   * shift a series in time (only DIFF/RATE against the previous datapoint, a minute ago), so "vs
   * the same hour yesterday" cannot be expressed, and a previous-period ratio fires on every
   * ordinary morning ramp. The model learns the hourly and weekly pattern. The band alone pages
   * a quiet deployment for three typos, so a floor alarm must agree (composite: both in ALARM).
   */
  private rejectedKeysSpike(stdDevs: number, floor: number): void {
    const rejected = decisionsSum(REJECTED_KEY_OUTCOMES, 'Rejected keys', FIVE_MINUTES);
    const band = new cloudwatch.AnomalyDetectionAlarm(this, 'RejectedKeysAnomaly', {
      alarmName: `${this.stackName}-rejected-keys-anomaly`,
      metric: rejected,
      stdDevs,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      // The sum fills missing outcomes with 0, so a datapoint is missing only when no outcome
      // was recorded at all: nothing was rejected.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'Rejected keys above the anomaly band (no actions: the rejected-keys-spike composite alarm notifies).',
    });
    const aboveFloor = new cloudwatch.Alarm(this, 'RejectedKeysFloor', {
      alarmName: `${this.stackName}-rejected-keys-floor`,
      metric: rejected,
      threshold: floor,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'Rejected keys at or above the floor (no actions: the rejected-keys-spike composite alarm notifies).',
    });
    const spike = new cloudwatch.CompositeAlarm(this, 'RejectedKeysSpike', {
      compositeAlarmName: `${this.stackName}-rejected-keys-spike`,
      alarmRule: cloudwatch.AlarmRule.allOf(
        cloudwatch.AlarmRule.fromAlarm(band, cloudwatch.AlarmState.ALARM),
        cloudwatch.AlarmRule.fromAlarm(aboveFloor, cloudwatch.AlarmState.ALARM),
      ),
      alarmDescription: 'Rejected keys rose above their usual band and above the floor: look at the outcomes on the dashboard and the usage records (docs/operations.md, Monitoring).',
    });
    this.notify('RejectedKeysSpike', spike);
  }

  private alarm(id: string, name: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, { ...props, alarmName: `${this.stackName}-${name}` });
    this.notify(id, alarm);
    return alarm;
  }

  private notify(id: string, alarm: cloudwatch.AlarmBase): void {
    if (this.topic) {
      const action = new actions.SnsAction(this.topic);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarmList[id] = alarm;
  }

  private widgets(
    props: MonitoringProps,
    functions: readonly lambda.IFunction[],
    tables: readonly dynamodb.ITable[],
    streams: readonly MonitoredDeliveryStream[],
  ): cloudwatch.IWidget[] {
    const stage = props.stage;
    const authorizer = props.authorizerFunction;
    const width = 12;
    const height = 6;
    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width, height, ...extra });
    const m = { period: ONE_MINUTE };
    const sum = { ...m, statistic: cloudwatch.Stats.SUM };

    const widgets: cloudwatch.IWidget[] = [];
    const alarms = Object.values(this.alarmList);
    if (alarms.length > 0) widgets.push(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24, height: 3 }));

    widgets.push(
      graph('Requests (API Gateway)', [
        stage.metricCount({ ...sum, label: 'Requests' }),
        stage.metricClientError({ ...sum, label: '4XXError' }),
        stage.metricServerError({ ...sum, label: '5XXError' }),
      ]),
      graph(
        'Authorizer decisions by outcome',
        DECISION_OUTCOMES.map((o) => decisions(o, m)),
        { stacked: true },
      ),
      graph('4xx / 429 / 5xx', [
        stage.metricClientError({ ...sum, label: '4xx (all)' }),
        decisionsSum(LIMITED_OUTCOMES, '429 (rate limited + quota exceeded)', ONE_MINUTE),
        decisionsSum(REJECTED_KEY_OUTCOMES, 'Rejected keys (401/403)', ONE_MINUTE),
        decisions('UNAVAILABLE', { ...m, label: '503 (authorizer unavailable)' }),
        stage.metricServerError({ ...sum, label: '5xx (all)' }),
      ]),
      graph('Latency p50 / p99 (ms)', [
        stage.metricLatency({ ...m, statistic: cloudwatch.Stats.p(50), label: 'API p50' }),
        stage.metricLatency({ ...m, statistic: cloudwatch.Stats.p(99), label: 'API p99' }),
        authorizer.metricDuration({ ...m, statistic: cloudwatch.Stats.p(50), label: 'Authorizer p50' }),
        authorizer.metricDuration({ ...m, statistic: cloudwatch.Stats.p(99), label: 'Authorizer p99' }),
      ]),
      graph(
        'Store latency p50 / p99 (ms)',
        METRIC_STORES.flatMap((store) => [
          keygateMetric('StoreLatency', { Service: AUTHORIZER_SERVICE, Store: store }, { ...m, statistic: cloudwatch.Stats.p(50), label: `${store} p50` }),
          keygateMetric('StoreLatency', { Service: AUTHORIZER_SERVICE, Store: store }, { ...m, statistic: cloudwatch.Stats.p(99), label: `${store} p99` }),
        ]),
      ),
      graph('Authorizer key cache', [
        keygateMetric('CacheHits', { Service: AUTHORIZER_SERVICE }, { ...sum, label: 'Hits' }),
        keygateMetric('CacheMisses', { Service: AUTHORIZER_SERVICE }, { ...sum, label: 'Misses' }),
      ]),
      graph(
        'DynamoDB throttles and system errors',
        tables.flatMap((table) => {
          const label = labelOf(table);
          return [
            table.metric('ReadThrottleEvents', { ...sum, label: `${label} read throttles` }),
            table.metric('WriteThrottleEvents', { ...sum, label: `${label} write throttles` }),
            new cloudwatch.MathExpression({
              expression: `SEARCH('{AWS/DynamoDB,Operation,TableName} MetricName="SystemErrors" TableName="${table.tableName}"', 'Sum', 60)`,
              label: `${label} system errors`,
              period: ONE_MINUTE,
            }),
          ];
        }),
      ),
      graph(
        'Lambda errors and throttles',
        functions.flatMap((fn) => [
          fn.metricErrors({ ...sum, label: `${labelOf(fn)} errors` }),
          fn.metricThrottles({ ...sum, label: `${labelOf(fn)} throttles` }),
        ]),
      ),
      graph(
        'Lambda concurrency (max)',
        functions.map((fn) => fn.metric('ConcurrentExecutions', { ...m, statistic: cloudwatch.Stats.MAXIMUM, label: labelOf(fn) })),
      ),
      graph(
        'Management API responses by status class',
        STATUS_CLASSES.map((c) => keygateMetric('Requests', { Service: KEYS_SERVICE, StatusClass: c }, { ...sum, label: c })),
      ),
      graph(
        'Events published / failed',
        METRIC_SERVICES.flatMap((service) => [
          keygateMetric('EventsPublished', { Service: service }, { ...sum, label: `${service} published` }),
          keygateMetric('EventsFailed', { Service: service }, { ...sum, label: `${service} failed` }),
        ]),
      ),
    );

    if (streams.length > 0) {
      const firehoseMetric = (stream: MonitoredDeliveryStream, metricName: string, statistic: string, label: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/Firehose',
          metricName,
          dimensionsMap: { DeliveryStreamName: deliveryStreamName(stream) },
          period: FIVE_MINUTES,
          statistic,
          label: `${labelOf(stream)} ${label}`,
        });
      widgets.push(
        graph(
          'Firehose delivery to S3',
          streams.flatMap((s) => [
            firehoseMetric(s, 'DeliveryToS3.Success', cloudwatch.Stats.AVERAGE, 'success ratio'),
            firehoseMetric(s, 'FailedConversion.Records', cloudwatch.Stats.SUM, 'failed conversions'),
          ]),
          {
            right: streams.map((s) => firehoseMetric(s, 'DeliveryToS3.DataFreshness', cloudwatch.Stats.MAXIMUM, 'data freshness (s)')),
          },
        ),
      );
    }
    if (props.deadLetterQueue) {
      widgets.push(
        graph('Webhook dead-letter queue depth', [
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.MAXIMUM, label: 'Messages' }),
        ]),
      );
    }
    return widgets;
  }
}
