/** Key ids: `key_` + a ULID (48-bit millisecond time + 80 random bits, Crockford base32), so ids sort by creation time. */
import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const KEY_ID_PATTERN = /^key_[0-9A-HJKMNP-TV-Z]{26}$/;

export function ulid(nowMs: number, random: Buffer = randomBytes(10)): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let bits = 0n;
  for (const b of random) bits = (bits << 8n) | BigInt(b);
  let rand = '';
  for (let i = 0; i < 16; i++) {
    rand = CROCKFORD[Number(bits & 31n)] + rand;
    bits >>= 5n;
  }
  return time + rand;
}

export function newKeyId(nowMs: number): string {
  return `key_${ulid(nowMs)}`;
}

export function isKeyId(value: string): boolean {
  return KEY_ID_PATTERN.test(value);
}
