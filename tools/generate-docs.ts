/**
 * Files generated from the code, committed so they can be read on GitHub and reviewed in diffs.
 * `tsx tools/generate-docs.ts` (npm run docs:generate) writes them; `--check` writes nothing and
 * exits 1 listing the files that differ from what the code renders (CI and
 * test/unit/generated-docs.test.ts use it). Add a generated file by adding an entry here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openApiDocument } from '../core/api-contract';
import { renderApiReference } from './api-reference';
import { renderClientTypes } from './client-types';
import { INCLUDE_REFRESHED_FILES } from './include-examples';
import { renderTroubleshooting } from './troubleshooting';

export interface GeneratedFile {
  /** Path from the repository root. */
  readonly path: string;
  /** The whole file; must be deterministic (no clock, no randomness, no machine paths). */
  readonly render: () => string | Promise<string>;
}

export const GENERATED_FILES: readonly GeneratedFile[] = [
  { path: 'docs/troubleshooting.md', render: renderTroubleshooting },
  // The document GET /v1/openapi.json serves, without operator routes and with the default servers.
  { path: 'docs/openapi.json', render: () => `${JSON.stringify(openApiDocument(), null, 2)}\n` },
  // Field tables of every operation and schema, from that document.
  { path: 'docs/api-reference.md', render: renderApiReference },
  // The client package's types, from that document (openapi-typescript).
  { path: 'packages/client/src/openapi.ts', render: renderClientTypes },
  // The caller guide's code blocks, copied from the tested example files.
  ...INCLUDE_REFRESHED_FILES,
];

export const REPOSITORY_ROOT = join(import.meta.dirname, '..');

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The registered files whose committed content differs from what the code renders (missing ones included). */
export async function staleFiles(root: string = REPOSITORY_ROOT, files: readonly GeneratedFile[] = GENERATED_FILES): Promise<string[]> {
  const stale: string[] = [];
  for (const f of files) if (readOrUndefined(join(root, f.path)) !== (await f.render())) stale.push(f.path);
  return stale;
}

/** Writes the files that changed; returns their paths. */
export async function writeGeneratedFiles(root: string = REPOSITORY_ROOT, files: readonly GeneratedFile[] = GENERATED_FILES): Promise<string[]> {
  const written: string[] = [];
  for (const f of files) {
    const text = await f.render();
    if (readOrUndefined(join(root, f.path)) === text) continue;
    writeFileSync(join(root, f.path), text);
    written.push(f.path);
  }
  return written;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--check')) {
    const stale = await staleFiles();
    if (stale.length === 0) return 0;
    process.stderr.write(`Generated files out of date (run npm run docs:generate):\n${stale.map((p) => `  ${p}\n`).join('')}`);
    return 1;
  }
  const written = await writeGeneratedFiles();
  process.stdout.write(written.length === 0 ? 'Generated files up to date.\n' : written.map((p) => `wrote ${p}\n`).join(''));
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
