import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { AUDIT_PREFIX, COUNTER_TABLE, KEY_TABLE, type TableSchema } from '../adapters/dynamodb/table-schema';

/*
 * Partition-key prefixes of the items each function touches, as adapters/dynamodb writes them
 * (key-repository.ts: `KEY#<id>`, `HASH#<sha256>`; counter-store.ts: `CTR#<keyId>`;
 * audit-store.ts: `AUDIT#<keyId>`, `AUDIT#OWNER#<ownerId>`).
 * test/infra/iam-calls.test.ts runs the adapters against a recording client and fails if they
 * ever send a key these patterns do not cover.
 */
export const KEY_ITEMS = 'KEY#*';
export const HASH_ITEMS = 'HASH#*';
export const COUNTER_ITEMS = 'CTR#*';
/** Audit entries, about a key (`AUDIT#<keyId>`) or a denied create (`AUDIT#OWNER#<ownerId>`). */
export const AUDIT_ITEMS = `${AUDIT_PREFIX}*`;
/**
 * The indexes the keys Lambda queries: `byOwner` and `byCreated` for keys
 * (`DynamoKeyRepository.list`) and audit entries, `byActor` for audit entries only
 * (`DynamoAuditStore.query`). Never `byExpiry`.
 */
export const MANAGE_QUERY_INDEXES: readonly string[] = ['byOwner', 'byCreated', 'byActor'];

/**
 * What the authorizer needs of a key store: both tables, the key that encrypts them, and the
 * least-privilege read grant. A `KeyStore` in the same app is one; so is a deployed one imported
 * with {@link KeyStore.fromKeyStoreAttributes}.
 */
export interface IKeyStore {
  /** The key table. */
  readonly table: dynamodb.ITable;
  /** Rate-limit and quota counters. */
  readonly counterTable: dynamodb.ITable;
  /** The customer-managed key both tables are encrypted with. */
  readonly tableKey: kms.IKey;
  /** The authorizer's access; see {@link KeyStore.grantVerify} for the IAM actions. */
  grantVerify(grantee: iam.IGrantable): iam.Grant;
}

/**
 * A deployed Keygate key store, by the values its stack outputs: `KeyTableName`,
 * `CounterTableName` and `TableKeyArn`. It must be in the importing stack's account and Region.
 */
export interface KeyStoreAttributes {
  /** Name of the key table (output `KeyTableName`). */
  readonly tableName: string;
  /** Name of the counter table (output `CounterTableName`). */
  readonly counterTableName: string;
  /** ARN of the KMS key that encrypts both tables (output `TableKeyArn`). */
  readonly tableKeyArn: string;
  /**
   * The key table's schema.
   *
   * @default KEY_TABLE
   */
  readonly schema?: TableSchema;
}

export interface KeyStoreProps {
  /**
   * The table's key schema and indexes.
   *
   * @default KEY_TABLE (adapters/dynamodb/table-schema.ts), the schema the local stack also uses
   */
  readonly schema?: TableSchema;

  /**
   * What happens to both tables and both KMS keys when they leave the stack.
   * Key records are the product: losing them revokes every customer's access.
   * `RETAIN_ON_UPDATE_OR_DELETE` is CloudFormation's `RetainExceptOnCreate`: kept on every
   * update, replacement and stack deletion, but removed when the stack operation that created
   * them rolls back, so a failed first deploy leaves nothing behind (docs/operations.md).
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * DynamoDB deletion protection on both tables. It also stops CloudFormation: a rollback of
   * the first create cannot delete a protected table. Deploy a new stage once without it
   * (`keygate:tableDeletionProtection=false`), then turn it on (docs/operations.md).
   *
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * How long a KMS key waits between "schedule deletion" and deletion.
   *
   * @default Duration.days(30), the KMS maximum
   */
  readonly keyPendingWindow?: Duration;
}

/**
 * Where Keygate keeps key records: the DynamoDB table, the customer-managed KMS key
 * that encrypts it at rest, and a second customer-managed key (`RecordKey`) that the
 * keys Lambda uses for envelope encryption of sensitive record attributes.
 *
 * Two keys, not one, so that reading the table (the authorizer's only need) never
 * implies the right to unwrap record secrets.
 */
