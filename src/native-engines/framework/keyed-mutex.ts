/**
 * An in-process keyed async mutex: callers with the same key run one at a time, in arrival
 * order; different keys never wait for each other. An entry lives only while someone holds
 * or awaits its key, so the map is bounded by the number of requests in flight.
 */
export interface KeyedMutex {
  /** Runs `fn` once every earlier holder of `key` has finished; releases even if `fn` throws. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Keys currently held or awaited (for tests and metrics). */
  readonly size: number;
}

/** Creates an empty keyed mutex. */
export function createKeyedMutex(): KeyedMutex {
  // Each key maps to the promise that settles when its last queued holder releases.
  const tails = new Map<string, Promise<void>>();
  return {
    async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tail = previous.then(() => released);
      tails.set(key, tail);
      await previous;
      try {
        return await fn();
      } finally {
        release();
        // Only the last holder in the queue removes the entry; later arrivals replaced it.
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
    get size() {
      return tails.size;
    },
  };
}
