/**
 * Structured JSON logs, one line per event. Redaction is the last line of defence: the
 * code never passes keys or hashes, and this still masks anything key-shaped and any
 * field whose name says secret.
 */
import { KEY_LIKE_PATTERN } from '../core/key-format';
import type { Logger, LogLevel } from '../core/ports';

const SECRET_FIELD = /^(key|plaintext|hash|authorization|x-api-key|apikey|api_key|secret|token|password)$/i;
const HEX_HASH = /\b[0-9a-f]{64}\b/g;
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(KEY_LIKE_PATTERN, '[REDACTED]').replace(HEX_HASH, '[REDACTED]');
  if (value === null || typeof value !== 'object') return value;
  // Too deep to inspect: drop it rather than risk logging a secret.
  if (depth > 6) return '[TRUNCATED]';
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message, depth + 1), ...(value.cause ? { cause: redact(value.cause, depth + 1) } : {}) };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) ? '[REDACTED]' : redact(v, depth + 1);
  return out;
}

export class JsonLogger implements Logger {
  constructor(
    private readonly base: Readonly<Record<string, unknown>> = {},
    private readonly sink: (line: string) => void = (line) => process.stdout.write(line + '\n'),
    private readonly minLevel: LogLevel = (process.env.KEYGATE_LOG_LEVEL as LogLevel | undefined) ?? 'info',
  ) {}

  log(level: LogLevel, message: string, fields: Readonly<Record<string, unknown>> = {}): void {
    if ((ORDER[level] ?? 20) < (ORDER[this.minLevel] ?? 20)) return;
    const entry = redact({ ...this.base, ...fields, level, time: new Date().toISOString(), message });
    this.sink(JSON.stringify(entry));
  }

  child(fields: Readonly<Record<string, unknown>>): JsonLogger {
    return new JsonLogger({ ...this.base, ...fields }, this.sink, this.minLevel);
  }
}
