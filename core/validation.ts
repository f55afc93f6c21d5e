/**
 * Request parsers. The shapes are the valibot schemas of core/schemas.ts (written once, also the
 * source of the OpenAPI document); each parser runs one, lists every field in error as Keygate
 * field errors, and adds what a schema cannot know: the injected `now` (expiry in the future),
 * the deployment's key templates, and rules across members. Either it returns typed input or it
 * throws a 400 `validation_failed` problem that lists every field in error (unknown members
 * first, then in field order).
 */
import * as v from 'valibot';
import type { AuditAction } from './audit';
import type { KeyEnvironment } from './key-format';
import type { KeyTemplate } from './key-templates';
import { type FieldError, ProblemError, validationFailed } from './problem';
import type { KeyStatus, Quota, RateLimit } from './records';
import {
  AuditQuery as AuditQuerySchema,
  AuditVerifyQuery as AuditVerifyQuerySchema,
  CreateKeyBody,
  isPlainObject,
  issueCode,
  LeakReportBody,
  LIMITS,
  ListKeysQuery as ListKeysQuerySchema,
  RotateKeyBody,
  UPDATE_FIELDS,
  UpdateKeyBody,
  VerifyKeyBody,
} from './schemas';
import { displayName } from './text';

export { LEAK_REPORT_MAX_KEYS, LIMITS, metadataProblem, OWNER_ID_PATTERN } from './schemas';

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

// --- running a schema ------------------------------------------------------------------------------

type AnySchema = v.GenericSchema;


/** A field error with the top-level member it belongs to, for ordering. */
interface Located extends FieldError {
  readonly top: string;
  readonly unknown?: boolean;
}

function requireObject(body: unknown, what: string): Record<string, unknown> {
  if (!isPlainObject(body)) throw new ProblemError(400, 'invalid_body', `The request body must be a JSON object (${what}).`);
  return body;
}

interface SchemaNode {
  readonly type: string;
  readonly entries?: v.ObjectEntries;
  readonly wrapped?: SchemaNode;
  readonly pipe?: readonly SchemaNode[];
}

/** The strict object inside a (piped, optional, nullable) schema, if any. */
function strictEntries(node: SchemaNode | undefined): v.ObjectEntries | undefined {
  if (!node) return undefined;
  if (node.type === 'strict_object') return node.entries;
  // A pipe's first item is the pipe's own base (its members are spread into it): skip it.
  if (node.pipe) for (const item of node.pipe.slice(1)) if (item.type === 'strict_object' || item.pipe) return strictEntries(item);
  if (node.pipe && node.pipe[0]!.pipe) return strictEntries(node.pipe[0]);
  return strictEntries(node.wrapped);
}

/**
 * Every unknown member, at every level (valibot's strictObject names only the first). The name is
 * shortened and quoted for display: it is client input.
 */
function unknownMembers(schema: AnySchema, input: unknown, prefix: string, top: string | undefined, out: Located[]): void {
  const entries = strictEntries(schema as SchemaNode);
  if (!entries || !isPlainObject(input)) return;
  for (const name of Object.keys(input)) {
    if (!Object.hasOwn(entries, name)) out.push({ field: prefix + displayName(name), message: 'unknown field', top: top ?? '', unknown: true });
    else unknownMembers(entries[name]!, input[name], `${prefix}${name}.`, top ?? name, out);
  }
}

function located(issue: v.BaseIssue<unknown>): Located {
  let field = '';
  let top = '';
  for (const item of issue.path ?? []) {
    if (item.type === 'array') field += `[${String(item.key)}]`;
    else {
      const key = String(item.key);
      if (field === '') top = key;
      field += field === '' ? key : `.${key}`;
    }
  }
  const code = issueCode(issue);
  return { field: field || 'body', message: issue.message, ...(code ? { code } : {}), top: top || 'body' };
}

/**
 * Runs `schema` over `input`: the typed output (when valid) and every field error, unknown
 * members first, then ordered by `order` (the top-level members, in the order they are reported).
 */
function run<S extends AnySchema>(schema: S, input: unknown): { output: v.InferOutput<S> | undefined; errors: Located[] } {
  // Not abortPipeEarly: it would also stop the checks across members (v.partialCheck) that old
  // clients rely on; a field's later issues are dropped below instead (the first rule it breaks).
  const result = v.safeParse(schema, input);
  if (result.success) return { output: result.output, errors: [] };
  const errors: Located[] = [];
  const seen = new Set<string>();
  let unknown = false;
  for (const issue of result.issues) {
    // valibot names the first unknown member of an object; every one of them is listed below.
    if (issue.type === 'strict_object' && issue.expected === 'never') unknown = true;
    else {
      const e = located(issue);
      if (!seen.has(e.field)) errors.push(e);
      seen.add(e.field);
    }
  }
  if (unknown) unknownMembers(schema, input, '', undefined, errors);
  return { output: undefined, errors };
}

