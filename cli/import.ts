/**
 * `keygate import <file.csv|file.jsonl> [--dry-run] [--format csv|jsonl] [--batch-size N]`:
 * brings existing keys into Keygate through `POST /v1/keys/import` (docs/migration.md).
 *
 * The file is read and checked here (line numbers in every message), packed into requests of at
 * most `--batch-size` rows that fit the API's 16 KB body limit, and sent one batch at a time
 * through the typed client (@keygate/client), which retries throttling and faults: the import is
 * idempotent by externalId, so a retried or re-run batch answers `unchanged` for rows already in.
 * Progress goes to stderr after each batch. Plaintext keys from the file are never printed: no
 * message built here quotes a cell or a line.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { IMPORT_MAX_BODY_BYTES, IMPORT_MAX_ROWS, type ImportResult, type ImportRowOutcome, IMPORT_ROW_STATUSES, type ImportRowStatus } from '../core/key-import';
import { KeygateClient } from '../packages/client/src/index';
import { UsageError } from './errors';

/** Largest file read (10,000 rows with plaintext keys are about 2.5 MB). */
export const MAX_IMPORT_FILE_BYTES = 64 * 1024 * 1024;

export type ImportFormat = 'csv' | 'jsonl';

/** CSV columns, in the documented order (docs/migration.md); dotted names build nested fields. */
export const CSV_COLUMNS = [
  'externalId', 'name', 'ownerId', 'scopes', 'key', 'hash', 'start', 'expiresAt', 'rateLimit.limit', 'rateLimit.windowSeconds',
  'rateLimit.policy', 'rateLimit.burst', 'quota.daily', 'quota.monthly', 'allowedIps', 'environment', 'description',
] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];
const LIST_COLUMNS: readonly CsvColumn[] = ['scopes', 'allowedIps'];
const INTEGER_COLUMNS: readonly CsvColumn[] = ['rateLimit.limit', 'rateLimit.windowSeconds', 'rateLimit.burst', 'quota.daily', 'quota.monthly'];

/** One row of the file: what is sent, and the line it started on. */
export interface FileRow {
  readonly line: number;
  readonly row: Readonly<Record<string, unknown>>;
}

/** A line the file itself gets wrong (never sent). */
export interface FileProblem {
  readonly line: number;
  readonly message: string;
}

export interface ParsedFile {
  readonly rows: readonly FileRow[];
  readonly problems: readonly FileProblem[];
}

// --- reading -------------------------------------------------------------------------------

export function detectFormat(path: string, flag: string | undefined): ImportFormat {
  if (flag !== undefined) {
    if (flag === 'csv' || flag === 'jsonl') return flag;
    throw new UsageError(`--format must be csv or jsonl (got ${JSON.stringify(flag.slice(0, 20))})`);
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new UsageError('import: cannot tell the format from the file name; name it .csv or .jsonl, or pass --format csv|jsonl');
}

export function readImportFile(cwd: string, file: string): string {
  const path = resolve(cwd, file);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw new UsageError(`import: cannot read ${file} (no such file, or not a regular file)`);
  }
  if (size > MAX_IMPORT_FILE_BYTES) throw new UsageError(`import: ${file} is larger than ${MAX_IMPORT_FILE_BYTES / 1024 / 1024} MiB; split it`);
  return readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
}

/** JSONL: one row object per line; blank lines are skipped. */
export function parseJsonl(text: string): ParsedFile {
  const rows: FileRow[] = [];
  const problems: FileProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      // JSON.parse's message quotes the text, which may hold a key: say only where.
      problems.push({ line, message: 'is not valid JSON' });
      return;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) problems.push({ line, message: 'must be a JSON object (one row per line)' });
    else rows.push({ line, row: value as Record<string, unknown> });
  });
  return { rows, problems };
}

/**
 * RFC 4180 records with the line each starts on: `"` quotes a field, `""` is a quote inside one,
 * and a quoted field may span lines. CRLF and LF both end a record.
 */
