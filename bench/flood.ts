/**
 * Issue 13, row 2: a flood of refused requests. One "container" (bench/fixtures buildAuthorizer,
 * the store stack adapters/runtime.ts builds, refusal cache included once it is wired there) per
 * policy; its key is driven past its rate limit, then receives `FLOOD_PLAN.refused` more requests.
 * DynamoDB calls are counted on the container's clients from the request after the first refusal.
 * The clock is frozen so the whole flood falls in one window: the figure is per window, and the
 * first refusal of each new window costs its write again (docs/rate-limiting.md).
 */
import type { Clock } from '../core/ports';
import type { RateLimit } from '../core/records';
import { OVER_LIMIT_USAGE_KEY } from '../lambdas/authorizer/authorizer';
import type { DynamoKeyRepository } from '../adapters/dynamodb/key-repository';
import { CallCounter, type CallCounts } from './counting';
import { assertAdmitted, authorizerEvent, buildAuthorizer, createKey, type Tables, WrongDecisionError } from './fixtures';
import { type Summary, summarize } from './stats';

export const FLOOD_PLAN = {
  /** The key's rate limit per window; that many requests are admitted before the flood. */
  limit: 5,
  windowSeconds: 60,
  /** Refused requests after the first refusal, per policy. */
  refused: 2000,
} as const;

export const FLOOD_TARGET = { writesPerRefused: 0.01 } as const;

export interface FloodRow {
  readonly policy: 'fixed' | 'sliding' | 'tokenBucket';
  readonly storeStack: string;
  /** DynamoDB calls of the first refusal itself. */
  readonly first: CallCounts;
  /** DynamoDB calls of the `refused` requests after it. */
  readonly flood: CallCounts;
  readonly refused: number;
  /** Latency of the refused requests after the first (one at a time). */
  readonly latency: Summary;
}

const RATE_LIMITS: Record<FloodRow['policy'], RateLimit> = {
  fixed: { limit: FLOOD_PLAN.limit, windowSeconds: FLOOD_PLAN.windowSeconds },
  sliding: { limit: FLOOD_PLAN.limit, windowSeconds: FLOOD_PLAN.windowSeconds, policy: 'sliding' },
  tokenBucket: { limit: FLOOD_PLAN.limit, windowSeconds: FLOOD_PLAN.windowSeconds, policy: 'tokenBucket', burst: FLOOD_PLAN.limit },
};

export async function runFloodBench(tables: Tables, repo: DynamoKeyRepository, log: (line: string) => void): Promise<FloodRow[]> {
  const rows: FloodRow[] = [];
  for (const policy of ['fixed', 'sliding', 'tokenBucket'] as const) {
    log(`refusal flood (${policy}): ${FLOOD_PLAN.limit} admitted, then ${FLOOD_PLAN.refused + 1} refused`);
    const key = await createKey(repo, { rateLimit: RATE_LIMITS[policy] });
    const nowMs = Date.now();
    const clock: Clock = { now: () => new Date(nowMs) };
    const counter = new CallCounter();
    const auth = buildAuthorizer(tables, {
      cacheTtlSeconds: 60,
      clock,
      instrument: (keyDoc, counterDoc) => {
        counter.attach(keyDoc);
        counter.attach(counterDoc);
      },
    });
    const ev = authorizerEvent(key.plaintext);
    const refusedOnce = async (label: string) => {
      const r = await auth.handler(ev);
      if (r.usageIdentifierKey !== OVER_LIMIT_USAGE_KEY) throw new WrongDecisionError(`${label}: expected a refusal (429), got ${JSON.stringify(r.context)}`);
    };
    try {
      for (let i = 0; i < FLOOD_PLAN.limit; i++) assertAdmitted(await auth.handler(ev), `flood ${policy}: admitted request ${i + 1}`);
      await counter.settle(); // the background lastUsedAt write of the first request
      counter.reset();
      await refusedOnce(`flood ${policy}: first refusal`);
      await counter.settle();
      const first = counter.snapshot();
      counter.reset();
      const latencies: number[] = [];
      for (let i = 0; i < FLOOD_PLAN.refused; i++) {
        const t0 = performance.now();
        await refusedOnce(`flood ${policy}: refusal ${i + 2}`);
        latencies.push(performance.now() - t0);
      }
      await counter.settle();
      rows.push({
        policy,
        storeStack: auth.storeStack,
        first,
        flood: counter.snapshot(),
        refused: FLOOD_PLAN.refused,
        latency: summarize(latencies),
      });
    } finally {
      auth.destroy();
    }
  }
  return rows;
}
