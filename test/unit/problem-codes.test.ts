/**
 * The problem code catalogue (core/problem-codes.ts) against the code that answers with the codes.
 * The compiler already refuses an uncatalogued code passed to ProblemError/problemBody; this test
 * covers what it cannot see: literals in the authorizer's context, statuses that disagree with the
 * catalogue, gateway response templates, and dead entries (a code nothing raises any more).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { denialDetail } from '../../core/decision';
import { GATEWAY_RESPONSES } from '../../core/gateway-responses';
import { KEY_LIKE_PATTERN } from '../../core/key-format';
import { PROBLEM_CODE_FOR } from '../../core/limits';
import {
  FIELD_ERROR_CODES,
  type FieldErrorCode,
  isFieldErrorCode,
  isProblemCode,
  PROBLEM_CODES,
  type ProblemCode,
  type ProblemCodeEntry,
  problemCodeEntry,
  statusesOf,
} from '../../core/problem-codes';

const ROOT = join(import.meta.dirname, '..', '..');
/** Where Keygate's runtime code lives: everything that can answer a request (cli/ only builds requests). */
const SOURCE_DIRS = ['core', 'lambdas', 'local', 'adapters', 'lib', 'cli'] as const;
const CATALOGUE = 'core/problem-codes.ts';
const CODE = '[a-z][a-z0-9]*(?:_[a-z0-9]+)*';

interface Found {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  /** problem: a top-level code; field: an errors[].code; either: a `code:` member that may be both. */
  readonly kind: 'problem' | 'field' | 'either';
  readonly status?: number;
}

/** Calls that take (status, code) literally, and the code alone (`bodyProblem` is always 400). */
const PROBLEM_PATTERNS: readonly { readonly re: RegExp; readonly status?: number }[] = [
  { re: new RegExp(`\\bnew ProblemError\\(\\s*(\\d{3}),\\s*'(${CODE})'`, 'g') },
  { re: new RegExp(`\\bproblemBody\\(\\s*(\\d{3}),\\s*'(${CODE})'`, 'g') },
  { re: new RegExp(`\\bproblemResponse\\(\\s*(\\d{3}),\\s*'(${CODE})'`, 'g') },
  { re: new RegExp(`\\bproblemTemplate\\(\\s*(\\d{3}|undefined),\\s*'(${CODE})'`, 'g') },
  { re: new RegExp(`\\bbodyProblem\\(\\s*'(${CODE})'`, 'g'), status: 400 },
];
/** `code: 'x'` in an object: a field error, a text rule, or a refusal in the authorizer's context. */
const CODE_MEMBER = new RegExp(`\\bcode:\\s*'(${CODE})'`, 'g');
/** A field error code passed as the third argument of a `fail(field, message, code)` helper. */
const FAIL_CALL = new RegExp(`\\bfail\\([^()\\n]*,\\s*'(${CODE})'\\s*\\)`, 'g');

