/** tools/include-examples.ts, and docs/authenticating.md showing exactly the example files test/http/examples.test.ts runs. */
import { describe, expect, it } from 'vitest';
import { INCLUDE_REFRESHED_FILES, IncludeError, includeResults, readRepoFile, renderIncludes } from '../../tools/include-examples';

const files: Record<string, string> = { 'examples/a.sh': 'echo new\n', 'examples/b.py': 'print("x")', 'examples/c.md': 'a ``` fence\n' };
const read = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error(`no file ${path}`);
  return text;
};

describe('renderIncludes', () => {
  it('replaces a stale block with the file in a fence named after its language, and leaves the rest alone', () => {
    // Prepare
    const md = 'Intro\n\n<!-- include: examples/a.sh -->\n```bash\necho old\n```\n<!-- /include -->\n\nOutro\n';

    // Act
    const out = renderIncludes(md, read);

    // Assess
    expect(out).toBe('Intro\n\n<!-- include: examples/a.sh -->\n```bash\necho new\n```\n<!-- /include -->\n\nOutro\n');
  });

  it('is idempotent and fills an empty block, adding the missing final newline', () => {
    const md = '<!-- include: examples/b.py --><!-- /include -->';
    const once = renderIncludes(md, read);
    expect(once).toBe('<!-- include: examples/b.py -->\n```python\nprint("x")\n```\n<!-- /include -->');
    expect(renderIncludes(once, read)).toBe(once);
  });

  it('fences a file that contains ``` with a longer fence', () => {
    const out = renderIncludes('<!-- include: examples/c.md -->\n<!-- /include -->', read);
    expect(out).toBe('<!-- include: examples/c.md -->\n````\na ``` fence\n````\n<!-- /include -->');
  });

  it('refreshes several blocks and leaves markdown without markers unchanged', () => {
    const md = '<!-- include: examples/a.sh -->\nx\n<!-- /include -->\ntext\n<!-- include: examples/b.py -->\ny\n<!-- /include -->\n';
    const out = renderIncludes(md, read);
    expect(out).toContain('```bash\necho new\n```');
    expect(out).toContain('```python\nprint("x")\n```');
    expect(out).toContain('\ntext\n');
    expect(renderIncludes('no markers', read)).toBe('no markers');
  });

  it('rejects a marker without its closing marker', () => {
    expect(() => renderIncludes('<!-- include: examples/a.sh -->\n```\n```\n', read)).toThrow(IncludeError);
  });

  it('rejects an include that is not closed before the next one', () => {
    expect(() => renderIncludes('<!-- include: examples/a.sh -->\n<!-- include: examples/b.py -->\n<!-- /include -->', read)).toThrow(/not closed/);
  });

  it('rejects a path outside the repository', () => {
    expect(() => renderIncludes('<!-- include: ../secret.txt --><!-- /include -->', read)).toThrow(/inside the repository/);
    expect(() => renderIncludes('<!-- include: /etc/passwd --><!-- /include -->', read)).toThrow(/inside the repository/);
  });

  it('passes a file read error through', () => {
    expect(() => renderIncludes('<!-- include: examples/missing.sh --><!-- /include -->', read)).toThrow(/no file/);
  });
});

describe('docs that include example files', () => {
  it('are up to date with the files (run npx tsx tools/include-examples.ts to refresh)', () => {
    for (const r of includeResults()) expect(r.current, `${r.path} is out of date`).toBe(r.expected);
  });

  it('docs/authenticating.md includes every example test/http/examples.test.ts runs', () => {
    const doc = includeResults().find((r) => r.path === 'docs/authenticating.md');
    expect(doc).toBeDefined();
    for (const file of ['curl.sh', 'fetch.mjs', 'client.ts', 'python/call.py', 'verify.sh', 'python/verify.py']) {
      expect(doc!.current).toContain(`<!-- include: examples/callers/${file} -->`);
    }
  });

  it('registers each including doc as a { path, render } entry whose render is the refreshed doc', () => {
    expect(INCLUDE_REFRESHED_FILES.map((f) => f.path)).toEqual(includeResults().map((r) => r.path));
    for (const f of INCLUDE_REFRESHED_FILES) expect(f.render()).toBe(renderIncludes(readRepoFile(f.path), readRepoFile));
  });

  it('docs/authenticating.md links only to codes that docs/troubleshooting.md has a section for', () => {
    // Prepare
    const guide = readRepoFile('docs/authenticating.md');
    const troubleshooting = readRepoFile('docs/troubleshooting.md');

    // Act
    const linked = [...guide.matchAll(/troubleshooting\.md#([a-z0-9_-]+)/g)].map((m) => m[1]!);

    // Assess
    expect(linked.length).toBeGreaterThanOrEqual(10);
    for (const code of linked) expect(troubleshooting, code).toContain(`### \`${code}\``);
  });
});
