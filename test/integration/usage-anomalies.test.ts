/**
 * Usage anomaly detection proven on synthetic data: records written as Parquet by the local
 * writer, detection through the DuckDB engine, the ledger and key store on DynamoDB Local. Each
 * rule fires on its pattern with the numbers that triggered it, steady traffic fires nothing,
 * and a second run publishes nothing. The Athena engine is sent exactly the SQL DuckDB ran.
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAnomalyLedger } from '../../adapters/dynamodb/anomaly-ledger';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { DynamoCounterStore } from '../../adapters/dynamodb/counter-store';
import { createTable } from '../../adapters/dynamodb/create-tables';
import { DynamoKeyRepository } from '../../adapters/dynamodb/key-repository';
import { COUNTER_TABLE } from '../../adapters/dynamodb/table-schema';
import { FileEventSink } from '../../adapters/file-event-sink';
import { athenaParameter, AthenaUsageEngine } from '../../adapters/usage/athena-engine';
import { DuckDbUsageEngine } from '../../adapters/usage/duckdb-engine';
import { LocalUsageWriter } from '../../adapters/usage/local-usage-writer';
import { newKeyId } from '../../core/ids';
import { generateKey } from '../../core/key-format';
import type { EventSink } from '../../core/ports';
import type { SealedKeyRecord } from '../../core/records';
import {
  type AnomalyClaim,
  anomalyClaim,
  anomalyQueries,
  type AnomalyEvent,
  DEFAULT_ANOMALY_THRESHOLDS,
  detectAnomalies,
  type DetectAnomaliesOptions,
} from '../../core/usage-anomalies';
import type { ReportParameter, UsageQueryEngine } from '../../core/usage-reports';
import { usageRecord } from '../../core/usage-record';
import { startLocalAnomalyDetection } from '../../local/anomalies';
import { createAudited } from '../support/audit-fixtures';
import { dynamoEndpoint, uniqueTableName } from '../support/local';

const HOUR = 3_600_000;
/** The evaluated hour; detection runs at 11:15, the deployed schedule's minute. */
const H = Date.parse('2030-03-08T10:00:00Z');
const NOW = new Date(H + HOUR + 15 * 60_000);
const clock = { now: () => NOW };

const keyTable = uniqueTableName('anom-keys');
const counterTable = uniqueTableName('anom-ctr');
let client: DynamoDBClient;
let doc: ReturnType<typeof createDocumentClient>;
let repo: DynamoKeyRepository;
let counters: DynamoCounterStore;
let home: string;
let engine: DuckDbUsageEngine;

/** Keys by role; the quota keys are real records (the quota rule reads them). */
const K = {
  steady: newKeyId(H - 10 * HOUR),
  spike: newKeyId(H - 9 * HOUR),
  newQuiet: newKeyId(H - 8 * HOUR),
  newBurst: newKeyId(H - 7 * HOUR),
  errors: newKeyId(H - 6 * HOUR),
  errorsAtThreshold: newKeyId(H - 5 * HOUR),
  quota: newKeyId(H - 4 * HOUR),
  stolen: newKeyId(H - 3 * HOUR),
};
const OWNER = 'acme';

function keyRecord(id: string, quota?: SealedKeyRecord['quota']): SealedKeyRecord {
  const g = generateKey('kg', 'live', randomBytes(32));
  const at = new Date(H - 100 * HOUR).toISOString();
  return {
    id,
    ownerId: OWNER,
    name: 'k',
    environment: 'live',
    start: g.start,
    hash: g.hash,
    scopes: ['echo:read'],
    status: 'active',
    createdAt: at,
    createdBy: 'test',
    updatedAt: at,
    version: 1,
    ...(quota ? { quota } : {}),
  };
}

