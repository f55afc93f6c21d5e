import { describe, expect, it } from 'vitest';
import { JsonLogger, redact } from '../../adapters/json-logger';
import { generateKey } from '../../core/key-format';
import type { LogLevel } from '../../core/ports';

const KEY = generateKey('kg', 'live').plaintext;
const TEST_KEY = generateKey('acme', 'test').plaintext;
const HASH = generateKey('kg', 'live').hash;

function capture(minLevel: LogLevel = 'debug', base: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const logger = new JsonLogger(base, (line) => lines.push(line), minLevel);
  const entries = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, entries };
}

describe('redact', () => {
  it('masks a key inside a message, keeping the text around it', () => {
    expect(redact(`presented ${KEY} from 10.0.0.1`)).toBe('presented [REDACTED] from 10.0.0.1');
    expect(redact(`Bearer ${TEST_KEY}`)).toBe('Bearer [REDACTED]');
  });

  it('masks every key in a string', () => {
    expect(redact(`${KEY},${TEST_KEY}`)).toBe('[REDACTED],[REDACTED]');
  });

  it('masks a key-shaped string even with a bad checksum or a truncated body', () => {
    const truncated = KEY.slice(0, 'kg_live_'.length + 20);
    expect(redact(`x=${truncated}`)).toBe('x=[REDACTED]');
  });

  it('masks 64-hex hashes', () => {
    expect(redact(`hash ${HASH} not found`)).toBe('hash [REDACTED] not found');
  });

  it('leaves ordinary text, ids and shorter hex alone', () => {
    const text = 'key key_01ARYZ6S41TSV4RRFFQ69G5FAV owner team_live_ops commit abc123def';
    expect(redact(text)).toBe(text);
  });

  it('masks keys and hashes in nested fields and arrays', () => {
    expect(redact({ a: { b: [`k=${KEY}`, { c: HASH }] }, n: 1, ok: true, nil: null })).toEqual({
      a: { b: ['k=[REDACTED]', { c: '[REDACTED]' }] },
      n: 1,
      ok: true,
      nil: null,
    });
  });

  it.each(['key', 'hash', 'authorization', 'Authorization', 'X-API-Key', 'apiKey', 'api_key', 'plaintext', 'secret', 'token', 'password'])(
    'masks the whole value of a field named %s',
    (name) => {
      expect(redact({ [name]: 'harmless-looking', other: 'kept' })).toEqual({ [name]: '[REDACTED]', other: 'kept' });
      expect(redact({ [name]: { nested: 'object' } })).toEqual({ [name]: '[REDACTED]' });
    },
  );

  it('does not mask fields whose names only contain a secret word', () => {
    expect(redact({ keyId: 'key_A', hashAlgorithm: 'sha256' })).toEqual({ keyId: 'key_A', hashAlgorithm: 'sha256' });
  });

  it('masks secret-named fields inside headers', () => {
    expect(redact({ headers: { Authorization: 'Bearer abc', 'User-Agent': 'curl' } })).toEqual({
      headers: { Authorization: '[REDACTED]', 'User-Agent': 'curl' },
    });
  });

  it('turns an Error into name and redacted message, and follows its cause', () => {
    const err = new TypeError(`bad key ${KEY}`, { cause: new Error(`hash ${HASH}`) });
    expect(redact(err)).toEqual({
      name: 'TypeError',
      message: 'bad key [REDACTED]',
      cause: { name: 'Error', message: 'hash [REDACTED]' },
    });
  });

  it('redacts an Error nested in fields', () => {
    expect(redact({ error: new Error(`failed for ${KEY}`) })).toEqual({ error: { name: 'Error', message: 'failed for [REDACTED]' } });
  });

  it('masks keys nested six levels deep', () => {
    const deep = { l1: { l2: { l3: { l4: { l5: { l6: `k ${KEY}` } } } } } };
    expect(JSON.stringify(redact(deep))).not.toContain(KEY);
  });

  // Known bug (reported): redact() returns objects deeper than 6 levels untouched, so secrets
  // there reach the log line. Turn this into a plain `it` once deep values are masked or dropped.
  it('leaves no key or secret field in objects nested deeper than six levels', () => {
    const deep = { l1: { l2: { l3: { l4: { l5: { l6: { l7: { key: 'opaque', note: `k ${KEY}` } } } } } } } };
    const out = JSON.stringify(redact(deep));
    expect(out).not.toContain(KEY);
    expect(out).not.toContain('opaque');
  });
});

describe('JsonLogger', () => {
  it('writes one JSON line with level, time, message, base fields and fields', () => {
    const { logger, lines, entries } = capture('debug', { service: 'keygate' });
    logger.log('info', 'request', { status: 200 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const [e] = entries();
    expect(e).toMatchObject({ level: 'info', message: 'request', service: 'keygate', status: 200 });
    expect(e!.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('redacts the message and the fields it writes', () => {
    const { logger, lines } = capture();
    logger.log('warn', `refused ${KEY}`, { hash: HASH, headers: { 'x-api-key': KEY }, detail: `hash=${HASH}` });
    expect(lines[0]).not.toContain(KEY);
    expect(lines[0]).not.toContain(HASH);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      message: 'refused [REDACTED]',
      hash: '[REDACTED]',
      headers: { 'x-api-key': '[REDACTED]' },
      detail: 'hash=[REDACTED]',
    });
  });

  it('serialises an Error field as name and message', () => {
    const { logger, entries } = capture();
    logger.log('error', 'request failed', { error: new RangeError('out of range') });
    expect(entries()[0]!.error).toEqual({ name: 'RangeError', message: 'out of range' });
  });

  it.each<[LogLevel, LogLevel[]]>([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ])('with minLevel %s writes only %j', (minLevel, written) => {
    const { logger, entries } = capture(minLevel);
    for (const level of ['debug', 'info', 'warn', 'error'] as const) logger.log(level, level);
    expect(entries().map((e) => e.level)).toEqual(written);
  });

  it('child loggers add fields and keep the sink and minLevel', () => {
    const { logger, entries } = capture('warn', { service: 'keygate' });
    const child = logger.child({ requestId: 'r-1' });
    child.log('info', 'dropped');
    child.log('error', 'kept', { n: 1 });
    expect(entries()).toHaveLength(1);
    expect(entries()[0]).toMatchObject({ level: 'error', message: 'kept', service: 'keygate', requestId: 'r-1', n: 1 });
  });

  it('redacts secrets passed as child fields', () => {
    const { logger, lines } = capture();
    logger.child({ authorization: `Bearer ${KEY}` }).log('info', 'x');
    expect(lines[0]).not.toContain(KEY);
    expect(JSON.parse(lines[0]!).authorization).toBe('[REDACTED]');
  });
});
