/** IPv4/IPv6 CIDR parsing and matching for per-key allowlists. Pure; bigint arithmetic. */
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  readonly version: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

function v4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6ToBigInt(ip: string): bigint {
  let text = ip;
  // an embedded dotted IPv4 tail (::ffff:1.2.3.4)
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = v4ToBigInt(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headParts = head ? head.split(':') : [];
  const restParts = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const missing = 8 - headParts.length - restParts.length;
  const parts = rest === undefined ? headParts : [...headParts, ...Array(missing).fill('0'), ...restParts];
  return parts.reduce((acc, p) => (acc << 16n) | BigInt(parseInt(p, 16)), 0n);
}

/** Parses `a.b.c.d/n`, `x::y/n`, or a bare address (a /32 or /128). Returns undefined when invalid. */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  const slash = text.indexOf('/');
  const addr = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);
  const version = isIPv4(addr) ? 4 : isIPv6(addr) && !addr.includes('%') ? 6 : undefined;
  if (!version) return undefined;
  const bits = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^(0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  const value = version === 4 ? v4ToBigInt(addr) : v6ToBigInt(addr);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { version, network: value & mask, prefix };
}

function formatCidr(c: Cidr): string {
  if (c.version === 4) {
    const n = c.network;
    return `${[24n, 16n, 8n, 0n].map((s) => Number((n >> s) & 255n)).join('.')}/${c.prefix}`;
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((c.network >> BigInt(i * 16)) & 0xffffn).toString(16));
  // compress the longest run of zero groups
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const text =
    best === -1 ? groups.join(':') : `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
  return `${text}/${c.prefix}`;
}

/** Canonical text of a CIDR (host bits cleared, explicit prefix), or undefined when invalid. */
export function normalizeCidr(text: string): string | undefined {
  const c = parseCidr(text);
  return c ? formatCidr(c) : undefined;
}

function contains(c: Cidr, version: 4 | 6, value: bigint): boolean {
  if (c.version !== version) return false;
  const bits = version === 4 ? 32 : 128;
  const mask = c.prefix === 0 ? 0n : ((1n << BigInt(c.prefix)) - 1n) << BigInt(bits - c.prefix);
  return (value & mask) === c.network;
}

// Cached records keep their allowedIps array, so each list is parsed once per container, not per request.
const parsedLists = new WeakMap<readonly string[], Cidr[]>();
function parsedList(cidrs: readonly string[]): Cidr[] {
  let parsed = parsedLists.get(cidrs);
  if (!parsed) {
    parsed = cidrs.map(parseCidr).filter((c): c is Cidr => c !== undefined);
    parsedLists.set(cidrs, parsed);
  }
  return parsed;
}

/** True when `ip` falls in any of the CIDRs. IPv4-mapped IPv6 addresses also match IPv4 ranges. */
export function ipAllowed(ip: string, cidrs: readonly string[]): boolean {
  let version: 4 | 6;
  let value: bigint;
  if (ip.includes('%')) return false;
  if (isIPv4(ip)) {
    version = 4;
    value = v4ToBigInt(ip);
  } else if (isIPv6(ip)) {
    version = 6;
    value = v6ToBigInt(ip);
  } else {
    return false;
  }
  const mapped = version === 6 && value >> 32n === 0xffffn ? value & 0xffffffffn : undefined;
  for (const c of parsedList(cidrs)) {
    if (contains(c, version, value)) return true;
    if (mapped !== undefined && contains(c, 4, mapped)) return true;
  }
  return false;
}
