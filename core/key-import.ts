/**
 * Key import (`POST /v1/keys/import`, `keygate import`; docs/migration.md): the request and row
 * schema, the plan of each row, and the outcomes. No I/O here: the key service looks rows up
 * and writes them through {@link KeyImportStore}.
 *
 * A row brings one existing key: either its plaintext `key` (hashed here, then dropped: it is
 * never stored, logged or echoed) or its SHA-256 `hash` with its display prefix `start`. Rows are
 * idempotent by `externalId`: importing the same externalId again is `unchanged` (same hash) or
 * `conflict` (another hash: never overwritten). The create-key field rules (name, owner, scopes,
 * limits, expiry, IPs, metadata) are the ones `POST /v1/keys` applies: they run through
 * `parseCreateKey`, so the two cannot drift.
 */
import * as v from 'valibot';
import { hashKey, type KeyEnvironment } from './key-format';
import { type FieldError, type FieldErrorCode, ProblemError, validationFailed } from './problem';
import type { AuditEntry } from './audit';
import type { SealedKeyRecord } from './records';
import { EXTERNAL_ID_PATTERN, IMPORT_MAX_ROWS, SHA256_HEX_PATTERN, START_PATTERN } from './schemas';
import { type CreateKeyInput, LIMITS, OWNER_ID_PATTERN, parseCreateKey } from './validation';
import { classifyPresentedKey } from './verifier';

/**
 * IMPORT_MAX_ROWS (core/schemas.ts) is the rows per request. The shared 16 KB body limit
 * (LIMITS.maxBodyBytes) is what binds first for rows with plaintext keys (about 250 bytes each,
 * so about 60 rows); the CLI packs rows by bytes.
 */
export { EXTERNAL_ID_PATTERN, IMPORT_MAX_ROWS, SHA256_HEX_PATTERN };

/** Rows of one request checked and written at the same time. */
export const IMPORT_CONCURRENCY = 8;

/** Characters of a legacy key kept as its display prefix (as many as Keygate shows of its own random part). */
export const LEGACY_START_CHARS = 4;

/** Problem codes of rows (in `errors[].code`); see docs/migration.md. */
export const IMPORT_ROW_CODES = {
  legacyKeysOff: 'legacy_keys_off',
  malformedKey: 'malformed_key',
  keyOrHash: 'key_or_hash',
  environmentMismatch: 'environment_mismatch',
  duplicateExternalId: 'duplicate_external_id',
  unknownScope: 'unknown_scope',
  externalIdConflict: 'external_id_conflict',
  hashConflict: 'hash_conflict',
} as const satisfies Readonly<Record<string, FieldErrorCode>>;

const LEGACY_KEYS_OFF_MESSAGE =
  'is not a Keygate key of this deployment; set keygate:legacyKeys to true to import and verify keys from other systems (docs/migration.md)';

// --- schemas -------------------------------------------------------------------------------

const buildSchemas = () => {
  const RequestSchema = v.strictObject({
  keys: v.pipe(
    v.array(v.unknown(), 'must be an array of rows'),
    v.minLength(1, `must hold 1-${IMPORT_MAX_ROWS} rows`),
    v.maxLength(IMPORT_MAX_ROWS, `must hold 1-${IMPORT_MAX_ROWS} rows`),
  ),
  dryRun: v.optional(v.boolean('must be true or false')),
});

/**
 * The row: the import's own fields are checked here; the create-key fields only for presence
 * (`v.unknown()`), their rules are parseCreateKey's. Messages never repeat a value (a key could be in it).
 */
  const RowSchema = v.strictObject({
  externalId: v.pipe(
    v.string('must be a string'),
    v.regex(EXTERNAL_ID_PATTERN, 'must be 1-128 characters of letters, digits and . _ : @ / + = -'),
  ),
  key: v.optional(v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(256, 'must be at most 256 characters'))),
  hash: v.optional(v.pipe(v.string('must be a string'), v.regex(SHA256_HEX_PATTERN, 'must be 64 lowercase hex characters: the SHA-256 of the key'))),
  start: v.optional(v.pipe(v.string('must be a string'), v.regex(START_PATTERN, 'must be 1-16 printable ASCII characters without spaces'))),
  name: v.unknown(),
  ownerId: v.pipe(
    v.string('must be a string'),
    v.regex(OWNER_ID_PATTERN, 'must be 1-128 characters of letters, digits and . _ : @ - (starting with a letter or digit)'),
  ),
  scopes: v.unknown(),
  description: v.optional(v.unknown()),
  rateLimit: v.optional(v.unknown()),
  quota: v.optional(v.unknown()),
  expiresAt: v.optional(v.unknown()),
  allowedIps: v.optional(v.unknown()),
  metadata: v.optional(v.unknown()),
  environment: v.optional(v.unknown()),
});
  return { RequestSchema, RowSchema };
};

