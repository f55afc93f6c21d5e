import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KeygateConnectionError as ConnectionError, KeygateProblemError as ApiError } from '../../packages/client/src/index';
import {
  buildCreateBody,
  buildListQuery,
  buildRotateBody,
  buildUpdateBody,
  rateLimitFromFlags,
  describeFailure,
  isLocalEndpoint,
  parseAllowedIps,
  parseCidr,
  parseExpiresAt,
  parseInteger,
  parseMetadata,
  parseRateLimit,
  parseScopes,
  planBootstrap,
  redact,
  resolveApiKey,
  resolveEndpoint,
  resolveHome,
  UsageError,
} from '../../cli/main';

describe('parseRateLimit', () => {
  it('reads <limit>/<windowSeconds>', () => {
    expect(parseRateLimit('100/60')).toEqual({ limit: 100, windowSeconds: 60 });
    expect(parseRateLimit(' 5 / 1 ')).toEqual({ limit: 5, windowSeconds: 1 });
  });

  it.each(['100', '100/', '/60', '100/60/1', '1.5/60', '-1/60', 'ten/60', '100/1m', ''])(
    'rejects a malformed rate limit %j',
    (raw) => {
      expect(() => parseRateLimit(raw)).toThrow(UsageError);
    },
  );

  it('rejects a zero limit and a zero window', () => {
    expect(() => parseRateLimit('0/60')).toThrow('--rate-limit limit must be at least 1');
    expect(() => parseRateLimit('100/0')).toThrow('--rate-limit window must be at least 1');
  });
});

describe('rateLimitFromFlags (--rate-limit, --policy, --burst)', () => {
  it.each([
    [{ rateLimit: '100/60' }, { limit: 100, windowSeconds: 60 }],
    [{ rateLimit: '100/60', policy: 'fixed' }, { limit: 100, windowSeconds: 60, policy: 'fixed' }],
    [{ rateLimit: '100/60', policy: 'sliding' }, { limit: 100, windowSeconds: 60, policy: 'sliding' }],
    [{ rateLimit: '100/60', policy: 'tokenBucket' }, { limit: 100, windowSeconds: 60, policy: 'tokenBucket' }],
    [{ rateLimit: '100/60', policy: ' tokenBucket ', burst: '250' }, { limit: 100, windowSeconds: 60, policy: 'tokenBucket', burst: 250 }],
    [{}, undefined],
  ])('maps %j', (flags, rateLimit) => {
    expect(rateLimitFromFlags(flags)).toEqual(rateLimit);
  });

  it.each([
    [{ policy: 'sliding' }, '--policy needs --rate-limit <limit/windowSeconds>'],
    [{ burst: '5' }, '--burst needs --rate-limit <limit/windowSeconds>'],
    [{ rateLimit: '1/1', policy: 'leaky' }, '--policy must be fixed, sliding, tokenBucket (got "leaky")'],
    [{ rateLimit: '1/1', policy: 'token-bucket' }, '--policy must be fixed, sliding, tokenBucket (got "token-bucket")'],
    [{ rateLimit: '1/1', burst: '5' }, '--burst needs --policy tokenBucket'],
    [{ rateLimit: '1/1', policy: 'sliding', burst: '5' }, '--burst needs --policy tokenBucket'],
    [{ rateLimit: '1/1', policy: 'tokenBucket', burst: '0' }, '--burst must be at least 1'],
    [{ rateLimit: '1/1', policy: 'tokenBucket', burst: '1.5' }, '--burst must be a whole number'],
  ])('rejects %j', (flags, message) => {
    expect(() => rateLimitFromFlags(flags)).toThrow(UsageError);
    expect(() => rateLimitFromFlags(flags)).toThrow(message);
  });
});

describe('parseInteger', () => {
  it('accepts decimal digits at or above the minimum', () => {
    expect(parseInteger('--limit', '25')).toBe(25);
    expect(parseInteger('--grace-period', '0', 0)).toBe(0);
  });

  it.each(['1e3', '0x10', '1.0', '-5', ' ', 'abc', '99999999999999999999'])('rejects a non-integer or unsafe value %j', (raw) => {
    expect(() => parseInteger('--limit', raw)).toThrow(UsageError);
  });

  it('rejects a value below the minimum', () => {
    expect(() => parseInteger('--limit', '0')).toThrow('--limit must be at least 1 (got 0)');
  });
});

