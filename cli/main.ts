/**
 * `keygate`: the command-line client for the Keygate management API.
 *
 * Everything that turns flags into a request (validation, request bodies, endpoint and
 * key resolution) is an exported pure function so it can be unit-tested without a
 * server; `main()` only wires those to commander, the HTTP client and stdout/stderr.
 *
 * Exit codes: 0 success, 1 the API or the network failed, 2 the command line is wrong.
 * Every failure is one line on stderr starting with `keygate: `.
 */
import { UsageError } from './errors';
import { cliClient } from './connect';
import { readFileSync, realpathSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { SCOPE_PATTERN } from '../core/scopes';
import {
  KeygateClient,
  KeygateConnectionError,
  KeygateProblemError,
  KeygateQueryRunningError,
  type PollOptions,
  type CreateKeyBody,
  type KeyPage,
  type KeyStatus,
  type KeyView,
  type ListKeysQuery,
  type RateLimit,
  type RotateKeyBody,
  type UpdateKeyBody,
} from '../packages/client/src/index';
import {
  formatApiError,
  formatKeyTable,
  formatRecord,
  formatScopeTable,
  formatTemplateTable,
  formatSecret,
  formatWhoami,
  renderPairs, formatUsage, cell } from './format';
import { buildReportQuery, formatReport, formatReportCsv, GROUP_NAMES, truncationWarning, type ReportFlags } from './report';
import { formatAnomalyRun } from './report-anomalies';
import { formatHistory, historyRange, parseHistory } from './report-history';
import { startProgress } from './report-progress';
import { registerImportCommand } from './import';
import { buildAuditQuery, listAllAudit, listAudit, nextPageCommand, type AuditFlags } from './audit';
import { formatAuditTable } from './audit-format';
import { brokenChainMessage, buildVerifyQuery, formatVerify, verifyAudit, verifyFlags } from './audit-verify';
import { eventsPath, followEvents, type FollowOptions, matchesType, noEventsNote, parseTypePrefix, readEventsFrom, renderEvent } from './events';
import { extractLeakCandidates, formatLeakReport, noKeysMessage, readLeakInput, readStream, submitLeakReport } from './revoke-leaked';

export const DEFAULT_PORT = 3000;
const DAY_MS = 86_400_000;

export { UsageError };

// ---------------------------------------------------------------------------
// Flag value parsers
// ---------------------------------------------------------------------------

/** A whole number ≥ `min`, written in decimal digits (no `1e3`, `0x10`, `1.0`). */
export function parseInteger(flag: string, raw: string, min = 1): number {
  const text = raw.trim();
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} must be a whole number (got ${JSON.stringify(raw)})`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag} is too large (got ${JSON.stringify(raw)})`);
  if (n < min) throw new UsageError(`${flag} must be at least ${min} (got ${n})`);
  return n;
}

/** `100/60` → 100 requests per 60-second window. */
export function parseRateLimit(raw: string): RateLimit {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(raw);
  if (!m) throw new UsageError(`--rate-limit must be <limit>/<windowSeconds>, e.g. 100/60 (got ${JSON.stringify(raw)})`);
  return {
    limit: parseInteger('--rate-limit limit', m[1]!),
    windowSeconds: parseInteger('--rate-limit window', m[2]!),
  };
}

type RatePolicy = NonNullable<RateLimit['policy']>;
const POLICIES: readonly RatePolicy[] = ['fixed', 'sliding', 'tokenBucket'];

/**
 * The rate limit of `--rate-limit`, `--policy` and `--burst`; undefined when none is given.
 * The policy and burst belong to the limit they shape (the API replaces a rate limit whole),
 * so they need `--rate-limit`; `--burst` only with `--policy tokenBucket`, as the API says.
 */
export function rateLimitFromFlags(flags: Pick<KeyFlags, 'rateLimit' | 'policy' | 'burst'>): RateLimit | undefined {
  if (flags.rateLimit === undefined) {
    if (flags.policy !== undefined || flags.burst !== undefined) {
      throw new UsageError(`${flags.policy !== undefined ? '--policy' : '--burst'} needs --rate-limit <limit/windowSeconds>: a policy shapes the rate limit it comes with`);
    }
    return undefined;
  }
  const base = parseRateLimit(flags.rateLimit);
  if (flags.policy === undefined && flags.burst === undefined) return base;
  const policy = flags.policy?.trim();
  if (policy !== undefined && !(POLICIES as readonly string[]).includes(policy)) {
    throw new UsageError(`--policy must be ${POLICIES.join(', ')} (got ${JSON.stringify(flags.policy)})`);
  }
  if (flags.burst !== undefined && policy !== 'tokenBucket') throw new UsageError('--burst needs --policy tokenBucket (only a token bucket has a burst)');
  return {
    ...base,
    ...(policy !== undefined ? { policy: policy as RatePolicy } : {}),
    ...(flags.burst !== undefined ? { burst: parseInteger('--burst', flags.burst) } : {}),
  };
}

/** Comma lists, possibly repeated: `['a,b', 'c']` → `['a','b','c']`, de-duplicated. `''` means no scopes. */
export function parseScopes(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const scope = part.trim();
      if (scope === '') continue;
      if (!SCOPE_PATTERN.test(scope) || scope.length > 64) {
        throw new UsageError(`invalid scope ${JSON.stringify(scope)}: use lowercase words joined by ':', e.g. keys:read`);
      }
      if (!out.includes(scope)) out.push(scope);
    }
  }
  return out;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * An ISO-8601 date (`2026-01-31`, midnight UTC) or date-time with a zone (`Z` or `+02:00`),
 * normalised to UTC. A date-time without a zone is rejected: it would mean this machine's
 * local time, which is rarely what an expiry on a server should depend on.
 */
