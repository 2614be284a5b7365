/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy, in which
 * case `X-Forwarded-For` is walked from the right past trusted proxies. Untrusted peers
 * cannot set the address with a header.
 */

import { addressInCidrs, parseCidr } from '../auth/index.js';
import type { Cidr } from '../auth/index.js';

/** At most this many X-Forwarded-For hops are considered. */
const MAX_HOPS = 32;

export function createClientAddressResolver(trustedProxies: readonly string[]): (remote: string | null, forwardedFor: string | null) => string | null {
  const trusted: Cidr[] = trustedProxies.map((t) => parseCidr(t)).filter((c): c is Cidr => c !== null);
  return (remote, forwardedFor) => {
    if (remote === null || trusted.length === 0 || !addressInCidrs(remote, trusted) || forwardedFor === null) return remote;
    const hops = forwardedFor.split(',').map((h) => h.trim()).slice(-MAX_HOPS);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] ?? '';
      // A malformed hop means the chain cannot be trusted past it: attribute the request to the last trusted hop.
      if (parseCidr(hop) === null || hop.includes('/')) return remote;
      if (!addressInCidrs(hop, trusted)) return hop;
    }
    return hops[0] ?? remote;
  };
}
