/**
 * Key format: `<prefix>_<env>_<random><checksum>`
 *   prefix   configurable, [a-z][a-z0-9]{0,15} (default `kg`)
 *   env      `live` or `test`
 *   random   32 bytes from the OS CSPRNG as fixed-width base62 (43 chars)
 *   checksum CRC32 of everything before it, fixed-width base62 (6 chars)
 *
 * The checksum lets the authorizer reject a mistyped or truncated key before any
 * database call. It is not a security control (anyone can compute it); the 256-bit
 * random part is. Only SHA-256(key) is stored; see docs/security.md.
 */
import { createHash, randomBytes } from 'node:crypto';

export type KeyEnvironment = 'live' | 'test';
export const KEY_ENVIRONMENTS: readonly KeyEnvironment[] = ['live', 'test'];

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const RANDOM_BYTES = 32;
export const RANDOM_LENGTH = 43; // ceil(256 / log2(62))
export const CHECKSUM_LENGTH = 6; // 62^6 > 2^32
/** Characters of the random part kept in the display prefix (`start`). */
const START_RANDOM_CHARS = 4;

const KEY_PATTERN = new RegExp(`^([a-z][a-z0-9]{0,15})_(live|test)_([0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}})$`);

/** Loose pattern used to redact anything key-shaped from logs. */
export const KEY_LIKE_PATTERN = /[a-z][a-z0-9]{0,15}_(?:live|test)_[0-9A-Za-z]{20,}/g;

export function base62(value: bigint, width: number): string {
  let out = '';
  let v = value;
  while (v > 0n) {
    out = ALPHABET[Number(v % 62n)] + out;
    v /= 62n;
  }
  if (out.length > width) throw new RangeError('value does not fit the width');
  return out.padStart(width, '0');
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3), as used by zip and PNG. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  const bytes = Buffer.from(text, 'utf8');
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checksum(body: string): string {
  return base62(BigInt(crc32(body)), CHECKSUM_LENGTH);
}

export interface GeneratedKey {
  readonly plaintext: string;
  readonly hash: string;
  readonly start: string;
}

/** Creates a new key. `random` is injectable for tests only. */
export function generateKey(prefix: string, environment: KeyEnvironment, random: Buffer = randomBytes(RANDOM_BYTES)): GeneratedKey {
  if (random.length !== RANDOM_BYTES) throw new RangeError(`need ${RANDOM_BYTES} random bytes`);
  const body = `${prefix}_${environment}_${base62(BigInt('0x' + random.toString('hex')), RANDOM_LENGTH)}`;
  const plaintext = body + checksum(body);
  return { plaintext, hash: hashKey(plaintext), start: displayStart(plaintext) };
}

export type ParsedKey =
  | { readonly ok: true; readonly prefix: string; readonly environment: KeyEnvironment }
  | { readonly ok: false; readonly reason: 'format' | 'checksum' | 'prefix' };

/** Checks shape, checksum and (if given) the deployment's prefix. No I/O. */
export function parseKey(candidate: string, expectedPrefix?: string): ParsedKey {
  const m = KEY_PATTERN.exec(candidate);
  if (!m) return { ok: false, reason: 'format' };
  const body = candidate.slice(0, -CHECKSUM_LENGTH);
  if (checksum(body) !== candidate.slice(-CHECKSUM_LENGTH)) return { ok: false, reason: 'checksum' };
  if (expectedPrefix !== undefined && m[1] !== expectedPrefix) return { ok: false, reason: 'prefix' };
  return { ok: true, prefix: m[1]!, environment: m[2] as KeyEnvironment };
}

/** SHA-256 of the whole key, hex. A fast hash suits 256-bit random secrets: see docs/security.md. */
export function hashKey(plaintext: string): string {
  return createHash('sha256').update(plaintext, 'utf8').digest('hex');
}

/** What users see to recognise a key: prefix, environment and the first few random characters. */
export function displayStart(plaintext: string): string {
  const parts = plaintext.split('_');
  return `${parts[0]}_${parts[1]}_${(parts[2] ?? '').slice(0, START_RANDOM_CHARS)}`;
}
