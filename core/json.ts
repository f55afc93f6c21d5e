/**
 * Request bodies as I-JSON (RFC 7493): UTF-8, no duplicate member names, no unpaired
 * surrogates, and a nesting limit. Plain `JSON.parse` silently keeps the last of two
 * duplicate members and accepts `"\ud800"`, which then turns into U+FFFD when stored.
 *
 * Cost: V8's JSON.parse is iterative (1,000,000 levels parse without a stack overflow), so
 * it runs first and reports syntax errors; then one linear, iterative pass over the
 * now-valid text checks depth, duplicates and surrogates. Nothing recursive runs before
 * the depth check passes. No dependency: the Lambda bundle grows by this file only.
 */
import { type FieldError, type ProblemCode, ProblemError } from './problem';
import { displayName, isWellFormed } from './text';

/** Decodes UTF-8 strictly: a body that is not UTF-8 is refused, never repaired to U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw bodyProblem('invalid_utf8', `The request body is not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8Offset(bytes)}).`);
  }
}

/**
 * Where strict decoding fails. Streaming decodes refuse only definite errors, so "the
 * prefix decodes" is monotonic and bisection finds the first bad byte; a body that ends
 * inside a character fails at that character's lead byte. Runs only on the error path.
 */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  const decodes = (end: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (decodes(mid)) lo = mid;
    else hi = mid - 1;
  }
  if (lo < bytes.length) return lo;
  let start = bytes.length - 1;
  while (start > 0 && bytes.length - start < 4 && (bytes[start]! & 0xc0) === 0x80) start--;
  return start;
}

function bodyProblem(code: ProblemCode, detail: string, errors?: readonly FieldError[]): ProblemError {
  return new ProblemError(400, code, detail, errors);
}

interface ObjectFrame {
  readonly kind: 'object';
  readonly path: string;
  readonly names: Set<string>;
  expectName: boolean;
  member: string;
}
interface ArrayFrame {
  readonly kind: 'array';
  readonly path: string;
  index: number;
}
type Frame = ObjectFrame | ArrayFrame;

function childPath(frame: Frame | undefined): string {
  if (!frame) return '';
  if (frame.kind === 'array') return `${frame.path}[${frame.index}]`;
  const name = displayName(frame.member);
  return frame.path === '' ? name : `${frame.path}.${name}`;
}

/** The top-level member a deep value is in: its full path would be as long as the nesting. */
const topField = (stack: readonly Frame[]): string => (stack[0]?.kind === 'object' && stack.length > 1 ? displayName(stack[0].member) : 'body');

/**
 * Parses `text` as I-JSON. Throws a 400 ProblemError: `malformed_json` (not JSON),
 * `nesting_too_deep` (objects and arrays nested deeper than `maxDepth`; the body itself is
 * level 1), `duplicate_member` or `lone_surrogate`, each naming the field in `errors`.
 */
export function parseStrictJson(text: string, maxDepth: number): unknown {
  if (!isWellFormed(text)) throw bodyProblem('invalid_utf8', 'The request body is not valid UTF-8 (it holds an unpaired surrogate).');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw bodyProblem('malformed_json', `The request body is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  checkMembers(text, maxDepth);
  return value;
}

/** One pass over valid JSON text; strings are skipped as tokens so brackets inside them do not count. */
function checkMembers(text: string, maxDepth: number): void {
  const stack: Frame[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      if (stack.length >= maxDepth) {
        const field = topField(stack);
        throw bodyProblem('nesting_too_deep', `${field}: objects and arrays are nested more than ${maxDepth} levels deep.`, [
          { field, message: `is nested more than ${maxDepth} levels deep`, code: 'nesting_too_deep' },
        ]);
      }
      const path = childPath(stack[stack.length - 1]);
      stack.push(ch === 0x7b ? { kind: 'object', path, names: new Set(), expectName: true, member: '' } : { kind: 'array', path, index: 0 });
      i++;
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      stack.pop();
      i++;
    } else if (ch === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.kind === 'array') top.index++;
      else if (top) top.expectName = true;
      i++;
    } else if (ch === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? ((escaped = true), 2) : 1;
      const raw = text.slice(i + 1, j);
      // Only escapes can hide a lone surrogate here: the text as a whole was checked above.
      const s = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : raw;
      const top = stack[stack.length - 1];
      if (top?.kind === 'object' && top.expectName) {
        if (escaped && !isWellFormed(s)) throwLoneSurrogate(top.path, 'a member name');
        if (top.names.has(s)) {
          const field = childPath({ ...top, member: s });
          throw bodyProblem('duplicate_member', `${field}: the member appears more than once; send each member once.`, [
            { field, message: 'appears more than once', code: 'duplicate_member' },
          ]);
        }
        top.names.add(s);
        top.member = s;
        top.expectName = false;
      } else if (escaped && !isWellFormed(s)) {
        throwLoneSurrogate(childPath(top), 'a string');
      }
      i = j + 1;
    } else {
      i++;
    }
  }
}

function throwLoneSurrogate(field: string, where: string): never {
  const f = field === '' ? 'body' : field;
  throw bodyProblem('lone_surrogate', `${f}: ${where} holds an unpaired UTF-16 surrogate escape (such as \\ud800), which has no UTF-8 form.`, [
    { field: f, message: 'must not contain unpaired UTF-16 surrogates', code: 'lone_surrogate' },
  ]);
}