let seq = 0;
/** `n` records spread evenly over the hour starting at `hourStart`. */
function spread(n: number, hourStart: number, fields: (i: number) => Partial<Record<string, string | number>>): Record<string, string | number>[] {
  return Array.from({ length: n }, (_, i) =>
    usageRecord({
      requestId: `req-${seq++}`,
      time: hourStart + Math.floor((i * HOUR) / n),
      method: 'GET',
      route: '/v1/echo',
      status: 200,
      errorType: '-',
      decision: 'VALID',
      responseLatencyMs: 12,
      sourceIp: '192.0.2.10',
      userAgent: 'vitest',
      ...fields(i),
    }),
  );
}
const keyed = (keyId: string, extra: Partial<Record<string, string | number>> = {}) => () => ({ keyId, ownerId: OWNER, ...extra });

/**
 * 48 hours of baseline and the evaluated hour:
 * - steady: 120/h with 2 % errors and a few 401s from its IP, every hour: fires nothing
 * - spike: 20/h, then 150 in the hour (> 5 × 20, ≥ 100): requestSpike
 * - newQuiet: no history, 150 in the hour (< 1000 without a baseline): nothing
 * - newBurst: no history, 1000 in the hour: requestSpike
 * - errors: 100/h, 10 server errors in the hour (10 % > 5 %): errorRate
 * - errorsAtThreshold: 100/h, 5 errors (exactly 5 %, not above): nothing
 * - quota: 100 admitted in the hour, daily quota 1000 with 800 used at 11:15: quotaProjection daily
 * - 203.0.113.9: 150 failed authentications in the hour (105 × 401, 45 × IP_NOT_ALLOWED); 198.51.100.7: 99: failedAuth once
 */
function syntheticRecords(): Record<string, string | number>[] {
  const out: Record<string, string | number>[] = [];
  for (let h = H - 48 * HOUR; h <= H; h += HOUR) {
    const evaluated = h === H;
    out.push(...spread(120, h, (i) => ({ keyId: K.steady, ownerId: OWNER, ...(i % 50 === 0 ? { status: 500 } : {}) })));
    out.push(...spread(5, h, () => ({ status: 401, errorType: 'UNAUTHORIZED', decision: '-', sourceIp: '192.0.2.10' })));
    out.push(...spread(evaluated ? 150 : 20, h, keyed(K.spike)));
    out.push(...spread(100, h, (i) => ({ keyId: K.errors, ownerId: OWNER, ...(evaluated && i % 10 === 0 ? { status: 502, errorType: '-' } : {}) })));
    out.push(...spread(100, h, (i) => ({ keyId: K.errorsAtThreshold, ownerId: OWNER, ...(evaluated && i % 20 === 0 ? { status: 500 } : {}) })));
  }
  out.push(...spread(150, H, keyed(K.newQuiet)));
  out.push(...spread(1000, H, keyed(K.newBurst)));
  out.push(...spread(100, H, keyed(K.quota)));
  // 105 bad keys and 45 uses of a real key from an address it is not allowed from (too few for
  // that key's own error rate to count).
  out.push(
    ...spread(150, H, (i) =>
      i < 45
        ? { keyId: K.stolen, status: 403, errorType: 'ACCESS_DENIED', decision: 'IP_NOT_ALLOWED', sourceIp: '203.0.113.9' }
        : { status: 401, errorType: 'UNAUTHORIZED', decision: '-', sourceIp: '203.0.113.9' },
    ),
  );
  out.push(...spread(99, H, () => ({ status: 401, errorType: 'UNAUTHORIZED', decision: '-', sourceIp: '198.51.100.7' })));
  // Outside the hour and its baseline: must not count anywhere.
  out.push(...spread(5000, H + HOUR, keyed(K.steady)));
  return out;
}

class RecordingEngine implements UsageQueryEngine {
  readonly ran: { sql: string; parameters: readonly ReportParameter[] }[] = [];
  constructor(private readonly inner: UsageQueryEngine) {}
  run(sql: string, parameters: readonly ReportParameter[]) {
    this.ran.push({ sql, parameters });
    return this.inner.run(sql, parameters);
  }
}

