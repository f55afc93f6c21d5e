import { describe, expect, it } from 'vitest';
import { API_ROUTES, matchRoute, ROUTES, routeFor } from '../../core/routes';
import { SCOPE_PATTERN } from '../../core/scopes';

describe('ROUTES', () => {
  it('every API path starts with /v1/ or is /health; the console is the only other, under /console', () => {
    for (const r of ROUTES) {
      if (r.handler === 'console') expect(r.path === '/console' || r.path.startsWith('/console/')).toBe(true);
      else expect(r.path === '/health' || r.path.startsWith('/v1/')).toBe(true);
    }
  });

  it('only GET /health, the OpenAPI document, the leak report and the console are unauthorized', () => {
    expect(ROUTES.filter((r) => !r.authorized).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/openapi.json',
      'GET /health',
      'POST /v1/keys/revoke-leaked',
      'GET /console',
      'GET /console/{proxy+}',
    ]);
  });

  it('serves the console by the console function, GET only, outside the API document', () => {
    const site = ROUTES.filter((r) => r.handler === 'console');
    expect(site.map((r) => `${r.method} ${r.path} ${r.operation}`)).toEqual(['GET /console consoleIndex', 'GET /console/{proxy+} consoleAsset']);
    expect(site.every((r) => r.excludeFromDocument === true && r.scopes.length === 0)).toBe(true);
    expect(API_ROUTES.some((r) => r.handler === 'console')).toBe(false);
    expect(API_ROUTES.length).toBe(ROUTES.length - site.length);
  });

  it('matches /console/ to the console page and any deeper path to its files', () => {
    expect(matchRoute('GET', '/console/')?.route.operation).toBe('consoleIndex');
    expect(matchRoute('GET', '/console/assets/index-abc.js')).toMatchObject({ route: { operation: 'consoleAsset' }, pathParameters: { proxy: 'assets/index-abc.js' } });
    expect(matchRoute('POST', '/console/')).toBeUndefined();
  });

  it('has each method and path once and each operation once', () => {
    const pairs = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    const ops = ROUTES.map((r) => r.operation);
    expect(new Set(ops).size).toBe(ops.length);
  });

  it('names only well-formed scopes', () => {
    for (const r of ROUTES) for (const s of r.scopes) expect(s).toMatch(SCOPE_PATTERN);
  });

  it('requires keys:write to change keys and keys:read to read them', () => {
    const scopesOf = (method: string, path: string) => routeFor(method, path)!.scopes;
    expect(scopesOf('POST', '/v1/keys')).toEqual(['keys:write']);
    expect(scopesOf('PATCH', '/v1/keys/{id}')).toEqual(['keys:write']);
    expect(scopesOf('DELETE', '/v1/keys/{id}')).toEqual(['keys:write']);
    expect(scopesOf('POST', '/v1/keys/{id}/rotate')).toEqual(['keys:write']);
    expect(scopesOf('GET', '/v1/keys')).toEqual(['keys:read']);
    expect(scopesOf('GET', '/v1/keys/{id}')).toEqual(['keys:read']);
  });
});

describe('routeFor', () => {
  it('finds a route by method and resource template', () => {
    expect(routeFor('GET', '/v1/keys/{id}')?.operation).toBe('getKey');
    expect(routeFor('POST', '/v1/keys/{id}/rotate')?.operation).toBe('rotateKey');
    expect(routeFor('GET', '/health')?.operation).toBe('health');
  });

  it('rejects a concrete path, an unknown template and a wrong method', () => {
    expect(routeFor('GET', '/v1/keys/key_123')).toBeUndefined();
    expect(routeFor('GET', '/v1/nope')).toBeUndefined();
    expect(routeFor('PUT', '/v1/keys/{id}')).toBeUndefined();
    expect(routeFor('get', '/v1/keys')).toBeUndefined();
  });
});

describe('matchRoute', () => {
  it('matches a static path with no parameters', () => {
    const m = matchRoute('GET', '/v1/keys');
    expect(m?.route.operation).toBe('listKeys');
    expect(m?.pathParameters).toEqual({});
  });

  it('extracts path parameters', () => {
    expect(matchRoute('GET', '/v1/keys/key_01ARYZ6S41TSV4RRFFQ69G5FAV')).toMatchObject({
      route: { operation: 'getKey' },
      pathParameters: { id: 'key_01ARYZ6S41TSV4RRFFQ69G5FAV' },
    });
    expect(matchRoute('POST', '/v1/keys/abc/rotate')).toMatchObject({ route: { operation: 'rotateKey' }, pathParameters: { id: 'abc' } });
  });

  it('decodes percent-encoded parameters', () => {
    expect(matchRoute('DELETE', '/v1/keys/a%20b%2Fc')?.pathParameters).toEqual({ id: 'a b/c' });
  });

  it('keeps a parameter that is not valid percent-encoding as given', () => {
    expect(matchRoute('GET', '/v1/keys/100%')?.pathParameters).toEqual({ id: '100%' });
  });

  it('picks the route by method on a shared path', () => {
    expect(matchRoute('GET', '/v1/keys/x')?.route.operation).toBe('getKey');
    expect(matchRoute('PATCH', '/v1/keys/x')?.route.operation).toBe('updateKey');
    expect(matchRoute('DELETE', '/v1/keys/x')?.route.operation).toBe('revokeKey');
    expect(matchRoute('POST', '/v1/keys')?.route.operation).toBe('createKey');
  });

  it.each([
    ['an unknown path', 'GET', '/v1/nope'],
    ['a path without the version', 'GET', '/keys'],
    ['a path with an extra segment', 'GET', '/v1/keys/x/y'],
    ['a literal segment in a parameter position', 'GET', '/v1/keys/x/rotate'],
    ['an unsupported method', 'PUT', '/v1/keys/x'],
    ['a lowercase method', 'get', '/v1/keys'],
    ['a method the path does not have', 'DELETE', '/v1/keys'],
    ['the root', 'GET', '/'],
    ['a case-changed path', 'GET', '/V1/Keys'],
  ])('rejects %s', (_what, method, path) => {
    expect(matchRoute(method, path)).toBeUndefined();
  });

  it('matches every route template when each {param} is filled in', () => {
    for (const r of ROUTES) {
      const concrete = r.path.replace(/\{(\w+)\}/g, (_m, name: string) => `value-of-${name}`);
      const m = matchRoute(r.method, concrete);
      expect(m?.route).toBe(r);
      for (const name of r.path.match(/\{(\w+)\}/g) ?? []) expect(m?.pathParameters[name.slice(1, -1)]).toBe(`value-of-${name.slice(1, -1)}`);
    }
  });
});