export function parseExpiresAt(raw: string): string {
  const text = raw.trim();
  if (!ISO_DATE.test(text) && !ISO_DATE_TIME.test(text)) {
    throw new UsageError(
      `--expires-at must be an ISO-8601 date or date-time with a zone, e.g. 2026-01-31 or 2026-01-31T12:00:00Z (got ${JSON.stringify(raw)})`,
    );
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`--expires-at is not a real date (got ${JSON.stringify(raw)})`);
  return new Date(ms).toISOString();
}

/** An IPv4/IPv6 address or CIDR block; a bare address becomes a single-host block (/32 or /128). */
export function parseCidr(raw: string): string {
  const text = raw.trim();
  const [address = '', prefix, extra] = text.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) {
    throw new UsageError(`--allow-ip must be an IP address or CIDR block, e.g. 203.0.113.0/24 (got ${JSON.stringify(raw)})`);
  }
  const max = family === 4 ? 32 : 128;
  if (prefix === undefined) return `${address}/${max}`;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
    throw new UsageError(`--allow-ip prefix length must be 0-${max} for IPv${family} (got ${JSON.stringify(raw)})`);
  }
  return `${address}/${Number(prefix)}`;
}

/** Repeatable and comma-separated: `['10.0.0.0/8,192.168.1.1']`. */
export function parseAllowedIps(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      if (part.trim() === '') continue;
      const cidr = parseCidr(part);
      if (!out.includes(cidr)) out.push(cidr);
    }
  }
  if (out.length === 0) throw new UsageError('--allow-ip needs at least one address or CIDR block');
  return out;
}

/** A JSON object (not an array, string or null). */
export function parseMetadata(raw: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new UsageError(`--metadata must be a JSON object, e.g. '{"team":"billing"}' (could not parse it)`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError('--metadata must be a JSON object, e.g. \'{"team":"billing"}\'');
  }
  return value as Record<string, unknown>;
}

export function parseEnvironment(raw: string): 'live' | 'test' {
  if (raw === 'live' || raw === 'test') return raw;
  throw new UsageError(`--env must be live or test (got ${JSON.stringify(raw)})`);
}

export const KEY_STATUSES: readonly KeyStatus[] = ['active', 'revoked', 'expired'];

export function parseStatus(raw: string): KeyStatus {
  if ((KEY_STATUSES as readonly string[]).includes(raw)) return raw as KeyStatus;
  throw new UsageError(`--status must be one of ${KEY_STATUSES.join(', ')} (got ${JSON.stringify(raw)})`);
}

function nonBlank(flag: string, raw: string): string {
  const text = raw.trim();
  if (text === '') throw new UsageError(`${flag} must not be empty`);
  return text;
}

// ---------------------------------------------------------------------------
// Request builders
// ---------------------------------------------------------------------------

/** Flags shared by create-key and update-key, as commander hands them over (strings). */
export interface KeyFlags {
  name?: string;
  description?: string;
  scopes?: string[];
  expiresAt?: string;
  expiresInDays?: string;
  rateLimit?: string;
  /** fixed, sliding or tokenBucket; with --rate-limit. */
  policy?: string;
  /** Token bucket capacity; with --policy tokenBucket. */
  burst?: string;
  dailyQuota?: string;
  monthlyQuota?: string;
  allowIp?: string[];
  metadata?: string;
}

export interface CreateKeyFlags extends KeyFlags {
  owner?: string;
  env?: string;
  template?: string;
}

export interface UpdateKeyFlags extends KeyFlags {
  clearExpiry?: boolean;
  clearRateLimit?: boolean;
  clearQuota?: boolean;
  clearAllowedIps?: boolean;
  clearMetadata?: boolean;
}

function parseQuota(flags: KeyFlags): { daily?: number; monthly?: number } | undefined {
  if (flags.dailyQuota === undefined && flags.monthlyQuota === undefined) return undefined;
  const quota: { daily?: number; monthly?: number } = {};
  if (flags.dailyQuota !== undefined) quota.daily = parseInteger('--daily-quota', flags.dailyQuota);
  if (flags.monthlyQuota !== undefined) quota.monthly = parseInteger('--monthly-quota', flags.monthlyQuota);
  return quota;
}

