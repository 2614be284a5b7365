/** The `aud` claim: a string or an array of strings (RFC 7519 §4.1.3), bounded. */

import { refuse } from '../login-refusal.js';

/** Most audiences a token may carry. */
export const MAX_AUDIENCES = 64;

/** The token's audiences; empty when it has none. Throws `LoginRefusal` `aud_invalid` for any other shape. */
export function audiencesOf(aud: unknown): string[] {
  if (aud === undefined) return [];
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.length <= MAX_AUDIENCES && aud.every((a) => typeof a === 'string')) return aud.filter((a): a is string => typeof a === 'string');
  return refuse('aud_invalid');
}

/**
 * Checks the token's audiences against the bound ones: with bound audiences, one must
 * match (`aud_mismatch`); without, a token that names any audience is refused when
 * `strict` (`aud_unbound`), as Vault does for JWT roles.
 */
export function checkAudience(aud: unknown, bound: readonly string[], strict: boolean): void {
  const audiences = audiencesOf(aud);
  if (bound.length === 0) {
    if (strict && audiences.length > 0) refuse('aud_unbound');
    return;
  }
  if (!audiences.some((a) => bound.includes(a))) refuse('aud_mismatch');
}
