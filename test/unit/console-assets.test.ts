import { describe, expect, it } from 'vitest';
import {
  answerConsole,
  cacheControlOf,
  CONSOLE_CSP,
  consoleFile,
  consoleFileName,
  type ConsoleFiles,
  contentTypeOf,
  HASHED_CACHE_CONTROL,
  INDEX_CACHE_CONTROL,
  MAX_CONSOLE_PATH,
} from '../../core/console-assets';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const FILES: ConsoleFiles = new Map([
  ['index.html', consoleFile('index.html', bytes('<!doctype html>'))],
  ['assets/index-3f2a9c.js', consoleFile('assets/index-3f2a9c.js', bytes('export {}'))],
  ['favicon.svg', consoleFile('favicon.svg', bytes('<svg/>'))],
]);
const asset = (proxy: string | null | undefined) => answerConsole({ resource: '/console/{proxy+}', path: `/console/${proxy ?? ''}`, proxy }, FILES);

describe('console files', () => {
  it('types files by extension, text or binary, and unknown ones as octet-stream', () => {
    expect(contentTypeOf('index.html')).toEqual({ type: 'text/html; charset=utf-8', text: true });
    expect(contentTypeOf('assets/a-1.js')).toEqual({ type: 'text/javascript; charset=utf-8', text: true });
    expect(contentTypeOf('assets/a-1.CSS').type).toBe('text/css; charset=utf-8');
    expect(contentTypeOf('assets/font-1.woff2')).toEqual({ type: 'font/woff2', text: false });
    expect(contentTypeOf('assets/logo-1.png')).toEqual({ type: 'image/png', text: false });
    expect(contentTypeOf('README')).toEqual({ type: 'application/octet-stream', text: false });
    expect(contentTypeOf('x.constructor')).toEqual({ type: 'application/octet-stream', text: false });
  });

  it('never caches index.html, caches hashed assets for a year, revalidates the rest', () => {
    expect(cacheControlOf('index.html')).toBe(INDEX_CACHE_CONTROL);
    expect(INDEX_CACHE_CONTROL).toBe('no-store');
    expect(cacheControlOf('assets/index-3f2a9c.js')).toBe(HASHED_CACHE_CONTROL);
    expect(HASHED_CACHE_CONTROL).toBe('public, max-age=31536000, immutable');
    expect(cacheControlOf('favicon.svg')).toBe('no-cache');
  });

  it('has a CSP with no inline script or style, no framing and only its own origin', () => {
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("style-src 'self'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CSP).toContain("default-src 'none'");
    expect(CONSOLE_CSP).not.toContain('unsafe');
  });
});

describe('consoleFileName', () => {
  it('accepts built file names', () => {
    expect(consoleFileName('index.html')).toBe('index.html');
    expect(consoleFileName('assets/index-3f2a9c.js')).toBe('assets/index-3f2a9c.js');
  });

  it.each([
    ['a parent segment', '../package.json'],
    ['a parent segment deeper', 'assets/../../package.json'],
    ['an encoded slash left encoded', '..%2f..%2fpackage.json'],
    ['an encoded dot left encoded', '%2e%2e/package.json'],
    ['a double-encoded dot', '%252e%252e/package.json'],
    ['a NUL', 'index.html\u0000.js'],
    ['an encoded NUL', '%00'],
    ['a backslash', '..\\package.json'],
    ['a dot file (the build stamp)', '.build-stamp'],
    ['an empty segment', 'assets//index.js'],
    ['a trailing slash', 'assets/'],
    ['an absolute path', '/etc/passwd'],
    ['an over-long path', 'a'.repeat(MAX_CONSOLE_PATH + 1)],
    ['too many segments', 'a/b/c/d/e.js'],
    ['nothing', ''],
  ])('rejects %s', (_what, proxy) => {
    expect(consoleFileName(proxy)).toBeUndefined();
  });

  it('rejects a missing parameter', () => {
    expect(consoleFileName(undefined)).toBeUndefined();
    expect(consoleFileName(null)).toBeUndefined();
  });
});

describe('answerConsole', () => {
  it('redirects /console to console/, relative, so a stage prefix is kept', () => {
    expect(answerConsole({ resource: '/console', path: '/console' }, FILES)).toEqual({ kind: 'redirect', location: 'console/' });
  });

  it('serves index.html at /console/ and by name', () => {
    const root = answerConsole({ resource: '/console', path: '/console/' }, FILES);
    expect(root).toMatchObject({ kind: 'file', name: 'index.html', file: { contentType: 'text/html; charset=utf-8', cacheControl: 'no-store' } });
    expect(asset('index.html')).toMatchObject({ kind: 'file', name: 'index.html' });
  });

  it('serves a hashed asset with its type and a year of caching', () => {
    expect(asset('assets/index-3f2a9c.js')).toMatchObject({ kind: 'file', file: { contentType: 'text/javascript; charset=utf-8', cacheControl: HASHED_CACHE_CONTROL } });
  });

  it('answers a name the build does not have with 404 console_file_not_found, naming the hash routing', () => {
    const answer = asset('keys');
    expect(answer).toMatchObject({ kind: 'not_found', problem: { status: 404, code: 'console_file_not_found' } });
    expect(answer.kind === 'not_found' && answer.problem.detail).toContain('#');
  });

  it('answers a traversal attempt with the same 404, whatever the map holds', () => {
    const withOutside: ConsoleFiles = new Map([...FILES, ['../package.json', consoleFile('package.json', bytes('{}'))]]);
    const answer = answerConsole({ resource: '/console/{proxy+}', path: '/console/..%2fpackage.json', proxy: '../package.json' }, withOutside);
    expect(answer).toMatchObject({ kind: 'not_found', problem: { code: 'console_file_not_found' } });
  });

  it('says the console is not built when index.html is missing', () => {
    const answer = answerConsole({ resource: '/console', path: '/console/' }, new Map(), 'req-1');
    expect(answer).toMatchObject({ kind: 'not_found', problem: { code: 'console_file_not_found', requestId: 'req-1' } });
    expect(answer.kind === 'not_found' && answer.problem.detail).toMatch(/not built/);
  });
});
