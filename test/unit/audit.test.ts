import { describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  type AuditHead,
  auditIdBounds,
  canonicalJson,
  chainedEntry,
  changesBetween,
  deniedEntry,
  entryDigest,
  isAuditId,
  verifyChain,
} from '../../core/audit';
import type { KeyRecord } from '../../core/records';

const POLICY = { retentionDays: 30 };
const CTX = { actor: { type: 'key' as const, keyId: 'key_01J00000000000000000000000', ownerId: 'acme' }, request: { requestId: 'r-1', sourceIp: '203.0.113.9' } };
const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function key(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: 'key_01J0000000000000000000000A',
    ownerId: 'acme',
    name: 'ci',
    environment: 'live',
    start: 'kg_live_AbCd',
    hash: 'f'.repeat(64),
    scopes: ['echo:read'],
    status: 'active',
    createdAt: T0.toISOString(),
    createdBy: 'key_01J00000000000000000000000',
    updatedAt: T0.toISOString(),
    version: 1,
    ...overrides,
  };
}

/** create → update → revoke, as the key service chains them. */
function history(): { entries: AuditEntry[]; head: AuditHead; records: KeyRecord[] } {
  const v1 = key();
  const a = chainedEntry({ action: 'key.created', before: undefined, after: v1, context: CTX, at: at(0) }, POLICY);
  const r1 = { ...v1, auditHead: a.head };
  const v2 = { ...r1, name: 'ci-2', scopes: ['echo:read', 'keys:read'], metadata: { team: 'x' }, version: 2 };
  const b = chainedEntry({ action: 'key.updated', before: r1, after: v2, context: CTX, at: at(1) }, POLICY);
  const r2 = { ...v2, auditHead: b.head };
  const v3: KeyRecord = { ...r2, status: 'revoked', revokedAt: at(2).toISOString(), version: 3 };
  const c = chainedEntry({ action: 'key.revoked', before: r2, after: v3, context: CTX, at: at(2) }, POLICY);
  return { entries: [a.entry, b.entry, c.entry], head: c.head, records: [r1, r2, { ...v3, auditHead: c.head }] };
}

describe('audit entries', () => {
  it('chains each entry to the one before it, with the key version as seq', () => {
    // Act
    const { entries, head } = history();
    // Assess
    expect(entries.map((e) => e.chain)).toEqual([
      { seq: 1, prev: null },
      { seq: 2, prev: entries[0]!.digest, prevExpiresAt: entries[0]!.expiresAt },
      { seq: 3, prev: entries[1]!.digest, prevExpiresAt: entries[1]!.expiresAt },
    ]);
    expect(head).toEqual({ seq: 3, digest: entries[2]!.digest, expiresAt: entries[2]!.expiresAt });
    expect(entries.every((e) => isAuditId(e.id) && entryDigest(e) === e.digest)).toBe(true);
    expect(entries[0]!.expiresAt).toBe(T0.getTime() / 1000 + 30 * 86_400);
  });

  it('records non-secret fields with values and sealed fields only as digests', () => {
    // Prepare
    const before = key({ description: 'for Alice', metadata: { email: 'alice@example.com' } });
    const after = { ...before, name: 'renamed', metadata: { email: 'bob@example.com' }, version: 2 };
    // Act
    const changes = changesBetween(before, after);
    // Assess
    expect(changes.find((c) => c.field === 'name')).toEqual({ field: 'name', before: 'ci', after: 'renamed' });
    const meta = changes.find((c) => c.field === 'metadata')!;
    expect(meta.sealed).toBe(true);
    expect(meta.before).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(meta.after).not.toEqual(meta.before);
    expect(changes.some((c) => c.field === 'description')).toBe(false); // unchanged
    const text = JSON.stringify(changes);
    expect(text).not.toContain('alice@example.com');
    expect(text).not.toContain('bob@example.com');
    expect(text).not.toContain(before.hash);
  });

  it('never records the hash, the version or timestamps every change moves', () => {
    // Act
    const changes = changesBetween(undefined, key({ lastUsedAt: T0.toISOString() }));
    // Assess
    expect(changes.map((c) => c.field)).not.toEqual(expect.arrayContaining(['hash']));
    for (const f of ['hash', 'version', 'updatedAt', 'createdAt', 'lastUsedAt', 'auditHead', 'sealed']) {
      expect(changes.map((c) => c.field)).not.toContain(f);
    }
  });

  it('gives denied attempts no chain link', () => {
    // Act
    const e = deniedEntry({ action: 'key.revoked', reason: 'key_not_found', target: { keyId: key().id, ownerId: 'globex' }, context: CTX, at: at(3) }, POLICY);
    // Assess
    expect(e.outcome).toBe('denied');
    expect(e.chain).toBeUndefined();
    expect(e.reason).toBe('key_not_found');
  });

  it('digests canonical JSON: member order does not matter, values do', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
  });

  it('turns a time range into an id range', () => {
    // Act
    const { low, high } = auditIdBounds(at(0), at(1));
    const inside = chainedEntry({ action: 'key.created', before: undefined, after: key(), context: CTX, at: at(0.5) }, POLICY).entry.id;
    const after = chainedEntry({ action: 'key.created', before: undefined, after: key(), context: CTX, at: at(1) }, POLICY).entry.id;
    // Assess
    expect(low! <= inside && inside <= high!).toBe(true);
    expect(after > high!).toBe(true); // `to` is exclusive
  });
});

