import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { ANOMALY_LEDGER_PREFIX, COUNTER_TABLE } from '../adapters/dynamodb/table-schema';
import { INFRA_ENV } from '../core/config';
import {
  ANOMALY_DELAY_ENV,
  ANOMALY_THRESHOLDS_ENV,
  type AnomalyThresholds,
  DEFAULT_ANOMALY_DELAY_MINUTES,
  DEFAULT_ANOMALY_SCHEDULE,
  DEFAULT_ANOMALY_THRESHOLDS,
  parseAnomalySchedule,
  parseAnomalyThresholds,
} from '../core/usage-anomalies';
import { keygateFunction } from './keygate-function';
import { scheduleFunction } from './schedule';
import { COUNTER_ITEMS, type IKeyStore, KEY_ITEMS } from './key-store';
import type { Notifications } from './notifications';
import type { UsageAnalytics } from './usage-analytics';

export interface UsageAnomaliesProps {
  /** The usage records it queries (Athena workgroup, Glue table); access by `grantQuery`. */
  readonly usageAnalytics: UsageAnalytics;
  /** The bus it publishes `keygate.usage.anomaly` to; access by `grantPublish`. */
  readonly notifications: Notifications;
  /** Key records (quotas) and counters (live counts, and the ledger's `ANOM#` items). */
  readonly keyStore: IKeyStore;
  /**
   * Rule thresholds (core/usage-anomalies.ts), validated at synth.
   *
   * @default DEFAULT_ANOMALY_THRESHOLDS
   */
  readonly thresholds?: AnomalyThresholds;
  /**
   * EventBridge Scheduler expression, UTC. Each run evaluates one hour, so keep it hourly; the
   * minute is the delivery delay (Firehose buffers up to 300 s before the Parquet reaches S3).
   *
   * @default DEFAULT_ANOMALY_SCHEDULE, `cron(15 * * * ? *)`: minute 15 of every hour
   */
  readonly schedule?: string;
  /**
   * An hour is evaluated once it ended at least this long before the scheduled time.
   *
   * @default Duration.minutes(10)
   */
  readonly delay?: Duration;
  /**
   * Function timeout; the Athena queries may wait for most of it.
   *
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Function memory.
   *
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Retention of the function's log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the function's log group when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Handler source file (must export `handler`).
   *
   * @default lambdas/usage/anomalies-handler.ts
   */
  readonly entry?: string;
}

/**
 * Usage anomaly alerts: an EventBridge Scheduler schedule (hourly at minute 15 by default) invokes
 * a Lambda that runs the rules of core/usage-anomalies.ts on Athena over the last complete hour and
 * publishes one `keygate.usage.anomaly` event per (rule, subject, hour) on the Keygate bus, the
 * ledger of what was published being conditional writes to `ANOM#` items in the counter table.
 * See docs/anomalies.md.
 */
export class UsageAnomalies extends Construct implements iam.IGrantable {
  public readonly function: nodejs.NodejsFunction;
  public readonly logGroup: logs.LogGroup;
  public readonly schedule: scheduler.CfnSchedule;
  /** The role EventBridge Scheduler assumes to invoke the function (that function only). */
  public readonly schedulerRole: iam.Role;
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: UsageAnomaliesProps) {
    super(scope, id);
    const thresholds = parseAnomalyThresholds(props.thresholds ?? DEFAULT_ANOMALY_THRESHOLDS, `${this.node.path}: thresholds`);
    const expression = parseAnomalySchedule(props.schedule ?? DEFAULT_ANOMALY_SCHEDULE, `${this.node.path}: schedule`);
    const delayMinutes = props.delay?.toMinutes() ?? DEFAULT_ANOMALY_DELAY_MINUTES;
    const timeout = props.timeout ?? Duration.minutes(5);
    const analytics = props.usageAnalytics;

    const parts = keygateFunction(this, {
      ids: { function: 'Function', role: 'FunctionRole', logGroup: 'FunctionLogGroup' },
      entry: 'lambdas/usage/anomalies-handler.ts',
      ...(props.entry ? { entryPath: props.entry } : {}),
      description: 'Keygate: hourly usage anomaly detection (keygate.usage.anomaly events)',
      roleDescription: 'Keygate usage anomalies: queries usage with Athena, reads key quotas and counters, claims ANOM# ledger items, publishes to the Keygate bus',
      memorySize: props.memorySize ?? 512,
      timeout,
      // A failed run (a rule or a publish failed) is retried with the same input, so the same hour.
      retryAttempts: 2,
      environment: {
        [INFRA_ENV.tableName]: props.keyStore.table.tableName,
        [INFRA_ENV.counterTableName]: props.keyStore.counterTable.tableName,
        [INFRA_ENV.eventBusName]: props.notifications.bus.eventBusName,
        [ANOMALY_THRESHOLDS_ENV]: JSON.stringify(thresholds),
        [ANOMALY_DELAY_ENV]: String(delayMinutes),
        POWERTOOLS_SERVICE_NAME: 'keygate-anomalies',
      },
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    this.logGroup = parts.logGroup;
    this.function = parts.function;
    this.grantPrincipal = this.function.grantPrincipal;

    // The Athena workgroup, database and table in the environment, grantQuery, and its reviewed IAM5 findings.
    analytics.bindReports(this.function);
    props.notifications.grantPublish(this);
    this.grantKeyStore(props.keyStore);

    ({ role: this.schedulerRole, schedule: this.schedule } = scheduleFunction(this, {
      function: this.function,
      expression,
      description: 'Keygate: usage anomaly detection over the last complete UTC hour',
      roleDescription: 'Keygate usage anomalies: EventBridge Scheduler invokes the detection function',
    }));
  }

  /**
   * What the runner reads and writes in the key store, nothing more:
   * - `dynamodb:GetItem` on the key table for `KEY#*` items (the key's quota, `getById`)
   * - `dynamodb:GetItem` on the counter table for `CTR#*` items (`CounterStore.peek`)
   * - `dynamodb:PutItem` (only the ledger's attributes) and `dynamodb:DeleteItem` on the counter
   *   table for `ANOM#*` items (the ledger's claim and release)
   * - `kms:Decrypt` on the table key via DynamoDB only
   */
  private grantKeyStore(store: IKeyStore): void {
    const leading = (prefixes: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes } });
    const ledgerItems = `${ANOMALY_LEDGER_PREFIX}*`;
    const statements = [
      new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [store.table.tableArn], conditions: leading([KEY_ITEMS]) }),
      new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [store.counterTable.tableArn], conditions: leading([COUNTER_ITEMS]) }),
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [store.counterTable.tableArn],
        conditions: {
          ...leading([ledgerItems]),
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [COUNTER_TABLE.partitionKey, COUNTER_TABLE.sortKey, COUNTER_TABLE.timeToLiveAttribute!, 'claimedAt'] },
        },
      }),
      new iam.PolicyStatement({ actions: ['dynamodb:DeleteItem'], resources: [store.counterTable.tableArn], conditions: leading([ledgerItems]) }),
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [store.tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    ];
    for (const s of statements) this.function.addToRolePolicy(s);
  }
}
