/**
 * Every request and response shape of Keygate's HTTP API, written once as valibot schemas.
 * core/validation.ts runs the request schemas (and maps their issues to Keygate's field errors),
 * core/api-schemas.ts ties them to the operations of core/routes.ts, and the OpenAPI document,
 * the typed client and the docs' field tables are generated from them.
 *
 * Conventions:
 * - Bounds come from {@link LIMITS}, the one place they are set.
 * - Each schema and action carries the message a client sees in `errors[].message`: it completes
 *   "<field> ...", e.g. "must be at most 128 characters".
 * - A rule JSON Schema cannot express (text rules, CIDRs, calendar dates, metadata size and depth)
 *   is a `v.rawCheck`; when it has a stable field error code (docs/api.md, "Input rules"), the
 *   issue carries that code in `expected` — valibot issues have no field for it. The JSON Schema
 *   conversion skips these checks (core/api-schemas.ts jsonSchemaOf).
 * - Request objects are strict (`additionalProperties: false`). Which unknown members a body has
 *   is listed by core/validation.ts (all of them, not only the first, as valibot would).
 * - Response objects are strict too: the contract test then catches any attribute that leaks
 *   into an answer without being documented here.
 */
import * as v from 'valibot';
import { ACTOR_TYPES, AUDIT_ACTIONS, AUDIT_ID_PATTERN } from './audit';
import { normalizeCidr } from './cidr';
import { KEY_ID_PATTERN } from './ids';
import { KEY_ENVIRONMENTS } from './key-format';
import { COST_RANGE } from './operator-routes';
import type { FieldErrorCode } from './problem-codes';
import { RATE_POLICIES, type RatePolicy } from './records';
import { SCOPE_PATTERN } from './scopes';
import { isWellFormed, textProblem } from './text';

export const LIMITS = {
  maxBodyBytes: 16 * 1024,
  /** Objects and arrays nested in a request body (the body is level 1); checked before anything recursive runs. */
  maxBodyDepth: 64,
  nameMax: 128,
  descriptionMax: 1024,
  scopesMax: 50,
  scopeNameMax: 64,
  allowedIpsMax: 100,
  metadataMaxBytes: 4096,
  /** Levels of objects and arrays in `metadata` (the metadata object is level 1). */
  metadataMaxDepth: 32,
  expiresInDaysMax: 3650,
  rateLimitMax: 1_000_000,
  windowSecondsMin: 1,
  windowSecondsMax: 3600,
  dailyQuotaMax: 1_000_000_000,
  monthlyQuotaMax: 31_000_000_000,
  gracePeriodMax: 30 * 86400,
  defaultGracePeriodSeconds: 86400,
  listLimitDefault: 25,
  listLimitMax: 100,
} as const;

export const OWNER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
/** Keys one leak report may carry. */
export const LEAK_REPORT_MAX_KEYS = 100;
/** Longest string accepted where a key is presented (verify, leak report). */
const PRESENTED_KEY_MAX = 256;
/** Longest route template a usage report may filter on. */
const ROUTE_TEMPLATE_MAX = 256;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const KEY_CURSOR = /^[A-Za-z0-9_-]{1,200}$/;
const AUDIT_CURSOR = /^[A-Za-z0-9_-]{1,400}$/;
const LIST_LIMIT_TEXT = /^\d{1,4}$/;

// --- rules JSON Schema cannot express ----------------------------------------------------------

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Date.parse rolls impossible dates forward (30 February → 2 March); refuse them instead. */
export function isCalendarValid(text: string): boolean {
  const [y, mo, d, h, mi, s] = [text.slice(0, 4), text.slice(5, 7), text.slice(8, 10), text.slice(11, 13), text.slice(14, 16), text.slice(17, 19)].map(Number) as number[];
  if (mo! < 1 || mo! > 12 || d! < 1 || h! > 23 || mi! > 59 || (text[16] === ':' && s! > 59)) return false;
  return d! <= new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
}

export interface RuleProblem {
  readonly message: string;
  readonly code?: FieldErrorCode;
}

/**
 * Checks that `value` is plain JSON within the metadata limits and measures its JSON size
 * exactly as `JSON.stringify` would, without recursion: depth and size are enforced before
 * anything recursive (JSON.stringify, the DynamoDB marshaller) ever sees the value.
 */
export function metadataProblem(value: Record<string, unknown>): RuleProblem | undefined {
  const tooBig = { message: `must be at most ${LIMITS.metadataMaxBytes} bytes as JSON` };
  const stack: [unknown, number][] = [[value, 1]];
  let bytes = 0;
  const text = (s: string): boolean => {
    bytes += Buffer.byteLength(JSON.stringify(s), 'utf8');
    return isWellFormed(s);
  };
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item === 'boolean') bytes += item === false ? 5 : 4; // null, true, false
    else if (typeof item === 'number') {
      if (!Number.isFinite(item)) return { message: 'must not contain numbers outside the IEEE double range (they would be stored as null)', code: 'number_out_of_range' };
      bytes += JSON.stringify(item).length;
    } else if (typeof item === 'string') {
      if (!text(item)) return { message: 'must not contain unpaired UTF-16 surrogates', code: 'lone_surrogate' };
    } else if (typeof item === 'object') {
      if (depth > LIMITS.metadataMaxDepth) return { message: `must be nested at most ${LIMITS.metadataMaxDepth} levels deep`, code: 'nesting_too_deep' };
      const proto = Object.getPrototypeOf(item) as unknown;
      if (Array.isArray(item)) {
        bytes += 2 + Math.max(0, item.length - 1);
        if (bytes > LIMITS.metadataMaxBytes) return tooBig;
        for (let i = item.length - 1; i >= 0; i--) stack.push([item[i], depth + 1]);
      } else if (proto === Object.prototype || proto === null) {
        const names = Object.keys(item);
        bytes += 2 + Math.max(0, names.length - 1) + names.length; // braces, commas, colons
        for (const name of names) {
          if (!text(name)) return { message: 'must not contain unpaired UTF-16 surrogates', code: 'lone_surrogate' };
          if (bytes > LIMITS.metadataMaxBytes) return tooBig;
          stack.push([(item as Record<string, unknown>)[name], depth + 1]);
        }
      } else {
        return { message: 'must hold only JSON values', code: 'not_json' };
      }
    } else {
      return { message: 'must hold only JSON values', code: 'not_json' };
    }
    if (bytes > LIMITS.metadataMaxBytes) return tooBig;
  }
  return undefined;
}

/** A check on a typed value; its issue carries the problem's message and, if any, its code (in `expected`). */
function rule<T>(problem: (value: T) => RuleProblem | undefined) {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const p = problem(dataset.value);
    if (p) addIssue({ message: p.message, ...(p.code ? { expected: p.code } : {}) });
  });
}

/** The field error code a Keygate rule put on an issue (see {@link rule}). */
export function issueCode(issue: v.BaseIssue<unknown>): FieldErrorCode | undefined {
  return issue.type === 'raw_check' && typeof issue.expected === 'string' ? (issue.expected as FieldErrorCode) : undefined;
}

// --- reading bounds -------------------------------------------------------------------------------
//
// The authorizer bundle reaches this module (core/config.ts → core/key-templates.ts → LIMITS) and
// must not carry valibot. esbuild drops an unused top-level schema only when every call in it is
// marked pure and it reads no property (`LIMITS.nameMax` could be a getter): so every call below is
// `/* @__PURE__ */`, and bounds are read through limit() and bounded(). test/unit/schemas.test.ts
// bundles the authorizer and fails if valibot is in it.