/** The index of an item of a top-level list (`scopes[3]` → 3), so a list's problems come in its order; -1 otherwise. */
function itemIndex(e: Located): number {
  const m = /^[^.[]+\[(\d+)\]/.exec(e.field);
  return m ? Number(m[1]) : -1;
}

/** Throws validation_failed listing `errors` (unknown members first, then by `order`); returns when there are none. */
function done(errors: readonly Located[], order: readonly string[]): void {
  if (errors.length === 0) return;
  const rank = (e: Located): number => (e.unknown && e.top === '' ? -1 : order.indexOf(e.top) === -1 ? order.length : order.indexOf(e.top));
  const sorted = errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank(a.e) - rank(b.e) || Number(!a.e.unknown) - Number(!b.e.unknown) || itemIndex(a.e) - itemIndex(b.e) || a.i - b.i)
    .map(({ e }): FieldError => ({ field: e.field, message: e.message, ...(e.code ? { code: e.code } : {}) }));
  throw validationFailed(sorted);
}

/**
 * Runs `schema` over `input` for callers outside this module (core/usage-reports.ts): its output,
 * or a 400 validation_failed listing every field in error, ordered by `order`.
 */
export function validateWith<S extends AnySchema>(schema: S, input: unknown, order: readonly string[]): v.InferOutput<S> {
  const { output, errors } = run(schema, input);
  done(errors, order);
  return output!;
}

const without = (errors: Located[], fields: readonly string[]): Located[] => errors.filter((e) => e.unknown || !fields.includes(e.top));
const hasError = (errors: readonly Located[], field: string): boolean => errors.some((e) => e.top === field && !e.unknown);

/** Drops members whose value is undefined (valibot keeps a member given as undefined). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, value]) => value !== undefined)) as T;
}

/** An expiry that passed the schema (a real ISO-8601 date-time) must also lie ahead of `now`; returned normalised to UTC. */
function futureProblem(value: string, now: Date): { iso?: string; message?: string } {
  const t = new Date(value);
  if (t.getTime() <= now.getTime()) return { message: 'must be in the future' };
  if (t.getUTCFullYear() > 9999) return { message: 'is too far in the future' };
  return { iso: t.toISOString() };
}

// --- keys ------------------------------------------------------------------------------------------

/** The order fields are reported in (the template first: without it the other fields mean something else). */
const CREATE_ORDER = ['template', 'name', 'description', 'ownerId', 'scopes', 'expiresAt', 'expiresInDays', 'rateLimit', 'quota', 'allowedIps', 'metadata', 'environment'];

/**
 * `templates` are the deployment's key templates. With `template`, each of scopes, rateLimit,
 * quota, allowedIps, environment and the expiry that the request leaves out comes from the
 * template; a field the request gives wins whole (scopes are replaced, not merged).
 */
export function parseCreateKey(body: unknown, now: Date, templates: readonly KeyTemplate[] = []): CreateKeyInput {
  const b = requireObject(body, 'create key');
  const { output, errors: found } = run(CreateKeyBody, b);
  let errors = found;
  let template: KeyTemplate | undefined;
  if (typeof b.template === 'string') {
    template = templates.find((t) => t.name === b.template);
    if (!template) {
      errors.push({ field: 'template', message: `no key template named ${JSON.stringify(b.template.slice(0, 64))} in this deployment (see GET /v1/templates)`, code: 'unknown_template', top: 'template' });
    }
  }
  let expiresAt: string | undefined;
  if (b.expiresAt !== undefined && b.expiresInDays !== undefined) {
    errors = without(errors, ['expiresAt', 'expiresInDays']);
    errors.push({ field: 'expiresInDays', message: 'give expiresAt or expiresInDays, not both', top: 'expiresInDays' });
  } else if (typeof b.expiresAt === 'string' && !hasError(errors, 'expiresAt')) {
    const r = futureProblem(b.expiresAt, now);
    if (r.message) errors.push({ field: 'expiresAt', message: r.message, top: 'expiresAt' });
    expiresAt = r.iso;
  } else if (typeof b.expiresInDays === 'number' && !hasError(errors, 'expiresInDays')) {
    expiresAt = new Date(now.getTime() + b.expiresInDays * 86_400_000).toISOString();
  } else if (b.expiresInDays === undefined && template?.expiresInDays !== undefined) {
    expiresAt = new Date(now.getTime() + template.expiresInDays * 86_400_000).toISOString();
  }
  done(errors, CREATE_ORDER);
  const o = output!;
  const rateLimit = o.rateLimit ?? template?.rateLimit;
  const quota = o.quota ? defined(o.quota) : template?.quota;
  const allowedIps = o.allowedIps ?? template?.allowedIps;
  return {
    name: o.name,
    ...(o.description ? { description: o.description } : {}),
    ...(o.ownerId !== undefined ? { ownerId: o.ownerId } : {}),
    scopes: o.scopes ?? [...(template?.scopes ?? [])],
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(rateLimit !== undefined ? { rateLimit } : {}),
    ...(quota !== undefined ? { quota } : {}),
    ...(allowedIps !== undefined ? { allowedIps: [...allowedIps] } : {}),
    ...(o.metadata !== undefined ? { metadata: o.metadata } : {}),
    environment: o.environment ?? template?.environment ?? 'live',
    ...(template ? { template: template.name } : {}),
  };
}

