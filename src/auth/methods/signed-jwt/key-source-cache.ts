/**
 * Per-mount cache of key sources, keyed by a fingerprint of the configuration that
 * produced them (URL, CA, keys), so a configuration change starts from a fresh key set
 * and the old one is dropped. Bounded: a mount has one configuration at a time, the few
 * extra slots only absorb replicas briefly disagreeing.
 */

/** A small map from configuration fingerprint to a built value. */
export interface KeySourceCache<T> {
  /** The value for `fingerprint`, built with `build` the first time. */
  get(fingerprint: string, build: () => T): T;
  /** Forgets every value (e.g. after a configuration write). */
  clear(): void;
}

/** Most fingerprints kept at once. */
export const MAX_KEY_SOURCES = 4;

/** Creates an empty cache. */
export function createKeySourceCache<T>(): KeySourceCache<T> {
  const entries = new Map<string, T>();
  return {
    get(fingerprint, build) {
      const found = entries.get(fingerprint);
      if (found !== undefined) return found;
      const built = build();
      entries.set(fingerprint, built);
      while (entries.size > MAX_KEY_SOURCES) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
      return built;
    },
    clear() {
      entries.clear();
    },
  };
}
