/**
 * Key ids (`kid`) are opaque labels. Keygate only ever compares them with the `kid`s of an
 * already fetched key set: a `kid` never builds a URL, a path or a storage key. As defence
 * in depth, only plain ids are accepted at all: letters, digits and `. _ ~ + = -`, at most
 * 256 characters, no `..`. Anything with `/`, `:` or `..` (path or URL injection) is refused.
 */

/** Longest accepted key id. */
export const MAX_KID_LENGTH = 256;

const PLAIN_KID = /^[A-Za-z0-9._~+=-]+$/;

/** Whether `kid` is a plain key id (see the module comment). */
export function isPlainKid(kid: unknown): kid is string {
  return typeof kid === 'string' && kid.length > 0 && kid.length <= MAX_KID_LENGTH && PLAIN_KID.test(kid) && !kid.includes('..');
}
