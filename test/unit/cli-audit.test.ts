/** `keygate audit` and `keygate audit verify`: flag parsing, the table and change summaries, and the commands run in-process with a fake fetch. */
import { describe, expect, it } from 'vitest';
import { type AuditChange, type AuditEntry, changesBetween, type ChainVerdict } from '../../core/audit';
import type { KeyRecord } from '../../core/records';
import { buildAuditQuery, nextPageCommand, parseInstant } from '../../cli/audit';
import { formatActor, formatAuditTable, summarizeChanges } from '../../cli/audit-format';
import { formatVerify, mergeVerifyPages, type AuditVerifyResult } from '../../cli/audit-verify';
import { main, UsageError } from '../../cli/main';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const KEY = 'key_01JDZ8Q6N3V0000000000000AA';
const ADMIN = 'key_01JDZ8Q6N3V0000000000000AD';
const API_KEY = 'kg_live_0123456789abcdefghij';

let seq = 0;
function entry(over: Partial<AuditEntry> = {}): AuditEntry {
  seq++;
  return {
    id: `aud_01JDZ8Q6N3V00000000000${String(seq).padStart(4, '0')}`,
    at: '2026-11-26T10:00:00.000Z',
    action: 'key.updated',
    outcome: 'success',
    actor: { type: 'key', keyId: ADMIN, ownerId: 'ops' },
    target: { keyId: KEY, ownerId: 'acme' },
    request: { requestId: 'r1', sourceIp: '203.0.113.7', userAgent: 'keygate-cli/0.1.0' },
    changes: [],
    chain: { seq: 2, prev: 'a'.repeat(64) },
    expiresAt: 1_900_000_000,
    digest: 'b'.repeat(64),
    ...over,
  };
}

/** The table's data rows, split on the two-space column gaps. */
const rows = (table: string): string[][] =>
  table
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/ {2,}/));

describe('audit flags', () => {
  it('maps every flag to the API query, normalising times to UTC', () => {
    // Act
    const q = buildAuditQuery(
      { key: KEY, actor: ADMIN, owner: 'acme', action: 'rotated', from: '2026-11-20T08:00:00+02:00', to: '2026-11-26', limit: '50' },
      NOW,
    );
    // Assess
    expect(q).toEqual({
      keyId: KEY,
      actorKeyId: ADMIN,
      ownerId: 'acme',
      action: 'key.rotated',
      from: '2026-11-20T06:00:00.000Z',
      to: '2026-11-26T00:00:00.000Z',
      limit: 50,
    });
  });

  it('counts a relative --from back from now', () => {
    expect(buildAuditQuery({ from: '7d' }, NOW).from).toBe('2026-11-19T12:00:00.000Z');
    expect(buildAuditQuery({ from: '90m' }, NOW).from).toBe('2026-11-26T10:30:00.000Z');
    expect(buildAuditQuery({ from: '2w' }, NOW).from).toBe('2026-11-12T12:00:00.000Z');
  });

  it('sends nothing for absent flags (the server defaults apply)', () => {
    expect(buildAuditQuery({}, NOW)).toEqual({});
  });

  it.each([
    [{ to: '7d' }, /--to must be an ISO-8601 date or date-time/],
    [{ from: '2026-11-20T08:00:00' }, /--from must be an ISO-8601 date or date-time with a zone/],
    [{ from: '2026-02-30' }, /--from is not a real date/],
    [{ from: '2026-11-26', to: '2026-11-25' }, /--to \(2026-11-25T00:00:00.000Z\) must be after --from/],
    [{ limit: '0' }, /--limit must be a whole number from 1 to 100/],
    [{ limit: '101' }, /--limit must be a whole number from 1 to 100/],
    [{ action: 'deleted' }, /--action must be one of key.created, key.updated, key.revoked, key.rotated, key.leak_revoked/],
    [{ key: 'kg_live_0123456789abcdefghij' }, /--key must be a key id/],
    [{ actor: 'bootstrap' }, /--actor must be a key id/],
    [{ owner: 'a b' }, /--owner is not an owner id/],
    [{ all: true, cursor: 'abc' }, /use either --all or --cursor/],
  ])('rejects %j', (flags, message) => {
    expect(() => buildAuditQuery(flags, NOW)).toThrow(UsageError);
    expect(() => buildAuditQuery(flags, NOW)).toThrow(message);
  });

  it('rejects a relative time where only an absolute one is meaningful', () => {
    expect(() => parseInstant('--to', '12h', NOW, false)).toThrow(UsageError);
  });

  it('repeats the filters as sent in the next-page command, a relative --from as its timestamp', () => {
    const q = buildAuditQuery({ key: KEY, from: '7d', limit: '10' }, NOW);
    expect(nextPageCommand(q, 'YTE6YXVk')).toBe(`keygate audit --key ${KEY} --from 2026-11-19T12:00:00.000Z --limit 10 --cursor YTE6YXVk`);
  });
});

