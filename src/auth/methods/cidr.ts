/**
 * CIDR parsing and matching for IPv4 and IPv6, over `ipaddr.js` (no hand-rolled address
 * parsing). Used by AppRole secret-id and token bindings and by trusted-proxy settings.
 */

import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/** A parsed CIDR block. */
export interface Cidr {
  text: string;
  range: [ipaddr.IPv4 | ipaddr.IPv6, number];
}

/** Parses `a.b.c.d/n`, `x::/n`, or a bare address (a /32 or /128). Null when malformed. */
export function parseCidr(text: string): Cidr | null {
  try {
    const trimmed = text.trim();
    if (trimmed.length > 64) return null;
    if (trimmed.includes('/')) return { text: trimmed, range: ipaddr.parseCIDR(trimmed) };
    const address = ipaddr.parse(trimmed);
    return { text: trimmed, range: [address, address.kind() === 'ipv4' ? 32 : 128] };
  } catch {
    return null;
  }
}

/**
 * Whether `address` lies in any of `cidrs`. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`,
 * as Node reports IPv4 clients on dual-stack sockets) are compared as IPv4. An unparsable
 * address matches nothing (fail closed).
 */
export function addressInCidrs(address: string | null | undefined, cidrs: readonly (Cidr | string)[]): boolean {
  if (address === null || address === undefined) return false;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address.trim());
  } catch {
    return false;
  }
  for (const entry of cidrs) {
    const cidr = typeof entry === 'string' ? parseCidr(entry) : entry;
    if (cidr === null) continue;
    const [base, bits] = cidr.range;
    const normalizedBase = base.kind() === 'ipv6' && (base as ipaddr.IPv6).isIPv4MappedAddress() ? (base as ipaddr.IPv6).toIPv4Address() : base;
    if (parsed.kind() !== normalizedBase.kind()) continue;
    if (parsed.kind() === 'ipv4' ? (parsed as ipaddr.IPv4).match(normalizedBase as ipaddr.IPv4, bits) : (parsed as ipaddr.IPv6).match(normalizedBase as ipaddr.IPv6, bits)) {
      return true;
    }
  }
  return false;
}

/** A list of CIDR blocks, as an array or a comma-separated string; each validated. */
export const cidrListSchema = z
  .union([z.array(z.string().max(64)).max(64), z.string().max(64 * 66)])
  .transform((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v))
  .pipe(z.array(z.string().refine((s) => parseCidr(s) !== null, 'must be a CIDR block such as 10.0.0.0/8 or an IP address')).max(64));
