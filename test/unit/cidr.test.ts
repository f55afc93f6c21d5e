import { isIPv4 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ipAllowed, normalizeCidr, parseCidr } from '../../core/cidr';

describe('parseCidr', () => {
  it('parses an IPv4 CIDR into version, network and prefix', () => {
    expect(parseCidr('203.0.113.0/24')).toEqual({ version: 4, network: 0xcb007100n, prefix: 24 });
  });

  it('treats a bare IPv4 address as /32 and a bare IPv6 address as /128', () => {
    expect(parseCidr('10.1.2.3')).toEqual({ version: 4, network: 0x0a010203n, prefix: 32 });
    expect(parseCidr('2001:db8::1')).toEqual({ version: 6, network: (0x20010db8n << 96n) | 1n, prefix: 128 });
  });

  it('clears host bits', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ version: 4, network: 0x0a000000n, prefix: 8 });
    expect(parseCidr('2001:db8::ffff/32')).toEqual({ version: 6, network: 0x20010db8n << 96n, prefix: 32 });
  });

  it('parses :: and an embedded IPv4 tail', () => {
    expect(parseCidr('::/0')).toEqual({ version: 6, network: 0n, prefix: 0 });
    expect(parseCidr('::ffff:1.2.3.4')).toEqual({ version: 6, network: (0xffffn << 32n) | 0x01020304n, prefix: 128 });
  });

  it.each([
    ['an octet over 255', '256.1.1.1'],
    ['an IPv4 prefix over 32', '1.2.3.4/33'],
    ['an IPv6 prefix over 128', '::/129'],
    ['text', 'abc'],
    ['an empty string', ''],
    ['an IPv6 zone id', 'fe80::1%eth0'],
    ['an IPv6 zone id with a prefix', 'fe80::1%eth0/64'],
    ['a three-octet address', '1.2.3'],
    ['an empty prefix', '1.2.3.4/'],
    ['a negative prefix', '1.2.3.4/-1'],
    ['a non-numeric prefix', '1.2.3.4/a'],
    ['a fractional prefix', '1.2.3.4/8.5'],
    ['two slashes', '1.2.3.4/8/8'],
    ['whitespace', ' 1.2.3.4'],
    ['a triple colon', '1:::2'],
    ['two :: runs', '1::2::3'],
    ['too many IPv6 groups', '1:2:3:4:5:6:7:8:9'],
    ['an overlong input', `${'0'.repeat(60)}1.2.3.4`],
  ])('rejects %s (%j)', (_what, text) => {
    expect(parseCidr(text)).toBeUndefined();
    expect(normalizeCidr(text)).toBeUndefined();
  });

  it('rejects leading zeros in IPv4 octets, as node:net does', () => {
    // Leading zeros are ambiguous (octal in some parsers); node:net refuses them and so must we.
    expect(isIPv4('01.2.3.4')).toBe(false);
    expect(parseCidr('01.2.3.4')).toBeUndefined();
    expect(parseCidr('1.2.3.010/32')).toBeUndefined();
  });

  it('rejects a non-string input', () => {
    expect(parseCidr(42 as unknown as string)).toBeUndefined();
    expect(parseCidr(undefined as unknown as string)).toBeUndefined();
  });
});

describe('normalizeCidr', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3/32'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.168.1.255/31', '192.168.1.254/31'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['8.8.8.8/0', '0.0.0.0/0'],
    ['255.255.255.255', '255.255.255.255/32'],
  ])('normalises IPv4 %j to %j', (input, expected) => {
    expect(normalizeCidr(input)).toBe(expected);
  });

  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['2001:DB8::1', '2001:db8::1/128'],
    ['2001:db8::ffff/32', '2001:db8::/32'],
    ['::', '::/128'],
    ['::/0', '::/0'],
    ['::1', '::1/128'],
    ['1::', '1::/128'],
    ['fe80::1/10', 'fe80::/10'],
    // Longest zero run is compressed; a single zero group is not.
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3/128'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7/128'],
    // On a tie the first run wins (RFC 5952).
    ['1:0:0:2:3:0:0:4', '1::2:3:0:0:4/128'],
    ['::ffff:1.2.3.4', '::ffff:102:304/128'],
    ['::ffff:10.0.0.0/104', '::ffff:a00:0/104'],
  ])('normalises IPv6 %j to %j', (input, expected) => {
    expect(normalizeCidr(input)).toBe(expected);
  });

  it('is idempotent', () => {
    for (const input of ['10.1.2.3/8', '2001:db8::ffff/32', '::ffff:1.2.3.4', '1:0:0:2:0:0:0:3']) {
      const once = normalizeCidr(input)!;
      expect(normalizeCidr(once)).toBe(once);
    }
  });
});