/** Built on first use: the authorizer bundles this module (through the key service) and must not carry the schemas. */
let builtSchemas: ReturnType<typeof buildSchemas> | undefined;
const importSchemas = (): ReturnType<typeof buildSchemas> => (builtSchemas ??= buildSchemas());

/** valibot issues as the API's field errors; `prefix` names the row's place in the body. */
function fieldErrors(issues: readonly v.BaseIssue<unknown>[], prefix = ''): FieldError[] {
  return issues.map((issue) => {
    const field = prefix + (v.getDotPath(issue) ?? 'body');
    if (issue.type === 'strict_object' && issue.kind === 'schema') {
      return { field, message: issue.expected === 'never' ? 'unknown field' : 'is required' };
    }
    return { field, message: issue.message };
  });
}

// --- the plan ------------------------------------------------------------------------------

export interface ImportOptions {
  readonly keyPrefix: string;
  readonly legacyKeys: boolean;
  /** Every scope the deployment defines (built-ins included). */
  readonly scopes: readonly string[];
}

/** A row ready to be looked up and written: the plaintext is gone, only its hash is kept. */
export interface ImportDraft {
  readonly index: number;
  readonly externalId: string;
  readonly hash: string;
  readonly start: string;
  readonly fields: CreateKeyInput & { readonly ownerId: string };
}

/** A row decided without a lookup: invalid, or a second row with a hash an earlier row brings. */
export interface SettledRow {
  readonly index: number;
  readonly externalId?: string;
  readonly status: 'invalid' | 'conflict';
  readonly errors: readonly FieldError[];
}

export type PlannedRow = ({ readonly kind: 'draft' } & ImportDraft) | ({ readonly kind: 'settled' } & SettledRow);

export interface ImportPlan {
  readonly dryRun: boolean;
  readonly rows: readonly PlannedRow[];
}

const keygateStart = (prefix: string): RegExp => new RegExp(`^${prefix}_(live|test)_[0-9A-Za-z]{4}$`);

/** The plaintext's or the start's environment when it is a Keygate key (`<prefix>_<env>_…`). */
const environmentOf = (text: string, prefix: string): KeyEnvironment => (text.startsWith(`${prefix}_test_`) ? 'test' : 'live');

