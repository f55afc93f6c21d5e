/**
 * The audit log's one codec: what an entry is, how it is digested and chained, how a chain is
 * verified and what a change records. The key service builds entries, the repository writes
 * them in the same transaction as the change, the audit API and the CLI read them back.
 *
 * Tamper evidence (docs/security.md, "Audit log"): the successful entries about one key form a
 * hash chain. Entry `seq` is the key record's version after the change, `prev` the digest of the
 * entry before it, and the key record keeps the digest of its latest entry (`auditHead`), so an
 * edited, inserted, deleted or truncated entry breaks the chain. Denied attempts change no key
 * and are not chained. An attacker who can rewrite every entry and the key record can forge a
 * consistent chain; the events published for each entry are the independent copy.
 */
import { createHash } from 'node:crypto';
import { ulid } from './ids';
import type { KeyRecord } from './records';

/**
 * `key.expiring_notified` / `key.expired_notified`: the expiry scan (core/expiry-scan.ts) told the
 * owner; unchained entries by the service (actor `system`), one per event sent.
 * `key.imported`: the first entry of a key brought in by `POST /v1/keys/import` (core/key-import.ts).
 */
export const AUDIT_ACTIONS = [
  'key.created', 'key.updated', 'key.revoked', 'key.rotated', 'key.leak_revoked', 'key.expiring_notified', 'key.expired_notified', 'key.imported',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditOutcome = 'success' | 'denied';

/** `key`: a management call with an API key; the others are the service itself, the bootstrap command and a leak report. */
export const ACTOR_TYPES = ['key', 'system', 'bootstrap', 'leak-report'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export interface AuditActor {
  readonly type: ActorType;
  /** The calling key (type `key`). */
  readonly keyId?: string;
  /** The calling key's owner (type `key`). */
  readonly ownerId?: string;
}

/** Where a request came from, as API Gateway saw it. */
export interface RequestInfo {
  readonly requestId?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

/**
 * One changed field. Non-secret fields carry their values. Sealed fields (description,
 * metadata: tenants may put personal data there) carry `sealed: true` and a salted digest of
 * each value instead, so a reader sees that they changed, never what they hold.
 */
export interface AuditChange {
  readonly field: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly sealed?: true;
}

/** The chain link of a successful entry about a key. */
export interface AuditLink {
  /** The key record's version after the change: 1 for a new key, +1 per change. */
  readonly seq: number;
  /** Digest of the key's previous entry; null for the first entry of a chain. */
  readonly prev: string | null;
  /** When the previous entry is deleted by retention (epoch seconds); lets verification tell retention from deletion. */
  readonly prevExpiresAt?: number;
}

export interface AuditEntry {
  /** `aud_` + ULID: sorts by time. */
  readonly id: string;
  readonly at: string;
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  /** For denied entries: the problem code the caller got. */
  readonly reason?: string;
  readonly actor: AuditActor;
  /** The key acted on; `keyId` is absent for a denied create (no key exists). */
  readonly target: { readonly keyId?: string; readonly ownerId: string };
  readonly request: RequestInfo;
  readonly changes: readonly AuditChange[];
  /** Present on successful entries about a key. */
  readonly chain?: AuditLink;
  /** Deleted by DynamoDB TTL after this time (epoch seconds). */
  readonly expiresAt: number;
  /** SHA-256 (hex) of the canonical JSON of every other field. */
  readonly digest: string;
}

/** What the key record keeps of its latest entry. */
export interface AuditHead {
  readonly seq: number;
  readonly digest: string;
  readonly expiresAt: number;
}

export const AUDIT_ID_PATTERN = /^aud_[0-9A-HJKMNP-TV-Z]{26}$/;
export const newAuditId = (nowMs: number): string => `aud_${ulid(nowMs)}`;
export const isAuditId = (v: string): boolean => AUDIT_ID_PATTERN.test(v);

/** The smallest and largest entry id at a time: a time range is an id range. */
export function auditIdBounds(from: Date | undefined, to: Date | undefined): { readonly low?: string; readonly high?: string } {
  const zero = Buffer.alloc(10, 0);
  const ones = Buffer.alloc(10, 0xff);
  return {
    ...(from ? { low: `aud_${ulid(Math.max(0, from.getTime()), zero)}` } : {}),
    ...(to ? { high: `aud_${ulid(Math.max(0, to.getTime() - 1), ones)}` } : {}),
  };
}

// --- canonical JSON and digests ------------------------------------------------------------

/** JSON with object keys sorted at every level and undefined members dropped: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The digest of an entry: over every field but `digest` itself. */
export function entryDigest(entry: Omit<AuditEntry, 'digest'> & { digest?: string }): string {
  const { digest: _ignored, ...rest } = entry;
  return sha256(`keygate-audit-v1\n${canonicalJson(rest)}`);
}

/** Finishes an entry by adding its digest. */
export function sealEntry(entry: Omit<AuditEntry, 'digest'>): AuditEntry {
  return { ...entry, digest: entryDigest(entry) };
}

/** A salted digest of a sealed field's value: equal values of one key compare equal, nothing more. */
export function sealedValueDigest(keyId: string, value: unknown): string {
  return `sha256:${sha256(`keygate-audit-sealed-v1\n${keyId}\n${canonicalJson(value)}`).slice(0, 32)}`;
}

// --- changes -------------------------------------------------------------------------------

/** Fields an entry records with their values, in this order. Never the hash, the version or timestamps every change moves. */
export const AUDITED_FIELDS = [
  'ownerId', 'name', 'environment', 'start', 'scopes', 'status', 'expiresAt', 'revokedAt', 'replaces', 'replacedBy',
  'rateLimit', 'quota', 'allowedIps', 'template', 'externalId',
] as const satisfies readonly (keyof KeyRecord)[];

/** Fields recorded only as a digest (they are envelope-encrypted at rest). */
export const AUDITED_SEALED_FIELDS = ['description', 'metadata'] as const satisfies readonly (keyof KeyRecord)[];

/** The changed fields between two versions of a key (`before` absent for a new key). */
export function changesBetween(before: KeyRecord | undefined, after: KeyRecord): AuditChange[] {
  const out: AuditChange[] = [];
  for (const f of AUDITED_FIELDS) {
    const b = before?.[f];
    const a = after[f];
    if (canonicalJson(b ?? null) === canonicalJson(a ?? null)) continue;
    out.push({ field: f, ...(b !== undefined ? { before: b } : {}), ...(a !== undefined ? { after: a } : {}) });
  }
  for (const f of AUDITED_SEALED_FIELDS) {
    const b = before?.[f];
    const a = after[f];
    if (canonicalJson(b ?? null) === canonicalJson(a ?? null)) continue;
    out.push({
      field: f,
      sealed: true,
      ...(b !== undefined ? { before: sealedValueDigest(after.id, b) } : {}),
      ...(a !== undefined ? { after: sealedValueDigest(after.id, a) } : {}),
    });
  }
  return out;
}

// --- building entries ----------------------------------------------------------------------

/** Who acted and from where: everything an entry needs that the change itself does not say. */
export interface AuditContext {
  readonly actor: AuditActor;
  readonly request: RequestInfo;
}

export interface AuditPolicy {
  /** Entries are deleted this many days after they are written. */
  readonly retentionDays: number;
}

const expiry = (at: Date, policy: AuditPolicy): number => Math.floor(at.getTime() / 1000) + policy.retentionDays * 86_400;

/**
 * The chained entry for a successful change of `after` (whose `version` is the new one), linked
 * to `before`'s head. Returns the entry and the head the key record must store with it.
 */
export function chainedEntry(
  args: {
    readonly action: AuditAction;
    readonly before: (KeyRecord & { readonly auditHead?: AuditHead }) | undefined;
    readonly after: KeyRecord;
    readonly context: AuditContext;
    readonly at: Date;
    /** Extra changes that are not record fields (none today; kept for service-made changes). */
    readonly changes?: readonly AuditChange[];
  },
  policy: AuditPolicy,
): { entry: AuditEntry; head: AuditHead } {
  const head = args.before?.auditHead;
  const expiresAt = expiry(args.at, policy);
  const entry = sealEntry({
    id: newAuditId(args.at.getTime()),
    at: args.at.toISOString(),
    action: args.action,
    outcome: 'success',
    actor: args.context.actor,
    target: { keyId: args.after.id, ownerId: args.after.ownerId },
    request: args.context.request,
    changes: args.changes ?? changesBetween(args.before, args.after),
    chain: { seq: args.after.version, prev: head?.digest ?? null, ...(head ? { prevExpiresAt: head.expiresAt } : {}) },
    expiresAt,
  });
  return { entry, head: { seq: args.after.version, digest: entry.digest, expiresAt } };
}

/** The entry of an attempt that was refused (not chained: it changed nothing). */
export function deniedEntry(
  args: {
    readonly action: AuditAction;
    readonly reason: string;
    readonly target: { readonly keyId?: string; readonly ownerId: string };
    readonly context: AuditContext;
    readonly at: Date;
  },
  policy: AuditPolicy,
): AuditEntry {
  return sealEntry({
    id: newAuditId(args.at.getTime()),
    at: args.at.toISOString(),
    action: args.action,
    outcome: 'denied',
    reason: args.reason,
    actor: args.context.actor,
    target: args.target,
    request: args.context.request,
    changes: [],
    expiresAt: expiry(args.at, policy),
  });
}

// --- verification --------------------------------------------------------------------------

export type ChainBreak =
  | 'digest_mismatch' // an entry's content does not match its digest: it was edited
  | 'link_mismatch' // an entry's prev is not the digest of the entry before it
  | 'missing_entry' // a seq is missing and retention does not explain it
  | 'head_mismatch'; // the key record's head is not the last entry: the tail was removed or replaced

export interface ChainVerdict {
  readonly keyId: string;
  readonly ok: boolean;
  /** Chained entries checked. */
  readonly entries: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** Some entries were deleted by retention (or predate the audit log): before `firstSeq`, or in a gap that retention explains. */
  readonly pruned: boolean;
  /** The first broken link, oldest first. */
  readonly broken?: { readonly reason: ChainBreak; readonly seq: number; readonly entryId?: string; readonly detail: string };
}

/**
 * Recomputes a key's chain. `entries` are its chained entries in any order (denied entries are
 * ignored); `head` is what the key record stores. `now` decides whether a missing predecessor
 * was due for deletion by retention.
 */
export function verifyChain(keyId: string, entries: readonly AuditEntry[], head: AuditHead | undefined, now: Date): ChainVerdict {
  const chained = entries.filter((e) => e.chain !== undefined && e.target.keyId === keyId).sort((a, b) => a.chain!.seq - b.chain!.seq);
  const nowS = Math.floor(now.getTime() / 1000);
  const verdict = (broken?: ChainVerdict['broken'], pruned = false): ChainVerdict => ({
    keyId,
    ok: broken === undefined,
    entries: chained.length,
    firstSeq: chained[0]?.chain!.seq ?? null,
    lastSeq: chained.at(-1)?.chain!.seq ?? null,
    pruned,
    ...(broken ? { broken } : {}),
  });

  let pruned = false;
  for (let i = 0; i < chained.length; i++) {
    const e = chained[i]!;
    const link = e.chain!;
    if (entryDigest(e) !== e.digest) {
      return verdict({ reason: 'digest_mismatch', seq: link.seq, entryId: e.id, detail: `entry ${e.id} (seq ${link.seq}) does not match its digest: it was changed after it was written` }, pruned);
    }
    if (i === 0) {
      if (link.prev !== null) {
        // The predecessor is gone: fine only if retention was due to delete it.
        if (link.prevExpiresAt !== undefined && link.prevExpiresAt <= nowS) pruned = true;
        else {
          return verdict({ reason: 'missing_entry', seq: link.seq - 1, detail: `the entry before ${e.id} (seq ${link.seq - 1}) is missing and was not due for deletion by retention` });
        }
      } else if (link.seq > 1) {
        pruned = true; // the key predates its audit log
      }
      continue;
    }
    const prev = chained[i - 1]!;
    if (link.seq !== prev.chain!.seq + 1) {
      // TTL deletes in no set order, and a shorter retention makes newer entries expire first:
      // a gap is retention's doing when the entry just before `e` was due for deletion.
      if (link.prevExpiresAt !== undefined && link.prevExpiresAt <= nowS) {
        pruned = true;
        continue;
      }
      const missing = prev.chain!.seq + 1;
      return verdict({ reason: 'missing_entry', seq: missing, detail: `the entry with seq ${missing}, between ${prev.id} and ${e.id}, is missing` }, pruned);
    }
    if (link.prev !== prev.digest) {
      return verdict({ reason: 'link_mismatch', seq: link.seq, entryId: e.id, detail: `entry ${e.id} (seq ${link.seq}) does not link to ${prev.id}: an entry was replaced` }, pruned);
    }
  }
  const last = chained.at(-1);
  if (head === undefined) {
    if (last === undefined) return verdict(undefined, pruned);
    return verdict({ reason: 'head_mismatch', seq: last.chain!.seq, entryId: last.id, detail: 'the key record has no audit head but entries exist' }, pruned);
  }
  if (last === undefined) {
    if (head.expiresAt <= nowS) return verdict(undefined, true);
    return verdict({ reason: 'missing_entry', seq: head.seq, detail: `every entry is missing; the key record's latest is seq ${head.seq}` });
  }
  if (last.chain!.seq < head.seq) {
    return verdict({ reason: 'missing_entry', seq: last.chain!.seq + 1, detail: `entries after ${last.id} (seq ${last.chain!.seq}) are missing; the key record's latest is seq ${head.seq}` }, pruned);
  }
  if (last.chain!.seq !== head.seq || last.digest !== head.digest) {
    return verdict({ reason: 'head_mismatch', seq: last.chain!.seq, entryId: last.id, detail: `entry ${last.id} (seq ${last.chain!.seq}) is not the one the key record points to` }, pruned);
  }
  return verdict(undefined, pruned);
}

// --- queries -------------------------------------------------------------------------------

export interface AuditQuery {
  readonly keyId?: string;
  /** Target owner; forced to the caller's owner for non-admins. */
  readonly ownerId?: string;
  readonly actorKeyId?: string;
  readonly action?: AuditAction;
  readonly from?: Date;
  readonly to?: Date;
  readonly limit: number;
  /** Return entries older than this id (newest first). */
  readonly before?: string;
}

export interface AuditPage {
  readonly items: readonly AuditEntry[];
  /** Set when more entries match: the id of the last item returned. */
  readonly lastId?: string;
}

/** The audit events every entry is published as: `keygate.audit.<action>`. */
export const auditEventType = (e: Pick<AuditEntry, 'action'>): string => `keygate.audit.${e.action}`;
