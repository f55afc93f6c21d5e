/** Window arithmetic and the counter-write steps (pure: no I/O). */
import { describe, expect, it } from 'vitest';
import { advanceWindows, blockingLimits, type CounterState, countsAt, firstCounterWrite, type LimitPlan, nextCounterStep, windowsAt } from '../../core/limits';

const plan: LimitPlan = { rateLimit: { limit: 3, windowSeconds: 10 }, quota: { daily: 5, monthly: 50 } };
const at = (iso: string) => new Date(iso);
const sec = (iso: string) => Date.parse(iso) / 1000;

describe('advanceWindows', () => {
  it('keeps the request’s own windows when the item is older or absent', () => {
    const w = windowsAt(at('2031-05-10T12:00:05Z'), 10);
    expect(advanceWindows(w, undefined, plan)).toEqual(w);
    expect(advanceWindows(w, { rw: sec('2031-05-10T11:59:50Z'), ws: 10, dw: '20310509', mw: '203104' }, plan)).toEqual(w);
  });

  it('adopts the item’s newer rate window, day and month, with their resets', () => {
    const w = windowsAt(at('2031-05-31T23:59:59.900Z'), 10);
    const item: CounterState = { rw: sec('2031-06-01T00:00:00Z'), ws: 10, rc: 1, dw: '20310601', dc: 1, mw: '203106', mc: 1 };
    expect(advanceWindows(w, item, plan)).toEqual({
      rateStart: sec('2031-06-01T00:00:00Z'),
      rateReset: sec('2031-06-01T00:00:10Z'),
      day: '20310601',
      dayReset: sec('2031-06-02T00:00:00Z'),
      month: '203106',
      monthReset: sec('2031-07-01T00:00:00Z'),
    });
  });

  it('handles the year boundary (December → January)', () => {
    const w = windowsAt(at('2031-12-31T23:59:59.999Z'), 10);
    const moved = advanceWindows(w, { dw: '20320101', mw: '203201' }, plan);
    expect(moved).toMatchObject({ day: '20320101', dayReset: sec('2032-01-02T00:00:00Z'), month: '203201', monthReset: sec('2032-02-01T00:00:00Z') });
  });
});

describe('nextCounterStep', () => {
  it('refuses a late request when the newer window is full, reporting the newer window’s reset', () => {
    const write = firstCounterWrite({ rateLimit: { limit: 3, windowSeconds: 1 } }, at('2031-05-10T12:00:00.999Z'));
    const step = nextCounterStep({ rateLimit: { limit: 3, windowSeconds: 1 } }, write, { ok: false, current: { rw: sec('2031-05-10T12:00:01Z'), ws: 1, rc: 3 } });
    expect(step).toMatchObject({ done: { admitted: false, blocking: 'rate', rate: { used: 3, resetAt: sec('2031-05-10T12:00:02Z') } } });
  });

  it('retries the increment in the newer window instead of resetting back to the old one', () => {
    const p: LimitPlan = { rateLimit: { limit: 3, windowSeconds: 1 } };
    const write = firstCounterWrite(p, at('2031-05-10T12:00:00.999Z'));
    const step = nextCounterStep(p, write, { ok: false, current: { rw: sec('2031-05-10T12:00:01Z'), ws: 1, rc: 1 } });
    expect(step).toEqual({ write: { kind: 'increment', cost: 1, windows: expect.objectContaining({ rateStart: sec('2031-05-10T12:00:01Z') }) } });
  });

  it('resets rolled-over windows forward and carries the current ones on', () => {
    const write = firstCounterWrite(plan, at('2031-05-10T12:00:15Z'));
    const current: CounterState = { rw: sec('2031-05-10T12:00:00Z'), ws: 10, rc: 3, dw: '20310510', dc: 4, mw: '203105', mc: 9 };
    const step = nextCounterStep(plan, write, { ok: false, current });
    expect(step).toMatchObject({
      write: { kind: 'reset', expected: current, next: { rw: sec('2031-05-10T12:00:10Z'), ws: 10, rc: 1, dw: '20310510', dc: 5, mw: '203105', mc: 10 } },
    });
  });

  it('never writes a window older than the one the item holds, for any pair of clocks', () => {
    // every pair of (item time, request time) around a day and month boundary, 250 ms apart
    const base = Date.parse('2031-05-31T23:59:58Z');
    for (let item = 0; item < 16; item++) {
      for (let req = 0; req < 16; req++) {
        const iw = windowsAt(new Date(base + item * 250), 1);
        const current: CounterState = { rw: iw.rateStart, ws: 1, rc: 1, dw: iw.day, dc: 1, mw: iw.month, mc: 1 };
        const p: LimitPlan = { rateLimit: { limit: 3, windowSeconds: 1 }, quota: { daily: 5, monthly: 50 } };
        const step = nextCounterStep(p, firstCounterWrite(p, new Date(base + req * 250)), { ok: false, current });
        if (!('write' in step)) continue;
        const w = step.write.kind === 'reset' ? step.write.next : { rw: step.write.windows.rateStart, dw: step.write.windows.day, mw: step.write.windows.month };
        expect(w.rw!).toBeGreaterThanOrEqual(current.rw!);
        expect(w.dw! >= current.dw!).toBe(true);
        expect(w.mw! >= current.mw!).toBe(true);
      }
    }
  });
});

describe('countsAt', () => {
  it('shows the counts of the item’s newer window to a caller whose clock is behind', () => {
    const r = countsAt({ quota: { daily: 5 } }, { dw: '20310511', dc: 2 }, at('2031-05-10T23:59:59.999Z'));
    expect(r.daily).toEqual({ limit: 5, used: 2, remaining: 3, resetAt: sec('2031-05-12T00:00:00Z') });
  });
});

describe('cost', () => {
  const plan: LimitPlan = { rateLimit: { limit: 10, windowSeconds: 60 }, quota: { daily: 12 } };
  const now = new Date('2031-05-10T12:00:15Z');

  it('admits a request only when every limit has cost units left', () => {
    expect(blockingLimits(plan, { rate: 5, daily: 5, monthly: 0 }, 5)).toEqual([]);
    expect(blockingLimits(plan, { rate: 6, daily: 6, monthly: 0 }, 5)).toEqual(['rate']);
    expect(blockingLimits(plan, { rate: 2, daily: 8, monthly: 0 }, 5)).toEqual(['daily']);
    expect(blockingLimits({ rateLimit: { limit: 3, windowSeconds: 1 } }, { rate: 0, daily: 0, monthly: 0 }, 4)).toEqual(['rate']);
  });

  it('carries the cost into the increment and into a window reset', () => {
    // Prepare: the item holds an older rate window
    const write = firstCounterWrite(plan, now, 4);
    const w = windowsAt(now, 60);
    const current = { rw: w.rateStart - 60, ws: 60, rc: 10, dw: w.day, dc: 3 };

    // Act
    const step = nextCounterStep(plan, write, { ok: false, current });

    // Assess
    expect(write).toMatchObject({ kind: 'increment', cost: 4 });
    expect(step).toMatchObject({ write: { kind: 'reset', cost: 4, next: { rw: w.rateStart, rc: 4, dw: w.day, dc: 7 } } });
  });

  it('reads a refusal from the item when the cost does not fit', () => {
    const w = windowsAt(now, 60);
    const step = nextCounterStep(plan, firstCounterWrite(plan, now, 5), { ok: false, current: { rw: w.rateStart, ws: 60, rc: 6, dw: w.day, dc: 6 } });
    expect(step).toMatchObject({ done: { admitted: false, blocking: 'rate', rate: { used: 6, remaining: 4 } } });
  });
});
