import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSettingsFile } from '../../adapters/settings-file';
import { DEFAULT_CONFIG } from '../../core/config';
import { parseOperatorRoutes, ROUTES_ENV } from '../../core/operator-routes';
import {
  authorizerEnvironment,
  checkAuthorizerEnvironment,
  checkSettingNames,
  environmentBytes,
  KNOWN_SETTINGS,
  layerSettings,
  resolveDeployment,
} from '../../core/settings';
import { localRoutes, localSettings } from '../../local/config';

const dir = mkdtempSync(join(tmpdir(), 'keygate-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('setting names', () => {
  it('knows every config setting, the routes and the infrastructure settings', () => {
    for (const k of Object.keys(DEFAULT_CONFIG)) expect(KNOWN_SETTINGS).toContain(`keygate:${k}`);
    expect(KNOWN_SETTINGS).toEqual(expect.arrayContaining(['keygate:routes', 'keygate:stackName', 'keygate:webAclArn', 'keygate:tableDeletionProtection']));
  });

  it('rejects an unknown keygate:* key, naming it and suggesting a near match', () => {
    expect(() => checkSettingNames({ 'keygate:Routes': [] }, 'cdk.json context')).toThrow('cdk.json context: unknown setting "keygate:Routes" (did you mean "keygate:routes"?)');
    expect(() => checkSettingNames({ 'keygate:rutes': [] }, 'x')).toThrow('x: unknown setting "keygate:rutes" (did you mean "keygate:routes"?)');
    expect(() => checkSettingNames({ 'keygate:somethingElse': 1 }, 'x')).toThrow(/unknown setting "keygate:somethingElse"; known settings: /);
  });

  it('ignores keys outside keygate:* (CDK feature flags)', () => {
    expect(() => checkSettingNames({ '@aws-cdk/core:target-partitions': ['aws'] }, 'x')).not.toThrow();
  });
});

describe('KEYGATE_CONFIG stage files', () => {
  it('are layered over cdk.json key by key; a list is replaced, not merged', () => {
    const merged = layerSettings({ 'keygate:keyPrefix': 'kg', 'keygate:scopes': [{ name: 'a', description: 'a' }] }, { 'keygate:scopes': [{ name: 'b', description: 'b' }] });
    expect(merged).toEqual({ 'keygate:keyPrefix': 'kg', 'keygate:scopes': [{ name: 'b', description: 'b' }] });
  });

  it('are read relative to the working directory', () => {
    const p = file('ok.json', JSON.stringify({ 'keygate:keyPrefix': 'acme' }));
    expect(readSettingsFile({ KEYGATE_CONFIG: 'ok.json' }, dir)).toEqual({ 'keygate:keyPrefix': 'acme' });
    expect(readSettingsFile({ KEYGATE_CONFIG: p })).toEqual({ 'keygate:keyPrefix': 'acme' });
    expect(readSettingsFile({})).toEqual({});
  });

  it.each([
    ['a missing file', 'nope.json', undefined, /KEYGATE_CONFIG=nope.json: cannot read .*nope.json \(ENOENT\)/],
    ['invalid JSON', 'bad.json', '{"keygate:keyPrefix": ', /KEYGATE_CONFIG=bad.json: not valid JSON/],
    ['a list', 'list.json', '[]', /must be a JSON object of "keygate:\*" settings/],
    ['a key outside keygate:*', 'flag.json', '{"@aws-cdk/core:x": true}', /"@aws-cdk\/core:x" is not a keygate:\* setting/],
    ['an unknown keygate:* key', 'unknown.json', '{"keygate:rateLimit": {}}', /KEYGATE_CONFIG=unknown.json: unknown setting "keygate:rateLimit"/],
  ])('reject %s with a message naming the file', (_what, name, content, message) => {
    if (content !== undefined) file(name, content);
    expect(() => readSettingsFile({ KEYGATE_CONFIG: name }, dir)).toThrow(message);
  });

  it('change the routes a local run serves', () => {
    // Prepare
    const p = file(
      'stage.json',
      JSON.stringify({
        'keygate:scopes': [{ name: 'orders:read', description: 'Read orders.' }],
        'keygate:routes': [{ path: '/orders/{id}', methods: ['GET'], scopes: ['orders:read'], upstream: 'http://127.0.0.1:4000/orders/{id}' }],
      }),
    );

    // Act
    const routes = localRoutes({ KEYGATE_CONFIG: p });

    // Assess
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /orders/{id}']);
    expect(localRoutes({})).toEqual([]);
    expect(localSettings({ KEYGATE_CONFIG: p })['keygate:keyPrefix']).toBe('kg');
  });

  it('fail a local start with the route error when a route uses a scope the file does not define', () => {
    const p = file('badscope.json', JSON.stringify({ 'keygate:routes': [{ path: '/orders', methods: ['GET'], scopes: ['orders:read'], upstream: 'http://127.0.0.1:4000/orders' }] }));
    expect(() => localRoutes({ KEYGATE_CONFIG: p })).toThrow(/keygate:routes\[0\] \(GET \/orders\): scope "orders:read" is not defined/);
  });
});

