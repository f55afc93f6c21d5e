import { describe, expect, it } from 'vitest';
import { accessLogFormat, MISSING, USAGE_FIELDS, usagePartition, usageRecord } from '../../core/usage-record';

describe('the usage record', () => {
  it('has the fields analytics needs, each once', () => {
    const names = USAGE_FIELDS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['requestId', 'time', 'keyId', 'ownerId', 'method', 'route', 'status', 'errorType', 'decision', 'responseLatencyMs', 'integrationLatencyMs', 'authorizerLatencyMs', 'responseBytes', 'sourceIp', 'userAgent']));
  });

  it('quotes only strings in the access-log format, so a line is JSON once API Gateway fills it in', () => {
    const format = accessLogFormat();
    // API Gateway writes `-` for a missing value: inside quotes for strings; numbers always have one.
    const line = format.replace(/"\$context\.[A-Za-z.]+"/g, `"${MISSING}"`).replace(/\$context\.[A-Za-z.]+/g, '42');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    for (const f of USAGE_FIELDS) expect(typeof parsed[f.name], f.name).toBe(f.type === 'string' ? 'string' : 'number');
  });

  it('fills a local record with `-` for missing strings and truncates numbers', () => {
    const r = usageRecord({ requestId: 'r-1', time: 1_800_000_000_123.7, status: 429, keyId: '', method: 'GET' });
    expect(r).toMatchObject({ requestId: 'r-1', time: 1_800_000_000_123, status: 429, keyId: MISSING, ownerId: MISSING, method: 'GET', responseLatencyMs: 0 });
    expect(Object.keys(r)).toEqual(USAGE_FIELDS.map((f) => f.name));
  });

  it('partitions by UTC day', () => {
    expect(usagePartition(Date.parse('2031-12-31T23:59:59.999Z'))).toBe('2031-12-31');
    expect(usagePartition(Date.parse('2032-01-01T00:00:00.000Z'))).toBe('2032-01-01');
  });
});

describe('docs/analytics.md', () => {
  it('documents every field of the record with its type and access-log variable', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../docs/analytics.md', import.meta.url), 'utf8');
    for (const f of USAGE_FIELDS) expect(doc, f.name).toContain(`| \`${f.name}\` | ${f.type} | \`${f.accessLog}\` |`);
  });
});
