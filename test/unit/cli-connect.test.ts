/** How the CLI uses the client package: one attempt per call, its own User-Agent, the key only in Authorization. */
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { CLI_USER_AGENT } from '../../cli/connect';

const API_KEY = 'kg_test_cliConnectKey00000000000000000000000000000000000';

/** Runs `keygate <args>` with a fetch that answers `status` and records each request. */
async function run(args: string[], status: number, body: unknown, headers: Record<string, string> = {}) {
  const calls: { url: string; headers: Headers }[] = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), headers: new Headers(init?.headers) });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/problem+json', ...headers } });
  }) as typeof globalThis.fetch;
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'keygate', ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { KEYGATE_ENDPOINT: 'https://api.example.test/prod', KEYGATE_API_KEY: API_KEY },
    cwd: '/',
    fetch,
    sleep: async () => {
      throw new Error('the CLI must not wait to retry');
    },
  });
  return { code, stdout, stderr, calls };
}

describe('the CLI on @keygate/client', () => {
  it('fails at once on a 503 for a GET, without retrying, as before the package', async () => {
    // Act
    const r = await run(['get-key', 'key_1'], 503, { status: 503, code: 'service_unavailable', detail: 'Try again.' }, { 'retry-after': '1' });
    // Assess
    expect(r.code).toBe(1);
    expect(r.calls).toHaveLength(1);
    expect(r.stderr).toBe('keygate: 503 service_unavailable: Try again.\n');
  });

  it('sends its User-Agent and the key only as a Bearer header', async () => {
    const r = await run(['whoami'], 200, { keyId: 'key_1', ownerId: 'acme', scopes: [] });
    expect(r.code).toBe(0);
    expect(r.calls[0]!.url).toBe('https://api.example.test/prod/v1/whoami');
    expect(r.calls[0]!.headers.get('user-agent')).toBe(CLI_USER_AGENT);
    expect(r.calls[0]!.headers.get('authorization')).toBe(`Bearer ${API_KEY}`);
  });

  it('refuses a key a header cannot carry as a usage error, without printing it', async () => {
    const calls: unknown[] = [];
    let stderr = '';
    const code = await main(['node', 'keygate', 'whoami', '--api-key', 'kg_test_has space inside'], {
      stdout: () => undefined,
      stderr: (t) => void (stderr += t),
      env: { KEYGATE_ENDPOINT: 'https://api.example.test' },
      cwd: '/',
      fetch: (async () => {
        calls.push(1);
        return new Response('{}');
      }) as typeof globalThis.fetch,
    });
    expect(code).toBe(2);
    expect(calls).toEqual([]);
    expect(stderr).toBe('keygate: the API key must be visible ASCII characters without spaces\n');
    expect(stderr).not.toContain('has space');
  });
});
