/**
 * A `lambda` operator route run in process: the module named by the route's `localHandler`
 * (relative to the working directory) is imported once and called with the same proxy event
 * API Gateway would send, `requestContext.authorizer` included. Without `localHandler` the
 * local gateway answers 501 (local/gateway.ts).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type ProxyHandler = (event: APIGatewayProxyEvent, context: Partial<Context>) => Promise<APIGatewayProxyResult>;

export type LambdaTargetResult =
  | { readonly kind: 'response'; readonly status: number; readonly headers: Record<string, string | string[]>; readonly body: Buffer }
  | { readonly kind: 'failure'; readonly reason: string }
  | { readonly kind: 'timeout' };

const loaded = new Map<string, Promise<ProxyHandler>>();

/** Imports `modulePath` once; it must export `handler`. */
export function loadLocalHandler(modulePath: string, cwd = process.cwd()): Promise<ProxyHandler> {
  const abs = resolve(cwd, modulePath);
  let p = loaded.get(abs);
  if (!p) {
    p = import(pathToFileURL(abs).href).then((mod: { handler?: unknown; default?: { handler?: unknown } }) => {
      const handler = mod.handler ?? mod.default?.handler;
      if (typeof handler !== 'function') throw new Error(`${modulePath} does not export a handler function`);
      return handler as ProxyHandler;
    });
    loaded.set(abs, p);
    p.catch(() => loaded.delete(abs));
  }
  return p;
}

/** Invokes the handler with a bound; a throw, a malformed result or the timeout becomes a result, never an exception. */
export async function invokeLocalLambda(handler: ProxyHandler, event: APIGatewayProxyEvent, requestId: string, timeoutMs: number): Promise<LambdaTargetResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), timeoutMs);
  });
  try {
    const out = await Promise.race([Promise.resolve().then(() => handler(event, { awsRequestId: requestId })), timeout]);
    if (out === 'timeout') return { kind: 'timeout' };
    if (!out || typeof out !== 'object' || !Number.isInteger(out.statusCode)) return { kind: 'failure', reason: 'malformed Lambda proxy response (no statusCode)' };
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(out.headers ?? {})) headers[k] = String(v);
    for (const [k, v] of Object.entries(out.multiValueHeaders ?? {})) headers[k] = v.map(String);
    const raw = typeof out.body === 'string' ? out.body : '';
    return { kind: 'response', status: out.statusCode, headers, body: out.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8') };
  } catch (err) {
    return { kind: 'failure', reason: (err as Error)?.message ?? String(err) };
  } finally {
    clearTimeout(timer);
  }
}
