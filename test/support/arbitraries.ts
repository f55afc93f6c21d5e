/**
 * fast-check arbitraries for hostile input, shared by the fuzz suites (test/fuzz/).
 * Strings mix ordinary text with the characters the input rules exist for: controls,
 * bidi overrides, zero-width characters, lone surrogates, prototype member names.
 */
import fc from 'fast-check';

/** Fixed by default so `npm test` is reproducible; `KEYGATE_FUZZ_SEED` replays a failure fast-check printed. */
export const FUZZ_SEED = Number(process.env.KEYGATE_FUZZ_SEED ?? 20_260_601);

/** Runs per property: `base` in `npm test`, `KEYGATE_FUZZ_RUNS` for a longer run (`npm run fuzz`). */
export function fuzzRuns(base: number): number {
  const n = Number(process.env.KEYGATE_FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : base;
}

export const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__', 'isPrototypeOf'];

const SPECIAL_CHARS = [
  '\u0000', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009b', '\u00a0', '\u2028',
  '\u202a', '\u202e', '\u2066', '\u2069', '\u200b', '\u200d', '\u200e', '\u2060', '\ufeff',
  '\ud800', '\udfff', '\ufffd', '"', '\\', '/', '%', '{', '[', ']', '}', ':', ',', '🔑', 'é', ' ',
];

/** One UTF-16 unit or character: special ones, any BMP unit (lone surrogates included), or ASCII. */
const unit = fc.oneof(
  { arbitrary: fc.constantFrom(...SPECIAL_CHARS), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 4 },
);

export const hostileString = (maxLength = 24): fc.Arbitrary<string> =>
  fc.oneof(
    fc.array(unit, { maxLength }).map((parts) => parts.join('')),
    fc.constantFrom('', ' ', 'x', 'orders:read', 'echo:read', 'live', 'test', '10.0.0.0/8', '2030-01-01T00:00:00Z', ...PROTOTYPE_NAMES),
    fc.string({ maxLength: 300 }),
  );

/** Objects and arrays nested `depth` levels, as a value (for the validation core) or text. */
export const deepValue = fc.integer({ min: 1, max: 3000 }).chain((depth) =>
  fc.constantFrom('array', 'object').map((kind) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
    return v;
  }),
);

/** Any JSON value, biased towards hostile strings and member names. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -0, 1, -1, 1.5, 1e21, 2 ** 53 + 1, Number.MAX_VALUE, Infinity, -Infinity, NaN),
    fc.integer(),
    fc.double(),
    hostileString(),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(hostileString(8), fc.constantFrom(...PROTOTYPE_NAMES)), tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** A value for a field: plausible values of every type, hostile text, deep nesting. */
export const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileJson, weight: 6 },
  { arbitrary: deepValue, weight: 1 },
  { arbitrary: fc.constantFrom({ limit: 10, windowSeconds: 60 }, { daily: 5 }, { monthly: 10, daily: 20 }, ['10.0.0.1', '::1/128'], ['orders:read', 'echo:read']), weight: 2 },
);

/** A request body built from the fields a schema knows plus some it does not. */
export function bodyFor(fields: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const known = Object.fromEntries(fields.map((f) => [f, fieldValue]));
  return fc
    .tuple(
      fc.record(known, { requiredKeys: [] }),
      fc.dictionary(fc.oneof(hostileString(8), fc.constantFrom(...PROTOTYPE_NAMES)), fieldValue, { maxKeys: 2 }),
      fc.boolean(),
    )
    .map(([k, extra, withExtra]) => (withExtra ? { ...extra, ...k } : k));
}

/** JSON text a client could send: valid, truncated, with duplicate members, nested deep. */
export const hostileJsonText: fc.Arbitrary<string> = fc.oneof(
  hostileJson.map((v) => JSON.stringify(v) ?? 'null'),
  fc.tuple(hostileJson, fc.nat()).map(([v, cut]) => {
    const t = JSON.stringify(v) ?? '';
    return t.slice(0, cut % (t.length + 1));
  }),
  fc.tuple(fc.constantFrom('name', 'metadata', 'a', '__proto__'), hostileJson, hostileJson).map(([k, a, b]) => `{"${k}":${JSON.stringify(a) ?? 1},"${k}":${JSON.stringify(b) ?? 2}}`),
  fc.integer({ min: 1, max: 6000 }).map((n) => `{"name":"x","metadata":{"a":${'['.repeat(n)}${']'.repeat(n)}}}`),
  fc.constantFrom('{"name":"\\ud800"}', '{"\\udc00":1}', '{"name":"a","n\\u0061me":"b"}', '{}', '[]', '', ' ', 'nul', '{"name":"x",}'),
);
