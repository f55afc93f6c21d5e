import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type { Construct, Node } from 'constructs';
import {
  GATEWAY_RESPONSE_CONTEXT_HEADERS_CONTEXT_KEY,
  GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT,
} from '../core/gateway-responses';
import { resolveDeployment } from '../core/settings';
import { AuditExport } from './audit-export';
import { KeyAuthorizer } from './key-authorizer';
import { KeyStore } from './key-store';
import { ManagementApi } from './management-api';
import { UsageReportsFunction } from './usage-reports-function';
import { UsageAnomalies } from './usage-anomalies';
import { anomalySettings } from '../core/usage-anomalies';
import { expirySettings } from '../core/expiry-scan';
import { ExpiryNotifications } from './expiry-notifications';
import { WEBHOOK_URL_SETTING, WebhookDelivery, webhookUrlSetting } from './webhook-delivery';
import { Monitoring, monitoringSettings } from './monitoring';
import { NOTIFICATION_EMAILS_SETTING, parseNotificationEmails } from '../core/notification-messages';
import { Notifications } from './notifications';
import { admittedUsageKeyValue, eventBusName, restApiName, usageDatabaseName, usageDeliveryStreamName, usageWorkGroupName } from './physical-names';
import {
  DEFAULT_ATHENA_BYTES_SCANNED_CUTOFF,
  DEFAULT_USAGE_RETENTION_DAYS,
  MIN_ATHENA_BYTES_SCANNED_CUTOFF,
  UsageAnalytics,
} from './usage-analytics';

export type KeygateStackProps = StackProps;

/** Default CloudFormation stack name (`keygate:stackName`). */
export const DEFAULT_STACK_NAME = 'Keygate';

/**
 * The CloudFormation stack name from `keygate:stackName`. The construct id stays `Keygate`
 * whatever the name, so logical ids never change; a different name is a separate deployment.
 */
export function stackNameFromContext(node: Node): string {
  const stackName: unknown = node.tryGetContext('keygate:stackName') ?? DEFAULT_STACK_NAME;
  // CloudFormation: letters, digits and hyphens, starting with a letter, at most 128 characters.
  if (typeof stackName !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
    throw new Error(`keygate:stackName must be a CloudFormation stack name, [A-Za-z][A-Za-z0-9-]{0,127} (got ${JSON.stringify(stackName)})`);
  }
  return stackName;
}

/** A boolean `keygate:*` setting; `-c key=false` arrives as the string "false". */
function booleanContext(node: Node, key: string, fallback: boolean): boolean {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new Error(`${key} must be true or false (got ${JSON.stringify(raw)})`);
}

