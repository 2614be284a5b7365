/**
 * The checks a presented JWT passes before any key is looked up or fetched: bounded size,
 * compact JWS shape, an allowed algorithm, a plain `kid`. Failing here costs no network
 * call, so a flood of junk tokens cannot make the gateway hammer a key endpoint.
 */

import { decodeProtectedHeader } from 'jose';
import { refuse } from '../login-refusal.js';
import { isPlainKid } from './kid.js';

/** Largest JWT accepted, in characters (16 KiB), checked before anything is parsed. */
export const MAX_JWT_LENGTH = 16_384;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** What the checks establish about a token's protected header. */
export interface CheckedHeader {
  alg: string;
  kid: string | undefined;
}

/**
 * Checks `token` and returns its algorithm and key id. Throws `LoginRefusal` with
 * `jwt_too_large`, `jwt_malformed`, `alg_not_allowed`, `kid_invalid` or `signature_missing`.
 * Header members naming other keys (`jku`, `x5u`, `jwk`, `x5c`) are ignored: never fetched,
 * never trusted.
 */
export function checkCompactHeader(token: string, algorithms: readonly string[]): CheckedHeader {
  if (token.length > MAX_JWT_LENGTH) refuse('jwt_too_large');
  if (!COMPACT_JWS.test(token)) refuse('jwt_malformed');
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return refuse('jwt_malformed');
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || !algorithms.includes(alg)) refuse('alg_not_allowed');
  const kid = header.kid;
  if (kid !== undefined && !isPlainKid(kid)) refuse('kid_invalid');
  if (token.endsWith('.')) refuse('signature_missing');
  return { alg, kid };
}
