/**
 * Lambda entry of the web console: the built files are bundled next to this module (lib/console.ts
 * copies console/dist to `console/` in the asset) and read once per container, at cold start.
 */
import { fileURLToPath } from 'node:url';
import { CONSOLE_DIR_ENV } from '../../core/console-assets';
import { createConsoleHandler, loadConsoleFiles } from './app';

const dir = process.env[CONSOLE_DIR_ENV] ?? fileURLToPath(new URL('./console/', import.meta.url));
const files = loadConsoleFiles(dir);
if (!files.has('index.html')) {
  // A bundling fault, not a request's: say so once in the log; requests answer 404 console_file_not_found.
  console.error(JSON.stringify({ level: 'error', service: 'keygate-console', message: 'console build missing from the function asset', dir, files: files.size }));
}

export const handler = createConsoleHandler(files);