export function parseCsvRecords(text: string): { records: { line: number; fields: string[] }[]; problem?: FileProblem } {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let quoteLine = 0;
  let wasQuoted = false;
  const endField = () => {
    fields.push(field);
    field = '';
    wasQuoted = false;
  };
  const endRecord = () => {
    endField();
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"') {
      if (field !== '' || wasQuoted) return { records, problem: { line, message: 'has a quote inside an unquoted field (quote the whole field and double the quote: "a""b")' } };
      quoted = true;
      wasQuoted = true;
      quoteLine = line;
    } else if (c === ',') {
      endField();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (wasQuoted) return { records, problem: { line, message: 'has characters after a closing quote' } };
      field += c;
    }
  }
  if (quoted) return { records, problem: { line: quoteLine, message: 'opens a quoted field that is never closed' } };
  if (field !== '' || fields.length > 0 || wasQuoted) endRecord();
  return { records };
}

/** CSV with a header row naming CSV_COLUMNS (any order, any subset with externalId); empty cells are left out. */
export function parseCsv(text: string): ParsedFile {
  const { records, problem } = parseCsvRecords(text);
  if (problem) throw new UsageError(`import: line ${problem.line} ${problem.message}`);
  const [header, ...data] = records;
  if (!header) return { rows: [], problems: [] };
  const names = header.fields.map((h) => h.trim());
  for (const name of names) {
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
      throw new UsageError(`import: line ${header.line}: unknown column ${JSON.stringify(name.slice(0, 40))}; columns are ${CSV_COLUMNS.join(', ')}`);
    }
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`import: line ${header.line}: column ${dup} appears twice`);
  if (!names.includes('externalId')) throw new UsageError(`import: line ${header.line}: the header needs an externalId column`);
  const rows: FileRow[] = [];
  const problems: FileProblem[] = [];
  for (const record of data) {
    if (record.fields.length !== names.length) {
      problems.push({ line: record.line, message: `has ${record.fields.length} fields; the header has ${names.length}` });
      continue;
    }
    const row: Record<string, unknown> = {};
    const bad: string[] = [];
    names.forEach((name, i) => {
      const cell = record.fields[i]!;
      const column = name as CsvColumn;
      // An empty scopes cell is a key without scopes; any other empty cell leaves the field out.
      if (cell.trim() === '') {
        if (column === 'scopes') row.scopes = [];
        return;
      }
      let value: unknown = column === 'key' ? cell : cell.trim();
      if (LIST_COLUMNS.includes(column)) value = cell.trim().split(/\s+/);
      else if (INTEGER_COLUMNS.includes(column)) {
        if (!/^\d{1,15}$/.test(cell.trim())) {
          bad.push(column);
          return;
        }
        value = Number(cell.trim());
      }
      const [outer, inner] = column.split('.') as [string, string | undefined];
      if (inner === undefined) row[outer] = value;
      else row[outer] = { ...((row[outer] as Record<string, unknown> | undefined) ?? {}), [inner]: value };
    });
    if (bad.length > 0) problems.push({ line: record.line, message: `${bad.join(', ')}: must be a whole number` });
    else rows.push({ line: record.line, row });
  }
  return { rows, problems };
}

export const parseImportFile = (text: string, format: ImportFormat): ParsedFile => (format === 'csv' ? parseCsv(text) : parseJsonl(text));

// --- batching ------------------------------------------------------------------------------

const bodyBytes = (rows: readonly FileRow[], dryRun: boolean): number =>
  Buffer.byteLength(JSON.stringify({ keys: rows.map((r) => r.row), ...(dryRun ? { dryRun } : {}) }), 'utf8');

/**
 * Consecutive batches of at most `maxRows` rows whose request body stays within `maxBytes`.
 * A row too large for a request on its own is returned in `tooLarge` (it would be a 413).
 */
export function packBatches(
  rows: readonly FileRow[],
  opts: { readonly maxRows: number; readonly maxBytes?: number; readonly dryRun: boolean },
): { batches: FileRow[][]; tooLarge: FileRow[] } {
  const maxBytes = opts.maxBytes ?? IMPORT_MAX_BODY_BYTES;
  const batches: FileRow[][] = [];
  const tooLarge: FileRow[] = [];
  let current: FileRow[] = [];
  // The envelope and the separators, then each row's own JSON: exact, without re-serialising the batch.
  const envelope = bodyBytes([], opts.dryRun);
  let size = envelope;
  for (const r of rows) {
    const rowBytes = Buffer.byteLength(JSON.stringify(r.row), 'utf8');
    if (envelope + rowBytes > maxBytes) {
      tooLarge.push(r);
      continue;
    }
    const added = rowBytes + (current.length > 0 ? 1 : 0);
    if (current.length === opts.maxRows || size + added > maxBytes) {
      batches.push(current);
      current = [];
      size = envelope;
    }
    size += rowBytes + (current.length > 0 ? 1 : 0);
    current.push(r);
  }
  if (current.length > 0) batches.push(current);
  return { batches, tooLarge };
}

