/** Section 9 of docs/benchmarks.md (issue 13: rate-limit policies and scale) and its target rows. No number here is typed by hand. */
import type { CallCounts } from './counting';
import { FLOOD_PLAN, FLOOD_TARGET, type FloodRow } from './flood';
import { HOT_TARGETS, type HotKeyResult } from './hot-key';
import type { LatencyRow, TargetRow } from './report';
import type { OwnCpu } from './policies';
import type { RlfResult } from './rlf';
import { int, ms, ratio } from './stats';

/** The limited path's ratio to the floor the issue asks of every policy. */
export const POLICY_VS_FLOOR = 1.2;

export interface PolicyRows {
  readonly floor: LatencyRow;
  readonly shaped: LatencyRow;
  readonly store: LatencyRow;
  readonly fixed: LatencyRow;
  readonly sliding: LatencyRow;
  readonly tokenBucket: LatencyRow;
  /** What the engine said it counted each policy as (fixed until a policy is implemented). */
  readonly countedAs: Readonly<Record<'fixed' | 'sliding' | 'tokenBucket', string>>;
  /** The adapter's UpdateItem the shaped floor replays. */
  readonly shape: { readonly condition: string; readonly update: string; readonly returnValues: string };
  /** Shaped-floor rounds skipped because the captured window ended (re-captured). */
  readonly shapedSkipped: number;
  readonly storeStack: string;
  /** Keygate's own time around the counter write, the round trip stubbed (bench/policies.ts ownCpu). */
  readonly ownCpu: OwnCpu;
}

export interface ScaleResults {
  readonly policies?: PolicyRows;
  readonly flood?: readonly FloodRow[];
  readonly hotKey?: HotKeyResult;
  readonly rlf?: RlfResult;
}

