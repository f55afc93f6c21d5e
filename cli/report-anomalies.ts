/**
 * Output of `keygate anomalies --now`, which runs the usage anomaly detection once over the local
 * stack's records (cli/anomalies.ts) and prints the events it published. The event shape belongs
 * to the detector (core/usage-anomalies.ts); this table shows the fields it knows first and every
 * other field as `name=value`, so a field added there is never hidden here.
 */
import { cell, renderTable } from './format';

/** What one detection run reports (cli/anomalies.ts); only `events` is required, the rest is shown when present. */
export interface AnomalyRun {
  readonly events: readonly unknown[];
  /** The evaluated hour, `YYYY-MM-DDTHH:00:00Z`. */
  readonly hour?: string;
  /** Anomalies an earlier run had already published for that hour. */
  readonly alreadyPublished?: number;
  readonly failed?: readonly { readonly rule: string; readonly subject?: string; readonly message: string }[];
}

/** Fields shown as their own columns, in this order, when any event has them. */
const KNOWN: readonly (readonly [string, string])[] = [
  ['hour', 'HOUR'],
  ['rule', 'RULE'],
  ['kind', 'KIND'],
  ['keyId', 'KEY'],
  ['ownerId', 'OWNER'],
  ['sourceIp', 'SOURCE IP'],
];

/** Hidden from the details column: the same for every anomaly event, or only in --json. */
const NOISE = new Set(['type', 'detail-type', 'source', 'version', 'time']);

/** An EventBridge-style `{ detail: {...} }` is shown by its detail; anything else as it is. */
function flatten(event: unknown): Record<string, unknown> {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return { value: event };
  const e = event as Record<string, unknown>;
  const detail = e.detail;
  if (detail !== null && typeof detail === 'object' && !Array.isArray(detail)) {
    return { ...Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'detail')), ...(detail as Record<string, unknown>) };
  }
  return e;
}

/** `{ requests: 120, baseline: 10 }` → `requests=120,baseline=10`; other objects as JSON. */
function text(value: unknown): string {
  if (value === null || value === undefined) return cell(null);
  if (typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.every(([, v]) => typeof v === 'number' || typeof v === 'string')) return cell(entries.map(([k, v]) => `${k}=${String(v)}`).join(','));
  }
  return cell(typeof value === 'object' ? JSON.stringify(value) : String(value));
}

export function formatAnomalies(events: readonly unknown[]): string {
  if (events.length === 0) return 'No anomalies.\n';
  const flat = events.map(flatten);
  const known = KNOWN.filter(([field]) => flat.some((e) => e[field] !== undefined));
  const shown = new Set(known.map(([f]) => f));
  return renderTable(
    [...known.map(([, header]) => header), 'DETAILS'],
    flat.map((e) => [
      ...known.map(([field]) => text(e[field])),
      Object.entries(e)
        .filter(([k]) => !shown.has(k) && !NOISE.has(k))
        .map(([k, v]) => `${cell(k)}=${text(v)}`)
        .join(' ') || cell(null),
    ]),
  );
}

/** A run: which hour, how many were new, then the events. */
export function formatAnomalyRun(run: AnomalyRun): string {
  const n = run.events.length;
  const parts = [`${n} ${n === 1 ? 'anomaly' : 'anomalies'} published`];
  if (run.alreadyPublished) parts.push(`${run.alreadyPublished} already published by an earlier run`);
  const head = `${run.hour ? `Hour ${cell(run.hour)}: ` : ''}${parts.join(', ')}.\n`;
  return n === 0 ? head : `${head}\n${formatAnomalies(run.events)}`;
}
