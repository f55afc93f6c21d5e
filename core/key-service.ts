/**
 * Key management use cases. Access rules (docs/security.md):
 * - a caller with `admin` manages every owner's keys and may grant any scope;
 * - any other caller sees and manages only keys of its own ownerId (others are 404,
 *   so existence does not leak) and cannot grant, or rotate/update a key holding,
 *   a scope it does not hold itself.
 */
import { type AuditAction, type AuditContext, type AuditEntry, auditEventType, chainedEntry, deniedEntry, type RequestInfo } from './audit';
import { allScopes, type KeygateConfig } from './config';
import { EnvelopeCipher } from './envelope';
import { newKeyId } from './ids';
import { generateKey, type KeyEnvironment } from './key-format';
import { decideRow, IMPORT_CONCURRENCY, type ImportDraft, type ImportPlan, type ImportResult, type ImportRowOutcome, type KeyImportStore, mapBounded, summarize } from './key-import';
import { notFound, ProblemError } from './problem';
import { PROBLEM_CODES } from './problem-codes';
import { effectivePlan, type LimitStatus } from './limits';
import { type AuditStore, type Clock, ConflictError, type CounterStore, type EventSink, type KeyRepository, type Logger } from './ports';
import { counterIdOf, effectiveStatus, type KeyRecord, type KeyView, type RateLimit, type RatePolicy, ratePolicyOf, type SealedFields, type SealedKeyRecord, toView } from './records';
import { ADMIN_SCOPE } from './scopes';
import type { CreateKeyInput, ListKeysQuery, RotateKeyInput, UpdateKeyInput } from './validation';

export interface Caller {
  readonly keyId: string;
  readonly ownerId: string;
  readonly scopes: readonly string[];
  /** Where the call came from, for the audit log. */
  readonly request?: RequestInfo;
}

export interface CreatedKey {
  readonly view: KeyView;
  /** Shown once; never stored. */
  readonly plaintext: string;
}

export interface RotatedKey extends CreatedKey {
  readonly previous: Pick<KeyView, 'id' | 'status' | 'expiresAt'>;
}

export interface KeyServiceDeps {
  /** With the KeyImportStore methods (DynamoKeyRepository has them), `importKeys` works; without, it is a fault. */
  readonly repo: KeyRepository & Partial<KeyImportStore>;
  readonly cipher: EnvelopeCipher;
  readonly config: Pick<KeygateConfig, 'keyPrefix' | 'scopes'> & Partial<Pick<KeygateConfig, 'defaultRateLimit' | 'auditRetentionDays'>>;
  readonly clock: Clock;
  /** Needed for usage reports only. */
  readonly counters?: CounterStore;
  /** Where denied attempts are recorded (changes write their entries through the repository); absent = not recorded. */
  readonly audit?: AuditStore;
  /** Every audit entry is published as `keygate.audit.<action>` after it is written; absent = nowhere. */
  readonly events?: EventSink;
  readonly logger?: Logger;
  /**
   * Told after a key's record changed through this service (update, revoke, rotate), so this
   * container's verifier drops its cached record and cached refusal at once (KeyVerifier.forget).
   */
  readonly onKeyChanged?: (key: { readonly hash: string; readonly counterId: string }) => void;
}

/** Writes of one import row that lost a race before the batch fails (re-running it is safe). */
const IMPORT_WRITE_ATTEMPTS = 3;

/** Retention of audit entries when the config does not say (config.ts holds the deployment default). */
const FALLBACK_RETENTION_DAYS = 400;

type UsageWindow = { limit: number; used: number; remaining: number; resetAt: string };
export interface KeyUsage {
  readonly keyId: string;
  readonly rateLimit: (UsageWindow & { policy: RatePolicy; windowSeconds: number; windowStart: string; burst?: number }) | null;
  readonly quota: { daily: UsageWindow | null; monthly: UsageWindow | null };
}

const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();
const usageWindow = (s: LimitStatus): UsageWindow => ({ limit: s.limit, used: s.used, remaining: s.remaining, resetAt: iso(s.resetAt) });

const isAdmin = (c: Caller): boolean => c.scopes.includes(ADMIN_SCOPE);

export class KeyService {
  private readonly knownScopes: ReadonlySet<string>;

  constructor(private readonly deps: KeyServiceDeps) {
    this.knownScopes = new Set(allScopes({ ...deps.config } as KeygateConfig).map((s) => s.name));
  }

