/**
 * The OpenAPI document: generated from the route table, the schemas and the problem-code
 * catalogue; every route present with its scopes; a maintained linter (Redocly, `recommended`)
 * finds nothing; every reference resolves.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { API_VERSION, openApiDocument } from '../../core/api-contract';
import { PROBLEM_CODES } from '../../core/problem-codes';
import { API_ROUTES, type AuthorizationRule, ROUTES } from '../../core/routes';
import { serverUrlOf } from '../../lambdas/keys/openapi-route';

type Doc = {
  paths: Record<string, Record<string, { operationId: string; security: Record<string, string[]>[]; responses: Record<string, unknown>; parameters?: { name: string; in: string }[]; 'x-keygate-scopes': string[]; 'x-keygate-cost': number; requestBody?: unknown }>>;
  components: Record<string, Record<string, unknown>>;
  servers: { url: string }[];
};

const doc = openApiDocument() as unknown as Doc;

/** Every `$ref` in a JSON value. */
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

function resolve(ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

describe('the OpenAPI document', () => {
  it('lists every API route of the route table under its method, with its operationId, scopes and cost', () => {
    for (const route of API_ROUTES) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op!.operationId).toBe(route.operation);
      expect(op!['x-keygate-scopes']).toEqual(route.scopes);
      expect(op!['x-keygate-cost']).toBe(route.cost);
    }
    const documented = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    expect(documented).toBe(API_ROUTES.length);
  });

  it('leaves the console\'s pages out: they are routes, not API operations (excludeFromDocument)', () => {
    const consoleRoutes = ROUTES.filter((r) => r.excludeFromDocument);
    expect(consoleRoutes.map((r) => r.path)).toEqual(['/console', '/console/{proxy+}']);
    for (const route of consoleRoutes) expect(doc.paths[route.path], route.path).toBeUndefined();
  });

  it('requires a key (Bearer or X-API-Key, with the scopes as roles) exactly where the route table does', () => {
    for (const route of API_ROUTES) {
      const op = doc.paths[route.path]![route.method.toLowerCase()]!;
      if (!route.authorized) expect(op.security, route.path).toEqual([]);
      else expect(op.security).toEqual([{ bearerAuth: [...route.scopes] }, { apiKeyHeader: [...route.scopes] }]);
    }
    expect(Object.keys(doc.components.securitySchemes!)).toEqual(['bearerAuth', 'apiKeyHeader']);
  });

  it('documents path parameters and the problem responses a keyed route can get, with Retry-After on 429', () => {
    const getKey = doc.paths['/v1/keys/{id}']!.get!;
    expect(getKey.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path' }));
    for (const s of ['400', '401', '403', '404', '429', '500', '503']) expect(getKey.responses[s], s).toEqual({ $ref: `#/components/responses/Problem${s}` });
    const r429 = doc.components.responses!.Problem429 as { headers: Record<string, unknown>; description: string };
    expect(Object.keys(r429.headers)).toContain('Retry-After');
    expect(r429.description).toContain('`rate_limited`');
    const health = doc.paths['/health']!.get!;
    expect(health.responses['401']).toBeUndefined();
  });

  it('declares RateLimit-Policy and RateLimit wherever it declares X-RateLimit-* (admitted answers and the 429)', () => {
    // Prepare: every response object of the document, paths and components alike.
    const responses: { headers?: Record<string, unknown> }[] = [
      ...Object.values(doc.paths).flatMap((ops) => Object.values(ops).flatMap((op) => Object.values(op.responses ?? {}) as { headers?: Record<string, unknown> }[])),
      ...(Object.values(doc.components.responses ?? {}) as { headers?: Record<string, unknown> }[]),
    ];
    // Act
    const withLegacy = responses.filter((r) => r.headers && 'X-RateLimit-Limit' in r.headers);
    // Assess
    expect(withLegacy.length).toBeGreaterThan(10);
    for (const r of withLegacy) expect(Object.keys(r.headers!)).toEqual(expect.arrayContaining(['RateLimit-Policy', 'RateLimit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']));
    expect(doc.components.headers).toHaveProperty('RateLimit-Policy');
    expect(doc.components.headers).toHaveProperty('RateLimit');
  });

  it('lists every catalogued problem code under the response of its status, for each status a route answers with', () => {
    const responses = doc.components.responses as Record<string, { description: string }>;
    let listed = 0;
    for (const [code, entry] of Object.entries(PROBLEM_CODES)) {
      for (const status of [entry.status].flat()) {
        if (!responses[`Problem${status}`]) continue; // e.g. 431: only the local server's header limit, no route of its own
        expect(responses[`Problem${status}`]!.description, `${code} (${status})`).toContain(`\`${code}\``);
        listed++;
      }
    }
    expect(listed).toBeGreaterThan(30);
    expect(Object.keys(responses).sort()).toEqual(['Problem400', 'Problem401', 'Problem403', 'Problem404', 'Problem409', 'Problem413', 'Problem415', 'Problem429', 'Problem500', 'Problem503']);
  });

  it('resolves every $ref', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(50);
    for (const ref of new Set(all)) expect(resolve(ref), ref).toBeDefined();
  });

  it('passes the Redocly linter with its recommended rules: no error and no warning', async () => {
    // Prepare
    const config = await createConfig({ extends: ['recommended'], rules: { 'no-server-example.com': 'off' } });

    // Act
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: '/openapi.json', config });

    // Assess
    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ''}`)).toEqual([]);
  });

  it('adds the operator routes with their scopes and cost; ANY becomes one operation per method', () => {
    // Prepare
    const operatorRoutes: (AuthorizationRule & { name?: string; summary?: string })[] = [
      { method: 'GET', path: '/orders/{id}', authorized: true, scopes: ['orders:read'], cost: 2, name: 'getOrder', summary: 'One order.' },
      { method: 'ANY', path: '/inventory/{proxy+}', authorized: true, scopes: [], cost: 1 },
    ];

    // Act
    const withRoutes = openApiDocument({ operatorRoutes, serverUrl: 'https://api.example.org/prod' }) as unknown as Doc;

    // Assess
    const order = withRoutes.paths['/orders/{id}']!.get!;
    expect(order).toMatchObject({ operationId: 'getOrder', 'x-keygate-scopes': ['orders:read'], 'x-keygate-cost': 2, security: [{ bearerAuth: ['orders:read'] }, { apiKeyHeader: ['orders:read'] }] });
    expect(Object.keys(withRoutes.paths['/inventory/{proxy+}']!).sort()).toEqual(['delete', 'get', 'patch', 'post', 'put']);
    expect(withRoutes.servers).toEqual([{ url: 'https://api.example.org/prod', description: 'This deployment' }]);
  });

  it('carries the package version', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(API_VERSION).toBe(pkg.version);
    expect((openApiDocument() as { info: { version: string } }).info.version).toBe(pkg.version);
  });
});

describe('serverUrlOf', () => {
  const event = (headers: Record<string, string>, path: string, contextPath: string): APIGatewayProxyEvent =>
    ({ headers, path, requestContext: { path: contextPath } }) as unknown as APIGatewayProxyEvent;

  it('keeps the stage prefix of an execute-api URL and uses https', () => {
    expect(serverUrlOf(event({ Host: 'abc123.execute-api.eu-west-1.amazonaws.com' }, '/v1/openapi.json', '/prod/v1/openapi.json'))).toBe(
      'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
    );
  });

  it('uses http on the loopback local stack, which has no stage prefix', () => {
    expect(serverUrlOf(event({ host: '127.0.0.1:3000' }, '/v1/openapi.json', '/v1/openapi.json'))).toBe('http://127.0.0.1:3000');
  });

  it('does not echo a Host header that is not a host name', () => {
    expect(serverUrlOf(event({ Host: 'evil.example/<script>' }, '/v1/openapi.json', '/v1/openapi.json'))).toBeUndefined();
    expect(serverUrlOf(event({}, '/v1/openapi.json', '/v1/openapi.json'))).toBeUndefined();
  });
});
