/**
 * The schemas of core/schemas.ts and their map to operations (core/api-schemas.ts): complete,
 * convertible to JSON Schema with the bounds of LIMITS, with examples they accept themselves,
 * and droppable from bundles that only need LIMITS (the authorizer).
 */
import { join } from 'node:path';
import { toJsonSchema } from '@valibot/to-json-schema';
import { buildSync } from 'esbuild';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { API_SCHEMAS, jsonSchemaOf } from '../../core/api-schemas';
import { ROUTES } from '../../core/routes';
import * as schemas from '../../core/schemas';
import { LIMITS } from '../../core/validation';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const isSchema = (value: unknown): value is v.GenericSchema => typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'schema';
const exported: [string, v.GenericSchema][] = Object.entries(schemas as Record<string, unknown>).flatMap(([name, value]) => (isSchema(value) ? [[name, value] as [string, v.GenericSchema]] : []));
const exportedSchemas = new Set<unknown>(exported.map(([, s]) => s));
const operationEntries = Object.entries(API_SCHEMAS);
const requestBodies = operationEntries.flatMap(([op, e]) => (e.body && op !== 'importKeys' ? [[op, e.body] as const] : []));
const responseSchemas = operationEntries.flatMap(([op, e]) =>
  Object.entries(e.responses).flatMap(([status, r]) => (r.schema && op !== 'importKeys' ? [[`${op} ${status}`, r.schema] as const] : [])),
);

describe('API_SCHEMAS', () => {
  it('has an entry for exactly the operations of the route table', () => {
    // Prepare
    const operations = ROUTES.map((r) => r.operation).sort();
    // Act
    const mapped = Object.keys(API_SCHEMAS).sort();
    // Assess
    expect(mapped).toEqual(operations);
  });

  it('lists at least one success status per operation, each with a description', () => {
    for (const [op, entry] of operationEntries) {
      const statuses = Object.keys(entry.responses).map(Number);
      expect(statuses.length, op).toBeGreaterThan(0);
      for (const s of statuses) {
        expect(s >= 200 && s < 300, `${op} ${s}`).toBe(true);
        expect(entry.responses[s]!.description, `${op} ${s}`).toMatch(/\S/);
      }
    }
  });

  it('uses only schemas exported by core/schemas.ts (the document names them by export)', () => {
    for (const [op, entry] of operationEntries) {
      const used = [entry.body, entry.query, entry.pathParams, ...Object.values(entry.responses).map((r) => r.schema)].filter(Boolean);
      for (const s of used) expect(exportedSchemas.has(s), op).toBe(true);
    }
  });
});

