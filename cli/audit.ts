/**
 * `keygate audit`: flags → `GET /v1/audit` query, and the pages it reads. The table lives in
 * audit-format.ts; `keygate audit verify` in audit-verify.ts. Wired to commander in main.ts;
 * `test/unit/cli-audit.test.ts` covers it.
 *
 * Actions, id shapes and the page size come from the core definitions the API validates
 * against, so a typo fails here, before the request, with the same rule the server applies.
 */
import { AUDIT_ACTIONS, type AuditAction } from '../core/audit';
import { KEY_ID_PATTERN } from '../core/ids';
import { LIMITS, OWNER_ID_PATTERN } from '../core/validation';
import type { AuditEntry, AuditPage, KeygateClient } from '../packages/client/src/index';
import { UsageError } from './errors';

/** One page of `GET /v1/audit` (the client's type). */
export type AuditListResult = AuditPage;
export type { AuditEntry };

/** Flags as commander hands them over (strings). */
export interface AuditFlags {
  key?: string;
  actor?: string;
  owner?: string;
  action?: string;
  from?: string;
  to?: string;
  limit?: string;
  cursor?: string;
  all?: boolean;
}

/** Query of `GET /v1/audit`, as the API names its parameters. */
export interface AuditQuery {
  keyId?: string;
  actorKeyId?: string;
  ownerId?: string;
  action?: AuditAction;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const RELATIVE = /^(\d{1,6})\s*([mhdw])$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A point in time for `--from`/`--to`: an ISO-8601 date (midnight UTC), a date-time with a zone,
 * or (only where `relative` is allowed) a span back from now such as `30m`, `12h`, `7d`, `2w`.
 * Sent as UTC ISO-8601, the one form the API accepts. A date-time without a zone is refused: it
 * would silently mean this machine's local time.
 */
export function parseInstant(flag: string, raw: string, now: Date, relative: boolean): string {
  const text = raw.trim();
  const rel = RELATIVE.exec(text);
  if (rel) {
    if (!relative) throw new UsageError(`${flag} must be an ISO-8601 date or date-time with a zone, e.g. 2026-11-26T12:00:00Z (got ${JSON.stringify(raw)})`);
    const ms = now.getTime() - Number(rel[1]) * UNIT_MS[rel[2]!.toLowerCase() as keyof typeof UNIT_MS];
    return new Date(Math.max(0, ms)).toISOString();
  }
  const date = ISO_DATE.test(text);
  if (!date && !ISO_DATE_TIME.test(text)) {
    throw new UsageError(
      `${flag} must be an ISO-8601 date or date-time with a zone${relative ? ', or a span back from now like 7d, 12h, 30m' : ''}, e.g. 2026-11-26T12:00:00Z (got ${JSON.stringify(raw)})`,
    );
  }
  const ms = Date.parse(date ? `${text}T00:00:00Z` : text);
  // Date.parse rolls 2026-02-30 over to March; the calendar day must survive the round trip.
  if (Number.isNaN(ms) || (date && new Date(ms).toISOString().slice(0, 10) !== text)) {
    throw new UsageError(`${flag} is not a real date (got ${JSON.stringify(raw)})`);
  }
  return new Date(ms).toISOString();
}

/** `key.rotated`, or just `rotated`. */
export function parseAction(raw: string): AuditAction {
  const text = raw.trim();
  const name = text.includes('.') ? text : `key.${text}`;
  if ((AUDIT_ACTIONS as readonly string[]).includes(name)) return name as AuditAction;
  throw new UsageError(`--action must be one of ${AUDIT_ACTIONS.join(', ')} (got ${JSON.stringify(raw)})`);
}

/** A key id as the API prints it (`key_` + 26 characters). */
export function parseAuditKeyId(flag: string, raw: string): string {
  const text = raw.trim();
  if (!KEY_ID_PATTERN.test(text)) throw new UsageError(`${flag} must be a key id, key_ followed by 26 characters (got ${JSON.stringify(raw)})`);
  return text;
}

function nonBlank(flag: string, raw: string): string {
  const text = raw.trim();
  if (text === '') throw new UsageError(`${flag} must not be empty`);
  return text;
}

/** A page size from 1 to the API's largest (100). */
export function parseAuditLimit(raw: string): number {
  const text = raw.trim();
  const n = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= LIMITS.listLimitMax)) throw new UsageError(`--limit must be a whole number from 1 to ${LIMITS.listLimitMax} (got ${JSON.stringify(raw)})`);
  return n;
}

/**
 * Query for `GET /v1/audit`. A relative `--from` is turned into a timestamp here, counted from
 * `now`; absent flags are not sent (the server's defaults apply: every entry the caller may
 * see, 25 per page).
 */
export function buildAuditQuery(flags: AuditFlags, now: Date = new Date()): AuditQuery {
  if (flags.all && flags.cursor !== undefined) throw new UsageError('use either --all or --cursor, not both');
  const query: AuditQuery = {};
  if (flags.key !== undefined) query.keyId = parseAuditKeyId('--key', flags.key);
  if (flags.actor !== undefined) query.actorKeyId = parseAuditKeyId('--actor', flags.actor);
  if (flags.owner !== undefined) {
    const owner = nonBlank('--owner', flags.owner);
    if (!OWNER_ID_PATTERN.test(owner)) throw new UsageError(`--owner is not an owner id (got ${JSON.stringify(flags.owner)})`);
    query.ownerId = owner;
  }
  if (flags.action !== undefined) query.action = parseAction(flags.action);
  if (flags.from !== undefined) query.from = parseInstant('--from', flags.from, now, true);
  if (flags.to !== undefined) query.to = parseInstant('--to', flags.to, now, false);
  if (query.from !== undefined && query.to !== undefined && query.from >= query.to) {
    throw new UsageError(`--to (${query.to}) must be after --from (${query.from})`);
  }
  if (flags.limit !== undefined) query.limit = parseAuditLimit(flags.limit);
  if (flags.cursor !== undefined) query.cursor = nonBlank('--cursor', flags.cursor);
  return query;
}

/**
 * The command that reads the next page. A cursor belongs to the exact query that issued it, so
 * every filter is repeated as sent — a relative `--from` as the timestamp it became.
 */
export function nextPageCommand(query: AuditQuery, nextCursor: string): string {
  const flags: [string, string | number | undefined][] = [
    ['--key', query.keyId],
    ['--actor', query.actorKeyId],
    ['--owner', query.ownerId],
    ['--action', query.action],
    ['--from', query.from],
    ['--to', query.to],
    ['--limit', query.limit],
  ];
  const args = flags.filter(([, v]) => v !== undefined).map(([f, v]) => `${f} ${shellWord(String(v))}`);
  return ['keygate audit', ...args, `--cursor ${shellWord(nextCursor)}`].join(' ');
}

/** A value as one shell word: left bare when it is plainly safe, else single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_.:@+\-=/]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** One page of `GET /v1/audit`. */
export function listAudit(client: KeygateClient, query: AuditQuery): Promise<AuditListResult> {
  return client.listAudit(query);
}

/**
 * Every page, through the client's iterator (it follows `nextCursor` until the server says there
 * is no more; a cursor seen twice stops it). Returns one page with every entry and `nextCursor: null`.
 */
export async function listAllAudit(client: KeygateClient, query: AuditQuery): Promise<AuditListResult> {
  const items: AuditEntry[] = [];
  for await (const entry of client.audit.listAll(query)) items.push(entry);
  return { items, nextCursor: null };
}
