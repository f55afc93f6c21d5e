/**
 * The contract test: the local stack serves the document at GET /v1/openapi.json without a key;
 * then one request per operation (and a few refusals) goes to the local stack, and every answer
 * is validated with Ajv against the schema the document gives for its operation and status.
 * A response the document does not describe — an undocumented status or a body of another
 * shape — fails.
 */
import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../core/api-contract';
import { allScopes } from '../../core/config';
import { API_ROUTES, ROUTES, type Operation } from '../../core/routes';
import { ApiClient, type ApiRequest, type ApiResponse } from '../support/e2e';
import { startTestStack, testConfig, type TestStack } from '../support/local';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let stack: TestStack;
let api: ApiClient;
let doc: Json;
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
const DOC_ID = 'https://keygate.invalid/openapi.json';
const checked: { operation: Operation; status: number }[] = [];

const config = testConfig({ keyTemplates: [{ name: 'reader', scopes: ['keys:read'] }] });

beforeAll(async () => {
  stack = await startTestStack({ config });
  api = new ApiClient({ baseUrl: stack.url });
  const res = await api.call('/v1/openapi.json');
  expect(res.status, res.text).toBe(200);
  doc = res.body;
  ajv.addSchema({ $id: DOC_ID, components: doc.components });
});
afterAll(async () => {
  await stack?.stop();
});

/** Validates an answer against the document's description of this operation and status. */
function expectDocumented(operation: Operation, res: ApiResponse): void {
  const route = ROUTES.find((r) => r.operation === operation)!;
  const op = doc.paths[route.path]?.[route.method.toLowerCase()];
  expect(op, `${operation} is not in the document`).toBeDefined();
  let response = op.responses[String(res.status)];
  expect(response, `${operation} answered ${res.status}, which the document does not list: ${res.text.slice(0, 300)}`).toBeDefined();
  if (response.$ref) response = doc.components.responses[response.$ref.split('/').pop()];
  const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const media = response.content?.[contentType];
  if (!response.content) {
    expect(res.text, `${operation} ${res.status}: the document says no body`).toBe('');
  } else {
    expect(media, `${operation} ${res.status}: content type ${contentType} is not documented (${Object.keys(response.content).join(', ')})`).toBeDefined();
    const validate = ajv.getSchema(`${DOC_ID}${media.schema.$ref}`) ?? ajv.compile({ $ref: `${DOC_ID}${media.schema.$ref}` });
    const ok = validate(res.body);
    expect(ok, `${operation} ${res.status} does not match ${media.schema.$ref}: ${ajv.errorsText(validate.errors)}\n${res.text.slice(0, 500)}`).toBe(true);
  }
  checked.push({ operation, status: res.status });
}

const send = async (operation: Operation, path: string, req: ApiRequest = {}): Promise<ApiResponse> => {
  const res = await api.call(path, req);
  expectDocumented(operation, res);
  return res;
};
const admin = (operation: Operation, path: string, req: Omit<ApiRequest, 'key'> = {}): Promise<ApiResponse> => send(operation, path, { ...req, key: stack.adminKey });

describe('GET /v1/openapi.json', () => {
  it('serves, without a key, the document this code generates for the local stack', () => {
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument({ operatorRoutes: [], scopes: allScopes(config), serverUrl: stack.url }))));
    expect(doc.servers).toEqual([{ url: stack.url, description: 'This deployment' }]);
  });
});

describe('every operation answers as documented', () => {
  it('key lifecycle: create (with a template), list, get, update, rotate, usage, revoke', async () => {
    const created = await admin('createKey', '/v1/keys', { method: 'POST', body: { name: 'contract', scopes: ['echo:read'], rateLimit: { limit: 100, windowSeconds: 60 }, quota: { daily: 1000 }, metadata: { team: 'a' } } });
    expect(created.status).toBe(201);
    await admin('createKey', '/v1/keys', { method: 'POST', body: { name: 'from template', template: 'reader' } });
    const id = created.body.id as string;
    await admin('listKeys', '/v1/keys?limit=1');
    await admin('getKey', `/v1/keys/${id}`);
    await admin('updateKey', `/v1/keys/${id}`, { method: 'PATCH', body: { description: 'described', allowedIps: ['10.0.0.0/8'] } });
    await send('echo', '/v1/echo', { key: created.body.key as string });
    await admin('keyUsage', `/v1/keys/${id}/usage`);
    const rotated = await admin('rotateKey', `/v1/keys/${id}/rotate`, { method: 'POST', body: { gracePeriodSeconds: 60 } });
    await admin('revokeKey', `/v1/keys/${rotated.body.id as string}`, { method: 'DELETE' });
    await admin('whoami', '/v1/whoami');
  });

  it('meta, verification, audit and the leak report', async () => {
    await send('health', '/health');
    await admin('listScopes', '/v1/scopes');
    await admin('listTemplates', '/v1/templates');
    const verifier = await admin('createKey', '/v1/keys', { method: 'POST', body: { name: 'verifier', scopes: ['keys:verify'] } });
    await send('verifyKey', '/v1/verify', { method: 'POST', key: verifier.body.key as string, body: { key: 'kg_live_not_a_real_key', scopes: ['echo:read'] } });
    await admin('listAudit', '/v1/audit?limit=5');
    await admin('verifyAudit', `/v1/audit/verify?keyId=${verifier.body.id as string}`);
    await send('revokeLeaked', '/v1/keys/revoke-leaked', { method: 'POST', body: { keys: ['kg_live_nothing_here'] } });
    await send('openApi', '/v1/openapi.json');
    const row = { externalId: 'contract-1', hash: 'b'.repeat(64), start: 'kg_live_Cont', name: 'imported', ownerId: 'contract', scopes: ['echo:read'] };
    const imported = await admin('importKeys', '/v1/keys/import', { method: 'POST', body: { keys: [row, { ...row, externalId: 'contract-2', hash: 'not-a-hash' }] } });
    expect(imported.body.summary).toMatchObject({ total: 2, created: 1, invalid: 1 });
  });

  it('usage report: answered (200) or still running (202), either as documented', async () => {
    const res = await admin('usageReport', '/v1/usage?groupBy=day');
    expect([200, 202]).toContain(res.status);
  });

  it('refusals are documented problems: a bad body, no key, a missing scope, an unknown key', async () => {
    const bad = await admin('createKey', '/v1/keys', { method: 'POST', body: { name: '', surprise: true } });
    expect(bad.status).toBe(400);
    expect((await send('listKeys', '/v1/keys')).status).toBe(401);
    const reader = await admin('createKey', '/v1/keys', { method: 'POST', body: { name: 'reader only', scopes: ['keys:read'] } });
    expect((await send('createKey', '/v1/keys', { method: 'POST', key: reader.body.key as string, body: { name: 'x' } })).status).toBe(403);
    expect((await admin('getKey', '/v1/keys/key_00000000000000000000000000')).status).toBe(404);
    expect((await admin('getKey', '/v1/keys/not-a-key-id')).status).toBe(400);
  });

  it('covered every operation of the route table that this suite can reach locally', () => {
    const reached = new Set(checked.map((c) => c.operation));
    const missing = API_ROUTES.map((r) => r.operation).filter((op) => !reached.has(op));
    expect(missing).toEqual([]);
  });
});