describe('JSON Schema of the schemas', () => {
  it.each(exported)('converts %s without throwing', (_name, schema) => {
    const json = jsonSchemaOf(schema);
    expect(json.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it.each(responseSchemas)('converts the response %s with nothing left out (no check JSON Schema cannot say)', (_what, schema) => {
    expect(() => toJsonSchema(schema, { target: 'draft-2020-12', errorMode: 'throw' })).not.toThrow();
  });

  it('gives CreateKeyBody no additional properties and the bounds of LIMITS', () => {
    // Act
    const json: Json = jsonSchemaOf(schemas.CreateKeyBody);
    // Assess
    const p = json.properties;
    expect(json.type).toBe('object');
    expect(json.additionalProperties).toBe(false);
    expect(json.required).toEqual(['name']);
    expect(p.name).toMatchObject({ type: 'string', minLength: 1, maxLength: LIMITS.nameMax });
    expect(p.description).toMatchObject({ type: 'string', maxLength: LIMITS.descriptionMax });
    expect(p.scopes).toMatchObject({ type: 'array', maxItems: LIMITS.scopesMax, items: { maxLength: LIMITS.scopeNameMax } });
    expect(p.expiresInDays).toMatchObject({ type: 'integer', minimum: 1, maximum: LIMITS.expiresInDaysMax });
    expect(p.rateLimit).toMatchObject({
      additionalProperties: false,
      required: ['limit', 'windowSeconds'],
      properties: { limit: { maximum: LIMITS.rateLimitMax }, windowSeconds: { minimum: LIMITS.windowSecondsMin, maximum: LIMITS.windowSecondsMax } },
    });
    expect(p.rateLimit.properties.policy).toMatchObject({ enum: ['fixed', 'sliding', 'tokenBucket'] });
    expect(p.rateLimit.properties.policy.description).toMatch(/fixed: .*sliding: .*tokenBucket: /);
    expect(p.rateLimit.properties.burst).toMatchObject({ type: 'integer', minimum: 1, maximum: LIMITS.rateLimitMax });
    expect(p.quota.properties).toMatchObject({ daily: { maximum: LIMITS.dailyQuotaMax }, monthly: { maximum: LIMITS.monthlyQuotaMax } });
    expect(p.allowedIps).toMatchObject({ minItems: 1, maxItems: LIMITS.allowedIpsMax });
    expect(p.metadata).toMatchObject({ type: 'object' });
    expect(p.environment).toMatchObject({ enum: ['live', 'test'] });
    expect(p.expiresAt).toMatchObject({ type: 'string', format: 'date-time' });
  });

  it('documents the list limit as an integer with its default, and the rotate grace period default', () => {
    const list: Json = jsonSchemaOf(schemas.ListKeysQuery);
    expect(list.properties.limit).toEqual(expect.objectContaining({ type: 'integer', minimum: 1, maximum: LIMITS.listLimitMax, default: LIMITS.listLimitDefault }));
    expect(list.properties.limit.pattern).toBeUndefined();
    const rotate: Json = jsonSchemaOf(schemas.RotateKeyBody);
    expect(rotate.properties.gracePeriodSeconds).toMatchObject({ minimum: 0, maximum: LIMITS.gracePeriodMax, default: LIMITS.defaultGracePeriodSeconds });
  });

  it.each(requestBodies)('gives the %s body a description and one example that it accepts itself', (_op, schema) => {
    // Act
    const json: Json = jsonSchemaOf(schema);
    // Assess
    expect(json.description).toMatch(/\S/);
    expect(json.examples).toHaveLength(1);
    const result = v.safeParse(schema, json.examples[0]);
    expect(result.issues ?? []).toEqual([]);
  });
});

describe('rate-limit policies in the answers', () => {
  it('shows policy and burst as optional on a key, and policy as required in live usage', () => {
    // Act
    const view: Json = jsonSchemaOf(schemas.KeyView);
    const usage: Json = jsonSchemaOf(schemas.KeyUsage);
    // Assess
    const out = view.properties.rateLimit;
    expect(out.properties.policy).toMatchObject({ enum: ['fixed', 'sliding', 'tokenBucket'] });
    expect(out.properties.burst).toMatchObject({ type: 'number' });
    expect(out.required).toEqual(['limit', 'windowSeconds']);
    const live = usage.properties.rateLimit.anyOf.find((s: Json) => s.type === 'object');
    expect(live.required).toContain('policy');
    expect(live.required).not.toContain('burst');
  });

  it('accepts a key view of an old key without a policy, and refuses an unknown policy in one', () => {
    const base = { id: 'key_01J9Z8Q4R7T2V5W8X1Y4Z7A0B3', ownerId: 'o', name: 'n', environment: 'live', start: 'kg_live_AbCd', scopes: [], status: 'active', createdAt: 't', createdBy: 'b', updatedAt: 't' };
    expect(v.safeParse(schemas.KeyView, { ...base, rateLimit: { limit: 1, windowSeconds: 1 } }).success).toBe(true);
    expect(v.safeParse(schemas.KeyView, { ...base, rateLimit: { limit: 1, windowSeconds: 1, policy: 'tokenBucket', burst: 5 } }).success).toBe(true);
    expect(v.safeParse(schemas.KeyView, { ...base, rateLimit: { limit: 1, windowSeconds: 1, policy: 'leaky' } }).success).toBe(false);
  });
});

describe('bundles that only need LIMITS', () => {
  it('leave every schema and valibot out (the authorizer reads LIMITS through core/key-templates.ts)', () => {
    // Prepare: an entry that uses LIMITS the way core/key-templates.ts does.
    const root = join(__dirname, '..', '..');
    // Act
    const out = buildSync({
      stdin: { contents: "import { LIMITS } from './core/validation'; console.log(LIMITS.nameMax);", resolveDir: root, loader: 'ts' },
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    // Assess
    const code = out.outputFiles[0]!.text;
    expect(code).toContain('128');
    expect(code).not.toMatch(/valibot|strict_object|raw_check/);
    expect(code).not.toMatch(/must be an integer|must be a calendar day|route template starting/); // no schema message either
    expect(code.length).toBeLessThan(10_000);
  });

  it('leave valibot out of the config reader that checks rate-limit policies (keygate:defaultRateLimit)', () => {
    // Prepare
    const root = join(__dirname, '..', '..');
    // Act
    const out = buildSync({
      stdin: { contents: "import { resolveConfig } from './core/config'; console.log(resolveConfig({}).defaultRateLimit);", resolveDir: root, loader: 'ts' },
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    // Assess
    const code = out.outputFiles[0]!.text;
    expect(code).toContain('tokenBucket');
    expect(code).not.toMatch(/valibot|strict_object|raw_check/);
  });
});
