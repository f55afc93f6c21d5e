/** What an upstream receives and what comes back: the header rules of API Gateway's HTTP proxy integration, as the local stack applies them. */
import { describe, expect, it } from 'vitest';
import { REDACTED_CREDENTIAL } from '../../core/authorizer-context';
import { passedBackHeaders, upstreamQuery, upstreamRequestHeaders } from '../../local/upstream-proxy';

const authorizer = { keyId: 'key_1', ownerId: 'acme', scopes: 'orders:read orders:write', rateLimitLimit: '10', rateLimitRemaining: '9', rateLimitReset: '1900000000', rateLimitPolicy: '"rate";q=10;w=60;keygate-policy="fixed"', rateLimitState: '"rate";r=9;t=42', environment: 'live' };

describe('upstreamRequestHeaders', () => {
  it('drops what API Gateway drops, replaces client copies of Keygate headers and redacts credentials', () => {
    const out = upstreamRequestHeaders({
      requestId: 'r',
      forwardCredentials: false,
      authorizer,
      headers: {
        host: 'api.example.com',
        authorization: 'Bearer kg_live_secret',
        'X-API-Key': 'kg_live_other',
        'x-keygate-key-id': 'key_spoofed',
        'X-RateLimit-Remaining': '1000000',
        ratelimit: '"rate";r=1000000;t=0',
        expect: '100-continue',
        'transfer-encoding': 'chunked',
        via: '1.1 proxy',
        te: 'trailers',
        'content-md5': 'x',
        'accept-language': 'en',
        'set-me': ['a', 'b'],
      },
    });
    expect(out).toEqual({
      authorization: REDACTED_CREDENTIAL,
      'x-api-key': REDACTED_CREDENTIAL,
      'accept-language': 'en',
      'set-me': ['a', 'b'],
      'x-keygate-key-id': 'key_1',
      'x-keygate-owner-id': 'acme',
      'x-keygate-scopes': 'orders:read orders:write',
      'x-ratelimit-limit': '10',
      'x-ratelimit-remaining': '9',
      'x-ratelimit-reset': '1900000000',
      'ratelimit-policy': '"rate";q=10;w=60;keygate-policy="fixed"',
      ratelimit: '"rate";r=9;t=42',
    });
  });

  it('forwards the caller\'s credentials when the route sets forwardCredentials', () => {
    const out = upstreamRequestHeaders({ requestId: 'r', forwardCredentials: true, authorizer, headers: { Authorization: 'Bearer kg_live_secret' } });
    expect(out.authorization).toBe('Bearer kg_live_secret');
    expect(out['x-api-key']).toBeUndefined();
  });

  it('leaves a rate-limit header out when the key has no limit (empty context value)', () => {
    const out = upstreamRequestHeaders({ requestId: 'r', forwardCredentials: false, authorizer: { ...authorizer, rateLimitLimit: '', rateLimitRemaining: '', rateLimitReset: '', rateLimitPolicy: '', rateLimitState: '' }, headers: {} });
    expect(Object.keys(out).filter((h) => h.startsWith('x-ratelimit') || h.startsWith('ratelimit'))).toEqual([]);
  });
});

describe('upstreamQuery', () => {
  it('passes the query unchanged unless keys may travel in it', () => {
    expect(upstreamQuery('a=1&api_key=kg_live_x', false, false)).toBe('a=1&api_key=kg_live_x');
    expect(upstreamQuery('a=1&api_key=kg_live_x&b=%20', false, true)).toBe(`a=1&api_key=${REDACTED_CREDENTIAL}&b=%20`);
    expect(upstreamQuery('a=1', false, true)).toBe(`a=1&api_key=${REDACTED_CREDENTIAL}`);
    expect(upstreamQuery('api_key=kg_live_x', true, true)).toBe('api_key=kg_live_x');
  });
});

describe('passedBackHeaders', () => {
  it('drops hop-by-hop headers and remaps the ones API Gateway renames', () => {
    expect(
      passedBackHeaders({ 'content-type': 'text/plain', 'transfer-encoding': 'chunked', connection: 'keep-alive', server: 'nginx', date: 'x', 'www-authenticate': 'Basic', 'set-cookie': ['a=1', 'b=2'] }),
    ).toEqual({
      'content-type': 'text/plain',
      'x-amzn-remapped-server': 'nginx',
      'x-amzn-remapped-date': 'x',
      'x-amzn-remapped-www-authenticate': 'Basic',
      'set-cookie': ['a=1', 'b=2'],
    });
  });
});
