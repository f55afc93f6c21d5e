import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit, QueueFullError } from '../../local/concurrency';

describe('ConcurrencyLimit', () => {
  it('runs at most `limit` invocations at once and the rest in arrival order', async () => {
    // Prepare
    const limit = new ConcurrencyLimit(3);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (i: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 2));
      order.push(i);
      running--;
      return i;
    };
    // Act
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => limit.run(task(i))));
    // Assess
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peak).toBe(3);
    expect(order.slice(3)).toEqual([...order.slice(3)].sort((a, b) => a - b));
    expect(limit.active).toBe(0);
  });

  it('frees the slot when an invocation throws', async () => {
    const limit = new ConcurrencyLimit(1);
    await expect(limit.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limit.run(async () => 'next')).toBe('next');
  });

  it('rejects an invocation at once when the queue is full', async () => {
    const limit = new ConcurrencyLimit(1, 1);
    let release!: () => void;
    const first = limit.run(() => new Promise<void>((r) => (release = r)));
    const second = limit.run(async () => 'queued');
    await expect(limit.run(async () => 'third')).rejects.toBeInstanceOf(QueueFullError);
    release();
    await first;
    expect(await second).toBe('queued');
  });
});