describe('resolveDeployment', () => {
  it('validates routes against the configured scopes, built-ins included', () => {
    const settings: Record<string, unknown> = {
      'keygate:scopes': [{ name: 'reports:read', description: 'r' }],
      'keygate:routes': [{ path: '/reports', methods: ['GET'], scopes: ['reports:read', 'keys:read'], upstream: 'https://r.example.com/reports' }],
    };
    const { config, routes } = resolveDeployment((k) => settings[k]);
    expect(config.scopes.map((s) => s.name)).toEqual(['reports:read']);
    expect(routes[0]!.scopes).toEqual(['reports:read', 'keys:read']);
  });
});

describe('the authorizer environment', () => {
  const routesOf = (n: number, pathLength: number) =>
    parseOperatorRoutes(
      Array.from({ length: n }, (_, i) => ({ path: `/r${i}/${'p'.repeat(pathLength)}`, methods: ['GET'], scopes: ['admin'], upstream: 'https://x.example.com/' })),
      ['admin'],
    );
  const infra = { tableName: 'TOKEN', counterTableName: 'TOKEN' };
  const unresolved = (v: string) => v === 'TOKEN';

  it('carries the routes\' scopes and costs, and counts deploy-time names at 256 bytes', () => {
    const env = authorizerEnvironment(DEFAULT_CONFIG, routesOf(2, 5), infra);
    expect(JSON.parse(env[ROUTES_ENV]!)).toEqual([
      ['GET', '/r0/ppppp', 'admin', 1],
      ['GET', '/r1/ppppp', 'admin', 1],
    ]);
    expect(environmentBytes({ A: 'TOKEN' }, unresolved)).toBe(1 + 256);
    expect(environmentBytes({ A: 'TOKEN' })).toBe(6);
  });

  it('leaves KEYGATE_ROUTES out when there are no operator routes', () => {
    expect(authorizerEnvironment(DEFAULT_CONFIG, [], infra)[ROUTES_ENV]).toBeUndefined();
  });

  it('passes a table that fits and names keygate:routes when it would pass Lambda\'s 4 KB', () => {
    expect(() => checkAuthorizerEnvironment(authorizerEnvironment(DEFAULT_CONFIG, routesOf(20, 20), infra), unresolved)).not.toThrow();
    expect(() => checkAuthorizerEnvironment(authorizerEnvironment(DEFAULT_CONFIG, routesOf(60, 40), infra), unresolved)).toThrow(
      /keygate:routes: the authorizer's environment would take \d+ bytes \(the routes' scopes and costs \d+ of them\), over Lambda's 4096-byte limit/,
    );
  });
});
