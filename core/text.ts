/**
 * Rules for free text a person reads (key names, descriptions): what a name shows must be
 * what it holds. Each rule has a stable `code` that clients can branch on; docs/api.md
 * ("Input rules") lists them.
 *
 * Deliberately not rejected: LRM/RLM/ALM (U+200E, U+200F, U+061C), which right-to-left text
 * needs and which cannot reorder text the way overrides and isolates can (Trojan Source,
 * CVE-2021-42574, uses only the overrides and isolates).
 */

export type TextRuleCode = 'control_character' | 'bidi_control' | 'zero_width_character' | 'lone_surrogate';

export interface TextProblem {
  readonly code: TextRuleCode;
  /** Completes "<field> ...", e.g. "must not contain control characters (U+0085 at character 2)". */
  readonly message: string;
}

/** An unpaired UTF-16 surrogate: it has no UTF-8 encoding and would be stored as U+FFFD. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const RULES: readonly { readonly code: TextRuleCode; readonly pattern: RegExp; readonly what: string }[] = [
  // C0, DEL, C1 (U+0085 NEL included) and the Unicode line and paragraph separators.
  // eslint-disable-next-line no-control-regex
  { code: 'control_character', pattern: /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/, what: 'control characters' },
  { code: 'bidi_control', pattern: /[\u202a-\u202e\u2066-\u2069]/, what: 'bidirectional override or isolate characters' },
  { code: 'zero_width_character', pattern: /[\u200b-\u200d\u2060-\u2064\ufeff]/, what: 'zero-width or invisible characters' },
  { code: 'lone_surrogate', pattern: LONE_SURROGATE, what: 'unpaired UTF-16 surrogates' },
];

const codePoint = (c: number): string => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

/** The first rule `s` breaks, naming the character and its 1-based position; undefined when clean. */
export function textProblem(s: string): TextProblem | undefined {
  for (const rule of RULES) {
    const m = rule.pattern.exec(s);
    if (m) return { code: rule.code, message: `must not contain ${rule.what} (${codePoint(m[0].charCodeAt(0))} at character ${m.index + 1})` };
  }
  return undefined;
}

/** True when `s` has no unpaired surrogate (String.prototype.isWellFormed, which ES2023 typings lack). */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/**
 * A user-supplied member name made safe to put in a message: at most 64 characters, and
 * JSON-quoted when it is empty, starts or ends with a space, or holds anything a terminal or
 * log viewer could interpret.
 */
export function displayName(name: string, max = 64): string {
  const short = name.length > max ? `${name.slice(0, max)}…` : name;
  const plain = short !== '' && textProblem(short) === undefined && !/["\\]|^\s|\s$/.test(short);
  return plain ? short : JSON.stringify(short);
}
