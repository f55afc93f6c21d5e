/**
 * The console Lambda's app: the built files, read once, and the mapping from an API Gateway proxy
 * event to core/console-assets.ts and back. The Lambda entry (handler.ts) and the local stack
 * build it the same way, each from its own copy of the build.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROBLEM_CONTENT_TYPE } from '../../core/gateway-responses';
import { answerConsole, CONSOLE_SECURITY_HEADERS, consoleFile, type ConsoleFile, type ConsoleFiles } from '../../core/console-assets';

export type ConsoleHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/**
 * Every regular file under `dir`, by its path relative to `dir` with `/` separators. Dot files
 * and dot directories (the build stamp) are left out, and symbolic links are not followed: only
 * what the build wrote is ever served. A missing directory is an empty console (every request
 * then answers 404 `console_file_not_found`).
 */
export function loadConsoleFiles(dir: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  const walk = (abs: string, rel: string): void => {
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(abs, e.name), name);
      else if (e.isFile()) files.set(name, consoleFile(name, readFileSync(join(abs, e.name))));
    }
  };
  walk(dir, '');
  return files;
}

/** The handler of the console routes over `files`. */
export function createConsoleHandler(files: ConsoleFiles): ConsoleHandler {
  return async (event) => {
    const requestId = event.requestContext?.requestId;
    const answer = answerConsole({ resource: event.resource, path: event.path ?? '', proxy: event.pathParameters?.proxy ?? null }, files, requestId);
    switch (answer.kind) {
      case 'redirect':
        return { statusCode: 301, headers: { ...CONSOLE_SECURITY_HEADERS, Location: answer.location, 'Cache-Control': 'no-store' }, body: '' };
      case 'not_found':
        return {
          statusCode: 404,
          headers: { ...CONSOLE_SECURITY_HEADERS, 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store' },
          body: JSON.stringify(answer.problem),
        };
      case 'file': {
        const { file } = answer;
        const bytes = Buffer.from(file.body.buffer, file.body.byteOffset, file.body.byteLength);
        return {
          statusCode: 200,
          headers: { ...CONSOLE_SECURITY_HEADERS, 'Content-Type': file.contentType, 'Cache-Control': file.cacheControl },
          // The API's binaryMediaTypes is */*: base64 bodies reach the browser as bytes.
          ...(file.text ? { body: bytes.toString('utf8'), isBase64Encoded: false } : { body: bytes.toString('base64'), isBase64Encoded: true }),
        };
      }
    }
  };
}