type BoundName = keyof typeof LIMITS | 'costMin' | 'costMax' | 'leakReportMaxKeys' | 'presentedKeyMax' | 'routeTemplateMax';

/** A bound by name: LIMITS, the cost range of core/operator-routes.ts, and the leak report's. */
function limit(name: BoundName): number {
  if (name === 'costMin') return COST_RANGE.min;
  if (name === 'costMax') return COST_RANGE.max;
  if (name === 'leakReportMaxKeys') return LEAK_REPORT_MAX_KEYS;
  if (name === 'presentedKeyMax') return PRESENTED_KEY_MAX;
  if (name === 'routeTemplateMax') return ROUTE_TEMPLATE_MAX;
  return LIMITS[name];
}

/** `text` with each `{name}` replaced by that bound. */
function bounded(text: string): string {
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(limit(name as BoundName)));
}

/** `prefix`, the items joined by commas, `suffix` (a template literal around a call would be kept: it may call toString). */
function listed(prefix: string, items: readonly string[], suffix = ''): string {
  return prefix + items.join(', ') + suffix;
}

/** Both sets of object entries (for a schema that extends another's). */
function merged<A extends v.ObjectEntries, B extends v.ObjectEntries>(a: A, b: B): A & B {
  return { ...a, ...b };
}

/**
 * A rule across members, checked whenever those members are valid, whatever else is wrong (as
 * Keygate always did); its issue names `target`, or the object itself. Not `v.partialCheck`: that
 * also runs after a member broke a validation (valibot keeps such a value "typed"), handing the
 * rule a value of the wrong type.
 */
function across<T>(members: readonly string[], requirement: (value: T) => boolean, message: string, target?: string, code?: FieldErrorCode) {
  return /* @__PURE__ */ v.rawCheck<T>(({ dataset, addIssue }) => {
    const value: unknown = dataset.value;
    if (!isPlainObject(value)) return;
    if (dataset.issues?.some((issue) => members.includes(String(issue.path?.[0]?.key)))) return;
    if (requirement(dataset.value as T)) return;
    addIssue({
      message,
      ...(code ? { expected: code } : {}),
      ...(target ? { path: [{ type: 'object', origin: 'value', input: value, key: target, value: value[target] }] } : {}),
    });
  });
}

/** `must be "a", "b" or "c"` (a template literal around a call would be kept: it may call toString). */
function oneOf(items: readonly string[]): string {
  const quoted = items.map((item) => JSON.stringify(item));
  return 'must be ' + quoted.slice(0, -1).join(', ') + ' or ' + quoted[quoted.length - 1]!;
}

// --- building blocks -----------------------------------------------------------------------------

/**
 * A JSON object with exactly these members: anything else (an array included) is refused with
 * `typeMessage`; a required member that is missing gets `missingMessage`.
 */
function jsonObject<const E extends v.ObjectEntries>(entries: E, typeMessage: string, missingMessage = 'is required') {
  return /* @__PURE__ */ v.pipe(
    /* @__PURE__ */ v.custom<Record<string, unknown>>(isPlainObject, typeMessage),
    /* @__PURE__ */ v.strictObject(entries, (issue) => (issue.expected === 'never' ? 'unknown field' : missingMessage)),
  );
}

/** A whole number from `min` to `max` (a JSON number; a string is refused). */
function int(min: number, max: number, description: string) {
  const range = `must be from ${min} to ${max}`;
  return /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.number('must be an integer'), /* @__PURE__ */ v.integer('must be an integer'), /* @__PURE__ */ v.minValue(min, range), /* @__PURE__ */ v.maxValue(max, range), /* @__PURE__ */ v.description(description));
}