describe('parseScopes', () => {
  it('splits comma lists across repeated flags, trims and de-duplicates', () => {
    expect(parseScopes(['keys:read, keys:write', 'echo:read', 'keys:read'])).toEqual(['keys:read', 'keys:write', 'echo:read']);
  });

  it('treats an empty value as "no scopes"', () => {
    expect(parseScopes([''])).toEqual([]);
  });

  it.each(['Keys:Read', 'keys read', ':read', 'a'.repeat(65)])('rejects an invalid scope name %j', (scope) => {
    expect(() => parseScopes([scope])).toThrow(/invalid scope/);
  });
});

describe('parseExpiresAt', () => {
  it('normalises a zoned date-time to UTC', () => {
    expect(parseExpiresAt('2026-01-31T12:00:00+02:00')).toBe('2026-01-31T10:00:00.000Z');
    expect(parseExpiresAt('2026-01-31T12:00:00Z')).toBe('2026-01-31T12:00:00.000Z');
  });

  it('reads a bare date as midnight UTC', () => {
    expect(parseExpiresAt('2026-01-31')).toBe('2026-01-31T00:00:00.000Z');
  });

  it('rejects a date-time without a zone (local time is ambiguous)', () => {
    expect(() => parseExpiresAt('2026-01-31T12:00:00')).toThrow(/with a zone/);
  });

  it.each(['tomorrow', '31/01/2026', '2026-13-45', '1700000000'])('rejects a non-ISO or impossible date %j', (raw) => {
    expect(() => parseExpiresAt(raw)).toThrow(UsageError);
  });
});

describe('parseCidr / parseAllowedIps', () => {
  it('keeps CIDR blocks and widens bare addresses to one host', () => {
    expect(parseCidr('203.0.113.0/24')).toBe('203.0.113.0/24');
    expect(parseCidr('10.0.0.1')).toBe('10.0.0.1/32');
    expect(parseCidr('2001:db8::/32')).toBe('2001:db8::/32');
    expect(parseCidr('::1')).toBe('::1/128');
  });

  it.each(['10.0.0.0/33', '2001:db8::/129', '10.0.0/8', 'example.com', '10.0.0.0/8/1', '10.0.0.0/x'])(
    'rejects an invalid address or prefix %j',
    (raw) => {
      expect(() => parseCidr(raw)).toThrow(UsageError);
    },
  );

  it('accepts repeated and comma-separated values, de-duplicated', () => {
    expect(parseAllowedIps(['10.0.0.0/8,192.168.1.1', '10.0.0.0/8'])).toEqual(['10.0.0.0/8', '192.168.1.1/32']);
  });

  it('rejects an empty allow-list', () => {
    expect(() => parseAllowedIps([' , '])).toThrow('--allow-ip needs at least one');
  });
});

describe('parseMetadata', () => {
  it('reads a JSON object', () => {
    expect(parseMetadata('{"team":"billing","tier":2}')).toEqual({ team: 'billing', tier: 2 });
  });

  it.each(['[1,2]', 'null', '"text"', '42', '{team:billing}'])('rejects metadata that is not a JSON object %j', (raw) => {
    expect(() => parseMetadata(raw)).toThrow(/--metadata must be a JSON object/);
  });
});

describe('buildCreateBody', () => {
  it('maps every flag to the POST /v1/keys body', () => {
    expect(
      buildCreateBody({
        name: ' billing ',
        description: 'nightly export',
        owner: 'acme',
        scopes: ['keys:read,echo:read'],
        expiresInDays: '30',
        rateLimit: '100/60',
        dailyQuota: '1000',
        monthlyQuota: '20000',
        allowIp: ['10.0.0.0/8'],
        metadata: '{"team":"billing"}',
        env: 'test',
      }),
    ).toEqual({
      name: 'billing',
      description: 'nightly export',
      ownerId: 'acme',
      scopes: ['keys:read', 'echo:read'],
      expiresInDays: 30,
      rateLimit: { limit: 100, windowSeconds: 60 },
      quota: { daily: 1000, monthly: 20000 },
      allowedIps: ['10.0.0.0/8'],
      metadata: { team: 'billing' },
      environment: 'test',
    });
  });

  it('sends only the name when nothing else is given', () => {
    expect(buildCreateBody({ name: 'x' })).toEqual({ name: 'x' });
  });

  it('sends the template named by --template, and refuses a blank one', () => {
    expect(buildCreateBody({ name: 'x', template: ' partner-readonly ', scopes: ['echo:read'] })).toEqual({ name: 'x', scopes: ['echo:read'], template: 'partner-readonly' });
    expect(() => buildCreateBody({ name: 'x', template: ' ' })).toThrow('--template must not be empty');
  });

  it('sends only the quota period that was given', () => {
    expect(buildCreateBody({ name: 'x', monthlyQuota: '5' }).quota).toEqual({ monthly: 5 });
    expect(buildCreateBody({ name: 'x', rateLimit: '5/1', policy: 'sliding' }).rateLimit).toEqual({ limit: 5, windowSeconds: 1, policy: 'sliding' });
  });

  it('rejects a missing or blank name', () => {
    expect(() => buildCreateBody({})).toThrow('create-key needs --name');
    expect(() => buildCreateBody({ name: '  ' })).toThrow('--name must not be empty');
  });

  it('rejects --expires-at together with --expires-in-days', () => {
    expect(() => buildCreateBody({ name: 'x', expiresAt: '2030-01-01', expiresInDays: '3' })).toThrow(
      'use either --expires-at or --expires-in-days, not both',
    );
  });

  it('rejects an unknown environment', () => {
    expect(() => buildCreateBody({ name: 'x', env: 'prod' })).toThrow('--env must be live or test');
  });

  it('rejects a zero quota', () => {
    expect(() => buildCreateBody({ name: 'x', dailyQuota: '0' })).toThrow('--daily-quota must be at least 1');
  });
});