export function parseUpdateKey(body: unknown, now: Date): UpdateKeyInput {
  const b = requireObject(body, 'update key');
  const { output, errors } = run(UpdateKeyBody, b);
  let expiresAt: string | undefined;
  if (typeof b.expiresAt === 'string' && !hasError(errors, 'expiresAt')) {
    const r = futureProblem(b.expiresAt, now);
    if (r.message) errors.push({ field: 'expiresAt', message: r.message, top: 'expiresAt' });
    expiresAt = r.iso;
  }
  done(errors, UPDATE_FIELDS);
  const o = output!;
  const out: Record<string, unknown> = {};
  for (const field of UPDATE_FIELDS) if (field in o) out[field] = o[field];
  if (expiresAt !== undefined) out.expiresAt = expiresAt;
  if (out.quota) out.quota = defined(out.quota as Quota);
  return out as UpdateKeyInput;
}

export function parseRotateKey(body: unknown): RotateKeyInput {
  const b = body === undefined ? {} : requireObject(body, 'rotate key');
  const { output, errors } = run(RotateKeyBody, b);
  done(errors, ['gracePeriodSeconds']);
  return { gracePeriodSeconds: output!.gracePeriodSeconds };
}

/** Query parameters are keyed by client input: copied into a null-prototype map (`constructor` or `__proto__` are just unknown names). */
function queryMap(query: Readonly<Record<string, string | undefined>> | null | undefined, drop?: string): Record<string, unknown> {
  const q = Object.create(null) as Record<string, unknown>;
  for (const [k, value] of Object.entries(query ?? {})) if (value !== undefined && k !== drop) q[k] = value;
  return q;
}

export function parseListQuery(query: Readonly<Record<string, string | undefined>>): ListKeysQuery {
  const { output, errors } = run(ListKeysQuerySchema, queryMap(query));
  done(errors, ['ownerId', 'status', 'limit', 'cursor']);
  const o = output!;
  return {
    ...(o.ownerId !== undefined ? { ownerId: o.ownerId } : {}),
    ...(o.status ? { status: o.status } : {}),
    limit: o.limit ?? LIMITS.listLimitDefault,
    ...(o.cursor ? { cursor: o.cursor } : {}),
  };
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
  const { output, errors } = run(VerifyKeyBody, b);
  done(errors, ['key', 'scopes', 'sourceIp', 'cost']);
  const o = output!;
  return { key: o.key, scopes: o.scopes ?? [], ...(o.sourceIp ? { sourceIp: o.sourceIp } : {}), ...(o.cost !== undefined ? { cost: o.cost } : {}) };
}

// --- audit log and leak report ---------------------------------------------------------------

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
  // api_key is the credential (when query keys are enabled), not a filter.
  const { output, errors } = run(AuditQuerySchema, queryMap(query, 'api_key'));
  done(errors, ['keyId', 'actorKeyId', 'ownerId', 'action', 'from', 'to', 'limit', 'cursor']);
  const o = output!;
  return {
    ...(o.keyId ? { keyId: o.keyId } : {}),
    ...(o.actorKeyId ? { actorKeyId: o.actorKeyId } : {}),
    ...(o.ownerId ? { ownerId: o.ownerId } : {}),
    ...(o.action ? { action: o.action } : {}),
    ...(o.from ? { from: o.from } : {}),
    ...(o.to ? { to: o.to } : {}),
    limit: o.limit ?? LIMITS.listLimitDefault,
    ...(o.cursor ? { cursor: o.cursor } : {}),
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
  const { output, errors } = run(AuditVerifyQuerySchema, queryMap(query, 'api_key'));
  done(errors, ['keyId', 'limit', 'cursor']);
  const o = output!;
  return { ...(o.keyId ? { keyId: o.keyId } : {}), limit: o.limit ?? LIMITS.listLimitDefault, ...(o.cursor ? { cursor: o.cursor } : {}) };
}

/**
 * POST /v1/keys/revoke-leaked: `{keys: [...]}`, 1-100 strings. Only the shape is checked here: a
 * string that is not a key of this deployment is accepted and ignored, so the answer says nothing
 * about which strings were keys.
 */
export function parseLeakReport(body: unknown): { readonly keys: readonly string[] } {
  const b = requireObject(body, 'leak report');
  const { output, errors } = run(LeakReportBody, b);
  done(errors, ['keys']);
  return { keys: output!.keys };
}
