import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  base62,
  CHECKSUM_LENGTH,
  crc32,
  displayStart,
  generateKey,
  hashKey,
  parseKey,
  RANDOM_BYTES,
  RANDOM_LENGTH,
} from '../../core/key-format';

const KEY_SHAPE = /^kg_(live|test)_[0-9A-Za-z]{49}$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Replaces the character at `index` with a different base62 character. */
function flipChar(text: string, index: number): string {
  const c = text[index]!;
  const replacement = c === 'A' ? 'B' : 'A';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

describe('generateKey', () => {
  it('produces <prefix>_<env>_<49 base62 characters>', () => {
    const live = generateKey('kg', 'live');
    const test = generateKey('kg', 'test');
    expect(live.plaintext).toMatch(KEY_SHAPE);
    expect(live.plaintext.startsWith('kg_live_')).toBe(true);
    expect(test.plaintext.startsWith('kg_test_')).toBe(true);
    expect(live.plaintext.length).toBe('kg_live_'.length + RANDOM_LENGTH + CHECKSUM_LENGTH);
    expect(RANDOM_LENGTH + CHECKSUM_LENGTH).toBe(49);
  });

  it('uses a custom prefix', () => {
    const k = generateKey('acme9', 'live');
    expect(k.plaintext).toMatch(/^acme9_live_[0-9A-Za-z]{49}$/);
    expect(parseKey(k.plaintext, 'acme9')).toEqual({ ok: true, prefix: 'acme9', environment: 'live' });
  });

  it('hashes the whole key with SHA-256 (hex)', () => {
    const k = generateKey('kg', 'live');
    const expected = createHash('sha256').update(k.plaintext, 'utf8').digest('hex');
    expect(k.hash).toBe(expected);
    expect(k.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashKey(k.plaintext)).toBe(expected);
  });

  it('exposes prefix_env_ plus the first 4 random characters as start', () => {
    const k = generateKey('kg', 'test');
    expect(k.start).toBe(k.plaintext.slice(0, 'kg_test_'.length + 4));
    expect(k.start).toMatch(/^kg_test_[0-9A-Za-z]{4}$/);
    expect(displayStart('kg_live_AbCdEfGh')).toBe('kg_live_AbCd');
  });

  it('is deterministic for injected random bytes: 32 zero bytes give an all-zero random part', () => {
    const zero = Buffer.alloc(RANDOM_BYTES, 0);
    const a = generateKey('kg', 'live', zero);
    const b = generateKey('kg', 'live', Buffer.alloc(RANDOM_BYTES, 0));
    expect(a).toEqual(b);
    expect(a.plaintext.slice('kg_live_'.length, 'kg_live_'.length + RANDOM_LENGTH)).toBe('0'.repeat(RANDOM_LENGTH));
    expect(a.start).toBe('kg_live_0000');
    const body = `kg_live_${'0'.repeat(RANDOM_LENGTH)}`;
    expect(a.plaintext).toBe(body + base62(BigInt(crc32(body)), CHECKSUM_LENGTH));
    expect(parseKey(a.plaintext, 'kg')).toEqual({ ok: true, prefix: 'kg', environment: 'live' });
  });

  it('encodes 32 bytes of 0xff (2^256 - 1) in the 43-character random part', () => {
    const k = generateKey('kg', 'live', Buffer.alloc(RANDOM_BYTES, 0xff));
    const random = k.plaintext.slice('kg_live_'.length, 'kg_live_'.length + RANDOM_LENGTH);
    expect(random).toBe(base62((1n << 256n) - 1n, RANDOM_LENGTH));
    expect(random).not.toBe('0'.repeat(RANDOM_LENGTH));
    expect(parseKey(k.plaintext).ok).toBe(true);
  });

  it('different random bytes give different keys', () => {
    const one = Buffer.alloc(RANDOM_BYTES, 0);
    one[RANDOM_BYTES - 1] = 1;
    const a = generateKey('kg', 'live', Buffer.alloc(RANDOM_BYTES, 0));
    const b = generateKey('kg', 'live', one);
    expect(b.plaintext.slice('kg_live_'.length, 'kg_live_'.length + RANDOM_LENGTH)).toBe('0'.repeat(RANDOM_LENGTH - 1) + '1');
    expect(a.plaintext).not.toBe(b.plaintext);
    expect(a.hash).not.toBe(b.hash);
  });

  it.each([0, 31, 33])('rejects %i random bytes', (n) => {
    expect(() => generateKey('kg', 'live', Buffer.alloc(n))).toThrow(RangeError);
  });

  it('1000 generated keys are unique and all parse', () => {
    const keys = new Set<string>();
    const hashes = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const k = generateKey('kg', i % 2 === 0 ? 'live' : 'test');
      expect(parseKey(k.plaintext, 'kg').ok).toBe(true);
      keys.add(k.plaintext);
      hashes.add(k.hash);
    }
    expect(keys.size).toBe(1000);
    expect(hashes.size).toBe(1000);
  });
});

