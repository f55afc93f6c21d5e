/**
 * The deployed usage query engine: Athena over the Glue table. The report SQL of
 * core/usage-reports.ts is sent unchanged with its `?` values as ExecutionParameters. Athena
 * substitutes each parameter as a literal, so a string goes as a quoted SQL string (quotes
 * doubled) and a number as its digits; the values were validated by the core first.
 *
 * A report waits at most `waitMs` for the query; a longer one comes back as `{ pending: id }`
 * and `results(id)` picks it up later (the API can answer 202 with the id).
 */
import { DependencyError } from '../../core/ports';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { INFRA_ENV } from '../../core/config';
import { QueryNotFoundError, UsageReports } from '../../core/usage-report-service';
import type { PendingQuery, RawRow, ReportParameter, UsageQueryEngine } from '../../core/usage-reports';

export interface AthenaUsageEngineOptions {
  readonly client: AthenaClient;
  readonly workGroup: string;
  readonly database: string;
  /** How long run() polls before answering `{ pending }`. @default 10,000 ms */
  readonly waitMs?: number;
  /** @default 250 ms, doubling up to 2,000 ms */
  readonly pollMs?: number;
  /** Stop paging after this many rows (the report asks for at most its limit + 1). @default 10,001 */
  readonly maxRows?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** A failed or unanswerable Athena query: a DependencyError, so handlers map it like any other (503 when retryable). */
export class AthenaQueryError extends DependencyError {}

/** An ExecutionParameters entry: Athena inserts it into the query text as a literal. */
export function athenaParameter(value: ReportParameter): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('an Athena parameter must be a finite number');
    return String(value);
  }
  return `'${value.replaceAll("'", "''")}'`;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class AthenaUsageEngine implements UsageQueryEngine {
  constructor(private readonly options: AthenaUsageEngineOptions) {}

  async run(sql: string, parameters: readonly ReportParameter[], resume?: string): Promise<{ rows: RawRow[] } | PendingQuery> {
    if (resume !== undefined) {
      await this.checkSameQuery(resume, sql, parameters);
      return this.results(resume, this.options.waitMs ?? 10_000);
    }
    const started = await this.options.client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        ...(parameters.length > 0 ? { ExecutionParameters: parameters.map(athenaParameter) } : {}),
        WorkGroup: this.options.workGroup,
        QueryExecutionContext: { Database: this.options.database },
      }),
    );
    const id = started.QueryExecutionId;
    if (!id) throw new AthenaQueryError('Athena returned no query execution id', true);
    return this.results(id, this.options.waitMs ?? 10_000);
  }

  /**
   * Resuming is only allowed for an execution of this workgroup that ran exactly `sql` with
   * exactly `parameters`: a query id alone is not a capability, so a caller cannot read another
   * owner's report by replaying (or guessing) its id.
   */
  private async checkSameQuery(queryExecutionId: string, sql: string, parameters: readonly ReportParameter[]): Promise<void> {
    let execution;
    try {
      ({ QueryExecution: execution } = await this.options.client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryExecutionId })));
    } catch (err) {
      // An id Athena does not know (or no longer keeps) is InvalidRequestException.
      if ((err as { name?: string }).name === 'InvalidRequestException') throw new QueryNotFoundError(`Athena has no query ${queryExecutionId}`);
      throw err;
    }
    const expected = parameters.map(athenaParameter);
    const same =
      execution?.WorkGroup === this.options.workGroup &&
      execution?.Query === sql &&
      JSON.stringify(execution?.ExecutionParameters ?? []) === JSON.stringify(expected);
    if (!same) throw new QueryNotFoundError(`query ${queryExecutionId} is not this report`);
  }

  /** The rows of a query started earlier, or `{ pending }` if it is still running after `waitMs`. */
  async results(queryExecutionId: string, waitMs = 0): Promise<{ rows: RawRow[] } | PendingQuery> {
    const now = this.options.now ?? Date.now;
    const sleep = this.options.sleep ?? sleepFor;
    const deadline = now() + waitMs;
    let pause = this.options.pollMs ?? 250;
    for (;;) {
      const { QueryExecution } = await this.options.client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryExecutionId }));
      const state = QueryExecution?.Status?.State;
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = QueryExecution?.Status?.StateChangeReason ?? state;
        const category = QueryExecution?.Status?.AthenaError?.ErrorCategory;
        // Category 1 = system error (retry may help), 2 = user error (the SQL), 3 = other.
        throw new AthenaQueryError(`Athena query ${queryExecutionId} ${state.toLowerCase()}: ${reason}`, category === 1 || QueryExecution?.Status?.AthenaError?.Retryable === true);
      }
      if (now() + pause > deadline) return { pending: queryExecutionId };
      await sleep(pause);
      pause = Math.min(pause * 2, 2000);
    }
    return { rows: await this.readRows(queryExecutionId) };
  }

  private async readRows(queryExecutionId: string): Promise<RawRow[]> {
    const maxRows = this.options.maxRows ?? 10_001;
    const rows: RawRow[] = [];
    let names: string[] | undefined;
    let headerSkipped = false;
    let nextToken: string | undefined;
    do {
      const page: GetQueryResultsCommandOutput = await this.options.client.send(
        new GetQueryResultsCommand({ QueryExecutionId: queryExecutionId, MaxResults: 1000, ...(nextToken ? { NextToken: nextToken } : {}) }),
      );
      names ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Label ?? c.Name ?? '');
      for (const row of page.ResultSet?.Rows ?? []) {
        const data = row.Data ?? [];
        // A SELECT's first row is the column labels.
        if (!headerSkipped) {
          headerSkipped = true;
          if (data.every((d, i) => d.VarCharValue === names![i])) continue;
        }
        // A NULL comes as a Datum without VarCharValue.
        const out: Record<string, string | null> = Object.create(null) as Record<string, string | null>;
        names.forEach((n, i) => (out[n] = data[i]?.VarCharValue ?? null));
        rows.push({ ...out });
        if (rows.length >= maxRows) return rows;
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return rows;
  }
}

/**
 * The usage reports of a Lambda, from its environment: undefined when usage analytics is off
 * (no workgroup set); a half-configured environment fails the cold start naming the variable.
 */
export function usageReportsFromEnv(env: NodeJS.ProcessEnv, waitMs: number): UsageReports | undefined {
  const workGroup = env[INFRA_ENV.athenaWorkGroup];
  if (!workGroup) return undefined;
  // Not runtime.ts's requiredEnv: that module would bring the DynamoDB, KMS and EventBridge clients into the usage bundle.
  const database = env[INFRA_ENV.usageDatabase];
  const table = env[INFRA_ENV.usageTable];
  if (!database) throw new Error(`${INFRA_ENV.usageDatabase} is not set`);
  if (!table) throw new Error(`${INFRA_ENV.usageTable} is not set`);
  const engine = new AthenaUsageEngine({ client: new AthenaClient({}), workGroup, database, waitMs });
  return new UsageReports({ engine, table });
}
