/**
 * The `Storage` conformance suite. Every backend (memory, SQLite, and anything layered on
 * top of storage such as a barrier view) runs it, so they all mean the same thing by
 * get/put/delete/list. Imported by test files; not a test file itself.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_LIST_LIMIT, compareKeys, isGatewayError, utf8 } from '../core/index.js';
import type { ManagedStorage } from '../core/index.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

/** Every byte value once, then runs of zeros: what a binary secret may hold. */
function allByteValues(): Uint8Array {
  const out = new Uint8Array(256 + 64);
  for (let i = 0; i < 256; i++) out[i] = i;
  return out;
}

async function putAll(storage: ManagedStorage, keys: readonly string[], value = bytes(1)): Promise<void> {
  // Bounded batches: concurrency exercises the backend without starving the event loop.
  for (let i = 0; i < keys.length; i += 100) {
    await Promise.all(keys.slice(i, i + 100).map((k) => storage.put(k, value)));
  }
}

/** Walks every page of `prefix` with `limit`, failing on an empty page that is not the last. */
async function listAllPages(storage: ManagedStorage, prefix: string, limit: number): Promise<string[]> {
  const all: string[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await storage.list(prefix, after === undefined ? { limit } : { after, limit });
    expect(page.length).toBeLessThanOrEqual(limit);
    all.push(...page);
    if (page.length < limit) return all;
    after = page[page.length - 1];
  }
  throw new Error('pagination did not terminate');
}

/** Byte equality with one boolean result: `toEqual` on a MiB-sized array is needlessly slow. */
function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const sortedByCodePoint = (names: readonly string[]): string[] => [...names].sort(compareKeys);

/**
 * Registers the conformance tests for one `Storage` implementation. `factory` must return
 * a fresh, empty store on each call; the suite closes it after each test.
 */
