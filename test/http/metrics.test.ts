/** GET /metrics on the local stack: the authorizer's decisions, cache and store metrics, and the keys Lambda's requests, counted exactly. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../core/key-format';
import { parsePrometheusText, PROMETHEUS_CONTENT_TYPE } from '../../adapters/prometheus-metrics';
import { startTestStack, testConfig, type TestStack } from '../support/local';

let stack: TestStack;
const config = testConfig({ cacheTtlSeconds: 60, negativeCacheTtlSeconds: 60 });
beforeAll(async () => {
  stack = await startTestStack({ config });
});
afterAll(async () => {
  await stack?.stop();
});

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${stack.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
  return parsePrometheusText(await res.text());
}

async function createKey(body: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
  const res = await stack.call('/v1/keys', { method: 'POST', key: stack.adminKey, body: JSON.stringify({ name: 'metrics', scopes: ['echo:read'], ...body }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

const decisions = (outcome: string) => `keygate_decisions_total{service="authorizer",outcome="${outcome}"}`;

describe('GET /metrics (local only)', () => {
  it('counts a known sequence of requests exactly: 3 valid, 2 unknown keys, 1 revoked, 2 rate limited', async () => {
    // Prepare: keys made (and one revoked) before the first reading, so setup calls are not counted.
    const limited = await createKey({ rateLimit: { limit: 2, windowSeconds: 3600 } });
    const plain = await createKey();
    const revoked = await createKey();
    expect((await stack.call(`/v1/keys/${revoked.id}`, { method: 'DELETE', key: stack.adminKey })).status).toBe(200);
    const unknown = [generateKey(config.keyPrefix, 'live').plaintext, generateKey(config.keyPrefix, 'live').plaintext];
    const before = await scrape();

    // Act
    const statuses: number[] = [];
    for (const key of [limited.key, limited.key, plain.key, ...unknown, revoked.key, limited.key, limited.key]) {
      statuses.push((await stack.call('/v1/echo', { key })).status);
    }
    const after = await scrape();

    // Assess
    expect(statuses).toEqual([200, 200, 200, 401, 401, 401, 429, 429]);
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(delta(decisions('VALID'))).toBe(3);
    expect(delta(decisions('NOT_FOUND'))).toBe(2);
    expect(delta(decisions('REVOKED'))).toBe(1);
    expect(delta(decisions('RATE_LIMITED'))).toBe(2);
    for (const other of ['MISSING', 'MALFORMED', 'EXPIRED', 'INSUFFICIENT_SCOPE', 'IP_NOT_ALLOWED', 'QUOTA_EXCEEDED', 'UNAVAILABLE', 'UNKNOWN_ROUTE']) {
      expect(delta(decisions(other)), other).toBe(0);
    }
    // One read per distinct key (5), the cache for the limited key's three repeats.
    expect(delta('keygate_cache_misses_total{service="authorizer"}')).toBe(5);
    expect(delta('keygate_cache_hits_total{service="authorizer"}')).toBe(3);
    expect(delta('keygate_store_latency_ms_count{service="authorizer",store="keys"}')).toBe(5);
    // Only the limited key has limits: three counter writes (two admitted, one refused); the
    // second refusal is answered from the container's refusal cache (core/refusal-cache.ts).
    expect(delta('keygate_store_latency_ms_count{service="authorizer",store="counters"}')).toBe(3);
    // The admitted echoes reached the keys Lambda; refused requests never did.
    expect(delta('keygate_requests_total{service="keys",status_class="2xx"}')).toBe(3);
    expect(delta('keygate_requests_total{service="keys",status_class="4xx"}')).toBe(0);
  });

  it('is not an API route: no key is asked for, and the authorizer counts nothing for it', async () => {
    // Prepare
    const before = await scrape();
    // Act
    const res = await fetch(`${stack.url}/metrics`);
    const after = await scrape();
    // Assess
    expect(res.status).toBe(200);
    const total = (m: Map<string, number>) => [...m].filter(([k]) => k.startsWith('keygate_decisions_total')).reduce((s, [, v]) => s + v, 0);
    expect(total(after)).toBe(total(before));
  });
});
