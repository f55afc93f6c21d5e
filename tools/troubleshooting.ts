/**
 * docs/troubleshooting.md, rendered from the problem code catalogue (core/problem-codes.ts) and
 * the gateway responses (core/gateway-responses.ts), so the page lists exactly the codes Keygate
 * answers with, and its example bodies are the bodies it sends. Deterministic: no clock, no
 * random ids. Registered in tools/generate-docs.ts.
 */
import { GATEWAY_RESPONSES, type GatewayResponseDefinition, renderGatewayTemplate } from '../core/gateway-responses';
import { PROBLEM_CODE_FOR } from '../core/limits';
import { type FieldError, problemBody } from '../core/problem';
import {
  FIELD_ERROR_CODES,
  type FieldErrorCode,
  PROBLEM_CODES,
  type ProblemAudience,
  type ProblemCode,
  type ProblemCodeEntry,
  statusesOf,
} from '../core/problem-codes';

const REQUEST_ID = '3f9c2b7e-5d1a-4c8e-9b2f-0a1b2c3d4e5f';

const AUDIENCE: Record<ProblemAudience, string> = {
  caller: 'the caller',
  admin: 'the management API user',
  operator: 'the operator running Keygate',
};

/** Headers every gateway response carries; only the others are worth naming per code. */
const BASE_HEADERS = new Set(['Content-Type', 'Cache-Control']);

/** Field errors for the example bodies of codes that list them. */
const EXAMPLE_ERRORS: Partial<Record<ProblemCode, readonly FieldError[]>> = {
  validation_failed: [
    { field: 'name', message: 'is required' },
    { field: 'colour', message: 'unknown field' },
  ],
  nesting_too_deep: [{ field: 'metadata', message: 'is nested more than 64 levels deep', code: 'nesting_too_deep' }],
  duplicate_member: [{ field: 'rateLimit.limit', message: 'appears more than once', code: 'duplicate_member' }],
  lone_surrogate: [{ field: 'name', message: 'must not contain unpaired UTF-16 surrogates', code: 'lone_surrogate' }],
};

const LIMIT_CODES: ReadonlySet<string> = new Set(Object.values(PROBLEM_CODE_FOR));

const entries = (): [ProblemCode, ProblemCodeEntry][] => Object.entries(PROBLEM_CODES) as [ProblemCode, ProblemCodeEntry][];
const primaryStatus = (e: ProblemCodeEntry): number => statusesOf(e)[0]!;
const statusText = (status: number): string => `${status} ${problemBody(status, 'internal_error', '').title}`;
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const link = (code: string): string => `[\`${code}\`](#${code})`;

function gatewayFor(type: GatewayResponseDefinition['type']): GatewayResponseDefinition {
  return GATEWAY_RESPONSES.find((g) => g.type === type)!;
}

/** The gateway response whose template answers with this code, if any. */
function gatewayResponseOf(code: ProblemCode): GatewayResponseDefinition | undefined {
  return GATEWAY_RESPONSES.find((g) => g.bodyTemplate.includes(`"code":"${code}"`));
}

/** The example body a client receives: the gateway's own template where the gateway answers, else the Lambda's body. */
function exampleBody(code: ProblemCode, entry: ProblemCodeEntry): { body: string; headers: Readonly<Record<string, string>> } {
  const gateway = gatewayResponseOf(code);
  if (gateway) {
    const authorizer = code === 'forbidden' ? { code: 'insufficient_scope', detail: PROBLEM_CODES.insufficient_scope.detail } : undefined;
    return { body: renderGatewayTemplate(gateway.bodyTemplate, { requestId: REQUEST_ID, authorizer }), headers: gateway.headers };
  }
  if (LIMIT_CODES.has(code)) {
    const limited = gatewayFor('INVALID_API_KEY');
    const authorizer = { code, detail: entry.detail, rateLimitLimit: '100', rateLimitRemaining: '0', rateLimitReset: '1767225600', retryAfter: '37' };
    return { body: renderGatewayTemplate(limited.bodyTemplate, { requestId: REQUEST_ID, authorizer }), headers: limited.headers };
  }
  if (entry.authorizerReason) {
    const denied = gatewayFor('ACCESS_DENIED');
    return { body: renderGatewayTemplate(denied.bodyTemplate, { requestId: REQUEST_ID, authorizer: { code, detail: entry.detail } }), headers: denied.headers };
  }
  const body = problemBody(primaryStatus(entry), code, entry.detail, { errors: EXAMPLE_ERRORS[code], requestId: REQUEST_ID });
  return { body: JSON.stringify(body), headers: {} };
}

