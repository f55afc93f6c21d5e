/**
 * What the local stack's scheduled jobs share (the expiry scan and anomaly detection stand in for
 * EventBridge Scheduler here): an interval from an environment variable, one run at a time, a
 * timer that does not keep the process alive, and a stop that waits for the run in progress.
 */
import type { Logger } from '../core/ports';

/** Seconds between runs from `name`: unset or empty = `fallback`, 0 = no timer, at most a day. */
export function intervalFromEnv(name: string, fallback: number, env: Readonly<Record<string, string | undefined>>): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 86_400) throw new Error(`${name} must be a whole number of seconds from 0 (no timer) to 86400 (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

export interface PeriodicJob<A extends unknown[], R> {
  /** Runs the job once now, after any run in progress. */
  runNow(...args: A): Promise<R>;
  /** Stops the timer, waits for a run in progress, then calls `release`. Idempotent. */
  stop(): Promise<void>;
}

export function periodicJob<A extends unknown[], R>(opts: {
  /** In messages: `<what> is stopped`, `local <what> failed`. */
  readonly what: string;
  readonly run: (...args: A) => Promise<R>;
  /** 0 = no timer. */
  readonly intervalSeconds: number;
  /** Run once at start too (only with a timer). */
  readonly runAtStart: boolean;
  readonly release: () => void;
  readonly logger?: Logger;
}): PeriodicJob<A, R> {
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const runNow = (...args: A): Promise<R> => {
    if (stopped) return Promise.reject(new Error(`${opts.what} is stopped`));
    const run = chain.then(() => opts.run(...args));
    chain = run.catch(() => undefined);
    return run;
  };
  const runLogged = () => {
    runNow(...([] as unknown as A)).catch((error: unknown) => {
      if (!stopped) opts.logger?.log('error', `local ${opts.what} failed`, { error });
    });
  };
  if (opts.intervalSeconds > 0 && opts.runAtStart) runLogged();
  const timer = opts.intervalSeconds > 0 ? setInterval(runLogged, opts.intervalSeconds * 1000) : undefined;
  timer?.unref();
  return {
    runNow,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      await chain;
      opts.release();
    },
  };
}
