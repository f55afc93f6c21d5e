/**
 * Generated files (tools/generate-docs.ts) are committed as the code renders them, so the docs
 * cannot drift from the code they describe. A failure means: run `npm run docs:generate` and
 * commit the result.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GENERATED_FILES, REPOSITORY_ROOT, staleFiles, writeGeneratedFiles } from '../../tools/generate-docs';
import { PROBLEM_CODES } from '../../core/problem-codes';
import { renderTroubleshooting } from '../../tools/troubleshooting';

describe('generated files', () => {
  it.each(GENERATED_FILES.map((f) => [f.path, f] as const))('%s is up to date', async (path, file) => {
    // Act
    const committed = readFileSync(join(REPOSITORY_ROOT, path), 'utf8');

    // Assess
    expect(committed === (await file.render()), `${path} is out of date: run npm run docs:generate (tsx tools/generate-docs.ts) and commit it`).toBe(true);
  });

  it('render the same text every time', async () => {
    for (const f of GENERATED_FILES) expect(await f.render(), f.path).toBe(await f.render());
  });
});

describe('the generator', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reports a file that differs or is missing, writes it, and then reports nothing', async () => {
    // Prepare: a scratch root where one file is stale and one is missing
    dir = mkdtempSync(join(tmpdir(), 'keygate-generated-'));
    const files = [
      { path: 'a.md', render: () => 'fresh\n' },
      { path: 'b.md', render: () => 'new\n' },
    ];
    writeFileSync(join(dir, 'a.md'), 'stale\n');

    // Act
    const before = await staleFiles(dir, files);
    const written = await writeGeneratedFiles(dir, files);
    const after = await staleFiles(dir, files);

    // Assess
    expect(before).toEqual(['a.md', 'b.md']);
    expect(written).toEqual(['a.md', 'b.md']);
    expect(readFileSync(join(dir, 'a.md'), 'utf8')).toBe('fresh\n');
    expect(after).toEqual([]);
    expect(await writeGeneratedFiles(dir, files)).toEqual([]);
  });
});

describe('docs/troubleshooting.md', () => {
  const page = renderTroubleshooting();

  it('has one section per problem code, its heading giving the anchor troubleshooting.md#<code>', () => {
    for (const code of Object.keys(PROBLEM_CODES)) expect(page.split('\n').filter((l) => l === `### \`${code}\``), code).toHaveLength(1);
  });

  it('links only to anchors it has', () => {
    // Prepare: GitHub's anchor for a heading of a code in backticks is the code itself
    const anchors = new Set([
      ...[...page.matchAll(/^### `([a-z0-9_]+)`$/gm)].map((m) => m[1]),
      ...[...page.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]),
      ...[...page.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')),
    ]);

    // Act
    const broken = [...page.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!).filter((a) => !anchors.has(a));

    // Assess
    expect(broken).toEqual([]);
  });

  it('shows example bodies that are valid JSON', () => {
    const blocks = [...page.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
    expect(blocks.length).toBe(Object.keys(PROBLEM_CODES).length + 1);
    for (const b of blocks) expect(() => JSON.parse(b) as unknown, b).not.toThrow();
  });

  it('is the target of every troubleshooting.md#<anchor> link in docs/', () => {
    // Prepare
    const anchors = new Set([
      ...[...page.matchAll(/^### `([a-z0-9_]+)`$/gm), ...page.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]!),
      ...[...page.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')),
    ]);
    const docs = readdirSync(join(REPOSITORY_ROOT, 'docs')).filter((f) => f.endsWith('.md'));

    // Act
    const broken = docs.flatMap((f) =>
      [...readFileSync(join(REPOSITORY_ROOT, 'docs', f), 'utf8').matchAll(/troubleshooting\.md#([A-Za-z0-9_-]+)/g)].map((m) => m[1]!).filter((a) => !anchors.has(a)).map((a) => `${f}: #${a}`),
    );

    // Assess
    expect(broken).toEqual([]);
  });
});
