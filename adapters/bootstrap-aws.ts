/** `keygate bootstrap --aws`: the first admin key, written with the operator's own AWS credentials. */
import { KMSClient } from '@aws-sdk/client-kms';
import { DEFAULT_CONFIG } from '../core/config';
import { EnvelopeCipher } from '../core/envelope';
import { KeyService } from '../core/key-service';
import { systemClock } from '../core/ports';
import { createDocumentClient } from './dynamodb/client';
import { DynamoKeyRepository } from './dynamodb/key-repository';
import { KmsDataKeyProvider } from './kms-data-key-provider';
import { eventBridgeSink } from './runtime';

export async function bootstrapAws(opts: {
  tableName: string;
  kmsKeyId: string;
  region?: string;
  ownerId?: string;
  name?: string;
  keyPrefix?: string;
  /** The deployment's keygate:auditRetentionDays (the bootstrap's audit entry expires with it). */
  auditRetentionDays?: number;
  /** The stack's bus: the bootstrap's audit entry is published there like every other. */
  eventBusName?: string;
}): Promise<{ plaintext: string; keyId: string }> {
  const doc = createDocumentClient(opts.region ? { region: opts.region } : {});
  const kms = new KMSClient(opts.region ? { region: opts.region } : {});
  const service = new KeyService({
    repo: new DynamoKeyRepository(doc, opts.tableName),
    cipher: new EnvelopeCipher(new KmsDataKeyProvider(kms, opts.kmsKeyId), systemClock),
    config: { keyPrefix: opts.keyPrefix ?? DEFAULT_CONFIG.keyPrefix, scopes: [], auditRetentionDays: opts.auditRetentionDays ?? DEFAULT_CONFIG.auditRetentionDays },
    clock: systemClock,
    ...(opts.eventBusName ? { events: eventBridgeSink(opts.eventBusName, opts.region ? { region: opts.region } : {}) } : {}),
  });
  try {
    const created = await service.createBootstrapKey({ ownerId: opts.ownerId ?? 'admin', name: opts.name ?? 'bootstrap admin', createdBy: 'bootstrap' });
    return { plaintext: created.plaintext, keyId: created.view.id };
  } finally {
    doc.destroy();
    kms.destroy();
  }
}