function planRow(raw: unknown, index: number, now: Date, opts: ImportOptions): PlannedRow {
  const settled = (errors: FieldError[], externalId?: string): PlannedRow => ({
    kind: 'settled',
    index,
    ...(externalId !== undefined ? { externalId } : {}),
    status: 'invalid',
    errors,
  });
  const externalIdOf = (r: unknown): string | undefined => {
    const id = r && typeof r === 'object' ? (r as Record<string, unknown>).externalId : undefined;
    return typeof id === 'string' && EXTERNAL_ID_PATTERN.test(id) ? id : undefined;
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return settled([{ field: 'row', message: 'must be a JSON object' }]);
  const parsed = v.safeParse(importSchemas().RowSchema, raw);
  if (!parsed.success) return settled(fieldErrors(parsed.issues), externalIdOf(raw));
  const row = parsed.output;
  const errors: FieldError[] = [];
  const fail = (field: string, message: string, code?: FieldErrorCode): void => void errors.push({ field, message, ...(code ? { code } : {}) });

  // Exactly one of key or hash (+ start).
  let hash: string | undefined;
  let start: string | undefined;
  let derivedEnv: KeyEnvironment | undefined;
  if ((row.key === undefined) === (row.hash === undefined)) {
    fail('key', 'give exactly one of key (the plaintext) or hash (its SHA-256, with start)', IMPORT_ROW_CODES.keyOrHash);
  } else if (row.key !== undefined) {
    if (row.start !== undefined) fail('start', 'is derived from key; give start only with hash', IMPORT_ROW_CODES.keyOrHash);
    const kind = classifyPresentedKey(row.key, opts.keyPrefix);
    if (kind === 'malformed') {
      fail('key', `must be a well-formed ${opts.keyPrefix}_ key, or a key from another system of 20-256 printable ASCII characters without spaces`, IMPORT_ROW_CODES.malformedKey);
    } else if (kind === 'legacy' && !opts.legacyKeys) {
      fail('key', LEGACY_KEYS_OFF_MESSAGE, IMPORT_ROW_CODES.legacyKeysOff);
    } else {
      hash = hashKey(row.key);
      if (kind === 'keygate') {
        derivedEnv = environmentOf(row.key, opts.keyPrefix);
        start = `${opts.keyPrefix}_${derivedEnv}_${row.key.slice(opts.keyPrefix.length + derivedEnv.length + 2).slice(0, 4)}`;
      } else {
        start = row.key.slice(0, LEGACY_START_CHARS);
      }
    }
  } else {
    if (row.start === undefined) fail('start', 'is required with hash (the display prefix people recognise the key by)');
    else if (keygateStart(opts.keyPrefix).test(row.start)) {
      derivedEnv = environmentOf(row.start, opts.keyPrefix);
      hash = row.hash;
      start = row.start;
    } else if (!opts.legacyKeys) {
      fail('start', LEGACY_KEYS_OFF_MESSAGE, IMPORT_ROW_CODES.legacyKeysOff);
    } else {
      hash = row.hash;
      start = row.start;
    }
  }
  if (derivedEnv !== undefined && row.environment !== undefined && row.environment !== derivedEnv) {
    fail('environment', `must be ${derivedEnv}, the key's own environment (or left out)`, IMPORT_ROW_CODES.environmentMismatch);
  }

  // The create-key rules, exactly as POST /v1/keys applies them.
  let fields: CreateKeyInput | undefined;
  try {
    const { externalId: _e, key: _k, hash: _h, start: _s, ...createFields } = row;
    fields = parseCreateKey({ ...createFields, ...(row.environment === undefined && derivedEnv ? { environment: derivedEnv } : {}) }, now);
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err;
    errors.push(...(err.errors ?? [{ field: 'row', message: err.detail }]));
  }
  if (fields) {
    const unknown = fields.scopes.filter((s) => !opts.scopes.includes(s));
    if (unknown.length > 0) fail('scopes', `not defined in this deployment: ${unknown.join(', ')} (see GET /v1/scopes)`, IMPORT_ROW_CODES.unknownScope);
  }
  if (errors.length > 0 || !fields || hash === undefined || start === undefined) return settled(errors, row.externalId);
  return { kind: 'draft', index, externalId: row.externalId, hash, start, fields: { ...fields, ownerId: row.ownerId } };
}

/**
 * Parses `{keys: [...], dryRun?}`. A body that is not that shape is a 400 `validation_failed`;
 * a row in error is only that row's `invalid` outcome, never the batch's. A row repeating an
 * earlier row's externalId is invalid; one repeating an earlier row's key under another
 * externalId is a conflict (a real run would find the hash taken by then).
 */
export function parseImportRequest(body: unknown, now: Date, opts: ImportOptions): ImportPlan {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProblemError(400, 'invalid_body', 'The request body must be a JSON object (import keys).');
  }
  const parsed = v.safeParse(importSchemas().RequestSchema, body);
  if (!parsed.success) throw validationFailed(fieldErrors(parsed.issues));
  const byExternalId = new Map<string, number>();
  const byHash = new Map<string, number>();
  const rows = parsed.output.keys.map((raw, index): PlannedRow => {
    const row = planRow(raw, index, now, opts);
    if (row.kind !== 'draft') return row;
    const firstWithId = byExternalId.get(row.externalId);
    if (firstWithId !== undefined) {
      return settledAs(row, 'invalid', { field: 'externalId', message: `repeats row ${firstWithId} of this request`, code: IMPORT_ROW_CODES.duplicateExternalId });
    }
    byExternalId.set(row.externalId, index);
    if (byHash.has(row.hash)) return settledAs(row, 'conflict', hashConflictError());
    byHash.set(row.hash, index);
    return row;
  });
  return { dryRun: parsed.output.dryRun === true, rows };
}

