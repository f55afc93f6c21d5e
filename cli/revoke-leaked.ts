/**
 * `keygate revoke-leaked <key|file|->`: presents leaked keys to `POST /v1/keys/revoke-leaked`,
 * which revokes every live one (possession is the authority, so no API key is sent — not even
 * one configured for the CLI: the report must not tie the presenter's own key to it).
 *
 * The argument is one key, or a file (or `-`, stdin) to scan: a pasted log, ticket or diff works,
 * since every key-shaped token is picked out with the core's KEY_LIKE_PATTERN. Tokens that are
 * not well-formed keys (shape, checksum) are dropped before sending — the server would ignore
 * them, and its per-IP limit counts every presented string. Keys are de-duplicated and sent in
 * batches of at most LEAK_REPORT_MAX_KEYS. Nothing printed here contains a presented key.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { KEY_LIKE_PATTERN, parseKey } from '../core/key-format';
import { LEAK_REPORT_MAX_KEYS } from '../core/validation';
import { KeygateProblemError } from '../packages/client/src/index';
import { cliClient } from './connect';
import { UsageError } from './errors';
import { formatApiError } from './format';

/** Largest input scanned (a file or stdin); a bigger log should be cut to the part that leaked. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/** Characters of a key after `<prefix>_<env>_`: the random part and the checksum. */
const KEY_TAIL_LENGTH = 49;
const TOKEN = /^([a-z][a-z0-9]*)_(live|test)_([0-9A-Za-z]+)$/;

/** Hides anything key-shaped (belt and braces: no message built here should contain one). */
export function redactKeys(text: string): string {
  return text.replace(new RegExp(KEY_LIKE_PATTERN.source, 'g'), '[redacted]');
}

/** The whole text is one key-shaped token (so the argument is a key, not a file name). */
export function isKeyLike(text: string): boolean {
  const m = new RegExp(`^(?:${KEY_LIKE_PATTERN.source})$`).exec(text);
  return m !== null;
}

/**
 * The well-formed key inside a key-like token, or undefined. KEY_LIKE_PATTERN is loose at both
 * ends: in `tokenkg_live_…` its prefix takes the letters before the key, and a key followed by
 * letters or digits runs on. So the prefix is shortened from the left and the tail cut to a
 * key's length until the checksum holds (at most 16 tries).
 */
export function wellFormedKey(token: string): string | undefined {
  const m = TOKEN.exec(token);
  if (!m || m[3]!.length < KEY_TAIL_LENGTH) return undefined;
  const [, prefix, env, tail] = m as unknown as [string, string, string, string];
  const rest = `_${env}_${tail.slice(0, KEY_TAIL_LENGTH)}`;
  for (let i = 0; i < prefix.length; i++) {
    const candidate = prefix.slice(i) + rest;
    if (/^[a-z]/.test(candidate) && parseKey(candidate).ok) return candidate;
  }
  return undefined;
}

export interface LeakCandidates {
  /** Well-formed keys, de-duplicated, in the order found. */
  readonly keys: readonly string[];
  /** Key-like tokens found (with repeats). */
  readonly tokens: number;
  /** Distinct key-like tokens dropped: not a key's shape or checksum. */
  readonly malformed: number;
}

/** Every key in a text (a log, a ticket, one key). */
export function extractLeakCandidates(text: string): LeakCandidates {
  const keys: string[] = [];
  const bad = new Set<string>();
  let tokens = 0;
  for (const match of text.matchAll(new RegExp(KEY_LIKE_PATTERN.source, 'g'))) {
    tokens++;
    const key = wellFormedKey(match[0]);
    if (key === undefined) bad.add(match[0]);
    else if (!keys.includes(key)) keys.push(key);
  }
  return { keys, tokens, malformed: bad.size };
}

/** Consecutive batches of at most `size` (the API's limit per report). */
export function leakBatches<T>(items: readonly T[], size: number = LEAK_REPORT_MAX_KEYS): T[][] {
  if (!(size >= 1)) throw new RangeError('batch size must be at least 1');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface LeakInput {
  readonly text: string;
  /** Where the keys came from, as shown to people (never the key itself). */
  readonly source: string;
}

/** Reads a stream to text, refusing more than `maxBytes`. */
export async function readStream(stream: AsyncIterable<Buffer | string>, maxBytes = MAX_INPUT_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > maxBytes) throw new UsageError(`stdin is larger than ${maxBytes / 1024 / 1024} MiB; pass only the part that leaked`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `-` → stdin; a key-shaped argument → that key; anything else → a file to scan. An error never
 * repeats the argument: a mistyped key would otherwise be printed back.
 */
export async function readLeakInput(arg: string, io: { readonly cwd: string; readonly readStdin: () => Promise<string> }): Promise<LeakInput> {
  if (arg === '-') return { text: await io.readStdin(), source: 'stdin' };
  const text = arg.trim();
  if (isKeyLike(text)) return { text, source: 'the argument' };
  if (text === '') throw new UsageError('revoke-leaked needs a key, a file or - (stdin)');
  const path = resolve(io.cwd, arg);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'not a regular file' });
    size = st.size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`the argument is not a key, and it names no readable file (${code}); pass a key, a file or - for stdin`);
  }
  if (size > MAX_INPUT_BYTES) throw new UsageError(`the file is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB; pass only the part that leaked`);
  return { text: readFileSync(path, 'utf8'), source: path };
}