const POLICY_NAMES = ['fixed', 'sliding', 'tokenBucket'] as const;
const per = (n: number, d: number) => (d > 0 ? n / d : Number.NaN);
const fixed3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const pctOf = (v: number | undefined) => (v === undefined ? 'n/a' : `${(v * 100).toFixed(1)} %`);
const stretches = (xs: readonly number[] | undefined) => (xs && xs.length > 0 ? `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}×` : 'n/a');
const us = (v: number) => (v * 1000).toFixed(1);
const cmd = (c: CallCounts) =>
  Object.entries(c.byCommand)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${int(n)}`)
    .join(', ') || '—';

/** Target rows; `withFixed` false when the Targets table already carries 2c's own rows. */
export function scaleTargetRows(s: ScaleResults, withFixed = true): TargetRow[] {
  const rows: TargetRow[] = [];
  const p = s.policies;
  if (p) {
    for (const name of POLICY_NAMES) {
      if (name === 'fixed' && !withFixed) continue;
      const row = p[name];
      const r50 = row.vsFloor?.p50 ?? Infinity;
      const r99 = row.vsFloor?.p99 ?? Infinity;
      rows.push({
        target: `Limited path, \`${name}\` key: p50 and p99 ≤ ${POLICY_VS_FLOOR}× floor`,
        measured: `p50 ${ratio(r50)}, p99 ${ratio(r99)}`,
        met: r50 <= POLICY_VS_FLOOR && r99 <= POLICY_VS_FLOOR,
        note: `counted as \`${p.countedAs[name]}\` by this engine; p50 ${stretches(row.blocks?.p50)}, p99 ${stretches(row.blocks?.p99)} over the run's stretches; section 9a`,
      });
    }
  }
  for (const f of s.flood ?? []) {
    const w = per(f.flood.writes, f.refused);
    rows.push({
      target: `Refusal flood, \`${f.policy}\`: ≤ ${FLOOD_TARGET.writesPerRefused} DynamoDB writes per refused request after the first`,
      measured: `${fixed3(w)} (${int(f.flood.writes)} writes / ${int(f.refused)} refusals)`,
      met: w <= FLOOD_TARGET.writesPerRefused,
      note: `refused p50 ${ms(f.latency.p50)} ms, p99 ${ms(f.latency.p99)} ms; store stack ${f.storeStack}; section 9b`,
    });
  }
  const h = s.hotKey;
  if (h) {
    const wpa = per(h.counterIo.writes, h.admitted);
    rows.push(
      {
        target: `Hot key (${int(h.plan.limit)}/s): admitted in any window ≤ limit`,
        measured: `max ${int(h.maxAdmittedInWindow)} in one window`,
        met: h.maxAdmittedInWindow <= h.plan.limit,
        note: `${h.admittedByWindow.length} windows; store stack ${h.storeStack}; section 9c`,
      },
      {
        target: `Hot key: ≤ ${HOT_TARGETS.writesPerAdmitted} counter writes per admitted request`,
        measured: `${fixed3(wpa)} (${int(h.counterIo.writes)} / ${int(h.admitted)})`,
        met: wpa <= HOT_TARGETS.writesPerAdmitted,
        note: `${int(per(h.counterIo.writes, h.seconds))} counter writes/s on the key's item; ${int(h.unavailable)} unavailable (503); section 9c`,
      },
      {
        target: `Hot key: ≥ ${HOT_TARGETS.admittedShareOfLimit * 100} % of the limit admitted when demand exceeds it`,
        measured:
          h.saturatedWindows > 0
            ? `lowest ${pctOf(h.minShareWhenSaturated)}, mean ${pctOf(h.meanShareWhenSaturated)} over ${h.saturatedWindows} saturated windows`
            : `demand never exceeded the limit (peak ${int(h.peakOfferedPerSecond)} requests in a complete second)`,
        met: h.minShareWhenSaturated !== undefined && h.minShareWhenSaturated >= HOT_TARGETS.admittedShareOfLimit,
        note: `${h.plan.concurrency} clients over ${h.plan.containers} containers for ${h.plan.seconds} s; section 9c`,
      },
    );
  }
  if (s.rlf) {
    const kg = s.rlf.allOrNothing.filter((r) => r.contender === 'Keygate');
    const taken = kg.reduce((sum, r) => sum + r.unitsTakenByRefused, 0);
    rows.push({
      target: 'All or nothing: refused requests take 0 units from the limits that would admit them',
      measured: `Keygate ${int(taken)}; rate-limiter-flexible ${s.rlf.allOrNothing
        .filter((r) => r.contender !== 'Keygate')
        .map((r) => `${int(r.unitsTakenByRefused)}`)
        .join(' / ')}`,
      met: taken === 0,
      note: `${kg.map((r) => r.case).join(' and ')}, ${RLF_REFUSED(s.rlf)} refused requests each; section 9d`,
    });
  }
  return rows;
}

const RLF_REFUSED = (r: RlfResult) => r.plan.refusedAfter;

