/**
 * `keygate events [--follow] [--type <prefix>] [--json] [--home <dir>]`: the events the local
 * stack published, read from `<home>/events.ndjson` (the local EventBridge stand-in,
 * adapters/file-event-sink.ts). No API call: the file is on this machine.
 *
 * Parsing, filtering and formatting are pure functions; `followEvents` tails the file from an
 * offset, waiting between reads through an injected `wait` so tests append lines and step it
 * without a clock.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from './errors';
import { cell } from './format';

export const EVENTS_FILE = 'events.ndjson';
export const eventsPath = (home: string): string => join(home, EVENTS_FILE);

export interface KeygateEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** One line of events.ndjson, or undefined for a blank, partial or foreign line (skipped, not fatal). */
export function parseEventLine(line: string): KeygateEvent | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && type !== '' ? (value as KeygateEvent) : undefined;
}

/**
 * `--type` as a prefix of the event type. `keygate.` may be left out: `key.expir` matches
 * `keygate.key.expiring` and `keygate.key.expired`; `audit` every audit event.
 */
export function parseTypePrefix(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === '') throw new UsageError('--type must not be empty');
  if (!/^[a-z0-9._-]+$/i.test(text)) throw new UsageError(`--type must be an event type or its start, e.g. keygate.key.expiring or key. (got ${JSON.stringify(raw)})`);
  return text === 'keygate' || text.startsWith('keygate.') ? text : `keygate.${text}`;
}

export function matchesType(event: KeygateEvent, prefix: string | undefined): boolean {
  return prefix === undefined || event.type.startsWith(prefix);
}

/** Fields shown first when an event has them; the rest follow in the event's own order. */
const LEADING = ['keyId', 'ownerId', 'name'];

/** `<time>  <type>  field=value …`, one line, control characters replaced. */
export function formatEvent(event: KeygateEvent): string {
  const { type, time, ...rest } = event;
  const keys = [...LEADING.filter((k) => k in rest), ...Object.keys(rest).filter((k) => !LEADING.includes(k))];
  const fields = keys.map((k) => `${cell(k)}=${cell(typeof rest[k] === 'string' ? (rest[k] as string) : JSON.stringify(rest[k]))}`);
  return [cell(typeof time === 'string' ? time : undefined), cell(type), ...fields].join('  ');
}

export function renderEvent(event: KeygateEvent, json: boolean): string {
  return (json ? JSON.stringify(event) : formatEvent(event)) + '\n';
}

export interface ReadResult {
  readonly events: KeygateEvent[];
  /** Byte offset just after the last complete line read. */
  readonly offset: number;
  readonly skipped: number;
  readonly exists: boolean;
}

/** Reads the complete lines of the file from `offset` (a trailing partial line is left for later). */
export async function readEventsFrom(path: string, offset = 0): Promise<ReadResult> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], offset: 0, skipped: 0, exists: false };
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    const { size } = await handle.stat();
    // The file was replaced or truncated: start over.
    const from = size < offset ? 0 : offset;
    const length = size - from;
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, from + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    const complete = buffer.subarray(0, read).lastIndexOf(0x0a) + 1;
    const events: KeygateEvent[] = [];
    let skipped = 0;
    for (const line of buffer.subarray(0, complete).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      const event = parseEventLine(line);
      if (event) events.push(event);
      else skipped++;
    }
    return { events, offset: from + complete, skipped, exists: true };
  } finally {
    await handle.close();
  }
}

export interface FollowOptions {
  readonly path: string;
  /** Start here (the end of what was already printed). @default 0 */
  readonly offset?: number;
  readonly onEvent: (event: KeygateEvent) => void;
  /** Resolves when it is time to look again. @default a 500 ms pause or a change to the file, whichever first */
  readonly wait?: () => Promise<void>;
  /** Stops following (Ctrl-C ends the process; tests abort). */
  readonly signal?: AbortSignal;
}

const defaultWait = (path: string, signal?: AbortSignal) => async (): Promise<void> => {
  const { watch } = await import('node:fs/promises');
  const pause = new AbortController();
  const stop = () => pause.abort();
  signal?.addEventListener('abort', stop, { once: true });
  const timer = setTimeout(stop, 500);
  try {
    // A change wakes it at once where fs.watch works; the pause is the fallback (and covers a file not created yet).
    for await (const _ of watch(path, { signal: pause.signal })) break;
  } catch {
    // aborted by the pause, or the file does not exist yet
    if (!pause.signal.aborted) await new Promise<void>((resolve) => pause.signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
  }
};

/** Prints new events as lines are appended, until `signal` aborts. Resolves with the last offset. */
export async function followEvents(options: FollowOptions): Promise<number> {
  let offset = options.offset ?? 0;
  const wait = options.wait ?? defaultWait(options.path, options.signal);
  while (!options.signal?.aborted) {
    const result = await readEventsFrom(options.path, offset);
    offset = result.offset;
    for (const event of result.events) options.onEvent(event);
    if (options.signal?.aborted) break;
    await wait();
  }
  return offset;
}

export function noEventsNote(path: string): string {
  return `no events yet: ${path} does not exist (the local stack writes it when it publishes an event; set KEYGATE_HOME or --home if it runs elsewhere)`;
}
