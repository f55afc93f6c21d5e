/**
 * Bad input to every endpoint, table-driven: each request must get a 4xx problem+json (never
 * a 5xx) whose `code` and `detail`/`errors` name the problem, and none may change stored data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local';
import { ApiClient, type ApiResponse, expectProblem, UNKNOWN_KEY_ID, withBadChecksum } from '../support/e2e';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let stack: TestStack;
let api: ApiClient;
let target: Json; // a real key the PATCH/DELETE/rotate cases aim at
let snapshotBefore: Json[];

interface BadCase {
  readonly name: string;
  readonly method: string;
  /** `{T}` is replaced by the target key's id. */
  readonly path: string;
  /** An object is sent as JSON; a string or bytes as they are. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Default: the admin key. `none` sends no key; `badChecksum` the target key with one character changed. */
  readonly auth?: 'admin' | 'none' | 'badChecksum';
  readonly status: number;
  readonly code: string;
  /** validation_failed: a field in `errors` and what its message must say. */
  readonly field?: string;
  readonly message?: RegExp;
  /** What `detail` must say. */
  readonly detail?: RegExp;
}

const CREATE = { label: 'POST /v1/keys', method: 'POST', path: '/v1/keys' };
const UPDATE = { label: 'PATCH /v1/keys/{id}', method: 'PATCH', path: '/v1/keys/{T}' };
const ROTATE = { label: 'POST /v1/keys/{id}/rotate', method: 'POST', path: '/v1/keys/{T}/rotate' };
const BODY_ROUTES = [CREATE, UPDATE, ROTATE];

const field = (
  route: { label: string; method: string; path: string },
  what: string,
  body: unknown,
  f: string,
  message: RegExp,
): BadCase => ({ name: `${route.label}: rejects ${what}`, method: route.method, path: route.path, body, status: 400, code: 'validation_failed', field: f, message });

/** Within the 64-level body limit and the 4096-byte size limit, over the 32-level metadata limit. */
const NESTED_TOO_DEEP = (() => {
  let v: unknown = 'leaf';
  for (let i = 0; i < 40; i++) v = { a: v };
  return v;
})();

