/**
 * Property-based fuzzing of the validation core and the strict JSON reader: whatever the
 * input, each parser returns a valid value or throws a 4xx ProblemError that names what is
 * wrong, and nothing else (no TypeError, no RangeError from recursion).
 * Longer run: `npm run fuzz`; replay: KEYGATE_FUZZ_SEED=<seed printed by fast-check>.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStrictJson } from '../../core/json';
import { ProblemError } from '../../core/problem';
import { textProblem } from '../../core/text';
import { LIMITS, parseCreateKey, parseListQuery, parseRotateKey, parseUpdateKey, parseVerifyKey } from '../../core/validation';
import { bodyFor, FUZZ_SEED, fuzzRuns, hostileJson, hostileJsonText, hostileString, PROTOTYPE_NAMES } from '../support/arbitraries';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const RUNS = fuzzRuns(400);
const BODY_LEVEL_CODES = ['invalid_body', 'malformed_json', 'nesting_too_deep', 'duplicate_member', 'lone_surrogate', 'invalid_utf8'];

/** The outcome of one parse: the value, or the ProblemError; anything else thrown fails the property. */
function outcome<T>(fn: () => T): { ok: true; value: T } | { ok: false; problem: ProblemError } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (!(err instanceof ProblemError)) throw new Error(`threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`, { cause: err });
    return { ok: false, problem: err };
  }
}

/** A refusal is a 4xx naming the fields in error (or, for the whole body, a body-level code). */
function expectNamedRefusal(problem: ProblemError): void {
  expect(problem.status).toBeGreaterThanOrEqual(400);
  expect(problem.status).toBeLessThan(500);
  if (problem.code === 'validation_failed') {
    expect(problem.errors?.length).toBeGreaterThan(0);
    for (const e of problem.errors!) {
      expect(e.field).toMatch(/\S/);
      expect(e.message).toMatch(/\S/);
    }
    expect(problem.detail.startsWith(`${problem.errors![0]!.field}: `)).toBe(true);
  } else {
    expect(BODY_LEVEL_CODES).toContain(problem.code);
  }
}

/** What an accepted name or description must satisfy. */
function expectCleanText(s: string | null | undefined): void {
  if (typeof s === 'string') expect(textProblem(s)).toBeUndefined();
}

function expectStorableMetadata(m: unknown): void {
  if (m === undefined || m === null) return;
  expect(Buffer.byteLength(JSON.stringify(m), 'utf8')).toBeLessThanOrEqual(LIMITS.metadataMaxBytes);
}

const TIMEOUT = 30_000 + RUNS * 20;

describe(`fuzz: validation core (seed ${FUZZ_SEED}, ${RUNS} runs per property)`, () => {
  const opts = { seed: FUZZ_SEED, numRuns: RUNS };

  it('parseCreateKey returns a valid input or a named 4xx', () => {
    const fields = ['name', 'description', 'ownerId', 'scopes', 'expiresAt', 'expiresInDays', 'rateLimit', 'quota', 'allowedIps', 'metadata', 'environment'];
    fc.assert(
      fc.property(fc.oneof({ arbitrary: bodyFor(fields), weight: 9 }, { arbitrary: hostileJson, weight: 1 }), (body) => {
        const r = outcome(() => parseCreateKey(body, NOW));
        if (!r.ok) return expectNamedRefusal(r.problem);
        expect(typeof r.value.name).toBe('string');
        expectCleanText(r.value.name);
        expectCleanText(r.value.description);
        expectStorableMetadata(r.value.metadata);
        expect(['live', 'test']).toContain(r.value.environment);
      }),
      opts,
    );
  }, TIMEOUT);

  it('parseUpdateKey returns a valid input or a named 4xx', () => {
    fc.assert(
      fc.property(bodyFor(['name', 'description', 'scopes', 'expiresAt', 'rateLimit', 'quota', 'allowedIps', 'metadata']), (body) => {
        const r = outcome(() => parseUpdateKey(body, NOW));
        if (!r.ok) return expectNamedRefusal(r.problem);
        expect(Object.keys(r.value).length).toBeGreaterThan(0);
        expectCleanText(r.value.name);
        expectCleanText(r.value.description);
        expectStorableMetadata(r.value.metadata);
      }),
      opts,
    );
  }, TIMEOUT);

  it('parseRotateKey and parseVerifyKey return a valid input or a named 4xx', () => {
    fc.assert(
      fc.property(bodyFor(['gracePeriodSeconds']), bodyFor(['key', 'scopes', 'sourceIp']), (rotate, verify) => {
        const a = outcome(() => parseRotateKey(rotate));
        if (a.ok) expect(Number.isInteger(a.value.gracePeriodSeconds)).toBe(true);
        else expectNamedRefusal(a.problem);
        const b = outcome(() => parseVerifyKey(verify));
        if (b.ok) expect(typeof b.value.key).toBe('string');
        else expectNamedRefusal(b.problem);
      }),
      opts,
    );
  }, TIMEOUT);

  it('parseListQuery returns a valid query or a named 4xx, whatever the parameter names', () => {
    const name = fc.oneof(fc.constantFrom('ownerId', 'status', 'limit', 'cursor', ...PROTOTYPE_NAMES), hostileString(8));
    fc.assert(
      fc.property(fc.array(fc.tuple(name, hostileString()), { maxLength: 5 }), (pairs) => {
        const query = Object.create(null) as Record<string, string>;
        for (const [k, v] of pairs) Object.defineProperty(query, k, { value: v, enumerable: true, configurable: true, writable: true });
        const r = outcome(() => parseListQuery(query));
        if (!r.ok) return expectNamedRefusal(r.problem);
        expect(r.value.limit).toBeGreaterThanOrEqual(1);
        expect(r.value.limit).toBeLessThanOrEqual(LIMITS.listLimitMax);
      }),
      opts,
    );
  }, TIMEOUT);

  it('parseStrictJson returns what JSON.parse returns, or a named 400', () => {
    fc.assert(
      fc.property(hostileJsonText, (text) => {
        const r = outcome(() => parseStrictJson(text, LIMITS.maxBodyDepth));
        // Compared as text: toStrictEqual reads `.constructor`, which a member named "constructor" replaces.
        if (r.ok) expect(JSON.stringify(r.value)).toBe(JSON.stringify(JSON.parse(text)));
        else expectNamedRefusal(r.problem);
      }),
      opts,
    );
  }, TIMEOUT);
});
