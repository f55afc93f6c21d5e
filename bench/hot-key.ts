/**
 * Issue 13, row 3: one hot key. A key limited to `HOT_PLAN.limit` requests per 1 s fixed window is
 * driven by `HOT_PLAN.concurrency` closed-loop clients spread over `HOT_PLAN.containers` simulated
 * containers: each container is its own authorizer (bench/fixtures buildAuthorizer), i.e. its own
 * clients, cache and counter-store stack as adapters/runtime.ts builds it (hot-key leases included
 * once they are wired there). All of them share one process and DynamoDB Local on 2 cores, so the
 * offered load is whatever that machine can drive; the row reports it.
 *
 * Each admitted request is attributed to the window its decision counted in (the context's
 * `rateLimitReset` − window), so "max admitted in any window" is the limiter's own view, not
 * the wall clock's. Demand per window is counted by the wall-clock second a request started.
 */
import { ADMITTED_USAGE_KEY } from '../core/config';
import { RATE_LIMIT_CONTEXT } from '../core/rate-limit-headers';
import { OVER_LIMIT_USAGE_KEY } from '../lambdas/authorizer/authorizer';
import type { DynamoKeyRepository } from '../adapters/dynamodb/key-repository';
import { CallCounter, type CallCounts } from './counting';
import { assertAdmitted, authorizerEvent, type BenchAuthorizer, buildAuthorizer, createKey, type Tables } from './fixtures';

export const HOT_PLAN = {
  limit: 20_000,
  windowSeconds: 1,
  containers: 4,
  concurrency: 64,
  /** Measured run time (real clock); the loops also stop at `maxRequests`. */
  seconds: 4,
  maxRequests: 2_000_000,
  /** Each client yields to the event loop every this many requests, so background I/O (lease writes) is not starved. */
  yieldEvery: 32,
} as const;

export const HOT_TARGETS = { writesPerAdmitted: 0.1, admittedShareOfLimit: 0.9 } as const;

export interface HotKeyResult {
  readonly plan: typeof HOT_PLAN;
  readonly storeStack: string;
  readonly seconds: number;
  readonly requests: number;
  readonly admitted: number;
  readonly refused: number;
  /** Handler threw (the gateway answers 503) or any other outcome. */
  readonly unavailable: number;
  readonly firstError?: string;
  /** Admitted per window the limiter counted in (epoch second of the window start → admitted). */
  readonly admittedByWindow: readonly { readonly window: number; readonly admitted: number; readonly offered: number; readonly complete: boolean }[];
  readonly maxAdmittedInWindow: number;
  /** Complete windows in which demand exceeded the limit: the lowest admitted share of the limit among them. */
  readonly minShareWhenSaturated: number | undefined;
  readonly meanShareWhenSaturated: number | undefined;
  readonly saturatedWindows: number;
  /** The counter client's calls (all containers), and the key client's (record reads, lastUsedAt). */
  readonly counterIo: CallCounts;
  readonly keyIo: CallCounts;
  readonly peakOfferedPerSecond: number;
}

export async function runHotKeyBench(tables: Tables, repo: DynamoKeyRepository, log: (line: string) => void): Promise<HotKeyResult> {
  const P = HOT_PLAN;
  const key = await createKey(repo, { rateLimit: { limit: P.limit, windowSeconds: P.windowSeconds } });
  const counterIo = new CallCounter();
  const keyIo = new CallCounter();
  const containers: BenchAuthorizer[] = Array.from({ length: P.containers }, () =>
    buildAuthorizer(tables, {
      cacheTtlSeconds: 60,
      instrument: (keyDoc, counterDoc) => {
        keyIo.attach(keyDoc);
        counterIo.attach(counterDoc);
      },
    }),
  );
  const ev = authorizerEvent(key.plaintext);
  try {
    // Each container reads the record once (cache miss) before the clock starts.
    for (const c of containers) assertAdmitted(await c.handler(ev), 'hot key: priming');
    await counterIo.settle();
    await keyIo.settle();
    counterIo.reset();
    keyIo.reset();
    log(`hot key: ${P.concurrency} clients over ${P.containers} containers for ${P.seconds} s (limit ${P.limit} per ${P.windowSeconds} s)`);
    const admittedBy = new Map<number, number>();
    const offeredBy = new Map<number, number>();
    let requests = 0;
    let admitted = 0;
    let refused = 0;
    let unavailable = 0;
    let firstError: string | undefined;
    const startWall = Date.now();
    const t0 = performance.now();
    const end = t0 + P.seconds * 1000;
    await Promise.all(
      Array.from({ length: P.concurrency }, async (_, worker) => {
        const auth = containers[worker % containers.length]!;
        for (let i = 1; performance.now() < end && requests < P.maxRequests; i++) {
          requests++;
          const second = Math.floor(Date.now() / 1000);
          offeredBy.set(second, (offeredBy.get(second) ?? 0) + 1);
          try {
            const r = await auth.handler(ev);
            if (r.usageIdentifierKey === ADMITTED_USAGE_KEY) {
              admitted++;
              const reset = Number(r.context?.[RATE_LIMIT_CONTEXT.reset]);
              const window = Number.isFinite(reset) ? reset - P.windowSeconds : -1;
              admittedBy.set(window, (admittedBy.get(window) ?? 0) + 1);
            } else if (r.usageIdentifierKey === OVER_LIMIT_USAGE_KEY) refused++;
            else unavailable++;
          } catch (err) {
            unavailable++;
            firstError ??= `${(err as Error).message}: ${String((err as Error).cause ?? '')}`.slice(0, 200);
          }
          if (i % P.yieldEvery === 0) await new Promise((r) => setImmediate(r));
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const endWall = Date.now();
    await counterIo.settle();
    await keyIo.settle();
    const windows = [...new Set([...admittedBy.keys(), ...offeredBy.keys()])].sort((a, b) => a - b);
    const rows = windows.map((w) => ({
      window: w,
      admitted: admittedBy.get(w) ?? 0,
      offered: offeredBy.get(w) ?? 0,
      complete: w * 1000 >= startWall && (w + P.windowSeconds) * 1000 <= endWall,
    }));
    const saturated = rows.filter((r) => r.complete && r.offered > P.limit);
    const shares = saturated.map((r) => r.admitted / P.limit);
    return {
      plan: P,
      storeStack: containers[0]!.storeStack,
      seconds,
      requests,
      admitted,
      refused,
      unavailable,
      ...(firstError ? { firstError } : {}),
      admittedByWindow: rows,
      maxAdmittedInWindow: Math.max(0, ...rows.map((r) => r.admitted)),
      minShareWhenSaturated: shares.length > 0 ? Math.min(...shares) : undefined,
      meanShareWhenSaturated: shares.length > 0 ? shares.reduce((s, v) => s + v, 0) / shares.length : undefined,
      saturatedWindows: saturated.length,
      counterIo: counterIo.snapshot(),
      keyIo: keyIo.snapshot(),
      peakOfferedPerSecond: Math.max(0, ...rows.filter((r) => r.complete).map((r) => r.offered)),
    };
  } finally {
    for (const c of containers) c.destroy();
  }
}
