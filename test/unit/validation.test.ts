import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../core/problem';
import { LIMITS, parseAuditQuery, parseAuditVerifyQuery, parseCreateKey, parseListQuery, parseRotateKey, parseUpdateKey } from '../../core/validation';

const NOW = new Date('2025-06-01T12:00:00.000Z');

/** Runs `fn`, expects a ProblemError, and returns it. */
function problemFrom(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    return err as ProblemError;
  }
  throw new Error('expected a ProblemError, nothing was thrown');
}

/** Expects a 400 validation_failed problem and returns the fields it names. */
function failedFields(fn: () => unknown): string[] {
  const p = problemFrom(fn);
  expect(p.status).toBe(400);
  expect(p.code).toBe('validation_failed');
  expect(p.errors).toBeDefined();
  return p.errors!.map((e) => e.field);
}

const create = (body: Record<string, unknown>) => () => parseCreateKey({ name: 'ci', ...body }, NOW);

describe('parseCreateKey', () => {
  it('returns the minimal input with defaults', () => {
    expect(parseCreateKey({ name: 'ci' }, NOW)).toEqual({ name: 'ci', scopes: [], environment: 'live' });
  });

  it('normalises a full input', () => {
    const input = parseCreateKey(
      {
        name: '  deploy bot  ',
        description: ' builds ',
        ownerId: 'team-a@example.com',
        scopes: ['orders:read', 'orders:write', 'orders:read'],
        expiresAt: '2030-01-31T01:00:00+01:00',
        rateLimit: { limit: 100, windowSeconds: 60 },
        quota: { daily: 1000, monthly: 20000 },
        allowedIps: ['10.1.2.3/8', '2001:DB8::1', '10.0.0.0/8'],
        metadata: { team: 'a', n: 1 },
        environment: 'test',
      },
      NOW,
    );
    expect(input).toEqual({
      name: 'deploy bot',
      description: 'builds',
      ownerId: 'team-a@example.com',
      scopes: ['orders:read', 'orders:write'],
      expiresAt: '2030-01-31T00:00:00.000Z',
      rateLimit: { limit: 100, windowSeconds: 60 },
      quota: { daily: 1000, monthly: 20000 },
      allowedIps: ['10.0.0.0/8', '2001:db8::1/128'],
      metadata: { team: 'a', n: 1 },
      environment: 'test',
    });
  });

  it('turns expiresInDays into expiresAt counted from the given now', () => {
    expect(parseCreateKey({ name: 'ci', expiresInDays: 30 }, NOW).expiresAt).toBe('2025-07-01T12:00:00.000Z');
    expect(parseCreateKey({ name: 'ci', expiresInDays: 1 }, NOW).expiresAt).toBe('2025-06-02T12:00:00.000Z');
  });

  it('accepts a quota with only daily or only monthly', () => {
    expect(parseCreateKey({ name: 'ci', quota: { daily: 5 } }, NOW).quota).toEqual({ daily: 5 });
    expect(parseCreateKey({ name: 'ci', quota: { monthly: 5 } }, NOW).quota).toEqual({ monthly: 5 });
  });

  it('accepts metadata at exactly the byte limit', () => {
    const filler = 'x'.repeat(LIMITS.metadataMaxBytes - JSON.stringify({ a: '' }).length);
    const metadata = { a: filler };
    expect(Buffer.byteLength(JSON.stringify(metadata))).toBe(LIMITS.metadataMaxBytes);
    expect(parseCreateKey({ name: 'ci', metadata }, NOW).metadata).toEqual(metadata);
  });

  it('rejects a missing name', () => {
    expect(failedFields(() => parseCreateKey({}, NOW))).toEqual(['name']);
  });

  it.each([
    ['a blank name', { name: '   ' }, 'name'],
    ['a name over 128 characters', { name: 'n'.repeat(129) }, 'name'],
    ['a name with a control character', { name: 'a\nb' }, 'name'],
    ['a numeric name', { name: 42 }, 'name'],
    ['a description that is not a string', { description: ['x'] }, 'description'],
    ['a numeric ownerId', { ownerId: 7 }, 'ownerId'],
    ['an ownerId with a space', { ownerId: 'team a' }, 'ownerId'],
    ['scopes that are a string', { scopes: 'orders:read' }, 'scopes'],
    ['a scope that is not a scope name', { scopes: ['orders:read', 'Orders Read'] }, 'scopes[1]'],
    ['too many scopes', { scopes: Array.from({ length: 51 }, (_, i) => `s${i}`) }, 'scopes'],
    ['expiresInDays as a string', { expiresInDays: '30' }, 'expiresInDays'],
    ['expiresInDays of 0', { expiresInDays: 0 }, 'expiresInDays'],
    ['expiresInDays over the maximum', { expiresInDays: 3651 }, 'expiresInDays'],
    ['a fractional expiresInDays', { expiresInDays: 1.5 }, 'expiresInDays'],
    ['a rateLimit that is not an object', { rateLimit: 100 }, 'rateLimit'],
    ['a rateLimit limit of 0', { rateLimit: { limit: 0, windowSeconds: 60 } }, 'rateLimit.limit'],
    ['a rateLimit windowSeconds of 0', { rateLimit: { limit: 1, windowSeconds: 0 } }, 'rateLimit.windowSeconds'],
    ['a rateLimit windowSeconds of 3601', { rateLimit: { limit: 1, windowSeconds: 3601 } }, 'rateLimit.windowSeconds'],
    ['a rateLimit windowSeconds as a string', { rateLimit: { limit: 1, windowSeconds: '60' } }, 'rateLimit.windowSeconds'],
    ['an unknown field in rateLimit', { rateLimit: { limit: 1, windowSeconds: 60, bucket: 5 } }, 'rateLimit.bucket'],
    ['a quota daily over its monthly', { quota: { daily: 101, monthly: 100 } }, 'quota'],
    ['an empty quota', { quota: {} }, 'quota'],
    ['a quota that is an array', { quota: [1] }, 'quota'],
    ['a quota daily of 0', { quota: { daily: 0 } }, 'quota.daily'],
    ['an unknown field in quota', { quota: { daily: 1, weekly: 5 } }, 'quota.weekly'],
    ['an invalid CIDR in allowedIps', { allowedIps: ['10.0.0.0/8', '10.0.0.0/33'] }, 'allowedIps[1]'],
    ['a non-string entry in allowedIps', { allowedIps: ['10.0.0.0/8', 10] }, 'allowedIps[1]'],
    ['an empty allowedIps', { allowedIps: [] }, 'allowedIps'],
    ['allowedIps that is a string', { allowedIps: '10.0.0.0/8' }, 'allowedIps'],
    ['too many allowedIps', { allowedIps: Array.from({ length: 101 }, (_, i) => `10.0.0.${i}`) }, 'allowedIps'],
    ['metadata that is an array', { metadata: [1, 2] }, 'metadata'],
    ['metadata that is a string', { metadata: '{"a":1}' }, 'metadata'],
    ['metadata that is null', { metadata: null }, 'metadata'],
    ['an unknown environment', { environment: 'prod' }, 'environment'],
    ['an unknown top-level field', { owner: 'x' }, 'owner'],
  ])('rejects %s', (_what, body, field) => {
    expect(failedFields(create(body))).toEqual([field]);
  });

  describe('rateLimit.policy and rateLimit.burst', () => {
    it.each([
      ['fixed', { limit: 100, windowSeconds: 60, policy: 'fixed' }],
      ['sliding', { limit: 100, windowSeconds: 60, policy: 'sliding' }],
      ['tokenBucket without burst', { limit: 100, windowSeconds: 60, policy: 'tokenBucket' }],
      ['tokenBucket with a burst below the limit', { limit: 100, windowSeconds: 60, policy: 'tokenBucket', burst: 1 }],
      ['tokenBucket with the largest burst', { limit: 1, windowSeconds: 1, policy: 'tokenBucket', burst: LIMITS.rateLimitMax }],
      ['no policy (fixed, stored without one)', { limit: 100, windowSeconds: 60 }],
    ])('keeps %s exactly as sent', (_what, rateLimit) => {
      // Act
      const input = parseCreateKey({ name: 'ci', rateLimit }, NOW);

      // Assess
      expect(input.rateLimit).toEqual(rateLimit);
      expect(Object.keys(input.rateLimit!)).toEqual(Object.keys(rateLimit));
    });

    it.each([
      ['an unknown policy', { policy: 'leaky' }, 'rateLimit.policy', 'must be "fixed", "sliding" or "tokenBucket"', undefined],
      ['a policy in another case', { policy: 'TokenBucket' }, 'rateLimit.policy', 'must be "fixed", "sliding" or "tokenBucket"', undefined],
      ['a numeric policy', { policy: 1 }, 'rateLimit.policy', 'must be "fixed", "sliding" or "tokenBucket"', undefined],
      ['a null policy', { policy: null }, 'rateLimit.policy', 'must be "fixed", "sliding" or "tokenBucket"', undefined],
      ['a burst without a policy', { burst: 10 }, 'rateLimit.burst', 'is only allowed with policy "tokenBucket"', 'burst_without_token_bucket'],
      ['a burst with policy fixed', { policy: 'fixed', burst: 10 }, 'rateLimit.burst', 'is only allowed with policy "tokenBucket"', 'burst_without_token_bucket'],
      ['a burst with policy sliding', { policy: 'sliding', burst: 10 }, 'rateLimit.burst', 'is only allowed with policy "tokenBucket"', 'burst_without_token_bucket'],
      ['a burst of 0', { policy: 'tokenBucket', burst: 0 }, 'rateLimit.burst', `must be from 1 to ${LIMITS.rateLimitMax}`, undefined],
      ['a burst over the bound', { policy: 'tokenBucket', burst: LIMITS.rateLimitMax + 1 }, 'rateLimit.burst', `must be from 1 to ${LIMITS.rateLimitMax}`, undefined],
      ['a fractional burst', { policy: 'tokenBucket', burst: 1.5 }, 'rateLimit.burst', 'must be an integer', undefined],
      ['a burst as a string', { policy: 'tokenBucket', burst: '10' }, 'rateLimit.burst', 'must be an integer', undefined],
    ])('rejects %s', (_what, extra, field, message, code) => {
      // Act
      const p = problemFrom(create({ rateLimit: { limit: 100, windowSeconds: 60, ...extra } }));

      // Assess
      expect(p.status).toBe(400);
      expect(p.errors).toEqual([{ field, message, ...(code ? { code } : {}) }]);
    });

    it('names only the bad policy when a burst comes with it (the burst rule needs a valid policy)', () => {
      expect(failedFields(create({ rateLimit: { limit: 1, windowSeconds: 1, policy: 'gcra', burst: 5 } }))).toEqual(['rateLimit.policy']);
    });

    it('reports a bad limit and a burst without tokenBucket together', () => {
      expect(failedFields(create({ rateLimit: { limit: 0, windowSeconds: 1, burst: 5 } }))).toEqual(['rateLimit.limit', 'rateLimit.burst']);
    });

    it('takes policy and burst from a template whole, and a request rateLimit replaces them whole', () => {
      // Prepare
      const templates = [{ name: 'bursty', scopes: [], rateLimit: { limit: 10, windowSeconds: 1, policy: 'tokenBucket' as const, burst: 50 } }];

      // Act
      const fromTemplate = parseCreateKey({ name: 'a', template: 'bursty' }, NOW, templates);
      const overridden = parseCreateKey({ name: 'b', template: 'bursty', rateLimit: { limit: 5, windowSeconds: 1 } }, NOW, templates);

      // Assess
      expect(fromTemplate.rateLimit).toEqual({ limit: 10, windowSeconds: 1, policy: 'tokenBucket', burst: 50 });
      expect(overridden.rateLimit).toEqual({ limit: 5, windowSeconds: 1 });
    });
  });

  it('rejects metadata over 4096 bytes as JSON, counting UTF-8 bytes not characters', () => {
    // 1400 × "€" is 1400 characters but 4200 bytes.
    const metadata = { a: '€'.repeat(1400) };
    expect(JSON.stringify(metadata).length).toBeLessThan(LIMITS.metadataMaxBytes);
    expect(failedFields(create({ metadata }))).toEqual(['metadata']);
  });

  it('rejects an expiresAt in the past or equal to now', () => {
    expect(failedFields(create({ expiresAt: '2025-06-01T11:59:59Z' }))).toEqual(['expiresAt']);
    expect(failedFields(create({ expiresAt: NOW.toISOString() }))).toEqual(['expiresAt']);
  });

  it.each([
    ['no time zone', '2030-01-01T00:00:00'],
    ['only a date', '2030-01-01'],
    ['a space separator', '2030-01-01 00:00:00Z'],
    ['an impossible month', '2030-13-01T00:00:00Z'],
    ['epoch milliseconds', 1893456000000],
    ['free text', 'next tuesday'],
  ])('rejects an expiresAt with %s', (_what, expiresAt) => {
    expect(failedFields(create({ expiresAt }))).toEqual(['expiresAt']);
  });

  // Known bug (reported): Date.parse rolls 2030-02-31 over to 2030-03-03, so the date is accepted
  // and silently changed. Turn this into a plain `it` once futureDate() checks the calendar day.
  it('rejects an expiresAt on a day the month does not have', () => {
    expect(failedFields(create({ expiresAt: '2030-02-31T00:00:00Z' }))).toEqual(['expiresAt']);
  });

  it('rejects both expiresAt and expiresInDays', () => {
    expect(failedFields(create({ expiresAt: '2030-01-01T00:00:00Z', expiresInDays: 5 }))).toEqual(['expiresInDays']);
  });

  it('lists every field in error, with a detail naming the first', () => {
    const p = problemFrom(() => parseCreateKey({ name: '', scopes: 'x', extra: true }, NOW));
    expect(p.errors!.map((e) => e.field).sort()).toEqual(['extra', 'name', 'scopes']);
    expect(p.detail).toMatch(/^extra: unknown field \(and 2 more\)$/);
    expect(p.toBody('req-1')).toMatchObject({ status: 400, code: 'validation_failed', requestId: 'req-1' });
  });

  it.each([
    ['null', null],
    ['an array', [{ name: 'ci' }]],
    ['a string', '{"name":"ci"}'],
    ['a number', 1],
    ['undefined', undefined],
  ])('rejects a body that is %s as invalid_body', (_what, body) => {
    const p = problemFrom(() => parseCreateKey(body, NOW));
    expect(p.status).toBe(400);
    expect(p.code).toBe('invalid_body');
  });
});

