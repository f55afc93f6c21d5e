/**
 * Reading the audit log: GET /v1/audit and GET /v1/audit/verify. Access rule (docs/security.md):
 * an `admin` key reads every owner's entries; any other key only entries about its own owner's
 * keys — its owner is forced into every query, so no filter and no cursor reaches another owner.
 */
import { createHash } from 'node:crypto';
import { type AuditEntry, type AuditHead, canonicalJson, type ChainVerdict, isAuditId, verifyChain } from './audit';
import type { Caller } from './key-service';
import { type AuditStore, type Clock, InvalidCursorError, type KeyRepository } from './ports';
import { notFound, ProblemError } from './problem';
import { ADMIN_SCOPE } from './scopes';
import type { AuditListQuery, AuditVerifyQuery } from './validation';

export interface AuditListResult {
  readonly items: readonly AuditEntry[];
  readonly nextCursor: string | null;
}

export interface AuditVerifyResult {
  /** True when every key checked has an unbroken chain. */
  readonly ok: boolean;
  readonly keysChecked: number;
  readonly entriesChecked: number;
  /** One verdict per key checked, in the order checked. */
  readonly keys: readonly ChainVerdict[];
  /** The first key whose chain is broken, with its first broken link. */
  readonly firstBroken: ChainVerdict | null;
  /** More keys to verify (without keyId): pass it back as `cursor`. */
  readonly nextCursor: string | null;
}

export interface AuditServiceDeps {
  readonly store: AuditStore;
  readonly repo: KeyRepository;
  readonly clock: Clock;
}

const isAdmin = (c: Caller): boolean => c.scopes.includes(ADMIN_SCOPE);

/**
 * A cursor names the last entry returned and a fingerprint of the query it belongs to (the
 * effective owner included). It only positions the next page inside the partition the caller's
 * own query selects; a cursor from another query, or another owner's, is refused.
 */
function fingerprint(q: object): string {
  return createHash('sha256').update(canonicalJson(q)).digest('base64url').slice(0, 16);
}

function encodeCursor(lastId: string, fp: string): string {
  return Buffer.from(`a1:${lastId}:${fp}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, fp: string): string {
  const [tag, id, got] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  if (tag !== 'a1' || id === undefined || !isAuditId(id) || got !== fp) {
    throw new InvalidCursorError('cursor was not issued for this query');
  }
  return id;
}

export class AuditService {
  constructor(private readonly deps: AuditServiceDeps) {}

  /** The owner a query is confined to: the caller's own unless it is an admin. */
  private ownerScope(caller: Caller, requested: string | undefined): string | undefined {
    if (isAdmin(caller)) return requested;
    if (requested !== undefined && requested !== caller.ownerId) {
      throw new ProblemError(403, 'owner_not_allowed', 'ownerId: a non-admin key can read only the audit log of its own owner’s keys.');
    }
    return caller.ownerId;
  }

  async list(caller: Caller, q: AuditListQuery): Promise<AuditListResult> {
    const ownerId = this.ownerScope(caller, q.ownerId);
    const filters = {
      ...(q.keyId ? { keyId: q.keyId } : {}),
      ...(q.actorKeyId ? { actorKeyId: q.actorKeyId } : {}),
      ...(ownerId !== undefined ? { ownerId } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.from ? { from: q.from } : {}),
      ...(q.to ? { to: q.to } : {}),
    };
    const fp = fingerprint({ ...filters, from: q.from?.toISOString(), to: q.to?.toISOString() });
    const before = q.cursor !== undefined ? decodeCursor(q.cursor, fp) : undefined;
    const page = await this.deps.store.query({ ...filters, limit: q.limit, ...(before ? { before } : {}) });
    // Defence in depth: the store filtered by owner already.
    const items = ownerId === undefined ? page.items : page.items.filter((e) => e.target.ownerId === ownerId);
    return { items, nextCursor: page.lastId !== undefined ? encodeCursor(page.lastId, fp) : null };
  }

  /** Verifies one key's chain, or a page of keys (the caller's owner's; every owner's for an admin). */
  async verify(caller: Caller, q: AuditVerifyQuery): Promise<AuditVerifyResult> {
    const now = this.deps.clock.now();
    let keys: { id: string; auditHead?: AuditHead }[];
    let nextCursor: string | null = null;
    if (q.keyId !== undefined) {
      const stored = await this.deps.repo.getById(q.keyId);
      if (!stored || (!isAdmin(caller) && stored.ownerId !== caller.ownerId)) throw notFound();
      keys = [stored];
    } else {
      const page = await this.deps.repo.list({
        ...(isAdmin(caller) ? {} : { ownerId: caller.ownerId }),
        limit: q.limit,
        ...(q.cursor ? { cursor: q.cursor } : {}),
        now,
      });
      keys = [...page.items];
      nextCursor = page.nextCursor ?? null;
    }
    const verdicts: ChainVerdict[] = [];
    for (const k of keys) {
      let verdict = verifyChain(k.id, await this.deps.store.entriesOfKey(k.id), k.auditHead, now);
      if (!verdict.ok) {
        // A change landing between the two reads, or a key page read from an eventually
        // consistent index, looks like a broken head: read entries, then the record (strongly
        // consistent), and judge again. A real break fails both times.
        const entries = await this.deps.store.entriesOfKey(k.id);
        const fresh = await this.deps.repo.getById(k.id);
        verdict = verifyChain(k.id, entries, fresh?.auditHead, this.deps.clock.now());
      }
      verdicts.push(verdict);
    }
    const firstBroken = verdicts.find((v) => !v.ok) ?? null;
    return {
      ok: firstBroken === null,
      keysChecked: verdicts.length,
      entriesChecked: verdicts.reduce((n, v) => n + v.entries, 0),
      keys: verdicts,
      firstBroken,
      nextCursor,
    };
  }
}
