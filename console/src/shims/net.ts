/**
 * Browser stand-in for the two `node:net` functions core/cidr.ts uses, so the create form can run
 * the API's own schemas (core/validation.ts). The server checks every address again with Node's
 * own functions; here an address either side disagrees on is at worst refused by the server.
 */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

/** The URL parser accepts exactly the IPv6 literals a host may be (no zone id, as cidr.ts requires). */
export function isIPv6(text: string): boolean {
  if (!text.includes(':') || /[^0-9A-Fa-f:.]/.test(text)) return false;
  try {
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}

export function isIP(text: string): 0 | 4 | 6 {
  return isIPv4(text) ? 4 : isIPv6(text) ? 6 : 0;
}

export default { isIP, isIPv4, isIPv6 };