describe('buildUpdateBody', () => {
  const now = new Date('2025-06-01T00:00:00.000Z');

  it('turns --expires-in-days into an expiresAt counted from now (PATCH takes only expiresAt)', () => {
    expect(buildUpdateBody({ expiresInDays: '10' }, now)).toEqual({ expiresAt: '2025-06-11T00:00:00.000Z' });
  });

  it('sends null for every --clear-* flag', () => {
    expect(
      buildUpdateBody({
        clearExpiry: true,
        clearRateLimit: true,
        clearQuota: true,
        clearAllowedIps: true,
        clearMetadata: true,
      }),
    ).toEqual({ expiresAt: null, rateLimit: null, quota: null, allowedIps: null, metadata: null });
  });

  it('sends --policy and --burst inside the rate limit they shape', () => {
    expect(buildUpdateBody({ rateLimit: '10/1', policy: 'tokenBucket', burst: '40' }, now)).toEqual({ rateLimit: { limit: 10, windowSeconds: 1, policy: 'tokenBucket', burst: 40 } });
  });

  it('sends an empty scope list for --scopes ""', () => {
    expect(buildUpdateBody({ scopes: [''] })).toEqual({ scopes: [] });
  });

  it('rejects an update with no changes', () => {
    expect(() => buildUpdateBody({})).toThrow('update-key needs at least one change');
  });

  it.each([
    [{ expiresAt: '2030-01-01', clearExpiry: true }, '--expires-at or --clear-expiry'],
    [{ expiresInDays: '3', clearExpiry: true }, '--expires-in-days or --clear-expiry'],
    [{ rateLimit: '1/1', clearRateLimit: true }, '--rate-limit or --clear-rate-limit'],
    [{ policy: 'sliding', clearRateLimit: true }, '--policy or --clear-rate-limit'],
    [{ burst: '3', clearRateLimit: true }, '--burst or --clear-rate-limit'],
    [{ monthlyQuota: '9', clearQuota: true }, '--monthly-quota or --clear-quota'],
    [{ allowIp: ['10.0.0.1'], clearAllowedIps: true }, '--allow-ip or --clear-allowed-ips'],
    [{ metadata: '{}', clearMetadata: true }, '--metadata or --clear-metadata'],
  ])('rejects a value together with its --clear flag %#', (flags, message) => {
    expect(() => buildUpdateBody(flags, now)).toThrow(`use either ${message}, not both`);
  });
});

describe('buildListQuery / buildRotateBody', () => {
  it('maps list flags to query parameters', () => {
    expect(buildListQuery({ owner: 'acme', status: 'revoked', limit: '50', cursor: 'abc' })).toEqual({
      ownerId: 'acme',
      status: 'revoked',
      limit: 50,
      cursor: 'abc',
    });
    expect(buildListQuery({})).toEqual({});
  });

  it('rejects an unknown status and a zero limit', () => {
    expect(() => buildListQuery({ status: 'deleted' })).toThrow('--status must be one of active, revoked, expired');
    expect(() => buildListQuery({ limit: '0' })).toThrow('--limit must be at least 1');
  });

  it('allows a zero grace period and omits an absent one', () => {
    expect(buildRotateBody({ gracePeriod: '0' })).toEqual({ gracePeriodSeconds: 0 });
    expect(buildRotateBody({})).toEqual({});
  });

  it('rejects a negative grace period', () => {
    expect(() => buildRotateBody({ gracePeriod: '-1' })).toThrow(UsageError);
  });
});