describe('verifyChain', () => {
  const now = at(10);

  it('passes an untouched chain, in any order', () => {
    const { entries, head } = history();
    const v = verifyChain(key().id, [entries[2]!, entries[0]!, entries[1]!], head, now);
    expect(v).toMatchObject({ ok: true, entries: 3, firstSeq: 1, lastSeq: 3, pruned: false });
  });

  it('names an edited entry (digest_mismatch)', () => {
    const { entries, head } = history();
    const edited = { ...entries[1]!, changes: [] };
    const v = verifyChain(key().id, [entries[0]!, edited, entries[2]!], head, now);
    expect(v.ok).toBe(false);
    expect(v.broken).toMatchObject({ reason: 'digest_mismatch', seq: 2, entryId: entries[1]!.id });
  });

  it('names a re-digested replacement (link_mismatch)', () => {
    const { entries, head } = history();
    const forged = { ...entries[1]!, actor: { type: 'system' as const } };
    const reDigested = { ...forged, digest: entryDigest(forged) };
    const v = verifyChain(key().id, [entries[0]!, reDigested, entries[2]!], head, now);
    expect(v.broken).toMatchObject({ reason: 'link_mismatch', seq: 3, entryId: entries[2]!.id });
  });

  it('names a deleted middle entry (missing_entry)', () => {
    const { entries, head } = history();
    const v = verifyChain(key().id, [entries[0]!, entries[2]!], head, now);
    expect(v.broken).toMatchObject({ reason: 'missing_entry', seq: 2 });
  });

  it('names a deleted newest entry, using the key record head', () => {
    const { entries, head } = history();
    const v = verifyChain(key().id, [entries[0]!, entries[1]!], head, now);
    expect(v.broken).toMatchObject({ reason: 'missing_entry', seq: 3 });
  });

  it('refuses a head that points elsewhere (head_mismatch)', () => {
    const { entries, head } = history();
    const v = verifyChain(key().id, entries, { ...head, digest: '0'.repeat(64) }, now);
    expect(v.broken).toMatchObject({ reason: 'head_mismatch', seq: 3 });
  });

  it('accepts the oldest entries missing once retention was due to delete them', () => {
    const { entries, head } = history();
    const afterRetention = new Date(entries[0]!.expiresAt * 1000 + 1000);
    const v = verifyChain(key().id, [entries[1]!, entries[2]!], head, afterRetention);
    expect(v).toMatchObject({ ok: true, pruned: true, firstSeq: 2 });
  });

  it('accepts a middle entry missing once retention was due to delete it (TTL deletes in no set order)', () => {
    const { entries, head } = history();
    const afterRetention = new Date(entries[1]!.expiresAt * 1000 + 1000);
    expect(verifyChain(key().id, [entries[0]!, entries[2]!], head, afterRetention)).toMatchObject({ ok: true, pruned: true });
  });

  it('refuses the oldest entry missing before retention was due', () => {
    const { entries, head } = history();
    const v = verifyChain(key().id, [entries[1]!, entries[2]!], head, now);
    expect(v.broken).toMatchObject({ reason: 'missing_entry', seq: 1 });
  });

  it('accepts a key that predates the audit log (first entry has no prev, seq > 1)', () => {
    const old = key({ version: 7 });
    const next = { ...old, name: 'x', version: 8 };
    const { entry, head } = chainedEntry({ action: 'key.updated', before: old, after: next, context: CTX, at: at(1) }, POLICY);
    expect(verifyChain(old.id, [entry], head, now)).toMatchObject({ ok: true, pruned: true, firstSeq: 8 });
  });

  it('ignores denied entries and entries about other keys', () => {
    const { entries, head } = history();
    const denied = deniedEntry({ action: 'key.updated', reason: 'key_not_found', target: { keyId: key().id, ownerId: 'acme' }, context: CTX, at: at(4) }, POLICY);
    expect(verifyChain(key().id, [...entries, denied], head, now).ok).toBe(true);
  });
});