const settledAs = (row: ImportDraft, status: SettledRow['status'], error: FieldError): PlannedRow => ({
  kind: 'settled',
  index: row.index,
  externalId: row.externalId,
  status,
  errors: [error],
});

/** Says that the key exists, never which key or whose: the importer may not own it. */
export const hashConflictError = (): FieldError => ({
  field: 'key',
  message: 'this key already belongs to another Keygate key; it was not imported again',
  code: IMPORT_ROW_CODES.hashConflict,
});

export const externalIdConflictError = (): FieldError => ({
  field: 'externalId',
  message: 'was imported before with a different key; the existing key was left unchanged (revoke it and import under a new externalId to replace it)',
  code: IMPORT_ROW_CODES.externalIdConflict,
});

// --- deciding a row ------------------------------------------------------------------------

export interface ImportedKeyRef {
  readonly keyId: string;
  readonly hash: string;
}

export type RowDecision =
  | { readonly status: 'unchanged'; readonly keyId: string }
  | { readonly status: 'conflict'; readonly keyId?: string; readonly error: FieldError }
  | { readonly status: 'create' };

/** What a row becomes, given what its externalId and its hash already name in the store. */
export function decideRow(draft: Pick<ImportDraft, 'hash'>, byExternalId: ImportedKeyRef | undefined, hashTaken: boolean): RowDecision {
  if (byExternalId) {
    return byExternalId.hash === draft.hash
      ? { status: 'unchanged', keyId: byExternalId.keyId }
      : { status: 'conflict', keyId: byExternalId.keyId, error: externalIdConflictError() };
  }
  if (hashTaken) return { status: 'conflict', error: hashConflictError() };
  return { status: 'create' };
}

// --- outcomes ------------------------------------------------------------------------------

export const IMPORT_ROW_STATUSES = ['created', 'unchanged', 'conflict', 'invalid', 'would_create'] as const;
export type ImportRowStatus = (typeof IMPORT_ROW_STATUSES)[number];

export interface ImportRowOutcome {
  readonly index: number;
  readonly externalId?: string;
  readonly status: ImportRowStatus;
  readonly keyId?: string;
  readonly errors?: readonly FieldError[];
}

export type ImportSummary = { readonly total: number } & { readonly [S in ImportRowStatus]: number };

export interface ImportResult {
  readonly dryRun: boolean;
  readonly summary: ImportSummary;
  /** One per row, in request order. */
  readonly results: readonly ImportRowOutcome[];
}

export function summarize(dryRun: boolean, results: readonly ImportRowOutcome[]): ImportResult {
  const counts: Record<ImportRowStatus, number> = { created: 0, unchanged: 0, conflict: 0, invalid: 0, would_create: 0 };
  for (const r of results) counts[r.status]++;
  return { dryRun, summary: { total: results.length, ...counts }, results };
}

/** Runs `fn` over `items` with at most `limit` at a time; results keep the items' order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// --- the port ------------------------------------------------------------------------------

/** What import needs from the key store beyond KeyRepository (DynamoKeyRepository implements both). */
export interface KeyImportStore {
  /** The key an externalId was imported as, strongly consistent; undefined if none. */
  getImported(externalId: string): Promise<ImportedKeyRef | undefined>;
  /**
   * Writes an imported key: its record, its hash item, the externalId's item and its audit entry
   * in one transaction, each write-once; ConflictError when the id, hash or externalId exists.
   */
  importKey(record: SealedKeyRecord & { readonly externalId: string }, audit: AuditEntry): Promise<void>;
}

/** The shared body limit binds before IMPORT_MAX_ROWS for most rows (docs/migration.md). */
export const IMPORT_MAX_BODY_BYTES = LIMITS.maxBodyBytes;
