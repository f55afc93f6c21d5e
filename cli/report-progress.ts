/**
 * The "querying… 4s" line a long usage query shows on stderr. Only for a terminal: when stderr
 * is a file or a pipe nothing is written, so logs and scripts see no carriage returns.
 */

export interface Progress {
  /** Replaces the label, e.g. once the server says the query is running. */
  label(text: string): void;
  /** Erases the line (if one was drawn) and stops the timer. Safe to call twice. */
  stop(): void;
}

export interface ProgressOptions {
  readonly write: (text: string) => void;
  /** Draw nothing unless true (stderr is a TTY). */
  readonly enabled: boolean;
  /** @default 'querying…' */
  readonly label?: string;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default 1000 */
  readonly intervalMs?: number;
}

const NOOP: Progress = { label: () => undefined, stop: () => undefined };

/** The line drawn after `elapsedMs`: `querying… 4s`. */
export function progressLine(label: string, elapsedMs: number): string {
  return `${label} ${Math.floor(elapsedMs / 1000)}s`;
}

/**
 * Starts the indicator. The first line appears after one interval, so a query that answers
 * at once (always, locally) draws nothing.
 */
export function startProgress(options: ProgressOptions): Progress {
  if (!options.enabled) return NOOP;
  const now = options.now ?? Date.now;
  const started = now();
  let label = options.label ?? 'querying…';
  let drawn = false;
  const draw = (): void => {
    options.write(`\r\x1b[K${progressLine(label, now() - started)}`);
    drawn = true;
  };
  const timer = setInterval(draw, options.intervalMs ?? 1000);
  timer.unref?.();
  let stopped = false;
  return {
    label(text: string): void {
      label = text;
      if (drawn && !stopped) draw();
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (drawn) options.write('\r\x1b[K');
    },
  };
}
