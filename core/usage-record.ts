/**
 * The usage record: one per request that reaches the API, defined once. The stage access-log
 * format (lib/), the Glue table columns, the local writer and docs/analytics.md all come from
 * this list, so a field added here shows up everywhere or a test fails.
 *
 * The record is what API Gateway writes into the access log, byte for byte: a value API Gateway
 * does not have is written as `-`. Only fields that always have a value are unquoted numbers
 * (an unquoted `-` would make the line invalid JSON and the record would fail Parquet
 * conversion); every other field is a string, and queries turn `-` into NULL with
 * `NULLIF(field, '-')` and numbers with `TRY_CAST`.
 */

export type UsageColumnType = 'string' | 'bigint' | 'int';

export interface UsageField {
  /** Column name in the record, the Glue table and the local files. */
  readonly name: string;
  readonly type: UsageColumnType;
  /** The `$context` variable API Gateway writes for it. */
  readonly accessLog: string;
  /** What it means, for docs/analytics.md. */
  readonly meaning: string;
}

/** Authorizer context key carrying the decision code (core/authorizer-context.ts sets it). */
export const DECISION_CONTEXT_KEY = 'decision';

export const USAGE_FIELDS: readonly UsageField[] = [
  { name: 'requestId', type: 'string', accessLog: '$context.requestId', meaning: 'API Gateway request id (also in every problem+json body)' },
  { name: 'time', type: 'bigint', accessLog: '$context.requestTimeEpoch', meaning: 'request time, epoch milliseconds' },
  { name: 'keyId', type: 'string', accessLog: '$context.authorizer.keyId', meaning: 'calling key id; `-` when no valid key was presented (failed authentication still counts)' },
  { name: 'ownerId', type: 'string', accessLog: '$context.authorizer.ownerId', meaning: 'owner (tenant) of the calling key; `-` without a valid key' },
  { name: 'method', type: 'string', accessLog: '$context.httpMethod', meaning: 'HTTP method' },
  { name: 'route', type: 'string', accessLog: '$context.resourcePath', meaning: 'route template (`/orders/{id}`), not the concrete path: no ids or personal data in it' },
  { name: 'status', type: 'int', accessLog: '$context.status', meaning: 'HTTP status sent to the client' },
  {
    name: 'errorType',
    type: 'string',
    accessLog: '$context.error.responseType',
    meaning: 'gateway response type when API Gateway answered itself (`INVALID_API_KEY` = Keygate limit 429, `THROTTLED` = stage throttle 429, `UNAUTHORIZED`, `ACCESS_DENIED`, `INTEGRATION_TIMEOUT`, …); `-` when the integration answered',
  },
  {
    name: 'decision',
    type: 'string',
    accessLog: `$context.authorizer.${DECISION_CONTEXT_KEY}`,
    meaning: 'the authorizer\'s decision: VALID, RATE_LIMITED, QUOTA_EXCEEDED, INSUFFICIENT_SCOPE, IP_NOT_ALLOWED, UNKNOWN_ROUTE; `-` when the authorizer threw (401: missing or bad key; 503: store unavailable) or did not run (`/health`)',
  },
  { name: 'responseLatencyMs', type: 'int', accessLog: '$context.responseLatency', meaning: 'time from request received to response sent, ms' },
  { name: 'integrationLatencyMs', type: 'string', accessLog: '$context.integrationLatency', meaning: 'time spent in the integration (upstream, Lambda), ms; `-` when none ran' },
  { name: 'authorizerLatencyMs', type: 'string', accessLog: '$context.authorizer.latency', meaning: 'time spent in the authorizer, ms; `-` when it did not run' },
  { name: 'responseBytes', type: 'string', accessLog: '$context.responseLength', meaning: 'response payload length, bytes' },
  { name: 'sourceIp', type: 'string', accessLog: '$context.identity.sourceIp', meaning: 'client address as API Gateway saw it' },
  { name: 'userAgent', type: 'string', accessLog: '$context.identity.userAgent', meaning: 'client User-Agent' },
];

/** Partition column: the UTC day the record was delivered (Firehose's arrival time), `YYYY-MM-DD`. */
export const USAGE_PARTITION = { name: 'dt', type: 'string', format: 'yyyy-MM-dd' } as const;

/** Name of the usage table: the Glue table (in the stack's own database) and the local DuckDB view. */
export const USAGE_TABLE_NAME = 'usage';

/** The value API Gateway writes for a missing variable. */
export const MISSING = '-';

export type UsageRecord = Readonly<Record<string, string | number>>;

/**
 * The stage access-log format: one JSON object per line with the fields above. Numbers
 * (`bigint`, `int`) are unquoted; strings are quoted.
 */
export function accessLogFormat(fields: readonly UsageField[] = USAGE_FIELDS): string {
  return '{' + fields.map((f) => (f.type === 'string' ? `"${f.name}":"${f.accessLog}"` : `"${f.name}":${f.accessLog}`)).join(',') + '}';
}

/** A record as the local gateway writes it: every field present, `-` for a missing string. */
export function usageRecord(values: Partial<Record<string, string | number | undefined>>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const f of USAGE_FIELDS) {
    const v = values[f.name];
    if (f.type === 'string') out[f.name] = v === undefined || v === '' ? MISSING : String(v);
    else out[f.name] = typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
  }
  return out;
}

/** The partition a record falls in: its UTC day. */
export function usagePartition(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}
