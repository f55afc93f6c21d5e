/**
 * The usage reports use case: who may see which rows, what an HTTP query means, and what a
 * report answers. Served by the usage Lambda (`GET /v1/usage`) and, for one key's history, by
 * the keys Lambda (`GET /v1/keys/{id}/usage?from=&to=`); locally by the same handlers over DuckDB.
 *
 * Access rule (docs/security.md): a caller with `admin` reads every owner's rows; any other caller
 * reads only rows of its own owner — the owner filter is forced to the caller's owner, so a key id
 * or route of another owner gives no rows, and asking for another owner is a 403.
 *
 * A query that the engine has not answered in time (Athena, beyond the API's wait) comes back as
 * `running` with the engine's query id. The client asks again with the same parameters plus
 * `queryId`; the engine then reads that execution only if its SQL text and parameters are exactly
 * the ones this request builds — so an id cannot be replayed to read another owner's report.
 */
import type { Caller } from './key-service';
import { ProblemError, validationFailed } from './problem';
import { KeyUsageQuery, QUERY_ID_PATTERN, UsageReportQuery } from './schemas';
import { ADMIN_SCOPE } from './scopes';
import {
  reportQuery,
  reportRows,
  type UsageGroup,
  type UsageQueryEngine,
  type UsageReportRequest,
  type UsageReportRow,
} from './usage-reports';

/** The engine has no query with this id for this SQL (never started, expired, or another report's). */
export class QueryNotFoundError extends Error {
  override readonly name = 'QueryNotFoundError';
}

/** Days a report covers when the request names neither `from` nor `to`: the last week, today included. */
export const DEFAULT_REPORT_DAYS = 7;
/** Groups of a report that does not name `groupBy`. */
export const DEFAULT_GROUP_BY: readonly UsageGroup[] = ['day'];
/** Seconds a client should wait before asking again for a running query. */
export const RUNNING_RETRY_AFTER_SECONDS = 2;

export interface ReportBody {
  readonly from: string;
  readonly to: string;
  readonly groupBy: readonly UsageGroup[];
  /** The owner the rows are limited to (always the caller's for a non-admin), or null for all. */
  readonly ownerId: string | null;
  readonly keyId: string | null;
  readonly route: string | null;
  readonly rows: readonly UsageReportRow[];
  readonly truncated: boolean;
}

export type ReportOutcome =
  | { readonly status: 'done'; readonly report: ReportBody }
  | { readonly status: 'running'; readonly queryId: string; readonly retryAfterSeconds: number };

export interface ParsedReportQuery {
  readonly request: UsageReportRequest;
  readonly queryId?: string;
}

const DAY_MS = 86_400_000;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

type Query = Readonly<Record<string, string | undefined>> | null | undefined;

function checkKnown(query: Query, known: readonly string[]): void {
  for (const name of Object.keys(query ?? {})) {
    // `api_key` carries the credential when query keys are enabled; it is not a parameter.
    if (name === 'api_key' || known.includes(name)) continue;
    throw validationFailed([{ field: name.slice(0, 64), message: `is not a parameter of this route (known: ${known.join(', ')}).` }]);
  }
}

function parseQueryId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!QUERY_ID_PATTERN.test(value)) throw validationFailed([{ field: 'queryId', message: 'must be the queryId a 202 answer returned.' }]);
  return value.toLowerCase();
}

/**
 * `from`/`to` as given, or the defaults: neither → the last {@link DEFAULT_REPORT_DAYS} days up
 * to today (UTC); only `from` → up to today; only `to` → the week ending then.
 */
function range(query: Query, now: Date): { from: string; to: string } {
  const today = day(now.getTime());
  const from = query?.from;
  const to = query?.to;
  if (from === undefined && to === undefined) return { from: day(now.getTime() - (DEFAULT_REPORT_DAYS - 1) * DAY_MS), to: today };
  if (to === undefined) return { from: from!, to: today };
  if (from === undefined) {
    const end = Date.parse(`${to}T00:00:00Z`);
    // A malformed `to` is reported by reportQuery(); any placeholder `from` will do until then.
    return { from: Number.isNaN(end) ? to : day(end - (DEFAULT_REPORT_DAYS - 1) * DAY_MS), to };
  }
  return { from, to };
}