// --- running -------------------------------------------------------------------------------

export type Counts = Record<ImportRowStatus, number>;
const zeroCounts = (): Counts => ({ created: 0, unchanged: 0, conflict: 0, invalid: 0, would_create: 0 });

/** An outcome with the file line it came from. */
export type LineOutcome = ImportRowOutcome & { readonly line: number };

export interface ImportRun {
  readonly dryRun: boolean;
  readonly total: number;
  readonly counts: Counts;
  /** Rows that were not created, unchanged or would_create, and lines the file got wrong, in file order. */
  readonly problems: readonly LineOutcome[];
}

const n = (x: number): string => x.toLocaleString('en-US');

/** `imported 4,200/10,000 (created 4,100, unchanged 100, conflict 0, invalid 0)`; a dry run says `checked` and `would create`. */
export function formatProgress(done: number, total: number, c: Counts, dryRun: boolean): string {
  const first = dryRun ? `would create ${n(c.would_create)}` : `created ${n(c.created)}`;
  return `${dryRun ? 'checked' : 'imported'} ${n(done)}/${n(total)} (${first}, unchanged ${n(c.unchanged)}, conflict ${n(c.conflict)}, invalid ${n(c.invalid)})`;
}

export interface ImportKeysApi {
  importKeys(body: { keys: readonly Readonly<Record<string, unknown>>[]; dryRun?: boolean }): Promise<unknown>;
}

/**
 * Sends the file's rows batch by batch. A batch the API refuses as a whole (403, 413, a fault
 * after the client's retries) stops the run with the progress so far; re-running resumes.
 */
export async function runImport(
  api: ImportKeysApi,
  file: ParsedFile,
  opts: { readonly dryRun: boolean; readonly batchSize: number; readonly onProgress?: (line: string) => void },
): Promise<ImportRun> {
  const counts = zeroCounts();
  const problems: LineOutcome[] = file.problems.map((p) => ({ index: -1, line: p.line, status: 'invalid', errors: [{ field: 'line', message: p.message }] }));
  counts.invalid += file.problems.length;
  const { batches, tooLarge } = packBatches(file.rows, { maxRows: opts.batchSize, dryRun: opts.dryRun });
  for (const r of tooLarge) {
    problems.push({ index: -1, line: r.line, status: 'invalid', errors: [{ field: 'row', message: `is larger than the API's ${IMPORT_MAX_BODY_BYTES}-byte request limit on its own (metadata and description are the usual cause)` }] });
    counts.invalid++;
  }
  const total = file.rows.length + file.problems.length;
  let done = file.problems.length + tooLarge.length;
  for (const batch of batches) {
    const answer = (await api.importKeys({ keys: batch.map((r) => r.row), ...(opts.dryRun ? { dryRun: true } : {}) })) as ImportResult;
    if (!answer || !Array.isArray(answer.results) || answer.results.length !== batch.length) {
      throw new Error('import: the API answered with an unexpected body (is the endpoint a Keygate with key import?)');
    }
    const results: readonly ImportRowOutcome[] = answer.results;
    for (const outcome of results) {
      const status: ImportRowStatus = IMPORT_ROW_STATUSES.includes(outcome.status) ? outcome.status : 'invalid';
      counts[status]++;
      if (status === 'conflict' || status === 'invalid') problems.push({ ...outcome, line: batch[outcome.index]?.line ?? -1 });
    }
    done += batch.length;
    opts.onProgress?.(formatProgress(done, total, counts, opts.dryRun));
  }
  problems.sort((a, b) => a.line - b.line);
  return { dryRun: opts.dryRun, total, counts, problems };
}