describe('parseUpdateKey', () => {
  it('returns only the fields given, normalised', () => {
    expect(
      parseUpdateKey({ name: ' renamed ', scopes: ['a:b', 'a:b'], allowedIps: ['192.168.1.7/24'], expiresAt: '2030-06-01T00:00:00-02:00' }, NOW),
    ).toEqual({ name: 'renamed', scopes: ['a:b'], allowedIps: ['192.168.1.0/24'], expiresAt: '2030-06-01T02:00:00.000Z' });
  });

  it('keeps null to clear nullable fields', () => {
    const body = { description: null, expiresAt: null, rateLimit: null, quota: null, allowedIps: null, metadata: null };
    expect(parseUpdateKey(body, NOW)).toEqual(body);
  });

  it('rejects an empty body', () => {
    expect(failedFields(() => parseUpdateKey({}, NOW))).toEqual(['body']);
  });

  it.each([
    { limit: 10, windowSeconds: 60, policy: 'sliding' },
    { limit: 10, windowSeconds: 60, policy: 'tokenBucket', burst: 40 },
    { limit: 10, windowSeconds: 60, policy: 'fixed' },
  ])('keeps a rateLimit with a policy as sent: %j', (rateLimit) => {
    expect(parseUpdateKey({ rateLimit }, NOW)).toEqual({ rateLimit });
  });

  it.each([
    ['a null name', { name: null }, 'name'],
    ['null scopes', { scopes: null }, 'scopes'],
    ['an unknown field', { ownerId: 'someone-else' }, 'ownerId'],
    ['environment (not updatable)', { environment: 'test' }, 'environment'],
    ['expiresInDays (create only)', { expiresInDays: 5 }, 'expiresInDays'],
    ['a past expiresAt', { expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
    ['an expiresAt without zone', { expiresAt: '2030-01-01T00:00:00' }, 'expiresAt'],
    ['an empty allowedIps', { allowedIps: [] }, 'allowedIps'],
    ['a bad CIDR in allowedIps', { allowedIps: ['::1', 'fe80::1%eth0'] }, 'allowedIps[1]'],
    ['an unknown field in rateLimit', { rateLimit: { limit: 1, windowSeconds: 1, x: 1 } }, 'rateLimit.x'],
    ['a burst without tokenBucket', { rateLimit: { limit: 1, windowSeconds: 1, policy: 'sliding', burst: 2 } }, 'rateLimit.burst'],
    ['a burst with no policy', { rateLimit: { limit: 1, windowSeconds: 1, burst: 2 } }, 'rateLimit.burst'],
    ['an unknown policy', { rateLimit: { limit: 1, windowSeconds: 1, policy: 'window' } }, 'rateLimit.policy'],
    ['a quota daily over its monthly', { quota: { daily: 10, monthly: 9 } }, 'quota'],
    ['metadata that is an array', { metadata: [] }, 'metadata'],
  ])('rejects %s', (_what, body, field) => {
    expect(failedFields(() => parseUpdateKey(body, NOW))).toEqual([field]);
  });

  it('rejects a non-object body as invalid_body', () => {
    expect(problemFrom(() => parseUpdateKey([], NOW)).code).toBe('invalid_body');
    expect(problemFrom(() => parseUpdateKey(null, NOW)).code).toBe('invalid_body');
  });
});

describe('parseRotateKey', () => {
  it('defaults the grace period to one day for an absent or empty body', () => {
    expect(parseRotateKey(undefined)).toEqual({ gracePeriodSeconds: 86400 });
    expect(parseRotateKey({})).toEqual({ gracePeriodSeconds: 86400 });
  });

  it('rejects a JSON null body like every other endpoint', () => {
    expect(() => parseRotateKey(null)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_body' }));
  });

  it('accepts a grace period from 0 to 30 days', () => {
    expect(parseRotateKey({ gracePeriodSeconds: 0 })).toEqual({ gracePeriodSeconds: 0 });
    expect(parseRotateKey({ gracePeriodSeconds: 30 * 86400 })).toEqual({ gracePeriodSeconds: 30 * 86400 });
  });

  it.each([
    ['a negative grace period', -1],
    ['a grace period over 30 days', 30 * 86400 + 1],
    ['a fractional grace period', 1.5],
    ['a grace period as a string', '60'],
  ])('rejects %s', (_what, gracePeriodSeconds) => {
    expect(failedFields(() => parseRotateKey({ gracePeriodSeconds }))).toEqual(['gracePeriodSeconds']);
  });

  it('rejects an unknown field', () => {
    expect(failedFields(() => parseRotateKey({ grace: 5 }))).toEqual(['grace']);
  });

  it('rejects a non-object body as invalid_body', () => {
    expect(problemFrom(() => parseRotateKey('60')).code).toBe('invalid_body');
  });
});

describe('parseListQuery', () => {
  it('defaults the limit to 25', () => {
    expect(parseListQuery({})).toEqual({ limit: 25 });
  });

  it('reads every parameter and ignores undefined values', () => {
    expect(parseListQuery({ ownerId: 'team-a', status: 'expired', limit: '100', cursor: 'abc_DEF-123', other: undefined })).toEqual({
      ownerId: 'team-a',
      status: 'expired',
      limit: 100,
      cursor: 'abc_DEF-123',
    });
    expect(parseListQuery({ limit: '1' }).limit).toBe(1);
  });

  it.each([
    ['a limit of 0', { limit: '0' }, 'limit'],
    ['a limit of 101', { limit: '101' }, 'limit'],
    ['a non-numeric limit', { limit: 'abc' }, 'limit'],
    ['a negative limit', { limit: '-5' }, 'limit'],
    ['a fractional limit', { limit: '2.5' }, 'limit'],
    ['an empty limit', { limit: '' }, 'limit'],
    ['an unknown status', { status: 'deleted' }, 'status'],
    ['a cursor with forbidden characters', { cursor: 'abc/def=' }, 'cursor'],
    ['a cursor over 200 characters', { cursor: 'a'.repeat(201) }, 'cursor'],
    ['an empty cursor', { cursor: '' }, 'cursor'],
    ['an invalid ownerId', { ownerId: '-starts-with-dash' }, 'ownerId'],
    ['an unknown query parameter', { sort: 'asc' }, 'sort'],
  ])('rejects %s', (_what, query, field) => {
    expect(failedFields(() => parseListQuery(query))).toEqual([field]);
  });
});

describe('text rules for names and descriptions', () => {
  /** Expects exactly one field error and returns it. */
  function onlyError(fn: () => unknown): { field: string; message: string; code?: string } {
    const p = problemFrom(fn);
    expect(p.code).toBe('validation_failed');
    expect(p.errors).toHaveLength(1);
    return p.errors![0]!;
  }

  it.each([
    ['a C1 control (U+0085 NEL)', 'a\u0085b', 'control_character', /control characters \(U\+0085 at character 2\)/],
    ['a C1 control (U+009B CSI)', 'a\u009b31mb', 'control_character', /U\+009B/],
    ['a line separator (U+2028)', 'a\u2028b', 'control_character', /U\+2028/],
    ['a right-to-left override (U+202E)', 'invoice\u202Efdp.exe', 'bidi_control', /bidirectional override or isolate characters \(U\+202E/],
    ['a left-to-right embedding (U+202A)', 'a\u202Ab', 'bidi_control', /U\+202A/],
    ['a first-strong isolate (U+2068)', 'a\u2068b', 'bidi_control', /U\+2068/],
    ['a pop directional isolate (U+2069)', 'a\u2069b', 'bidi_control', /U\+2069/],
    ['a zero-width space (U+200B)', 'ad\u200bmin', 'zero_width_character', /zero-width or invisible characters \(U\+200B/],
    ['a zero-width joiner (U+200D)', 'a\u200db', 'zero_width_character', /U\+200D/],
    ['a word joiner (U+2060)', 'a\u2060b', 'zero_width_character', /U\+2060/],
    ['a zero-width no-break space inside (U+FEFF)', 'a\ufeffb', 'zero_width_character', /U\+FEFF/],
    ['a lone high surrogate', 'a\ud800b', 'lone_surrogate', /unpaired UTF-16 surrogates \(U\+D800/],
    ['a lone low surrogate', 'a\udc00', 'lone_surrogate', /U\+DC00/],
    ['a reversed surrogate pair', 'a\udc00\ud800b', 'lone_surrogate', /U\+DC00/],
  ])('rejects a name with %s', (_what, name, code, message) => {
    // Act
    const err = onlyError(() => parseCreateKey({ name }, NOW));
    // Assess
    expect(err).toMatchObject({ field: 'name', code });
    expect(err.message).toMatch(message);
  });

  it('rejects the same characters in a description, in create and update', () => {
    expect(onlyError(() => parseCreateKey({ name: 'ci', description: 'x\u202ey' }, NOW))).toMatchObject({ field: 'description', code: 'bidi_control' });
    expect(onlyError(() => parseUpdateKey({ description: 'x\u200by' }, NOW))).toMatchObject({ field: 'description', code: 'zero_width_character' });
    expect(onlyError(() => parseUpdateKey({ name: 'x\u0085' }, NOW))).toMatchObject({ field: 'name', code: 'control_character' });
  });

  it('accepts scripts, emoji made of surrogate pairs, and right-to-left marks', () => {
    for (const name of ['🔑 Ключ 東京 café', 'שלום\u200f (prod)', 'مفتاح', '👍🏽', 'नमस्ते']) {
      expect(parseCreateKey({ name }, NOW).name).toBe(name);
    }
  });
});

describe('metadata limits', () => {
  const deep = (levels: number): Record<string, unknown> => {
    let v: Record<string, unknown> = { leaf: true };
    for (let i = 1; i < levels; i++) v = { a: v };
    return v;
  };

  it('accepts metadata nested exactly to the depth limit', () => {
    const metadata = deep(LIMITS.metadataMaxDepth);
    expect(parseCreateKey({ name: 'ci', metadata }, NOW).metadata).toBe(metadata);
  });

  it('rejects metadata nested one level deeper than the limit', () => {
    const p = problemFrom(() => parseCreateKey({ name: 'ci', metadata: deep(LIMITS.metadataMaxDepth + 1) }, NOW));
    expect(p.errors).toEqual([{ field: 'metadata', message: `must be nested at most ${LIMITS.metadataMaxDepth} levels deep`, code: 'nesting_too_deep' }]);
  });

  it('rejects metadata nested 100,000 levels deep with a field error, not a stack overflow', () => {
    // Prepare: deeper than JSON.stringify can recurse.
    let metadata: unknown = 1;
    for (let i = 0; i < 100_000; i++) metadata = [metadata];
    expect(() => JSON.stringify(metadata)).toThrow(RangeError);
    // Act + Assess
    expect(failedFields(() => parseUpdateKey({ metadata: { a: metadata } }, NOW))).toEqual(['metadata']);
  });

  it('measures the size exactly as JSON.stringify does', () => {
    const metadata = { s: 'é"\\\n\u0001', n: [1.5, -0, 1e21, 0.1], b: [true, false, null], o: {}, a: [], e: '🔑' };
    const exact = Buffer.byteLength(JSON.stringify(metadata));
    const pad = { ...metadata, p: 'x'.repeat(LIMITS.metadataMaxBytes - exact - ',"p":""'.length) };
    expect(Buffer.byteLength(JSON.stringify(pad))).toBe(LIMITS.metadataMaxBytes);
    expect(parseCreateKey({ name: 'ci', metadata: pad }, NOW).metadata).toBe(pad);
    expect(failedFields(create({ metadata: { ...pad, p: `${pad.p}x` } }))).toEqual(['metadata']);
  });

  it.each([
    ['a number outside the double range (JSON 1e400)', { n: Infinity }, 'number_out_of_range'],
    ['a lone surrogate in a value', { s: 'a\ud800' }, 'lone_surrogate'],
    ['a lone surrogate in a member name', { ['\udc00']: 1 }, 'lone_surrogate'],
    ['a value JSON cannot hold (BigInt)', { n: 1n }, 'not_json'],
    ['a Date object', { d: new Date(0) }, 'not_json'],
    ['an undefined member', { u: undefined }, 'not_json'],
  ])('rejects metadata holding %s', (_what, metadata, code) => {
    const p = problemFrom(create({ metadata }));
    expect(p.errors).toEqual([expect.objectContaining({ field: 'metadata', code })]);
  });
});

describe('maps keyed by user input', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('rejects the query parameter %s as an unknown field', (name) => {
    // Prepare: as the gateway builds it, with the name as an own member.
    const query = Object.assign(Object.create(null) as Record<string, string>, { [name]: '1' });
    Object.defineProperty(query, name, { value: '1', enumerable: true });
    // Act + Assess
    expect(failedFields(() => parseListQuery(query))).toEqual([name]);
  });

  it('shortens an unknown member name of 10,000 characters in the error', () => {
    const p = problemFrom(create({ ['x'.repeat(10_000)]: 1 }));
    expect(p.errors![0]!.field.length).toBeLessThanOrEqual(65);
  });

  it('lists at most 50 field errors but counts them all in the detail', () => {
    const body: Record<string, unknown> = { name: 'ci' };
    for (let i = 0; i < 500; i++) body[`u${i}`] = 1;
    const p = problemFrom(() => parseCreateKey(body, NOW));
    expect(p.errors).toHaveLength(50);
    expect(p.detail).toMatch(/\(and 499 more\)$/);
  });
});

describe('field errors from the schemas (core/schemas.ts)', () => {
  it('lists every unknown member at every level, top-level ones first', () => {
    // Act
    const fields = failedFields(() => parseCreateKey({ name: 'ci', rateLimit: { limit: 0, windowSeconds: 60, x: 1, y: 2 }, a: 1, b: 2 }, NOW));
    // Assess
    expect(fields).toEqual(['a', 'b', 'rateLimit.x', 'rateLimit.y', 'rateLimit.limit']);
  });

  it('reports too many scopes once, not each bad item', () => {
    const fields = failedFields(create({ scopes: Array.from({ length: 500 }, () => 'Not A Scope') }));
    expect(fields).toEqual(['scopes']);
  });

  it('names an unknown template with its code before the other fields', () => {
    const p = problemFrom(() => parseCreateKey({ template: 'nope', name: '' }, NOW, [{ name: 'reader', scopes: [] }]));
    expect(p.errors).toEqual([
      { field: 'template', message: expect.stringMatching(/no key template named "nope"/), code: 'unknown_template' },
      { field: 'name', message: 'must not be empty' },
    ]);
  });

  it('checks a quota across its members only when both are valid', () => {
    expect(failedFields(create({ quota: { daily: 2_000_000_000, monthly: 5 } }))).toEqual(['quota.daily']);
  });
});

describe('audit queries', () => {
  it('reads every filter, with from and to as dates', () => {
    expect(parseAuditQuery({ keyId: 'key_01J9Z8Q4R7T2V5W8X1Y4Z7A0B3', action: 'key.created', from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z', limit: '5', api_key: 'k' })).toEqual({
      keyId: 'key_01J9Z8Q4R7T2V5W8X1Y4Z7A0B3',
      action: 'key.created',
      from: new Date('2025-01-01T00:00:00Z'),
      to: new Date('2025-02-01T00:00:00Z'),
      limit: 5,
    });
  });

  it('refuses a to before from even when another parameter is wrong too', () => {
    expect(failedFields(() => parseAuditQuery({ from: '2025-02-01T00:00:00Z', to: '2025-01-01T00:00:00Z', limit: 'x' }))).toEqual(['to', 'limit']);
  });

  it('refuses an impossible to date as a field error, not a crash', () => {
    expect(failedFields(() => parseAuditQuery({ from: '2025-01-01T00:00:00Z', to: '2025-02-31T00:00:00Z' }))).toEqual(['to']);
  });

  it('refuses a cursor together with keyId', () => {
    expect(failedFields(() => parseAuditVerifyQuery({ keyId: 'key_01J9Z8Q4R7T2V5W8X1Y4Z7A0B3', cursor: 'abc' }))).toEqual(['cursor']);
  });
});
