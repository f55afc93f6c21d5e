/**
 * Request schemas, defined once as validators. Each parser takes untrusted JSON, rejects
 * unknown fields, and either returns typed input or throws a 400 `validation_failed`
 * problem that lists every field in error.
 */
import { AUDIT_ACTIONS, type AuditAction } from './audit';
import { normalizeCidr } from './cidr';
import { KEY_ID_PATTERN } from './ids';
import { COST_RANGE } from './operator-routes';
import { KEY_ENVIRONMENTS, type KeyEnvironment } from './key-format';
import type { KeyTemplate } from './key-templates';
import { type FieldError, type FieldErrorCode, ProblemError, validationFailed } from './problem';
import type { KeyStatus, Quota, RateLimit } from './records';
import { SCOPE_PATTERN } from './scopes';
import { displayName, isWellFormed, textProblem } from './text';

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
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

export interface CreateKeyInput {
  readonly name: string;
  readonly description?: string;
  readonly ownerId?: string;
  readonly scopes: readonly string[];
  readonly expiresAt?: string;
  readonly rateLimit?: RateLimit;
  readonly quota?: Quota;
  readonly allowedIps?: readonly string[];
  readonly metadata?: Record<string, unknown>;
  readonly environment: KeyEnvironment;
  /** The key template the fields not given in the request came from (stored on the key). */
  readonly template?: string;
}

/** `null` clears an attribute; absent leaves it alone. */
export interface UpdateKeyInput {
  readonly name?: string;
  readonly description?: string | null;
  readonly scopes?: readonly string[];
  readonly expiresAt?: string | null;
  readonly rateLimit?: RateLimit | null;
  readonly quota?: Quota | null;
  readonly allowedIps?: readonly string[] | null;
  readonly metadata?: Record<string, unknown> | null;
}

export interface RotateKeyInput {
  readonly gracePeriodSeconds: number;
}

export interface ListKeysQuery {
  readonly ownerId?: string;
  readonly status?: KeyStatus;
  readonly limit: number;
  readonly cursor?: string;
}

class Checker {
  readonly errors: FieldError[] = [];
  fail(field: string, message: string, code?: FieldErrorCode): undefined {
    this.errors.push({ field, message, ...(code ? { code } : {}) });
    return undefined;
  }
  done(): void {
    if (this.errors.length > 0) throw validationFailed(this.errors);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function requireObject(body: unknown, what: string): Record<string, unknown> {
  if (!isPlainObject(body)) throw new ProblemError(400, 'invalid_body', `The request body must be a JSON object (${what}).`);
  return body;
}

function rejectUnknown(c: Checker, obj: Record<string, unknown>, allowed: readonly string[], prefix = ''): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) c.fail(prefix + displayName(k), 'unknown field');
}

function str(c: Checker, field: string, v: unknown, min: number, max: number): string | undefined {
  if (typeof v !== 'string') return c.fail(field, 'must be a string');
  const t = v.trim();
  if (t.length < min) return c.fail(field, min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
  if (t.length > max) return c.fail(field, `must be at most ${max} characters`);
  const problem = textProblem(t);
  if (problem) return c.fail(field, problem.message, problem.code);
  return t;
}

function int(c: Checker, field: string, v: unknown, min: number, max: number): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) return c.fail(field, 'must be an integer');
  if (v < min || v > max) return c.fail(field, `must be from ${min} to ${max}`);
  return v;
}

function ownerId(c: Checker, field: string, v: unknown): string | undefined {
  if (typeof v !== 'string' || !OWNER_ID_PATTERN.test(v)) {
    return c.fail(field, 'must be 1-128 characters of letters, digits and . _ : @ - (starting with a letter or digit)');
  }
  return v;
}

function scopes(c: Checker, field: string, v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return c.fail(field, 'must be an array of scope names');
  if (v.length > LIMITS.scopesMax) return c.fail(field, `must hold at most ${LIMITS.scopesMax} scopes`);
  const out: string[] = [];
  v.forEach((s, i) => {
    if (typeof s !== 'string' || s.length > LIMITS.scopeNameMax || !SCOPE_PATTERN.test(s)) {
      c.fail(`${field}[${i}]`, 'must be a scope name such as "orders:read"');
    } else if (!out.includes(s)) {
      out.push(s);
    }
  });
  return out;
}

