/**
 * The API contract as JSON Schema: every named schema of core/schemas.ts converted once with
 * @valibot/to-json-schema (draft 2020-12, references to `#/components/schemas/<name>`), and
 * each operation's request and response schemas by name. core/openapi.ts assembles the
 * OpenAPI document from it; the keys Lambda and the local stack serve that document.
 *
 * Checks JSON Schema cannot express (text rules, metadata size, calendar dates) are left out
 * of the JSON Schema (`errorMode: 'ignore'`); the schemas' descriptions say them in words,
 * and validation in the service still runs them.
 */
import type * as v from 'valibot';
import { toJsonSchemaDefs } from '@valibot/to-json-schema';
import { API_SCHEMAS } from './api-schemas';
import { type ApiContract, buildOpenApi, type ContractResponse, type JsonSchema, type OpenApiOptions, type OperationContract } from './openapi';
import type { Operation } from './routes';
import * as schemas from './schemas';

/** The package version: the OpenAPI document's info.version (a test keeps it equal to package.json's). */
export const API_VERSION = '0.1.0';

type AnySchema = v.BaseSchema<unknown, unknown, v.BaseIssue<unknown>>;

function isSchema(value: unknown): value is AnySchema {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'schema';
}

/** Every exported schema of core/schemas.ts, by its export name. */
function namedSchemas(): Map<AnySchema, string> {
  const names = new Map<AnySchema, string>();
  // Sorted: a module namespace lists its exports in code-point order, but a CommonJS transpilation (tsx) in declaration order.
  const exported = Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, value] of exported) if (isSchema(value) && !names.has(value)) names.set(value, name);
  return names;
}

/**
 * Draft 2020-12 output still carries `$schema` at the top of each definition: not wanted inside
 * components. A free-form object (`{type: 'object'}` with no properties) gets the explicit
 * `additionalProperties: true` it already means, which code generators otherwise read as `{}`.
 */
function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema as Record<string, unknown>;
  return explicitFreeForm(rest) as JsonSchema;
}

function explicitFreeForm(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(explicitFreeForm);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'examples' || k === 'default' || k === 'const' || k === 'enum' ? v : explicitFreeForm(v);
  if (out.type === 'object' && out.properties === undefined && out.additionalProperties === undefined && out.patternProperties === undefined) out.additionalProperties = true;
  return out;
}

let cached: ApiContract | undefined;

export function apiContract(): ApiContract {
  if (cached) return cached;
  const names = namedSchemas();
  const definitions = Object.fromEntries([...names].map(([schema, name]) => [name, schema]));
  const converted = toJsonSchemaDefs(definitions, {
    target: 'draft-2020-12',
    errorMode: 'ignore',
    overrideRef: (context) => `#/components/schemas/${context.referenceId}`,
  }) as Record<string, JsonSchema>;
  const components: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(converted)) components[name] = withoutDialect(schema);

  const nameOf = (schema: AnySchema | undefined, where: string): string | undefined => {
    if (!schema) return undefined;
    const name = names.get(schema);
    if (!name) throw new Error(`${where}: the schema is not exported by core/schemas.ts, so it has no name in the document`);
    return name;
  };
  const operations = {} as Record<Operation, OperationContract>;
  for (const [operation, entry] of Object.entries(API_SCHEMAS) as [Operation, (typeof API_SCHEMAS)[Operation]][]) {
    const responses: Record<number, ContractResponse> = {};
    for (const [status, r] of Object.entries(entry.responses)) {
      const schema = nameOf(r.schema as AnySchema | undefined, `${operation} ${status}`);
      responses[Number(status)] = { description: r.description, ...(schema ? { schema } : {}), ...(r.headers ? { headers: r.headers } : {}) };
    }
    const query = nameOf(entry.query as AnySchema | undefined, `${operation} query`);
    const body = nameOf(entry.body as AnySchema | undefined, `${operation} body`);
    operations[operation] = { ...(query ? { query } : {}), ...(body ? { body } : {}), ...(entry.bodyOptional ? { bodyOptional: true } : {}), responses };
  }
  cached = { operations, schemas: components };
  return cached;
}

/** The OpenAPI document for these options (the committed docs/openapi.json is `openApiDocument()`). */
export function openApiDocument(options: Omit<OpenApiOptions, 'version'> = {}): Record<string, unknown> {
  return buildOpenApi(apiContract(), { version: API_VERSION, ...options });
}
