/**
 * Key rules and the `list` walk arithmetic every backend shares, so that memory, SQLite and
 * later PostgreSQL agree on which keys exist and in which order they are listed.
 */

import { GatewayError, MAX_LIST_LIMIT } from '../core/index.js';

// NUL cannot round-trip through SQLite's C strings or PostgreSQL TEXT, and a lone surrogate
// has no UTF-8 form (drivers silently turn it into U+FFFD, merging two distinct keys).
// eslint-disable-next-line no-control-regex
const ILL_FORMED = /[\u0000\uD800-\uDFFF]/u;

/**
 * Throws `ERR_INTERNAL` when `key` (or a list prefix or `after`) contains NUL or a lone
 * surrogate. The path layer refuses both, so reaching storage with one is a bug above.
 * The message never quotes the key.
 */
export function assertStorageKey(key: string, what = 'storage key'): void {
  if (ILL_FORMED.test(key)) {
    throw new GatewayError('ERR_INTERNAL', `${what} contains NUL or an unpaired surrogate`);
  }
}

/** The page size a `list` call actually uses: `MAX_LIST_LIMIT` when absent or not finite, at most `MAX_LIST_LIMIT`, 0 for non-positive values. */
export function effectiveListLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return MAX_LIST_LIMIT;
  return Math.max(0, Math.min(Math.floor(limit), MAX_LIST_LIMIT));
}

/**
 * The smallest physical key a `list(prefix, { after })` walk starts from (inclusive). Names
 * are the key's text up to and including its first `/` after the prefix, so when `after`
 * contains a `/` every key in that folder has a name ≤ `after` and the walk starts past the
 * folder; otherwise it starts at the least key greater than `prefix + after` (appending NUL
 * gives exactly that, since keys never contain NUL). With no `after` this also skips a key
 * equal to the prefix itself, whose name would be empty.
 */
export function listStartKey(prefix: string, after: string | undefined): string {
  const from = after ?? '';
  const slash = from.indexOf('/');
  return slash === -1 ? `${prefix}${from}\u0000` : folderEndKey(prefix, from.slice(0, slash));
}

/**
 * The least key past every key of the folder `prefix + folder + '/'`: `'0'` is the code
 * point right after `'/'`, so no key inside the folder reaches it and every key after the
 * folder does.
 */
export function folderEndKey(prefix: string, folder: string): string {
  return `${prefix}${folder}0`;
}

/**
 * The name `key` has when listed under `prefix` (the key must start with it): the rest of
 * the key, cut after its first `/` when it lies in a sub-folder.
 */
export function childName(prefix: string, key: string): string {
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf('/');
  return slash === -1 ? rest : rest.slice(0, slash + 1);
}

/**
 * The least string greater than every string that starts with `prefix`, in code point
 * order (so also in UTF-8 byte order), or null when there is none (empty prefix, or only
 * U+10FFFF). Increments the last code point, carrying past U+10FFFF and jumping over the
 * surrogate range, which never occurs in a well-formed key.
 */
export function prefixUpperBound(prefix: string): string | null {
  const points = Array.from(prefix, (c) => c.codePointAt(0) ?? 0);
  while (points.length > 0) {
    const last = (points.pop() ?? 0) + 1;
    if (last > 0x10ffff) continue;
    points.push(last >= 0xd800 && last <= 0xdfff ? 0xe000 : last);
    return String.fromCodePoint(...points);
  }
  return null;
}