function exclusive(flags: object, a: string, b: string): void {
  const f = flags as Record<string, unknown>;
  const camel = (s: string): string => s.replace(/^--/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
  if (f[camel(a)] !== undefined && f[camel(a)] !== false && f[camel(b)] !== undefined && f[camel(b)] !== false) {
    throw new UsageError(`use either ${a} or ${b}, not both`);
  }
}

/** Body for `POST /v1/keys`. */
export function buildCreateBody(flags: CreateKeyFlags): CreateKeyBody {
  if (flags.name === undefined) throw new UsageError('create-key needs --name');
  exclusive(flags, '--expires-at', '--expires-in-days');
  const body: CreateKeyBody = { name: nonBlank('--name', flags.name) };
  if (flags.description !== undefined) body.description = flags.description;
  if (flags.owner !== undefined) body.ownerId = nonBlank('--owner', flags.owner);
  if (flags.scopes !== undefined) body.scopes = parseScopes(flags.scopes);
  if (flags.expiresAt !== undefined) body.expiresAt = parseExpiresAt(flags.expiresAt);
  if (flags.expiresInDays !== undefined) body.expiresInDays = parseInteger('--expires-in-days', flags.expiresInDays);
  const rateLimit = rateLimitFromFlags(flags);
  if (rateLimit) body.rateLimit = rateLimit;
  const quota = parseQuota(flags);
  if (quota) body.quota = quota;
  if (flags.allowIp !== undefined) body.allowedIps = parseAllowedIps(flags.allowIp);
  if (flags.metadata !== undefined) body.metadata = parseMetadata(flags.metadata);
  if (flags.env !== undefined) body.environment = parseEnvironment(flags.env);
  if (flags.template !== undefined) body.template = nonBlank('--template', flags.template);
  return body;
}

/**
 * Body for `PATCH /v1/keys/{id}`. PATCH takes only `expiresAt`, so `--expires-in-days`
 * is turned into a timestamp here, counted from `now`.
 */
export function buildUpdateBody(flags: UpdateKeyFlags, now: Date = new Date()): UpdateKeyBody {
  exclusive(flags, '--expires-at', '--expires-in-days');
  exclusive(flags, '--expires-at', '--clear-expiry');
  exclusive(flags, '--expires-in-days', '--clear-expiry');
  exclusive(flags, '--rate-limit', '--clear-rate-limit');
  exclusive(flags, '--policy', '--clear-rate-limit');
  exclusive(flags, '--burst', '--clear-rate-limit');
  exclusive(flags, '--daily-quota', '--clear-quota');
  exclusive(flags, '--monthly-quota', '--clear-quota');
  exclusive(flags, '--allow-ip', '--clear-allowed-ips');
  exclusive(flags, '--metadata', '--clear-metadata');

  const body: UpdateKeyBody = {};
  if (flags.name !== undefined) body.name = nonBlank('--name', flags.name);
  if (flags.description !== undefined) body.description = flags.description;
  if (flags.scopes !== undefined) body.scopes = parseScopes(flags.scopes);
  if (flags.expiresAt !== undefined) body.expiresAt = parseExpiresAt(flags.expiresAt);
  if (flags.expiresInDays !== undefined) {
    const days = parseInteger('--expires-in-days', flags.expiresInDays);
    body.expiresAt = new Date(now.getTime() + days * DAY_MS).toISOString();
  }
  if (flags.clearExpiry) body.expiresAt = null;
  const rateLimit = rateLimitFromFlags(flags);
  if (rateLimit) body.rateLimit = rateLimit;
  if (flags.clearRateLimit) body.rateLimit = null;
  const quota = parseQuota(flags);
  if (quota) body.quota = quota;
  if (flags.clearQuota) body.quota = null;
  if (flags.allowIp !== undefined) body.allowedIps = parseAllowedIps(flags.allowIp);
  if (flags.clearAllowedIps) body.allowedIps = null;
  if (flags.metadata !== undefined) body.metadata = parseMetadata(flags.metadata);
  if (flags.clearMetadata) body.metadata = null;

  if (Object.keys(body).length === 0) {
    throw new UsageError('update-key needs at least one change, e.g. --name, --scopes or --clear-expiry');
  }
  return body;
}

export interface ListFlags {
  owner?: string;
  status?: string;
  limit?: string;
  cursor?: string;
}

/** Query for `GET /v1/keys`. */
export function buildListQuery(flags: ListFlags): ListKeysQuery {
  const query: ListKeysQuery = {};
  if (flags.owner !== undefined) query.ownerId = nonBlank('--owner', flags.owner);
  if (flags.status !== undefined) query.status = parseStatus(flags.status);
  if (flags.limit !== undefined) query.limit = parseInteger('--limit', flags.limit);
  if (flags.cursor !== undefined) query.cursor = nonBlank('--cursor', flags.cursor);
  return query;
}

/** Body for `POST /v1/keys/{id}/rotate`; a grace period of 0 retires the old key at once. */
export function buildRotateBody(flags: { gracePeriod?: string }): RotateKeyBody {
  return flags.gracePeriod === undefined ? {} : { gracePeriodSeconds: parseInteger('--grace-period', flags.gracePeriod, 0) };
}

/** Key ids are opaque, but an empty or whitespace id is always a typo. */
export function parseKeyId(raw: string): string {
  return nonBlank('<id>', raw);
}

// ---------------------------------------------------------------------------
// Endpoint, home and API key
// ---------------------------------------------------------------------------

type Env = Readonly<Record<string, string | undefined>>;

/** `--endpoint`, else KEYGATE_ENDPOINT, else the local stack on PORT (default 3000). */
export function resolveEndpoint(flag: string | undefined, env: Env): string {
  const fromEnv = env.KEYGATE_ENDPOINT?.trim() || undefined;
  let raw = flag ?? fromEnv;
  if (raw === undefined) {
    const port = env.PORT?.trim() ? parseInteger('PORT', env.PORT, 1) : DEFAULT_PORT;
    raw = `http://127.0.0.1:${port}`;
  }
  const source = flag !== undefined ? '--endpoint' : fromEnv !== undefined ? 'KEYGATE_ENDPOINT' : 'PORT';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${source} must be an http(s) URL, e.g. http://127.0.0.1:3000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${source} must be an http(s) URL, e.g. http://127.0.0.1:3000`);
  }
  if (url.search || url.hash) throw new UsageError(`${source} must not carry a query string or fragment`);
  return url.href.replace(/\/+$/, '');
}