const cases: BadCase[] = [
  // Bodies that are not a JSON object, too big, or of the wrong media type: every route that reads a body.
  ...BODY_ROUTES.flatMap((r): BadCase[] => [
    { name: `${r.label}: rejects malformed JSON`, method: r.method, path: r.path, body: '{"name":', status: 400, code: 'malformed_json', detail: /not valid JSON/ },
    { name: `${r.label}: rejects JSON with a trailing comma`, method: r.method, path: r.path, body: '{"name":"x",}', status: 400, code: 'malformed_json', detail: /not valid JSON/ },
    { name: `${r.label}: rejects a JSON array body`, method: r.method, path: r.path, body: '[]', status: 400, code: 'invalid_body', detail: /must be a JSON object/ },
    { name: `${r.label}: rejects a JSON string body`, method: r.method, path: r.path, body: '"hello"', status: 400, code: 'invalid_body', detail: /must be a JSON object/ },
    { name: `${r.label}: rejects a JSON number body`, method: r.method, path: r.path, body: '42', status: 400, code: 'invalid_body', detail: /must be a JSON object/ },
    { name: `${r.label}: rejects a JSON boolean body`, method: r.method, path: r.path, body: 'true', status: 400, code: 'invalid_body', detail: /must be a JSON object/ },
    {
      name: `${r.label}: rejects a 17 KB body with 413 payload_too_large`,
      method: r.method,
      path: r.path,
      body: JSON.stringify({ name: 'x', description: 'd'.repeat(17 * 1024) }),
      status: 413,
      code: 'payload_too_large',
      detail: /limit is 16384 bytes/,
    },
    {
      name: `${r.label}: rejects a 1 MB body with 413 payload_too_large`,
      method: r.method,
      path: r.path,
      body: JSON.stringify({ name: 'x', description: 'd'.repeat(1024 * 1024) }),
      status: 413,
      code: 'payload_too_large',
      detail: /bytes/,
    },
    ...['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x'].map(
      (type): BadCase => ({
        name: `${r.label}: rejects Content-Type ${type} with 415`,
        method: r.method,
        path: r.path,
        body: '{"name":"x"}',
        headers: { 'content-type': type },
        status: 415,
        code: 'unsupported_media_type',
        detail: new RegExp(type.split(';')[0]!.replace(/[/+.]/g, '\\$&')),
      }),
    ),
    field(r, 'an unknown field', { name: 'x', gracePeriodSeconds: 1, nope: 1 }, 'nope', /unknown field/),
    field(r, 'a __proto__ member', '{"name":"x","gracePeriodSeconds":1,"__proto__":{"admin":true}}', '__proto__', /unknown field/),
  ]),
  ...[CREATE, UPDATE].flatMap((r): BadCase[] => [
    { name: `${r.label}: rejects a JSON null body`, method: r.method, path: r.path, body: 'null', status: 400, code: 'invalid_body', detail: /must be a JSON object/ },
    { name: `${r.label}: rejects an empty body`, method: r.method, path: r.path, body: '', status: 400, code: 'invalid_body', detail: /must be a JSON object/ },
  ]),

  // POST /v1/keys: every field with a wrong type or value.
  field(CREATE, 'a missing name', { scopes: [] }, 'name', /is required/),
  field(CREATE, 'a null name', { name: null }, 'name', /must be a string/),
  field(CREATE, 'a numeric name', { name: 123 }, 'name', /must be a string/),
  field(CREATE, 'an empty name', { name: '' }, 'name', /must not be empty/),
  field(CREATE, 'a whitespace-only name', { name: '   ' }, 'name', /must not be empty/),
  field(CREATE, 'a 129-character name', { name: 'n'.repeat(129) }, 'name', /at most 128/),
  field(CREATE, 'a name with a NUL character', { name: 'a\u0000b' }, 'name', /control characters/),
  field(CREATE, 'a name with an escape character', { name: 'a\u001b[31mred' }, 'name', /control characters/),
  field(CREATE, 'a name with an inner tab', { name: 'a\tb' }, 'name', /control characters/),
  field(CREATE, 'a name with DEL', { name: 'a\u007fb' }, 'name', /control characters/),
  field(CREATE, 'a numeric description', { name: 'x', description: 5 }, 'description', /must be a string/),
  field(CREATE, 'a null description', { name: 'x', description: null }, 'description', /must be a string/),
  field(CREATE, 'a 1025-character description', { name: 'x', description: 'd'.repeat(1025) }, 'description', /at most 1024/),
  field(CREATE, 'a description with control characters', { name: 'x', description: 'line\u0000' }, 'description', /control characters/),
  field(CREATE, 'an ownerId with a space', { name: 'x', ownerId: 'bad owner' }, 'ownerId', /letters, digits/),
  field(CREATE, 'an empty ownerId', { name: 'x', ownerId: '' }, 'ownerId', /letters, digits/),
  field(CREATE, 'an ownerId starting with a dash', { name: 'x', ownerId: '-acme' }, 'ownerId', /letters, digits/),
  field(CREATE, 'a numeric ownerId', { name: 'x', ownerId: 42 }, 'ownerId', /letters, digits/),
  field(CREATE, 'a 129-character ownerId', { name: 'x', ownerId: 'o'.repeat(129) }, 'ownerId', /1-128/),
  field(CREATE, 'a null ownerId', { name: 'x', ownerId: null }, 'ownerId', /letters, digits/),
  field(CREATE, 'scopes as a string', { name: 'x', scopes: 'echo:read' }, 'scopes', /must be an array/),
  field(CREATE, 'null scopes', { name: 'x', scopes: null }, 'scopes', /must be an array/),
  field(CREATE, 'a numeric scope', { name: 'x', scopes: [5] }, 'scopes[0]', /scope name/),
  field(CREATE, 'a scope with spaces and capitals', { name: 'x', scopes: ['echo:read', 'Bad Scope'] }, 'scopes[1]', /scope name/),
  field(CREATE, '51 scopes', { name: 'x', scopes: Array.from({ length: 51 }, (_, i) => `s${i}:read`) }, 'scopes', /at most 50/),
  field(CREATE, 'a 65-character scope', { name: 'x', scopes: ['s'.repeat(65)] }, 'scopes[0]', /scope name/),
  { name: `${CREATE.label}: rejects a scope this deployment does not define`, method: 'POST', path: '/v1/keys', body: { name: 'x', scopes: ['billing:write'] }, status: 400, code: 'unknown_scope', detail: /billing:write/ },
  field(CREATE, 'a free-text expiresAt', { name: 'x', expiresAt: 'tomorrow' }, 'expiresAt', /ISO-8601/),
  field(CREATE, 'an expiresAt without a time', { name: 'x', expiresAt: '2099-01-01' }, 'expiresAt', /ISO-8601/),
  field(CREATE, 'an expiresAt without a time zone', { name: 'x', expiresAt: '2099-01-01T00:00:00' }, 'expiresAt', /time zone/),
  field(CREATE, 'an expiresAt in month 13', { name: 'x', expiresAt: '2099-13-01T00:00:00Z' }, 'expiresAt', /ISO-8601/),
  field(CREATE, 'an expiresAt at 25 o’clock', { name: 'x', expiresAt: '2099-01-01T25:00:00Z' }, 'expiresAt', /ISO-8601/),
  field(CREATE, 'an expiresAt with a +25:00 offset', { name: 'x', expiresAt: '2099-01-01T00:00:00+25:00' }, 'expiresAt', /ISO-8601/),
  field(CREATE, 'a numeric expiresAt', { name: 'x', expiresAt: 4102444800000 }, 'expiresAt', /ISO-8601/),
  field(CREATE, 'a null expiresAt', { name: 'x', expiresAt: null }, 'expiresAt', /ISO-8601/),
  field(CREATE, 'an expiresAt in the past', { name: 'x', expiresAt: '2000-01-01T00:00:00Z' }, 'expiresAt', /in the future/),
  field(CREATE, 'expiresAt together with expiresInDays', { name: 'x', expiresAt: '2099-01-01T00:00:00Z', expiresInDays: 3 }, 'expiresInDays', /not both/),
  field(CREATE, 'expiresInDays 0', { name: 'x', expiresInDays: 0 }, 'expiresInDays', /from 1 to 3650/),
  field(CREATE, 'a negative expiresInDays', { name: 'x', expiresInDays: -1 }, 'expiresInDays', /from 1 to 3650/),
  field(CREATE, 'a fractional expiresInDays', { name: 'x', expiresInDays: 1.5 }, 'expiresInDays', /integer/),
  field(CREATE, 'expiresInDays 3651', { name: 'x', expiresInDays: 3651 }, 'expiresInDays', /from 1 to 3650/),
  field(CREATE, 'a string expiresInDays', { name: 'x', expiresInDays: '30' }, 'expiresInDays', /integer/),
  field(CREATE, 'expiresInDays beyond double range (1e400)', '{"name":"x","expiresInDays":1e400}', 'expiresInDays', /integer/),
  field(CREATE, 'expiresInDays above 2^53', '{"name":"x","expiresInDays":9007199254740993}', 'expiresInDays', /from 1 to 3650/),
  field(CREATE, 'a string rateLimit', { name: 'x', rateLimit: 'fast' }, 'rateLimit', /must be an object/),
  field(CREATE, 'an array rateLimit', { name: 'x', rateLimit: [10, 60] }, 'rateLimit', /must be an object/),
  field(CREATE, 'a null rateLimit', { name: 'x', rateLimit: null }, 'rateLimit', /must be an object/),
  field(CREATE, 'a negative rate limit', { name: 'x', rateLimit: { limit: -1, windowSeconds: 60 } }, 'rateLimit.limit', /from 1 to 1000000/),
  field(CREATE, 'a fractional rate limit', { name: 'x', rateLimit: { limit: 1.5, windowSeconds: 60 } }, 'rateLimit.limit', /integer/),
  field(CREATE, 'a huge rate limit', { name: 'x', rateLimit: { limit: 1e12, windowSeconds: 60 } }, 'rateLimit.limit', /from 1 to 1000000/),
  field(CREATE, 'a rate limit without windowSeconds', { name: 'x', rateLimit: { limit: 10 } }, 'rateLimit.windowSeconds', /integer/),
  field(CREATE, 'a window of 3601 seconds', { name: 'x', rateLimit: { limit: 10, windowSeconds: 3601 } }, 'rateLimit.windowSeconds', /from 1 to 3600/),
  field(CREATE, 'an unknown rateLimit member', { name: 'x', rateLimit: { limit: 10, windowSeconds: 60, refill: 5 } }, 'rateLimit.refill', /unknown field/),
  field(CREATE, 'a burst without policy tokenBucket', { name: 'x', rateLimit: { limit: 10, windowSeconds: 60, burst: 5 } }, 'rateLimit.burst', /only allowed with policy "tokenBucket"/),
  field(CREATE, 'an unknown rate-limit policy', { name: 'x', rateLimit: { limit: 10, windowSeconds: 60, policy: 'leaky' } }, 'rateLimit.policy', /must be "fixed", "sliding" or "tokenBucket"/),
  field(CREATE, 'an empty quota', { name: 'x', quota: {} }, 'quota', /daily, monthly or both/),
  field(CREATE, 'a daily quota above the monthly one', { name: 'x', quota: { daily: 10, monthly: 5 } }, 'quota', /daily must not exceed monthly/),
  field(CREATE, 'a zero daily quota', { name: 'x', quota: { daily: 0 } }, 'quota.daily', /from 1/),
  field(CREATE, 'a string daily quota', { name: 'x', quota: { daily: '10' } }, 'quota.daily', /integer/),
  field(CREATE, 'an unknown quota member', { name: 'x', quota: { weekly: 5 } }, 'quota.weekly', /unknown field/),
  field(CREATE, 'a monthly quota above the maximum', { name: 'x', quota: { monthly: 31_000_000_001 } }, 'quota.monthly', /from 1 to 31000000000/),
  field(CREATE, 'allowedIps as a string', { name: 'x', allowedIps: '10.0.0.0/8' }, 'allowedIps', /must be an array/),
  field(CREATE, 'an empty allowedIps', { name: 'x', allowedIps: [] }, 'allowedIps', /must not be empty/),
  field(CREATE, '101 allowedIps', { name: 'x', allowedIps: Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`) }, 'allowedIps', /at most 100/),
  ...['10.0.0.0/33', '300.0.0.1', '10.0.0.0/-1', '10.0.0/8', 'abc', '10.0.0.0/8/8', 'fe80::1%eth0', '2001:db8::/129', '2001:db8:::1', '', ' 10.0.0.1'].map((cidr) =>
    field(CREATE, `the invalid CIDR ${JSON.stringify(cidr)}`, { name: 'x', allowedIps: ['192.0.2.0/24', cidr] }, 'allowedIps[1]', /not a valid IPv4 or IPv6/),
  ),
  field(CREATE, 'a numeric CIDR', { name: 'x', allowedIps: [167772160] }, 'allowedIps[0]', /not a valid IPv4 or IPv6/),
  field(CREATE, 'string metadata', { name: 'x', metadata: 'x' }, 'metadata', /JSON object/),
  field(CREATE, 'array metadata', { name: 'x', metadata: [1, 2] }, 'metadata', /JSON object/),
  field(CREATE, 'null metadata', { name: 'x', metadata: null }, 'metadata', /JSON object/),
  field(CREATE, 'metadata over 4096 bytes', { name: 'x', metadata: { blob: 'm'.repeat(4100) } }, 'metadata', /at most 4096 bytes/),
  field(CREATE, 'metadata nested 40 levels deep (over 32)', { name: 'x', metadata: NESTED_TOO_DEEP }, 'metadata', /at most 32 levels deep/),
  field(CREATE, 'an unknown environment', { name: 'x', environment: 'prod' }, 'environment', /"live" or "test"/),
  field(CREATE, 'a numeric environment', { name: 'x', environment: 1 }, 'environment', /"live" or "test"/),
  field(CREATE, 'a null environment', { name: 'x', environment: null }, 'environment', /"live" or "test"/),

  // PATCH /v1/keys/{id}
  field(UPDATE, 'an empty object', {}, 'body', /at least one of/),
  field(UPDATE, 'a null name', { name: null }, 'name', /must be a string/),
  field(UPDATE, 'an empty name', { name: ' ' }, 'name', /must not be empty/),
  field(UPDATE, 'a change of ownerId', { ownerId: 'someone-else' }, 'ownerId', /unknown field/),
  field(UPDATE, 'a change of environment', { environment: 'test' }, 'environment', /unknown field/),
  field(UPDATE, 'expiresInDays (create only)', { expiresInDays: 5 }, 'expiresInDays', /unknown field/),
  field(UPDATE, 'null scopes', { scopes: null }, 'scopes', /must be an array/),
  field(UPDATE, 'a numeric description', { description: 7 }, 'description', /must be a string/),
  field(UPDATE, 'an expiresAt in the past', { expiresAt: '2000-01-01T00:00:00Z' }, 'expiresAt', /in the future/),
  field(UPDATE, 'a free-text expiresAt', { expiresAt: 'never' }, 'expiresAt', /ISO-8601/),
  field(UPDATE, 'an empty allowedIps (null clears it)', { allowedIps: [] }, 'allowedIps', /use null/),
  field(UPDATE, 'an invalid CIDR', { allowedIps: ['10.0.0.0/40'] }, 'allowedIps[0]', /not a valid/),
  field(UPDATE, 'a zero rate limit', { rateLimit: { limit: 0, windowSeconds: 1 } }, 'rateLimit.limit', /from 1/),
  field(UPDATE, 'an empty quota', { quota: {} }, 'quota', /daily, monthly or both/),
  field(UPDATE, 'string metadata', { metadata: 'x' }, 'metadata', /JSON object/),
  { name: `${UPDATE.label}: rejects a scope this deployment does not define`, method: 'PATCH', path: '/v1/keys/{T}', body: { scopes: ['nope:nope'] }, status: 400, code: 'unknown_scope', detail: /nope:nope/ },

  // POST /v1/keys/{id}/rotate
  field(ROTATE, 'a negative grace period', { gracePeriodSeconds: -1 }, 'gracePeriodSeconds', /from 0 to 2592000/),
  field(ROTATE, 'a fractional grace period', { gracePeriodSeconds: 1.5 }, 'gracePeriodSeconds', /integer/),
  field(ROTATE, 'a string grace period', { gracePeriodSeconds: '60' }, 'gracePeriodSeconds', /integer/),
  field(ROTATE, 'a null grace period', { gracePeriodSeconds: null }, 'gracePeriodSeconds', /integer/),
  field(ROTATE, 'a grace period over 30 days', { gracePeriodSeconds: 2_592_001 }, 'gracePeriodSeconds', /from 0 to 2592000/),
  field(ROTATE, 'a grace period of 1e20', { gracePeriodSeconds: 1e20 }, 'gracePeriodSeconds', /from 0 to 2592000/),
  field(ROTATE, 'a misspelt grace member', { grace: 5 }, 'grace', /unknown field/),

  // Several errors at once are all reported.
  {
    name: `${CREATE.label}: rejects several bad fields and lists each`,
    method: 'POST',
    path: '/v1/keys',
    body: { name: 5, scopes: 'x', environment: 'prod' },
    status: 400,
    code: 'validation_failed',
    field: 'environment',
    message: /"live" or "test"/,
    detail: /^name: must be a string \(and 2 more\)$/,
  },

  // Invalid ids in paths, on every route that takes one.
  ...[
    ['GET', ''],
    ['PATCH', ''],
    ['DELETE', ''],
    ['POST', '/rotate'],
  ].flatMap(([method, suffix]): BadCase[] =>
    ['nope', 'key_short', '%E0%A4%A', '%00', '%F0%9F%94%91', `key_${'a'.repeat(26)}`, `key_${'U'.repeat(26)}`, `KEY_${UNKNOWN_KEY_ID.slice(4)}`, '..%2F..%2Fetc%2Fpasswd', `${UNKNOWN_KEY_ID}%20`].map(
      (id): BadCase => ({
        name: `${method} /v1/keys/{id}${suffix}: rejects the id ${JSON.stringify(id)} with 400 invalid_key_id`,
        method: method!,
        path: `/v1/keys/${id}${suffix}`,
        ...(method === 'PATCH' ? { body: { name: 'x' } } : {}),
        status: 400,
        code: 'invalid_key_id',
        detail: /is not a key id/,
      }),
    ),
  ),

  // GET /v1/keys query parameters.
  ...(
    [
      ['an unknown query parameter', 'foo=bar', 'foo', /unknown field/],
      ['an unknown status', 'status=deleted', 'status', /active, revoked or expired/],
      ['limit=0', 'limit=0', 'limit', /from 1 to 100/],
      ['limit=101', 'limit=101', 'limit', /from 1 to 100/],
      ['limit=99999', 'limit=99999', 'limit', /integer/],
      ['limit=abc', 'limit=abc', 'limit', /integer/],
      ['limit=1.5', 'limit=1.5', 'limit', /integer/],
      ['limit=-1', 'limit=-1', 'limit', /integer/],
      ['an empty limit', 'limit=', 'limit', /integer/],
      ['an ownerId with a space', 'ownerId=bad%20owner', 'ownerId', /letters, digits/],
      ['a cursor with invalid characters', 'cursor=%21%21%21', 'cursor', /not a cursor/],
      ['a 201-character cursor', `cursor=${'a'.repeat(201)}`, 'cursor', /not a cursor/],
    ] as const
  ).map(([what, query, f, message]): BadCase => ({ name: `GET /v1/keys: rejects ${what}`, method: 'GET', path: `/v1/keys?${query}`, status: 400, code: 'validation_failed', field: f, message })),
  ...['djE6bm9wZQ', Buffer.from(`v2:${UNKNOWN_KEY_ID}`).toString('base64url'), Buffer.from('garbage').toString('base64url')].map(
    (cursor): BadCase => ({ name: `GET /v1/keys: rejects the forged cursor ${cursor} with invalid_cursor`, method: 'GET', path: `/v1/keys?cursor=${cursor}`, status: 400, code: 'invalid_cursor', detail: /cursor/ }),
  ),

  // A key with a bad checksum, on every authorized route.
  ...[
    ['GET', '/v1/keys'],
    ['POST', '/v1/keys'],
    ['GET', '/v1/keys/{T}'],
    ['PATCH', '/v1/keys/{T}'],
    ['DELETE', '/v1/keys/{T}'],
    ['POST', '/v1/keys/{T}/rotate'],
    ['GET', '/v1/scopes'],
    ['GET', '/v1/whoami'],
    ['GET', '/v1/echo'],
  ].map(
    ([method, path]): BadCase => ({
      name: `${method} ${path}: rejects a key with a bad checksum with 401`,
      method: method!,
      path: path!,
      ...(method === 'POST' || method === 'PATCH' ? { body: { name: 'x' } } : {}),
      auth: 'badChecksum',
      status: 401,
      code: 'unauthorized',
      detail: /valid API key is required/,
    }),
  ),
  { name: 'GET /v1/whoami: rejects an 8 KB Authorization header with 401', method: 'GET', path: '/v1/whoami', auth: 'none', headers: { authorization: `Bearer ${'a'.repeat(8192)}` }, status: 401, code: 'unauthorized' },
  { name: 'GET /v1/whoami: rejects an 8 KB X-API-Key header with 401', method: 'GET', path: '/v1/whoami', auth: 'none', headers: { 'x-api-key': `kg_live_${'k'.repeat(8192)}` }, status: 401, code: 'unauthorized' },
  { name: 'GET /v1/whoami: rejects a key-shaped Authorization value with control characters with 401', method: 'GET', path: '/v1/whoami', auth: 'none', headers: { authorization: 'Bearer kg_live_\tabc' }, status: 401, code: 'unauthorized' },

  // Unknown routes and methods: 404 with or without a key (the gateway matches routes first).
  ...[
    ['GET', '/'],
    ['GET', '/v2/keys'],
    ['GET', '/v1/key'],
    ['GET', '/v1/keys/{T}/rotate'],
    ['GET', '/v1/keys/{T}/rotate/extra'],
    ['GET', '/v1/echo/extra'],
    ['PUT', '/v1/keys'],
    ['PUT', '/v1/keys/{T}'],
    ['DELETE', '/v1/keys'],
    ['PATCH', '/v1/keys'],
    ['POST', '/v1/keys/{T}'],
    ['POST', '/health'],
    ['OPTIONS', '/v1/keys'],
    ['GET', '/V1/KEYS'],
  ].flatMap(([method, path]) =>
    (['admin', 'none'] as const).map(
      (auth): BadCase => ({
        name: `${method} ${path}: answers 404 route_not_found (${auth === 'none' ? 'no key' : 'admin key'})`,
        method: method!,
        path: path!,
        auth,
        status: 404,
        code: 'route_not_found',
        detail: /No route matches/,
      }),
    ),
  ),
];

async function allKeys(): Promise<Json[]> {
  const items: Json[] = [];
  let cursor: string | null = null;
  do {
    const res: ApiResponse = await api.call(`/v1/keys?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { key: stack.adminKey });
    expect(res.status, res.text).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

beforeAll(async () => {
  stack = await startTestStack();
  api = new ApiClient({ baseUrl: stack.url });
  const res = await api.call('/v1/keys', {
    method: 'POST',
    key: stack.adminKey,
    body: { name: 'target', description: 'd', scopes: ['echo:read'], metadata: { m: 1 }, allowedIps: ['127.0.0.1'], rateLimit: { limit: 5, windowSeconds: 5 } },
  });
  expect(res.status).toBe(201);
  target = res.body;
  await api.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: { name: 'bystander', ownerId: 'other' } });
  snapshotBefore = await allKeys();
});
afterAll(async () => {
  await stack?.stop();
});