/** One top-level member per line, nested values compact: readable, short, and the same bytes every run. */
function pretty(json: string): string {
  const members = Object.entries(JSON.parse(json) as Record<string, unknown>).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${members.join(',\n')}\n}`;
}

function section(code: ProblemCode, entry: ProblemCodeEntry): string[] {
  const { body, headers } = exampleBody(code, entry);
  const extraHeaders = Object.entries(headers).filter(([name]) => !BASE_HEADERS.has(name));
  const statuses = statusesOf(entry).map(statusText).join(', ');
  const lines = [
    `### \`${code}\``,
    '',
    `**${entry.title}.** Status ${statuses} · retryable: ${entry.retryable ? 'yes' : 'no'} · who acts: ${AUDIENCE[entry.audience ?? 'caller']} · raised by: ${entry.raisedBy}.`,
    '',
    `**Cause.** ${entry.cause}`,
    '',
    `**What to do.** ${entry.fix}`,
    '',
  ];
  if (extraHeaders.length > 0) lines.push(`Headers: ${extraHeaders.map(([k, v]) => `\`${k}: ${v}\``).join(', ')}.`, '');
  lines.push('```json', pretty(body), '```', '');
  return lines;
}

export function renderTroubleshooting(): string {
  const all = entries();
  const byPrimary = [...all].sort(([, a], [, b]) => primaryStatus(a) - primaryStatus(b));
  const statuses = [...new Set(all.flatMap(([, e]) => statusesOf(e)))].sort((a, b) => a - b);

  const out: string[] = [
    '# Troubleshooting: problem codes',
    '',
    '<!-- Generated from core/problem-codes.ts by tools/generate-docs.ts. Do not edit: change the catalogue and run `npm run docs:generate`. -->',
    '',
    'Every error Keygate answers with, from the gateway in front of your API, the management API or',
    'the local stack, is `application/problem+json` ([RFC 9457](https://www.rfc-editor.org/rfc/rfc9457)):',
    '',
    '```json',
    pretty(JSON.stringify(problemBody(400, 'validation_failed', PROBLEM_CODES.validation_failed.detail, { errors: EXAMPLE_ERRORS.validation_failed, requestId: REQUEST_ID }))),
    '```',
    '',
    '- `code` names the problem. It is stable: branch on it, never on `detail` or `title`. Each code has a',
    '  section below (the anchor is the code: `troubleshooting.md#rate_limited`).',
    '- `type` is `urn:keygate:problem:<code>`; `title` is the status text; `status` the HTTP status.',
    '- `detail` says what happened in words. For 4xx it is safe to show to the person who sent the',
    '  request; a 5xx carries a generic message, and the details are in the operator\'s log.',
    '- `requestId` identifies the request in the API Gateway access log and the Lambda logs. Quote it',
    '  when you ask the operator about an error.',
    '- `errors[]` lists field problems (`validation_failed` and the body rules): `field` is the path of the',
    '  member (`rateLimit.limit`, `scopes[2]`), `message` completes "<field> …", and `code`, where set,',
    '  names the rule ([field error codes](#field-error-codes)).',
    '- Some answers add members: a 403 `forbidden` carries the authorizer\'s `reason`; a 429 from the',
    '  gateway carries `limit`, `remaining`, `reset` and `retryAfter` (strings).',
    '',
    '"Retryable" means the same request can succeed later unchanged. Wait `Retry-After` (or `retryAfter`)',
    'seconds when the answer gives one, and back off. Nothing else is worth retrying unchanged. Keys',
    'are never echoed: problem details name fields and rules, not values.',
    '',
    'The full API reference, with the routes that raise each code, is [api.md](api.md#errors).',
    '',
    '## Contents',
    '',
    '| Status | Codes |',
    '|---|---|',
    ...statuses.map((s) => `| ${statusText(s)} | ${all.filter(([, e]) => statusesOf(e).includes(s)).map(([c]) => link(c)).join(', ')} |`),
    '',
    '| Code | Status | Retryable | Problem |',
    '|---|---|---|---|',
    ...byPrimary.map(([c, e]) => `| ${link(c)} | ${statusesOf(e).join(', ')} | ${e.retryable ? 'yes' : 'no'} | ${cell(e.title)} |`),
    '',
  ];
  for (const s of [...new Set(byPrimary.map(([, e]) => primaryStatus(e)))]) {
    out.push(`## ${statusText(s)}`, '');
    for (const [code, entry] of byPrimary.filter(([, e]) => primaryStatus(e) === s)) out.push(...section(code, entry));
  }
  out.push(
    '## Field error codes',
    '',
    'Inside `errors[]`, `code` names the rule a field broke. A `validation_failed` answer can list several;',
    'the body rules (`nesting_too_deep`, `duplicate_member`, `lone_surrogate`) are also top-level codes.',
    '',
    '| Code | Cause | What to do | Example |',
    '|---|---|---|---|',
  );
  for (const [code, entry] of Object.entries(FIELD_ERROR_CODES) as [FieldErrorCode, (typeof FIELD_ERROR_CODES)[FieldErrorCode]][]) {
    const example = JSON.stringify({ ...entry.example, code });
    out.push(`| <a id="field-${code}"></a>\`${code}\` | ${cell(entry.cause)} | ${cell(entry.fix)} | \`${cell(example)}\` |`);
  }
  out.push('');
  return out.join('\n');
}