  private get policy() {
    return { retentionDays: this.deps.config.auditRetentionDays ?? FALLBACK_RETENTION_DAYS };
  }

  /** Publishes written entries; a failure is logged, never the caller's problem (the entry is stored). */
  private async publish(entries: readonly AuditEntry[]): Promise<void> {
    const sink = this.deps.events;
    if (!sink) return;
    await Promise.all(
      entries.map((e) =>
        sink.publish({ type: auditEventType(e), ...e }).catch((error: unknown) => this.deps.logger?.log('warn', 'audit event publish failed', { entryId: e.id, error })),
      ),
    );
  }

  /**
   * Records a refused attempt, then throws the refusal. Best effort: a failed write is logged and
   * the caller still gets the refusal, never a 5xx.
   */
  private async deny(ctx: AuditContext, action: AuditAction, target: { keyId?: string; ownerId: string }, refusal: ProblemError): Promise<never> {
    const entry = deniedEntry({ action, reason: refusal.code, target, context: ctx, at: this.deps.clock.now() }, this.policy);
    if (this.deps.audit) {
      try {
        await this.deps.audit.record(entry);
        await this.publish([entry]);
      } catch (error) {
        this.deps.logger?.log('warn', 'audit entry of a denied attempt not written', { action, reason: refusal.code, error });
      }
    }
    throw refusal;
  }

  /** Scopes being granted must exist in this deployment and, for a non-admin, be held by the caller. */
  private checkGrantable(caller: Caller, scopes: readonly string[]): void {
    const unknown = scopes.filter((s) => !this.knownScopes.has(s));
    if (unknown.length > 0) {
      throw new ProblemError(400, 'unknown_scope', `scopes: not defined in this deployment: ${unknown.join(', ')} (see GET /v1/scopes).`);
    }
    this.checkHeld(caller, scopes, 'scopes');
  }

  /** A non-admin may only act on, or grant, scopes it holds itself. */
  private checkHeld(caller: Caller, scopes: readonly string[], field: string): void {
    if (isAdmin(caller)) return;
    const notHeld = scopes.filter((s) => !caller.scopes.includes(s));
    if (notHeld.length > 0) {
      throw new ProblemError(403, 'scope_not_grantable', `${field}: the calling key does not hold: ${notHeld.join(', ')}.`);
    }
  }

  private async seal(r: KeyRecord): Promise<SealedKeyRecord> {
    const { description, metadata, ...rest } = r;
    if (description === undefined && metadata === undefined) return rest;
    const fields: SealedFields = { description, metadata };
    return { ...rest, sealed: await this.deps.cipher.seal(fields, { keyId: r.id, ownerId: r.ownerId }) };
  }

  private async unseal(s: SealedKeyRecord): Promise<KeyRecord> {
    const { sealed, ...rest } = s;
    if (sealed === undefined) return rest;
    const fields = (await this.deps.cipher.open(sealed, { keyId: s.id, ownerId: s.ownerId })) as SealedFields;
    return {
      ...rest,
      ...(fields.description !== undefined ? { description: fields.description } : {}),
      ...(fields.metadata !== undefined ? { metadata: fields.metadata } : {}),
    };
  }

  /** Loads a key the caller may see, or 404. For a management `action`, a key of another owner is recorded as a denied attempt. */
  private async load(caller: Caller, id: string, action?: AuditAction): Promise<KeyRecord> {
    const stored = await this.deps.repo.getById(id);
    if (!stored) throw notFound();
    if (!isAdmin(caller) && stored.ownerId !== caller.ownerId) {
      if (action) await this.deny(contextOf(caller), action, targetOf(stored), notFound());
      throw notFound();
    }
    return this.unseal(stored);
  }

  /** Runs access checks about a loaded key; a 403 they throw is recorded as a denied attempt. */
  private async checked(caller: Caller, action: AuditAction, target: { keyId?: string; ownerId: string }, checks: () => void): Promise<void> {
    try {
      checks();
    } catch (err) {
      if (err instanceof ProblemError && err.status === 403) await this.deny(contextOf(caller), action, target, err);
      throw err;
    }
  }

