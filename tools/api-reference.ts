/**
 * docs/api-reference.md: every operation with its scopes, parameters, request and response
 * fields and error statuses, rendered from the OpenAPI document — so the field tables come from
 * the same schemas the service validates with, and cannot drift from them.
 */
import { openApiDocument } from '../core/api-contract';

type Schema = Record<string, unknown>;
type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; responses: Record<string, { description: string }> };
  tags: { name: string; description: string }[];
};
type Operation = {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  parameters?: { name: string; in: string; required: boolean; description?: string; schema: Schema }[];
  requestBody?: { required: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { $ref?: string; description?: string; headers?: Record<string, unknown>; content?: Record<string, { schema: Schema }> }>;
  'x-keygate-scopes': string[];
};

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n+/g, ' ');
const refName = (ref: string): string => ref.split('/').pop()!;

/** A short type for a table cell: `string`, `integer 1–100`, `RateLimit`, `string[]`, `"a" \| "b"`. */
function typeOf(schema: Schema): string {
  if (typeof schema.$ref === 'string') return `[${refName(schema.$ref)}](#${refName(schema.$ref).toLowerCase()})`;
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if ('const' in schema) return `\`${JSON.stringify(schema.const)}\``;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options)) return (options as Schema[]).map(typeOf).join(' \\| ');
  }
  const t = Array.isArray(schema.type) ? schema.type.join(' \\| ') : String(schema.type ?? 'any');
  if (t === 'array' && schema.items) return `${typeOf(schema.items as Schema)}[]`;
  return t;
}

/** Bounds and formats JSON Schema states, in words. */
function rulesOf(schema: Schema): string {
  const out: string[] = [];
  const range = (lo: unknown, hi: unknown, unit: string): void => {
    if (lo !== undefined && hi !== undefined) out.push(`${unit}${String(lo)}–${String(hi)}`);
    else if (lo !== undefined) out.push(`${unit}≥ ${String(lo)}`);
    else if (hi !== undefined) out.push(`${unit}≤ ${String(hi)}`);
  };
  range(schema.minimum, schema.maximum, '');
  range(schema.minLength, schema.maxLength, 'length ');
  range(schema.minItems, schema.maxItems, 'items ');
  if (typeof schema.format === 'string') out.push(schema.format);
  if (typeof schema.pattern === 'string') out.push(`pattern \`${schema.pattern}\``);
  if (schema.default !== undefined) out.push(`default \`${JSON.stringify(schema.default)}\``);
  return out.join('; ');
}

function fieldRows(schema: Schema, doc: Doc): string[] {
  const target = typeof schema.$ref === 'string' ? doc.components.schemas[refName(schema.$ref)]! : schema;
  const props = (target.properties ?? {}) as Record<string, Schema>;
  const required = new Set((target.required ?? []) as string[]);
  return Object.entries(props).map(([name, prop]) => {
    const resolved = typeof prop.$ref === 'string' ? (doc.components.schemas[refName(prop.$ref)] ?? {}) : prop;
    const description = String(prop.description ?? resolved.description ?? '');
    const rules = typeof prop.$ref === 'string' ? '' : rulesOf(prop);
    return `| \`${name}\` | ${typeOf(prop)} | ${required.has(name) ? 'yes' : ''} | ${cell([description, rules].filter(Boolean).join(' — '))} |`;
  });
}

function fieldTable(schema: Schema, doc: Doc): string {
  const rows = fieldRows(schema, doc);
  if (rows.length === 0) return `${typeOf(schema)}\n`;
  return ['| Field | Type | Required | Rules |', '|---|---|---|---|', ...rows, ''].join('\n');
}

function renderOperation(method: string, path: string, op: Operation): string {
  const lines = [`### ${op.operationId}`, '', `\`${method.toUpperCase()} ${path}\` — ${op.description.split('\n\n').map(cell).join(' ')}`, ''];
  const params = op.parameters ?? [];
  if (params.length > 0) {
    lines.push('| Parameter | In | Type | Required | Meaning |', '|---|---|---|---|---|');
    for (const p of params) lines.push(`| \`${p.name}\` | ${p.in} | ${typeOf(p.schema)} | ${p.required ? 'yes' : ''} | ${cell([p.description ?? '', rulesOf(p.schema)].filter(Boolean).join(' — '))} |`);
    lines.push('');
  }
  const body = op.requestBody?.content['application/json']?.schema;
  if (body) lines.push(`**Request body** (${op.requestBody!.required ? 'required' : 'optional'}): ${typeOf(body)}`, '');
  const ok = Object.entries(op.responses).filter(([s]) => /^2/.test(s));
  for (const [status, r] of ok) {
    const schema = r.content?.['application/json']?.schema;
    lines.push(`**${status}** ${cell(r.description ?? '').replace(/\.$/, '')}${schema ? `: ${typeOf(schema)}` : ''}`, '');
  }
  const errors = Object.keys(op.responses).filter((s) => !/^2/.test(s) && s !== 'default');
  if (errors.length > 0) lines.push(`**Errors:** ${errors.map((s) => `[${s}](troubleshooting.md#${s}-${statusSlug(s)})`).join(', ')} (application/problem+json)`, '');
  return lines.join('\n');
}

/** The troubleshooting page's heading anchor for a status, e.g. `400-bad-request`. */
function statusSlug(status: string): string {
  const titles: Record<string, string> = {
    '400': 'bad-request',
    '401': 'unauthorized',
    '403': 'forbidden',
    '404': 'not-found',
    '409': 'conflict',
    '413': 'payload-too-large',
    '415': 'unsupported-media-type',
    '429': 'too-many-requests',
    '500': 'internal-server-error',
    '503': 'service-unavailable',
  };
  return titles[status] ?? 'error';
}

export function renderApiReference(): string {
  const doc = openApiDocument() as unknown as Doc;
  const out = [
    '# API reference',
    '',
    '<!-- Generated by tools/api-reference.ts from the OpenAPI document (docs/openapi.json); run `npm run docs:generate`. -->',
    '',
    'Every operation, its parameters and its request and response fields, generated from the schemas the service validates with ([core/schemas.ts](../core/schemas.ts)). The same contract as [openapi.json](openapi.json), which the service also serves at `GET /v1/openapi.json`. The guide to the API, with examples and the reasons behind the rules, is [api.md](api.md); each error code is explained in [troubleshooting.md](troubleshooting.md).',
    '',
    'Send the key as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Rules JSON Schema cannot state (plain-text rules for names, metadata size and depth, real calendar dates, an expiry in the future) are given in words in each field\'s description and enforced by the service.',
    '',
    '## Operations',
    '',
  ];
  for (const tag of doc.tags) {
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).filter(([, op]) => op.tags.includes(tag.name)).map(([m, op]) => [m, path, op] as const));
    if (ops.length === 0) continue;
    out.push(`### ${tag.name}`, '', tag.description, '');
    for (const [method, path, op] of ops) out.push(renderOperation(method, path, op).replace(/^### /, '#### '));
  }
  out.push('## Schemas', '');
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    out.push(`### ${name}`, '');
    if (typeof schema.description === 'string') out.push(cell(schema.description), '');
    out.push(fieldTable(schema, doc));
    if (schema.properties === undefined) {
      const rules = rulesOf(schema);
      if (rules) out.push(`Rules: ${rules}`, '');
    }
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
