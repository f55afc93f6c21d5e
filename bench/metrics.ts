/**
 * `npx tsx bench/metrics.ts [--write]`: what emitting metrics costs the authorizer, the
 * hand-written EMF buffer (adapters/emf-metrics.ts) against Powertools Metrics
 * (bench/powertools-metrics.ts):
 *   - bundle size and cold import of the authorizer bundle built as CDK builds it (bench/bundle.ts),
 *     once with each, in fresh `node` processes;
 *   - per-decision overhead on the cache-hit path (the real createAuthorizer and KeyVerifier over
 *     an in-memory repository, no I/O), rounds interleaved, stdout replaced by a byte counter.
 * Prints the figures; with --write, replaces the metrics section of docs/benchmarks.md (between
 * its markers), which `npm run bench` keeps when it rewrites the rest. About a minute.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { EmfMetrics } from '../adapters/emf-metrics';
import { JsonLogger } from '../adapters/json-logger';
import { resolveConfig } from '../core/config';
import { generateKey, hashKey } from '../core/key-format';
import type { MetricsBuffer } from '../core/metrics';
import { authorizationTable } from '../core/operator-routes';
import type { AuthzRecord } from '../core/records';
import { KeyVerifier } from '../core/verifier';
import { createAuthorizer } from '../lambdas/authorizer/authorizer';
import { benchBundle, type BundleResult, REPO_ROOT } from './bundle';
import { authorizerEvent } from './fixtures';
import { PowertoolsMetricsBuffer } from './powertools-metrics';
import { summarize } from './stats';

export const METRICS_PLAN = { rounds: 30, callsPerRound: 5000, warmupCalls: 20_000, coldLoads: 10 } as const;
export const METRICS_SECTION_BEGIN = '<!-- bench/metrics.ts: begin -->';
export const METRICS_SECTION_END = '<!-- bench/metrics.ts: end -->';

const POWERTOOLS_ENTRY = 'bench/powertools-authorizer-handler.ts';

interface Variant {
  readonly label: string;
  readonly metrics?: MetricsBuffer;
}

interface OverheadRow {
  readonly label: string;
  readonly nsPerCallP50: number;
  readonly nsPerCallMin: number;
  readonly linesPerCall: number;
  readonly bytesPerCall: number;
}

const log = (line: string) => console.log(`[bench metrics] ${line}`);

async function measureOverhead(): Promise<OverheadRow[]> {
  const key = generateKey('kg', 'live').plaintext;
  const record: AuthzRecord = { keyId: 'key_01BENCHMETRICS00000000000', ownerId: 'bench-owner', environment: 'live', scopes: ['echo:read'], status: 'active' };
  const hash = hashKey(key);
  const config = resolveConfig({ scopes: [{ name: 'echo:read', description: 'bench' }], defaultRateLimit: null });
  const variants: Variant[] = [{ label: 'no metrics' }, { label: 'hand-written EMF', metrics: new EmfMetrics() }, { label: 'Powertools Metrics', metrics: new PowertoolsMetricsBuffer() }];
  const logger = new JsonLogger({}, () => undefined, 'info');
  const handlers = variants.map((v) => {
    const verifier = new KeyVerifier({ getAuthzByHash: async (h) => (h === hash ? record : undefined) }, config, { now: () => new Date() }, undefined, {
      ...(v.metrics ? { metrics: v.metrics } : {}),
    });
    return createAuthorizer({ verifier, config, logger, routes: authorizationTable(undefined), ...(v.metrics ? { metrics: v.metrics } : {}) });
  });
  const event = authorizerEvent(key);
  // Both writers go to process.stdout (Powertools through its Console): count instead of printing.
  const realWrite = process.stdout.write.bind(process.stdout);
  let lines = 0;
  let bytes = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines += 1;
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return true;
  }) as typeof process.stdout.write;
  const samples = variants.map(() => [] as number[]);
  const output = variants.map(() => ({ lines: 0, bytes: 0 }));
  try {
    for (const h of handlers) for (let i = 0; i < METRICS_PLAN.warmupCalls; i++) await h(event);
    for (let r = 0; r < METRICS_PLAN.rounds; r++) {
      // Rotate the order each round so no variant always runs first (or after the same one).
      for (let j = 0; j < variants.length; j++) {
        const v = (r + j) % variants.length;
        const h = handlers[v]!;
        lines = 0;
        bytes = 0;
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < METRICS_PLAN.callsPerRound; i++) await h(event);
        samples[v]!.push(Number(process.hrtime.bigint() - t0) / METRICS_PLAN.callsPerRound);
        output[v]!.lines += lines;
        output[v]!.bytes += bytes;
      }
    }
  } finally {
    process.stdout.write = realWrite;
  }
  const calls = METRICS_PLAN.rounds * METRICS_PLAN.callsPerRound;
  return variants.map((v, i) => {
    const s = summarize(samples[i]!);
    return { label: v.label, nsPerCallP50: s.p50, nsPerCallMin: Math.min(...samples[i]!), linesPerCall: output[i]!.lines / calls, bytesPerCall: output[i]!.bytes / calls };
  });
}

export interface MetricsBenchResult {
  readonly overhead: readonly OverheadRow[];
  readonly bundles: readonly { readonly label: string; readonly result: BundleResult }[];
  readonly node: string;
  readonly cpu: string;
  readonly powertoolsVersion: string;
}

export async function runMetricsBench(): Promise<MetricsBenchResult> {
  log('per-decision overhead (cache hit, in-process)…');
  const overhead = await measureOverhead();
  for (const o of overhead) log(`${o.label}: p50 ${o.nsPerCallP50.toFixed(0)} ns/call, ${o.linesPerCall.toFixed(2)} lines, ${o.bytesPerCall.toFixed(0)} bytes per call`);
  const bundles = [];
  for (const [label, entry] of [
    ['hand-written EMF (as deployed)', 'lambdas/authorizer/handler.ts'],
    ['Powertools Metrics', POWERTOOLS_ENTRY],
  ] as const) {
    log(`bundle: ${label}`);
    bundles.push({ label, result: await benchBundle(METRICS_PLAN.coldLoads, log, entry) });
  }
  const powertoolsVersion = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/@aws-lambda-powertools/metrics/package.json'), 'utf8')) as { version: string }).version;
  return { overhead, bundles, node: process.version, cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}`, powertoolsVersion };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const ms = (n: number) => `${n.toFixed(1)} ms`;

export function renderMetricsSection(r: MetricsBenchResult): string {
  const [emf, pt] = r.bundles;
  const none = r.overhead[0]!;
  const coldRow = (b: { label: string; result: BundleResult }) => {
    const deployed = b.result.loadRuns[0]!;
    return `| ${b.label} | ${b.result.bytes.toLocaleString('en-US')} (${kb(b.result.bytes)}) | ${b.result.deflatedBytes.toLocaleString('en-US')} | ${ms(deployed.importMs.p50)} | ${ms(deployed.importMs.p90)} |`;
  };
  return [
    METRICS_SECTION_BEGIN,
    '## 8. Metrics: hand-written EMF against Powertools Metrics (issue 10)',
    '',
    `Measured by \`npx tsx bench/metrics.ts --write\` (Node ${r.node}, ${r.cpu}, @aws-lambda-powertools/metrics ${r.powertoolsVersion}), local, not Lambda. ` +
      'The decision and its reasons are in [metrics.md](metrics.md#why-not-powertools-metrics).',
    '',
    `**Bundle and cold import** (the authorizer built as CDK builds it, ${METRICS_PLAN.coldLoads} fresh \`node\` imports each, as deployed with \`NODE_OPTIONS=--enable-source-maps\`):`,
    '',
    '| Authorizer bundle with | Bytes | Deflated | Import p50 | Import p90 |',
    '|---|---:|---:|---:|---:|',
    coldRow(emf!),
    coldRow(pt!),
    '',
    `Difference: ${(pt!.result.bytes - emf!.result.bytes).toLocaleString('en-US')} bytes (${(pt!.result.deflatedBytes - emf!.result.deflatedBytes).toLocaleString('en-US')} deflated), ` +
      `import p50 ${(pt!.result.loadRuns[0]!.importMs.p50 - emf!.result.loadRuns[0]!.importMs.p50).toFixed(1)} ms. Import times on a shared 2-core machine move by a few ms between runs; compare within one run.`,
    '',
    `**Per decision** (cache hit, no limits: the smallest decision, where a fixed cost shows most; the real \`createAuthorizer\` and \`KeyVerifier\` over an in-memory repository; ${METRICS_PLAN.rounds} interleaved rounds of ${METRICS_PLAN.callsPerRound.toLocaleString('en-US')} calls; stdout replaced by a byte counter, so writing to a real pipe is not included):`,
    '',
    '| Metrics | ns per decision, p50 of rounds | best round | over none | stdout lines per decision | bytes per decision |',
    '|---|---:|---:|---:|---:|---:|',
    ...r.overhead.map(
      (o) =>
        `| ${o.label} | ${o.nsPerCallP50.toFixed(0)} | ${o.nsPerCallMin.toFixed(0)} | ${o === none ? '–' : `+${(o.nsPerCallP50 - none.nsPerCallP50).toFixed(0)} ns`} | ${o.linesPerCall.toFixed(2)} | ${o.bytesPerCall.toFixed(0)} |`,
    ),
    '',
    'Powertools writes each series with `singleMetric()` because Keygate\'s metrics carry different dimension sets (a Powertools document applies one set to every metric in it); the hand-written writer puts compatible series in one document.',
    METRICS_SECTION_END,
  ].join('\n');
}

/** Puts `section` in place of the marked block of `page`, or appends it before "What is not measured here". */
export function withMetricsSection(page: string, section: string): string {
  const b = page.indexOf(METRICS_SECTION_BEGIN);
  const e = page.indexOf(METRICS_SECTION_END);
  if (b >= 0 && e > b) return page.slice(0, b) + section + page.slice(e + METRICS_SECTION_END.length);
  const anchor = page.indexOf('## What is not measured here');
  return anchor >= 0 ? `${page.slice(0, anchor)}${section}\n\n${page.slice(anchor)}` : `${page.trimEnd()}\n\n${section}\n`;
}

/** The marked block of `page`, if any (npm run bench keeps it when it rewrites the page). */
export function metricsSectionOf(page: string): string | undefined {
  const b = page.indexOf(METRICS_SECTION_BEGIN);
  const e = page.indexOf(METRICS_SECTION_END);
  return b >= 0 && e > b ? page.slice(b, e + METRICS_SECTION_END.length) : undefined;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  runMetricsBench()
    .then((r) => {
      const section = renderMetricsSection(r);
      console.log('\n' + section);
      if (process.argv.includes('--write')) {
        const out = join(REPO_ROOT, 'docs', 'benchmarks.md');
        writeFileSync(out, withMetricsSection(readFileSync(out, 'utf8'), section));
        log(`wrote ${out}`);
      }
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