/** One line of text a person reads: trimmed, length-bounded, free of the characters core/text.ts refuses. */
function text(min: number, max: number, description: string) {
  return /* @__PURE__ */ v.pipe(
    /* @__PURE__ */ v.string('must be a string'),
    /* @__PURE__ */ v.trim(),
    /* @__PURE__ */ v.minLength(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`),
    /* @__PURE__ */ v.maxLength(max, `must be at most ${max} characters`),
    /* @__PURE__ */ rule<string>(textProblem),
    /* @__PURE__ */ v.description(description),
  );
}

const OWNER_ID_MESSAGE = 'must be 1-128 characters of letters, digits and . _ : @ - (starting with a letter or digit)';
export const OwnerId = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.string(OWNER_ID_MESSAGE),
  /* @__PURE__ */ v.regex(OWNER_ID_PATTERN, OWNER_ID_MESSAGE),
  /* @__PURE__ */ v.description('The owner (tenant) a key belongs to: 1-128 letters, digits and . _ : @ -, starting with a letter or digit.'),
  /* @__PURE__ */ v.examples(['team-payments']),
);

const SCOPE_MESSAGE = 'must be a scope name such as "orders:read"';
export const ScopeName = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.string(SCOPE_MESSAGE),
  /* @__PURE__ */ v.maxLength(/* @__PURE__ */ limit('scopeNameMax'), SCOPE_MESSAGE),
  /* @__PURE__ */ v.regex(SCOPE_PATTERN, SCOPE_MESSAGE),
  /* @__PURE__ */ v.description('A scope name: lower case, digits, and . _ - segments joined by ":".'),
  /* @__PURE__ */ v.examples(['orders:read']),
);

const dedupe = <T>(items: readonly T[]): T[] => [...new Set(items)];

// Arrays: the count is checked before the items (the second array schema runs only on an array of
// an allowed length), so 10,000 bad items give one error, not 10,000.
export const Scopes = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.array(/* @__PURE__ */ v.unknown(), 'must be an array of scope names'),
  /* @__PURE__ */ v.maxLength(/* @__PURE__ */ limit('scopesMax'), /* @__PURE__ */ bounded(`must hold at most {scopesMax} scopes`)),
  /* @__PURE__ */ v.array(ScopeName),
  /* @__PURE__ */ v.transform(dedupe),
  /* @__PURE__ */ v.description(/* @__PURE__ */ bounded(`Scopes the key holds (at most {scopesMax}; duplicates are dropped). Each must be defined in the deployment (GET /v1/scopes).`)),
);

const ISO_MESSAGE = 'must be an ISO-8601 date-time with a time zone, e.g. 2030-01-31T00:00:00Z';
/** An ISO-8601 date-time with a time zone that names a real calendar instant (kept as written). */
const IsoDateTime = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.string(ISO_MESSAGE),
  /* @__PURE__ */ v.regex(ISO_8601, ISO_MESSAGE),
  /* @__PURE__ */ v.check((s) => !Number.isNaN(Date.parse(s)), ISO_MESSAGE),
  /* @__PURE__ */ v.check(isCalendarValid, 'is not a real calendar date and time'),
  /* @__PURE__ */ v.metadata({ format: 'date-time' }),
);

/** A timestamp Keygate writes (always UTC, `toISOString()`). */
const Timestamp = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.metadata({ format: 'date-time' }));

export const Cidr = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.string('is not a valid IPv4 or IPv6 address or CIDR'),
  /* @__PURE__ */ v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const n = normalizeCidr(dataset.value);
    if (n !== undefined) return n;
    addIssue({ message: 'is not a valid IPv4 or IPv6 address or CIDR' });
    return NEVER;
  }),
  /* @__PURE__ */ v.description('An IPv4 or IPv6 address or CIDR; stored in canonical form (host bits cleared, explicit prefix).'),
  /* @__PURE__ */ v.examples(['203.0.113.0/24']),
);

export const AllowedIps = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.array(/* @__PURE__ */ v.unknown(), 'must be an array of CIDRs such as "203.0.113.0/24" or "2001:db8::/32"'),
  /* @__PURE__ */ v.minLength(1, 'must not be empty (use null to allow every address)'),
  /* @__PURE__ */ v.maxLength(/* @__PURE__ */ limit('allowedIpsMax'), /* @__PURE__ */ bounded(`must hold at most {allowedIpsMax} entries`)),
  /* @__PURE__ */ v.array(Cidr),
  /* @__PURE__ */ v.transform(dedupe),
  /* @__PURE__ */ v.description(/* @__PURE__ */ bounded(`Addresses the key may be used from (1-{allowedIpsMax} CIDRs); absent = any.`)),
);

const RatePolicySchema = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.picklist(RATE_POLICIES, /* @__PURE__ */ oneOf(RATE_POLICIES)),
  /* @__PURE__ */ v.description(
    'How requests are counted; absent = fixed. fixed: epoch-aligned windows of windowSeconds, so up to 2× limit can pass across a window boundary. ' +
      'sliding: never more than limit in any windowSeconds-long interval. ' +
      'tokenBucket: refills limit per windowSeconds continuously and holds at most burst, so up to burst requests can pass at once.',
  ),
);

export const RateLimit = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ jsonObject(
    {
      limit: /* @__PURE__ */ int(1, /* @__PURE__ */ limit('rateLimitMax'), 'Requests allowed per window (tokenBucket: refilled per windowSeconds).'),
      windowSeconds: /* @__PURE__ */ int(/* @__PURE__ */ limit('windowSecondsMin'), /* @__PURE__ */ limit('windowSecondsMax'), 'Length of the window in seconds.'),
      policy: /* @__PURE__ */ v.optional(RatePolicySchema),
      burst: /* @__PURE__ */ v.optional(
        /* @__PURE__ */ int(1, /* @__PURE__ */ limit('rateLimitMax'), 'tokenBucket only: the bucket’s capacity, the most requests admitted at once from a full bucket; default limit.'),
      ),
    },
    'must be an object {limit, windowSeconds, policy?, burst?}',
    'must be an integer',
  ),
  /* @__PURE__ */ across<{ limit: number; windowSeconds: number; policy?: RatePolicy; burst?: number }>(
    ['policy', 'burst'],
    (r) => r.burst === undefined || r.policy === 'tokenBucket',
    'is only allowed with policy "tokenBucket"',
    'burst',
    'burst_without_token_bucket',
  ),
  /* @__PURE__ */ v.description('At most `limit` requests per `windowSeconds` seconds, counted as `policy` says (default fixed); `burst` only with tokenBucket.'),
  /* @__PURE__ */ v.examples([{ limit: 100, windowSeconds: 60 }, { limit: 100, windowSeconds: 60, policy: 'tokenBucket', burst: 20 }]),
);

export const Quota = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ jsonObject(
    {
      daily: /* @__PURE__ */ v.optional(/* @__PURE__ */ int(1, /* @__PURE__ */ limit('dailyQuotaMax'), 'Requests allowed per UTC day.')),
      monthly: /* @__PURE__ */ v.optional(/* @__PURE__ */ int(1, /* @__PURE__ */ limit('monthlyQuotaMax'), 'Requests allowed per UTC calendar month.')),
    },
    'must be an object {daily?, monthly?}',
  ),
  /* @__PURE__ */ across(['daily', 'monthly'], (q) => q.daily !== undefined || q.monthly !== undefined, 'must set daily, monthly or both'),
  /* @__PURE__ */ across(
    ['daily', 'monthly'],
    (q) => q.daily === undefined || q.monthly === undefined || q.daily <= q.monthly,
    'daily must not exceed monthly',
  ),
  /* @__PURE__ */ v.description('Requests allowed per UTC day and/or calendar month; daily must not exceed monthly.'),
  /* @__PURE__ */ v.examples([{ daily: 1000, monthly: 20000 }]),
);

export const Metadata = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.custom<Record<string, unknown>>(isPlainObject, 'must be a JSON object'),
  /* @__PURE__ */ rule<Record<string, unknown>>(metadataProblem),
  /* @__PURE__ */ v.metadata({ type: 'object', additionalProperties: true }),
  /* @__PURE__ */ v.description(/* @__PURE__ */ bounded(`Free-form JSON object, at most {metadataMaxBytes} bytes as JSON and {metadataMaxDepth} levels deep; encrypted at rest.`)),
  /* @__PURE__ */ v.examples([{ team: 'payments' }]),
);

export const Environment = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.picklist(KEY_ENVIRONMENTS, 'must be "live" or "test"'),
  /* @__PURE__ */ v.description('Which kind of key: the environment is part of the key text (kg_live_…, kg_test_…).'),
);

const Name = /* @__PURE__ */ text(1, /* @__PURE__ */ limit('nameMax'), /* @__PURE__ */ bounded(`Name shown for the key: 1-{nameMax} characters after trimming; no control, bidirectional-control or zero-width characters.`));
const Description = /* @__PURE__ */ text(0, /* @__PURE__ */ limit('descriptionMax'), /* @__PURE__ */ bounded(`What the key is for: at most {descriptionMax} characters, same text rules as name; encrypted at rest.`));
const KeyId = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.regex(KEY_ID_PATTERN), /* @__PURE__ */ v.description('Key id: key_ followed by a 26-character ULID.'), /* @__PURE__ */ v.examples(['key_01J9Z8Q4R7T2V5W8X1Y4Z7A0B3']));
const KEY_ID_MESSAGE = 'must be a key id (key_ followed by 26 characters)';
const KeyIdParam = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(KEY_ID_MESSAGE), /* @__PURE__ */ v.regex(KEY_ID_PATTERN, KEY_ID_MESSAGE), /* @__PURE__ */ v.description('Key id: key_ followed by a 26-character ULID.'));

// --- request bodies ------------------------------------------------------------------------------

export const CreateKeyBody = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ jsonObject(
    {
      name: Name,
      description: /* @__PURE__ */ v.optional(Description),
      ownerId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(OwnerId, /* @__PURE__ */ v.description('Owner of the new key; default the caller’s. Only an admin key may name another owner.'))),
      scopes: /* @__PURE__ */ v.optional(Scopes),
      expiresAt: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(IsoDateTime, /* @__PURE__ */ v.description('When the key stops working; must be in the future. Give this or expiresInDays, not both.'))),
      expiresInDays: /* @__PURE__ */ v.optional(/* @__PURE__ */ int(1, /* @__PURE__ */ limit('expiresInDaysMax'), 'The key expires this many days after creation. Give this or expiresAt, not both.')),
      rateLimit: /* @__PURE__ */ v.optional(RateLimit),
      quota: /* @__PURE__ */ v.optional(Quota),
      allowedIps: /* @__PURE__ */ v.optional(AllowedIps),
      metadata: /* @__PURE__ */ v.optional(Metadata),
      environment: /* @__PURE__ */ v.optional(Environment),
      template: /* @__PURE__ */ v.optional(
        /* @__PURE__ */ v.pipe(
          /* @__PURE__ */ v.string('must be the name of a key template (see GET /v1/templates)'),
          /* @__PURE__ */ v.description('A key template (GET /v1/templates) to start from: each of scopes, rateLimit, quota, allowedIps, environment and expiry the request leaves out comes from it.'),
        ),
      ),
    },
    'must be a JSON object',
  ),
  /* @__PURE__ */ v.title('CreateKeyBody'),
  /* @__PURE__ */ v.description('A new key. Unknown members are refused.'),
  /* @__PURE__ */ v.examples([{ name: 'Checkout service', scopes: ['orders:read'], expiresInDays: 90, rateLimit: { limit: 100, windowSeconds: 60 }, metadata: { team: 'payments' } }]),
);

/** Members PATCH /v1/keys/{id} may set: `null` clears an attribute, absent leaves it alone. */
export const UPDATE_FIELDS = ['name', 'description', 'scopes', 'expiresAt', 'rateLimit', 'quota', 'allowedIps', 'metadata'] as const;

export const UpdateKeyBody = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ jsonObject(
    {
      name: /* @__PURE__ */ v.exactOptional(Name),
      description: /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ v.nullable(Description)),
      scopes: /* @__PURE__ */ v.exactOptional(Scopes),
      expiresAt: /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ v.nullable(/* @__PURE__ */ v.pipe(IsoDateTime, /* @__PURE__ */ v.description('New expiry; must be in the future. null removes it.')))),
      rateLimit: /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ v.nullable(RateLimit)),
      quota: /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ v.nullable(Quota)),
      allowedIps: /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ v.nullable(AllowedIps)),
      metadata: /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ v.nullable(Metadata)),
    },
    'must be a JSON object',
  ),
  /* @__PURE__ */ v.check((b) => Object.keys(b).length > 0, /* @__PURE__ */ listed('must set at least one of ', UPDATE_FIELDS)),
  /* @__PURE__ */ v.title('UpdateKeyBody'),
  /* @__PURE__ */ v.description('Changes to a key: null clears an attribute, an absent member leaves it alone. At least one member.'),
  /* @__PURE__ */ v.examples([{ name: 'Checkout service (EU)', rateLimit: null }]),
);

export const RotateKeyBody = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ jsonObject(
    {
      gracePeriodSeconds: /* @__PURE__ */ v.optional(
        /* @__PURE__ */ int(0, /* @__PURE__ */ limit('gracePeriodMax'), 'Seconds the old key keeps working (0 revokes it at once).'),
        /* @__PURE__ */ limit('defaultGracePeriodSeconds'),
      ),
    },
    'must be a JSON object',
  ),
  /* @__PURE__ */ v.title('RotateKeyBody'),
  /* @__PURE__ */ v.description('Optional; an absent body means the default grace period.'),
  /* @__PURE__ */ v.examples([{ gracePeriodSeconds: 3600 }]),
);

export const VerifyKeyBody = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ jsonObject(
    {
      key: /* @__PURE__ */ v.pipe(
        /* @__PURE__ */ v.string('must be a string of 1-256 characters'),
        /* @__PURE__ */ v.minLength(1, 'must be a string of 1-256 characters'),
        /* @__PURE__ */ v.maxLength(PRESENTED_KEY_MAX, 'must be a string of 1-256 characters'),
        /* @__PURE__ */ v.description('The API key a client presented.'),
      ),
      scopes: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(Scopes, /* @__PURE__ */ v.description('Scopes the caller’s route requires; every one must be held.'))),
      sourceIp: /* @__PURE__ */ v.optional(
        /* @__PURE__ */ v.pipe(
          /* @__PURE__ */ v.string('must be an IPv4 or IPv6 address'),
          /* @__PURE__ */ v.check((s) => !s.includes('/') && normalizeCidr(s) !== undefined, 'must be an IPv4 or IPv6 address'),
          /* @__PURE__ */ v.description('The client’s address, checked against the key’s allowedIps.'),
        ),
      ),
      cost: /* @__PURE__ */ v.optional(
        /* @__PURE__ */ v.pipe(
          /* @__PURE__ */ v.number(/* @__PURE__ */ bounded(`must be an integer from {costMin} to {costMax}`)),
          /* @__PURE__ */ v.integer(/* @__PURE__ */ bounded(`must be an integer from {costMin} to {costMax}`)),
          /* @__PURE__ */ v.minValue(/* @__PURE__ */ limit('costMin'), /* @__PURE__ */ bounded(`must be an integer from {costMin} to {costMax}`)),
          /* @__PURE__ */ v.maxValue(/* @__PURE__ */ limit('costMax'), /* @__PURE__ */ bounded(`must be an integer from {costMin} to {costMax}`)),
          /* @__PURE__ */ v.description('Units charged against the key’s limits; default 1.'),
        ),
      ),
    },
    'must be a JSON object',
  ),
  /* @__PURE__ */ v.title('VerifyKeyBody'),
  /* @__PURE__ */ v.description('A key to verify for a backend not behind API Gateway; counts against its limits.'),
  /* @__PURE__ */ v.examples([{ key: 'kg_live_…', scopes: ['orders:read'], sourceIp: '203.0.113.7' }]),
);

export const LeakReportBody = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ jsonObject(
    {
      keys: /* @__PURE__ */ v.pipe(
        /* @__PURE__ */ v.array(/* @__PURE__ */ v.unknown(), /* @__PURE__ */ bounded('must be an array of 1-{leakReportMaxKeys} strings')),
        /* @__PURE__ */ v.minLength(1, /* @__PURE__ */ bounded('must be an array of 1-{leakReportMaxKeys} strings')),
        /* @__PURE__ */ v.maxLength(LEAK_REPORT_MAX_KEYS, /* @__PURE__ */ bounded('must be an array of 1-{leakReportMaxKeys} strings')),
        /* @__PURE__ */ v.check(
          (keys) => keys.every((k) => typeof k === 'string' && k.length >= 1 && k.length <= PRESENTED_KEY_MAX),
          /* @__PURE__ */ bounded('each item must be a string of 1-{presentedKeyMax} characters'),
        ),
        // Rechecked as a schema so the type and the JSON Schema say "strings".
        /* @__PURE__ */ v.array(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.minLength(1), /* @__PURE__ */ v.maxLength(PRESENTED_KEY_MAX))),
        /* @__PURE__ */ v.description(/* @__PURE__ */ bounded('1-{leakReportMaxKeys} strings believed to be leaked keys; a string that is not a live key is ignored.')),
      ),
    },
    'must be a JSON object',
  ),
  /* @__PURE__ */ v.title('LeakReportBody'),
  /* @__PURE__ */ v.description('Leaked keys to revoke; possession is the authority. The answer is the same whatever was presented.'),
  /* @__PURE__ */ v.examples([{ keys: ['kg_live_…'] }]),
);

// --- query strings (every value arrives as a string) -----------------------------------------

const ListLimit = /* @__PURE__ */ v.optional(
  /* @__PURE__ */ v.pipe(
    /* @__PURE__ */ v.string('must be an integer'),
    /* @__PURE__ */ v.check((s) => LIST_LIMIT_TEXT.test(s), 'must be an integer'), // not a pattern: the parameter is documented as an integer
    /* @__PURE__ */ v.transform(Number),
    /* @__PURE__ */ v.number(),
    /* @__PURE__ */ v.minValue(1, /* @__PURE__ */ bounded(`must be from 1 to {listLimitMax}`)),
    /* @__PURE__ */ v.maxValue(/* @__PURE__ */ limit('listLimitMax'), /* @__PURE__ */ bounded(`must be from 1 to {listLimitMax}`)),
    /* @__PURE__ */ v.integer(),
    /* @__PURE__ */ v.description(/* @__PURE__ */ bounded(`Items per page, 1-{listLimitMax}.`)),
    /* @__PURE__ */ v.metadata({ default: /* @__PURE__ */ limit('listLimitDefault') }),
  ),
);

const cursor = (pattern: RegExp) =>
  /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string('is not a cursor returned by this API'), /* @__PURE__ */ v.regex(pattern, 'is not a cursor returned by this API'), /* @__PURE__ */ v.description('nextCursor of the previous page.')));

export const KEY_STATUSES = ['active', 'revoked', 'expired'] as const;

export const ListKeysQuery = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ jsonObject(
    {
      ownerId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(OwnerId, /* @__PURE__ */ v.description('Only this owner’s keys (admin keys; any other key sees only its own owner’s).'))),
      status: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.picklist(KEY_STATUSES, 'must be active, revoked or expired'), /* @__PURE__ */ v.description('Only keys in this status.'))),
      limit: ListLimit,
      cursor: /* @__PURE__ */ cursor(KEY_CURSOR),
    },
    'must be a query string',
  ),
  /* @__PURE__ */ v.title('ListKeysQuery'),
);

const PastOrPresent = /* @__PURE__ */ v.pipe(IsoDateTime, /* @__PURE__ */ v.transform((s) => new Date(s)));

export const AuditQuery = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ jsonObject(
    {
      keyId: /* @__PURE__ */ v.optional(KeyIdParam),
      actorKeyId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(KeyIdParam, /* @__PURE__ */ v.description('Only entries of calls made with this key.'))),
      ownerId: /* @__PURE__ */ v.optional(OwnerId),
      action: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.picklist(AUDIT_ACTIONS, /* @__PURE__ */ listed('must be one of ', AUDIT_ACTIONS)), /* @__PURE__ */ v.description('Only entries of this action.'))),
      from: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(PastOrPresent, /* @__PURE__ */ v.description('Entries at or after this time.'))),
      to: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(PastOrPresent, /* @__PURE__ */ v.description('Entries before this time; must be after from.'))),
      limit: ListLimit,
      cursor: /* @__PURE__ */ cursor(AUDIT_CURSOR),
    },
    'must be a query string',
  ),
  /* @__PURE__ */ across(['from', 'to'], (q) => !(q.from && q.to) || q.from.getTime() < q.to.getTime(), 'must be after from', 'to'),
  /* @__PURE__ */ v.title('AuditQuery'),
);

export const AuditVerifyQuery = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ jsonObject(
    {
      keyId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(KeyIdParam, /* @__PURE__ */ v.description('One key; absent = a page of keys (the caller’s owner’s, or every owner’s for admin).'))),
      limit: ListLimit,
      cursor: /* @__PURE__ */ cursor(AUDIT_CURSOR),
    },
    'must be a query string',
  ),
  /* @__PURE__ */ across(['keyId', 'cursor'], (q) => !(q.keyId && q.cursor), 'pages keys; it does not apply with keyId', 'cursor'),
  /* @__PURE__ */ v.title('AuditVerifyQuery'),
);

// --- usage reports (core/usage-reports.ts builds the SQL; these are the rules a request must meet) --

/** Report groups; core/usage-reports.ts maps each to its SQL expression. */
export const USAGE_GROUPS = ['day', 'hour', 'key', 'owner', 'route', 'status', 'decision'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];
/** Longest range a report may cover, in days (inclusive): a quarter. */
export const MAX_REPORT_DAYS = 92;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Epoch ms of a `YYYY-MM-DD` day (UTC), or NaN; Date.UTC rolls 2024-02-30 over to March, so a real day must format back to itself. */
export function dayMs(text: string): number {
  const m = DAY.exec(text);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === text ? ms : NaN;
}

const DAY_MESSAGE = 'must be a calendar day as YYYY-MM-DD (UTC).';
export const ReportDay = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.string(DAY_MESSAGE),
  /* @__PURE__ */ v.regex(DAY, DAY_MESSAGE),
  /* @__PURE__ */ v.check((text) => !Number.isNaN(dayMs(text)), DAY_MESSAGE),
  /* @__PURE__ */ v.metadata({ format: 'date' }),
  /* @__PURE__ */ v.description('A day (UTC) as YYYY-MM-DD.'),
);

const REPORT_KEY_ID_MESSAGE = 'must be a key id (key_ followed by 26 characters).';
const REPORT_OWNER_ID_MESSAGE = 'must be an owner id (1-128 letters, digits and . _ : @ -, starting with a letter or digit).';
const ROUTE_MESSAGE = /* @__PURE__ */ bounded('must be a route template starting with / (at most {routeTemplateMax} characters, no spaces or control characters).');

export const ReportRoute = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.string(ROUTE_MESSAGE),
  /* @__PURE__ */ v.check((r) => r.startsWith('/') && r.length <= ROUTE_TEMPLATE_MAX && !/[\p{Cc}\s]/u.test(r), ROUTE_MESSAGE),
  /* @__PURE__ */ v.description('Route template as recorded, e.g. /v1/keys/{id}.'),
);

const ReportGroups = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.array(/* @__PURE__ */ v.unknown(), /* @__PURE__ */ listed('must be a list of ', USAGE_GROUPS, '.')),
  /* @__PURE__ */ v.array(/* @__PURE__ */ v.picklist(USAGE_GROUPS, /* @__PURE__ */ listed('must be one of ', USAGE_GROUPS, '.'))),
  // Also when another item is not a group: the first problem in the list is the one reported first.
  /* @__PURE__ */ v.rawCheck<UsageGroup[]>(({ dataset, addIssue }) => {
    const groups: unknown = dataset.value;
    if (!Array.isArray(groups)) return;
    groups.forEach((g: unknown, i) => {
      if ((USAGE_GROUPS as readonly unknown[]).includes(g) && groups.indexOf(g) !== i) {
        addIssue({ message: `${String(g)} is listed twice.`, path: [{ type: 'array', origin: 'value', input: groups, key: i, value: g }] });
      }
    });
  }),
);

/** What a usage report is asked for, however it arrives (HTTP query, CLI, tests): core/usage-reports.ts reportQuery(). */
export const UsageReportRequest = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.object({
    from: /* @__PURE__ */ v.pipe(ReportDay, /* @__PURE__ */ v.description('First partition day (UTC), inclusive.')),
    to: /* @__PURE__ */ v.pipe(ReportDay, /* @__PURE__ */ v.description('Last partition day (UTC), inclusive.')),
    groupBy: ReportGroups,
    keyId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(REPORT_KEY_ID_MESSAGE), /* @__PURE__ */ v.regex(KEY_ID_PATTERN, REPORT_KEY_ID_MESSAGE))),
    ownerId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(REPORT_OWNER_ID_MESSAGE), /* @__PURE__ */ v.regex(OWNER_ID_PATTERN, REPORT_OWNER_ID_MESSAGE))),
    route: /* @__PURE__ */ v.optional(ReportRoute),
  }),
  /* @__PURE__ */ v.rawCheck(({ dataset, addIssue }) => {
    const value: unknown = dataset.value;
    if (!isPlainObject(value) || dataset.issues?.some((i) => ['from', 'to'].includes(String(i.path?.[0]?.key)))) return;
    const from = dayMs(value.from as string);
    const to = dayMs(value.to as string);
    const at: [v.IssuePathItem] = [{ type: 'object', origin: 'value', input: value, key: 'to', value: value.to }];
    const days = (to - from) / DAY_MS + 1;
    if (to < from) addIssue({ message: 'must not be before from.', path: at });
    else if (days > MAX_REPORT_DAYS) addIssue({ message: `the range covers ${days} days; at most ${MAX_REPORT_DAYS} are allowed.`, path: at });
  }),
);

/** Athena query execution ids are UUIDs; anything else cannot be one. */
export const QUERY_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const QueryId = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.string(),
  /* @__PURE__ */ v.regex(QUERY_ID_PATTERN),
  /* @__PURE__ */ v.description('The queryId a 202 answer returned: ask again with the same parameters plus this.'),
);

/** GET /v1/keys/{id}/usage: with from and/or to, the key's daily history as well (core/usage-report-service.ts parses it). */
export const KeyUsageQuery = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({
    from: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(ReportDay, /* @__PURE__ */ v.description('First day (UTC) of the history, inclusive.'))),
    to: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(ReportDay, /* @__PURE__ */ v.description('Last day (UTC) of the history, inclusive.'))),
    queryId: /* @__PURE__ */ v.optional(QueryId),
  }),
  /* @__PURE__ */ v.title('KeyUsageQuery'),
);

/** GET /v1/usage (core/usage-report-service.ts parses it). */
export const UsageReportQuery = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({
    from: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(ReportDay, /* @__PURE__ */ v.description('First day (UTC), inclusive; default 6 days before to.'))),
    to: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(ReportDay, /* @__PURE__ */ v.description('Last day (UTC), inclusive; default today.'))),
    groupBy: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.description('Comma-separated groups: day, hour, key, owner, route, status, decision; default day.'))),
    keyId: /* @__PURE__ */ v.optional(KeyId),
    ownerId: /* @__PURE__ */ v.optional(OwnerId),
    route: /* @__PURE__ */ v.optional(ReportRoute),
    queryId: /* @__PURE__ */ v.optional(QueryId),
  }),
  /* @__PURE__ */ v.title('UsageReportQuery'),
);

export const KeyIdPath = /* @__PURE__ */ v.strictObject({ id: KeyId });

// --- responses -----------------------------------------------------------------------------------

const RatePolicyOut = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.picklist(RATE_POLICIES), /* @__PURE__ */ v.description('fixed: epoch-aligned windows (up to 2× limit across a boundary); sliding: never more than limit in any windowSeconds interval; tokenBucket: refills limit per windowSeconds, holds at most burst.'));
const RateLimitOut = /* @__PURE__ */ v.strictObject({
  limit: /* @__PURE__ */ v.number(),
  windowSeconds: /* @__PURE__ */ v.number(),
  policy: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(RatePolicyOut, /* @__PURE__ */ v.description('As set on the key; absent = fixed (keys created before policies existed, or without one).'))),
  burst: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.number(), /* @__PURE__ */ v.description('tokenBucket only, as set; absent = limit.'))),
});
const QuotaOut = /* @__PURE__ */ v.strictObject({ daily: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.number()), monthly: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.number()) });

const keyViewEntries = {
    id: KeyId,
    ownerId: /* @__PURE__ */ v.string(),
    name: /* @__PURE__ */ v.string(),
    description: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.string()),
    environment: /* @__PURE__ */ v.picklist(KEY_ENVIRONMENTS),
    start: /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.description('Display prefix of the key, e.g. kg_live_AbCd: enough to recognise it, never enough to use it.')),
    scopes: /* @__PURE__ */ v.array(/* @__PURE__ */ v.string()),
    status: /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.picklist(KEY_STATUSES), /* @__PURE__ */ v.description('expired is derived: an active key whose expiresAt has passed.')),
    createdAt: Timestamp,
    createdBy: /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.description('The key that created this one (or "bootstrap").')),
    updatedAt: Timestamp,
    expiresAt: /* @__PURE__ */ v.optional(Timestamp),
    lastUsedAt: /* @__PURE__ */ v.optional(Timestamp),
    revokedAt: /* @__PURE__ */ v.optional(Timestamp),
    replaces: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.description('The key this one replaced by rotation.'))),
    replacedBy: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.description('The key that replaced this one by rotation.'))),
    rateLimit: /* @__PURE__ */ v.optional(RateLimitOut),
    quota: /* @__PURE__ */ v.optional(QuotaOut),
    allowedIps: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.array(/* @__PURE__ */ v.string())),
    metadata: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.record(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.unknown()), /* @__PURE__ */ v.description('As given at creation or update.'))),
    template: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.description('The key template the key was created from.'))),
    externalId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.description('The id the key had in the system it was imported from.'))),
    importedAt: /* @__PURE__ */ v.optional(Timestamp),
};

export const KeyView = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject(keyViewEntries),
  /* @__PURE__ */ v.title('KeyView'),
  /* @__PURE__ */ v.description('A key as clients see it: never its hash or plaintext.'),
);

const PLAINTEXT = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.description('The key itself. Shown once, in this answer only; Keygate stores only its hash.'));

export const CreatedKey = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.strictObject(/* @__PURE__ */ merged(keyViewEntries, { key: PLAINTEXT })), /* @__PURE__ */ v.title('CreatedKey'));

export const RotatedKey = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject(/* @__PURE__ */ merged(keyViewEntries, {
    key: PLAINTEXT,
    previous: /* @__PURE__ */ v.pipe(
      /* @__PURE__ */ v.strictObject({ id: KeyId, status: /* @__PURE__ */ v.picklist(KEY_STATUSES), expiresAt: /* @__PURE__ */ v.optional(Timestamp) }),
      /* @__PURE__ */ v.description('The rotated key: it keeps working until expiresAt (the grace period), or is revoked with a grace period of 0.'),
    ),
  })),
  /* @__PURE__ */ v.title('RotatedKey'),
);

const nextCursor = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.nullable(/* @__PURE__ */ v.string()), /* @__PURE__ */ v.description('Pass as cursor for the next page; null on the last page.'));

export const KeyPage = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.strictObject({ items: /* @__PURE__ */ v.array(KeyView), nextCursor }), /* @__PURE__ */ v.title('KeyPage'));

export const ScopeList = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({ items: /* @__PURE__ */ v.array(/* @__PURE__ */ v.strictObject({ name: /* @__PURE__ */ v.string(), description: /* @__PURE__ */ v.string() })) }),
  /* @__PURE__ */ v.title('ScopeList'),
  /* @__PURE__ */ v.description('Scopes this deployment defines, built-in ones included, by name.'),
);

export const KeyTemplateView = /* @__PURE__ */ v.strictObject({
  name: /* @__PURE__ */ v.string(),
  description: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.string()),
  scopes: /* @__PURE__ */ v.array(/* @__PURE__ */ v.string()),
  rateLimit: /* @__PURE__ */ v.optional(RateLimitOut),
  quota: /* @__PURE__ */ v.optional(QuotaOut),
  expiresInDays: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.number()),
  environment: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.picklist(KEY_ENVIRONMENTS)),
  allowedIps: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.array(/* @__PURE__ */ v.string())),
});

export const TemplateList = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.strictObject({ items: /* @__PURE__ */ v.array(KeyTemplateView) }), /* @__PURE__ */ v.title('TemplateList'));

export const Whoami = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({ keyId: /* @__PURE__ */ v.string(), ownerId: /* @__PURE__ */ v.string(), scopes: /* @__PURE__ */ v.array(/* @__PURE__ */ v.string()), expiresAt: /* @__PURE__ */ v.nullable(/* @__PURE__ */ v.string()) }),
  /* @__PURE__ */ v.title('Whoami'),
  /* @__PURE__ */ v.description('The calling key.'),
);

export const VERIFY_CODES = ['VALID', 'NOT_FOUND', 'REVOKED', 'EXPIRED', 'INSUFFICIENT_SCOPE', 'IP_NOT_ALLOWED', 'RATE_LIMITED', 'QUOTA_EXCEEDED'] as const;

export const VerifyResult = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({
    valid: /* @__PURE__ */ v.boolean(),
    code: /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.picklist(VERIFY_CODES), /* @__PURE__ */ v.description('Why the key is or is not valid (a missing or malformed key is NOT_FOUND).')),
    keyId: /* @__PURE__ */ v.nullable(/* @__PURE__ */ v.string()),
    ownerId: /* @__PURE__ */ v.nullable(/* @__PURE__ */ v.string()),
    scopes: /* @__PURE__ */ v.array(/* @__PURE__ */ v.string()),
    expiresAt: /* @__PURE__ */ v.nullable(/* @__PURE__ */ v.string()),
    rateLimit: /* @__PURE__ */ v.nullable(/* @__PURE__ */ v.strictObject({ limit: /* @__PURE__ */ v.number(), remaining: /* @__PURE__ */ v.number(), resetAt: Timestamp })),
  }),
  /* @__PURE__ */ v.title('VerifyResult'),
  /* @__PURE__ */ v.description('A refused key is a 200 answer saying why, not an error of the call.'),
);

const usageWindowEntries = { limit: /* @__PURE__ */ v.number(), used: /* @__PURE__ */ v.number(), remaining: /* @__PURE__ */ v.number(), resetAt: Timestamp };
const UsageWindow = /* @__PURE__ */ v.strictObject(usageWindowEntries);

const KeyUsageEntries = {
  keyId: /* @__PURE__ */ v.string(),
  rateLimit: /* @__PURE__ */ v.nullable(
    /* @__PURE__ */ v.strictObject(
      /* @__PURE__ */ merged(usageWindowEntries, {
        windowSeconds: /* @__PURE__ */ v.number(),
        windowStart: Timestamp,
        policy: /* @__PURE__ */ v.pipe(RatePolicyOut, /* @__PURE__ */ v.description('The policy the key counts with (fixed when the key sets none).')),
        burst: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.number(), /* @__PURE__ */ v.description('tokenBucket: the bucket’s capacity (limit is then burst as well).'))),
      }),
    ),
  ),
  quota: /* @__PURE__ */ v.strictObject({ daily: /* @__PURE__ */ v.nullable(UsageWindow), monthly: /* @__PURE__ */ v.nullable(UsageWindow) }),
};

export const KeyUsage = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.strictObject(KeyUsageEntries), /* @__PURE__ */ v.title('KeyUsage'), /* @__PURE__ */ v.description('Live counters of the key’s limits.'));

/** A usage report row: its group columns (day, hour, keyId, ownerId, route, status, decision), then the measures. */
export const UsageReportRow = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.record(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.union([/* @__PURE__ */ v.string(), /* @__PURE__ */ v.number(), /* @__PURE__ */ v.null()])),
  /* @__PURE__ */ v.description('Group columns as requested (day, hour, keyId, ownerId, route, status, decision), then requests, errors, rateLimited, p50LatencyMs, p95LatencyMs, p99LatencyMs.'),
);

export const KeyUsageHistory = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject(/* @__PURE__ */ merged(KeyUsageEntries, {
    history: /* @__PURE__ */ v.strictObject({ from: /* @__PURE__ */ v.string(), to: /* @__PURE__ */ v.string(), days: /* @__PURE__ */ v.array(UsageReportRow), truncated: /* @__PURE__ */ v.boolean() }),
  })),
  /* @__PURE__ */ v.title('KeyUsageHistory'),
  /* @__PURE__ */ v.description('Live counters, and with from/to the key’s requests per day from the usage records.'),
);

export const UsageReport = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({
    from: /* @__PURE__ */ v.string(),
    to: /* @__PURE__ */ v.string(),
    groupBy: /* @__PURE__ */ v.array(/* @__PURE__ */ v.string()),
    ownerId: /* @__PURE__ */ v.nullable(/* @__PURE__ */ v.string()),
    keyId: /* @__PURE__ */ v.nullable(/* @__PURE__ */ v.string()),
    route: /* @__PURE__ */ v.nullable(/* @__PURE__ */ v.string()),
    rows: /* @__PURE__ */ v.array(UsageReportRow),
    truncated: /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.boolean(), /* @__PURE__ */ v.description('More rows matched than one report holds; the rest were left out.')),
  }),
  /* @__PURE__ */ v.title('UsageReport'),
);

export const QueryRunning = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({ status: /* @__PURE__ */ v.literal('running'), queryId: /* @__PURE__ */ v.string(), retryAfterSeconds: /* @__PURE__ */ v.number() }),
  /* @__PURE__ */ v.title('QueryRunning'),
  /* @__PURE__ */ v.description('The query is still running: ask again with the same parameters plus queryId (the Location header).'),
);

const Json = /* @__PURE__ */ v.unknown();

export const AuditEntry = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({
    id: /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.regex(AUDIT_ID_PATTERN)),
    at: Timestamp,
    action: /* @__PURE__ */ v.picklist(AUDIT_ACTIONS),
    outcome: /* @__PURE__ */ v.picklist(['success', 'denied']),
    reason: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.description('For a denied entry: the problem code the caller got.'))),
    actor: /* @__PURE__ */ v.strictObject({ type: /* @__PURE__ */ v.picklist(ACTOR_TYPES), keyId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.string()), ownerId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.string()) }),
    target: /* @__PURE__ */ v.strictObject({ keyId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.string()), ownerId: /* @__PURE__ */ v.string() }),
    request: /* @__PURE__ */ v.strictObject({ requestId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.string()), sourceIp: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.string()), userAgent: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.string()) }),
    changes: /* @__PURE__ */ v.array(/* @__PURE__ */ v.strictObject({ field: /* @__PURE__ */ v.string(), before: /* @__PURE__ */ v.optional(Json), after: /* @__PURE__ */ v.optional(Json), sealed: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.literal(true)) })),
    chain: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.strictObject({ seq: /* @__PURE__ */ v.number(), prev: /* @__PURE__ */ v.nullable(/* @__PURE__ */ v.string()), prevExpiresAt: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.number()) })),
    expiresAt: /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.number(), /* @__PURE__ */ v.description('Deleted by retention after this time (epoch seconds).')),
    digest: /* @__PURE__ */ v.string(),
  }),
  /* @__PURE__ */ v.title('AuditEntry'),
);

export const AuditPage = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.strictObject({ items: /* @__PURE__ */ v.array(AuditEntry), nextCursor }), /* @__PURE__ */ v.title('AuditPage'));

const ChainVerdict = /* @__PURE__ */ v.strictObject({
  keyId: /* @__PURE__ */ v.string(),
  ok: /* @__PURE__ */ v.boolean(),
  entries: /* @__PURE__ */ v.number(),
  firstSeq: /* @__PURE__ */ v.nullable(/* @__PURE__ */ v.number()),
  lastSeq: /* @__PURE__ */ v.nullable(/* @__PURE__ */ v.number()),
  pruned: /* @__PURE__ */ v.boolean(),
  broken: /* @__PURE__ */ v.optional(
    /* @__PURE__ */ v.strictObject({
      reason: /* @__PURE__ */ v.picklist(['digest_mismatch', 'link_mismatch', 'missing_entry', 'head_mismatch']),
      seq: /* @__PURE__ */ v.number(),
      entryId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.string()),
      detail: /* @__PURE__ */ v.string(),
    }),
  ),
});

export const AuditVerifyResult = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({
    ok: /* @__PURE__ */ v.boolean(),
    keysChecked: /* @__PURE__ */ v.number(),
    entriesChecked: /* @__PURE__ */ v.number(),
    keys: /* @__PURE__ */ v.array(ChainVerdict),
    firstBroken: /* @__PURE__ */ v.nullable(ChainVerdict),
    nextCursor,
  }),
  /* @__PURE__ */ v.title('AuditVerifyResult'),
);

export const LeakReportAccepted = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.strictObject({ status: /* @__PURE__ */ v.literal('accepted'), message: /* @__PURE__ */ v.string() }), /* @__PURE__ */ v.title('LeakReportAccepted'));

export const Health = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.strictObject({ status: /* @__PURE__ */ v.literal('ok') }), /* @__PURE__ */ v.title('Health'));

export const Echo = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({ message: /* @__PURE__ */ v.string(), keyId: /* @__PURE__ */ v.string(), ownerId: /* @__PURE__ */ v.string(), scopes: /* @__PURE__ */ v.array(/* @__PURE__ */ v.string()), method: /* @__PURE__ */ v.string(), path: /* @__PURE__ */ v.string() }),
  /* @__PURE__ */ v.title('Echo'),
);

/** An OpenAPI 3.1 document (core/openapi.ts builds it). */
export const OpenApiDocument = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.looseObject({ openapi: /* @__PURE__ */ v.string() }), /* @__PURE__ */ v.title('OpenApiDocument'));

export const FieldErrorSchema = /* @__PURE__ */ v.strictObject({
  field: /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.description('Dotted path of the member, e.g. rateLimit.limit or scopes[2].')),
  message: /* @__PURE__ */ v.string(),
  code: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.description('For the input rules (docs/api.md), e.g. bidi_control.'))),
});

export const ProblemDetails = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.looseObject({
    type: /* @__PURE__ */ v.string(),
    title: /* @__PURE__ */ v.string(),
    status: /* @__PURE__ */ v.number(),
    code: /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.description('Stable problem code (core/problem-codes.ts).')),
    detail: /* @__PURE__ */ v.string(),
    errors: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.array(FieldErrorSchema)),
    requestId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.string()),
  }),
  /* @__PURE__ */ v.title('ProblemDetails'),
  /* @__PURE__ */ v.description('RFC 9457 problem details, as application/problem+json.'),
);

/** GET /v1/keys/{id}/usage answers live counters, or with from/to the history as well. */
export const KeyUsageAnswer = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.union([KeyUsage, KeyUsageHistory]), /* @__PURE__ */ v.title('KeyUsageAnswer'));

/** Rows one POST /v1/keys/import may carry (the CLI batches larger files). */
export const IMPORT_MAX_ROWS = 100;
/** The id a key had in the system it comes from. */
export const EXTERNAL_ID_PATTERN = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
export const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;
/** A display prefix given with an imported hash. */
export const START_PATTERN = /^[\x21-\x7e]{1,16}$/;

/**
 * One row of an import, as documented: the create-key fields (with `ownerId` required) plus the
 * import's own. The service checks each row on its own (core/key-import.ts), so a row in error
 * is that row's `invalid` outcome, not a 400 for the batch.
 */
export const ImportKeyRow = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({
    externalId: /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.regex(EXTERNAL_ID_PATTERN), /* @__PURE__ */ v.description('The key\u2019s id in the system it comes from: 1-128 of letters, digits and . _ : @ / + = -. Importing the same externalId again is idempotent.')),
    key: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.minLength(1), /* @__PURE__ */ v.maxLength(256), /* @__PURE__ */ v.description('The plaintext key: hashed on arrival, never stored. Give key, or hash with start. A key not in Keygate\u2019s format needs keygate:legacyKeys.'))),
    hash: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.regex(SHA256_HEX_PATTERN), /* @__PURE__ */ v.description('SHA-256 of the plaintext, 64 lowercase hex characters; with start.'))),
    start: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.regex(START_PATTERN), /* @__PURE__ */ v.description('Display prefix the key is recognised by (1-16 printable ASCII characters); required with hash.'))),
    name: Name,
    description: /* @__PURE__ */ v.optional(Description),
    ownerId: OwnerId,
    scopes: Scopes,
    expiresAt: /* @__PURE__ */ v.optional(IsoDateTime),
    rateLimit: /* @__PURE__ */ v.optional(RateLimit),
    quota: /* @__PURE__ */ v.optional(Quota),
    allowedIps: /* @__PURE__ */ v.optional(AllowedIps),
    metadata: /* @__PURE__ */ v.optional(Metadata),
    environment: /* @__PURE__ */ v.optional(Environment),
  }),
  /* @__PURE__ */ v.title('ImportKeyRow'),
);

export const ImportKeysBody = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({
    keys: /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.array(ImportKeyRow), /* @__PURE__ */ v.minLength(1), /* @__PURE__ */ v.maxLength(IMPORT_MAX_ROWS)),
    dryRun: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.boolean(), /* @__PURE__ */ v.description('Write nothing; report what a real run would do (would_create for new rows).'))),
  }),
  /* @__PURE__ */ v.title('ImportKeysBody'),
  /* @__PURE__ */ v.description('Keys to bring into Keygate, at most 100 per request and within the 16 KB body limit.'),
  /* @__PURE__ */ v.examples([{ keys: [{ externalId: 'legacy-42', hash: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90', start: 'kg_live_AbCd', name: 'Partner A', ownerId: 'partner-a', scopes: ['orders:read'] }], dryRun: true }]),
);

const IMPORT_STATUS = /* @__PURE__ */ v.picklist(['created', 'unchanged', 'conflict', 'invalid', 'would_create']);
const COUNT = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.number(), /* @__PURE__ */ v.integer(), /* @__PURE__ */ v.minValue(0));

export const ImportKeysResult = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({
    dryRun: /* @__PURE__ */ v.boolean(),
    summary: /* @__PURE__ */ v.strictObject({ total: COUNT, created: COUNT, unchanged: COUNT, conflict: COUNT, invalid: COUNT, would_create: COUNT }),
    results: /* @__PURE__ */ v.array(
      /* @__PURE__ */ v.strictObject({
        index: COUNT,
        externalId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.string()),
        status: /* @__PURE__ */ v.pipe(IMPORT_STATUS, /* @__PURE__ */ v.description('created; unchanged (already imported with this hash); conflict (the externalId has another hash, or the hash belongs to another key — which one is not said); invalid (see errors); would_create (dry run).')),
        keyId: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.string()),
        errors: /* @__PURE__ */ v.optional(/* @__PURE__ */ v.array(FieldErrorSchema)),
      }),
    ),
  }),
  /* @__PURE__ */ v.title('ImportKeysResult'),
  /* @__PURE__ */ v.description('One outcome per row, in request order, and the totals.'),
);
