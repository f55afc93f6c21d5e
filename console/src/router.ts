/**
 * Client-side routes by URL hash (#/keys, #/keys/<id>, #/create, #/audit), so the server only ever
 * serves index.html and hashed assets. No key or secret is ever part of a route.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { readonly page: 'keys' }
  | { readonly page: 'key'; readonly id: string }
  | { readonly page: 'create' }
  | { readonly page: 'audit' }
  | { readonly page: 'not-found'; readonly path: string };

const KEY_ID = /^key_[0-9A-Za-z]{1,64}$/;

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/' || path === '/keys') return { page: 'keys' };
  if (path === '/create') return { page: 'create' };
  if (path === '/audit') return { page: 'audit' };
  const m = /^\/keys\/([^/]+)$/.exec(path);
  if (m && KEY_ID.test(m[1]!)) return { page: 'key', id: m[1]! };
  return { page: 'not-found', path };
}

export const href = {
  keys: '#/keys',
  key: (id: string) => `#/keys/${encodeURIComponent(id)}`,
  create: '#/create',
  audit: '#/audit',
} as const;

export function navigate(to: string): void {
  window.location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
