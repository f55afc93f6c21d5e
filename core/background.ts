/**
 * Side effects that must not delay a decision but must not be lost either: a Lambda container
 * is frozen as soon as its handler returns, so work still pending then may never run. Handlers
 * start the work, decide, then `flush(boundMs)` before returning: the wait is bounded, so a
 * slow dependency costs at most the bound, and whatever has not finished by then is given up
 * (it may still complete if the container is reused). Tests await `flush()` instead of sleeping.
 */
/** How long a handler waits for its side effects before returning (docs/operations.md). */
export const FLUSH_BOUND_MS = 300;

export class BackgroundWork {
  private readonly pending = new Set<Promise<unknown>>();

  /** Tracks a promise until it settles. Its failure must already be handled by the caller. */
  track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * Waits for the work tracked so far, for at most `boundMs` (absent = no bound). Resolves
   * true when everything settled, false when the bound ran out first.
   */
  async flush(boundMs?: number): Promise<boolean> {
    if (this.pending.size === 0) return true;
    const all = Promise.all([...this.pending]).then(() => true);
    if (boundMs === undefined) return all;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), boundMs)));
    try {
      return await Promise.race([all, bound]);
    } finally {
      clearTimeout(timer);
    }
  }
}