/** `GET /v1/usage` query string → report request (400 naming the parameter for anything it refuses). */
export function parseReportQuery(query: Query, now: Date): ParsedReportQuery {
  // The parameters are the documented ones (core/schemas.ts UsageReportQuery).
  checkKnown(query, Object.keys(UsageReportQuery.entries));
  const q = query ?? {};
  const groupBy = q.groupBy === undefined ? [...DEFAULT_GROUP_BY] : q.groupBy === '' ? [] : q.groupBy.split(',').map((g) => g.trim());
  const request: UsageReportRequest = {
    ...range(q, now),
    groupBy: groupBy as UsageGroup[],
    ...(q.keyId !== undefined ? { keyId: q.keyId } : {}),
    ...(q.ownerId !== undefined ? { ownerId: q.ownerId } : {}),
    ...(q.route !== undefined ? { route: q.route } : {}),
  };
  const queryId = parseQueryId(q.queryId);
  return { request, ...(queryId ? { queryId } : {}) };
}


/**
 * `GET /v1/keys/{id}/usage` query string → the history range, or undefined when the request asks
 * for live counters only (no `from`, no `to`).
 */
export function parseHistoryQuery(query: Query, now: Date): { from: string; to: string; queryId?: string } | undefined {
  checkKnown(query, Object.keys(KeyUsageQuery.entries));
  if (query?.from === undefined && query?.to === undefined) {
    if (query?.queryId !== undefined) throw validationFailed([{ field: 'queryId', message: 'is only meaningful with from and to.' }]);
    return undefined;
  }
  const queryId = parseQueryId(query.queryId);
  return { ...range(query, now), ...(queryId ? { queryId } : {}) };
}

export interface UsageReportsDeps {
  readonly engine: UsageQueryEngine;
  /** The usage table (Glue table deployed, DuckDB view locally). */
  readonly table: string;
}

const isAdmin = (c: Caller): boolean => c.scopes.includes(ADMIN_SCOPE);

export class UsageReports {
  constructor(private readonly deps: UsageReportsDeps) {}

  /** A report the caller may see; `queryId` picks up a query an earlier call left running. */
  async report(caller: Caller, request: UsageReportRequest, queryId?: string): Promise<ReportOutcome> {
    let ownerId = request.ownerId;
    if (!isAdmin(caller)) {
      if (ownerId !== undefined && ownerId !== caller.ownerId) {
        throw new ProblemError(403, 'owner_not_allowed', `ownerId: only admin keys may read other owners' usage; this key reads owner ${JSON.stringify(caller.ownerId)} only.`);
      }
      ownerId = caller.ownerId;
    }
    const scoped: UsageReportRequest = { ...request, ...(ownerId !== undefined ? { ownerId } : {}) };
    const query = reportQuery(scoped, this.deps.table);
    let result;
    try {
      result = await this.deps.engine.run(query.sql, query.parameters, queryId);
    } catch (err) {
      if (err instanceof QueryNotFoundError) {
        throw new ProblemError(404, 'query_not_found', 'queryId: no running or finished query matches this report; send the request again without queryId.');
      }
      throw err;
    }
    if ('pending' in result) return { status: 'running', queryId: result.pending, retryAfterSeconds: RUNNING_RETRY_AFTER_SECONDS };
    const { rows, truncated } = reportRows(query, result.rows);
    return {
      status: 'done',
      report: {
        from: scoped.from,
        to: scoped.to,
        groupBy: scoped.groupBy,
        ownerId: scoped.ownerId ?? null,
        keyId: scoped.keyId ?? null,
        route: scoped.route ?? null,
        rows,
        truncated,
      },
    };
  }

  /**
   * One key's requests per day. The caller must already be allowed to see the key (the keys
   * Lambda loads it first, 404 otherwise); the owner filter still applies to a non-admin.
   */
  async keyHistory(caller: Caller, keyId: string, range: { from: string; to: string }, queryId?: string): Promise<ReportOutcome> {
    return this.report(caller, { from: range.from, to: range.to, groupBy: ['day'], keyId }, queryId);
  }
}