/** The report on stdout: one line per row that needs attention, then the totals. Never a cell of the file. */
export function formatImportRun(run: ImportRun): string {
  const lines = run.problems.map((p) => {
    const errors = (p.errors ?? []).map((e) => `${e.field}: ${e.message}${e.code ? ` [${e.code}]` : ''}`).join('; ');
    return `line ${p.line}${p.externalId ? ` (${p.externalId})` : ''}: ${p.status}${errors ? ` — ${errors}` : ''}`;
  });
  lines.push(formatProgress(run.total, run.total, run.counts, run.dryRun).replace(/^(imported|checked) [\d,]+\/([\d,]+)/, (_m, verb: string, all: string) => `${verb === 'imported' ? 'imported' : 'dry run checked'} ${all} rows`));
  return lines.join('\n') + '\n';
}

// --- the command ---------------------------------------------------------------------------

export interface ImportFlags {
  readonly dryRun?: boolean;
  readonly format?: string;
  readonly batchSize?: string;
}

export interface ImportCommandContext {
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Endpoint and API key as the other commands resolve them, and whether --json was given. */
  readonly connection: (cmd: Command) => { readonly endpoint: string; readonly apiKey?: string; readonly json?: boolean };
  /** For tests: the client's fetch. */
  readonly fetch?: typeof fetch;
  /** For tests: the client's wait between retries. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export function parseBatchSize(raw: string | undefined): number {
  if (raw === undefined) return IMPORT_MAX_ROWS;
  if (!/^\d{1,4}$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > IMPORT_MAX_ROWS) {
    throw new UsageError(`--batch-size must be a whole number from 1 to ${IMPORT_MAX_ROWS} (got ${JSON.stringify(raw.slice(0, 20))})`);
  }
  return Number(raw);
}

/** Reads, sends and reports one file; throws (exit 1) when a row was invalid or in conflict. */
export async function importCommand(file: string, flags: ImportFlags, cmd: Command, ctx: ImportCommandContext): Promise<ImportRun> {
  const format = detectFormat(file, flags.format);
  const batchSize = parseBatchSize(flags.batchSize);
  const parsed = parseImportFile(readImportFile(ctx.cwd, file), format);
  if (parsed.rows.length === 0 && parsed.problems.length === 0) throw new UsageError(`import: ${file} holds no rows`);
  const { endpoint, apiKey, json } = ctx.connection(cmd);
  // Import is idempotent by externalId, so a POST that timed out or got a 503 may be sent again.
  const client = new KeygateClient({ endpoint, ...(apiKey ? { apiKey } : {}), retryNonIdempotent: true, maxRetries: 4, ...(ctx.fetch && { fetch: ctx.fetch }), ...(ctx.sleep && { sleep: ctx.sleep }) });
  const run = await runImport(client, parsed, { dryRun: flags.dryRun === true, batchSize, onProgress: (line) => ctx.stderr(`${line}\n`) });
  if (json) ctx.stdout(JSON.stringify(run, null, 2) + '\n');
  else ctx.stdout(formatImportRun(run));
  if (run.counts.invalid + run.counts.conflict > 0) {
    throw new Error(`import: ${n(run.counts.invalid)} invalid and ${n(run.counts.conflict)} conflicting row(s) were not imported (listed above); fix them and run again — rows already imported come back unchanged`);
  }
  return run;
}

/** Adds `import` to the program (cli/main.ts calls this once). */
export function registerImportCommand(program: Command, ctx: ImportCommandContext): Command {
  return program
    .command('import')
    .description('import existing keys from a CSV or JSONL file (plaintext keys are hashed by the API, never stored); idempotent by externalId, so re-running resumes (docs/migration.md)')
    .argument('<file>', 'a .csv (header row) or .jsonl (one row object per line) file')
    .option('--dry-run', 'report what would change without writing anything')
    .option('--format <format>', 'csv or jsonl (default: from the file name)')
    .option('--batch-size <n>', `rows per request, 1-${IMPORT_MAX_ROWS} (requests also stay within the API's 16 KB body limit)`)
    .action(async (file: string, flags: ImportFlags, cmd: Command) => {
      await importCommand(file, flags, cmd, ctx);
    });
}