  async create(caller: Caller, input: CreateKeyInput): Promise<CreatedKey> {
    const ownerId = input.ownerId ?? caller.ownerId;
    await this.checked(caller, 'key.created', { ownerId }, () => {
      if (!isAdmin(caller) && ownerId !== caller.ownerId) {
        throw new ProblemError(403, 'owner_not_allowed', 'ownerId: only an admin key can create keys for another owner.');
      }
      this.checkGrantable(caller, input.scopes);
    });
    return this.issue(
      {
        ownerId,
        name: input.name,
        description: input.description,
        environment: input.environment,
        scopes: input.scopes,
        createdBy: caller.keyId,
        expiresAt: input.expiresAt,
        rateLimit: input.rateLimit,
        quota: input.quota,
        allowedIps: input.allowedIps,
        metadata: input.metadata,
        template: input.template,
      },
      contextOf(caller),
    );
  }

  /** Creates the first admin key (bootstrap): no caller exists yet. */
  async createBootstrapKey(opts: { ownerId: string; name: string; createdBy: string; environment?: KeyEnvironment }): Promise<CreatedKey> {
    return this.issue({ ...opts, environment: opts.environment ?? 'live', scopes: [ADMIN_SCOPE] }, { actor: { type: 'bootstrap' }, request: {} });
  }

  private async issue(
    fields: Omit<KeyRecord, 'id' | 'hash' | 'start' | 'status' | 'createdAt' | 'updatedAt' | 'version'>,
    ctx: AuditContext,
  ): Promise<CreatedKey> {
    const now = this.deps.clock.now();
    const generated = generateKey(this.deps.config.keyPrefix, fields.environment);
    const draft = this.compact({
      ...fields,
      id: newKeyId(now.getTime()),
      hash: generated.hash,
      start: generated.start,
      status: 'active',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      version: 1,
    });
    const { entry, head } = chainedEntry({ action: 'key.created', before: undefined, after: draft, context: ctx, at: now }, this.policy);
    const record: KeyRecord = { ...draft, auditHead: head };
    await this.deps.repo.create(await this.seal(record), entry);
    await this.publish([entry]);
    return { view: toView(record, now), plaintext: generated.plaintext };
  }

  private compact(r: KeyRecord): KeyRecord {
    const copy: Record<string, unknown> = { ...r };
    for (const k of Object.keys(copy)) if (copy[k] === undefined || copy[k] === null) delete copy[k];
    return copy as unknown as KeyRecord;
  }

  /**
   * Live counters of a key's limits (the deployment default rate limit applies when it has none).
   * A rotated key reads its lineage's counters, so both keys of a rotation report the same numbers,
   * each against its own plan (docs/rate-limiting.md#rotation-shares-one-allowance).
   */
  async usage(caller: Caller, id: string): Promise<KeyUsage> {
    const record = await this.load(caller, id);
    if (!this.deps.counters) throw new Error('usage needs a counter store');
    const plan = effectivePlan(record, this.deps.config.defaultRateLimit);
    const r = await this.deps.counters.peek(counterIdOf({ keyId: record.id, lineage: record.lineage }), plan, this.deps.clock.now());
    return {
      keyId: record.id,
      rateLimit: r.rate
        ? {
            ...usageWindow(r.rate),
            policy: r.rate.policy,
            windowSeconds: r.rate.windowSeconds,
            windowStart: iso(r.rate.windowStart),
            ...(r.rate.burst !== undefined ? { burst: r.rate.burst } : {}),
          }
        : null,
      quota: { daily: r.daily ? usageWindow(r.daily) : null, monthly: r.monthly ? usageWindow(r.monthly) : null },
    };
  }

  async get(caller: Caller, id: string): Promise<KeyView> {
    return toView(await this.load(caller, id), this.deps.clock.now());
  }

  async list(caller: Caller, query: ListKeysQuery): Promise<{ items: KeyView[]; nextCursor: string | null }> {
    let ownerId = query.ownerId;
    if (!isAdmin(caller)) {
      if (ownerId !== undefined && ownerId !== caller.ownerId) {
        throw new ProblemError(403, 'owner_not_allowed', 'ownerId: a non-admin key can list only its own owner’s keys.');
      }
      ownerId = caller.ownerId;
    }
    const now = this.deps.clock.now();
    const page = await this.deps.repo.list({
      ...(ownerId !== undefined ? { ownerId } : {}),
      ...(query.status ? { status: query.status } : {}),
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
      now,
    });
    const items = await Promise.all(page.items.map(async (s) => toView(await this.unseal(s), now)));
    return { items, nextCursor: page.nextCursor ?? null };
  }

