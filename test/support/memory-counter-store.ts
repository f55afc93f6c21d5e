/**
 * A CounterStore that applies core/limits.ts writes to items in memory with DynamoDB's rules
 * (a condition on a missing attribute is false, except attribute_not_exists; ADD on a missing
 * number starts from 0; SET replaces). Each write is atomic, and every write yields to the
 * event loop first, so concurrent consumers interleave as they would against a table. Used by
 * pure tests that need thousands of decisions with injected clocks; the DynamoDB Local tests
 * prove the adapter's translation of the same writes.
 */
import {
  type Cond,
  type CounterState,
  type CounterWrite,
  type CounterWriteOutcome,
  countsAt,
  decideWithWrites,
  type LimitPlan,
  type LimitResult,
  planIsEmpty,
  releaseWrites,
} from '../../core/limits';
import type { CounterStore } from '../../core/ports';

type Item = Record<string, unknown>;

function holds(item: Item | undefined, c: Cond): boolean {
  if ('any' in c) return c.any.some((x) => holds(item, x));
  const v = item?.[c.attr];
  if ('absent' in c) return v === undefined;
  if (v === undefined || typeof v !== typeof c.value) return false;
  const a = v as number | string;
  const b = c.value;
  switch (c.cmp) {
    case '=':
      return a === b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
  }
}

export function applyWrite(item: Item | undefined, write: CounterWrite): { ok: boolean; item: Item | undefined } {
  if (!write.when.every((c) => holds(item, c))) return { ok: false, item };
  const next: Item = { ...(item ?? {}) };
  for (const [k, v] of Object.entries(write.set)) next[k] = Array.isArray(v) ? [...v] : v;
  for (const [k, v] of Object.entries(write.add)) next[k] = ((next[k] as number | undefined) ?? 0) + (v as number);
  return { ok: true, item: next };
}

export class MemoryCounterStore implements CounterStore {
  readonly items: Map<string, Item>;
  /** Conditional writes attempted (applied or not): what DynamoDB would bill. */
  writes = 0;
  private readonly seen = new Map<string, CounterState>();

  /** `items`: share another store's table (several containers on one table); `hints: false`: no last-seen item. */
  constructor(private readonly opts: { hints?: boolean; items?: Map<string, Item>; yieldEvery?: () => Promise<void> } = {}) {
    this.items = opts.items ?? new Map();
  }

  private async execute(id: string, write: CounterWrite): Promise<CounterWriteOutcome> {
    await (this.opts.yieldEvery?.() ?? new Promise<void>((r) => setImmediate(r)));
    this.writes++;
    const before = this.items.get(id);
    const r = applyWrite(before, write);
    if (r.ok) this.items.set(id, r.item!);
    const seenItem = (r.ok ? r.item : before) as CounterState | undefined;
    if (this.opts.hints !== false && seenItem) this.seen.set(id, structuredClone(seenItem));
    return r.ok ? { ok: true, item: structuredClone(r.item!) as CounterState } : { ok: false, current: before ? (structuredClone(before) as CounterState) : undefined };
  }

  async consume(id: string, plan: LimitPlan, now: Date, cost = 1): Promise<LimitResult> {
    if (planIsEmpty(plan)) return { admitted: true };
    return decideWithWrites(plan, now, cost, this.opts.hints === false ? undefined : this.seen.get(id), (w) => this.execute(id, w));
  }

  async peek(id: string, plan: LimitPlan, now: Date): Promise<LimitResult> {
    return countsAt(plan, this.items.get(id) as CounterState | undefined, now);
  }

  async release(id: string, plan: LimitPlan, taken: LimitResult, units: number): Promise<void> {
    if (units <= 0) return;
    for (const w of releaseWrites(plan, taken, units)) {
      this.writes++;
      const r = applyWrite(this.items.get(id), w);
      if (r.ok) this.items.set(id, r.item!);
    }
  }
}

/** `n` containers on one table: each has its own hints and write count, all share the items. */
export function containersOn(shared: MemoryCounterStore, n: number): MemoryCounterStore[] {
  return Array.from({ length: n }, () => new MemoryCounterStore({ items: shared.items }));
}