/** Date.parse rolls impossible dates forward (30 February → 2 March); refuse them instead. */
function isCalendarValid(v: string): boolean {
  const [y, mo, d, h, mi, s] = [v.slice(0, 4), v.slice(5, 7), v.slice(8, 10), v.slice(11, 13), v.slice(14, 16), v.slice(17, 19)].map(Number) as number[];
  if (mo! < 1 || mo! > 12 || d! < 1 || h! > 23 || mi! > 59 || (v[16] === ':' && s! > 59)) return false;
  return d! <= new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
}

/** An ISO-8601 timestamp with a time zone, strictly in the future; returned normalised to UTC. */
function futureDate(c: Checker, field: string, v: unknown, now: Date): string | undefined {
  if (typeof v !== 'string' || !ISO_8601.test(v) || Number.isNaN(Date.parse(v))) {
    return c.fail(field, 'must be an ISO-8601 date-time with a time zone, e.g. 2030-01-31T00:00:00Z');
  }
  if (!isCalendarValid(v)) return c.fail(field, 'is not a real calendar date and time');
  const t = new Date(v);
  if (t.getTime() <= now.getTime()) return c.fail(field, 'must be in the future');
  if (t.getUTCFullYear() > 9999) return c.fail(field, 'is too far in the future');
  return t.toISOString();
}

function rateLimit(c: Checker, field: string, v: unknown): RateLimit | undefined {
  if (!isPlainObject(v)) return c.fail(field, 'must be an object {limit, windowSeconds}');
  rejectUnknown(c, v, ['limit', 'windowSeconds'], `${field}.`);
  const limit = int(c, `${field}.limit`, v.limit, 1, LIMITS.rateLimitMax);
  const windowSeconds = int(c, `${field}.windowSeconds`, v.windowSeconds, LIMITS.windowSecondsMin, LIMITS.windowSecondsMax);
  return limit !== undefined && windowSeconds !== undefined ? { limit, windowSeconds } : undefined;
}

function quota(c: Checker, field: string, v: unknown): Quota | undefined {
  if (!isPlainObject(v)) return c.fail(field, 'must be an object {daily?, monthly?}');
  rejectUnknown(c, v, ['daily', 'monthly'], `${field}.`);
  if (v.daily === undefined && v.monthly === undefined) return c.fail(field, 'must set daily, monthly or both');
  const daily = v.daily === undefined ? undefined : int(c, `${field}.daily`, v.daily, 1, LIMITS.dailyQuotaMax);
  const monthly = v.monthly === undefined ? undefined : int(c, `${field}.monthly`, v.monthly, 1, LIMITS.monthlyQuotaMax);
  if (daily !== undefined && monthly !== undefined && daily > monthly) return c.fail(field, 'daily must not exceed monthly');
  return { ...(daily !== undefined ? { daily } : {}), ...(monthly !== undefined ? { monthly } : {}) };
}

function allowedIps(c: Checker, field: string, v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return c.fail(field, 'must be an array of CIDRs such as "203.0.113.0/24" or "2001:db8::/32"');
  if (v.length === 0) return c.fail(field, 'must not be empty (use null to allow every address)');
  if (v.length > LIMITS.allowedIpsMax) return c.fail(field, `must hold at most ${LIMITS.allowedIpsMax} entries`);
  const out: string[] = [];
  v.forEach((s, i) => {
    const n = typeof s === 'string' ? normalizeCidr(s) : undefined;
    if (n === undefined) c.fail(`${field}[${i}]`, 'is not a valid IPv4 or IPv6 address or CIDR');
    else if (!out.includes(n)) out.push(n);
  });
  return out;
}

/**
 * Checks that `v` is plain JSON within the metadata limits and measures its JSON size
 * exactly as `JSON.stringify` would, without recursion: depth and size are enforced before
 * anything recursive (JSON.stringify, the DynamoDB marshaller) ever sees the value.
 */