function detection(overrides: Partial<DetectAnomaliesOptions> = {}): DetectAnomaliesOptions {
  return {
    engine,
    table: 'usage',
    ledger: new DynamoAnomalyLedger(doc, counterTable, clock.now),
    keys: repo,
    counters,
    events: new FileEventSink(join(home, 'events.ndjson')),
    clock,
    thresholds: DEFAULT_ANOMALY_THRESHOLDS,
    hourStartMs: H,
    ...overrides,
  };
}

const subjectOf = (e: AnomalyEvent) => `${e.rule} ${e.keyId ?? e.sourceIp}${e.quota ? ` ${e.quota}` : ''}`;

beforeAll(async () => {
  client = new DynamoDBClient({ endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createTable(client, keyTable);
  await createTable(client, counterTable, COUNTER_TABLE);
  doc = createDocumentClient({ endpoint: dynamoEndpoint() });
  repo = new DynamoKeyRepository(doc, keyTable);
  counters = new DynamoCounterStore(doc, counterTable);
  await createAudited(repo, keyRecord(K.quota, { daily: 1000 }));
  await createAudited(repo, keyRecord(K.steady, { daily: 1_000_000 }));
  // 800 of the 1000 used by 11:15 (one write costing 800 units).
  const used = await counters.consume(K.quota, { quota: { daily: 1000 } }, NOW, 800);
  expect(used.daily?.used).toBe(800);
  await counters.consume(K.steady, { quota: { daily: 1_000_000 } }, NOW, 3000);

  home = mkdtempSync(join(tmpdir(), 'keygate-anomalies-'));
  const writer = new LocalUsageWriter({ home, flushMs: 60_000 });
  for (const r of syntheticRecords()) writer.write(r);
  await writer.stop();
  engine = new DuckDbUsageEngine({ home });
});

afterAll(() => {
  engine?.close();
  doc?.destroy();
  client?.destroy();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('usage anomaly detection over DuckDB', () => {
  let first: Awaited<ReturnType<typeof detectAnomalies>>;
  const recording = () => new RecordingEngine(engine);
  let firstEngine: RecordingEngine;

  beforeAll(async () => {
    firstEngine = recording();
    first = await detectAnomalies(detection({ engine: firstEngine }));
  });

  it('fires each rule once on its pattern and never on steady traffic, new quiet keys or values at the threshold', () => {
    expect(first.failed).toEqual([]);
    expect(first.hour).toBe('2030-03-08T10:00:00Z');
    expect(first.published.map(subjectOf).sort()).toEqual(
      [
        `requestSpike ${K.newBurst}`,
        `requestSpike ${K.spike}`,
        `errorRate ${K.errors}`,
        'failedAuth 203.0.113.9',
        `quotaProjection ${K.quota} daily`,
      ].sort(),
    );
  });

  it('names the numbers that triggered each event', () => {
    const by = (s: string) => first.published.find((e) => subjectOf(e) === s)!;
    const base = { type: 'keygate.usage.anomaly', hour: '2030-03-08T10:00:00Z', time: NOW.toISOString() };
    expect(by(`requestSpike ${K.spike}`)).toEqual({
      ...base,
      rule: 'requestSpike',
      keyId: K.spike,
      ownerId: OWNER,
      observed: { requests: 150, baselineRequests: 960, baselineHours: 48, baselineHourlyMean: 20 },
      threshold: { factor: 5, minRequests: 100, baselineWindowHours: 168 },
    });
    expect(by(`requestSpike ${K.newBurst}`)).toMatchObject({
      observed: { requests: 1000, baselineRequests: 0, baselineHours: 0, baselineHourlyMean: 0 },
      threshold: { factor: 5, minRequests: 1000, baselineWindowHours: 168 },
    });
    expect(by(`errorRate ${K.errors}`)).toEqual({
      ...base,
      rule: 'errorRate',
      keyId: K.errors,
      ownerId: OWNER,
      observed: { requests: 100, errors: 10, errorRate: 0.1, rateLimited: 0 },
      threshold: { errorRate: 0.05, minRequests: 50 },
    });
    expect(by('failedAuth 203.0.113.9')).toEqual({
      ...base,
      rule: 'failedAuth',
      sourceIp: '203.0.113.9',
      observed: { failures: 150, unauthorized: 105, ipNotAllowed: 45 },
      threshold: { minFailures: 100 },
    });
    // 800 used + 100/h × 12.75 h left in the day = 2075 > 1000
    expect(by(`quotaProjection ${K.quota} daily`)).toEqual({
      ...base,
      rule: 'quotaProjection',
      keyId: K.quota,
      ownerId: OWNER,
      quota: 'daily',
      observed: { hourlyRequests: 100, used: 800, projected: 2075, hoursLeft: 12.75 },
      threshold: { limit: 1000 },
    });
  });

  it('writes the events to events.ndjson, with no secret or hash in them', () => {
    const lines = readFileSync(join(home, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AnomalyEvent);
    expect(lines).toEqual(first.published);
    expect(JSON.stringify(lines)).not.toMatch(/kg_live_|[0-9a-f]{64}/);
  });

  it('publishes nothing on a second run of the same hour (the ledger)', async () => {
    const again = await detectAnomalies(detection());
    expect(again.published).toEqual([]);
    expect(again.alreadyPublished).toBe(5);
    expect(again.failed).toEqual([]);
  });

  it('runs each rule as one partition-pruned SQL text with ? parameters only', () => {
    expect(firstEngine.ran.map((r) => r.sql)).toEqual(anomalyQueries('usage', H).map((q) => q.sql));
    for (const r of firstEngine.ran) {
      expect(r.sql).toContain('dt BETWEEN ? AND ?');
      expect(r.sql).not.toMatch(/key_|2030|203\.0/);
    }
  });

  it('sends Athena exactly the SQL text DuckDB ran, with quoted ExecutionParameters', async () => {
    // Prepare
    const athena = mockClient(AthenaClient);
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });
    const athenaEngine = new AthenaUsageEngine({ client: new AthenaClient({ region: 'us-east-1' }), workGroup: 'keygate-usage', database: 'keygate', waitMs: 300_000, sleep: async () => undefined });

    // Act
    const result = await detectAnomalies(detection({ engine: athenaEngine, ledger: { claim: async () => true, release: async () => undefined } }));

    // Assess
    const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(result.published).toEqual([]);
    expect(starts.map((s) => s.QueryString)).toEqual(firstEngine.ran.map((r) => r.sql));
    expect(starts.map((s) => s.ExecutionParameters)).toEqual(firstEngine.ran.map((r) => r.parameters.map(athenaParameter)));
    // The error-rate rule, exactly as Athena receives it.
    expect(starts[1]).toEqual({
      QueryString: [
        'SELECT "keyId", "ownerId", "requests", "errors", "rateLimited" FROM (',
        `  SELECT keyId AS "keyId", MAX(NULLIF(ownerId, '-')) AS "ownerId", COUNT(*) AS "requests",`,
        '    SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS "errors",',
        `    SUM(CASE WHEN errorType = 'INVALID_API_KEY' THEN 1 ELSE 0 END) AS "rateLimited"`,
        '  FROM usage',
        `  WHERE dt BETWEEN ? AND ? AND "time" >= ? AND "time" < ? AND keyId <> '-'`,
        '  GROUP BY keyId',
        ') t',
        'WHERE "requests" >= ? AND "errors" > ? * "requests"',
        'ORDER BY "errors" DESC, "keyId" ASC',
        'LIMIT 1001',
      ].join('\n'),
      ExecutionParameters: ["'2030-03-08'", "'2030-03-08'", String(H), String(H + HOUR), '50', '0.05'],
      WorkGroup: 'keygate-usage',
      QueryExecutionContext: { Database: 'keygate' },
    });
    athena.restore();
  });

  it('reads the next day\'s partition for the last hour of a day (Firehose arrival day)', () => {
    const late = anomalyQueries('usage', Date.parse('2030-03-08T23:00:00Z')).find((q) => q.rule === 'errorRate')!;
    expect(late.parameters.slice(0, 2)).toEqual(['2030-03-08', '2030-03-09']);
  });
});

describe('anomaly ledger on DynamoDB Local', () => {
  const claim: AnomalyClaim = { rule: 'failedAuth', subject: '2001:db8::1', hour: '2030-03-08T09:00:00Z', expiresAt: Math.floor(H / 1000) + 35 * 86_400 };

  it('lets exactly one of many concurrent claims win, and stores it under ANOM# with the TTL attribute', async () => {
    const ledger = new DynamoAnomalyLedger(doc, counterTable, clock.now);
    const wins = await Promise.all(Array.from({ length: 8 }, () => ledger.claim(claim)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    const item = (await doc.send(new GetCommand({ TableName: counterTable, Key: { pk: 'ANOM#failedAuth#2001:db8::1', sk: '2030-03-08T09:00:00Z' } }))).Item;
    expect(item).toEqual({ pk: 'ANOM#failedAuth#2001:db8::1', sk: '2030-03-08T09:00:00Z', ttl: claim.expiresAt, claimedAt: NOW.toISOString() });
  });

  it('gives a released claim to the next run', async () => {
    const ledger = new DynamoAnomalyLedger(doc, counterTable, clock.now);
    const c = { ...claim, subject: '2001:db8::2' };
    expect(await ledger.claim(c)).toBe(true);
    await ledger.release(c);
    expect(await ledger.claim(c)).toBe(true);
    expect(await ledger.claim(c)).toBe(false);
  });

  it('publishes an event whose first publish failed on the next run, and only then', async () => {
    // Prepare: a fresh ledger table and a sink that fails once
    const table = uniqueTableName('anom-retry');
    await createTable(client, table, COUNTER_TABLE);
    let failures = 1;
    const sent: unknown[] = [];
    const flaky: EventSink = {
      async publish(e) {
        if (failures-- > 0) throw new Error('bus unavailable');
        sent.push(e);
      },
    };
    const ledger = new DynamoAnomalyLedger(doc, table, clock.now);

    // Act
    const firstRun = await detectAnomalies(detection({ ledger, events: flaky }));
    const secondRun = await detectAnomalies(detection({ ledger, events: flaky }));
    const thirdRun = await detectAnomalies(detection({ ledger, events: flaky }));

    // Assess
    expect(firstRun.failed).toHaveLength(1);
    expect(firstRun.published).toHaveLength(4);
    expect(secondRun.published.map((e) => [e.rule, anomalyClaim(e, H).subject])).toEqual([[firstRun.failed[0]!.rule, firstRun.failed[0]!.subject]]);
    expect(secondRun.alreadyPublished).toBe(4);
    expect(thirdRun.published).toEqual([]);
    expect(sent).toHaveLength(5);
  });
});

describe('local anomaly detection (timer and runNow)', () => {
  it('runs the same detection over <home>/usage and appends to <home>/events.ndjson', async () => {
    // Prepare: a fresh ledger so the hour's anomalies are new
    const table = uniqueTableName('anom-local');
    await createTable(client, table, COUNTER_TABLE);
    const local = startLocalAnomalyDetection({
      home,
      dynamoEndpoint: dynamoEndpoint(),
      tableName: keyTable,
      counterTableName: table,
      thresholds: DEFAULT_ANOMALY_THRESHOLDS,
      intervalSeconds: 0,
      clock,
      keys: repo,
      counters,
    });
    try {
      // Act
      const result = await local.runNow();
      const again = await local.runNow();
      // Assess
      expect(result.hour).toBe('2030-03-08T10:00:00Z');
      expect(result.published).toHaveLength(5);
      expect(again.published).toHaveLength(0);
    } finally {
      await local.stop();
    }
  });
});
