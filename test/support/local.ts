/** Test helpers: a fresh table per suite on the shared DynamoDB Local, and a local stack on a free port. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type KeygateConfig, resolveConfig } from '../../core/config';
import type { OperatorRoute } from '../../core/operator-routes';
import type { Clock, Logger, LogLevel } from '../../core/ports';
import { JsonLogger } from '../../adapters/json-logger';
import { type LocalStack, startLocalStack } from '../../local/stack';

let counter = 0;
export function uniqueTableName(prefix = 'test'): string {
  return `${prefix}-${process.pid}-${Date.now()}-${counter++}`;
}

export function dynamoEndpoint(): string {
  return inject('dynamoEndpoint');
}

/** Captures every log line the stack writes (redacted JSON), for leak checks. */
export class CapturingLogger implements Logger {
  readonly lines: string[] = [];
  private readonly inner = new JsonLogger({}, (line) => this.lines.push(line), 'debug');
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.inner.log(level, message, fields);
  }
}

export interface TestStack extends LocalStack {
  readonly adminKey: string;
  readonly logs: CapturingLogger;
  /** fetch against the stack with an optional key. */
  call(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
}

export const testConfig = (overrides: Partial<Record<keyof KeygateConfig, unknown>> = {}): KeygateConfig =>
  resolveConfig({
    scopes: [
      { name: 'echo:read', description: 'Call GET /v1/echo.' },
      { name: 'orders:read', description: 'Read orders.' },
      { name: 'orders:write', description: 'Write orders.' },
    ],
    cacheTtlSeconds: 0,
    negativeCacheTtlSeconds: 0,
    // Suites that test limits set them per key or pass their own default.
    defaultRateLimit: null,
    ...overrides,
  });

/** A local stack on a free port and a fresh table; `X-Forwarded-For` is trusted so tests can pick a source IP. */
export async function startTestStack(
  opts: {
    config?: KeygateConfig;
    clock?: Clock;
    gatewayResponseContextHeaders?: boolean;
    routes?: readonly OperatorRoute[];
    /** Seconds between expiry scans; 0 (the tests' default) runs none on its own, so suites decide with `expiry.runNow()`. */
    expiryScanSeconds?: number;
    /** Notification events also go to this webhook receiver, signed. */
    webhook?: { url: string; secret: string };
    /** The built console to serve at /console/. @default console/dist */
    consoleDir?: string;
  } = {},
): Promise<TestStack> {
  const home = mkdtempSync(join(tmpdir(), 'keygate-test-'));
  const logs = new CapturingLogger();
  const stack = await startLocalStack({
    home,
    inMemory: true,
    port: 0,
    config: opts.config ?? testConfig(),
    dynamoEndpoint: dynamoEndpoint(),
    tableName: uniqueTableName('http'),
    logger: logs,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.gatewayResponseContextHeaders !== undefined ? { gatewayResponseContextHeaders: opts.gatewayResponseContextHeaders } : {}),
    server: { trustForwardedFor: true },
    ...(opts.routes ? { routes: opts.routes } : {}),
    // A timer would add expiry events and audit entries to suites that assert exact lists.
    expiryScanSeconds: opts.expiryScanSeconds ?? 0,
    ...(opts.webhook ? { webhook: opts.webhook } : {}),
    ...(opts.consoleDir ? { consoleDir: opts.consoleDir } : {}),
  });
  const adminKey = stack.createdAdminKey!;
  return {
    ...stack,
    adminKey,
    logs,
    call: (path, init = {}) => {
      const { key, headers, ...rest } = init;
      const h = new Headers(headers);
      if (key !== undefined) h.set('authorization', `Bearer ${key}`);
      if (rest.body !== undefined && !h.has('content-type')) h.set('content-type', 'application/json');
      return fetch(stack.url + path, { ...rest, headers: h });
    },
    stop: async () => {
      await stack.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