describe('resolveEndpoint / isLocalEndpoint', () => {
  it('prefers --endpoint, then KEYGATE_ENDPOINT, then PORT, then port 3000', () => {
    const env = { KEYGATE_ENDPOINT: 'https://api.example.com/prod/', PORT: '4000' };
    expect(resolveEndpoint('http://localhost:8080', env)).toBe('http://localhost:8080');
    expect(resolveEndpoint(undefined, env)).toBe('https://api.example.com/prod');
    expect(resolveEndpoint(undefined, { PORT: '4000' })).toBe('http://127.0.0.1:4000');
    expect(resolveEndpoint(undefined, {})).toBe('http://127.0.0.1:3000');
  });

  it.each(['ftp://example.com', 'not a url', 'http://x/?a=1'])('rejects an endpoint that is not a plain http(s) URL %j', (raw) => {
    expect(() => resolveEndpoint(raw, {})).toThrow(UsageError);
  });

  it('rejects a PORT that is not a number', () => {
    expect(() => resolveEndpoint(undefined, { PORT: 'abc' })).toThrow('PORT must be a whole number');
  });

  it('treats only loopback hosts as local', () => {
    expect(isLocalEndpoint('http://127.0.0.1:3000')).toBe(true);
    expect(isLocalEndpoint('http://localhost:3000')).toBe(true);
    expect(isLocalEndpoint('http://[::1]:3000')).toBe(true);
    expect(isLocalEndpoint('https://api.example.com')).toBe(false);
    expect(isLocalEndpoint('http://127.0.0.1.nip.io')).toBe(false);
  });
});

describe('resolveApiKey', () => {
  const home = '/srv/keygate';
  const files = new Map([['/srv/keygate/admin.key', '  kg_live_fromfile\n']]);
  const readFile = (p: string): string | undefined => files.get(p);

  it('prefers --api-key, then KEYGATE_API_KEY, then the trimmed local admin.key', () => {
    const base = { home, readFile, endpoint: 'http://127.0.0.1:3000' };
    expect(resolveApiKey({ ...base, flag: 'kg_flag', env: { KEYGATE_API_KEY: 'kg_env' } })).toEqual({ key: 'kg_flag', source: '--api-key' });
    expect(resolveApiKey({ ...base, flag: undefined, env: { KEYGATE_API_KEY: ' kg_env ' } })).toEqual({ key: 'kg_env', source: 'KEYGATE_API_KEY' });
    expect(resolveApiKey({ ...base, flag: undefined, env: {} })).toEqual({ key: 'kg_live_fromfile', source: 'admin.key' });
  });

  it('rejects a remote endpoint with no key instead of reading the local admin.key', () => {
    expect(() => resolveApiKey({ flag: undefined, env: {}, endpoint: 'https://api.example.com', home, readFile })).toThrow(
      'no API key: pass --api-key or set KEYGATE_API_KEY',
    );
  });

  it('rejects a local endpoint whose admin.key is missing, naming the file and bootstrap', () => {
    expect(() =>
      resolveApiKey({ flag: undefined, env: {}, endpoint: 'http://localhost:3000', home: '/nowhere', readFile }),
    ).toThrow(/\/nowhere\/admin\.key not found or empty — run `keygate bootstrap`/);
  });

  it('resolves KEYGATE_HOME, else ./.keygate, against the working directory', () => {
    expect(resolveHome(undefined, {}, '/work')).toBe('/work/.keygate');
    expect(resolveHome(undefined, { KEYGATE_HOME: 'state' }, '/work')).toBe('/work/state');
    expect(resolveHome('/abs', { KEYGATE_HOME: 'state' }, '/work')).toBe('/abs');
  });
});