function metadataProblem(v: Record<string, unknown>): { message: string; code?: FieldErrorCode } | undefined {
  const tooBig = { message: `must be at most ${LIMITS.metadataMaxBytes} bytes as JSON` };
  const stack: [unknown, number][] = [[v, 1]];
  let bytes = 0;
  const text = (s: string): boolean => {
    bytes += Buffer.byteLength(JSON.stringify(s), 'utf8');
    return isWellFormed(s);
  };
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value === 'boolean') bytes += value === false ? 5 : 4; // null, true, false
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return { message: 'must not contain numbers outside the IEEE double range (they would be stored as null)', code: 'number_out_of_range' };
      bytes += JSON.stringify(value).length;
    } else if (typeof value === 'string') {
      if (!text(value)) return { message: 'must not contain unpaired UTF-16 surrogates', code: 'lone_surrogate' };
    } else if (typeof value === 'object') {
      if (depth > LIMITS.metadataMaxDepth) return { message: `must be nested at most ${LIMITS.metadataMaxDepth} levels deep`, code: 'nesting_too_deep' };
      const proto = Object.getPrototypeOf(value) as unknown;
      if (Array.isArray(value)) {
        bytes += 2 + Math.max(0, value.length - 1);
        if (bytes > LIMITS.metadataMaxBytes) return tooBig;
        for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], depth + 1]);
      } else if (proto === Object.prototype || proto === null) {
        const names = Object.keys(value);
        bytes += 2 + Math.max(0, names.length - 1) + names.length; // braces, commas, colons
        for (const name of names) {
          if (!text(name)) return { message: 'must not contain unpaired UTF-16 surrogates', code: 'lone_surrogate' };
          if (bytes > LIMITS.metadataMaxBytes) return tooBig;
          stack.push([(value as Record<string, unknown>)[name], depth + 1]);
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

function metadata(c: Checker, field: string, v: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(v)) return c.fail(field, 'must be a JSON object');
  const problem = metadataProblem(v);
  if (problem) return c.fail(field, problem.message, problem.code);
  return v;
}

const CREATE_FIELDS = [
  'name', 'description', 'ownerId', 'scopes', 'expiresAt', 'expiresInDays', 'rateLimit', 'quota', 'allowedIps', 'metadata', 'environment', 'template',
] as const;

/**
 * `templates` are the deployment's key templates. With `template`, each of scopes, rateLimit,
 * quota, allowedIps, environment and the expiry that the request leaves out comes from the
 * template; a field the request gives wins whole (scopes are replaced, not merged).
 */
export function parseCreateKey(body: unknown, now: Date, templates: readonly KeyTemplate[] = []): CreateKeyInput {
  const b = requireObject(body, 'create key');
  const c = new Checker();
  rejectUnknown(c, b, CREATE_FIELDS);
  let template: KeyTemplate | undefined;
  if (b.template !== undefined) {
    if (typeof b.template !== 'string') c.fail('template', 'must be the name of a key template (see GET /v1/templates)');
    else {
      template = templates.find((t) => t.name === b.template);
      if (!template) c.fail('template', `no key template named ${JSON.stringify(b.template.slice(0, 64))} in this deployment (see GET /v1/templates)`, 'unknown_template');
    }
  }
  const name = b.name === undefined ? c.fail('name', 'is required') : str(c, 'name', b.name, 1, LIMITS.nameMax);
  const description = b.description === undefined ? undefined : str(c, 'description', b.description, 0, LIMITS.descriptionMax);
  const owner = b.ownerId === undefined ? undefined : ownerId(c, 'ownerId', b.ownerId);
  const sc = b.scopes === undefined ? [...(template?.scopes ?? [])] : scopes(c, 'scopes', b.scopes);
  let expiresAt: string | undefined;
  if (b.expiresAt !== undefined && b.expiresInDays !== undefined) {
    c.fail('expiresInDays', 'give expiresAt or expiresInDays, not both');
  } else if (b.expiresAt !== undefined) {
    expiresAt = futureDate(c, 'expiresAt', b.expiresAt, now);
  } else if (b.expiresInDays !== undefined) {
    const days = int(c, 'expiresInDays', b.expiresInDays, 1, LIMITS.expiresInDaysMax);
    if (days !== undefined) expiresAt = new Date(now.getTime() + days * 86_400_000).toISOString();
  } else if (template?.expiresInDays !== undefined) {
    expiresAt = new Date(now.getTime() + template.expiresInDays * 86_400_000).toISOString();
  }
  const rl = b.rateLimit === undefined ? template?.rateLimit : rateLimit(c, 'rateLimit', b.rateLimit);
  const q = b.quota === undefined ? template?.quota : quota(c, 'quota', b.quota);
  const ips = b.allowedIps === undefined ? template?.allowedIps : allowedIps(c, 'allowedIps', b.allowedIps);
  const md = b.metadata === undefined ? undefined : metadata(c, 'metadata', b.metadata);
  let environment: KeyEnvironment = template?.environment ?? 'live';
  if (b.environment !== undefined) {
    if (typeof b.environment !== 'string' || !KEY_ENVIRONMENTS.includes(b.environment as KeyEnvironment)) {
      c.fail('environment', 'must be "live" or "test"');
    } else {
      environment = b.environment as KeyEnvironment;
    }
  }
  c.done();
  return {
    name: name!,
    ...(description ? { description } : {}),
    ...(owner !== undefined ? { ownerId: owner } : {}),
    scopes: sc!,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(rl !== undefined ? { rateLimit: rl } : {}),
    ...(q !== undefined ? { quota: q } : {}),
    ...(ips !== undefined ? { allowedIps: [...ips] } : {}),
    ...(md !== undefined ? { metadata: md } : {}),
    environment,
    ...(template ? { template: template.name } : {}),
  };
}

const UPDATE_FIELDS = ['name', 'description', 'scopes', 'expiresAt', 'rateLimit', 'quota', 'allowedIps', 'metadata'] as const;

export function parseUpdateKey(body: unknown, now: Date): UpdateKeyInput {
  const b = requireObject(body, 'update key');
  const c = new Checker();
  rejectUnknown(c, b, UPDATE_FIELDS);
  if (Object.keys(b).length === 0) c.fail('body', `must set at least one of ${UPDATE_FIELDS.join(', ')}`);
  const out: Record<string, unknown> = {};
  const nullable = <T>(field: string, parse: (v: unknown) => T | undefined): void => {
    if (!(field in b)) return;
    if (b[field] === null) {
      out[field] = null;
      return;
    }
    const v = parse(b[field]);
    if (v !== undefined) out[field] = v;
  };
  if ('name' in b) {
    const v = str(c, 'name', b.name, 1, LIMITS.nameMax);
    if (v !== undefined) out.name = v;
  }
  nullable('description', (v) => str(c, 'description', v, 0, LIMITS.descriptionMax));
  if ('scopes' in b) {
    const v = scopes(c, 'scopes', b.scopes);
    if (v !== undefined) out.scopes = v;
  }
  nullable('expiresAt', (v) => futureDate(c, 'expiresAt', v, now));
  nullable('rateLimit', (v) => rateLimit(c, 'rateLimit', v));
  nullable('quota', (v) => quota(c, 'quota', v));
  nullable('allowedIps', (v) => allowedIps(c, 'allowedIps', v));
  nullable('metadata', (v) => metadata(c, 'metadata', v));
  c.done();
  return out as UpdateKeyInput;
}

export function parseRotateKey(body: unknown): RotateKeyInput {
  const b = body === undefined ? {} : requireObject(body, 'rotate key');
  const c = new Checker();
  rejectUnknown(c, b, ['gracePeriodSeconds']);
  const grace =
    b.gracePeriodSeconds === undefined
      ? LIMITS.defaultGracePeriodSeconds
      : int(c, 'gracePeriodSeconds', b.gracePeriodSeconds, 0, LIMITS.gracePeriodMax);
  c.done();
  return { gracePeriodSeconds: grace! };
}

const STATUSES: readonly KeyStatus[] = ['active', 'revoked', 'expired'];

export function parseListQuery(query: Readonly<Record<string, string | undefined>>): ListKeysQuery {
  const c = new Checker();
  // Keyed by the client's parameter names: null-prototype, so `constructor` or `__proto__` are just unknown names.
  const q: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)));
  rejectUnknown(c, q, ['ownerId', 'status', 'limit', 'cursor']);
  const owner = q.ownerId === undefined ? undefined : ownerId(c, 'ownerId', q.ownerId);
  let status: KeyStatus | undefined;
  if (q.status !== undefined) {
    if (STATUSES.includes(q.status as KeyStatus)) status = q.status as KeyStatus;
    else c.fail('status', 'must be active, revoked or expired');
  }
  let limit: number | undefined = LIMITS.listLimitDefault;
  if (q.limit !== undefined) {
    limit = /^\d{1,4}$/.test(String(q.limit)) ? int(c, 'limit', Number(q.limit), 1, LIMITS.listLimitMax) : c.fail('limit', 'must be an integer');
  }
  let cursor: string | undefined;
  if (q.cursor !== undefined) {
    if (typeof q.cursor === 'string' && /^[A-Za-z0-9_-]{1,200}$/.test(q.cursor)) cursor = q.cursor;
    else c.fail('cursor', 'is not a cursor returned by this API');
  }
  c.done();
  return { ...(owner !== undefined ? { ownerId: owner } : {}), ...(status ? { status } : {}), limit: limit!, ...(cursor ? { cursor } : {}) };
}