describe('audit table', () => {
  it('summarises an update as before → after, with sealed fields only as changed', () => {
    // Prepare
    const changes: AuditChange[] = [
      { field: 'scopes', before: ['a'], after: ['a', 'b'] },
      { field: 'metadata', sealed: true, before: 'sha256:1111', after: 'sha256:2222' },
    ];
    // Act
    const text = summarizeChanges(changes);
    // Assess
    expect(text).toBe('scopes: [a] → [a,b]; metadata: changed');
  });

  it('never prints a sealed field’s value or digest', () => {
    // Prepare: the core's own change list for a metadata and description change
    const before = { id: KEY, ownerId: 'acme', name: 'n', scopes: [], description: 'old text', metadata: { email: 'ada@example.com' } } as unknown as KeyRecord;
    const after = { ...before, description: 'new text', metadata: { email: 'bob@example.com' } } as unknown as KeyRecord;
    const changes = changesBetween(before, after);
    // Act
    const table = formatAuditTable([entry({ changes })]);
    // Assess
    expect(rows(table)[0]!.at(-1)).toBe('description: changed; metadata: changed');
    expect(table).not.toMatch(/sha256:|example\.com|old text|new text/);
  });

  it('lists the values a new key was created with', () => {
    const text = summarizeChanges([
      { field: 'ownerId', after: 'acme' },
      { field: 'name', after: 'billing' },
      { field: 'scopes', after: ['echo:read'] },
      { field: 'rateLimit', after: { limit: 100, windowSeconds: 60 } },
      { field: 'quota', after: { daily: 1000 } },
      { field: 'metadata', sealed: true, after: 'sha256:3333' },
    ]);
    expect(text).toBe('ownerId: acme; name: billing; scopes: [echo:read]; rateLimit: 100 per 60s (fixed); quota: 1000/day; metadata: changed');
  });

  it('shows fields an existing key gets set for the first time as - → value', () => {
    // The old key of a rotation: expiry and replacement were both unset before.
    expect(summarizeChanges([{ field: 'expiresAt', after: '2026-11-27T10:00:00.000Z' }, { field: 'replacedBy', after: KEY }])).toBe(
      `expiresAt: - → 2026-11-27T10:00:00.000Z; replacedBy: - → ${KEY}`,
    );
  });

  it('shows a value that appears or goes away as -', () => {
    expect(summarizeChanges([{ field: 'status', before: 'active', after: 'revoked' }, { field: 'revokedAt', after: '2026-11-26T10:00:00.000Z' }, { field: 'rateLimit', before: { limit: 5, windowSeconds: 1 } }])).toBe(
      'status: active → revoked; revokedAt: - → 2026-11-26T10:00:00.000Z; rateLimit: 5 per 1s (fixed) → -',
    );
  });

  it('prints time, action, outcome, actor, target, source IP and changes, newest first', () => {
    // Prepare
    const older = entry({ at: '2026-11-26T09:00:00.000Z', action: 'key.created', changes: [{ field: 'ownerId', after: 'acme' }, { field: 'name', after: 'billing' }] });
    const newer = entry({ at: '2026-11-26T10:00:00.123Z', changes: [{ field: 'name', before: 'billing', after: 'payments' }] });
    // Act
    const table = formatAuditTable([older, newer]);
    // Assess
    expect(table.split('\n')[0]!.split(/ {2,}/)).toEqual(['TIME', 'ACTION', 'OUTCOME', 'ACTOR', 'TARGET', 'SOURCE IP', 'CHANGES']);
    expect(rows(table)).toEqual([
      ['2026-11-26T10:00:00Z', 'key.updated', 'success', `${ADMIN} (ops)`, KEY, '203.0.113.7', 'name: billing → payments'],
      ['2026-11-26T09:00:00Z', 'key.created', 'success', `${ADMIN} (ops)`, KEY, '203.0.113.7', 'ownerId: acme; name: billing'],
    ]);
  });

  it('shows a denied attempt with the problem code it got and no changes', () => {
    const denied = entry({ outcome: 'denied', reason: 'key_not_found', actor: { type: 'key', keyId: ADMIN, ownerId: 'globex' }, chain: undefined });
    expect(rows(formatAuditTable([denied]))[0]!.slice(2)).toEqual(['denied (key_not_found)', `${ADMIN} (globex)`, KEY, '203.0.113.7', '-']);
  });

  it('shows a denied create, which has no target key, by its owner', () => {
    const denied = entry({ action: 'key.created', outcome: 'denied', reason: 'owner_not_allowed', target: { ownerId: 'acme' } });
    expect(rows(formatAuditTable([denied]))[0]![4]).toBe('- (acme)');
  });

  it.each([
    [{ type: 'bootstrap' } as const, 'bootstrap'],
    [{ type: 'system' } as const, 'system'],
    [{ type: 'leak-report' } as const, 'leak-report'],
    [{ type: 'key', keyId: ADMIN, ownerId: 'ops' } as const, `${ADMIN} (ops)`],
  ])('names the actor %j as %s', (actor, shown) => {
    expect(formatActor(actor)).toBe(shown);
  });

  it('shows a missing source IP as - and replaces control characters', () => {
    const hostile = entry({ request: {}, changes: [{ field: 'name', before: 'a', after: 'x\u001b]0;pwned\u0007' }] });
    const row = rows(formatAuditTable([hostile]))[0]!;
    expect(row[5]).toBe('-');
    expect(row[6]).toBe('name: a → x\ufffd]0;pwned\ufffd');
  });

  it('says so when there are no entries', () => {
    expect(formatAuditTable([])).toBe('No audit entries.\n');
  });
});

