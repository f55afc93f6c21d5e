/**
 * Secrets stay secret: plaintext keys are never stored, hashes never leave the service,
 * neither reaches a log line, and description/metadata are sealed at rest. The scenario
 * creates, rotates, updates, lists and uses keys (and makes failing calls with them), then
 * inspects the raw DynamoDB table, every HTTP response and every log line.
 */
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local';
import { ApiClient, type ApiRequest, type ApiResponse, sha256Hex, withBadChecksum } from '../support/e2e';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let stack: TestStack;
let api: ApiClient;
const plaintexts: string[] = [];
const marker = randomBytes(6).toString('hex');
const SECRET_METADATA = `zebra-metadata-${marker}`;
const SECRET_DESCRIPTION = `okapi-description-${marker}`;
const SECRET_PATCHED = `narwhal-patched-${marker}`;
let rawItems: Record<string, unknown>[] = [];
let rawText: string[] = [];

const admin = (path: string, req: Omit<ApiRequest, 'key'> = {}): Promise<ApiResponse> => api.call(path, { ...req, key: stack.adminKey });

async function createKey(body: Record<string, unknown>, key = stack.adminKey): Promise<Json> {
  const res = await api.call('/v1/keys', { method: 'POST', key, body });
  expect(res.status, res.text).toBe(201);
  plaintexts.push(res.body.key);
  return res.body;
}

async function rotate(id: string, gracePeriodSeconds?: number): Promise<Json> {
  const res = await admin(`/v1/keys/${id}/rotate`, { method: 'POST', ...(gracePeriodSeconds !== undefined ? { body: { gracePeriodSeconds } } : {}) });
  expect(res.status, res.text).toBe(201);
  plaintexts.push(res.body.key);
  return res.body;
}

