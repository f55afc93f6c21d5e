import { describe, expect, it } from 'vitest';
import { LruCache } from '../../core/lru-cache';

describe('LruCache', () => {
  it('returns a stored value before its expiry', () => {
    const c = new LruCache<string>(10);
    c.set('a', 'A', 1000);
    expect(c.get('a', 0)).toBe('A');
    expect(c.get('a', 999)).toBe('A');
  });

  it('expires an entry at its expiry time and drops it', () => {
    const c = new LruCache<string>(10);
    c.set('a', 'A', 1000);
    expect(c.get('a', 1000)).toBeUndefined();
    expect(c.size).toBe(0);
    // Once dropped it stays gone even if asked with an earlier time.
    expect(c.get('a', 0)).toBeUndefined();
  });

  it('returns undefined for an unknown key', () => {
    expect(new LruCache<number>(1).get('nope', 0)).toBeUndefined();
  });

  it('evicts the least recently set entry when full', () => {
    const c = new LruCache<number>(3);
    c.set('a', 1, 1e9);
    c.set('b', 2, 1e9);
    c.set('c', 3, 1e9);
    c.set('d', 4, 1e9);
    expect(c.size).toBe(3);
    expect(c.get('a', 0)).toBeUndefined();
    expect(c.get('b', 0)).toBe(2);
    expect(c.get('c', 0)).toBe(3);
    expect(c.get('d', 0)).toBe(4);
  });

  it('get refreshes recency, so the entry read survives the next eviction', () => {
    const c = new LruCache<number>(3);
    c.set('a', 1, 1e9);
    c.set('b', 2, 1e9);
    c.set('c', 3, 1e9);
    expect(c.get('a', 0)).toBe(1);
    c.set('d', 4, 1e9);
    expect(c.get('a', 0)).toBe(1);
    expect(c.get('b', 0)).toBeUndefined();
    c.set('e', 5, 1e9);
    expect(c.get('c', 0)).toBeUndefined();
    expect(c.get('a', 0)).toBe(1);
  });

  it('setting an existing key replaces its value and expiry and refreshes recency', () => {
    const c = new LruCache<number>(2);
    c.set('a', 1, 100);
    c.set('b', 2, 1e9);
    c.set('a', 10, 1e9);
    expect(c.size).toBe(2);
    c.set('c', 3, 1e9);
    expect(c.get('b', 0)).toBeUndefined();
    expect(c.get('a', 500)).toBe(10);
  });

  it('delete removes an entry', () => {
    const c = new LruCache<number>(2);
    c.set('a', 1, 1e9);
    c.delete('a');
    expect(c.get('a', 0)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects maxEntries %s', (n) => {
    expect(() => new LruCache(n)).toThrow(RangeError);
  });
});
