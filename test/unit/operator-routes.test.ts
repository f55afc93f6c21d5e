import { describe, expect, it } from 'vitest';
import {
  authorizationTable,
  encodeAuthorizationRules,
  fullRouteTable,
  parseOperatorRoutes,
  upstreamUrl,
} from '../../core/operator-routes';
import { parseTemplate, RouteTable } from '../../core/routes';

const SCOPES = ['admin', 'keys:read', 'keys:write', 'keys:verify', 'echo:read', 'orders:read', 'orders:write'];
const UP = 'https://orders.internal.example.com';

const route = (over: Record<string, unknown> = {}) => ({ path: '/orders/{id}', methods: ['GET'], scopes: ['orders:read'], upstream: `${UP}/orders/{id}`, ...over });
const parse = (entries: unknown) => parseOperatorRoutes(entries, SCOPES);

describe('parseOperatorRoutes', () => {
  it('expands each method into a route with defaults filled in', () => {
    // Act
    const routes = parse([route({ methods: ['GET', 'PUT'] }), route({ path: '/reports/{proxy+}', methods: ['ANY'], scopes: [], upstream: undefined, lambda: 'arn:aws:lambda:eu-west-1:123456789012:function:reports:live', cost: 5, timeoutMs: 5000, forwardCredentials: true })]);

    // Assess
    expect(routes).toHaveLength(3);
    expect(routes[0]).toMatchObject({ method: 'GET', path: '/orders/{id}', authorized: true, cost: 1, forwardCredentials: false, name: 'orders-id-get', source: 'keygate:routes[0] (GET,PUT /orders/{id})', target: { kind: 'upstream', url: `${UP}/orders/{id}` } });
    expect(routes[0]!.timeoutMs).toBeUndefined();
    expect(routes[1]).toMatchObject({ method: 'PUT', name: 'orders-id-put' });
    expect(routes[2]).toMatchObject({ method: 'ANY', cost: 5, timeoutMs: 5000, forwardCredentials: true, name: 'reports-proxy', target: { kind: 'lambda', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:reports:live' } });
  });

  it('accepts nothing configured', () => {
    expect(parse(undefined)).toEqual([]);
    expect(parse([])).toEqual([]);
  });

  it.each([
    ['a non-list', { path: '/x' }, /keygate:routes must be a list/],
    ['an entry that is not an object', ['/orders'], /keygate:routes\[0\] must be an object/],
    ['an unknown field', [route({ scope: 'x' })], /keygate:routes\[0\] \(GET \/orders\/\{id\}\): unknown field "scope"/],
    ['a path without a leading slash', [route({ path: 'orders' })], /path "orders" must start with "\/"/],
    ['a trailing slash', [route({ path: '/orders/' })], /must not end with "\/"/],
    ['an empty segment', [route({ path: '/orders//x', upstream: UP })], /empty segment/],
    ['a greedy parameter before the end', [route({ path: '/a/{proxy+}/b', upstream: UP })], /greedy parameter \{proxy\+\} before the last segment/],
    ['a malformed parameter', [route({ path: '/orders/{id', upstream: UP })], /malformed parameter segment "\{id"/],
    ['a parameter named twice', [route({ path: '/a/{id}/b/{id}', upstream: UP })], /names the parameter \{id\} twice/],
    ['a character API Gateway refuses', [route({ path: '/orders/a b', upstream: UP })], /characters API Gateway does not accept/],
    ['the root path', [route({ path: '/', upstream: UP })], /path "\/" is not allowed/],
    ['a parameter as first segment', [route({ path: '/{tenant}/orders', upstream: UP })], /first path segment must be literal/],
    ['Keygate\'s /v1', [route({ path: '/v1/orders', upstream: UP })], /collides with Keygate's own routes \(\/v1 is reserved/],
    ['Keygate\'s /health', [route({ path: '/health', upstream: UP })], /\/health is reserved/],
    ['no methods', [route({ methods: [] })], /methods must be a non-empty list/],
    ['an unknown method', [route({ methods: ['FETCH'] })], /method "FETCH" is not one of ANY, GET/],
    ['ANY with another method', [route({ methods: ['ANY', 'GET'] })], /"ANY" already covers every method/],
    ['a method twice', [route({ methods: ['GET', 'GET'] })], /lists a method twice/],
    ['an unknown scope', [route({ scopes: ['orders:delete'] })], /scope "orders:delete" is not defined; add it to keygate:scopes/],
    ['a malformed scope', [route({ scopes: ['Orders Read'] })], /scope "Orders Read" is not a well-formed scope name/],
    ['scopes missing', [route({ scopes: undefined })], /scopes must be a list/],
    ['both targets', [route({ lambda: 'arn:aws:lambda:eu-west-1:123456789012:function:f' })], /needs exactly one target/],
    ['no target', [route({ upstream: undefined })], /needs exactly one target/],
    ['an upstream that is not http(s)', [route({ upstream: 'ftp://files.example.com/{id}' })], /must use http or https/],
    ['an upstream that is not a URL', [route({ upstream: 'orders/{id}' })], /is not a URL/],
    ['an upstream placeholder that is not a path parameter', [route({ upstream: `${UP}/orders/{orderId}` })], /placeholder \{orderId\} is not a path parameter of the route \(it has \{id\}\)/],
    ['a placeholder in the host', [route({ upstream: 'https://{id}.example.com/orders' })], /placeholders may appear only in the URL path/],
    ['a query string in the upstream', [route({ upstream: `${UP}/orders/{id}?v=2` })], /must not have a query string/],
    ['credentials in the upstream URL', [route({ upstream: 'https://u:p@orders.example.com/{id}' })], /must not carry credentials/],
    ['a malformed Lambda ARN', [route({ upstream: undefined, lambda: 'reports' })], /lambda must be a Lambda function ARN/],
    ['localHandler on an upstream', [route({ localHandler: 'x.ts' })], /localHandler applies only to lambda targets/],
    ['a cost of 0', [route({ cost: 0 })], /cost must be an integer from 1 to 1000 \(got 0\)/],
    ['a fractional cost', [route({ cost: 1.5 })], /cost must be an integer/],
    ['a timeout past 29 s', [route({ timeoutMs: 30_000 })], /timeoutMs must be an integer from 50 to 29000/],
    ['forwardCredentials as a string', [route({ forwardCredentials: 'yes' })], /forwardCredentials must be true or false/],
    ['a bad name', [route({ name: '1st' })], /name must match/],
  ])('rejects %s, naming the entry', (_what, entries, message) => {
    expect(() => parse(entries)).toThrow(message);
  });

  it('rejects two routes for the same method and resource, also through differently named parameters', () => {
    expect(() => parse([route(), route({ path: '/orders/{id}', methods: ['GET', 'POST'], name: 'other' })])).toThrow(
      /keygate:routes\[1\] \(GET,POST \/orders\/\{id\}\): overlaps keygate:routes\[0\] \(GET \/orders\/\{id\}\): both serve GET/,
    );
    expect(() => parse([route(), route({ path: '/orders/{orderId}', upstream: `${UP}/o/{orderId}`, name: 'other' })])).toThrow(/overlaps keygate:routes\[0\]/);
  });

  it('rejects sibling parameters with different names (API Gateway allows one per level)', () => {
    expect(() => parse([route(), route({ path: '/orders/{orderId}/items', upstream: `${UP}/{orderId}`, name: 'items' })])).toThrow(
      /\{orderId\} and \{id\} \(keygate:routes\[0\].*\) are different parameters at the same level under "\/orders"/,
    );
  });

  it('accepts an explicit method next to ANY on the same resource (the explicit one wins) and a greedy route under a literal sibling', () => {
    const routes = parse([
      route({ methods: ['ANY'], scopes: ['orders:write'] }),
      route({ name: 'read' }),
      route({ path: '/orders/{id}/{proxy+}', methods: ['ANY'], upstream: `${UP}/{id}/{proxy}`, name: 'rest' }),
      route({ path: '/orders/export', upstream: `${UP}/export`, name: 'export' }),
    ]);
    const table = fullRouteTable(routes);
    expect(table.match('GET', '/orders/7')?.route).toMatchObject({ method: 'GET', scopes: ['orders:read'] });
    expect(table.match('DELETE', '/orders/7')?.route).toMatchObject({ method: 'ANY', scopes: ['orders:write'] });
    expect(table.match('GET', '/orders/export')?.route.path).toBe('/orders/export');
    expect(table.match('GET', '/orders/7/items/3')).toMatchObject({ route: { path: '/orders/{id}/{proxy+}' }, pathParameters: { id: '7', proxy: 'items/3' } });
  });

  it('rejects a greedy parameter next to a plain parameter at the same level (API Gateway: one variable per level)', () => {
    expect(() => parse([route(), route({ path: '/orders/{proxy+}', methods: ['ANY'], upstream: `${UP}/{proxy}`, name: 'rest' })])).toThrow(
      /\{proxy\+\} and \{id\} .* are different parameters at the same level/,
    );
  });

  it('rejects a duplicate name', () => {
    expect(() => parse([route({ name: 'orders' }), route({ path: '/carts', upstream: UP, name: 'orders' })])).toThrow(/name "orders" is already used by keygate:routes\[0\]/);
  });
});

describe('RouteTable.match (API Gateway precedence)', () => {
  const table = new RouteTable([
    { method: 'GET', path: '/files/{proxy+}' },
    { method: 'GET', path: '/files/{name}' },
    { method: 'GET', path: '/files/readme' },
    { method: 'ANY', path: '/files/{name}/meta' },
    { method: 'POST', path: '/files/{name}/meta' },
  ] as const);

  it('prefers a literal over a parameter over a greedy parameter', () => {
    expect(table.match('GET', '/files/readme')?.route.path).toBe('/files/readme');
    expect(table.match('GET', '/files/other')?.route.path).toBe('/files/{name}');
    expect(table.match('GET', '/files/a/b/c')).toMatchObject({ route: { path: '/files/{proxy+}' }, pathParameters: { proxy: 'a/b/c' } });
  });

  it('prefers an explicit method over ANY', () => {
    expect(table.match('POST', '/files/x/meta')?.route.method).toBe('POST');
    expect(table.match('PATCH', '/files/x/meta')?.route.method).toBe('ANY');
  });

  it('needs at least one segment for a greedy parameter, and does not fall back when the method is missing', () => {
    expect(table.match('GET', '/files')).toBeUndefined();
    expect(table.match('DELETE', '/files/other')).toBeUndefined();
  });

  it('finds a route by template as the authorizer sees it (explicit method, then ANY)', () => {
    expect(table.find('PUT', '/files/{name}/meta')?.method).toBe('ANY');
    expect(table.find('GET', '/files/{name}')?.path).toBe('/files/{name}');
    expect(table.find('GET', '/files/x')).toBeUndefined();
  });

  it('refuses the same method and resource twice', () => {
    expect(() => new RouteTable([{ method: 'GET', path: '/a' }, { method: 'GET', path: '/a' }])).toThrow(/GET \/a is listed twice/);
  });
});

describe('the authorizer\'s copy', () => {
  it('round-trips scopes and cost through the environment encoding, next to the built-in routes', () => {
    // Prepare
    const routes = parse([route({ cost: 3 }), route({ path: '/public', methods: ['ANY'], scopes: [], upstream: UP })]);

    // Act
    const table = authorizationTable(encodeAuthorizationRules(routes));

    // Assess
    expect(table.find('GET', '/orders/{id}')).toEqual({ method: 'GET', path: '/orders/{id}', authorized: true, scopes: ['orders:read'], cost: 3 });
    expect(table.find('DELETE', '/public')).toMatchObject({ scopes: [], cost: 1 });
    expect(table.find('POST', '/v1/keys')).toMatchObject({ scopes: ['keys:write'], cost: 1 });
    expect(table.find('GET', '/unknown')).toBeUndefined();
  });

  it('holds only what the authorizer needs: no upstream URL or function ARN', () => {
    const encoded = encodeAuthorizationRules(parse([route(), route({ path: '/r', upstream: undefined, lambda: 'arn:aws:lambda:eu-west-1:123456789012:function:r' })]));
    expect(encoded).toBe('[["GET","/orders/{id}","orders:read",1],["GET","/r","orders:read",1]]');
  });

  it('fails closed on a malformed encoding', () => {
    expect(() => authorizationTable('not json')).toThrow(/KEYGATE_ROUTES is not valid JSON/);
    expect(() => authorizationTable('[[1]]')).toThrow(/malformed entry/);
  });
});

describe('upstreamUrl', () => {
  it('encodes a parameter whole and a greedy parameter by segment, and appends the raw query', () => {
    expect(upstreamUrl('/orders/{id}', `${UP}/o/{id}`, { id: 'a b/c' }, '')).toBe(`${UP}/o/a%20b%2Fc`);
    expect(upstreamUrl('/files/{proxy+}', `${UP}/f/{proxy}`, { proxy: 'a b/c/d' }, 'x=1&y=%20')).toBe(`${UP}/f/a%20b/c/d?x=1&y=%20`);
  });

  it('parses a literal-only template and appends the query to an upstream without placeholders', () => {
    expect(parseTemplate('/a/b')).toEqual([{ kind: 'literal', value: 'a' }, { kind: 'literal', value: 'b' }]);
    expect(upstreamUrl('/a/b', `${UP}/x`, {}, 'q=1')).toBe(`${UP}/x?q=1`);
  });
});
