/**
 * `keygate audit verify [--key <id>]`: asks the API to recompute the audit hash chain of one key,
 * or of every key the caller may see, page by page (`GET /v1/audit/verify`), and sums the pages
 * into one verdict. The server does the recomputing (core/audit.ts verifyChain); the CLI only
 * pages, sums and words the result. A broken chain exits 1, after the report is printed.
 */
import { LIMITS } from '../core/validation';
import type { AuditVerifyQuery, AuditVerifyResult, ChainVerdict, KeygateClient } from '../packages/client/src/index';
import { parseAuditKeyId } from './audit';
import { UsageError } from './errors';
import { cell, renderPairs } from './format';

export type { AuditVerifyQuery, AuditVerifyResult, ChainVerdict };

/**
 * verify's flags, wherever commander put them: it parses a flag that `audit` also defines (all
 * of audit's, since options are recognised after subcommands) as `audit`'s. Only `--key` applies
 * to verify; any other audit filter is refused rather than silently ignored.
 */
export function verifyFlags(own: { key?: string }, parent: Readonly<Record<string, unknown>>): { key?: string } {
  const stray = Object.keys(parent).filter((k) => k !== 'key' && parent[k] !== undefined && parent[k] !== false);
  if (stray.length > 0) {
    const flags = stray.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    throw new UsageError(`audit verify takes only --key (got ${flags.join(', ')})`);
  }
  if (own.key !== undefined && typeof parent.key === 'string' && own.key !== parent.key) throw new UsageError('--key is given twice');
  const key = own.key ?? (typeof parent.key === 'string' ? parent.key : undefined);
  return key !== undefined ? { key } : {};
}

/** `--key` or nothing (every key, a page of the API's largest size at a time). */
export function buildVerifyQuery(flags: { key?: string }): AuditVerifyQuery {
  return flags.key !== undefined ? { keyId: parseAuditKeyId('--key', flags.key) } : { limit: LIMITS.listLimitMax };
}

/** Sums pages into one result: every verdict, in the order checked, and the first broken one. */
export function mergeVerifyPages(pages: readonly AuditVerifyResult[]): AuditVerifyResult {
  const keys = pages.flatMap((p) => p.keys);
  const firstBroken = pages.find((p) => p.firstBroken !== null)?.firstBroken ?? keys.find((k) => !k.ok) ?? null;
  return {
    ok: firstBroken === null && pages.every((p) => p.ok),
    keysChecked: pages.reduce((n, p) => n + p.keysChecked, 0),
    entriesChecked: pages.reduce((n, p) => n + p.entriesChecked, 0),
    keys,
    firstBroken,
    nextCursor: null,
  };
}

/**
 * One key, or every page of keys (following `nextCursor`; a cursor seen twice stops the loop).
 * Every page is read even after a broken chain, so the summary counts every key.
 */
export async function verifyAudit(client: KeygateClient, query: AuditVerifyQuery): Promise<AuditVerifyResult> {
  const ask = (q: AuditVerifyQuery): Promise<AuditVerifyResult> => client.verifyAudit(q);
  const pages = [await ask(query)];
  const seen = new Set<string>();
  for (let cursor = pages[0]!.nextCursor; query.keyId === undefined && cursor && !seen.has(cursor); cursor = pages.at(-1)!.nextCursor) {
    seen.add(cursor);
    pages.push(await ask({ ...query, cursor }));
  }
  return mergeVerifyPages(pages);
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** `audit chain OK: 3 keys, 12 entries (1 key with older entries deleted by retention)`. */
export function formatVerifySummary(result: AuditVerifyResult): string {
  const pruned = result.keys.filter((k) => k.pruned).length;
  const tail = pruned > 0 ? ` (${plural(pruned, 'key')} with older entries deleted by retention)` : '';
  const counts = `${plural(result.keysChecked, 'key')}, ${plural(result.entriesChecked, 'entry', 'entries')}${tail}`;
  if (result.ok) return `audit chain OK: ${counts}\n`;
  const broken = result.keys.filter((k) => !k.ok).length || 1;
  return `audit chain BROKEN: ${plural(broken, 'key')} of ${counts}\n`;
}

/** The first broken link: key id, seq, entry id, reason and the server's detail. */
export function formatBrokenLink(verdict: ChainVerdict): string {
  const b = verdict.broken;
  return renderPairs([
    ['key', cell(verdict.keyId)],
    ['seq', b ? String(b.seq) : '-'],
    ['entry', cell(b?.entryId)],
    ['reason', cell(b?.reason ?? 'unknown')],
    ['detail', cell(b?.detail)],
  ]);
}

/** The summary, then (when broken) the first broken link and any other broken keys. */
export function formatVerify(result: AuditVerifyResult): string {
  let text = formatVerifySummary(result);
  if (result.ok || result.firstBroken === null) return text;
  text += `\nFirst broken link\n${formatBrokenLink(result.firstBroken)}`;
  const others = result.keys.filter((k) => !k.ok && k.keyId !== result.firstBroken!.keyId);
  if (others.length > 0) {
    text += `\nAlso broken: ${others.map((k) => `${cell(k.keyId)} (seq ${k.broken?.seq ?? '?'}, ${cell(k.broken?.reason ?? 'unknown')})`).join(', ')}\n`;
  }
  return text;
}

/** The one stderr line of a broken chain (the report itself is on stdout). */
export function brokenChainMessage(result: AuditVerifyResult): string {
  const v = result.firstBroken;
  if (!v) return 'audit chain broken';
  return `audit chain broken: key ${cell(v.keyId)} at seq ${v.broken?.seq ?? '?'}${v.broken?.entryId ? ` (entry ${cell(v.broken.entryId)})` : ''}: ${cell(v.broken?.reason ?? 'unknown')}`;
}