describe('parseKey', () => {
  const key = generateKey('kg', 'live').plaintext;

  it('accepts a generated key and reports prefix and environment', () => {
    expect(parseKey(key)).toEqual({ ok: true, prefix: 'kg', environment: 'live' });
    expect(parseKey(key, 'kg')).toEqual({ ok: true, prefix: 'kg', environment: 'live' });
    const t = generateKey('kg', 'test').plaintext;
    expect(parseKey(t, 'kg')).toEqual({ ok: true, prefix: 'kg', environment: 'test' });
  });

  it('rejects a key with a bad checksum (one character of the random part flipped)', () => {
    const index = 'kg_live_'.length + 10;
    const tampered = flipChar(key, index);
    expect(tampered).not.toBe(key);
    expect(tampered).toMatch(KEY_SHAPE);
    expect(parseKey(tampered, 'kg')).toEqual({ ok: false, reason: 'checksum' });
  });

  it('rejects a key with a flipped checksum character', () => {
    expect(parseKey(flipChar(key, key.length - 1), 'kg')).toEqual({ ok: false, reason: 'checksum' });
  });

  it('rejects a truncated key', () => {
    expect(parseKey(key.slice(0, -1), 'kg')).toEqual({ ok: false, reason: 'format' });
    expect(parseKey(key.slice(0, 20), 'kg')).toEqual({ ok: false, reason: 'format' });
  });

  it('rejects a key with an extra character', () => {
    expect(parseKey(key + 'A', 'kg')).toEqual({ ok: false, reason: 'format' });
  });

  it('rejects a key with an unknown environment', () => {
    const prod = key.replace('kg_live_', 'kg_prod_');
    expect(parseKey(prod)).toEqual({ ok: false, reason: 'format' });
  });

  it('rejects a valid key whose environment was swapped (checksum covers it)', () => {
    const swapped = key.replace('kg_live_', 'kg_test_');
    expect(parseKey(swapped)).toEqual({ ok: false, reason: 'checksum' });
  });

  it('rejects a key of another prefix when expectedPrefix is given', () => {
    const other = generateKey('acme', 'live').plaintext;
    expect(parseKey(other)).toEqual({ ok: true, prefix: 'acme', environment: 'live' });
    expect(parseKey(other, 'kg')).toEqual({ ok: false, reason: 'prefix' });
  });

  it.each([
    ['a dash', '-'],
    ['a plus', '+'],
    ['a slash', '/'],
    ['an underscore', '_'],
    ['a non-ASCII letter', 'é'],
  ])('rejects a key containing %s', (_what, ch) => {
    const index = 'kg_live_'.length + 5;
    const bad = key.slice(0, index) + ch + key.slice(index + 1);
    expect(parseKey(bad)).toEqual({ ok: false, reason: 'format' });
  });

  it('rejects surrounding whitespace, an uppercase prefix and an empty string', () => {
    expect(parseKey(` ${key}`)).toEqual({ ok: false, reason: 'format' });
    expect(parseKey(`${key}\n`)).toEqual({ ok: false, reason: 'format' });
    expect(parseKey(key.replace(/^kg/, 'KG'))).toEqual({ ok: false, reason: 'format' });
    expect(parseKey('')).toEqual({ ok: false, reason: 'format' });
  });
});

describe('crc32', () => {
  it('matches the standard check value for "123456789"', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
  });

  it('is 0 for the empty string and known for "a"', () => {
    expect(crc32('')).toBe(0);
    expect(crc32('a')).toBe(0xe8b7be43);
  });

  it('agrees with node:zlib on UTF-8 text', () => {
    for (const text of ['é', 'kg_live_' + '0'.repeat(43), 'Grüße, 世界', 'x'.repeat(1000)]) {
      expect(crc32(text)).toBe(zlibCrc32(Buffer.from(text, 'utf8')));
    }
  });
});

describe('base62', () => {
  it('encodes with fixed width, zero-padded', () => {
    expect(base62(0n, 3)).toBe('000');
    expect(base62(61n, 2)).toBe('0z');
    expect(base62(62n, 2)).toBe('10');
    expect(base62(62n * 62n - 1n, 2)).toBe('zz');
  });

  it('uses the digits, upper then lower case alphabet', () => {
    for (let i = 0; i < 62; i++) expect(base62(BigInt(i), 1)).toBe(BASE62[i]);
  });

  it('rejects a value that does not fit the width', () => {
    expect(() => base62(62n, 1)).toThrow(RangeError);
    expect(() => base62(62n ** 6n, CHECKSUM_LENGTH)).toThrow(RangeError);
  });

  it('fits every CRC32 in the checksum width and every 256-bit value in the random width', () => {
    expect(base62(0xffffffffn, CHECKSUM_LENGTH)).toHaveLength(CHECKSUM_LENGTH);
    expect(base62((1n << 256n) - 1n, RANDOM_LENGTH)).toHaveLength(RANDOM_LENGTH);
  });
});