const lineOf = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** Every problem-answer code literal in one source text. Exported shape kept small so a fixture can exercise it. */
export function extractCodes(file: string, text: string, options: { readonly codeMembers: boolean }): Found[] {
  const out: Found[] = [];
  for (const { re, status } of PROBLEM_PATTERNS) {
    for (const m of text.matchAll(re)) {
      const [s, code] = status === undefined ? [m[1], m[2]] : [String(status), m[1]];
      out.push({ file, line: lineOf(text, m.index), code: code!, kind: 'problem', ...(s !== 'undefined' ? { status: Number(s) } : {}) });
    }
  }
  for (const m of text.matchAll(FAIL_CALL)) out.push({ file, line: lineOf(text, m.index), code: m[1]!, kind: 'field' });
  if (options.codeMembers) {
    for (const m of text.matchAll(CODE_MEMBER)) out.push({ file, line: lineOf(text, m.index), code: m[1]!, kind: 'either' });
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(?:ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const SOURCES: readonly { readonly file: string; readonly text: string }[] = SOURCE_DIRS.flatMap((d) => sourceFiles(join(ROOT, d)))
  .map((path) => ({ file: relative(ROOT, path), text: readFileSync(path, 'utf8') }))
  .filter((s) => s.file !== CATALOGUE);

// cli/ receives problems and names its own client-side failures with `code:`; only its problem calls count.
const FOUND = SOURCES.flatMap((s) => extractCodes(s.file, s.text, { codeMembers: !s.file.startsWith('cli/') }));

const PROBLEM_ENTRIES = Object.entries(PROBLEM_CODES) as [ProblemCode, ProblemCodeEntry][];
const FIELD_ENTRIES = Object.entries(FIELD_ERROR_CODES) as [FieldErrorCode, (typeof FIELD_ERROR_CODES)[FieldErrorCode]][];
const where = (f: Found): string => `${f.file}:${f.line} '${f.code}'`;

/** The code a gateway response template answers with; undefined when it comes from the authorizer's context. */
const templateCode = (template: string): string | undefined => /"code":"([a-z0-9_]+)"/.exec(template)?.[1];

describe('the scanner', () => {
  it('finds problem codes, statuses and field codes in source text', () => {
    // Prepare: one literal of every shape the scan must see
    const text = [
      "throw new ProblemError(418, 'made_up_code', 'x');",
      "problemBody(\n  503,\n  'other_code', 'y', { requestId });",
      "return problemResponse(431, 'third_code', 'z');",
      "bodyTemplate: problemTemplate(undefined, 'fourth_code', 'T', 'D'),",
      "throw bodyProblem('fifth_code', 'detail');",
      "c.fail('name', 'must not', 'field_code');",
      "return { code: 'member_code', detail: 'd' };",
    ].join('\n');

    // Act
    const found = extractCodes('fixture.ts', text, { codeMembers: true });

    // Assess
    expect(found.map((f) => [f.code, f.kind, f.status])).toEqual([
      ['made_up_code', 'problem', 418],
      ['other_code', 'problem', 503],
      ['third_code', 'problem', 431],
      ['fourth_code', 'problem', undefined],
      ['fifth_code', 'problem', 400],
      ['field_code', 'field', undefined],
      ['member_code', 'either', undefined],
    ]);
    expect(found[1]!.line).toBe(2);
  });

  it('reads the source tree (a scan that finds nothing would pass every check below)', () => {
    // Assess: the codes the keys Lambda, the local server and the authorizer answer with are seen
    const codes = new Set(FOUND.map((f) => f.code));
    for (const c of ['validation_failed', 'internal_error', 'malformed_request', 'unknown_route', 'bidi_control', 'invalid_utf8']) expect(codes).toContain(c);
    expect(FOUND.length).toBeGreaterThan(40);
  });
});

describe('every code Keygate answers with is catalogued', () => {
  it('top-level codes in ProblemError, problemBody, problemResponse, problemTemplate and bodyProblem calls', () => {
    // Act
    const missing = FOUND.filter((f) => f.kind === 'problem' && !isProblemCode(f.code)).map(where);

    // Assess
    expect(missing, 'add these codes to core/problem-codes.ts, then run npm run docs:generate').toEqual([]);
  });

  it('with a status the catalogue lists for the code', () => {
    // Act
    const wrong = FOUND.filter((f) => f.kind === 'problem' && f.status !== undefined && isProblemCode(f.code))
      .filter((f) => !statusesOf(PROBLEM_CODES[f.code as ProblemCode]).includes(f.status!))
      .map((f) => `${where(f)} answers ${f.status}, catalogued as ${JSON.stringify(PROBLEM_CODES[f.code as ProblemCode].status)}`);

    // Assess
    expect(wrong).toEqual([]);
  });

  it('field error codes in fail(field, message, code) calls', () => {
    const missing = FOUND.filter((f) => f.kind === 'field' && !isFieldErrorCode(f.code)).map(where);
    expect(missing, 'add these codes to FIELD_ERROR_CODES in core/problem-codes.ts').toEqual([]);
  });

  it('`code:` members (field errors, text rules, the authorizer\'s refusal reasons)', () => {
    const missing = FOUND.filter((f) => f.kind === 'either' && !isProblemCode(f.code) && !isFieldErrorCode(f.code)).map(where);
    expect(missing, 'add these codes to core/problem-codes.ts').toEqual([]);
  });

  it('gateway responses: each template\'s code, with the response\'s status', () => {
    // Act
    const wrong = GATEWAY_RESPONSES.flatMap((g) => {
      const code = templateCode(g.bodyTemplate);
      if (code === undefined) return g.bodyTemplate.includes('"code":"$context.authorizer.code"') ? [] : [`${g.type}: no code in its template`];
      const entry = problemCodeEntry(code);
      if (!entry) return [`${g.type}: '${code}' is not catalogued`];
      if (g.statusCode !== undefined && !statusesOf(entry).includes(g.statusCode)) return [`${g.type}: answers ${g.statusCode}, '${code}' is catalogued as ${JSON.stringify(entry.status)}`];
      return [];
    });

    // Assess
    expect(wrong).toEqual([]);
  });

  it('a gateway response that sends Retry-After answers with a retryable code', () => {
    const wrong = GATEWAY_RESPONSES.filter((g) => 'Retry-After' in g.headers)
      .map((g) => templateCode(g.bodyTemplate))
      .filter((code) => code !== undefined && problemCodeEntry(code)?.retryable !== true);
    expect(wrong).toEqual([]);
  });
});

describe('the authorizer\'s refusal reasons', () => {
  /** What the authorizer can put in its context as `code`: limits (429 or Deny), scope and IP denials, and an unknown route. */
  const authorizerCodes = (): Set<string> => {
    const limits = Object.values(PROBLEM_CODE_FOR);
    const denials = [
      denialDetail({ code: 'INSUFFICIENT_SCOPE', keyId: 'key_x', missing: ['a:b'] }).code,
      denialDetail({ code: 'IP_NOT_ALLOWED', keyId: 'key_x' }).code,
    ];
    const literal = FOUND.filter((f) => f.file.startsWith('lambdas/authorizer/') && f.kind === 'either').map((f) => f.code);
    return new Set([...limits, ...denials, ...literal]);
  };

  it('are exactly the entries marked authorizerReason, each answerable as a 403 reason', () => {
    // Prepare
    const marked = PROBLEM_ENTRIES.filter(([, e]) => e.authorizerReason).map(([c]) => c);

    // Act
    const codes = authorizerCodes();

    // Assess
    expect([...codes].sort()).toEqual([...marked].sort());
    for (const c of marked) expect(statusesOf(PROBLEM_CODES[c]), c).toContain(403);
  });

  it('limit codes are answered as 429 too, and are retryable', () => {
    for (const code of Object.values(PROBLEM_CODE_FOR)) {
      expect(statusesOf(PROBLEM_CODES[code]), code).toContain(429);
      expect(PROBLEM_CODES[code].retryable, code).toBe(true);
    }
  });
});

describe('every catalogued code is still used', () => {
  /** A code is used when some source file outside the catalogue holds it as a quoted literal. */
  const used = (code: string): boolean => SOURCES.some((s) => s.text.includes(`'${code}'`) || s.text.includes(`"${code}"`));

  it('problem codes', () => {
    const dead = PROBLEM_ENTRIES.map(([c]) => c).filter((c) => !used(c));
    expect(dead, 'nothing raises these codes any more: remove them from core/problem-codes.ts and run npm run docs:generate').toEqual([]);
  });

  it('field error codes', () => {
    const dead = FIELD_ENTRIES.map(([c]) => c).filter((c) => !used(c));
    expect(dead, 'nothing reports these field codes any more: remove them from FIELD_ERROR_CODES').toEqual([]);
  });
});

describe('entries', () => {
  it.each(PROBLEM_ENTRIES)('%s is complete and consistent', (code, entry) => {
    expect(code).toMatch(new RegExp(`^${CODE}$`));
    for (const text of [entry.title, entry.cause, entry.fix, entry.raisedBy, entry.detail]) expect(text.trim().length).toBeGreaterThan(0);
    const statuses = statusesOf(entry);
    expect(statuses.length).toBeGreaterThan(0);
    for (const s of statuses) expect(s >= 400 && s <= 599, `status ${s}`).toBe(true);
    // The service tells the caller to retry on 429, 503 and 504 (Retry-After or "retry shortly").
    if (statuses.some((s) => s === 429 || s === 503 || s === 504)) expect(entry.retryable, 'a 429/503/504 is retryable').toBe(true);
    // A 4xx that is not about time (408), a race (409) or a limit (429) repeats itself when sent again.
    if (statuses.every((s) => s >= 400 && s < 500 && ![408, 409, 429].includes(s))) expect(entry.retryable, 'a plain 4xx is not retryable').toBe(false);
  });

  it.each(FIELD_ENTRIES)('field code %s is complete', (code, entry) => {
    expect(code).toMatch(new RegExp(`^${CODE}$`));
    for (const text of [entry.cause, entry.fix, entry.example.field, entry.example.message]) expect(text.trim().length).toBeGreaterThan(0);
  });

  it('hold nothing shaped like a key (the docs are generated from them)', () => {
    const text = JSON.stringify([PROBLEM_CODES, FIELD_ERROR_CODES]);
    expect(text.match(KEY_LIKE_PATTERN)).toBeNull();
  });
});

describe('lookups by a code received from elsewhere', () => {
  it('find catalogued codes only, never inherited members', () => {
    expect(problemCodeEntry('rate_limited')?.status).toEqual([429, 403]);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(problemCodeEntry(name), name).toBeUndefined();
      expect(isProblemCode(name), name).toBe(false);
      expect(isFieldErrorCode(name), name).toBe(false);
    }
  });
});

describe('docs/api.md', () => {
  it('names only catalogued codes in its Errors table', () => {
    // Prepare: the table's second column holds the codes (and, for a 403, the body member `reason`)
    const api = readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8');
    const section = api.slice(api.indexOf('\n## Errors\n'), api.indexOf('\n## ', api.indexOf('\n## Errors\n') + 1));
    const rows = section.split('\n').filter((l) => /^\| (?:\d{3}|any)/.test(l));

    // Act
    const named = rows.flatMap((r) => [...(r.split('|')[2] ?? '').matchAll(/`([a-z][a-z0-9_]*)`/g)].map((m) => m[1]!)).filter((c) => c !== 'reason');

    // Assess
    expect(rows.length).toBeGreaterThan(20);
    expect(named.filter((c) => !isProblemCode(c))).toEqual([]);
  });
});