  async update(caller: Caller, id: string, patch: UpdateKeyInput): Promise<KeyView> {
    const current = await this.load(caller, id, 'key.updated');
    await this.checked(caller, 'key.updated', targetOf(current), () => {
      this.checkHeld(caller, current.scopes, 'scopes (held by the key)');
      if (patch.scopes) this.checkGrantable(caller, patch.scopes);
    });
    if (current.status === 'revoked') throw new ProblemError(409, 'key_revoked', 'A revoked key cannot be changed.');
    if (current.replacedBy !== undefined && 'expiresAt' in patch) {
      throw new ProblemError(409, 'key_rotated', 'A rotated key expires when its grace period ends; revoke it to end the grace period early.');
    }
    const now = this.deps.clock.now();
    if ('rateLimit' in patch) await this.checkPolicyChange(current, patch.rateLimit ?? undefined, now);
    const next: Record<string, unknown> = { ...current, updatedAt: now.toISOString(), version: current.version + 1 };
    for (const [k, v] of Object.entries(patch)) next[k] = v === null ? undefined : v;
    const record = await this.write('key.updated', current, this.compact(next as unknown as KeyRecord), contextOf(caller), now);
    return toView(record, now);
  }

  /** Idempotent: revoking a revoked key returns it unchanged. A non-admin cannot revoke a key holding scopes it lacks (its own owner's admin key, say). */
  async revoke(caller: Caller, id: string): Promise<KeyView> {
    const current = await this.load(caller, id, 'key.revoked');
    await this.checked(caller, 'key.revoked', targetOf(current), () => this.checkHeld(caller, current.scopes, 'scopes (held by the key)'));
    const now = this.deps.clock.now();
    if (current.status === 'revoked') return toView(current, now);
    const record = await this.write('key.revoked', current, this.revoked(current, now), contextOf(caller), now);
    return toView(record, now);
  }

  private revoked(current: KeyRecord, now: Date): KeyRecord {
    return { ...current, status: 'revoked', revokedAt: now.toISOString(), updatedAt: now.toISOString(), version: current.version + 1 };
  }

  /** Writes a changed record with its chained audit entry (one transaction), then publishes the entry. */
  private async write(action: AuditAction, before: KeyRecord, after: KeyRecord, ctx: AuditContext, now: Date): Promise<KeyRecord> {
    const { entry, head } = chainedEntry({ action, before, after, context: ctx, at: now }, this.policy);
    const record: KeyRecord = { ...after, auditHead: head };
    await this.deps.repo.update(await this.seal(record), entry);
    this.changed(record);
    await this.publish([entry]);
    return record;
  }

  /**
   * The two keys of a rotation share one set of counters, but each rate-limit policy counts on
   * attributes of its own: while both are usable, they must keep one policy, or each would get a
   * full allowance (docs/rate-limiting.md#rotation-shares-one-allowance).
   */
  private async checkPolicyChange(current: KeyRecord, next: RateLimit | undefined, now: Date): Promise<void> {
    const policyOf = (r: RateLimit | undefined) => {
      const effective = r ?? this.deps.config.defaultRateLimit ?? undefined;
      return effective ? ratePolicyOf(effective) : undefined;
    };
    if (policyOf(next) === policyOf(current.rateLimit)) return;
    let partnerLive = current.replacedBy !== undefined && effectiveStatus(current, now) === 'active';
    if (!partnerLive && current.replaces !== undefined) {
      const old = await this.deps.repo.getById(current.replaces);
      partnerLive = !!old && effectiveStatus(old, now) === 'active';
    }
    if (partnerLive) throw new ProblemError(409, 'rotation_policy_change', PROBLEM_CODES.rotation_policy_change.detail);
  }

  private changed(r: KeyRecord): void {
    this.deps.onKeyChanged?.({ hash: r.hash, counterId: counterIdOf({ keyId: r.id, lineage: r.lineage }) });
  }

