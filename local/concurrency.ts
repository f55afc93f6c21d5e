/**
 * A concurrency limit per local "function", the way Lambda bounds concurrent executions:
 * at most `limit` invocations run at once and the rest wait in a FIFO queue. Without it, a
 * burst of 300 requests opens 300 DynamoDB requests at once on a 2-core machine and the
 * clients' connection timeouts turn refusals into 503s. Queue time is not counted against
 * the SDK timeouts, which start only when an invocation runs.
 */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
}

export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly limit: number,
    /** Invocations that may wait; beyond that a call fails at once with QueueFullError. */
    readonly maxQueue = 10_000,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      if (this.waiting.length >= this.maxQueue) throw new QueueFullError(`more than ${this.maxQueue} invocations waiting`);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // hand the slot straight to the next waiter, so `running` never exceeds the limit
      if (next) next();
      else this.running--;
    }
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }
}

/** Wraps a handler so its invocations share one limit. */
export function limited<A extends unknown[], R>(limit: ConcurrencyLimit, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) => limit.run(() => fn(...args));
}
