/** Audited repository writes for tests: the record with its new head and the chained entry, as the key service builds them. */
import { type AuditAction, type AuditContext, type AuditEntry, type AuditPolicy, chainedEntry } from '../../core/audit';
import type { KeyRepository } from '../../core/ports';
import type { KeyRecord, SealedKeyRecord } from '../../core/records';

export const TEST_AUDIT_CONTEXT: AuditContext = { actor: { type: 'system' }, request: {} };
export const TEST_AUDIT_POLICY: AuditPolicy = { retentionDays: 400 };

export interface Audited {
  /** The record to store: `after` with its new `auditHead`. */
  readonly record: SealedKeyRecord;
  readonly entry: AuditEntry;
}

/**
 * The record and entry of one change: `before` is the stored record (undefined for a new key),
 * `after` the new version. The entry is dated `at` (default: `after.updatedAt`).
 */
export function audited(
  action: AuditAction,
  before: SealedKeyRecord | undefined,
  after: SealedKeyRecord,
  opts: { readonly at?: Date; readonly context?: AuditContext } = {},
): Audited {
  const { entry, head } = chainedEntry(
    {
      action,
      before: before as KeyRecord | undefined,
      after: after as KeyRecord,
      context: opts.context ?? TEST_AUDIT_CONTEXT,
      at: opts.at ?? new Date(after.updatedAt),
    },
    TEST_AUDIT_POLICY,
  );
  return { record: { ...after, auditHead: head }, entry };
}

/** The record and entry of creating `record`. */
export const auditedCreate = (record: SealedKeyRecord, opts: { readonly at?: Date; readonly context?: AuditContext } = {}): Audited =>
  audited('key.created', undefined, record, opts);

/** Creates `record` through the repository with its entry; returns what was stored. */
export async function createAudited(repo: Pick<KeyRepository, 'create'>, record: SealedKeyRecord): Promise<SealedKeyRecord> {
  const a = auditedCreate(record);
  await repo.create(a.record, a.entry);
  return a.record;
}
