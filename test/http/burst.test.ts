/**
 * A burst on one rate-limited key through the local stack as `npm start` runs it (its own
 * DynamoDB Local on disk): 300 concurrent requests, each on its own connection, yield exactly
 * the limit of 200s and 429s for the rest, never a 503. Before the local functions had a
 * concurrency limit and cache fills were single-flight, 30–130 of the refusals were 503s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { CapturingLogger, testConfig } from '../support/local';

const home = mkdtempSync(join(tmpdir(), 'keygate-burst-'));
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ home, port: 0, config: testConfig(), logger: new CapturingLogger() });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('a burst of 300 concurrent requests on one key', () => {
  it('admits exactly the limit and refuses the rest with 429, with no 503', async () => {
    // Prepare
    const created = await fetch(stack.url + '/v1/keys', {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.createdAdminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'burst', scopes: ['echo:read'], rateLimit: { limit: 57, windowSeconds: 3600 } }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    // Act
    const statuses = await Promise.all(Array.from({ length: 300 }, () => get(stack.url + '/v1/echo', key)));
    // Assess
    const counts: Record<number, number> = {};
    for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
    expect(counts).toEqual({ 200: 57, 429: 243 });
  });
});

/** One GET on its own connection, as 300 separate clients (curl -Z, or 300 processes) would send it. */
function get(url: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
