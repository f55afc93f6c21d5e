/**
 * Human-readable output for the `keygate` CLI: plain-text tables and key/value records.
 * Pure string builders; `--json` output bypasses this module entirely.
 */
import type { KeygateProblemError, KeyUsage, KeyView, Quota, RateLimit, ScopeList, TemplateList, UsageWindow, Whoami } from '../packages/client/src/index';

/** Shown for an absent value so columns never collapse. */
const NONE = '-';

export const SECRET_WARNING = 'Store this key now: it is shown once and cannot be recovered.';

export type Align = 'left' | 'right';

/**
 * Columns separated by two spaces, header row first; no trailing spaces. Columns are
 * left-aligned unless `align` says `right` (numbers), which applies to the header too.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    widths
      .map((w, i) => (align[i] === 'right' ? (cells[i] ?? '').padStart(w) : (cells[i] ?? '').padEnd(w)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/**
 * A value from the server made safe for a terminal: control characters (an ESC could rewrite
 * the screen or the title bar) become U+FFFD, and null or empty is shown as `-`.
 */
export function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return NONE;
  // eslint-disable-next-line no-control-regex
  return String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
}

/** 1..8 eighths of a character cell, so a bar's length is drawn at 1/8-cell resolution. */
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'] as const;
const FULL_BLOCK = '█';

/** A bar `value/max` of `width` cells long, in unicode block characters; a non-zero value shows at least `▏`. */
export function bar(value: number, max: number, width: number): string {
  if (!(value > 0) || !(max > 0) || width < 1) return '';
  const eighths = Math.max(1, Math.round((Math.min(value, max) / max) * width * 8));
  return FULL_BLOCK.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

/** Widest bar a chart draws, in character cells. */
export const CHART_WIDTH = 40;

/**
 * A horizontal bar chart, one line per point: `label  ████▍ value`. Bars are scaled to the
 * largest value and at most `width` cells long, so the chart fits a narrow terminal.
 */
export function renderBarChart(points: readonly { readonly label: string; readonly value: number }[], width = CHART_WIDTH): string {
  if (points.length === 0) return '';
  const max = Math.max(...points.map((p) => p.value));
  const labelWidth = Math.max(...points.map((p) => p.label.length));
  const valueWidth = Math.max(...points.map((p) => String(p.value).length));
  return (
    points
      .map((p) => `${cell(p.label).padEnd(labelWidth)}  ${String(p.value).padStart(valueWidth)} ${bar(p.value, max, width)}`.trimEnd())
      .join('\n') + '\n'
  );
}

/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 field. Numbers are written as they are; null is an empty field. A text value
 * that a spreadsheet would run as a formula gets a leading `'` (so `=HYPERLINK(…)` stays text);
 * a field containing `,`, `"`, CR or LF is quoted with `"` doubled.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV: a header line, then one line per row, CRLF line ends (the RFC's, and what spreadsheets expect). */
export function renderCsv(headers: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return [headers, ...rows].map((r) => r.map(csvField).join(',') + '\r\n').join('');
}

/** `100 per 60s (fixed)`, `10 per 1s (tokenBucket, burst 50)`: a limit without a policy counts as fixed. */
export function formatRateLimit(rl: RateLimit | null | undefined): string {
  return rl ? `${rl.limit} per ${rl.windowSeconds}s ${formatPolicy(rl)}` : NONE;
}

/** `(fixed)`, `(sliding)`, `(tokenBucket, burst 50)`. */
function formatPolicy(rl: { readonly policy?: string; readonly burst?: number }): string {
  return `(${rl.policy ?? 'fixed'}${rl.burst !== undefined ? `, burst ${rl.burst}` : ''})`;
}

export function formatQuota(q: Quota | null | undefined): string {
  if (!q) return NONE;
  const parts: string[] = [];
  if (q.daily !== undefined) parts.push(`${q.daily}/day`);
  if (q.monthly !== undefined) parts.push(`${q.monthly}/month`);
  return parts.length ? parts.join(', ') : NONE;
}

function formatScopes(scopes: readonly string[] | null | undefined): string {
  return scopes && scopes.length ? scopes.join(',') : NONE;
}

export const KEY_TABLE_HEADERS = ['ID', 'NAME', 'OWNER', 'STATUS', 'SCOPES', 'RATE LIMIT', 'START', 'EXPIRES', 'CREATED'] as const;

export function formatKeyTable(keys: readonly KeyView[]): string {
  if (keys.length === 0) return 'No keys.\n';
  return renderTable(
    KEY_TABLE_HEADERS,
    keys.map((k) => [
      k.id,
      k.name,
      k.ownerId,
      k.status,
      formatScopes(k.scopes),
      formatRateLimit(k.rateLimit),
      k.start,
      k.expiresAt ?? 'never',
      k.createdAt,
    ]),
  );
}

/** Fields shown first, in this order, with these labels; anything else follows in response order. */
const RECORD_FIELDS: readonly (readonly [string, string])[] = [
  ['id', 'id'],
  ['name', 'name'],
  ['description', 'description'],
  ['ownerId', 'owner'],
  ['environment', 'environment'],
  ['status', 'status'],
  ['start', 'start'],
  ['scopes', 'scopes'],
  ['expiresAt', 'expires'],
  ['rateLimit', 'rate limit'],
  ['quota', 'quota'],
  ['allowedIps', 'allowed IPs'],
  ['metadata', 'metadata'],
  ['createdAt', 'created'],
  ['createdBy', 'created by'],
  ['updatedAt', 'updated'],
  ['lastUsedAt', 'last used'],
  ['revokedAt', 'revoked'],
  ['replaces', 'replaces'],
  ['replacedBy', 'replaced by'],
];

/** Never rendered in a record: the secret is printed separately, once, with its warning. */
const HIDDEN_FIELDS = new Set(['key', 'previous']);

function formatValue(field: string, value: unknown): string {
  if (field === 'rateLimit') return formatRateLimit(value as RateLimit);
  if (field === 'quota') return formatQuota(value as Quota);
  if (field === 'scopes') return formatScopes(value as string[]);
  if (Array.isArray(value)) return value.length ? value.map(String).join(', ') : NONE;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** `label  value` lines for one record; absent and null fields are left out. */
export function formatRecord(record: object): string {
  const entries = Object.entries(record as Record<string, unknown>).filter(
    ([k, v]) => v !== undefined && v !== null && !HIDDEN_FIELDS.has(k),
  );
  const values = new Map(entries);
  const rows: [string, string][] = [];
  for (const [field, label] of RECORD_FIELDS) {
    if (values.has(field)) rows.push([label, formatValue(field, values.get(field))]);
  }
  const known = new Set(RECORD_FIELDS.map(([f]) => f));
  for (const [field, value] of entries) if (!known.has(field)) rows.push([field, formatValue(field, value)]);
  return renderPairs(rows);
}

/** `label  value` lines with the labels padded to one width. */
export function renderPairs(rows: readonly (readonly [string, string])[]): string {
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, v]) => `${l.padEnd(width)}  ${v}`.trimEnd()).join('\n') + '\n';
}