describe('planBootstrap', () => {
  it('plans a local bootstrap by default', () => {
    expect(planBootstrap({}, { KEYGATE_HOME: '/h' }, '/cwd')).toEqual({ kind: 'local', home: '/h', force: false });
    expect(planBootstrap({ home: 'x', force: true }, {}, '/cwd')).toEqual({ kind: 'local', home: '/cwd/x', force: true });
  });

  it('plans an AWS bootstrap with only the options given', () => {
    expect(planBootstrap({ aws: true, tableName: 't', kmsKeyId: 'arn:k', region: 'eu-west-1' }, {}, '/')).toEqual({
      kind: 'aws',
      tableName: 't',
      kmsKeyId: 'arn:k',
      region: 'eu-west-1',
    });
  });

  it('carries the audit retention and the bus from the BootstrapCommand output', () => {
    expect(planBootstrap({ aws: true, tableName: 't', kmsKeyId: 'k', auditRetentionDays: '90', eventBusName: 'Keygate-events' }, {}, '/')).toMatchObject({
      kind: 'aws',
      auditRetentionDays: 90,
      eventBusName: 'Keygate-events',
    });
    expect(() => planBootstrap({ aws: true, tableName: 't', kmsKeyId: 'k', auditRetentionDays: '0' }, {}, '/')).toThrow('--audit-retention-days must be an integer from 1 to 3650');
    expect(() => planBootstrap({ aws: true, tableName: 't', kmsKeyId: 'k', auditRetentionDays: 'forever' }, {}, '/')).toThrow('--audit-retention-days');
    expect(() => planBootstrap({ eventBusName: 'b' }, {}, '/')).toThrow('--event-bus-name needs --aws');
  });

  it('rejects --aws without --table-name or --kms-key-id', () => {
    expect(() => planBootstrap({ aws: true, kmsKeyId: 'k' }, {}, '/')).toThrow('bootstrap --aws needs --table-name');
    expect(() => planBootstrap({ aws: true, tableName: 't' }, {}, '/')).toThrow('bootstrap --aws needs --kms-key-id');
  });

  it('rejects AWS options without --aws and local options with it', () => {
    expect(() => planBootstrap({ tableName: 't' }, {}, '/')).toThrow('--table-name needs --aws');
    expect(() => planBootstrap({ aws: true, tableName: 't', kmsKeyId: 'k', force: true }, {}, '/')).toThrow(
      '--force applies to a local bootstrap',
    );
  });
});

describe('describeFailure / redact', () => {
  it('maps usage errors to exit 2 and API and network errors to exit 1', () => {
    expect(describeFailure(new UsageError('bad flag'))).toEqual({ line: 'bad flag', exitCode: 2 });
    expect(describeFailure(new ApiError({ status: 404, code: 'key_not_found', detail: 'No such key.' }))).toEqual({
      line: '404 key_not_found: No such key.',
      exitCode: 1,
    });
    expect(describeFailure(new ConnectionError('http://127.0.0.1:3000', 'ECONNREFUSED'))).toEqual({
      line: 'cannot reach http://127.0.0.1:3000 (ECONNREFUSED) — is `npm start` running?',
      exitCode: 1,
    });
    expect(describeFailure(new ConnectionError('https://api.example.com', 'ENOTFOUND')).line).toBe(
      'cannot reach https://api.example.com (ENOTFOUND)',
    );
  });

  it('removes the key from a message', () => {
    expect(redact('rejected kg_live_secret123 twice: kg_live_secret123', 'kg_live_secret123')).toBe(
      'rejected [redacted] twice: [redacted]',
    );
  });
});

describe('keygate as a child process', () => {
  const launcher = resolve(fileURLToPath(import.meta.url), '../../../bin/keygate.js');
  // A clean environment so a developer's KEYGATE_* or PORT cannot change the outcome.
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('KEYGATE_') && k !== 'PORT'),
  ) as NodeJS.ProcessEnv;
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      const cwd = mkdtempSync(join(tmpdir(), 'keygate-cli-'));
      execFile(process.execPath, [launcher, ...args], { cwd, env: { ...cleanEnv, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
        done({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
      });
    });

  it('prints help listing every command and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['bootstrap', 'create-key', 'list-keys', 'get-key', 'update-key', 'revoke-key', 'rotate-key', 'whoami', 'scopes']) {
      expect(r.stdout).toContain(cmd);
    }
    expect(r.stderr).toBe('');
  }, 30_000);

  it('rejects an unreachable endpoint with exit 1 and one stderr line that does not contain the key', async () => {
    const apiKey = 'kg_test_doNotPrintThisSecret';
    const r = await run(['get-key', 'key_1', '--endpoint', 'http://127.0.0.1:9', '--api-key', apiKey]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^keygate: cannot reach http:\/\/127\.0\.0\.1:9 .*\n$/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain(apiKey);
  }, 30_000);

  it('rejects a bad flag value with exit 2 before any request', async () => {
    const r = await run(['create-key', '--name', 'x', '--rate-limit', '100', '--api-key', 'kg_x', '--endpoint', 'http://127.0.0.1:9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('keygate: --rate-limit must be <limit>/<windowSeconds>, e.g. 100/60 (got "100")\n');
  }, 30_000);

  it('rejects a local call with no admin.key with exit 2, pointing at bootstrap', async () => {
    const home = mkdtempSync(join(tmpdir(), 'keygate-home-'));
    const r = await run(['whoami'], { KEYGATE_HOME: home });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `keygate: no API key: ${join(home, 'admin.key')} not found or empty — run \`keygate bootstrap\`, or pass --api-key / set KEYGATE_API_KEY\n`,
    );
  }, 30_000);
});
