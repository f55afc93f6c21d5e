import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ADMITTED_USAGE_KEY, configFromContext } from '../core/config';
import { KeyAuthorizer } from './key-authorizer';
import { KeyStore } from './key-store';
import { ManagementApi } from './management-api';
import { Notifications } from './notifications';

export type KeygateStackProps = StackProps;

/**
 * One Keygate deployment: the key store, the authorizer and the management API.
 * Configuration comes from the `keygate:*` context in cdk.json (see core/config.ts),
 * plus one infrastructure-only setting, `keygate:webAclArn` (optional ARN of a regional
 * WAFv2 web ACL to put in front of the API).
 */
export class KeygateStack extends Stack {
  public readonly keyStore: KeyStore;
  public readonly keyAuthorizer: KeyAuthorizer;
  public readonly managementApi: ManagementApi;
  public readonly notifications: Notifications;

  constructor(scope: Construct, id: string, props: KeygateStackProps = {}) {
    super(scope, id, props);
    const config = configFromContext((key) => this.node.tryGetContext(key));
    const webAclArn: unknown = this.node.tryGetContext('keygate:webAclArn');
    if (webAclArn !== undefined && (typeof webAclArn !== 'string' || !webAclArn.startsWith('arn:'))) {
      throw new Error(`keygate:webAclArn must be a WAFv2 web ACL ARN (got ${JSON.stringify(webAclArn)})`);
    }

    this.keyStore = new KeyStore(this, 'KeyStore');
    this.notifications = new Notifications(this, 'Notifications');

    this.keyAuthorizer = new KeyAuthorizer(this, 'KeyAuthorizer', {
      table: this.keyStore.table,
      counterTable: this.keyStore.counterTable,
      admittedUsageKey: ADMITTED_USAGE_KEY,
      eventBusName: this.notifications.bus.eventBusName,
      config,
    });
    this.keyStore.grantVerify(this.keyAuthorizer);
    this.notifications.grantPublish(this.keyAuthorizer);

    this.managementApi = new ManagementApi(this, 'ManagementApi', {
      table: this.keyStore.table,
      counterTable: this.keyStore.counterTable,
      recordKey: this.keyStore.recordKey,
      admittedUsageKey: ADMITTED_USAGE_KEY,
      authorizer: this.keyAuthorizer.authorizer,
      eventBusName: this.notifications.bus.eventBusName,
      config,
      webAclArn,
    });
    this.keyStore.grantManage(this.managementApi);
    this.notifications.grantPublish(this.managementApi);

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
    new CfnOutput(this, 'RecordKeyArn', {
      description: 'KMS key used for envelope encryption of key records',
      value: this.keyStore.recordKey.keyArn,
    });
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
      ]),
    });
  }
}