const verdict = (keyId: string, over: Partial<ChainVerdict> = {}): ChainVerdict => ({ keyId, ok: true, entries: 3, firstSeq: 1, lastSeq: 3, pruned: false, ...over });
const verifyPage = (keys: ChainVerdict[], nextCursor: string | null = null): AuditVerifyResult => ({
  ok: keys.every((k) => k.ok),
  keysChecked: keys.length,
  entriesChecked: keys.reduce((n, k) => n + k.entries, 0),
  keys,
  firstBroken: keys.find((k) => !k.ok) ?? null,
  nextCursor,
});
const BROKEN = verdict('key_B', {
  ok: false,
  broken: { reason: 'link_mismatch', seq: 3, entryId: 'aud_X', detail: 'entry aud_X (seq 3) does not link to aud_W: an entry was replaced' },
});

describe('audit verify output', () => {
  it('sums pages and counts keys whose older entries retention deleted', () => {
    // Act
    const merged = mergeVerifyPages([verifyPage([verdict('key_A'), verdict('key_P', { pruned: true, entries: 2 })], 'c1'), verifyPage([verdict('key_C', { entries: 1 })])]);
    // Assess
    expect(merged).toMatchObject({ ok: true, keysChecked: 3, entriesChecked: 6, firstBroken: null, nextCursor: null });
    expect(formatVerify(merged)).toBe('audit chain OK: 3 keys, 6 entries (1 key with older entries deleted by retention)\n');
  });

  it('names the first broken link: key, seq, entry, reason and detail', () => {
    const merged = mergeVerifyPages([verifyPage([verdict('key_A')], 'c1'), verifyPage([BROKEN, verdict('key_D', { ok: false, broken: { reason: 'missing_entry', seq: 2, detail: 'gone' } })])]);
    expect(merged.ok).toBe(false);
    expect(merged.firstBroken?.keyId).toBe('key_B');
    expect(formatVerify(merged)).toBe(
      [
        'audit chain BROKEN: 2 keys of 3 keys, 9 entries',
        '',
        'First broken link',
        'key     key_B',
        'seq     3',
        'entry   aud_X',
        'reason  link_mismatch',
        'detail  entry aud_X (seq 3) does not link to aud_W: an entry was replaced',
        '',
        'Also broken: key_D (seq 2, missing_entry)',
        '',
      ].join('\n'),
    );
  });
});

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

async function run(args: string[], answers: Answer[]) {
  const requests: { url: string; auth: string | undefined }[] = [];
  let stdout = '';
  let stderr = '';
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(url), auth: (init?.headers as Record<string, string>).Authorization });
    const a = answers[requests.length - 1];
    if (!a) throw new Error(`unexpected call ${requests.length}`);
    return new Response(JSON.stringify(a.body), { status: a.status, headers: { 'content-type': 'application/json', ...a.headers } });
  }) as typeof globalThis.fetch;
  const code = await main(['node', 'keygate', ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { KEYGATE_ENDPOINT: 'https://api.example.test/prod', KEYGATE_API_KEY: API_KEY },
    cwd: '/tmp',
    fetch,
    now: () => NOW.getTime(),
  });
  return { code, stdout, stderr, urls: requests.map((r) => r.url), requests };
}

