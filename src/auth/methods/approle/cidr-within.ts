/**
 * Whether one list of CIDR blocks is narrower than another: a secret id's `cidr_list` and
 * `token_bound_cidrs` may only restrict what its role allows, never widen it.
 */

import ipaddr from 'ipaddr.js';
import { parseCidr } from '../cidr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** An IPv4-mapped IPv6 block (`::ffff:10.0.0.0/104`) as the IPv4 block it is. */
function normalize(range: Range): Range {
  const [base, bits] = range;
  if (base instanceof ipaddr.IPv6 && base.isIPv4MappedAddress() && bits >= 96) return [base.toIPv4Address(), bits - 96];
  return range;
}

function blockWithin(inner: Range, outer: Range): boolean {
  const [innerBase, innerBits] = normalize(inner);
  const [outerBase, outerBits] = normalize(outer);
  if (innerBase.kind() !== outerBase.kind() || innerBits < outerBits) return false;
  return innerBase.match(outerBase, outerBits);
}

/**
 * True when every block of `inner` lies inside some block of `outer`, or when `outer` is
 * empty (no restriction to stay within). A malformed block is never within anything.
 */
export function cidrsWithin(inner: readonly string[], outer: readonly string[]): boolean {
  if (outer.length === 0) return true;
  const outerRanges = outer.map(parseCidr);
  return inner.every((text) => {
    const block = parseCidr(text);
    if (block === null) return false;
    return outerRanges.some((wide) => wide !== null && blockWithin(block.range, wide.range));
  });
}