describe('bad input is refused with a 4xx problem that names it', () => {
  it('has at least one case for every route in the API', () => {
    const routes = new Set(cases.map((c) => `${c.method} ${c.path.replace(/\?.*/, '')}`));
    for (const r of ['POST /v1/keys', 'GET /v1/keys', 'GET /v1/keys/{T}', 'PATCH /v1/keys/{T}', 'DELETE /v1/keys/{T}', 'POST /v1/keys/{T}/rotate', 'GET /v1/scopes', 'GET /v1/whoami', 'GET /v1/echo']) {
      expect(routes, r).toContain(r);
    }
    expect(cases.length).toBeGreaterThan(200);
  });

  it.each(cases)('$name', async (c) => {
    const path = c.path.replace('{T}', target.id);
    const auth = c.auth ?? 'admin';
    const key = auth === 'admin' ? stack.adminKey : auth === 'badChecksum' ? withBadChecksum(target.key) : undefined;
    const res = await api.call(path, { method: c.method, ...(key ? { key } : {}), ...(c.body !== undefined ? { body: c.body } : {}), ...(c.headers ? { headers: c.headers } : {}) });
    expect(res.status, res.text).toBeLessThan(500);
    const body = expectProblem(res, c.status, c.code);
    expect(body.requestId).toBe(res.headers.get('x-amzn-requestid'));
    if (c.detail) expect(body.detail).toMatch(c.detail);
    if (c.code === 'validation_failed') {
      expect(body.errors.length).toBeGreaterThan(0);
      expect(body.detail).toMatch(new RegExp(`^${body.errors[0].field.replace(/[[\].]/g, '\\$&')}: `));
    } else {
      expect(body.errors).toBeUndefined();
    }
    if (c.field) {
      const err = body.errors.find((e: Json) => e.field === c.field);
      expect(err, JSON.stringify(body.errors)).toBeDefined();
      expect(err.message).toMatch(c.message!);
    }
  });

  it('truncates a very long invalid id in the detail to 64 characters', async () => {
    const res = await api.call(`/v1/keys/${'x'.repeat(1000)}`, { key: stack.adminKey });
    const body = expectProblem(res, 400, 'invalid_key_id');
    expect(body.detail).toContain('x'.repeat(64));
    expect(body.detail).not.toContain('x'.repeat(65));
  });

  it('answers a well-formed but unknown id with 404 key_not_found on every id route', async () => {
    for (const [method, suffix, body] of [['GET', ''], ['PATCH', '', { name: 'x' }], ['DELETE', ''], ['POST', '/rotate']] as const) {
      expectProblem(await api.call(`/v1/keys/${UNKNOWN_KEY_ID}${suffix}`, { method, key: stack.adminKey, ...(body ? { body } : {}) }), 404, 'key_not_found');
    }
  });

  it('lost and changed nothing: every stored key is exactly as before', async () => {
    expect(api.responses.length).toBeGreaterThan(cases.length);
    const after = await allKeys();
    expect(after).toStrictEqual(snapshotBefore);
    expect(after.find((k) => k.id === target.id)).toMatchObject({ status: 'active', name: 'target' });
    expect((await api.call('/v1/echo', { key: target.key })).status).toBe(200);
  });
});

