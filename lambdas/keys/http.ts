/** HTTP helpers for the keys Lambda: JSON and problem+json responses, request body parsing. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { PROBLEM_CONTENT_TYPE } from '../../core/gateway-responses';
import { type ProblemBody, ProblemError } from '../../core/problem';
import { LIMITS } from '../../core/validation';

const COMMON = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...COMMON, ...headers }, body: JSON.stringify(body) };
}

export function problem(body: ProblemBody, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: body.status, headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, ...COMMON, ...headers }, body: JSON.stringify(body) };
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === name && v !== undefined) return v;
  return undefined;
}

/**
 * The JSON body, or `undefined` when there is none. Oversized → 413, wrong media type →
 * 415, unparseable → 400; each names the problem.
 */
export function readJsonBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.length > LIMITS.maxBodyBytes) {
    throw new ProblemError(413, 'payload_too_large', `The request body is ${raw.length} bytes; the limit is ${LIMITS.maxBodyBytes} bytes.`);
  }
  const type = header(event, 'content-type');
  if (type !== undefined && !/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type)) {
    throw new ProblemError(415, 'unsupported_media_type', `Content-Type must be application/json (got ${type.slice(0, 100)}).`);
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ProblemError(400, 'malformed_json', `The request body is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
  }
}