/** Section 9 (Markdown lines). */
export function renderScaleSection(s: ScaleResults): string[] {
  const L: string[] = ['## 9. Rate-limit policies and scale (issue 13)', ''];
  const p = s.policies;
  if (p) {
    const d50 = (a: LatencyRow, b: LatencyRow) => ms(a.summary.p50 - b.summary.p50);
    const d99 = (a: LatencyRow, b: LatencyRow) => ms(a.summary.p99 - b.summary.p99);
    L.push(
      '### 9a. The limited path by policy',
      '',
      'The rows below run in the same interleaved rounds as section 1–2 (same floor, same warm-up, order rotated',
      'every round). Each policy key has a rate limit of 29,000 per 60 s (`tokenBucket`: burst 29,000; under the hot-key threshold) plus a',
      'daily and a monthly quota, all far from exhausted, in a container with `cacheTtlSeconds 60`: the only I/O is',
      `the counter write. Store stack the verifier counted on: \`${p.storeStack}\`.`,
      '',
      '| Scenario | Counted as | p50 ms | p99 ms | p50 / floor | p99 / floor | p50 / floor by stretch | p99 / floor by stretch |',
      '|---|---|---:|---:|---:|---:|---:|---:|',
      `| Floor: bare UpdateItem \`ADD\` | — | ${ms(p.floor.summary.p50)} | ${ms(p.floor.summary.p99)} | — | — | — | — |`,
      `| Shaped floor: the adapter's own UpdateItem (fixed key), replayed bare | — | ${ms(p.shaped.summary.p50)} | ${ms(p.shaped.summary.p99)} | ${ratio(p.shaped.vsFloor?.p50 ?? NaN)} | ${ratio(p.shaped.vsFloor?.p99 ?? NaN)} | ${stretches(p.shaped.blocks?.p50)} | ${stretches(p.shaped.blocks?.p99)} |`,
      `| \`DynamoCounterStore.consume()\` alone (2c′, fixed) | fixed | ${ms(p.store.summary.p50)} | ${ms(p.store.summary.p99)} | ${ratio(p.store.vsFloor?.p50 ?? NaN)} | ${ratio(p.store.vsFloor?.p99 ?? NaN)} | ${stretches(p.store.blocks?.p50)} | ${stretches(p.store.blocks?.p99)} |`,
      ...POLICY_NAMES.map((name) => {
        const r = p[name];
        return `| Authorizer, \`${name}\` key${name === 'fixed' ? ' (2c)' : ''} | ${p.countedAs[name]} | ${ms(r.summary.p50)} | ${ms(r.summary.p99)} | ${ratio(r.vsFloor?.p50 ?? NaN)} | ${ratio(r.vsFloor?.p99 ?? NaN)} | ${stretches(r.blocks?.p50)} | ${stretches(r.blocks?.p99)} |`;
      }),
      '',
      `Where the fixed key's time goes (p50 / p99, differences between consecutive rows): the larger UpdateItem itself`,
      `(shaped floor − floor) ${d50(p.shaped, p.floor)} / ${d99(p.shaped, p.floor)} ms; the adapter and the core's arithmetic`,
      `(2c′ − shaped floor) ${d50(p.store, p.shaped)} / ${d99(p.store, p.shaped)} ms; the handler, verifier, metrics and context`,
      `(2c − 2c′) ${d50(p.fixed, p.store)} / ${d99(p.fixed, p.store)} ms. All four use a client built by \`createDocumentClient\``,
      'with the counter profile (`maxAttempts 1`, same timeouts); the event is built once, outside the timing.',
      `Against the shaped floor (the same write with none of Keygate's code around it) the fixed key is`,
      `${ratio(p.fixed.summary.p50 / p.shaped.summary.p50)} at p50 and ${ratio(p.fixed.summary.p99 / p.shaped.summary.p99)} at p99; the shaped floor itself is ${ratio(p.shaped.vsFloor?.p50 ?? NaN)} / ${ratio(p.shaped.vsFloor?.p99 ?? NaN)} the bare floor.`,
      '',
      `Keygate's own time with the round trip stubbed (the counter client's \`send\` answers at once with DynamoDB's`,
      `earlier response; tight loop, hot code, so a lower bound): \`consume\` p50 ${us(p.ownCpu.store.p50)} µs, p99 ${us(p.ownCpu.store.p99)} µs;`,
      `the whole authorizer decision (2c) p50 ${us(p.ownCpu.authorizer.p50)} µs, p99 ${us(p.ownCpu.authorizer.p99)} µs. The gap between the shaped floor and 2c`,
      `in the interleaved rounds (${d50(p.fixed, p.shaped)} ms at p50) is larger than that: between two round trips the code runs cold,`,
      'after the SDK and the other scenarios, on a machine whose two cores DynamoDB Local shares.',
      '',
      `The shaped floor replays exactly what the adapter sent for a fixed key in steady state: \`${p.shape.update}\``,
      `with \`${p.shape.condition}\`, returning ${p.shape.returnValues}. When its window ends the replay's`,
      `condition fails; it is re-captured and that round's sample dropped (${p.shapedSkipped} times in this run).`,
      'A policy counted as `fixed` above runs the fixed-window engine: its row measures that engine with another',
      "key's settings, not the policy itself.",
      '',
    );
  }
  if (s.flood) {
    L.push(
      '### 9b. A flood of refused requests',
      '',
      `Through the real authorizer handler (one container per policy: the verifier, its refusal memory and the store stack createRuntime builds): a key`,
      `limited to ${FLOOD_PLAN.limit} requests per ${FLOOD_PLAN.windowSeconds} s takes its ${FLOOD_PLAN.limit} requests, then ${int(FLOOD_PLAN.refused)} more after the first refusal,`,
      'one at a time, with a frozen clock so all of them fall in one window. DynamoDB calls are counted on the',
      "container's clients (background `lastUsedAt` writes included).",
      '',
      '| Policy | Store stack | First refusal: reads / writes | Refused after it | Reads | Writes | Writes per refused | Failed conditional writes | p50 ms | p99 ms | max ms |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...s.flood.map(
        (f) =>
          `| \`${f.policy}\` | ${f.storeStack} | ${int(f.first.reads)} / ${int(f.first.writes)} | ${int(f.refused)} | ${int(f.flood.reads)} | ${int(f.flood.writes)} | ${fixed3(per(f.flood.writes, f.refused))} | ${int(f.flood.failedConditionalWrites)} | ${ms(f.latency.p50)} | ${ms(f.latency.p99)} | ${ms(f.latency.max)} |`,
      ),
      '',
    );
  }
  const h = s.hotKey;
  if (h) {
    L.push(
      '### 9c. One hot key',
      '',
      `A key limited to ${int(h.plan.limit)} requests per ${h.plan.windowSeconds} s (fixed), driven by ${h.plan.concurrency} closed-loop clients spread over`,
      `${h.plan.containers} simulated containers (each its own authorizer: clients, cache, counter-store stack \`${h.storeStack}\`), for`,
      `${h.plan.seconds} s of real time. All containers share this process and DynamoDB Local shares the machine, so the demand is`,
      'what this machine could drive. Each admitted request is attributed to the window its decision counted in',
      '(`rateLimitReset` − window); demand to the wall-clock second the request started.',
      '',
      '| | |',
      '|---|---|',
      `| Requests (offered) | ${int(h.requests)} in ${h.seconds.toFixed(2)} s = ${int(per(h.requests, h.seconds))}/s |`,
      `| Admitted / refused (429) / unavailable (503) | ${int(h.admitted)} / ${int(h.refused)} / ${int(h.unavailable)}${h.firstError ? ` (first: ${h.firstError.replace(/\|/g, '/')})` : ''} |`,
      `| Max admitted in one window | ${int(h.maxAdmittedInWindow)} (limit ${int(h.plan.limit)}) |`,
      `| Admitted share of the limit in complete windows where demand exceeded it | ${h.saturatedWindows > 0 ? `lowest ${pctOf(h.minShareWhenSaturated)}, mean ${pctOf(h.meanShareWhenSaturated)} (${h.saturatedWindows} windows)` : `no such window (peak demand ${int(h.peakOfferedPerSecond)} in a complete second)`} |`,
      `| Counter client calls | ${int(h.counterIo.reads)} reads, ${int(h.counterIo.writes)} writes (${int(h.counterIo.failedConditionalWrites)} refused on their condition): ${cmd(h.counterIo)} |`,
      `| Counter writes per admitted request | ${fixed3(per(h.counterIo.writes, h.admitted))} |`,
      `| Counter writes per second on the key's item | ${int(per(h.counterIo.writes, h.seconds))} (one DynamoDB item accepts about 1,000 WCU/s in AWS) |`,
      `| Key client calls (record reads, \`lastUsedAt\`) | ${int(h.keyIo.reads)} reads, ${int(h.keyIo.writes)} writes |`,
      '',
      '| Window start (epoch s) | Complete | Offered | Admitted | Admitted / limit |',
      '|---|---|---:|---:|---:|',
      ...h.admittedByWindow.map((w) => `| ${w.window} | ${w.complete ? 'yes' : 'no'} | ${int(w.offered)} | ${int(w.admitted)} | ${pctOf(w.admitted / h.plan.limit)} |`),
      '',
      'DynamoDB Local does not model the per-partition write ceiling, so a single item never throttles here; with',
      'one write per request, AWS would start refusing writes (ProvisionedThroughputExceeded, a 503 here) near',
      '1,000 per second on the item. The writes-per-second row is the figure to compare with that ceiling.',
      '',
    );
  }
  const r = s.rlf;
  if (r) {
    const floor = r.latency.find((l) => l.id === 'floor');
    const n = (l: RlfResult['latency'][number]) => l.summary.samples + l.errors;
    L.push(
      `### 9d. Side by side with rate-limiter-flexible ${r.version} (\`RateLimiterDynamo\`)`,
      '',
      'Library against library on the same DynamoDB Local, interleaved as in section 1–2',
      `(${r.plan.warmupRounds} warm-up rounds, ${int(r.plan.rounds)} recorded): Keygate's \`DynamoCounterStore.consume\` (the authorizer adds the`,
      "handler around it, 9a) and rate-limiter-flexible's DynamoDB limiter, each scenario on its own client with the",
      'counter profile (`maxAttempts 1`, same timeouts). rate-limiter-flexible needs one limiter per limit: three limits',
      'run as `RateLimiterUnion` (in parallel) or one `consume` after another. Its daily and monthly limiters are',
      'durations from the first request (86,400 s, 30 × 86,400 s), not calendar windows. Calls are counted on each client',
      'over the recorded rounds.',
      '',
      '| Scenario | p50 ms | p99 ms | p50 / floor | p99 / floor | Reads per decision | Writes per decision | of which refused on their condition | Errors |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...r.latency.map(
        (l) =>
          `| ${l.label} | ${ms(l.summary.p50)} | ${ms(l.summary.p99)} | ${l.id === 'floor' || !floor ? '—' : ratio(l.summary.p50 / floor.summary.p50)} | ${l.id === 'floor' || !floor ? '—' : ratio(l.summary.p99 / floor.summary.p99)} | ${fixed3(per(l.io.reads, n(l)))} | ${fixed3(per(l.io.writes, n(l)))} | ${fixed3(per(l.io.failedConditionalWrites, n(l)))} | ${l.errors}${l.firstError ? ` (${l.firstError})` : ''} |`,
      ),
      '',
      `**All or nothing.** Each contender gets ${r.plan.admittedFirst + r.plan.refusedAfter} requests on a fresh key whose limits admit the first`,
      `${r.plan.admittedFirst}; one limit then refuses while the other two would still admit. Counted afterwards: the units the`,
      `${r.plan.refusedAfter} refused requests took from the limits that would have admitted them (Keygate reads its counter item;`,
      "rate-limiter-flexible's `get()` of each limiter).",
      '',
      '| Case | Contender | Refused | Units taken from the admitting limits | Counted on the refusing limit beyond its limit | Wrong decisions |',
      '|---|---|---:|---:|---:|---:|',
      ...r.allOrNothing.map((a) => `| ${a.case} | ${a.contender} | ${a.refused} | ${int(a.unitsTakenByRefused)} | ${int(a.overCountOnRefusing)} | ${a.wrongDecisions} |`),
      '',
      'Keygate decides every limit in one conditional write, so a refused request changes no counter. `RateLimiterUnion`',
      'consumes on every limiter, then refuses if any refused; sequential `consume` stops at the first refusal, so it',
      'leaks units only into the limiters checked before the refusing one.',
      '',
    );
  }
  return L;
}

/** Console lines for section 9. */
export function renderScaleSummary(s: ScaleResults): string {
  const lines = ['Issue 13 (rate-limit policies and scale):'];
  for (const t of scaleTargetRows(s)) lines.push(`  ${t.met ? 'MET    ' : 'NOT MET'}  ${t.target}: ${t.measured} (${t.note})`);
  if (s.rlf) {
    for (const l of s.rlf.latency) {
      const n = l.summary.samples + l.errors;
      lines.push(`  ${l.label.replace(/`/g, '')}: p50 ${ms(l.summary.p50)} p99 ${ms(l.summary.p99)}; reads ${fixed3(per(l.io.reads, n))}, writes ${fixed3(per(l.io.writes, n))} per decision; errors ${l.errors}`);
    }
    for (const a of s.rlf.allOrNothing) lines.push(`  all-or-nothing, ${a.case}, ${a.contender}: ${a.unitsTakenByRefused} units taken by ${a.refused} refused; wrong decisions ${a.wrongDecisions}`);
  }
  return lines.join('\n');
}