/** The local stack (where an admin key file may exist), not a deployed API. */
export function isLocalEndpoint(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
}

/** KEYGATE_HOME, else `./.keygate` under the working directory. */
export function resolveHome(flag: string | undefined, env: Env, cwd: string): string {
  return resolve(cwd, flag ?? (env.KEYGATE_HOME?.trim() || '.keygate'));
}

export type ApiKeySource = '--api-key' | 'KEYGATE_API_KEY' | 'admin.key';

/**
 * `--api-key`, else KEYGATE_API_KEY, else `<home>/admin.key` when the endpoint is local.
 * `readFile` returns undefined when the file does not exist.
 */
export function resolveApiKey(input: {
  flag: string | undefined;
  env: Env;
  endpoint: string;
  home: string;
  readFile: (path: string) => string | undefined;
}): { key: string; source: ApiKeySource } {
  if (input.flag !== undefined) return { key: nonBlank('--api-key', input.flag), source: '--api-key' };
  const fromEnv = input.env.KEYGATE_API_KEY?.trim();
  if (fromEnv) return { key: fromEnv, source: 'KEYGATE_API_KEY' };
  if (isLocalEndpoint(input.endpoint)) {
    const path = join(input.home, 'admin.key');
    const text = input.readFile(path)?.trim();
    if (text) return { key: text, source: 'admin.key' };
    throw new UsageError(`no API key: ${path} not found or empty — run \`keygate bootstrap\`, or pass --api-key / set KEYGATE_API_KEY`);
  }
  throw new UsageError('no API key: pass --api-key or set KEYGATE_API_KEY');
}

function readFileIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** Removes a secret from a message before it is printed (belt and braces: no message should contain it). */
export function redact(message: string, secret: string | undefined): string {
  if (!secret || secret.length < 8) return message;
  return message.split(secret).join('[redacted]');
}

// ---------------------------------------------------------------------------
// Bootstrap (no HTTP: there is no key to call the API with yet)
// ---------------------------------------------------------------------------

export interface BootstrapFlags {
  home?: string;
  force?: boolean;
  aws?: boolean;
  tableName?: string;
  kmsKeyId?: string;
  region?: string;
  owner?: string;
  name?: string;
  keyPrefix?: string;
  auditRetentionDays?: string;
  eventBusName?: string;
}

export type BootstrapPlan =
  | { readonly kind: 'local'; readonly home: string; readonly force: boolean }
  | {
      readonly kind: 'aws';
      readonly tableName: string;
      readonly kmsKeyId: string;
      readonly region?: string;
      readonly ownerId?: string;
      readonly name?: string;
      readonly keyPrefix?: string;
      readonly auditRetentionDays?: number;
      readonly eventBusName?: string;
    };

/** `--audit-retention-days`: the deployment's keygate:auditRetentionDays (1-3650). */
function retentionDays(raw: string): number {
  const n = /^\d{1,4}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(n >= 1 && n <= 3650)) throw new UsageError('--audit-retention-days must be an integer from 1 to 3650');
  return n;
}

/** Checks the flag combination and decides which bootstrap to run. */
export function planBootstrap(flags: BootstrapFlags, env: Env, cwd: string): BootstrapPlan {
  if (flags.aws) {
    if (flags.home !== undefined) throw new UsageError('--home applies to a local bootstrap, not --aws');
    if (flags.force) throw new UsageError('--force applies to a local bootstrap, not --aws');
    if (flags.tableName === undefined) throw new UsageError('bootstrap --aws needs --table-name');
    if (flags.kmsKeyId === undefined) throw new UsageError('bootstrap --aws needs --kms-key-id');
    return {
      kind: 'aws',
      tableName: nonBlank('--table-name', flags.tableName),
      kmsKeyId: nonBlank('--kms-key-id', flags.kmsKeyId),
      ...(flags.region !== undefined && { region: nonBlank('--region', flags.region) }),
      ...(flags.owner !== undefined && { ownerId: nonBlank('--owner', flags.owner) }),
      ...(flags.name !== undefined && { name: nonBlank('--name', flags.name) }),
      ...(flags.keyPrefix !== undefined && { keyPrefix: nonBlank('--key-prefix', flags.keyPrefix) }),
      ...(flags.auditRetentionDays !== undefined && { auditRetentionDays: retentionDays(flags.auditRetentionDays) }),
      ...(flags.eventBusName !== undefined && { eventBusName: nonBlank('--event-bus-name', flags.eventBusName) }),
    };
  }
  for (const [flag, value] of [
    ['--table-name', flags.tableName],
    ['--kms-key-id', flags.kmsKeyId],
    ['--region', flags.region],
    ['--owner', flags.owner],
    ['--name', flags.name],
    ['--key-prefix', flags.keyPrefix],
    ['--audit-retention-days', flags.auditRetentionDays],
    ['--event-bus-name', flags.eventBusName],
  ] as const) {
    if (value !== undefined) throw new UsageError(`${flag} needs --aws`);
  }
  return { kind: 'local', home: resolveHome(flags.home, env, cwd), force: flags.force === true };
}

// ---------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------

