/**
 * Issue 13, row 1: each rate-limit policy's limited path against the floor. The policy keys run
 * in the same interleaved rounds as the floor and 2c (bench/run.ts, `ioLatency`), so these rows
 * only define the keys and one extra scenario: the "shaped floor", the exact UpdateItem the
 * counter adapter sends for a fixed-window key, replayed through a bare client. It splits the
 * gap between the floor and 2c′ into "a larger conditional UpdateItem" (DynamoDB's share) and
 * "the adapter's and the core's own code" (ours).
 */
import { type DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoCounterStore } from '../adapters/dynamodb/counter-store';
import type { LimitPlan } from '../core/limits';
import type { Quota, RateLimit } from '../core/records';
import { assertAdmitted, authorizerEvent, type BenchKey, buildAuthorizer, COUNTER_CLIENT_SETTINGS, type Tables } from './fixtures';
import { type Summary, summarize } from './stats';

const QUOTA: Quota = { daily: 100_000_000, monthly: 1_000_000_000 };

/**
 * The limited-path keys, one per policy: a rate limit plus daily and monthly quotas, all far from
 * exhausted, so every request of the run is admitted. 29,000 per 60 s (483/s) stays under the
 * default hot-key threshold (500/s, `keygate:hotKeyThreshold`), so these rows measure the
 * one-write-per-request path; a hot key's leased path is section 9c. `fixed` is 2c itself.
 */
export const POLICY_LIMITS = {
  fixed: { rateLimit: { limit: 29_000, windowSeconds: 60 }, quota: QUOTA },
  sliding: { rateLimit: { limit: 29_000, windowSeconds: 60, policy: 'sliding' }, quota: QUOTA },
  tokenBucket: { rateLimit: { limit: 29_000, windowSeconds: 60, policy: 'tokenBucket', burst: 29_000 }, quota: QUOTA },
} as const satisfies Record<string, { rateLimit: RateLimit; quota: Quota }>;

/** A failed replay: the window the captured condition names has ended; the sample is not a latency. */
export const SKIP = 'skip' as const;

export interface ShapedFloor {
  /** The captured UpdateItem, once (condition and update expression, for the report). */
  readonly shape: () => { condition: string; update: string; returnValues: string };
  readonly run: () => Promise<void | typeof SKIP>;
  destroy(): void;
}

/**
 * The counter adapter's steady-state UpdateItem for `plan` (captured from a real consume, so it
 * follows the adapter when the engine changes), replayed as-is on a bare client with the counter
 * client's settings. When the captured window ends the condition fails: the replay is re-captured
 * and that round's sample is skipped (about once per rate window).
 */
export async function shapedFloor(tables: Tables, plan: LimitPlan = POLICY_LIMITS.fixed): Promise<ShapedFloor> {
  const captureDoc = createDocumentClient({ endpoint: tables.endpoint, ...COUNTER_CLIENT_SETTINGS });
  let captured: UpdateCommandInput | undefined;
  const original = captureDoc.send.bind(captureDoc) as (command: unknown) => Promise<unknown>;
  (captureDoc as unknown as { send: (c: unknown) => Promise<unknown> }).send = (command: unknown) => {
    if (command instanceof UpdateCommand) captured = command.input;
    return original(command);
  };
  const store = new DynamoCounterStore(captureDoc, tables.counterTable);
  const counterId = 'bench-shaped-floor';
  const capture = async () => {
    // The first consume creates or rolls the item (reset path); the second is the steady-state increment.
    for (let i = 0; i < 2; i++) await store.consume(counterId, plan, new Date());
    if (!captured) throw new Error('shaped floor: the counter store sent no UpdateItem');
    return captured;
  };
  let input = await capture();
  const replayDoc: DynamoDBDocumentClient = createDocumentClient({ endpoint: tables.endpoint, ...COUNTER_CLIENT_SETTINGS });
  return {
    shape: () => ({
      condition: String(input.ConditionExpression ?? ''),
      update: String(input.UpdateExpression ?? ''),
      returnValues: `${input.ReturnValues ?? 'NONE'} / on failure ${input.ReturnValuesOnConditionCheckFailure ?? 'NONE'}`,
    }),
    run: async () => {
      try {
        await replayDoc.send(new UpdateCommand(input));
      } catch (err) {
        if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
        input = await capture();
        return SKIP;
      }
    },
    destroy() {
      captureDoc.destroy();
      replayDoc.destroy();
    },
  };
}

