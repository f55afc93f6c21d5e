/** HTTP helpers for the keys Lambda: JSON and problem+json responses, request body parsing. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { PROBLEM_CONTENT_TYPE } from '../../core/gateway-responses';
import { decodeUtf8, parseStrictJson } from '../../core/json';
import { type ProblemBody, ProblemError } from '../../core/problem';
import { LIMITS } from '../../core/validation';

const COMMON = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...COMMON, ...headers }, body: JSON.stringify(body) };
}

export function problem(body: ProblemBody, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: body.status, headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, ...COMMON, ...headers }, body: JSON.stringify(body) };
}

/** Header names are the client's: only own entries are read, never inherited ones such as `constructor`. */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === name && v !== undefined) return v;
  return undefined;
}

/**
 * The JSON body, or `undefined` when there is none. Oversized → 413, wrong media type →
 * 415; not UTF-8, not JSON, nested too deep, duplicate members or unpaired surrogates →
 * 400 (core/json.ts); each names the problem. The size check runs first, on bytes.
 */
export function readJsonBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  // A base64 body carries the client's bytes (the local gateway sends bytes that are not UTF-8 this way);
  // a text body was already decoded by the gateway, so only its UTF-16 can be checked.
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : undefined;
  const size = bytes ? bytes.length : Buffer.byteLength(event.body, 'utf8');
  if (size > LIMITS.maxBodyBytes) {
    throw new ProblemError(413, 'payload_too_large', `The request body is ${size} bytes; the limit is ${LIMITS.maxBodyBytes} bytes.`);
  }
  const type = header(event, 'content-type');
  if (type !== undefined && !/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type)) {
    throw new ProblemError(415, 'unsupported_media_type', `Content-Type must be application/json (got ${JSON.stringify(type.slice(0, 100))}).`);
  }
  return parseStrictJson(bytes ? decodeUtf8(bytes) : event.body, LIMITS.maxBodyDepth);
}
