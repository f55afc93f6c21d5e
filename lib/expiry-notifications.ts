import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { EXPIRY_LEDGER_ATTRIBUTES } from '../adapters/dynamodb/expiry-ledger';
import { EXPIRY_LEDGER_PREFIX } from '../adapters/dynamodb/table-schema';
import { INFRA_ENV } from '../core/config';
import {
  DEFAULT_EXPIRY_SCHEDULE,
  DEFAULT_EXPIRY_THRESHOLDS_DAYS,
  EXPIRY_AUDIT_RETENTION_ENV,
  EXPIRY_THRESHOLDS_ENV,
  parseExpirySchedule,
  parseExpiryThresholds,
} from '../core/expiry-scan';
import { keygateFunction } from './keygate-function';
import { scheduleFunction } from './schedule';
import { AUDIT_ITEMS, type IKeyStore } from './key-store';
import type { Notifications } from './notifications';

/** The expiry index's partitions (`EXP#<UTC day>`, adapters/dynamodb/key-repository.ts). */
export const EXPIRY_INDEX_NAME = 'byExpiry';

export interface ExpiryNotificationsProps {
  /** The bus it publishes `keygate.key.expiring` / `keygate.key.expired` to; access by `grantPublish`. */
  readonly notifications: Notifications;
  /** The expiry index and audit entries (key table), the ledger's `EXPN#` items (counter table). */
  readonly keyStore: IKeyStore;
  /** Days audit entries are kept (`keygate:auditRetentionDays`); the notification entries expire with the others. */
  readonly auditRetentionDays: number;
  /**
   * Days before `expiresAt` that send `keygate.key.expiring`, validated at synth.
   *
   * @default [14, 7, 1]
   */
  readonly thresholdsDays?: readonly number[];
  /**
   * EventBridge Scheduler expression, UTC. An event goes out at the first run after its threshold.
   *
   * @default `rate(1 hour)`
   */
  readonly schedule?: string;
  /**
   * Function timeout; a run stops reading new pages 30 s before it and the next run continues.
   *
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Function memory.
   *
   * @default 256
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
   * @default lambdas/expiry/handler.ts
   */
  readonly entry?: string;
}

/**
 * Expiry notifications: an EventBridge Scheduler schedule (hourly by default) invokes a Lambda that
 * reads the `byExpiry` index and publishes `keygate.key.expiring` once per key and threshold and
 * `keygate.key.expired` once per key and expiry on the Keygate bus, exactly once through
 * conditional writes to `EXPN#` items in the counter table, each with an audit entry
 * (core/expiry-scan.ts; docs/operations.md, "Expiry notifications").
 */
export class ExpiryNotifications extends Construct implements iam.IGrantable {
  public readonly function: nodejs.NodejsFunction;
  public readonly logGroup: logs.LogGroup;
  public readonly schedule: scheduler.CfnSchedule;
  /** The role EventBridge Scheduler assumes to invoke the function (that function only). */
  public readonly schedulerRole: iam.Role;
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: ExpiryNotificationsProps) {
    super(scope, id);
    const thresholds = parseExpiryThresholds(props.thresholdsDays ?? DEFAULT_EXPIRY_THRESHOLDS_DAYS, `${this.node.path}: thresholdsDays`);
    const expression = parseExpirySchedule(props.schedule ?? DEFAULT_EXPIRY_SCHEDULE, `${this.node.path}: schedule`);
    if (!Number.isInteger(props.auditRetentionDays) || props.auditRetentionDays < 1 || props.auditRetentionDays > 3650) {
      throw new Error(`${this.node.path}: auditRetentionDays must be whole days from 1 to 3650 (got ${props.auditRetentionDays})`);
    }

    const parts = keygateFunction(this, {
      ids: { function: 'Function', role: 'FunctionRole', logGroup: 'FunctionLogGroup' },
      entry: 'lambdas/expiry/handler.ts',
      ...(props.entry ? { entryPath: props.entry } : {}),
      description: 'Keygate: expiry scan (keygate.key.expiring / keygate.key.expired events)',
      roleDescription: 'Keygate expiry notifications: reads the byExpiry index, claims EXPN# ledger items, writes audit entries, publishes to the Keygate bus',
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.minutes(5),
      // The schedule runs it again within the hour; an asynchronous retry adds nothing but overlap.
      retryAttempts: 0,
      environment: {
        [INFRA_ENV.tableName]: props.keyStore.table.tableName,
        [INFRA_ENV.counterTableName]: props.keyStore.counterTable.tableName,
        [INFRA_ENV.eventBusName]: props.notifications.bus.eventBusName,
        [EXPIRY_THRESHOLDS_ENV]: JSON.stringify(thresholds),
        [EXPIRY_AUDIT_RETENTION_ENV]: String(props.auditRetentionDays),
        POWERTOOLS_SERVICE_NAME: 'keygate-expiry',
      },
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    this.logGroup = parts.logGroup;
    this.function = parts.function;
    this.grantPrincipal = this.function.grantPrincipal;

    props.notifications.grantPublish(this);
    this.grantKeyStore(props.keyStore);

    ({ role: this.schedulerRole, schedule: this.schedule } = scheduleFunction(this, {
      function: this.function,
      expression,
      description: 'Keygate: expiry scan (keygate.key.expiring / keygate.key.expired)',
      roleDescription: 'Keygate expiry notifications: EventBridge Scheduler invokes the expiry scan',
    }));
  }

  /**
   * What the scan reads and writes in the key store, nothing more:
   * - `dynamodb:Query` on the key table's `byExpiry` index only (no `dynamodb:LeadingKeys`
   *   condition: whether DynamoDB evaluates it against an index's partition key is not documented
   *   clearly, so, like the keys function's index grants, the sparse index itself is the boundary)
   * - `dynamodb:BatchGetItem` and `dynamodb:PutItem` (only the ledger's attributes) on the counter
   *   table for `EXPN#*` items (the ledger's read, claim, confirm and release)
   * - `dynamodb:PutItem` on the key table for `AUDIT#*` items (one notification entry per event)
   * - `kms:Decrypt` on the table key via DynamoDB only
   */
  private grantKeyStore(store: IKeyStore): void {
    const leading = (prefixes: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes } });
    const ledgerItems = `${EXPIRY_LEDGER_PREFIX}*`;
    const statements = [
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${store.table.tableArn}/index/${EXPIRY_INDEX_NAME}`],
      }),
      new iam.PolicyStatement({ actions: ['dynamodb:BatchGetItem'], resources: [store.counterTable.tableArn], conditions: leading([ledgerItems]) }),
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [store.counterTable.tableArn],
        conditions: { ...leading([ledgerItems]), 'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...EXPIRY_LEDGER_ATTRIBUTES] } },
      }),
      new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [store.table.tableArn], conditions: leading([AUDIT_ITEMS]) }),
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [store.tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    ];
    for (const s of statements) this.function.addToRolePolicy(s);
  }
}