/** An integer `keygate:*` setting in [min, max]; `-c key=30` arrives as the string "30". */
function integerContext(node: Node, key: string, fallback: number, min: number, max: number): number {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${key} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

/**
 * One Keygate deployment: the key store, the authorizer and the management API.
 * Configuration comes from the `keygate:*` context in cdk.json, with a per-stage file named
 * by `KEYGATE_CONFIG` layered on top by bin/app.ts (core/settings.ts lists every key):
 * - the service settings of core/config.ts (`keygate:keyPrefix`, `keygate:scopes`, limits, caches)
 * - `keygate:routes`: the operator's own routes to protect, each proxied to an HTTP(S) upstream
 *   or a Lambda function, on the same REST API as Keygate's routes (core/operator-routes.ts;
 *   lib/operator-routes.ts builds them). A malformed entry fails synthesis naming it.
 *
 * plus infrastructure-only settings:
 * - `keygate:webAclArn`: optional ARN of a regional WAFv2 web ACL to put in front of the API
 * - `keygate:tableDeletionProtection` (default true): DynamoDB deletion protection on both tables
 * - `keygate:cloudWatchRole` (default true): create the account-level API Gateway logging role
 * - `keygate:gatewayResponseContextHeaders` (default false): map the 429's `Retry-After`,
 *   `RateLimit-Policy`, `RateLimit` and `X-RateLimit-*` headers from the authorizer context (docs/authorizer.md)
 * - `keygate:usageAnalytics` (default true): usage records to S3 via Firehose, queried with
 *   Athena (`UsageAnalytics`); `keygate:usageRetentionDays` (default 400) and
 *   `keygate:athenaBytesScannedCutoff` (default 10 GB) tune it
 * - `keygate:expiryNotifications` (default true), `keygate:expirySchedule` (default hourly) and
 *   `keygate:expiryThresholdsDays` (default [14, 7, 1]): the scheduled expiry scan
 *   (`ExpiryNotifications`)
 * - `keygate:auditExport` (default true when usage analytics is on): every `keygate.audit.*`
 *   and `keygate.key.leaked` event to the usage bucket under `audit/dt=YYYY-MM-DD/`
 *   (`AuditExport`); true with analytics off fails synthesis (there is no bucket)
 *
 * Names that must be unique per account and Region (the usage-plan key value, the event bus)
 * derive from the stack name and Region (lib/physical-names.ts), so stacks with different
 * `keygate:stackName` deploy side by side (docs/operations.md, "Two stages in one account").
 */
export class KeygateStack extends Stack {
  public readonly keyStore: KeyStore;
  public readonly keyAuthorizer: KeyAuthorizer;
  public readonly managementApi: ManagementApi;
  public readonly notifications: Notifications;
  /** Usage analytics, unless `keygate:usageAnalytics` is false. */
  public readonly usageAnalytics?: UsageAnalytics;
  /** The usage Lambda serving GET /v1/usage; present with usage analytics. */
  public readonly usageReports?: UsageReportsFunction;
  /** Hourly usage anomaly alerts, when usage analytics is on and keygate:anomalyDetection is not false. */
  public readonly usageAnomalies?: UsageAnomalies;
  /** Audit events to the usage bucket, when usage analytics is on and keygate:auditExport is not false. */
  public readonly auditExport?: AuditExport;
  /** The scheduled expiry scan, unless keygate:expiryNotifications is false. */
  public readonly expiryNotifications?: ExpiryNotifications;
  /** Signed webhook delivery of notification events, when keygate:webhookUrl is set. */
  public readonly webhookDelivery?: WebhookDelivery;
  /** Dashboard and alarms, unless keygate:dashboard and keygate:alarms are both false. */
  public readonly monitoring?: Monitoring;

  constructor(scope: Construct, id: string, props: KeygateStackProps = {}) {
    super(scope, id, props);
    // Service configuration and operator routes, validated together: a route may only use a
    // scope the deployment defines, and every error names the setting or the route entry.
    const { config, routes } = resolveDeployment((key) => this.node.tryGetContext(key));
    const webAclArn: unknown = this.node.tryGetContext('keygate:webAclArn');
    if (webAclArn !== undefined && (typeof webAclArn !== 'string' || !webAclArn.startsWith('arn:'))) {
      throw new Error(`keygate:webAclArn must be a WAFv2 web ACL ARN (got ${JSON.stringify(webAclArn)})`);
    }

    const admittedUsageKey = admittedUsageKeyValue(this);

    this.keyStore = new KeyStore(this, 'KeyStore', {
      deletionProtection: booleanContext(this.node, 'keygate:tableDeletionProtection', true),
    });
    this.notifications = new Notifications(this, 'Notifications', {
      eventBusName: eventBusName(this),
      emails: parseNotificationEmails(this.node.tryGetContext(NOTIFICATION_EMAILS_SETTING)),
    });
    const webhookUrl = webhookUrlSetting(this.node.tryGetContext(WEBHOOK_URL_SETTING));
    if (webhookUrl) this.webhookDelivery = new WebhookDelivery(this, 'WebhookDelivery', { eventBus: this.notifications.bus, url: webhookUrl });

    this.keyAuthorizer = new KeyAuthorizer(this, 'KeyAuthorizer', {
      table: this.keyStore.table,
      counterTable: this.keyStore.counterTable,
      admittedUsageKey,
      eventBusName: this.notifications.bus.eventBusName,
      config,
      routes,
    });
    this.keyStore.grantVerify(this.keyAuthorizer);
    this.notifications.grantPublish(this.keyAuthorizer);

    // Usage analytics: the stage access log goes to Firehose only. A stage has one access-log
    // destination, so there is no CloudWatch copy of the access log while analytics is on (the
    // execution log with errors stays in CloudWatch); off, the access log stays in CloudWatch.
    if (booleanContext(this.node, 'keygate:usageAnalytics', true)) {
      this.usageAnalytics = new UsageAnalytics(this, 'UsageAnalytics', {
        deliveryStreamName: usageDeliveryStreamName(this),
        databaseName: usageDatabaseName(this),
        workGroupName: usageWorkGroupName(this),
        retentionDays: integerContext(this.node, 'keygate:usageRetentionDays', DEFAULT_USAGE_RETENTION_DAYS, 1, 3650),
        bytesScannedCutoffPerQuery: integerContext(
          this.node,
          'keygate:athenaBytesScannedCutoff',
          DEFAULT_ATHENA_BYTES_SCANNED_CUTOFF,
          MIN_ATHENA_BYTES_SCANNED_CUTOFF,
          Number.MAX_SAFE_INTEGER,
        ),
      });
    }

    // The audit log's archive copy goes to the usage bucket, so it exists only with analytics.
    // Read (and validated) even with analytics off; asking for it then is an error, not a no-op.
    const auditExport = booleanContext(this.node, 'keygate:auditExport', this.usageAnalytics !== undefined);
    if (auditExport && !this.usageAnalytics) {
      throw new Error('keygate:auditExport needs keygate:usageAnalytics (the export writes to the usage bucket); set keygate:auditExport=false or turn usage analytics on');
    }
    if (auditExport && this.usageAnalytics) {
      this.auditExport = new AuditExport(this, 'AuditExport', { eventBus: this.notifications.bus, bucket: this.usageAnalytics.bucket });
    }

    // Read (and validated) even with analytics off, so a typo still fails synth.
    const anomalies = anomalySettings((key) => this.node.tryGetContext(key));
    if (this.usageAnalytics && anomalies.enabled) {
      this.usageAnomalies = new UsageAnomalies(this, 'UsageAnomalies', {
        usageAnalytics: this.usageAnalytics,
        notifications: this.notifications,
        keyStore: this.keyStore,
        thresholds: anomalies.thresholds,
        schedule: anomalies.schedule,
      });
    }

    const expiry = expirySettings((key) => this.node.tryGetContext(key));
    if (expiry.enabled) {
      this.expiryNotifications = new ExpiryNotifications(this, 'ExpiryNotifications', {
        notifications: this.notifications,
        keyStore: this.keyStore,
        auditRetentionDays: config.auditRetentionDays,
        thresholdsDays: expiry.thresholdsDays,
        schedule: expiry.schedule,
      });
    }

    const usageReports = this.usageAnalytics ? new UsageReportsFunction(this, 'UsageReports', { analytics: this.usageAnalytics }) : undefined;
    if (usageReports) this.usageReports = usageReports;

    this.managementApi = new ManagementApi(this, 'ManagementApi', {
      table: this.keyStore.table,
      counterTable: this.keyStore.counterTable,
      recordKey: this.keyStore.recordKey,
      admittedUsageKey,
      authorizer: this.keyAuthorizer.authorizer,
      eventBusName: this.notifications.bus.eventBusName,
      config,
      operatorRoutes: routes,
      webAclArn,
      ...(usageReports ? { usageFunction: usageReports.function } : {}),
      ...(this.usageAnalytics ? { accessLogDestination: new apigateway.FirehoseLogDestination(this.usageAnalytics.deliveryStream) } : {}),
      restApiName: restApiName(this),
      cloudWatchRole: booleanContext(this.node, 'keygate:cloudWatchRole', true),
      gatewayResponseContextHeaders: booleanContext(
        this.node,
        GATEWAY_RESPONSE_CONTEXT_HEADERS_CONTEXT_KEY,
        GATEWAY_RESPONSE_CONTEXT_HEADERS_DEFAULT,
      ),
    });
    this.keyStore.grantManage(this.managementApi);
    this.notifications.grantPublish(this.managementApi);
    // A key's usage history (GET /v1/keys/{id}/usage?from=&to=) runs the same reports.
    this.usageAnalytics?.bindReports(this.managementApi.keysFunction);

    // Read (and validated) even when both switches are off, so a typo still fails synth.
    const monitoring = monitoringSettings((key) => this.node.tryGetContext(key));
    if (monitoring.dashboard || monitoring.alarms) {
      this.monitoring = new Monitoring(this, 'Monitoring', {
        stage: this.managementApi.api.deploymentStage,
        authorizerFunction: this.keyAuthorizer.handler,
        functions: [
          this.managementApi.keysFunction,
          ...(this.usageReports ? [this.usageReports.function] : []),
          ...(this.usageAnomalies ? [this.usageAnomalies.function] : []),
          ...(this.expiryNotifications ? [this.expiryNotifications.function] : []),
          ...(this.webhookDelivery ? [this.webhookDelivery.function] : []),
        ],
        table: this.keyStore.table,
        counterTable: this.keyStore.counterTable,
        deliveryStreams: [
          ...(this.usageAnalytics ? [this.usageAnalytics.deliveryStream] : []),
          ...(this.auditExport ? [this.auditExport.deliveryStream] : []),
        ],
        ...(this.webhookDelivery ? { deadLetterQueue: this.webhookDelivery.deadLetterQueue } : {}),
        alarmTopic: this.notifications.topic,
        dashboard: monitoring.dashboard,
        alarms: monitoring.alarms,
        ...monitoring.thresholds,
      });
    }

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the Keygate API (stage included)',
      value: this.managementApi.api.url,
    });
    new CfnOutput(this, 'KeyTableName', {
      description: 'DynamoDB table holding the key records',
      value: this.keyStore.table.tableName,
    });
    new CfnOutput(this, 'CounterTableName', {
      description: 'DynamoDB table holding rate-limit and quota counters',
      value: this.keyStore.counterTable.tableName,
    });
    new CfnOutput(this, 'EventBusName', {
      description: 'EventBridge bus for keygate.* events (source "keygate")',
      value: this.notifications.bus.eventBusName,
    });
    new CfnOutput(this, 'NotificationsTopicArn', {
      description: 'SNS topic with readable Keygate notifications and alarms: subscribe your endpoint (docs/notifications.md)',
      value: this.notifications.topic.topicArn,
    });
    new CfnOutput(this, 'TableKeyArn', {
      description: 'KMS key encrypting both tables (for KeyStore.fromKeyStoreAttributes in another stack)',
      value: this.keyStore.tableKey.keyArn,
    });
    new CfnOutput(this, 'RecordKeyArn', {
      description: 'KMS key used for envelope encryption of key records',
      value: this.keyStore.recordKey.keyArn,
    });
    if (this.usageAnalytics) {
      new CfnOutput(this, 'UsageBucketName', {
        description: this.auditExport
          ? 'S3 bucket holding the usage records (usage/dt=YYYY-MM-DD/, Parquet), the audit events (audit/dt=YYYY-MM-DD/, GZIP JSON lines) and Athena results'
          : 'S3 bucket holding the usage records (usage/dt=YYYY-MM-DD/, Parquet) and Athena results',
        value: this.usageAnalytics.bucket.bucketName,
      });
      new CfnOutput(this, 'GlueDatabase', {
        description: 'Glue database of the usage table',
        value: this.usageAnalytics.database.databaseName,
      });
      new CfnOutput(this, 'GlueTable', {
        description: 'Glue table of the usage records (partition dt, projected)',
        value: this.usageAnalytics.table.tableName,
      });
      new CfnOutput(this, 'AthenaWorkGroup', {
        description: 'Athena workgroup for usage reports (scan cutoff, encrypted results, named queries)',
        value: this.usageAnalytics.workGroup.ref,
      });
    }
    new CfnOutput(this, 'BootstrapCommand', {
      description: 'Creates the first admin key for this deployment',
      value: Fn.join('', [
        'npx keygate bootstrap --aws --table-name ',
        this.keyStore.table.tableName,
        ' --kms-key-id ',
        this.keyStore.recordKey.keyArn,
        ' --region ',
        Stack.of(this).region,
        ' --key-prefix ',
        config.keyPrefix,
        ` --audit-retention-days ${config.auditRetentionDays} --event-bus-name `,
        this.notifications.bus.eventBusName,
      ]),
    });
  }
}
