/**
 * The physical storage contract (ARCHITECTURE.md, "Contracts"). Storage holds opaque
 * bytes; above the barrier those bytes are always ciphertext. Implementations live in
 * `src/storage/` and each passes `src/storage/storage.case.ts`.
 */

export interface ListOptions {
  /** Only entries that sort strictly after this name (as returned by `list`). */
  after?: string;
  /** At most this many entries. */
  limit?: number;
}

export interface Storage {
  /** The value at `key`, or null when there is none. */
  get(key: string): Promise<Uint8Array | null>;
  /** Writes `value` at `key`; durable once the promise resolves. */
  put(key: string, value: Uint8Array): Promise<void>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * The names one level below `prefix` (which is empty or ends in `/`), relative to it,
   * sorted by code point, de-duplicated, sub-folders ending in `/`.
   */
  list(prefix: string, opts?: ListOptions): Promise<string[]>;
}

/** Storage with lifecycle: what a backend factory returns to the process that owns it. */
export interface ManagedStorage extends Storage {
  /** Cheap liveness check; throws when the store cannot serve. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Orders storage keys by Unicode code point, the order every backend's `list` uses
 * (it equals UTF-8 byte order, which SQLite and PostgreSQL `COLLATE "C"` use).
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.codePointAt(i) ?? 0;
    const cb = b.codePointAt(i) ?? 0;
    if (ca !== cb) return ca - cb;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}

/** The largest page a single `list` call may return; callers page with `after`. */
export const MAX_LIST_LIMIT = 1000;