export class KeyStore extends Construct implements IKeyStore {
  /**
   * A key store another stack or app deployed, for an authorizer in this one
   * (`KeygateAuthorizer`), from the Keygate stack's outputs. Same account and Region as the
   * importing stack: the authorizer reads the tables by name with its own Region's client, and the
   * key grant is scoped to DynamoDB in this Region. Only
   * `grantVerify` is offered; managing keys stays with the deployment that owns the store.
   */
  public static fromKeyStoreAttributes(scope: Construct, id: string, attrs: KeyStoreAttributes): IKeyStore {
    return new ImportedKeyStore(scope, id, attrs);
  }

  /** The key table (schema from KEY_TABLE). */
  public readonly table: dynamodb.Table;
  /** Rate-limit and quota counters: one item per key (schema COUNTER_TABLE). */
  public readonly counterTable: dynamodb.Table;
  /** Encrypts the table at rest (DynamoDB server-side encryption). */
  public readonly tableKey: kms.Key;
  /** Envelope-encrypts sensitive record attributes (GenerateDataKey / Decrypt from the keys Lambda). */
  public readonly recordKey: kms.Key;

  private readonly schema: TableSchema;

  constructor(scope: Construct, id: string, props: KeyStoreProps = {}) {
    super(scope, id);
    this.schema = props.schema ?? KEY_TABLE;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    const pendingWindow = props.keyPendingWindow ?? Duration.days(30);

    this.tableKey = new kms.Key(this, 'TableKey', {
      description: 'Keygate: encrypts the key table at rest',
      enableKeyRotation: true,
      pendingWindow,
      removalPolicy,
    });

    this.recordKey = new kms.Key(this, 'RecordKey', {
      description: 'Keygate: envelope encryption of sensitive key-record attributes',
      enableKeyRotation: true,
      pendingWindow,
      removalPolicy,
    });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: this.schema.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: this.schema.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.tableKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      timeToLiveAttribute: this.schema.timeToLiveAttribute,
      removalPolicy,
    });

    this.counterTable = new dynamodb.Table(this, 'CounterTable', {
      partitionKey: { name: COUNTER_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: COUNTER_TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.tableKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      timeToLiveAttribute: COUNTER_TABLE.timeToLiveAttribute,
      removalPolicy,
    });

    // Indexes and TTL come from the schema (KEY_TABLE: `ttl`, read only on audit entries).
    // CloudFormation creates or deletes at most one GSI per table per stack update, so a
    // schema change must add one index per deployment (byActor was the only one added with
    // the audit log; TTL is a separate DynamoDB call in the same update).
    for (const index of this.schema.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }

  /**
   * The authorizer's hot path: read the hash item of the presented key, count the request,
   * note when the key was last used.
   *
   * What the authorizer calls (lambdas/authorizer/handler.ts → adapters/dynamodb):
   * `DynamoKeyRepository.getAuthzByHash` (GetItem on a `HASH#` item), `touchLastUsed`
   * (UpdateItem of `lastUsedAt` on a `KEY#` item) and `DynamoCounterStore.consume`
   * (UpdateItem on a `CTR#` item of the counter table). Nothing else.
   *
   * IAM actions:
   * - `dynamodb:GetItem` on the key table, only for hash items (`dynamodb:LeadingKeys` `HASH#*`);
   *   no index, no Query, no Scan
   * - `dynamodb:UpdateItem` on the key table limited to `lastUsedAt` of key-record items
   *   (see {@link grantTouchLastUsed})
   * - `dynamodb:UpdateItem` on the counter table, only for counter items (`CTR#*`)
   * - `kms:Decrypt` on the table key, only when DynamoDB calls KMS on the grantee's
   *   behalf (`kms:ViaService`); see {@link grantTableKeyViaDynamoDb}. The grantee
   *   cannot call KMS itself and gets nothing on `RecordKey`.
   */
  public grantVerify(grantee: iam.IGrantable): iam.Grant {
    return grantVerify(grantee, this, this.schema);
  }

  /**
   * The keys Lambda: create, read, list, update, revoke and rotate key records with their audit
   * entries, read the audit log, envelope-encrypt sensitive attributes, report usage, verify keys
   * for `POST /v1/verify` and count leak reports per source IP.
   *
   * What the keys Lambda calls (lambdas/keys/handler.ts → adapters/dynamodb):
   * `getById` (GetItem, `KEY#`), `getAuthzByHash` (GetItem, `HASH#`, for verify and leak
   * reports), `create` / `update` / `rotate` (TransactWriteItems of Puts on `KEY#` and `HASH#`
   * items and on the change's `AUDIT#<keyId>` entries; the Puts carry their own conditions, so no
   * `ConditionCheck` entry is used), `DynamoAuditStore.record` (PutItem of an `AUDIT#` item for a
   * denied attempt), `DynamoAuditStore.query` (Query on the table for `AUDIT#<keyId>`, or on
   * `byActor`, `byOwner` or `byCreated`), `list` (Query on `byOwner` or `byCreated`),
   * `touchLastUsed` (for verify), `DynamoCounterStore.peek` (GetItem, `CTR#`) and `consume`
   * (UpdateItem, `CTR#`, also `CTR#leak-ip:<ip>` for the leak report's per-IP limit).
   * No DeleteItem (records and entries are never deleted; TTL expires entries), no
   * ConditionCheckItem, no GetItem of audit entries, no `byExpiry` (only the expiry scan reads it,
   * with a grant of its own: `ExpiryNotifications`).
   *
   * IAM actions:
   * - `dynamodb:GetItem`, `dynamodb:PutItem` on the key table, only for `KEY#*` and `HASH#*`
   *   items. `TransactWriteItems` has no action of its own: each Put in it is authorized as
   *   `PutItem`, conditions included.
   * - `dynamodb:PutItem` and `dynamodb:Query` on the key table, only for `AUDIT#*` partitions
   *   (`dynamodb:LeadingKeys`): audit entries are written and read, never read one by one
   * - `dynamodb:UpdateItem` on the key table limited to `lastUsedAt` (see {@link grantTouchLastUsed})
   * - `dynamodb:Query` on the `byOwner`, `byCreated` and `byActor` indexes (explicit ARNs, no
   *   `index/*`)
   * - `dynamodb:GetItem`, `dynamodb:UpdateItem` on the counter table, only for `CTR#*` items
   * - `kms:GenerateDataKey`, `kms:Decrypt` on `RecordKey`
   * - `kms:Decrypt` on the table key via DynamoDB only (see {@link grantTableKeyViaDynamoDb})
   */
  public grantManage(grantee: iam.IGrantable): iam.Grant {
    const items = grantItems(grantee, ['dynamodb:GetItem', 'dynamodb:PutItem'], this.table, [KEY_ITEMS, HASH_ITEMS]);
    // On the table itself a Query's leading key is the partition key it names, so the
    // condition confines it to audit partitions (never KEY#, HASH# or anything else).
    const audit = grantItems(grantee, ['dynamodb:PutItem', 'dynamodb:Query'], this.table, [AUDIT_ITEMS]);
    const indexes = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: MANAGE_QUERY_INDEXES.map((name) => {
        if (!this.schema.globalSecondaryIndexes.some((i) => i.indexName === name)) {
          throw new Error(`the keys Lambda queries index ${name}, which the table schema does not define`);
        }
        return `${this.table.tableArn}/index/${name}`;
      }),
    });
    // Encryption context is bound by the caller (the KMS adapter) on every call; the IAM
    // grant stays on the key ARN so the adapter can evolve its context without a deploy.
    const envelope = iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resourceArns: [this.recordKey.keyArn],
    });
    const counters = grantItems(grantee, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], this.counterTable, [COUNTER_ITEMS]);
    return items
      .combine(audit)
      .combine(grantTouchLastUsed(grantee, this.table, this.schema))
      .combine(indexes)
      .combine(counters)
      .combine(envelope)
      .combine(grantTableKeyViaDynamoDb(grantee, this.tableKey, Stack.of(this).region));
  }
}

