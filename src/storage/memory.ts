import { MAX_LIST_LIMIT, compareKeys } from '../core/index.js';
import type { ListOptions, ManagedStorage } from '../core/index.js';

/**
 * In-memory storage: the reference implementation of `Storage`, for tests and for
 * `storage: { type: memory }`. Values are copied in and out, so callers cannot alias them.
 */
export function createMemoryStorage(): ManagedStorage {
  const entries = new Map<string, Uint8Array>();
  let sorted: string[] | null = null;

  const keys = (): string[] => {
    sorted ??= [...entries.keys()].sort(compareKeys);
    return sorted;
  };

  return {
    async get(key) {
      const value = entries.get(key);
      return value === undefined ? null : value.slice();
    },
    async put(key, value) {
      if (!entries.has(key)) sorted = null;
      entries.set(key, value.slice());
    },
    async delete(key) {
      if (entries.delete(key)) sorted = null;
    },
    async list(prefix, opts: ListOptions = {}) {
      const limit = Math.min(opts.limit ?? MAX_LIST_LIMIT, MAX_LIST_LIMIT);
      const out: string[] = [];
      if (limit <= 0) return out;
      const all = keys();
      let i = lowerBound(all, prefix);
      for (; i < all.length; i++) {
        const key = all[i] ?? '';
        if (!key.startsWith(prefix)) break;
        const rest = key.slice(prefix.length);
        const slash = rest.indexOf('/');
        const name = slash === -1 ? rest : rest.slice(0, slash + 1);
        if (name === '' || out[out.length - 1] === name) continue;
        if (opts.after !== undefined && compareKeys(name, opts.after) <= 0) continue;
        out.push(name);
        if (out.length >= limit) break;
      }
      return out;
    },
    async ping() {},
    async close() {
      entries.clear();
      sorted = null;
    },
  };
}

function lowerBound(sortedKeys: readonly string[], target: string): number {
  let lo = 0;
  let hi = sortedKeys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(sortedKeys[mid] ?? '', target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
