/** What the domain needs from the outside world. Adapters (DynamoDB, KMS, local files) implement these. */
import type { LimitPlan, LimitResult } from './limits';
import type { AuditEntry, AuditPage, AuditQuery } from './audit';
import type { AuthzRecord, KeyStatus, SealedKeyRecord } from './records';

export interface ListPage<T> {
  readonly items: readonly T[];
  /** Opaque; absent when there is nothing more. */
  readonly nextCursor?: string;
}

export interface ListKeysFilter {
  /** Absent = every owner (admins only; the service enforces that). */
  readonly ownerId?: string;
  readonly status?: KeyStatus;
  readonly limit: number;
  readonly cursor?: string;
  /** Reference time for the derived `expired` status. */
  readonly now: Date;
}

export interface KeyRepository {
  /** Hot path: one strongly consistent read by hash. */
  getAuthzByHash(hash: string): Promise<AuthzRecord | undefined>;
  getById(id: string): Promise<SealedKeyRecord | undefined>;
  /**
   * Each write below stores the change and its audit entries in one transaction: both or neither.
   * The record carries the new `auditHead` (core/audit.ts).
   */
  /** Fails with ConflictError if the id or the hash already exists. */
  create(record: SealedKeyRecord, audit: AuditEntry): Promise<void>;
  /** Replaces the record if its stored version is `record.version - 1`; else ConflictError. */
  update(record: SealedKeyRecord, audit: AuditEntry): Promise<void>;
  /** Atomically updates the old record (version check) and creates the new one. */
  rotate(updatedOld: SealedKeyRecord, created: SealedKeyRecord, audit: readonly [old: AuditEntry, created: AuditEntry]): Promise<void>;
  list(filter: ListKeysFilter): Promise<ListPage<SealedKeyRecord>>;
  /** Sets lastUsedAt (only forward in time); a missing key is ignored. */
  touchLastUsed(id: string, at: string): Promise<void>;
}

/** The audit log's reads, and the writes that go with no change (denied attempts). */
export interface AuditStore {
  /** Writes one entry on its own (a denied attempt); fails with ConflictError if its id exists. */
  record(entry: AuditEntry): Promise<void>;
  /** Entries matching the query, newest first. The caller (core/audit-service.ts) enforces who may ask what. */
  query(query: AuditQuery): Promise<AuditPage>;
  /** Every entry about one key (chained and denied), for chain verification. */
  entriesOfKey(keyId: string): Promise<readonly AuditEntry[]>;
}

/** Rate-limit and quota counters (DynamoDB atomic counters in every environment). */
export interface CounterStore {
  /** Counts one request against every limit of the plan, or against none if any would be exceeded. */
  /** Counts one request costing `cost` units (default 1) against every limit of the plan, or none. */
  consume(keyId: string, plan: LimitPlan, now: Date, cost?: number): Promise<LimitResult>;
  /** The current counts, without counting anything. */
  peek(keyId: string, plan: LimitPlan, now: Date): Promise<LimitResult>;
  /**
   * Gives back `units` that a consume answered with `taken` counted but nobody used (a hot key's
   * unused lease, core/hot-keys.ts): subtracted from each counter of the plan whose window is
   * still the one `taken` was counted in, never below zero. Counters that moved on are left alone.
   */
  release(keyId: string, plan: LimitPlan, taken: LimitResult, units: number, now: Date): Promise<void>;
}

/** Domain events (EventBridge in AWS; a local file locally). */
export interface EventSink {
  publish(event: { readonly type: string; readonly [field: string]: unknown }): Promise<void>;
}

/** Envelope-encryption key source: AWS KMS in the cloud, a local AES key locally. */
export interface DataKeyProvider {
  generateDataKey(context: Readonly<Record<string, string>>): Promise<{ plaintext: Uint8Array; encrypted: Uint8Array }>;
  decryptDataKey(encrypted: Uint8Array, context: Readonly<Record<string, string>>): Promise<Uint8Array>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** A write lost a race or would overwrite something that must stay unique. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A cursor that this deployment did not issue. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

/** A dependency (database, KMS) failed; `retryable` says whether trying again can help. */
export class DependencyError extends Error {
  override readonly name = 'DependencyError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
