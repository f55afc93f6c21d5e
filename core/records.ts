/** Key records: what is stored, what the authorizer reads, and what clients see. */
import type { AuditHead } from './audit';
import type { KeyEnvironment } from './key-format';

export type StoredStatus = 'active' | 'revoked';
export type KeyStatus = StoredStatus | 'expired';

/**
 * How a rate limit counts (docs/rate-limiting.md#policies):
 *   fixed        `limit` per epoch-aligned window of `windowSeconds` (the default; up to 2× across a boundary)
 *   sliding      at most `limit` in any `windowSeconds`-long interval (sub-window counter, never over)
 *   tokenBucket  refills `limit` per `windowSeconds` continuously, holds at most `burst` (GCRA)
 */
export type RatePolicy = 'fixed' | 'sliding' | 'tokenBucket';
export const RATE_POLICIES: readonly RatePolicy[] = ['fixed', 'sliding', 'tokenBucket'];

export interface RateLimit {
  readonly limit: number;
  readonly windowSeconds: number;
  /** Absent = `fixed` (every key created before policies existed). */
  readonly policy?: RatePolicy;
  /** Token bucket only: the most requests admitted at once from a full bucket. @default limit */
  readonly burst?: number;
}

/** The policy a rate limit counts with (absent = fixed). */
export function ratePolicyOf(r: RateLimit): RatePolicy {
  return r.policy ?? 'fixed';
}

export interface Quota {
  readonly daily?: number;
  readonly monthly?: number;
}

/** The full record in the domain, with sensitive attributes in the clear. */
export interface KeyRecord {
  readonly id: string;
  readonly ownerId: string;
  readonly name: string;
  readonly description?: string;
  readonly environment: KeyEnvironment;
  /** Display prefix, e.g. `kg_live_AbCd`. */
  readonly start: string;
  /** SHA-256 of the key. Never leaves the service. */
  readonly hash: string;
  readonly scopes: readonly string[];
  readonly status: StoredStatus;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly expiresAt?: string;
  readonly lastUsedAt?: string;
  readonly revokedAt?: string;
  readonly replaces?: string;
  readonly replacedBy?: string;
  /**
   * The counters this key counts against: the id of the first key of its rotation chain, set on
   * every key a rotation produces (core/key-service.ts), so old and new key share one allowance.
   * Absent = the key's own id.
   */
  readonly lineage?: string;
  readonly rateLimit?: RateLimit;
  readonly quota?: Quota;
  readonly allowedIps?: readonly string[];
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** The key template (`keygate:keyTemplates`) the key was created from; later changes do not clear it. */
  readonly template?: string;
  /** The id the key had in the system it was imported from (`POST /v1/keys/import`); unique per deployment. */
  readonly externalId?: string;
  /** When the key was imported (core/key-import.ts); absent on keys Keygate issued. */
  readonly importedAt?: string;
  /** Optimistic-concurrency counter; also the seq of the key's latest audit entry. */
  readonly version: number;
  /** The key's latest audit entry (core/audit.ts); absent on keys that predate the audit log. */
  readonly auditHead?: AuditHead;
}

/** Attributes a tenant may put personal data in: envelope-encrypted at rest. */
export const SEALED_FIELDS = ['description', 'metadata'] as const;
export type SealedFields = Pick<KeyRecord, (typeof SEALED_FIELDS)[number]>;

/** The record as the repository stores it: sealed fields replaced by one ciphertext. */
export type SealedKeyRecord = Omit<KeyRecord, (typeof SEALED_FIELDS)[number]> & { readonly sealed?: string };

/** What the authorizer needs, stored beside the hash so one GetItem answers it. Nothing sensitive. */
export interface AuthzRecord {
  readonly keyId: string;
  readonly ownerId: string;
  readonly environment: KeyEnvironment;
  readonly scopes: readonly string[];
  readonly status: StoredStatus;
  readonly expiresAt?: string;
  readonly allowedIps?: readonly string[];
  /** See KeyRecord.lineage. */
  readonly lineage?: string;
  readonly rateLimit?: RateLimit;
  readonly quota?: Quota;
}

/** The id of the counter item a key's limits are counted on: its lineage, else its own id. */
export function counterIdOf(key: Pick<AuthzRecord, 'keyId' | 'lineage'>): string {
  return key.lineage ?? key.keyId;
}

export function authzProjection(r: Pick<KeyRecord, keyof Omit<AuthzRecord, 'keyId'> | 'id'>): AuthzRecord {
  return {
    keyId: r.id,
    ownerId: r.ownerId,
    environment: r.environment,
    scopes: r.scopes,
    status: r.status,
    ...(r.expiresAt !== undefined ? { expiresAt: r.expiresAt } : {}),
    ...(r.allowedIps !== undefined ? { allowedIps: r.allowedIps } : {}),
    ...(r.lineage !== undefined ? { lineage: r.lineage } : {}),
    ...(r.rateLimit !== undefined ? { rateLimit: r.rateLimit } : {}),
    ...(r.quota !== undefined ? { quota: r.quota } : {}),
  };
}

/** `expired` is derived: a stored-active key whose expiry has passed. */
export function effectiveStatus(r: { status: StoredStatus; expiresAt?: string }, now: Date): KeyStatus {
  if (r.status === 'revoked') return 'revoked';
  if (r.expiresAt !== undefined && Date.parse(r.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}

/** A record as clients see it: no hash, no version, computed status. */
export interface KeyView extends Omit<KeyRecord, 'hash' | 'version' | 'status'> {
  readonly status: KeyStatus;
}

export function toView(r: KeyRecord, now: Date): KeyView {
  // Copy field by field: a new stored attribute must be added here on purpose to be exposed.
  const view: Record<string, unknown> = {
    id: r.id,
    ownerId: r.ownerId,
    name: r.name,
    description: r.description,
    environment: r.environment,
    start: r.start,
    scopes: [...r.scopes],
    status: effectiveStatus(r, now),
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    updatedAt: r.updatedAt,
    expiresAt: r.expiresAt,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
    replaces: r.replaces,
    replacedBy: r.replacedBy,
    rateLimit: r.rateLimit,
    quota: r.quota,
    allowedIps: r.allowedIps,
    metadata: r.metadata,
    template: r.template,
    externalId: r.externalId,
    importedAt: r.importedAt,
  };
  for (const k of Object.keys(view)) if (view[k] === undefined) delete view[k];
  return view as unknown as KeyView;
}
