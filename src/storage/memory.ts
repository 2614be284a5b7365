import { GatewayError, compareKeys } from '../core/index.js';
import type { ListOptions, ManagedStorage } from '../core/index.js';
import { assertStorageKey, childName, effectiveListLimit, folderEndKey, listStartKey } from './keys.js';

/**
 * In-memory storage: the reference implementation of `Storage`, for tests and for
 * `storage: { type: memory }`. Values are copied in and out, so callers cannot alias them.
 * Keys with NUL or a lone surrogate throw `ERR_INTERNAL` (as every backend does); after
 * `close()` every call throws `ERR_STORAGE_UNAVAILABLE`.
 */
export function createMemoryStorage(): ManagedStorage {
  const entries = new Map<string, Uint8Array>();
  let sorted: string[] | null = null;
  let closed = false;

  const keys = (): string[] => {
    sorted ??= [...entries.keys()].sort(compareKeys);
    return sorted;
  };
  const assertOpen = (): void => {
    if (closed) throw new GatewayError('ERR_STORAGE_UNAVAILABLE', 'memory storage is closed');
  };

  return {
    async get(key) {
      assertOpen();
      assertStorageKey(key);
      const value = entries.get(key);
      return value === undefined ? null : new Uint8Array(value);
    },
    async put(key, value) {
      assertOpen();
      assertStorageKey(key);
      if (!entries.has(key)) sorted = null;
      // `new Uint8Array(x)` copies just the view's bytes into a plain Uint8Array, whereas
      // `Buffer#slice` would return a view sharing the caller's memory.
      entries.set(key, new Uint8Array(value));
    },
    async delete(key) {
      assertOpen();
      assertStorageKey(key);
      if (entries.delete(key)) sorted = null;
    },
    async list(prefix, opts: ListOptions = {}) {
      assertOpen();
      assertStorageKey(prefix, 'list prefix');
      if (opts.after !== undefined) assertStorageKey(opts.after, 'list cursor');
      const limit = effectiveListLimit(opts.limit);
      const out: string[] = [];
      const all = keys();
      // Same walk as the SQLite backend: seek to the first candidate, and past each folder
      // once it is emitted, so a page costs O(returned names), not O(subtree).
      let i = lowerBound(all, listStartKey(prefix, opts.after));
      while (out.length < limit && i < all.length) {
        const key = all[i] ?? '';
        if (!key.startsWith(prefix)) break;
        const name = childName(prefix, key);
        out.push(name);
        i = name.endsWith('/') ? lowerBound(all, folderEndKey(prefix, name.slice(0, -1)), i) : i + 1;
      }
      return out;
    },
    async ping() {
      assertOpen();
    },
    async close() {
      closed = true;
      entries.clear();
      sorted = null;
    },
  };
}

function lowerBound(sortedKeys: readonly string[], target: string, from = 0): number {
  let lo = from;
  let hi = sortedKeys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(sortedKeys[mid] ?? '', target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
