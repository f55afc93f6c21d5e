/**
 * Every AWS client Keygate builds gives up when its dependency stops answering: a server that
 * accepts connections and never replies stands in for a frozen KMS, EventBridge or DynamoDB.
 * (With @smithy/node-http-handler's default, `requestTimeout` only logs a warning and the call
 * waits for as long as the server does.)
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { CLIENT_PROFILES } from '../../adapters/client-profiles';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { eventBridgeSink, kmsDataKeys } from '../../adapters/runtime';
import { DependencyError } from '../../core/ports';

let server: Server;
let endpoint: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((s) => {
    sockets.add(s); // read the request, never answer
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

/** The call's outcome, or 'still waiting' if it has not settled well after its profile's budget. */
async function settleWithin<T>(call: Promise<T>, ms: number): Promise<unknown> {
  return Promise.race([call.then((v) => v, (e: unknown) => e), new Promise((r) => setTimeout(() => r('still waiting'), ms))]);
}

const budget = (p: { maxAttempts: number; requestTimeoutMs: number }) => p.maxAttempts * p.requestTimeoutMs + 3000;

describe('clients against a dependency that never answers', () => {
  it('KMS GenerateDataKey fails with a retryable DependencyError instead of waiting', async () => {
    const { provider, client } = kmsDataKeys('alias/keygate', { region: 'eu-west-1', endpoint });
    const out = await settleWithin(provider.generateDataKey({ keyId: 'key_X' }), budget(CLIENT_PROFILES.kms));
    client.destroy();
    expect(out).toBeInstanceOf(DependencyError);
    expect((out as DependencyError).retryable).toBe(true);
  });

  it('EventBridge PutEvents fails with a DependencyError instead of waiting', async () => {
    const sink = eventBridgeSink('bus', { region: 'eu-west-1', endpoint });
    const out = await settleWithin(sink.publish({ type: 'keygate.quota.warning' }), budget(CLIENT_PROFILES.events));
    expect(out).toBeInstanceOf(DependencyError);
  });

  it('DynamoDB GetItem fails with a TimeoutError instead of waiting', async () => {
    const doc = createDocumentClient({ endpoint, ...CLIENT_PROFILES.keyRead });
    const out = await settleWithin(doc.send(new GetCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' } })), budget(CLIENT_PROFILES.keyRead));
    doc.destroy();
    expect((out as Error).name).toBe('TimeoutError');
  });
});
