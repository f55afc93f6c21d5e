/**
 * Keeps code blocks in the docs identical to the tested example files. A block is marked
 *
 *   <!-- include: examples/callers/curl.sh -->
 *   ```bash
 *   …
 *   ```
 *   <!-- /include -->
 *
 * and `renderIncludes` replaces whatever sits between the markers with the file's current text
 * in a fenced block. test/unit/doc-includes.test.ts fails when a doc is out of date, so a doc
 * cannot show code the tests did not run.
 *
 *   npx tsx tools/include-examples.ts           # rewrite every doc in INCLUDING_DOCS
 *   npx tsx tools/include-examples.ts --check   # exit 1 and name the docs that are out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Docs (repo-relative) that contain include markers. */
export const INCLUDING_DOCS: readonly string[] = ['docs/authenticating.md'];

export class IncludeError extends Error {
  override readonly name = 'IncludeError';
}

const OPEN = /<!-- include: ([^\s]+) -->/g;
const CLOSE = '<!-- /include -->';

const LANGUAGES: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  sh: 'bash',
  bash: 'bash',
  mjs: 'js',
  js: 'js',
  ts: 'ts',
  py: 'python',
  json: 'json',
});

function language(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1);
  return LANGUAGES[ext] ?? '';
}

/** A fence longer than any run of backticks in the text, so the text cannot close it. */
function fenceFor(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** A repo-relative path that stays inside the repo (no absolute paths, no `..`). */
export function checkIncludePath(path: string): string {
  const n = normalize(path);
  if (isAbsolute(path) || n.split(sep).includes('..')) throw new IncludeError(`include path must stay inside the repository: ${path}`);
  return n;
}

/**
 * The markdown with every include block refreshed from `readFile(path)`. Throws IncludeError for
 * a marker without its closing `<!-- /include -->`, a nested marker, or a path outside the repo.
 */
export function renderIncludes(markdown: string, readFile: (path: string) => string): string {
  let out = '';
  let pos = 0;
  OPEN.lastIndex = 0;
  for (let m = OPEN.exec(markdown); m !== null; m = OPEN.exec(markdown)) {
    const path = checkIncludePath(m[1]!);
    const bodyStart = m.index + m[0].length;
    const close = markdown.indexOf(CLOSE, bodyStart);
    if (close === -1) throw new IncludeError(`no ${CLOSE} after the include of ${path}`);
    const nested = markdown.slice(bodyStart, close).search(/<!-- include: /);
    if (nested !== -1) throw new IncludeError(`include of ${path} is not closed before the next include`);
    const text = readFile(path);
    const body = text.endsWith('\n') ? text : `${text}\n`;
    const fence = fenceFor(body);
    out += markdown.slice(pos, bodyStart) + `\n${fence}${language(path)}\n${body}${fence}\n`;
    pos = close;
    OPEN.lastIndex = close + CLOSE.length;
  }
  return out + markdown.slice(pos);
}

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Reads a repo-relative file. */
export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, checkIncludePath(path)), 'utf8');
}

/** Each including doc: its current text and the text it should have. */
export function includeResults(): { path: string; current: string; expected: string }[] {
  return INCLUDING_DOCS.map((path) => {
    const current = readRepoFile(path);
    return { path, current, expected: renderIncludes(current, readRepoFile) };
  });
}

/**
 * The including docs as entries for tools/generate-docs.ts's registry (`{ path, render }`):
 * rendering a doc refreshes its include blocks from the files it names.
 */
export const INCLUDE_REFRESHED_FILES: readonly { readonly path: string; readonly render: () => string }[] = INCLUDING_DOCS.map((path) => ({
  path,
  render: () => renderIncludes(readRepoFile(path), readRepoFile),
}));

function main(args: readonly string[]): number {
  const check = args.includes('--check');
  const stale = includeResults().filter((r) => r.current !== r.expected);
  for (const r of stale) {
    if (check) console.error(`${r.path} is out of date: run npx tsx tools/include-examples.ts`);
    else {
      writeFileSync(join(REPO_ROOT, r.path), r.expected);
      console.log(`updated ${r.path}`);
    }
  }
  return check && stale.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