/**
 * What the counter engine reports it counted each policy as (`LimitResult.rate.policy` of one
 * consume): until the engine implements a policy it counts it as `fixed`, and the row says so.
 */
export async function policiesCountedAs(tables: Tables): Promise<Record<keyof typeof POLICY_LIMITS, string>> {
  const doc = createDocumentClient({ endpoint: tables.endpoint, ...COUNTER_CLIENT_SETTINGS });
  try {
    const store = new DynamoCounterStore(doc, tables.counterTable);
    const out = {} as Record<keyof typeof POLICY_LIMITS, string>;
    for (const policy of Object.keys(POLICY_LIMITS) as (keyof typeof POLICY_LIMITS)[]) {
      const r = await store.consume(`bench-policy-probe-${policy}`, POLICY_LIMITS[policy], new Date());
      out[policy] = r.rate?.policy ?? 'unknown';
    }
    return out;
  } finally {
    doc.destroy();
  }
}

/** Timed calls per row of `ownCpu` (after as many unrecorded ones). */
export const OWN_CPU_CALLS = 20_000;

export interface OwnCpu {
  /** `DynamoCounterStore.consume` with its client's `send` answering at once with a real steady-state response. */
  readonly store: Summary;
  /** The authorizer (2c: handler, verifier, store, metrics, context) with the counter client answering the same way. */
  readonly authorizer: Summary;
}

/**
 * Keygate's own time around the counter write, without the round trip: the counter client's
 * `send` is replaced by one that returns the response DynamoDB gave to the same request a moment
 * before. Document-client marshalling is skipped with it (the shaped floor pays it too). A tight
 * loop keeps the code hot, so this is a lower bound of what the interleaved rounds see.
 */
export async function ownCpu(tables: Tables, key: BenchKey, plan: LimitPlan = POLICY_LIMITS.fixed): Promise<OwnCpu> {
  const stubbed = (doc: DynamoDBDocumentClient) => {
    const original = doc.send.bind(doc) as (command: unknown) => Promise<unknown>;
    let response: unknown;
    (doc as unknown as { send: (c: unknown) => Promise<unknown> }).send = async (command) => (response = await original(command));
    return () => {
      const answer = response;
      (doc as unknown as { send: () => Promise<unknown> }).send = () => Promise.resolve(answer);
    };
  };
  const time = async (fn: () => Promise<unknown>) => {
    const out: number[] = [];
    for (let i = 0; i < 2 * OWN_CPU_CALLS; i++) {
      const t0 = performance.now();
      await fn();
      if (i >= OWN_CPU_CALLS) out.push(performance.now() - t0);
    }
    return summarize(out);
  };
  const doc = createDocumentClient({ endpoint: tables.endpoint, ...COUNTER_CLIENT_SETTINGS });
  const auth = buildAuthorizer(tables, { cacheTtlSeconds: 3600 });
  try {
    const store = new DynamoCounterStore(doc, tables.counterTable);
    const freeze = stubbed(doc);
    for (let i = 0; i < 2; i++) await store.consume('bench-own-cpu', plan, new Date());
    freeze();
    const storeTimes = await time(() => store.consume('bench-own-cpu', plan, new Date()));
    const ev = authorizerEvent(key.plaintext);
    const freezeAuth = stubbed(auth.counterDoc);
    for (let i = 0; i < 2; i++) assertAdmitted(await auth.handler(ev), 'own CPU: priming');
    freezeAuth();
    const authTimes = await time(async () => assertAdmitted(await auth.handler(ev), 'own CPU'));
    return { store: storeTimes, authorizer: authTimes };
  } finally {
    doc.destroy();
    auth.destroy();
  }
}