/** The report could not be completed: some batches may have been sent before it stopped. */
export class LeakReportStoppedError extends Error {
  readonly retryable: boolean;
  constructor(
    message: string,
    readonly submitted: number,
    readonly total: number,
    /** Seconds from `Retry-After` on a 429. */
    readonly retryAfterSeconds: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = retryAfterSeconds !== undefined || (options?.cause instanceof KeygateProblemError && options.cause.retryable);
  }
}

export interface LeakReportResult {
  /** Strings presented, over every request. */
  readonly submitted: number;
  readonly requests: number;
  /** The server's `status` and `message` (the same for every batch). */
  readonly status: string;
  readonly message: string;
}

interface Accepted {
  readonly status?: unknown;
  readonly message?: unknown;
}

/**
 * Sends the keys in batches without any API key. A 429 stops the run (the limit is per source
 * IP; pressing on would only be refused again) with the `Retry-After` and how many were sent.
 */
export async function submitLeakReport(opts: { readonly endpoint: string; readonly keys: readonly string[]; readonly fetch?: typeof fetch }): Promise<LeakReportResult> {
  // No apiKey: the leak report is authorised by the keys it carries (and the client sends no key
  // to a route that takes none).
  const client = cliClient({ endpoint: opts.endpoint, io: { ...(opts.fetch && { fetch: opts.fetch }) } });
  let submitted = 0;
  let requests = 0;
  let answer: Accepted = {};
  for (const batch of leakBatches(opts.keys)) {
    try {
      answer = await client.revokeLeaked(batch);
    } catch (err) {
      throw stopped(err, submitted, opts.keys.length);
    }
    submitted += batch.length;
    requests++;
  }
  return {
    submitted,
    requests,
    status: typeof answer.status === 'string' ? answer.status : 'accepted',
    message: typeof answer.message === 'string' ? redactKeys(answer.message) : '',
  };
}

function stopped(err: unknown, submitted: number, total: number): unknown {
  if (!(err instanceof KeygateProblemError)) return submitted === 0 ? err : new LeakReportStoppedError(`${err instanceof Error ? err.message : String(err)}${sentSoFar(submitted, total)}`, submitted, total, undefined, { cause: err });
  const seconds = err.status === 429 ? err.retryAfterSeconds : undefined;
  const wait = err.status === 429 ? ` — retry after ${seconds !== undefined ? `${seconds} s` : 'a while'} (Retry-After)` : '';
  return new LeakReportStoppedError(`${redactKeys(formatApiError(err))}${wait}${sentSoFar(submitted, total)}`, submitted, total, seconds, { cause: err });
}

function sentSoFar(submitted: number, total: number): string {
  if (submitted === 0) return `; none of the ${plural(total, 'string')} was submitted`;
  return `; ${submitted} of ${total} strings were submitted before it, run it again for the rest (keys already revoked are ignored)`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The error when the input holds no key: says where it looked and what it dropped, never a token. */
export function noKeysMessage(input: Pick<LeakInput, 'source'>, found: LeakCandidates): string {
  if (found.tokens === 0) return `no key found in ${input.source}: nothing matches the key format <prefix>_live|test_<49 characters>; nothing was sent`;
  return `no well-formed key in ${input.source}: ${plural(found.malformed, 'key-like string')} failed the key format or checksum (truncated or mistyped?); nothing was sent`;
}

/** What was sent and the server's answer — counts only, never a key. */
export function formatLeakReport(result: LeakReportResult, found: Pick<LeakCandidates, 'malformed'>): string {
  const lines = [`Submitted ${plural(result.submitted, 'string')} in ${plural(result.requests, 'request')} (${result.status}).`];
  if (found.malformed > 0) lines.push(`Skipped ${plural(found.malformed, 'key-like string')} that failed the key format or checksum.`);
  if (result.message) lines.push(result.message);
  return lines.join('\n') + '\n';
}
