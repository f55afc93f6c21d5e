/**
 * The console Lambda's app (lambdas/console/app.ts) over a directory on disk, and the build stamp
 * of tools/console-build.ts. Files only: no network, no Vite run.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleHandler, loadConsoleFiles } from '../../lambdas/console/app';
import { consoleSourceHash } from '../../tools/console-build';

let dir: string;
let outside: string;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00, 0xfe]);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keygate-console-app-'));
  outside = mkdtempSync(join(tmpdir(), 'keygate-console-outside-'));
  mkdirSync(join(dir, 'assets'));
  mkdirSync(join(dir, '.hidden'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  writeFileSync(join(dir, 'assets', 'logo-1a2b3c.png'), PNG);
  writeFileSync(join(dir, '.build-stamp'), 'x');
  writeFileSync(join(dir, '.hidden', 'a.js'), 'x');
  writeFileSync(join(outside, 'secret.txt'), 'outside the build');
  symlinkSync(join(outside, 'secret.txt'), join(dir, 'assets', 'linked-1a2b3c.txt'));
  symlinkSync(outside, join(dir, 'linked-dir'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const event = (path: string, resource: string, proxy?: string): APIGatewayProxyEvent =>
  ({ resource, path, httpMethod: 'GET', headers: {}, pathParameters: proxy ? { proxy } : null, requestContext: { requestId: 'req-1' } }) as unknown as APIGatewayProxyEvent;

describe('loadConsoleFiles', () => {
  it('reads the regular files of the build, leaving out dot files and directories and symbolic links', () => {
    expect([...loadConsoleFiles(dir).keys()].sort()).toEqual(['assets/logo-1a2b3c.png', 'index.html']);
  });

  it('reads a missing directory as an empty console', () => {
    expect(loadConsoleFiles(join(dir, 'nope')).size).toBe(0);
  });
});

describe('createConsoleHandler', () => {
  const handler = () => createConsoleHandler(loadConsoleFiles(dir));

  it('answers a binary file base64-encoded, the bytes unchanged', async () => {
    const res = await handler()(event('/console/assets/logo-1a2b3c.png', '/console/{proxy+}', 'assets/logo-1a2b3c.png'));
    expect(res.statusCode).toBe(200);
    expect(res.isBase64Encoded).toBe(true);
    expect(Buffer.from(res.body, 'base64').equals(PNG)).toBe(true);
    expect(res.headers!['Content-Type']).toBe('image/png');
  });

  it('answers text as text', async () => {
    const res = await handler()(event('/console/', '/console'));
    expect(res).toMatchObject({ statusCode: 200, isBase64Encoded: false, body: '<!doctype html>' });
  });

  it('answers a symbolic link out of the build with 404 and the request id', async () => {
    const res = await handler()(event('/console/assets/linked-1a2b3c.txt', '/console/{proxy+}', 'assets/linked-1a2b3c.txt'));
    expect(res.statusCode).toBe(404);
    expect(res.headers!['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ code: 'console_file_not_found', requestId: 'req-1' });
    expect(res.body).not.toContain('outside the build');
  });

  it('redirects /console with no body and the security headers', async () => {
    const res = await handler()(event('/console', '/console'));
    expect(res).toMatchObject({ statusCode: 301, body: '', headers: { Location: 'console/', 'X-Frame-Options': 'DENY' } });
  });
});

describe('consoleSourceHash (the build stamp)', () => {
  it('changes when an input changes and ignores the build output, dot files and node_modules', () => {
    // Prepare: a repository-shaped tree with the inputs the console build reads
    const root = mkdtempSync(join(tmpdir(), 'keygate-console-hash-'));
    try {
      mkdirSync(join(root, 'console', 'src'), { recursive: true });
      mkdirSync(join(root, 'console', 'dist'));
      mkdirSync(join(root, 'core'));
      writeFileSync(join(root, 'console', 'src', 'main.tsx'), 'a');
      writeFileSync(join(root, 'core', 'x.ts'), 'b');
      writeFileSync(join(root, 'package-lock.json'), '{}');
      const before = consoleSourceHash(root);

      // Act
      writeFileSync(join(root, 'console', 'dist', 'index.html'), 'built');
      writeFileSync(join(root, 'console', '.build.lock'), '123');
      const afterOutput = consoleSourceHash(root);
      writeFileSync(join(root, 'core', 'x.ts'), 'c');
      const afterEdit = consoleSourceHash(root);

      // Assess
      expect(afterOutput).toBe(before);
      expect(afterEdit).not.toBe(before);
      expect(before).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