export interface VerifyKeyInput {
  readonly key: string;
  readonly scopes: readonly string[];
  readonly sourceIp?: string;
  /** Units to charge against the key's limits (a route's cost), default 1. */
  readonly cost?: number;
}

/** POST /v1/verify: the key to check, the scopes the caller's route needs, optionally the client's IP and the request's cost. */
export function parseVerifyKey(body: unknown): VerifyKeyInput {
  const b = requireObject(body, 'verify key');
  const c = new Checker();
  rejectUnknown(c, b, ['key', 'scopes', 'sourceIp', 'cost']);
  let key: string | undefined;
  if (b.key === undefined) c.fail('key', 'is required');
  else if (typeof b.key !== 'string' || b.key.length === 0 || b.key.length > 256) c.fail('key', 'must be a string of 1-256 characters');
  else key = b.key;
  const sc = b.scopes === undefined ? [] : scopes(c, 'scopes', b.scopes);
  let sourceIp: string | undefined;
  if (b.sourceIp !== undefined) {
    const n = typeof b.sourceIp === 'string' && !b.sourceIp.includes('/') ? normalizeCidr(b.sourceIp) : undefined;
    if (n === undefined) c.fail('sourceIp', 'must be an IPv4 or IPv6 address');
    else sourceIp = b.sourceIp as string;
  }
  let cost: number | undefined;
  if (b.cost !== undefined) {
    if (!Number.isInteger(b.cost) || (b.cost as number) < COST_RANGE.min || (b.cost as number) > COST_RANGE.max) {
      c.fail('cost', `must be an integer from ${COST_RANGE.min} to ${COST_RANGE.max}`);
    } else cost = b.cost as number;
  }
  c.done();
  return { key: key!, scopes: sc!, ...(sourceIp ? { sourceIp } : {}), ...(cost !== undefined ? { cost } : {}) };
}