async function scanTable(): Promise<Record<string, unknown>[]> {
  const client = new DynamoDBClient({
    endpoint: stack.dynamoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const items: Record<string, unknown>[] = [];
    let start: ScanCommandOutput['LastEvaluatedKey'];
    do {
      const out: ScanCommandOutput = await client.send(new ScanCommand({ TableName: stack.tableName, ConsistentRead: true, ExclusiveStartKey: start }));
      items.push(...((out.Items ?? []) as Record<string, unknown>[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  } finally {
    client.destroy();
  }
}

/** Windows of `size` characters from the random part of a key (after the 4 shown in `start`). */
function secretWindows(key: string, size = 12): string[] {
  const secret = key.split('_')[2]!.slice(4);
  const out: string[] = [];
  for (let i = 0; i + size <= secret.length; i += size) out.push(secret.slice(i, i + size));
  return out;
}

beforeAll(async () => {
  stack = await startTestStack();
  api = new ApiClient({ baseUrl: stack.url });
  plaintexts.push(stack.adminKey);

  const tenant = await createKey({
    name: 'tenant manager',
    ownerId: 'leak-tenant',
    scopes: ['keys:read', 'keys:write', 'echo:read'],
    description: SECRET_DESCRIPTION,
    metadata: { note: SECRET_METADATA, nested: { deep: [SECRET_METADATA] } },
  });
  const echo = await createKey({ name: 'echo', scopes: ['echo:read'], metadata: { m: SECRET_METADATA } });
  const fenced = await createKey({ name: 'fenced', scopes: ['echo:read'], allowedIps: ['203.0.113.0/24'] });
  const child = await createKey({ name: 'child', scopes: ['echo:read'], description: SECRET_DESCRIPTION }, tenant.key);
  const doomed = await createKey({ name: 'doomed', scopes: ['echo:read'] });

  const rotatedGrace = await rotate(echo.id);
  const rotatedNow = await rotate(child.id, 0);
  await rotate(rotatedGrace.id, 60);
  expect((await admin(`/v1/keys/${tenant.id}`, { method: 'PATCH', body: { metadata: { note: SECRET_PATCHED }, description: SECRET_PATCHED } })).status).toBe(200);
  expect((await admin(`/v1/keys/${doomed.id}`, { method: 'DELETE' })).status).toBe(200);

  // Successful uses and reads.
  for (const k of [tenant.key, echo.key, rotatedGrace.key, rotatedNow.key]) expect((await api.call('/v1/echo', { key: k })).status).toBe(200);
  expect((await api.call('/v1/whoami', { headers: { 'x-api-key': tenant.key } })).status).toBe(200);
  expect((await api.call('/v1/keys', { key: tenant.key })).status).toBe(200);
  expect((await admin('/v1/keys?limit=100')).body.items.length).toBeGreaterThanOrEqual(9);
  expect((await admin(`/v1/keys/${tenant.id}`)).body.description).toBe(SECRET_PATCHED);

  // Failing calls with real keys, so the denial and error paths log too.
  const denials: [string, ApiRequest, number][] = [
    ['/v1/echo', { key: doomed.key }, 401], // revoked
    ['/v1/echo', { key: child.key }, 401], // rotated with grace 0
    ['/v1/echo', { key: withBadChecksum(echo.key) }, 401],
    ['/v1/echo', { headers: { authorization: `Basic ${tenant.key}` } }, 401],
    ['/v1/echo', { key: fenced.key, headers: { 'x-forwarded-for': '198.51.100.1' } }, 403],
    ['/v1/keys', { method: 'POST', key: tenant.key, body: { name: 'x', scopes: ['admin'] } }, 403],
    ['/v1/keys', { method: 'POST', key: tenant.key, body: { name: `contains ${tenant.key}`, nope: echo.key } }, 400],
    ['/v1/keys', { method: 'POST', key: tenant.key, body: `{"name": ${echo.key}` }, 400],
    [`/v1/keys/${encodeURIComponent(echo.key)}`, { key: stack.adminKey }, 400],
    [`/v1/keys/${echo.id}/rotate`, { method: 'POST', key: stack.adminKey }, 409],
    [`/v1/echo?api_key=${echo.key}`, {}, 401],
  ];
  for (const [path, req, status] of denials) {
    const res = await api.call(path, req);
    expect(res.status, `${path}: ${res.text}`).toBe(status);
  }

  rawItems = await scanTable();
  rawText = rawItems.map((i) => JSON.stringify(i));
});
afterAll(async () => {
  await stack?.stop();
});

describe('the raw DynamoDB table', () => {
  it('holds the hash of every key issued (control: the scan sees what was written)', () => {
    expect(plaintexts.length).toBe(9);
    const hashItems = new Set(rawItems.map((i) => JSON.stringify((i as Json).pk)));
    for (const p of plaintexts) expect(hashItems).toContain(JSON.stringify({ S: `HASH#${sha256Hex(p)}` }));
  });

  it('contains no plaintext key, nor any 12-character run of a key’s secret part', () => {
    const found: string[] = [];
    for (const p of plaintexts) {
      for (const needle of [p, ...secretWindows(p)]) if (rawText.some((t) => t.includes(needle))) found.push(needle);
    }
    expect(found).toEqual([]);
  });

  it('stores description and metadata sealed, not in the clear', () => {
    for (const secret of [SECRET_METADATA, SECRET_DESCRIPTION, SECRET_PATCHED]) {
      expect(rawText.filter((t) => t.includes(secret))).toEqual([]);
    }
    const keyItems = rawItems.filter((i) => (i as Json).sk?.S === 'KEY');
    expect(keyItems.length).toBe(plaintexts.length);
    for (const item of keyItems) {
      expect(item).not.toHaveProperty('description');
      expect(item).not.toHaveProperty('metadata');
    }
    // The records that had them carry a sealed blob instead.
    expect(keyItems.filter((i) => typeof (i as Json).sealed?.S === 'string').length).toBeGreaterThanOrEqual(4);
  });
});

describe('HTTP responses', () => {
  it('never carry a stored hash, in a body or a header', () => {
    const hashes = new Set<string>();
    for (const i of rawItems as Json[]) {
      if (i.hash?.S) hashes.add(i.hash.S);
      if (typeof i.pk?.S === 'string' && i.pk.S.startsWith('HASH#')) hashes.add(i.pk.S.slice(5));
    }
    expect(hashes.size).toBe(plaintexts.length);
    expect(api.responses.length).toBeGreaterThan(25);
    const leaks: string[] = [];
    for (const r of api.responses) {
      const headerText = [...r.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
      for (const h of hashes) if (r.text.includes(h) || headerText.includes(h)) leaks.push(`${r.status} ${h}`);
      if (/"hash"\s*:/.test(r.text)) leaks.push(`${r.status} hash member`);
    }
    expect(leaks).toEqual([]);
  });
});

describe('log lines', () => {
  it('were written for the successful and the refused calls (control)', () => {
    const parsed = stack.logs.lines.map((l) => JSON.parse(l) as Json);
    const outcomes = new Set(parsed.filter((l) => l.message === 'authorization decision').map((l) => l.outcome));
    for (const o of ['VALID', 'REVOKED', 'MALFORMED', 'MISSING', 'IP_NOT_ALLOWED']) expect(outcomes).toContain(o);
    expect(parsed.some((l) => l.message === 'request refused')).toBe(true);
  });

  it('contain no plaintext key, no run of a key’s secret part, and no hash', () => {
    const text = stack.logs.lines.join('\n');
    const found: string[] = [];
    for (const p of plaintexts) {
      for (const needle of [p, sha256Hex(p), ...secretWindows(p)]) if (text.includes(needle)) found.push(needle);
    }
    expect(found).toEqual([]);
  });

  it('contain no description or metadata value', () => {
    const text = stack.logs.lines.join('\n');
    for (const secret of [SECRET_METADATA, SECRET_DESCRIPTION, SECRET_PATCHED]) expect(text).not.toContain(secret);
  });
});
