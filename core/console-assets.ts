/**
 * What the web console's server answers, as data: which built file a request names, its
 * Content-Type and caching, and the security headers every answer carries. The console Lambda
 * (lambdas/console) and the local stack run it over a map of the built files read once at cold
 * start, so a request can only ever name a file that is in that map: no request path reaches
 * the file system (no traversal, no symlink, no encoded dot can escape the build directory).
 *
 * The console routes its pages by URL hash (`#/keys`, `#/create`), so the server only ever
 * serves index.html and the hashed files under assets/; any other name is a 404 problem.
 */
import { problemBody, type ProblemBody } from './problem';

/** One built file of the console. */
export interface ConsoleFile {
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly cacheControl: string;
  /** Text types travel as text; everything else base64 (`isBase64Encoded`). */
  readonly text: boolean;
}

/**
 * The Content-Security-Policy of every console answer: only the console's own scripts, styles,
 * fonts and API (same origin), images also as data: URLs (uPlot draws to a canvas; icons may be
 * inlined), no inline script or style element, no framing, no plugins, no form posts elsewhere.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every console answer, files and problems alike. */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
};

/** index.html: never cached, so a deployment's new asset names are picked up at once. */
export const INDEX_CACHE_CONTROL = 'no-store';
/** Files under assets/ carry a content hash in their name (Vite): a name never changes content. */
export const HASHED_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Any other file (favicon and the like): revalidated on each use. */
export const OTHER_CACHE_CONTROL = 'no-cache';

const TYPES: Readonly<Record<string, { readonly type: string; readonly text: boolean }>> = {
  html: { type: 'text/html; charset=utf-8', text: true },
  js: { type: 'text/javascript; charset=utf-8', text: true },
  mjs: { type: 'text/javascript; charset=utf-8', text: true },
  css: { type: 'text/css; charset=utf-8', text: true },
  json: { type: 'application/json', text: true },
  map: { type: 'application/json', text: true },
  webmanifest: { type: 'application/manifest+json', text: true },
  txt: { type: 'text/plain; charset=utf-8', text: true },
  svg: { type: 'image/svg+xml', text: true },
  png: { type: 'image/png', text: false },
  jpg: { type: 'image/jpeg', text: false },
  jpeg: { type: 'image/jpeg', text: false },
  gif: { type: 'image/gif', text: false },
  webp: { type: 'image/webp', text: false },
  ico: { type: 'image/x-icon', text: false },
  woff: { type: 'font/woff', text: false },
  woff2: { type: 'font/woff2', text: false },
};
const OCTET_STREAM = { type: 'application/octet-stream', text: false } as const;

/** Content-Type of a file name, and whether it is text. */
export function contentTypeOf(name: string): { readonly type: string; readonly text: boolean } {
  const dot = name.lastIndexOf('.');
  const ext = dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
  return Object.hasOwn(TYPES, ext) ? TYPES[ext]! : OCTET_STREAM;
}

/** Cache-Control of a built file, by its name relative to the build directory. */
export function cacheControlOf(name: string): string {
  if (name === 'index.html') return INDEX_CACHE_CONTROL;
  if (name.startsWith('assets/')) return HASHED_CACHE_CONTROL;
  return OTHER_CACHE_CONTROL;
}

/** A file as served, from its name and bytes. */
export function consoleFile(name: string, body: Uint8Array): ConsoleFile {
  const { type, text } = contentTypeOf(name);
  return { body, contentType: type, cacheControl: cacheControlOf(name), text };
}

/** Longest file name (relative path) looked up; longer requests are refused before any work. */
export const MAX_CONSOLE_PATH = 200;
/** A name segment: no leading dot (no `..`, no dot files such as the build stamp), no `%`, `\`, NUL or space. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_DEPTH = 4;

/**
 * The built file a `{proxy+}` value names, or undefined when it cannot name one. The value may
 * arrive decoded (`../x`) or still encoded (`..%2Fx`, `%00`): both fail the segment rule.
 */
export function consoleFileName(proxy: string | undefined | null): string | undefined {
  if (typeof proxy !== 'string' || proxy.length === 0 || proxy.length > MAX_CONSOLE_PATH) return undefined;
  const segments = proxy.split('/');
  if (segments.length > MAX_DEPTH) return undefined;
  // A trailing slash (`/console/assets/`) names a directory: nothing is served for it.
  return segments.every((s) => SEGMENT.test(s)) ? segments.join('/') : undefined;
}

/** What the console's server asks of a request (from an API Gateway proxy event). */
export interface ConsoleRequest {
  /** `/console` or `/console/{proxy+}`: the matched resource. */
  readonly resource: string;
  /** The request path as the client sent it, without the stage (`event.path`). */
  readonly path: string;
  /** The `{proxy+}` parameter of `/console/{proxy+}`. */
  readonly proxy?: string | null;
}

export type ConsoleAnswer =
  | { readonly kind: 'file'; readonly name: string; readonly file: ConsoleFile }
  /** `/console` without the slash: relative asset URLs need the directory form. */
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'not_found'; readonly problem: ProblemBody };

/** Built files by name relative to the build directory (`index.html`, `assets/index-3f2a.js`). */
export type ConsoleFiles = ReadonlyMap<string, ConsoleFile>;

function notFound(detail: string, requestId?: string): ConsoleAnswer {
  return { kind: 'not_found', problem: problemBody(404, 'console_file_not_found', detail, requestId ? { requestId } : {}) };
}

/**
 * The answer to one console request.
 * - `/console` → 301 to `console/`, relative, so a stage (`/prod/console`) or a custom domain's
 *   base path is kept; `/console/` (API Gateway routes it to the same resource, the path keeps its
 *   slash) → index.html. `index.html` by name too.
 * - `/console/<name>` → that built file, if the build has one of that exact name.
 */
export function answerConsole(req: ConsoleRequest, files: ConsoleFiles, requestId?: string): ConsoleAnswer {
  let name: string | undefined;
  if (req.resource === '/console') {
    if (!req.path.endsWith('/')) return { kind: 'redirect', location: 'console/' };
    name = 'index.html';
  } else {
    name = consoleFileName(req.proxy);
  }
  const file = name === undefined ? undefined : files.get(name);
  if (name === undefined || !file) {
    if (name === 'index.html') return notFound('The console is not built into this deployment (run npm start, or cdk synth, to build it).', requestId);
    return notFound('The console has no file of this name. Its pages are addressed after the # (e.g. /console/#/keys).', requestId);
  }
  return { kind: 'file', name, file };
}

/** Overrides where the console Lambda reads the built files (tests); by default `console/` beside the bundle. */
export const CONSOLE_DIR_ENV = 'KEYGATE_CONSOLE_DIR';
