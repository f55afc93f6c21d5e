/**
 * `keygate audit` output: one table row per entry, newest first, with a one-line summary of what
 * changed. Pure string builders over core/audit.ts's entry shape (the codec the API writes);
 * `--json` bypasses this module.
 *
 * Every value that came from the server goes through `cell()`, so a hostile name or owner id in an
 * entry cannot drive the terminal.
 */
import type { AuditActor, AuditChange, AuditEntry, Quota, RateLimit } from '../packages/client/src/index';
import { cell, formatQuota, formatRateLimit, renderTable } from './format';

export const AUDIT_TABLE_HEADERS = ['TIME', 'ACTION', 'OUTCOME', 'ACTOR', 'TARGET', 'SOURCE IP', 'CHANGES'] as const;

/** `2026-11-26T10:49:19.123Z` → `2026-11-26T10:49:19Z`: a second is precise enough to read, the id orders the rest. */
export function formatAuditTime(at: string): string {
  return at.replace(/\.\d+Z$/, 'Z');
}

/** `key_… (owner)` for a call made with a key; `bootstrap`, `system` or `leak-report` otherwise. */
export function formatActor(actor: AuditActor): string {
  if (actor.type !== 'key') return actor.type;
  if (actor.keyId === undefined) return `key (${actor.ownerId ?? 'unknown owner'})`;
  return actor.ownerId !== undefined ? `${actor.keyId} (${actor.ownerId})` : actor.keyId;
}

/** `success`, or `denied (key_not_found)` with the problem code the caller got. */
export function formatOutcome(entry: Pick<AuditEntry, 'outcome' | 'reason'>): string {
  return entry.outcome === 'denied' && entry.reason ? `denied (${entry.reason})` : entry.outcome;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A changed value, compact: `[a,b]`, `100 per 60s`, `1000/day`, `-` for none. */
export function formatChangeValue(field: string, value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (field === 'rateLimit' && isObject(value)) return formatRateLimit(value as unknown as RateLimit);
  if (field === 'quota' && isObject(value)) return formatQuota(value as Quota);
  if (Array.isArray(value)) return `[${value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(',')}]`;
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

/**
 * `scopes: [a] → [a,b]; metadata: changed`. A sealed field (description, metadata) shows only
 * that it changed — the entry holds a digest, never the value. A new key (create, or the new key
 * of a rotation) lists the values it was made with: `ownerId: acme; name: billing; scopes: [a]`.
 * A key is new when its owner appears from nothing: the owner is always set and never changes.
 * (That no change has a `before` is not enough: a rotation can set only fields that were unset.)
 */
export function summarizeChanges(changes: readonly AuditChange[]): string {
  if (changes.length === 0) return '-';
  const isNew = changes.some((c) => c.field === 'ownerId' && c.before === undefined && c.after !== undefined);
  return changes
    .map((c) => {
      if (c.sealed) return `${c.field}: changed`;
      if (isNew) return `${c.field}: ${formatChangeValue(c.field, c.after)}`;
      return `${c.field}: ${formatChangeValue(c.field, c.before)} → ${formatChangeValue(c.field, c.after)}`;
    })
    .join('; ');
}

/** Newest first by time, then id (an id is a ULID, so it breaks ties by time too). */
export function newestFirst(entries: readonly AuditEntry[]): AuditEntry[] {
  return [...entries].sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.at < b.at ? 1 : -1));
}

export function auditRow(e: AuditEntry): string[] {
  return [
    cell(formatAuditTime(e.at)),
    cell(e.action),
    cell(formatOutcome(e)),
    cell(formatActor(e.actor)),
    e.target.keyId !== undefined ? cell(e.target.keyId) : cell(`- (${e.target.ownerId})`),
    cell(e.request?.sourceIp),
    cell(summarizeChanges(e.changes ?? [])),
  ];
}

/** The entries as a table, newest first; `No audit entries.` when there are none. */
export function formatAuditTable(entries: readonly AuditEntry[]): string {
  if (entries.length === 0) return 'No audit entries.\n';
  return renderTable(AUDIT_TABLE_HEADERS, newestFirst(entries).map(auditRow));
}