/** The plaintext key, framed so it is hard to miss, with the shown-once warning. */
export function formatSecret(key: string): string {
  return `\n  ${key}\n\n${SECRET_WARNING}\n`;
}

export function formatTemplateTable(templates: TemplateList): string {
  if (templates.items.length === 0) return 'No key templates (keygate:keyTemplates).\n';
  return renderTable(
    ['NAME', 'SCOPES', 'RATE LIMIT', 'QUOTA', 'EXPIRES', 'ENV', 'DESCRIPTION'],
    templates.items.map((t) => [
      t.name,
      formatValue('scopes', t.scopes),
      t.rateLimit ? formatValue('rateLimit', t.rateLimit) : '-',
      t.quota ? formatValue('quota', t.quota) : '-',
      t.expiresInDays !== undefined ? `${t.expiresInDays}d` : 'never',
      t.environment ?? 'live',
      t.description ?? '',
    ]),
  );
}

export function formatScopeTable(scopes: ScopeList): string {
  if (scopes.items.length === 0) return 'No scopes.\n';
  return renderTable(
    ['NAME', 'DESCRIPTION'],
    scopes.items.map((s) => [s.name, s.description]),
  );
}

export function formatWhoami(w: Whoami): string {
  return renderPairs([
    ['key id', w.keyId],
    ['owner', w.ownerId],
    ['scopes', formatScopes(w.scopes)],
    ['expires', w.expiresAt ?? 'never'],
  ]);
}

/**
 * `<status> <code>: <detail>` plus every field error, on one line. Keygate's own
 * `validation_failed` detail is the first field error (`name: is required (and 1 more)`);
 * then the full list replaces it rather than repeating it.
 */
export function formatApiError(err: Pick<KeygateProblemError, 'status' | 'code' | 'detail' | 'errors'>): string {
  const fields = err.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
  let text: string;
  if (fields.length === 0) text = err.detail;
  else if (err.detail.startsWith(fields[0]!)) text = fields.join('; ');
  else text = `${err.detail} (${fields.join('; ')})`;
  return `${err.status} ${err.code}: ${text}`.replace(/\s+/g, ' ').trim();
}

/** `keygate usage`: one row per limit. */
export function formatUsage(u: KeyUsage): string {
  const rows: [string, UsageWindow | null, string][] = [
    ['rate', u.rateLimit, u.rateLimit ? `per ${u.rateLimit.windowSeconds}s ${formatPolicy(u.rateLimit)}` : ''],
    ['daily', u.quota.daily, 'UTC day'],
    ['monthly', u.quota.monthly, 'UTC month'],
  ];
  const set = rows.filter((r): r is [string, UsageWindow, string] => r[1] !== null);
  if (set.length === 0) return `${u.keyId}: no rate limit or quota applies`;
  return renderTable(
    ['limit', 'window', 'used', 'remaining', 'of', 'resets at'],
    set.map(([name, w, window]) => [name, window, String(w.used), String(w.remaining), String(w.limit), w.resetAt]),
  );
}
