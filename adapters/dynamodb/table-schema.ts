/**
 * The key table's schema as plain data: the CDK KeyStore construct and the local stack's
 * table creation both read it, so DynamoDB Local and the deployed table cannot drift.
 * docs/data-model.md explains each item type and access pattern.
 */

export interface IndexSchema {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export interface TableSchema {
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly timeToLiveAttribute?: string;
  readonly globalSecondaryIndexes: readonly IndexSchema[];
}

/**
 * Partition-key prefix of the anomaly ledger's items in the counter table
 * (`ANOM#<rule>#<subject>` / `<hour>`, expired by TTL; adapters/dynamodb/anomaly-ledger.ts). Its own
 * prefix, so the detection Lambda's grant (`dynamodb:LeadingKeys` `ANOM#*`) reaches no counter.
 */
export const ANOMALY_LEDGER_PREFIX = 'ANOM#';

/**
 * Partition-key prefix of the expiry-notification ledger in the counter table
 * (`EXPN#<keyId>` / `<expiresAt>`, expired by TTL; adapters/dynamodb/expiry-ledger.ts). Its own
 * prefix, so the expiry scan's grant (`dynamodb:LeadingKeys` `EXPN#*`) reaches no counter.
 */
export const EXPIRY_LEDGER_PREFIX = 'EXPN#';

/** Rate-limit and quota counters: one item per key, expired by TTL after the month it counts. */
export const COUNTER_TABLE: TableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'ttl',
  globalSecondaryIndexes: [],
};

/**
 * Partition-key prefix of audit entries in the key table (`AUDIT#<keyId>` / `<entryId>`, or
 * `AUDIT#OWNER#<ownerId>` for a denied create, which has no key; expired by TTL). Its own prefix,
 * so grants can name audit items apart from key and hash items.
 */
export const AUDIT_PREFIX = 'AUDIT#';

export const KEY_TABLE: TableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  // Only audit entries carry `ttl` (core/audit.ts, keygate:auditRetentionDays); keys never expire from the table.
  timeToLiveAttribute: 'ttl',
  globalSecondaryIndexes: [
    // list by owner, newest first (ids are ULIDs, so they sort by creation time)
    { indexName: 'byOwner', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    // list every key (admin), newest first
    { indexName: 'byCreated', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    // sparse: keys with an expiry, bucketed by UTC day (expiry notifications)
    { indexName: 'byExpiry', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
    // sparse: audit entries by the key that acted, newest first (GET /v1/audit?actorKeyId=)
    { indexName: 'byActor', partitionKey: 'gsi4pk', sortKey: 'gsi4sk' },
  ],
};
