import { describe, expect, it } from 'vitest';
import { isKeyId, KEY_ID_PATTERN, newKeyId, ulid } from '../../core/ids';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

describe('ulid', () => {
  it('is 26 Crockford base32 characters: 10 of time, 16 of randomness', () => {
    const id = ulid(Date.UTC(2025, 0, 1));
    expect(id).toHaveLength(26);
    for (const ch of id) expect(CROCKFORD).toContain(ch);
    expect(id).not.toMatch(/[ILOU]/);
  });

  it('encodes time 0 and zero randomness as all zeros', () => {
    expect(ulid(0, Buffer.alloc(10))).toBe('0'.repeat(26));
  });

  it('encodes the millisecond time big-endian in the first 10 characters', () => {
    expect(ulid(1, Buffer.alloc(10)).slice(0, 10)).toBe('0000000001');
    expect(ulid(32, Buffer.alloc(10)).slice(0, 10)).toBe('0000000010');
    expect(ulid(31, Buffer.alloc(10)).slice(0, 10)).toBe('000000000Z');
    // The example from the ULID specification: 1469918176385 ms -> 01ARYZ6S41
    expect(ulid(1469918176385, Buffer.alloc(10)).slice(0, 10)).toBe('01ARYZ6S41');
  });

  it('encodes 80 random bits in the last 16 characters', () => {
    expect(ulid(0, Buffer.alloc(10, 0xff)).slice(10)).toBe('Z'.repeat(16));
    const one = Buffer.alloc(10);
    one[9] = 1;
    expect(ulid(0, one).slice(10)).toBe('0'.repeat(15) + '1');
  });

  it('sorts by time: ids for increasing milliseconds compare increasing', () => {
    const base = Date.UTC(2025, 5, 15, 12, 0, 0);
    const times = [0, 1, 31, 32, 1000, 59_999, 86_400_000, 365 * 86_400_000];
    // Worst case for ordering: the earlier id has maximal randomness, the later one minimal.
    const ids = times.map((dt, i) => ulid(base + dt, Buffer.alloc(10, i % 2 === 0 ? 0xff : 0x00)));
    for (let i = 1; i < ids.length; i++) expect(ids[i - 1]! < ids[i]!).toBe(true);
    expect([...ids].reverse().sort()).toEqual(ids);
  });
});

describe('newKeyId', () => {
  it('matches KEY_ID_PATTERN and is key_ + a ULID', () => {
    const id = newKeyId(Date.now());
    expect(id).toMatch(KEY_ID_PATTERN);
    expect(id.startsWith('key_')).toBe(true);
    expect(isKeyId(id)).toBe(true);
  });

  it('gives distinct ids within the same millisecond', () => {
    const now = Date.UTC(2025, 0, 1);
    const ids = new Set(Array.from({ length: 200 }, () => newKeyId(now)));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id.slice(0, 14)).toBe(`key_${ulid(now, Buffer.alloc(10)).slice(0, 10)}`);
  });

  it('ids of later keys sort after ids of earlier keys', () => {
    const a = newKeyId(Date.UTC(2025, 0, 1, 0, 0, 0, 0));
    const b = newKeyId(Date.UTC(2025, 0, 1, 0, 0, 0, 1));
    expect(a < b).toBe(true);
  });
});

describe('isKeyId', () => {
  it.each([
    ['no key_ prefix', '01ARYZ6S41TSV4RRFFQ69G5FAV'],
    ['a lowercase ULID', 'key_01aryz6s41tsv4rrffq69g5fav'],
    ['an excluded letter I', 'key_01ARYZ6S41TSV4RRFFQ69G5FAI'],
    ['an excluded letter U', 'key_01ARYZ6S41TSV4RRFFQ69G5FAU'],
    ['a short id', 'key_01ARYZ6S41TSV4RRFFQ69G5FA'],
    ['a long id', 'key_01ARYZ6S41TSV4RRFFQ69G5FAVV'],
    ['an empty string', ''],
  ])('rejects %s', (_what, value) => {
    expect(isKeyId(value)).toBe(false);
  });

  it('accepts a well-formed id', () => {
    expect(isKeyId('key_01ARYZ6S41TSV4RRFFQ69G5FAV')).toBe(true);
  });
});