/**
 * Item-level actions on `table`, only for items whose partition key matches one of
 * `leadingKeys` (`ForAllValues:StringLike` on `dynamodb:LeadingKeys`, which for single-item
 * actions is the one partition key value of the request, and for a Query on the table the
 * partition key value its key condition names).
 */
function grantItems(grantee: iam.IGrantable, actions: string[], table: dynamodb.ITable, leadingKeys: string[]): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions,
    resourceArns: [table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeys } },
  });
}

/**
 * `dynamodb:UpdateItem` on the key table restricted to the `lastUsedAt` attribute
 * (`dynamodb:Attributes`) of key-record items (`dynamodb:LeadingKeys` KEY#*) with no
 * returned values (`dynamodb:ReturnValues` NONE): what `DynamoKeyRepository.touchLastUsed` sends.
 */
function grantTouchLastUsed(grantee: iam.IGrantable, table: dynamodb.ITable, schema: TableSchema): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:UpdateItem'],
    resourceArns: [table.tableArn],
    conditions: {
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': [schema.partitionKey, schema.sortKey, 'lastUsedAt'] },
      // only key-record items (KEY#<id>), never hash items or anything else
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [KEY_ITEMS] },
      StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
    },
  });
}

/**
 * `kms:Decrypt` on the table key, usable only through DynamoDB.
 *
 * What AWS documents (DynamoDB Developer Guide, "Encryption at rest: usage notes" →
 * "Using KMS keys and data keys" / "Monitoring DynamoDB interaction with AWS KMS"):
 * DynamoDB wraps a per-table *table key* under the customer-managed key. When a caller
 * accesses the table and DynamoDB has no cached plaintext table key (first access, or
 * after five minutes idle), DynamoDB sends `Decrypt` to KMS **as that caller** — the
 * CloudTrail `Decrypt` event names "the principal in your AWS account who is accessing
 * the table", `invokedBy: dynamodb.amazonaws.com`. So every principal that reads *or
 * writes* a CMK-encrypted table needs `kms:Decrypt` on the table key, or DynamoDB
 * answers with a KMS access-denied error. Nothing else is needed per request: the
 * table key is generated once (`GenerateDataKey`) by DynamoDB under the grant it
 * creates with the deploying principal's `CreateGrant`, and `DescribeKey` is used when
 * the key is selected, i.e. by CloudFormation.
 *
 * Decision: grant exactly `kms:Decrypt` on this key ARN with
 * `kms:ViaService = dynamodb.<region>.amazonaws.com`, so the function can never call
 * KMS directly with it. CDK's `table.grantReadData` would add `kms:Decrypt` and
 * `kms:DescribeKey` without that condition (and `grantWriteData` adds Encrypt,
 * ReEncrypt*, GenerateDataKey*), which is more than DynamoDB needs. The statement lives
 * in the grantee's IAM policy rather than the key policy so the key policy never names
 * a role that CloudFormation has only just created (KMS rejects principals IAM has not
 * propagated yet) and never outlives a deleted role.
 */
