/** Error answers become typed objects: problem+json read field by field, anything else still clear. */
import { afterEach, describe, expect, it } from 'vitest';
import { KeygateClient, KeygateProblemError } from '../../packages/client/src/index';
import { ok, problem, startScriptedServer, type Reply, type ScriptedServer } from './scripted-server';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function answer(reply: Reply): Promise<unknown> {
  server = await startScriptedServer(() => reply);
  const api = new KeygateClient({ endpoint: server.url, apiKey: 'kg_test_errorsTestKey', maxRetries: 0 });
  return api.getKey('key_1').catch((e: unknown) => e);
}

describe('problem errors', () => {
  it('reads every member of a problem+json answer, field errors and their codes included', async () => {
    // Prepare
    const reply = problem(400, 'validation_failed', 'name: is required (and 1 more)', {
      errors: [
        { field: 'name', message: 'is required' },
        { field: 'template', message: 'no such template', code: 'unknown_template' },
      ],
    });
    // Act
    const err = await answer(reply);
    // Assess
    expect(err).toBeInstanceOf(KeygateProblemError);
    const e = err as KeygateProblemError;
    expect(e).toMatchObject({
      name: 'KeygateProblemError',
      status: 400,
      code: 'validation_failed',
      title: 'Problem',
      type: 'urn:keygate:problem:validation_failed',
      detail: 'name: is required (and 1 more)',
      requestId: 'req-validation_failed',
      retryable: false,
    });
    expect(e.errors).toEqual([
      { field: 'name', message: 'is required' },
      { field: 'template', message: 'no such template', code: 'unknown_template' },
    ]);
    expect(e.problem).toEqual(reply.body);
    expect(e.retryAfterSeconds).toBeUndefined();
    expect(e.message).toBe('400 validation_failed: name: is required (and 1 more)');
  });

  it('keeps Retry-After of a 429 as seconds', async () => {
    const err = await answer({ ...problem(429, 'rate_limited', 'Slow down.'), headers: { 'content-type': 'application/problem+json', 'retry-after': '17' } });
    expect(err).toMatchObject({ status: 429, retryAfterSeconds: 17, retryable: true });
  });

  it('gives an HTML error page a code and the status text as detail', async () => {
    const err = await answer({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body>upstream <b>down</b></body></html>' });
    expect(err).toBeInstanceOf(KeygateProblemError);
    expect(err).toMatchObject({ status: 502, code: 'server_error', detail: 'Bad Gateway', retryable: true, problem: undefined });
  });

  it('uses a short plain-text body as the detail, on one line', async () => {
    const err = await answer({ status: 403, headers: { 'content-type': 'text/plain' }, body: 'forbidden\nby proxy\n' });
    expect(err).toMatchObject({ status: 403, code: 'http_error', detail: 'forbidden by proxy' });
  });

  it('reads a JSON error without a code (an API Gateway default answer)', async () => {
    const err = await answer({ status: 403, headers: { 'content-type': 'application/json' }, body: { message: 'Forbidden' } });
    expect(err).toMatchObject({ status: 403, code: 'http_error', detail: 'Forbidden' });
  });

  it('refuses a 2xx answer that is not JSON with invalid_response', async () => {
    const err = await answer({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>login page</html>' });
    expect(err).toMatchObject({ status: 200, code: 'invalid_response', detail: 'the response body is not JSON' });
  });

  it('refuses a redirect rather than follow it with the key', async () => {
    const err = await answer({ status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } });
    expect(err).toMatchObject({ name: 'KeygateConnectionError', kind: 'blocked', reason: 'redirect refused', retryable: false });
    expect(server!.seen).toHaveLength(1);
  });

  it('returns the parsed body of a 2xx answer', async () => {
    const view = { id: 'key_1', name: 'billing' };
    server = await startScriptedServer(() => ok(view));
    const api = new KeygateClient({ endpoint: server.url });
    expect(await api.getKey('key_1')).toEqual(view);
  });
});
