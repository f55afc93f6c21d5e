import { describe, expect, it } from 'vitest';
import { decodeUtf8, parseStrictJson } from '../../core/json';
import { ProblemError } from '../../core/problem';

/** Runs `fn`, expects a 400 ProblemError, and returns it. */
function problemFrom(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).status).toBe(400);
    return err as ProblemError;
  }
  throw new Error('expected a ProblemError, nothing was thrown');
}

/** `levels` arrays, one inside the other. */
const nested = (levels: number, leaf = '1'): string => `${'['.repeat(levels)}${leaf}${']'.repeat(levels)}`;

describe('parseStrictJson', () => {
  it('returns the same value as JSON.parse for valid I-JSON', () => {
    // Prepare
    const text = '{"a":[1,{"b":"x\\"]}[{"}],"c":{"a":1},"d":"\\ud83d\\udd11","e":null}';
    // Act
    const value = parseStrictJson(text, 64);
    // Assess
    expect(value).toStrictEqual(JSON.parse(text));
  });

  it('accepts the same member name in different objects', () => {
    expect(parseStrictJson('{"a":{"a":1},"b":[{"a":1},{"a":2}]}', 64)).toStrictEqual({ a: { a: 1 }, b: [{ a: 1 }, { a: 2 }] });
  });

  it('accepts nesting exactly at the limit (the body object is level 1)', () => {
    expect(() => parseStrictJson(`{"m":${nested(63)}}`, 64)).not.toThrow();
  });

  it('rejects nesting one level over the limit, naming the top-level member', () => {
    const p = problemFrom(() => parseStrictJson(`{"name":"x","metadata":${nested(64)}}`, 64));
    expect(p.code).toBe('nesting_too_deep');
    expect(p.errors).toEqual([{ field: 'metadata', message: 'is nested more than 64 levels deep', code: 'nesting_too_deep' }]);
  });

  it('rejects 5,000 levels of arrays in a 10 KB body without a stack overflow', () => {
    const text = `{"metadata":{"a":${nested(5000)}}}`;
    expect(text.length).toBeLessThan(10_100);
    expect(problemFrom(() => parseStrictJson(text, 64)).code).toBe('nesting_too_deep');
  });

  it('does not count brackets inside strings as nesting', () => {
    expect(() => parseStrictJson(`{"a":"${'['.repeat(500)}"}`, 2)).not.toThrow();
  });

  it('rejects a duplicate top-level member, naming it', () => {
    const p = problemFrom(() => parseStrictJson('{"name":"a","name":"b"}', 64));
    expect(p.code).toBe('duplicate_member');
    expect(p.detail).toMatch(/^name: /);
    expect(p.errors).toEqual([{ field: 'name', message: 'appears more than once', code: 'duplicate_member' }]);
  });

  it('rejects a duplicate nested member, naming its path', () => {
    const p = problemFrom(() => parseStrictJson('{"rateLimit":{"limit":1,"windowSeconds":1,"limit":1000}}', 64));
    expect(p.errors?.[0]?.field).toBe('rateLimit.limit');
  });

  it('rejects a duplicate member inside an array element, naming its index', () => {
    const p = problemFrom(() => parseStrictJson('{"metadata":{"list":[{"a":1},{"b":1,"b":2}]}}', 64));
    expect(p.errors?.[0]?.field).toBe('metadata.list[1].b');
  });

  it('rejects members that differ only in escaping as duplicates', () => {
    expect(problemFrom(() => parseStrictJson('{"name":"a","n\\u0061me":"b"}', 64)).code).toBe('duplicate_member');
  });

  it('rejects an escaped lone surrogate in a value, naming the field', () => {
    const p = problemFrom(() => parseStrictJson('{"name":"a\\ud800b"}', 64));
    expect(p.code).toBe('lone_surrogate');
    expect(p.errors?.[0]?.field).toBe('name');
  });

  it('rejects an escaped lone low surrogate in a member name', () => {
    expect(problemFrom(() => parseStrictJson('{"metadata":{"\\udc00":1}}', 64)).code).toBe('lone_surrogate');
  });

  it('rejects a raw lone surrogate in the text as not UTF-8', () => {
    expect(problemFrom(() => parseStrictJson('{"name":"a\ud800"}', 64)).code).toBe('invalid_utf8');
  });

  it('rejects text that is not JSON with malformed_json and the parser message', () => {
    const p = problemFrom(() => parseStrictJson('{"name":', 64));
    expect(p.code).toBe('malformed_json');
    expect(p.detail).toMatch(/not valid JSON/);
  });

  it('shortens and escapes a hostile member name in the message', () => {
    const name = `\u001b[31m${'x'.repeat(200)}`;
    const p = problemFrom(() => parseStrictJson(`{${JSON.stringify(name)}:1,${JSON.stringify(name)}:2}`, 64));
    expect(p.detail).not.toContain('\u001b');
    expect(p.errors?.[0]?.field.length).toBeLessThan(80);
  });
});

describe('decodeUtf8', () => {
  it('decodes valid UTF-8, multi-byte characters included', () => {
    expect(decodeUtf8(Buffer.from('{"n":"🔑 café"}'))).toBe('{"n":"🔑 café"}');
  });

  it.each([
    ['a lone continuation byte', [0x61, 0x80]],
    ['an invalid byte 0xFF', [0x61, 0xff, 0x62]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded surrogate (CESU-8)', [0xed, 0xa0, 0x80]],
    ['a truncated 3-byte sequence', [0x61, 0xe2, 0x82]],
  ])('rejects %s with invalid_utf8 and the offset', (_what, bytes) => {
    const p = problemFrom(() => decodeUtf8(Uint8Array.from(bytes)));
    expect(p.code).toBe('invalid_utf8');
    expect(p.detail).toMatch(/offset \d+/);
  });

  it('reports the offset of the first bad byte', () => {
    expect(problemFrom(() => decodeUtf8(Buffer.concat([Buffer.from('{"name":"ab'), Buffer.from([0xff])]))).detail).toMatch(/offset 11\b/);
  });
});