interface GlobalFlags {
  endpoint?: string;
  apiKey?: string;
  json?: boolean;
}

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Env;
  readonly cwd: string;
  /** Draw the progress line of a running usage query on stderr. @default false */
  readonly stderrIsTTY?: boolean;
  /** For tests: the HTTP client's fetch. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** For tests: the clock (today's date, the wait bound of a running query). @default Date.now */
  readonly now?: () => number;
  /** For tests: the pause between asks for a running query. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** For tests: what `revoke-leaked -` reads. @default process.stdin */
  readonly readStdin?: () => Promise<string>;
  /** For tests: how `events --follow` waits between reads and when it stops. @default a 500 ms poll, until Ctrl-C */
  readonly follow?: Pick<FollowOptions, 'wait' | 'signal'>;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Written by the program, read by main()'s error handler to redact the key in use. */
export interface RunState {
  apiKey?: string;
}

/** Builds the commander program. Exported so tests can inspect the command surface. */
export function buildProgram(io: Io, state: RunState = {}): Command {
  const program = new Command('keygate');

  const out = (text: string): void => io.stdout(text);
  const json = (value: unknown): void => out(JSON.stringify(value, null, 2) + '\n');
  const globals = (cmd: Command): GlobalFlags => cmd.optsWithGlobals<GlobalFlags>();

  const client = (cmd: Command): KeygateClient => {
    const g = globals(cmd);
    const endpoint = resolveEndpoint(g.endpoint, io.env);
    const { key } = resolveApiKey({
      flag: g.apiKey,
      env: io.env,
      endpoint,
      home: resolveHome(undefined, io.env, io.cwd),
      readFile: readFileIfExists,
    });
    state.apiKey = key;
    return cliClient({ endpoint, apiKey: key, io });
  };

  const today = (): Date => new Date(io.now?.() ?? Date.now());

  /** Runs a usage query with the stderr progress line; a 202 turns the line into "query <id> running…". */
  const query = async <T>(work: (poll: PollOptions) => Promise<T>): Promise<T> => {
    const progress = startProgress({ write: io.stderr, enabled: io.stderrIsTTY === true, ...(io.now && { now: io.now }) });
    try {
      return await work({ onRunning: ({ queryId }) => progress.label(`query ${cell(queryId)} running…`) });
    } finally {
      progress.stop();
    }
  };

  const showKey = (cmd: Command, view: KeyView): void => {
    if (globals(cmd).json) json(view);
    else out(formatRecord(view));
  };

  program
    .description('Manage Keygate API keys from the command line.')
    .version('0.1.0', '-V, --version')
    .addOption(
      new Option('--endpoint <url>', 'API base URL (env KEYGATE_ENDPOINT; default http://127.0.0.1:$PORT, PORT=3000)'),
    )
    .addOption(
      new Option('--api-key <key>', 'API key (env KEYGATE_API_KEY; locally defaults to <KEYGATE_HOME or ./.keygate>/admin.key)'),
    )
    .option('--json', 'print the raw JSON response')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // commander puts "(Did you mean …?)" on a second line; errors here are always one line.
      outputError: (str, write) => write(`keygate: ${str.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ').trim()}\n`),
    });

  program
    .command('bootstrap')
    .description('create the first admin key directly in the store (no API call)')
    .option('--home <dir>', 'local state directory (default KEYGATE_HOME or ./.keygate)')
    .option('--force', 'replace an existing local admin key')
    .option('--aws', 'bootstrap a deployed stack (DynamoDB + KMS) instead of the local one')
    .option('--table-name <name>', 'with --aws: the key table')
    .option('--kms-key-id <arn>', 'with --aws: the KMS key that encrypts key material')
    .option('--region <region>', 'with --aws: AWS region (default from the AWS SDK environment)')
    .option('--owner <ownerId>', 'with --aws: owner of the admin key')
    .option('--name <name>', 'with --aws: name of the admin key')
    .option('--key-prefix <prefix>', "with --aws: the deployment's key prefix (keygate:keyPrefix; default kg)")
    .option('--audit-retention-days <days>', "with --aws: the deployment's audit retention (keygate:auditRetentionDays; default 400)")
    .option('--event-bus-name <name>', 'with --aws: publish the audit event of the bootstrap on this bus (EventBusName output)')
    .action(async (flags: BootstrapFlags, cmd: Command) => {
      const plan = planBootstrap(flags, io.env, io.cwd);
      let result: { plaintext: string; keyId: string; path?: string };
      if (plan.kind === 'local') {
        // Loaded on demand so the other commands never load DynamoDB or the AWS SDK.
        const { bootstrapLocal } = await import('../local/bootstrap');
        result = await bootstrapLocal({ home: plan.home, force: plan.force });
      } else {
        const { bootstrapAws } = await import('../adapters/bootstrap-aws');
        result = await bootstrapAws({
          tableName: plan.tableName,
          kmsKeyId: plan.kmsKeyId,
          region: plan.region,
          ownerId: plan.ownerId,
          name: plan.name,
          keyPrefix: plan.keyPrefix,
          auditRetentionDays: plan.auditRetentionDays,
          eventBusName: plan.eventBusName,
        });
      }
      if (globals(cmd).json) {
        json({ keyId: result.keyId, key: result.plaintext, ...(result.path !== undefined && { path: result.path }) });
        return;
      }
      out(renderPairs([['key id', result.keyId], ...(result.path !== undefined ? ([['saved to', result.path]] as const) : [])]));
      out(formatSecret(result.plaintext));
    });

  const keyOptions = (cmd: Command): Command =>
    cmd
      .option('--name <name>', 'key name')
      .option('--description <text>', 'free-text description')
      .option('--scopes <list>', 'comma-separated scopes (repeatable)', collect)
      .option('--expires-at <iso>', 'expiry, ISO-8601 (e.g. 2026-01-31T00:00:00Z)')
      .option('--expires-in-days <n>', 'expiry, in whole days from now')
      .option('--rate-limit <limit/window>', 'requests per window in seconds, e.g. 100/60')
      .option('--policy <policy>', 'how --rate-limit counts: fixed (default; windows aligned to the clock, up to 2x across a boundary), sliding (never more than the limit in any window-long interval) or tokenBucket (refills the limit per window, holds at most --burst)')
      .option('--burst <n>', 'with --policy tokenBucket: the most requests at once from a full bucket (default the limit)')
      .option('--daily-quota <n>', 'requests per UTC day')
      .option('--monthly-quota <n>', 'requests per UTC month')
      .option('--allow-ip <cidr>', 'allowed source address or CIDR block (repeatable)', collect)
      .option('--metadata <json>', 'JSON object stored with the key');

  keyOptions(program.command('create-key').description('create a key; the plaintext is shown once'))
    .option('--owner <ownerId>', 'owner of the key (admin only; default the caller’s owner)')
    .option('--env <env>', 'live or test (default live)')
    .option('--template <name>', 'start from a key template (see `keygate templates`); the flags given win over it')
    .action(async (flags: CreateKeyFlags, cmd: Command) => {
      const body = buildCreateBody(flags);
      const created = await client(cmd).createKey(body);
      if (globals(cmd).json) return json(created);
      out(formatRecord(created));
      out(formatSecret(created.key));
    });

  program
    .command('list-keys')
    .description('list keys, newest first')
    .option('--owner <ownerId>', 'only keys of this owner')
    .option('--status <status>', 'active, revoked or expired')
    .option('--limit <n>', 'page size')
    .option('--cursor <cursor>', 'continue from a previous page')
    .option('--all', 'follow nextCursor until the last page')
    .action(async (flags: ListFlags & { all?: boolean }, cmd: Command) => {
      const query = buildListQuery(flags);
      const api = client(cmd);
      let page: KeyPage;
      if (flags.all) {
        const items: KeyView[] = [];
        for await (const key of api.keys.listAll(query)) items.push(key);
        page = { items, nextCursor: null };
      } else page = await api.listKeys(query);
      if (globals(cmd).json) return json(page);
      out(formatKeyTable(page.items));
      if (page.nextCursor) out(`\nMore keys: keygate list-keys --cursor ${page.nextCursor} (or --all)\n`);
    });

  program
    .command('get-key')
    .description('show one key')
    .argument('<id>', 'key id')
    .action(async (id: string, _flags: object, cmd: Command) => {
      showKey(cmd, await client(cmd).getKey(parseKeyId(id)));
    });

  keyOptions(program.command('update-key').description('change a key (only the fields given)').argument('<id>', 'key id'))
    .option('--clear-expiry', 'remove the expiry')
    .option('--clear-rate-limit', 'remove the rate limit')
    .option('--clear-quota', 'remove the quotas')
    .option('--clear-allowed-ips', 'remove the IP allow-list')
    .option('--clear-metadata', 'remove the metadata')
    .action(async (id: string, flags: UpdateKeyFlags, cmd: Command) => {
      const keyId = parseKeyId(id);
      const body = buildUpdateBody(flags);
      showKey(cmd, await client(cmd).updateKey(keyId, body));
    });

  program
    .command('revoke-key')
    .description('revoke a key at once')
    .argument('<id>', 'key id')
    .action(async (id: string, _flags: object, cmd: Command) => {
      showKey(cmd, await client(cmd).revokeKey(parseKeyId(id)));
    });

  program
    .command('rotate-key')
    .description('issue a replacement key; the old one keeps working for the grace period')
    .argument('<id>', 'key id')
    .option('--grace-period <seconds>', 'how long the old key stays valid (server default if omitted)')
    .action(async (id: string, flags: { gracePeriod?: string }, cmd: Command) => {
      const keyId = parseKeyId(id);
      const body = buildRotateBody(flags);
      const rotated = await client(cmd).rotateKey(keyId, body);
      if (globals(cmd).json) return json(rotated);
      out(formatRecord(rotated));
      const prev = rotated.previous;
      out(
        `\nPrevious key ${prev.id} is ${prev.status}` +
          (prev.expiresAt ? ` and stops working at ${prev.expiresAt}.\n` : '.\n'),
      );
      out(formatSecret(rotated.key));
    });

  program
    .command('whoami')
    .description('show the key this CLI is using')
    .action(async (_flags: object, cmd: Command) => {
      const me = await client(cmd).whoami();
      if (globals(cmd).json) return json(me);
      out(formatWhoami(me));
    });

  program
    .command('usage <id>')
    .description('show live rate-limit and quota usage of a key; with --history, its requests per day too')
    .option('--history <days>', 'also the requests per UTC day over the last N days, today included, e.g. 30d (1d-92d)')
    .option('--query-id <id>', 'with --history: pick up a history query that was still running')
    .action(async (id: string, flags: { history?: string; queryId?: string }, cmd: Command) => {
      const keyId = parseKeyId(id);
      if (flags.history === undefined) {
        if (flags.queryId !== undefined) throw new UsageError('--query-id needs --history');
        const usage = await client(cmd).keyUsage(keyId);
        if (globals(cmd).json) return json(usage);
        return out(formatUsage(usage));
      }
      const range = {
        ...historyRange(parseHistory(flags.history), today()),
        ...(flags.queryId !== undefined && { queryId: nonBlank('--query-id', flags.queryId) }),
      };
      const api = client(cmd);
      const usage = await query((poll) => api.keyUsage(keyId, range, poll));
      if (!usage.history || !Array.isArray(usage.history.days)) {
        throw new Error('the API answered without a usage history: usage analytics may be off in this deployment');
      }
      if (usage.history.truncated) io.stderr(`keygate: ${truncationWarning(usage.history.days.length)}\n`);
      if (globals(cmd).json) return json(usage);
      out(formatHistory(usage));
    });

  program
    .command('report')
    .description('usage report: requests, errors, rate limits and latency by day, hour, key, owner, route, status or decision')
    .option('--from <day>', 'first UTC day, YYYY-MM-DD (default 6 days before --to)')
    .option('--to <day>', 'last UTC day, YYYY-MM-DD (default today)')
    .option('--group-by <list>', `comma list of ${GROUP_NAMES.join(', ')} (default day; '' for one total row)`)
    .option('--key <id>', 'only requests made with this key')
    .option('--owner <ownerId>', 'only requests of this owner (other owners need admin)')
    .option('--route <template>', 'only this route template, e.g. /v1/keys/{id}')
    .option('--query-id <id>', 'pick up a report query that was still running')
    .option('--csv', 'print the rows as CSV (RFC 4180)')
    .action(async (flags: ReportFlags, cmd: Command) => {
      const asJson = globals(cmd).json === true;
      if (asJson && flags.csv) throw new UsageError('use either --json or --csv, not both');
      const request = buildReportQuery(flags, today());
      const api = client(cmd);
      const report = await query((poll) => api.usageReport(request, poll));
      if (report.truncated) io.stderr(`keygate: ${truncationWarning(report.rows.length)}\n`);
      if (asJson) return json(report);
      if (flags.csv) return out(formatReportCsv(report));
      out(formatReport(report));
    });

  program
    .command('anomalies')
    .description('run usage anomaly detection once over the local stack’s records and print the events it published')
    .option('--now', 'run detection now, for the last complete hour')
    .option('--home <dir>', 'local state directory (default KEYGATE_HOME or ./.keygate)')
    .action(async (flags: { now?: boolean; home?: string }, cmd: Command) => {
      if (!flags.now) throw new UsageError('anomalies needs --now (run detection once, now)');
      // Loaded on demand so the other commands never load DuckDB or DynamoDB Local.
      const { runAnomaliesNow } = await import('./anomalies');
      const result = await runAnomaliesNow({ home: resolveHome(flags.home, io.env, io.cwd) });
      if (globals(cmd).json) json(result);
      else out(formatAnomalyRun(result));
      const failed = result.failed ?? [];
      if (failed.length > 0) {
        throw new Error(`detection failed for ${failed.map((f) => `${f.rule}${f.subject ? ` (${f.subject})` : ''}: ${f.message}`).join('; ')} — run it again`);
      }
    });

  const audit = program
    .command('audit')
    .description('audit log of key operations, newest first: who created, changed, rotated or revoked which key, from where')
    .option('--key <id>', 'only entries about this key')
    .option('--actor <keyId>', 'only entries of calls made with this key')
    .option('--owner <ownerId>', "only entries about this owner's keys (other owners need admin)")
    .option('--action <action>', 'key.created, key.imported, key.updated, key.revoked, key.rotated, key.leak_revoked, key.expiring_notified or key.expired_notified (the key. may be left out)')
    .option('--from <time>', 'from this time: ISO-8601 with a zone, a date (midnight UTC), or back from now like 7d, 12h, 30m')
    .option('--to <time>', 'before this time: ISO-8601 with a zone, or a date (midnight UTC)')
    .option('--limit <n>', 'page size, 1-100 (default 25)')
    .option('--cursor <cursor>', 'continue from a previous page (with the same filters)')
    .option('--all', 'follow nextCursor until the last page')
    .action(async (flags: AuditFlags, cmd: Command) => {
      const request = buildAuditQuery(flags, today());
      const api = client(cmd);
      const page = flags.all ? await listAllAudit(api, request) : await listAudit(api, request);
      if (globals(cmd).json) return json(page.items);
      out(formatAuditTable(page.items));
      if (page.nextCursor) out(`\nMore entries: ${nextPageCommand(request, page.nextCursor)} (or --all)\n`);
    });

  audit
    .command('verify')
    .description('recompute the audit hash chain of one key, or of every key page by page; exits 1 when a link is broken')
    .option('--key <id>', 'only this key')
    .action(async (flags: { key?: string }, cmd: Command) => {
      // commander hands flags after `verify` that `audit` also defines (--key) to `audit`.
      const request = buildVerifyQuery(verifyFlags(flags, audit.opts<Record<string, unknown>>()));
      const result = await verifyAudit(client(cmd), request);
      if (globals(cmd).json) json(result);
      else out(formatVerify(result));
      if (!result.ok) throw new Error(brokenChainMessage(result));
    });

  program
    .command('revoke-leaked')
    .description('revoke leaked keys by presenting them (no API key is sent): one key, a file to scan (a log, a ticket), or - for stdin')
    .argument('<key|file|->', 'a key, a file whose key-shaped strings are all presented, or - to read stdin')
    .action(async (source: string, _flags: object, cmd: Command) => {
      const input = await readLeakInput(source, { cwd: io.cwd, readStdin: io.readStdin ?? (() => readStream(process.stdin)) });
      const found = extractLeakCandidates(input.text);
      if (found.keys.length === 0) throw new Error(noKeysMessage(input, found));
      const result = await submitLeakReport({ endpoint: resolveEndpoint(globals(cmd).endpoint, io.env), keys: found.keys, ...(io.fetch && { fetch: io.fetch }) });
      if (globals(cmd).json) return json({ ...result, skipped: found.malformed });
      out(formatLeakReport(result, found));
    });

  registerImportCommand(program, {
    cwd: io.cwd,
    stdout: io.stdout,
    stderr: io.stderr,
    connection: (cmd) => {
      const g = globals(cmd);
      const endpoint = resolveEndpoint(g.endpoint, io.env);
      const { key } = resolveApiKey({ flag: g.apiKey, env: io.env, endpoint, home: resolveHome(undefined, io.env, io.cwd), readFile: readFileIfExists });
      state.apiKey = key;
      return { endpoint, apiKey: key, json: g.json === true };
    },
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });

  program
    .command('events')
    .description('show the events the local stack published (<home>/events.ndjson); --follow keeps printing new ones until Ctrl-C')
    .option('--follow', 'keep printing events as they are published')
    .option('--type <prefix>', 'only event types starting with this, e.g. key.expir or keygate.quota.warning (keygate. may be left out)')
    .option('--home <dir>', 'local state directory (default KEYGATE_HOME or ./.keygate)')
    .action(async (flags: { follow?: boolean; type?: string; home?: string }, cmd: Command) => {
      const prefix = parseTypePrefix(flags.type);
      const asJson = globals(cmd).json === true;
      const path = eventsPath(resolveHome(flags.home, io.env, io.cwd));
      const show = (event: Parameters<typeof renderEvent>[0]) => {
        if (matchesType(event, prefix)) out(renderEvent(event, asJson));
      };
      const first = await readEventsFrom(path);
      if (!first.exists && !flags.follow) io.stderr(`keygate: ${noEventsNote(path)}\n`);
      first.events.forEach(show);
      if (first.skipped > 0) io.stderr(`keygate: skipped ${first.skipped} line(s) of ${path} that are not events\n`);
      if (!flags.follow) return;
      await followEvents({ path, offset: first.offset, onEvent: show, ...io.follow });
    });

  program
    .command('scopes')
    .description('list the scopes this deployment defines')
    .action(async (_flags: object, cmd: Command) => {
      const scopes = await client(cmd).listScopes();
      if (globals(cmd).json) return json(scopes);
      out(formatScopeTable(scopes));
    });

  program
    .command('templates')
    .description('list the key templates create-key --template can start from')
    .action(async (_flags: object, cmd: Command) => {
      const templates = await client(cmd).listTemplates();
      if (globals(cmd).json) return json(templates);
      out(formatTemplateTable(templates));
    });

  return program;
}