describe('keygate audit', () => {
  it('follows nextCursor with --all and prints the items array with --json', async () => {
    // Prepare
    const a = entry({ action: 'key.revoked' });
    const b = entry({ action: 'key.created' });
    // Act
    const r = await run(['audit', '--key', KEY, '--action', 'key.revoked', '--all', '--json'], [
      { status: 200, body: { items: [a], nextCursor: 'c1' } },
      { status: 200, body: { items: [b], nextCursor: null } },
    ]);
    // Assess
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.urls).toEqual([
      `https://api.example.test/prod/v1/audit?keyId=${KEY}&action=key.revoked`,
      `https://api.example.test/prod/v1/audit?keyId=${KEY}&action=key.revoked&cursor=c1`,
    ]);
    expect(JSON.parse(r.stdout)).toEqual([a, b]);
    expect(r.requests.every((q) => q.auth === `Bearer ${API_KEY}`)).toBe(true);
  });

  it('prints one page and the command for the next', async () => {
    const r = await run(['audit', '--from', '1d'], [{ status: 200, body: { items: [entry()], nextCursor: 'c2' } }]);
    expect(r.code).toBe(0);
    expect(r.urls).toEqual(['https://api.example.test/prod/v1/audit?from=2026-11-25T12%3A00%3A00.000Z']);
    expect(r.stdout).toMatch(/^TIME {2,}ACTION/);
    expect(r.stdout.endsWith('\nMore entries: keygate audit --from 2026-11-25T12:00:00.000Z --cursor c2 (or --all)\n')).toBe(true);
  });

  it('rejects a bad flag with exit 2 before any request', async () => {
    const r = await run(['audit', '--limit', '500'], []);
    expect(r.code).toBe(2);
    expect(r.urls).toEqual([]);
    expect(r.stderr).toBe('keygate: --limit must be a whole number from 1 to 100 (got "500")\n');
  });

  it('exits 1 with the problem when the API refuses', async () => {
    const r = await run(['audit', '--owner', 'globex'], [
      { status: 403, body: { code: 'owner_not_allowed', detail: 'ownerId: a non-admin key can read only the audit log of its own owner’s keys.' } },
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('keygate: 403 owner_not_allowed: ownerId: a non-admin key can read only the audit log of its own owner’s keys.\n');
  });
});

describe('keygate audit verify', () => {
  it('verifies one key with --key', async () => {
    const r = await run(['audit', 'verify', '--key', KEY], [{ status: 200, body: verifyPage([verdict(KEY)]) }]);
    expect(r.code).toBe(0);
    expect(r.urls).toEqual([`https://api.example.test/prod/v1/audit/verify?keyId=${KEY}`]);
    expect(r.stdout).toBe('audit chain OK: 1 key, 3 entries\n');
  });

  it('pages through every key and exits 1 naming the first broken link', async () => {
    // Act
    const r = await run(['audit', 'verify'], [
      { status: 200, body: verifyPage([verdict('key_A')], 'c1') },
      { status: 200, body: verifyPage([BROKEN]) },
    ]);
    // Assess
    expect(r.urls).toEqual(['https://api.example.test/prod/v1/audit/verify?limit=100', 'https://api.example.test/prod/v1/audit/verify?limit=100&cursor=c1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^audit chain BROKEN: 1 key of 2 keys, 6 entries\n\nFirst broken link\nkey {5}key_B\nseq {5}3\n/);
    expect(r.stderr).toBe('keygate: audit chain broken: key key_B at seq 3 (entry aud_X): link_mismatch\n');
  });

  it('prints the summed result with --json and still exits 1 when broken', async () => {
    const r = await run(['audit', 'verify', '--json'], [{ status: 200, body: verifyPage([BROKEN]) }]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, keysChecked: 1, firstBroken: { keyId: 'key_B' }, nextCursor: null });
  });

  it('rejects a list filter given to verify', async () => {
    const r = await run(['audit', 'verify', '--owner', 'acme'], []);
    expect(r.code).toBe(2);
    expect(r.urls).toEqual([]);
    expect(r.stderr).toBe('keygate: audit verify takes only --key (got --owner)\n');
  });
});