describe('odd but valid input is accepted and kept exactly', () => {
  it('round-trips a unicode and emoji name', async () => {
    const name = '🔑 Ключ 東京 café';
    const res = await api.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: { name, description: 'ñ 👍' } });
    expect(res.status, res.text).toBe(201);
    const got = await api.call(`/v1/keys/${res.body.id}`, { key: stack.adminKey });
    expect(got.body).toMatchObject({ name, description: 'ñ 👍' });
  });

  it('trims surrounding whitespace (including newlines) from a name', async () => {
    const res = await api.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: { name: '\n  spaced \t' } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.name).toBe('spaced');
  });

  it('round-trips metadata nested to the 32-level limit', async () => {
    let metadata: Json = { leaf: true };
    for (let i = 1; i < 32; i++) metadata = { a: metadata };
    const res = await api.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: { name: 'deep', metadata } });
    expect(res.status, res.text).toBe(201);
    expect((await api.call(`/v1/keys/${res.body.id}`, { key: stack.adminKey })).body.metadata).toStrictEqual(metadata);
  });

  it('accepts a +json media type and a charset parameter', async () => {
    for (const type of ['application/json; charset=utf-8', 'application/merge-patch+json']) {
      const res = await api.call(`/v1/keys/${target.id}`, { method: 'PATCH', key: stack.adminKey, body: { name: 'target' }, headers: { 'content-type': type } });
      expect(res.status, `${type}: ${res.text}`).toBe(200);
    }
  });

  it('ignores unknown query parameters on routes that take none', async () => {
    for (const path of ['/health?x=1', '/v1/scopes?x=1', '/v1/whoami?x=1', '/v1/echo?x=1', `/v1/keys/${target.id}?x=1`]) {
      expect((await api.call(path, { key: stack.adminKey })).status, path).toBe(200);
    }
  });

  it('accepts long header values that are not the key', async () => {
    const res = await api.call('/v1/whoami', { key: stack.adminKey, headers: { 'user-agent': 'u'.repeat(8192), 'x-request-note': 'n'.repeat(4096) } });
    expect(res.status).toBe(200);
  });

  // BUG (core/validation.ts futureDate): the ISO-8601 check is a regex plus Date.parse, and V8's
  // Date.parse rolls impossible days over, so 2099-02-30 is accepted and stored as 2099-03-02 —
  // a different expiry from the one the client asked for. Remove `.fails` once calendar dates are checked.
  it('rejects an impossible calendar date (30 February)', async () => {
    const res = await api.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: { name: 'feb30', expiresAt: '2099-02-30T00:00:00Z' } });
    expect(res.body.expiresAt).toBeUndefined(); // i.e. it was not stored as 2099-03-02
    expectProblem(res, 400, 'validation_failed');
  });
});