/** The client's message names the API's `queryId`; the CLI's names its flag. */
export function queryStillRunningLine(err: KeygateQueryRunningError): string {
  return `the query is still running after ${Math.round(err.elapsedMs / 1000)}s; run the same command again with --query-id ${err.queryId} to pick it up`;
}

/** Maps any failure to its one stderr line and exit code. */
export function describeFailure(err: unknown): { line: string; exitCode: number } {
  if (err instanceof UsageError) return { line: err.message, exitCode: 2 };
  if (err instanceof KeygateQueryRunningError) return { line: queryStillRunningLine(err), exitCode: 1 };
  if (err instanceof KeygateProblemError) return { line: formatApiError(err), exitCode: 1 };
  if (err instanceof KeygateConnectionError) {
    const hint = isLocalEndpoint(err.endpoint) ? ' — is `npm start` running?' : '';
    return { line: `${err.message}${hint}`, exitCode: 1 };
  }
  const message = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  return { line: message, exitCode: 1 };
}

/** Runs the CLI; resolves to the exit code (never calls process.exit, so output is flushed). */
export async function main(argv: readonly string[] = process.argv, io?: Partial<Io>): Promise<number> {
  const fullIo: Io = {
    stdout: io?.stdout ?? ((t) => void process.stdout.write(t)),
    stderr: io?.stderr ?? ((t) => void process.stderr.write(t)),
    env: io?.env ?? process.env,
    cwd: io?.cwd ?? process.cwd(),
    stderrIsTTY: io?.stderrIsTTY ?? process.stderr.isTTY === true,
    ...(io?.fetch && { fetch: io.fetch }),
    ...(io?.now && { now: io.now }),
    ...(io?.sleep && { sleep: io.sleep }),
    ...(io?.readStdin && { readStdin: io.readStdin }),
    ...(io?.follow && { follow: io.follow }),
  };
  const state: RunState = {};
  const program = buildProgram(fullIo, state);
  program.configureOutput({ writeOut: fullIo.stdout, writeErr: fullIo.stderr });
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version "fail" with exit code 0; everything else commander rejects is usage.
      return err.exitCode === 0 ? 0 : 2;
    }
    const { line, exitCode } = describeFailure(err);
    fullIo.stderr(`keygate: ${redact(line, state.apiKey).replace(/\s*\n\s*/g, ' ')}\n`);
    return exitCode;
  }
}

/** True when this file is the process entry (`tsx cli/main.ts`), not when imported by tests or bin/keygate.js. */
function isEntry(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  process.exitCode = await main();
}