  async rotate(caller: Caller, id: string, input: RotateKeyInput): Promise<RotatedKey> {
    const old = await this.load(caller, id, 'key.rotated');
    await this.checked(caller, 'key.rotated', targetOf(old), () => this.checkHeld(caller, old.scopes, 'scopes (held by the key)'));
    const now = this.deps.clock.now();
    if (old.status === 'revoked') throw new ProblemError(409, 'key_revoked', 'A revoked key cannot be rotated.');
    if (old.expiresAt !== undefined && Date.parse(old.expiresAt) <= now.getTime()) {
      throw new ProblemError(409, 'key_expired', 'An expired key cannot be rotated; create a new key.');
    }
    if (old.replacedBy !== undefined) {
      throw new ProblemError(409, 'key_already_rotated', `This key was already rotated; its replacement is ${old.replacedBy}.`);
    }
    const generated = generateKey(this.deps.config.keyPrefix, old.environment);
    const nowIso = now.toISOString();
    const createdDraft = this.compact({
      id: newKeyId(now.getTime()),
      ownerId: old.ownerId,
      name: old.name,
      description: old.description,
      environment: old.environment,
      start: generated.start,
      hash: generated.hash,
      scopes: old.scopes,
      status: 'active',
      createdAt: nowIso,
      createdBy: caller.keyId,
      updatedAt: nowIso,
      // The new key keeps the old key's absolute expiry, if it had one.
      expiresAt: old.expiresAt,
      replaces: old.id,
      // One allowance per chain: the new key counts on the counters of the chain's first key
      // (core/records.ts counterIdOf), so a rotation never hands out a second allowance.
      lineage: old.lineage ?? old.id,
      rateLimit: old.rateLimit,
      quota: old.quota,
      allowedIps: old.allowedIps,
      metadata: old.metadata,
      template: old.template,
      version: 1,
    });
    const graceEnd = new Date(now.getTime() + input.gracePeriodSeconds * 1000).toISOString();
    const oldExpiry = old.expiresAt !== undefined && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
    const oldDraft: KeyRecord =
      input.gracePeriodSeconds === 0
        ? { ...old, status: 'revoked', revokedAt: nowIso, replacedBy: createdDraft.id, updatedAt: nowIso, version: old.version + 1 }
        : { ...old, expiresAt: oldExpiry, replacedBy: createdDraft.id, updatedAt: nowIso, version: old.version + 1 };
    const ctx = contextOf(caller);
    const oldLink = chainedEntry({ action: 'key.rotated', before: old, after: oldDraft, context: ctx, at: now }, this.policy);
    const newLink = chainedEntry({ action: 'key.rotated', before: undefined, after: createdDraft, context: ctx, at: now }, this.policy);
    const updatedOld: KeyRecord = { ...oldDraft, auditHead: oldLink.head };
    const created: KeyRecord = { ...createdDraft, auditHead: newLink.head };
    await this.deps.repo.rotate(await this.seal(updatedOld), await this.seal(created), [oldLink.entry, newLink.entry]);
    this.changed(updatedOld);
    await this.publish([oldLink.entry, newLink.entry]);
    const oldView = toView(updatedOld, now);
    return {
      view: toView(created, now),
      plaintext: generated.plaintext,
      previous: { id: oldView.id, status: oldView.status, ...(oldView.expiresAt ? { expiresAt: oldView.expiresAt } : {}) },
    };
  }

  /**
   * Imports a planned batch (core/key-import.ts; docs/migration.md), admin only. Rows are looked
   * up and written IMPORT_CONCURRENCY at a time, each in its own transaction with its EXT# item
   * and its `key.imported` entry; a row another writer got to first is decided again from the
   * store. A dry run reads the same and writes nothing. A store fault fails the batch: re-running
   * it is safe, rows already written come back `unchanged`.
   */
  async importKeys(caller: Caller, plan: ImportPlan): Promise<ImportResult> {
    if (!isAdmin(caller)) throw new ProblemError(403, 'insufficient_scope', 'Importing keys needs the admin scope.');
    const { getImported, importKey } = this.deps.repo;
    if (!getImported || !importKey) throw new Error('key import needs a repository implementing KeyImportStore');
    const store: KeyImportStore = { getImported: getImported.bind(this.deps.repo), importKey: importKey.bind(this.deps.repo) };
    const ctx = contextOf(caller);
    const results = await mapBounded(plan.rows, IMPORT_CONCURRENCY, async (row): Promise<ImportRowOutcome> => {
      if (row.kind === 'settled') return { index: row.index, ...(row.externalId !== undefined ? { externalId: row.externalId } : {}), status: row.status, errors: row.errors };
      return this.importRow(store, row, plan.dryRun, ctx);
    });
    return summarize(plan.dryRun, results);
  }