function grantTableKeyViaDynamoDb(grantee: iam.IGrantable, tableKey: kms.IKey, region: string): iam.Grant {
  const grant = iam.Grant.addToPrincipal({
    grantee,
    actions: ['kms:Decrypt'],
    resourceArns: [tableKey.keyArn],
    conditions: {
      StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` },
    },
  });
  return grant;
}

/** {@link KeyStore.grantVerify}, for a key store in this app or an imported one. */
function grantVerify(grantee: iam.IGrantable, store: Pick<IKeyStore, 'table' | 'counterTable' | 'tableKey'>, schema: TableSchema): iam.Grant {
  return grantItems(grantee, ['dynamodb:GetItem'], store.table, [HASH_ITEMS])
    .combine(grantTouchLastUsed(grantee, store.table, schema))
    .combine(grantItems(grantee, ['dynamodb:UpdateItem'], store.counterTable, [COUNTER_ITEMS]))
    .combine(grantTableKeyViaDynamoDb(grantee, store.tableKey, Stack.of(store.table).region));
}

class ImportedKeyStore extends Construct implements IKeyStore {
  public readonly table: dynamodb.ITable;
  public readonly counterTable: dynamodb.ITable;
  public readonly tableKey: kms.IKey;
  private readonly schema: TableSchema;

  constructor(scope: Construct, id: string, attrs: KeyStoreAttributes) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!Token.isUnresolved(attrs.tableKeyArn)) {
      // arn:<partition>:kms:<region>:<account>:key/<id>
      const [, , , region, account] = attrs.tableKeyArn.split(':');
      if ((!Token.isUnresolved(stack.account) && account !== stack.account) || (!Token.isUnresolved(stack.region) && region !== stack.region)) {
        throw new Error(
          `${this.node.path}: tableKeyArn ${attrs.tableKeyArn} is not in this stack's account and Region (${stack.account}, ${stack.region}); the authorizer reads the key store in its own account and Region`,
        );
      }
    }
    this.schema = attrs.schema ?? KEY_TABLE;
    // By name: the tables are in this stack's account and Region, as the authorizer's client is.
    this.table = dynamodb.Table.fromTableName(this, 'Table', attrs.tableName);
    this.counterTable = dynamodb.Table.fromTableName(this, 'CounterTable', attrs.counterTableName);
    this.tableKey = kms.Key.fromKeyArn(this, 'TableKey', attrs.tableKeyArn);
  }

  public grantVerify(grantee: iam.IGrantable): iam.Grant {
    return grantVerify(grantee, this, this.schema);
  }
}