export function describeStorageConformance(name: string, factory: () => Promise<ManagedStorage>): void {
  describe(`Storage conformance: ${name}`, () => {
    let storage: ManagedStorage;
    let closed = false;

    beforeEach(async () => {
      storage = await factory();
      closed = false;
    });
    afterEach(async () => {
      if (!closed) await storage.close();
    });

    describe('get / put / delete', () => {
      it('returns null for a key that was never written', async () => {
        expect(await storage.get('missing')).toBeNull();
        expect(await storage.get('missing/deeper/key')).toBeNull();
      });

      it('round-trips arbitrary bytes, including every byte value and NUL runs', async () => {
        const value = allByteValues();
        await storage.put('bin', value);
        expect(await storage.get('bin')).toEqual(value);
      });

      it('round-trips an empty value as an empty array, not null', async () => {
        await storage.put('empty', new Uint8Array(0));
        const got = await storage.get('empty');
        expect(got).not.toBeNull();
        expect(got?.length).toBe(0);
      });

      it('round-trips a value of 1 MiB', async () => {
        const value = new Uint8Array(1 << 20);
        for (let i = 0; i < value.length; i++) value[i] = (i * 31 + 7) & 0xff;
        await storage.put('large', value);
        expect(sameBytes(await storage.get('large'), value)).toBe(true);
      });

      it('returns a plain Uint8Array, not a Buffer or other subclass', async () => {
        await storage.put('k', bytes(1, 2, 3));
        const got = await storage.get('k');
        expect(got).toBeInstanceOf(Uint8Array);
        expect(got === null ? null : Object.getPrototypeOf(got)).toBe(Uint8Array.prototype);
      });

      it('overwrites an existing value', async () => {
        await storage.put('k', bytes(1, 2, 3));
        await storage.put('k', bytes(9));
        expect(await storage.get('k')).toEqual(bytes(9));
        expect(await storage.list('')).toEqual(['k']);
      });

      it('stores a copy: mutating the array passed to put changes nothing', async () => {
        const value = bytes(1, 2, 3);
        await storage.put('k', value);
        value[0] = 99;
        expect(await storage.get('k')).toEqual(bytes(1, 2, 3));
      });

      it('returns a copy: mutating a returned array changes nothing', async () => {
        await storage.put('k', bytes(1, 2, 3));
        const first = await storage.get('k');
        first?.fill(0);
        expect(await storage.get('k')).toEqual(bytes(1, 2, 3));
      });

      it('stores only the bytes of a subarray view, not its whole buffer', async () => {
        const backing = bytes(0, 1, 2, 3, 4, 5, 6, 7);
        await storage.put('view', backing.subarray(2, 5));
        expect(await storage.get('view')).toEqual(bytes(2, 3, 4));
      });

      it('deletes a key, after which get returns null and list omits it', async () => {
        await storage.put('a', bytes(1));
        await storage.put('b', bytes(2));
        await storage.delete('a');
        expect(await storage.get('a')).toBeNull();
        expect(await storage.get('b')).toEqual(bytes(2));
        expect(await storage.list('')).toEqual(['b']);
      });

      it('treats deleting a missing key as success', async () => {
        await expect(storage.delete('never-written')).resolves.toBeUndefined();
        await storage.put('x', bytes(1));
        await storage.delete('x');
        await expect(storage.delete('x')).resolves.toBeUndefined();
      });

      it('keeps keys that differ only by a trailing slash or case apart', async () => {
        await storage.put('a', bytes(1));
        await storage.put('a/', bytes(2));
        await storage.put('A', bytes(3));
        expect(await storage.get('a')).toEqual(bytes(1));
        expect(await storage.get('a/')).toEqual(bytes(2));
        expect(await storage.get('A')).toEqual(bytes(3));
      });

      it('round-trips keys with spaces, percent signs, quotes, backslashes and SQL syntax', async () => {
        const keys = [
          'with space/and more',
          '100%',
          '%2F%00%',
          "it's",
          '"double"',
          'back\\slash',
          "'; DROP TABLE entries; --",
          'under_score',
          'glob*?[x]',
          'tab\tand\nnewline',
        ];
        for (const [i, key] of keys.entries()) await storage.put(key, bytes(i));
        for (const [i, key] of keys.entries()) expect(await storage.get(key)).toEqual(bytes(i));
        expect(await storage.get('it')).toBeNull();
        expect(await storage.get('100')).toBeNull();
        expect(await storage.list('with space/')).toEqual(['and more']);
      });

      it('round-trips Unicode keys, including characters outside the BMP', async () => {
        const keys = ['é', 'ü/ß', '日本語', '😀', '😀/🔑', '\u{10FFFF}', '\uFFFF', 'e\u0301'];
        for (const [i, key] of keys.entries()) await storage.put(key, bytes(i));
        for (const [i, key] of keys.entries()) expect(await storage.get(key)).toEqual(bytes(i));
        // Composed and decomposed forms are different keys: storage never normalises.
        expect(await storage.get('e\u0301')).toEqual(bytes(7));
        expect(await storage.get('é')).toEqual(bytes(0));
      });

      it('refuses keys with NUL or an unpaired surrogate, which no backend can store faithfully', async () => {
        for (const key of ['a\u0000b', 'lone\uD800', '\uDC00x']) {
          await expect(storage.put(key, bytes(1))).rejects.toThrow();
          await expect(storage.get(key)).rejects.toThrow();
        }
        expect(await storage.list('')).toEqual([]);
      });

      it('lands every one of many concurrent puts of distinct keys', async () => {
        const keys = Array.from({ length: 300 }, (_, i) => `c/${i}`);
        await Promise.all(keys.map((k, i) => storage.put(k, utf8(`v${i}`))));
        const values = await Promise.all(keys.map((k) => storage.get(k)));
        values.forEach((v, i) => expect(v).toEqual(utf8(`v${i}`)));
        expect(await storage.list('c/')).toEqual(sortedByCodePoint(keys.map((k) => k.slice(2))));
      });

      it('applies concurrent writes to one key whole, leaving one of the written values', async () => {
        const candidates = Array.from({ length: 20 }, (_, i) => new Uint8Array(1000).fill(i));
        await Promise.all(candidates.map((v) => storage.put('same', v)));
        const got = await storage.get('same');
        expect(candidates.some((c) => sameBytes(got, c))).toBe(true);
      });
    });

    describe('list', () => {
      it('lists nothing in an empty store or under a missing prefix', async () => {
        expect(await storage.list('')).toEqual([]);
        await storage.put('a/b', bytes(1));
        expect(await storage.list('nope/')).toEqual([]);
        expect(await storage.list('a/b/')).toEqual([]);
      });

      it('lists the root for an empty prefix: keys, and folders once with a trailing slash', async () => {
        await putAll(storage, ['top', 'dir/one', 'dir/two', 'dir/sub/three', 'other/x/y/z']);
        expect(await storage.list('')).toEqual(['dir/', 'other/', 'top']);
      });

      it('lists one level below the prefix, with names relative to it', async () => {
        await putAll(storage, ['app/db/password', 'app/db/user', 'app/api/key', 'app/token', 'apps/x', 'ap', 'app']);
        expect(await storage.list('app/')).toEqual(['api/', 'db/', 'token']);
        expect(await storage.list('app/db/')).toEqual(['password', 'user']);
        expect(await storage.list('app/api/')).toEqual(['key']);
      });

      it('lists a key and a folder of the same name both', async () => {
        await putAll(storage, ['p/a', 'p/a/child', 'p/a/child/deeper']);
        expect(await storage.list('p/')).toEqual(['a', 'a/']);
        expect(await storage.list('p/a/')).toEqual(['child', 'child/']);
      });

      it('sorts by code point: "a-b" before "a/" before "a0"', async () => {
        await putAll(storage, ['a0', 'a/x', 'a-b', 'a', 'a.c', 'a/y', 'b', 'A', '_']);
        expect(await storage.list('')).toEqual(['A', '_', 'a', 'a-b', 'a.c', 'a/', 'a0', 'b']);
      });

      it('sorts by code point, not UTF-16 unit, for characters outside the BMP', async () => {
        // UTF-16 order would put U+1F600 (0xD83D…) before U+E000 and U+FFFF; code point order puts it after.
        const names = ['\uE000', '\uFFFF', '😀', 'z', 'é', '\u{10000}', '\u{10FFFF}', '日'];
        await putAll(storage, names.map((n) => `u/${n}`));
        const expected = ['z', 'é', '日', '\uE000', '\uFFFF', '\u{10000}', '😀', '\u{10FFFF}'];
        expect(await storage.list('u/')).toEqual(expected);
        expect(expected).toEqual(sortedByCodePoint(names));
        expect(expected).not.toEqual([...names].sort());
      });

      it('keeps the listing of a folder named by a non-BMP character inside that folder', async () => {
        await putAll(storage, ['😀/in', '😀/sub/x', '😀0', '😀', '😁/out', '😀😀/out', '\u{10FFFF}/edge', '\u{10FFFF}0']);
        expect(await storage.list('😀/')).toEqual(['in', 'sub/']);
        expect(await storage.list('\u{10FFFF}/')).toEqual(['edge']);
        expect(await storage.list('')).toEqual(['😀', '😀/', '😀0', '😀😀/', '😁/', '\u{10FFFF}/', '\u{10FFFF}0']);
      });

      it('pages through non-BMP names with after', async () => {
        const names = ['\uE000', '\uFFFF', '😀', 'z', '\u{10000}', '\u{10FFFF}'];
        await putAll(storage, names.map((n) => `u/${n}`));
        expect(await listAllPages(storage, 'u/', 1)).toEqual(sortedByCodePoint(names));
        expect(await storage.list('u/', { after: '\uFFFF' })).toEqual(['\u{10000}', '😀', '\u{10FFFF}']);
      });

      it('lists names with spaces, percent signs and quotes in code point order', async () => {
        const names = ['a b', 'a%b', "a'b", 'a"b', 'a\\b', 'a_b'];
        await putAll(storage, names.map((n) => `q/${n}`));
        expect(await storage.list('q/')).toEqual(sortedByCodePoint(names));
      });

      it('starts strictly after `after`', async () => {
        await putAll(storage, ['l/a', 'l/b', 'l/c', 'l/d']);
        expect(await storage.list('l/', { after: 'b' })).toEqual(['c', 'd']);
        expect(await storage.list('l/', { after: 'a' })).toEqual(['b', 'c', 'd']);
        expect(await storage.list('l/', { after: '' })).toEqual(['a', 'b', 'c', 'd']);
        expect(await storage.list('l/', { after: 'd' })).toEqual([]);
        expect(await storage.list('l/', { after: 'zzz' })).toEqual([]);
      });

      it('treats `after` as a name that need not exist', async () => {
        await putAll(storage, ['l/a', 'l/c', 'l/e']);
        expect(await storage.list('l/', { after: 'b' })).toEqual(['c', 'e']);
        expect(await storage.list('l/', { after: 'a0' })).toEqual(['c', 'e']);
      });

      it('compares `after` against returned names, so a folder name skips that whole folder', async () => {
        await putAll(storage, ['p/a', 'p/a/1', 'p/a/2', 'p/a-b', 'p/a0', 'p/b/1']);
        expect(await storage.list('p/')).toEqual(['a', 'a-b', 'a/', 'a0', 'b/']);
        expect(await storage.list('p/', { after: 'a' })).toEqual(['a-b', 'a/', 'a0', 'b/']);
        expect(await storage.list('p/', { after: 'a-b' })).toEqual(['a/', 'a0', 'b/']);
        expect(await storage.list('p/', { after: 'a/' })).toEqual(['a0', 'b/']);
        expect(await storage.list('p/', { after: 'a/1' })).toEqual(['a0', 'b/']);
        expect(await storage.list('p/', { after: 'b/' })).toEqual([]);
      });

      it('returns at most `limit` names', async () => {
        await putAll(storage, ['l/a', 'l/b', 'l/c/x', 'l/c/y', 'l/d']);
        expect(await storage.list('l/', { limit: 2 })).toEqual(['a', 'b']);
        expect(await storage.list('l/', { limit: 3 })).toEqual(['a', 'b', 'c/']);
        expect(await storage.list('l/', { after: 'b', limit: 1 })).toEqual(['c/']);
        expect(await storage.list('l/', { limit: 1 })).toEqual(['a']);
      });

      it('returns nothing for a zero or negative limit', async () => {
        await putAll(storage, ['l/a', 'l/b']);
        expect(await storage.list('l/', { limit: 0 })).toEqual([]);
        expect(await storage.list('l/', { limit: -5 })).toEqual([]);
      });

      it(`caps limit at MAX_LIST_LIMIT (${MAX_LIST_LIMIT}) and pages 2,500 entries without loss or duplicates`, async () => {
        const names = Array.from({ length: 2500 }, (_, i) => (i % 10 === 0 ? `f${i}/x` : `k${i}`));
        // A sibling folder on each side proves the walk stays inside the prefix.
        await putAll(storage, [...names.map((n) => `big/${n}`), 'bif/x', 'bih/x', 'big']);
        const expected = sortedByCodePoint(names.map((n) => (n.includes('/') ? n.slice(0, n.indexOf('/') + 1) : n)));

        const unbounded = await storage.list('big/');
        expect(unbounded).toHaveLength(MAX_LIST_LIMIT);
        expect(await storage.list('big/', { limit: MAX_LIST_LIMIT * 10 })).toHaveLength(MAX_LIST_LIMIT);
        expect(await storage.list('big/', { limit: Number.POSITIVE_INFINITY })).toHaveLength(MAX_LIST_LIMIT);
        expect(unbounded).toEqual(expected.slice(0, MAX_LIST_LIMIT));

        for (const limit of [MAX_LIST_LIMIT, 333, 7]) {
          const walked = await listAllPages(storage, 'big/', limit);
          expect(walked).toEqual(expected);
          expect(new Set(walked).size).toBe(walked.length);
        }
      });

      it('does not descend into folders: a folder with many children counts as one name', async () => {
        await putAll(storage, [...Array.from({ length: 1500 }, (_, i) => `d/huge/${i}`), 'd/after', 'd/before']);
        expect(await storage.list('d/', { limit: 3 })).toEqual(['after', 'before', 'huge/']);
      });
    });

    describe('lifecycle', () => {
      it('answers ping while open', async () => {
        await expect(storage.ping()).resolves.toBeUndefined();
      });

      it('closes, after which calls are refused', async () => {
        await storage.put('k', bytes(1));
        await storage.close();
        closed = true;
        await expect(storage.get('k')).rejects.toSatisfy((err) => isGatewayError(err));
        await expect(storage.put('k', bytes(2))).rejects.toThrow();
        await expect(storage.ping()).rejects.toThrow();
      });
    });
  });
}
