/**
 * Leak response (POST /v1/keys/revoke-leaked): whoever holds a leaked key can kill it at once,
 * without being its owner — possession of the key is the authority, as with GitHub's credential
 * revocation API. The answer is the same whether or not any presented string was a live key.
 *
 * The same answer hides nothing the presenter could not learn anyway: holding the key, they could
 * call any protected route with it. What the uniform answer does prevent is probing this endpoint
 * for which of many guesses exist, together with the per-IP limit below.
 */
import type { RequestInfo } from './audit';
import type { KeyService } from './key-service';
import { hashKey, parseKey } from './key-format';
import { headlineStatus, type LimitPlan, PROBLEM_CODE_FOR } from './limits';
import { type Clock, ConflictError, type CounterStore, type EventSink, type Logger } from './ports';
import { ProblemError } from './problem';

/**
 * Per source IP: 100 presented keys a minute and 1,000 a day. Counted in keys, not requests,
 * with the same counters (and the same exactness) as API keys' limits.
 */
export const LEAK_REPORT_PLAN: LimitPlan = { rateLimit: { limit: 100, windowSeconds: 60 }, quota: { daily: 1000 } };

/** Counter id of a source IP's leak reports (`CTR#leak-ip:<ip>` in the counter table). */
export const leakCounterId = (sourceIp: string): string => `leak-ip:${sourceIp}`;

/** The event published for each key a leak report revoked (its owner subscribes to it). */
export const KEY_LEAKED_EVENT = 'keygate.key.leaked';

export const LEAK_REPORT_ACCEPTED = {
  status: 'accepted',
  message: 'Every presented string that was a live key of this deployment is now revoked. The answer is the same whether or not any was.',
} as const;

export interface LeakResponseDeps {
  readonly service: KeyService;
  readonly counters: CounterStore;
  readonly keyPrefix: string;
  readonly clock: Clock;
  readonly events?: EventSink;
  readonly logger?: Logger;
}

export class LeakResponse {
  constructor(private readonly deps: LeakResponseDeps) {}

  /**
   * Revokes every live key among `keys`. Throws a 429 ProblemError when the source IP is over its
   * limit (nothing is looked up then); a dependency failure propagates (503: fail closed).
   * Returns how many keys were revoked, for the log only — never for the answer.
   */
  async report(keys: readonly string[], request: RequestInfo): Promise<number> {
    const unique = [...new Set(keys.map((k) => k.trim()))];
    const now = this.deps.clock.now();
    const limits = await this.deps.counters.consume(leakCounterId(request.sourceIp ?? 'unknown'), LEAK_REPORT_PLAN, now, unique.length);
    if (limits.blocking) {
      const s = headlineStatus(limits)!;
      const retryAfter = Math.max(1, Math.ceil(s.resetAt - now.getTime() / 1000));
      throw new ProblemError(
        429,
        PROBLEM_CODE_FOR[limits.blocking],
        `Too many leaked keys reported from this address; retry in ${retryAfter} s.`,
        undefined,
        { 'Retry-After': String(retryAfter), 'X-RateLimit-Limit': String(s.limit), 'X-RateLimit-Remaining': String(s.remaining), 'X-RateLimit-Reset': String(s.resetAt) },
      );
    }
    let revoked = 0;
    for (const candidate of unique) {
      // Not a well-formed key of this deployment (shape, checksum, prefix): nothing to look up.
      if (!parseKey(candidate, this.deps.keyPrefix).ok) continue;
      const done = await this.revokeOne(hashKey(candidate), request);
      if (!done) continue;
      revoked++;
      await this.deps.events
        ?.publish({ type: KEY_LEAKED_EVENT, keyId: done.keyId, ownerId: done.ownerId, revokedAt: done.revokedAt, sourceIp: request.sourceIp ?? null, requestId: request.requestId ?? null })
        .catch((error: unknown) => this.deps.logger?.log('warn', 'event publish failed', { type: KEY_LEAKED_EVENT, keyId: done.keyId, error }));
    }
    return revoked;
  }

  /**
   * One key; a concurrent change of the same key (ConflictError) is retried on the fresh record,
   * so a race never turns the uniform 202 into a 409 or skips the rest of the report.
   */
  private async revokeOne(hash: string, request: RequestInfo): ReturnType<KeyService['revokeLeaked']> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.service.revokeLeaked(hash, request);
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt === 3) throw err;
      }
    }
  }
}