  private async importRow(store: KeyImportStore, draft: ImportDraft, dryRun: boolean, ctx: AuditContext): Promise<ImportRowOutcome> {
    const base = { index: draft.index, externalId: draft.externalId };
    const decide = async () => {
      const byExternalId = await store.getImported(draft.externalId);
      if (byExternalId) return decideRow(draft, byExternalId, true);
      const hashTaken = (await this.deps.repo.getAuthzByHash(draft.hash)) !== undefined;
      // The hash may have been written with this externalId since the first read (a concurrent
      // import of the same row): read the externalId again before calling it a hash conflict.
      return decideRow(draft, hashTaken ? await store.getImported(draft.externalId) : undefined, hashTaken);
    };
    const outcome = (d: Exclude<Awaited<ReturnType<typeof decide>>, { status: 'create' }>): ImportRowOutcome =>
      d.status === 'unchanged' ? { ...base, status: 'unchanged', keyId: d.keyId } : { ...base, status: 'conflict', ...(d.keyId ? { keyId: d.keyId } : {}), errors: [d.error] };
    const first = await decide();
    if (first.status !== 'create') return outcome(first);
    if (dryRun) return { ...base, status: 'would_create' };
    const now = this.deps.clock.now();
    const f = draft.fields;
    const record = this.compact({
      id: newKeyId(now.getTime()),
      ownerId: f.ownerId,
      name: f.name,
      description: f.description,
      environment: f.environment,
      start: draft.start,
      hash: draft.hash,
      scopes: f.scopes,
      status: 'active',
      createdAt: now.toISOString(),
      createdBy: actorKeyId(ctx),
      updatedAt: now.toISOString(),
      expiresAt: f.expiresAt,
      rateLimit: f.rateLimit,
      quota: f.quota,
      allowedIps: f.allowedIps,
      metadata: f.metadata,
      externalId: draft.externalId,
      importedAt: now.toISOString(),
      version: 1,
    });
    const { entry, head } = chainedEntry({ action: 'key.imported', before: undefined, after: record, context: ctx, at: now }, this.policy);
    const sealed = { ...(await this.seal({ ...record, auditHead: head })), externalId: draft.externalId };
    for (let attempt = 1; ; attempt++) {
      try {
        await store.importKey(sealed, entry);
        break;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        // Another writer took the externalId or the hash in between (or both transactions were
        // cancelled by each other): decide from what is stored now, and write again if still free.
        const again = await decide();
        if (again.status !== 'create') return outcome(again);
        if (attempt === IMPORT_WRITE_ATTEMPTS) throw err;
      }
    }
    await this.publish([entry]);
    return { ...base, status: 'created', keyId: record.id };
  }

  /**
   * Leak response: revokes a key whose plaintext was presented (possession is the authority).
   * Returns the revoked key's id and owner, or undefined when there was nothing to revoke (unknown,
   * already revoked or expired): the caller answers the same either way.
   */
  async revokeLeaked(hash: string, request: RequestInfo): Promise<{ keyId: string; ownerId: string; revokedAt: string } | undefined> {
    const authz = await this.deps.repo.getAuthzByHash(hash);
    if (!authz) return undefined;
    const stored = await this.deps.repo.getById(authz.keyId);
    if (!stored || stored.hash !== hash) return undefined;
    const now = this.deps.clock.now();
    if (effectiveStatus(stored, now) !== 'active') return undefined;
    const current = await this.unseal(stored);
    const record = await this.write('key.leak_revoked', current, this.revoked(current, now), { actor: { type: 'leak-report' }, request }, now);
    return { keyId: record.id, ownerId: record.ownerId, revokedAt: record.revokedAt! };
  }
}

/** The key id of the admin an import runs for (its `createdBy`). */
const actorKeyId = (ctx: AuditContext): string => ctx.actor.keyId ?? ctx.actor.type;

/** The audit context of a call made with an API key. */
function contextOf(caller: Caller): AuditContext {
  return { actor: { type: 'key', keyId: caller.keyId, ownerId: caller.ownerId }, request: caller.request ?? {} };
}

const targetOf = (r: { id: string; ownerId: string }) => ({ keyId: r.id, ownerId: r.ownerId });