describe('ipAllowed', () => {
  it('matches an IPv4 address inside a range, and not outside it', () => {
    expect(ipAllowed('203.0.113.7', ['203.0.113.0/24'])).toBe(true);
    expect(ipAllowed('203.0.114.7', ['203.0.113.0/24'])).toBe(false);
  });

  it('includes both ends of a range and excludes the addresses next to them', () => {
    const range = ['10.0.0.0/30'];
    expect(ipAllowed('10.0.0.0', range)).toBe(true);
    expect(ipAllowed('10.0.0.3', range)).toBe(true);
    expect(ipAllowed('10.0.0.4', range)).toBe(false);
    expect(ipAllowed('9.255.255.255', range)).toBe(false);
  });

  it('matches a bare address exactly', () => {
    expect(ipAllowed('198.51.100.1', ['198.51.100.1'])).toBe(true);
    expect(ipAllowed('198.51.100.2', ['198.51.100.1'])).toBe(false);
  });

  it('matches any address of the same family for /0', () => {
    expect(ipAllowed('1.2.3.4', ['0.0.0.0/0'])).toBe(true);
    expect(ipAllowed('255.255.255.255', ['0.0.0.0/0'])).toBe(true);
    expect(ipAllowed('2001:db8::1', ['::/0'])).toBe(true);
    expect(ipAllowed('2001:db8::1', ['0.0.0.0/0'])).toBe(false);
    expect(ipAllowed('1.2.3.4', ['::/0'])).toBe(false);
  });

  it('matches IPv6 ranges including the last address and not the next one', () => {
    const range = ['2001:db8::/32'];
    expect(ipAllowed('2001:db8::1', range)).toBe(true);
    expect(ipAllowed('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', range)).toBe(true);
    expect(ipAllowed('2001:db9::', range)).toBe(false);
    expect(ipAllowed('2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', range)).toBe(false);
  });

  it('matches compressed and uncompressed spellings of the same IPv6 address', () => {
    expect(ipAllowed('2001:0db8:0000:0000:0000:0000:0000:0001', ['2001:db8::1'])).toBe(true);
    expect(ipAllowed('2001:db8::1', ['2001:0DB8:0:0:0:0:0:1/128'])).toBe(true);
  });

  it('matches an IPv4-mapped IPv6 source against IPv4 ranges', () => {
    expect(ipAllowed('::ffff:203.0.113.7', ['203.0.113.0/24'])).toBe(true);
    expect(ipAllowed('::ffff:cb00:7107', ['203.0.113.0/24'])).toBe(true);
    expect(ipAllowed('::ffff:203.0.114.7', ['203.0.113.0/24'])).toBe(false);
  });

  it('does not treat a non-mapped IPv6 address as IPv4', () => {
    // ::203.0.113.7 (IPv4-compatible, deprecated) and 64:ff9b::/96 are not ::ffff:0:0/96.
    expect(ipAllowed('::203.0.113.7', ['203.0.113.0/24'])).toBe(false);
    expect(ipAllowed('64:ff9b::cb00:7107', ['203.0.113.0/24'])).toBe(false);
  });

  it('matches when any of several ranges contains the address, skipping invalid entries', () => {
    const ranges = ['not-a-cidr', '10.0.0.0/8', '2001:db8::/32'];
    expect(ipAllowed('10.9.9.9', ranges)).toBe(true);
    expect(ipAllowed('2001:db8::5', ranges)).toBe(true);
    expect(ipAllowed('192.168.0.1', ranges)).toBe(false);
  });

  it('rejects an invalid source address and an empty list', () => {
    expect(ipAllowed('not-an-ip', ['0.0.0.0/0'])).toBe(false);
    expect(ipAllowed('', ['0.0.0.0/0'])).toBe(false);
    expect(ipAllowed('300.1.1.1', ['0.0.0.0/0'])).toBe(false);
    expect(ipAllowed('1.2.3.4', [])).toBe(false);
  });
});