// --- audit log and leak report ---------------------------------------------------------------

/** Query parameters are keyed by client input: copy them into a null-prototype map first. */
function queryMap(query: Readonly<Record<string, string | undefined>> | null | undefined): Record<string, unknown> {
  const q = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && k !== 'api_key') q[k] = v; // api_key is the credential, not a filter
  return q;
}

function keyIdParam(c: Checker, field: string, v: unknown): string | undefined {
  if (typeof v !== 'string' || !KEY_ID_PATTERN.test(v)) return c.fail(field, 'must be a key id (key_ followed by 26 characters)');
  return v;
}

function pastOrPresentDate(c: Checker, field: string, v: unknown): Date | undefined {
  if (typeof v !== 'string' || !ISO_8601.test(v) || Number.isNaN(Date.parse(v))) {
    return c.fail(field, 'must be an ISO-8601 date-time with a time zone, e.g. 2030-01-31T00:00:00Z');
  }
  if (!isCalendarValid(v)) return c.fail(field, 'is not a real calendar date and time');
  return new Date(v);
}

function listLimit(c: Checker, v: unknown): number | undefined {
  if (v === undefined) return LIMITS.listLimitDefault;
  return /^\d{1,4}$/.test(String(v)) ? int(c, 'limit', Number(v), 1, LIMITS.listLimitMax) : c.fail('limit', 'must be an integer');
}

function cursorParam(c: Checker, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && /^[A-Za-z0-9_-]{1,400}$/.test(v)) return v;
  return c.fail('cursor', 'is not a cursor returned by this API');
}

