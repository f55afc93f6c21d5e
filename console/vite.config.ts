/**
 * Build of the web console: `vite build --config console/vite.config.ts` writes console/dist
 * (gitignored), which the console Lambda bundles and serves at /console/ (same origin as the API).
 *
 * - `base: './'`: asset URLs are relative to index.html, so the same build works at
 *   http://127.0.0.1:3000/console/ and behind an API Gateway stage (https://…/prod/console/),
 *   where an absolute /console/ path would miss the stage prefix.
 * - No inline script or style anywhere (the CSP is `script-src 'self'; style-src 'self'`):
 *   CSS is emitted as files, nothing is inlined as a data: URI, hashed names for caching.
 * - core/validation.ts (the API's own request schemas) runs in the browser for the create form;
 *   the two Node built-ins core/ imports get browser stand-ins (src/shims).
 */
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  publicDir: here('public'),
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  resolve: {
    alias: {
      'node:net': here('src/shims/net.ts'),
      'node:crypto': here('src/shims/crypto.ts'),
    },
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  // `vite --config console/vite.config.ts` for working on the UI: API calls go to a running `npm start`.
  server: { host: '127.0.0.1', proxy: { '/v1': 'http://127.0.0.1:3000', '/health': 'http://127.0.0.1:3000' } },
});