export interface AuditListQuery {
  readonly keyId?: string;
  readonly actorKeyId?: string;
  readonly ownerId?: string;
  readonly action?: AuditAction;
  readonly from?: Date;
  readonly to?: Date;
  readonly limit: number;
  readonly cursor?: string;
}

/** GET /v1/audit: every filter optional; `from` inclusive, `to` exclusive. */
export function parseAuditQuery(query: Readonly<Record<string, string | undefined>> | null | undefined): AuditListQuery {
  const c = new Checker();
  const q = queryMap(query);
  rejectUnknown(c, q, ['keyId', 'actorKeyId', 'ownerId', 'action', 'from', 'to', 'limit', 'cursor']);
  const keyId = q.keyId === undefined ? undefined : keyIdParam(c, 'keyId', q.keyId);
  const actorKeyId = q.actorKeyId === undefined ? undefined : keyIdParam(c, 'actorKeyId', q.actorKeyId);
  const owner = q.ownerId === undefined ? undefined : ownerId(c, 'ownerId', q.ownerId);
  let action: AuditAction | undefined;
  if (q.action !== undefined) {
    if ((AUDIT_ACTIONS as readonly unknown[]).includes(q.action)) action = q.action as AuditAction;
    else c.fail('action', `must be one of ${AUDIT_ACTIONS.join(', ')}`);
  }
  const from = q.from === undefined ? undefined : pastOrPresentDate(c, 'from', q.from);
  const to = q.to === undefined ? undefined : pastOrPresentDate(c, 'to', q.to);
  if (from && to && from.getTime() >= to.getTime()) c.fail('to', 'must be after from');
  const limit = listLimit(c, q.limit);
  const cursor = cursorParam(c, q.cursor);
  c.done();
  return {
    ...(keyId ? { keyId } : {}),
    ...(actorKeyId ? { actorKeyId } : {}),
    ...(owner ? { ownerId: owner } : {}),
    ...(action ? { action } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    limit: limit!,
    ...(cursor ? { cursor } : {}),
  };
}

export interface AuditVerifyQuery {
  /** One key; absent = a page of keys (the caller's owner's, or every owner's for admin). */
  readonly keyId?: string;
  readonly limit: number;
  readonly cursor?: string;
}

/** GET /v1/audit/verify. */
export function parseAuditVerifyQuery(query: Readonly<Record<string, string | undefined>> | null | undefined): AuditVerifyQuery {
  const c = new Checker();
  const q = queryMap(query);
  rejectUnknown(c, q, ['keyId', 'limit', 'cursor']);
  const keyId = q.keyId === undefined ? undefined : keyIdParam(c, 'keyId', q.keyId);
  const limit = listLimit(c, q.limit);
  const cursor = cursorParam(c, q.cursor);
  if (keyId && cursor) c.fail('cursor', 'pages keys; it does not apply with keyId');
  c.done();
  return { ...(keyId ? { keyId } : {}), limit: limit!, ...(cursor ? { cursor } : {}) };
}

/** Keys one leak report may carry. */
export const LEAK_REPORT_MAX_KEYS = 100;

/**
 * POST /v1/keys/revoke-leaked: `{keys: [...]}`, 1-100 strings. Only the shape is checked here: a
 * string that is not a key of this deployment is accepted and ignored, so the answer says nothing
 * about which strings were keys.
 */
export function parseLeakReport(body: unknown): { readonly keys: readonly string[] } {
  const b = requireObject(body, 'leak report');
  const c = new Checker();
  rejectUnknown(c, b, ['keys']);
  let keys: string[] | undefined;
  if (b.keys === undefined) c.fail('keys', 'is required');
  else if (!Array.isArray(b.keys) || b.keys.length < 1 || b.keys.length > LEAK_REPORT_MAX_KEYS) {
    c.fail('keys', `must be an array of 1-${LEAK_REPORT_MAX_KEYS} strings`);
  } else if (b.keys.some((k) => typeof k !== 'string' || k.length < 1 || k.length > 256)) {
    c.fail('keys', 'each item must be a string of 1-256 characters');
  } else keys = b.keys as string[];
  c.done();
  return { keys: keys! };
}
