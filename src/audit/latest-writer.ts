/**
 * Persists the newest of a stream of values at most once per interval: what an audit device
 * does with its chain head at each checkpoint. A checkpoint comes every 1,000 records, which
 * is dozens of times a second on a busy gateway, and each head write is a synchronous SQLite
 * transaction with a WAL fsync on the Node entry (bench/README.md). The head only tells the
 * next process what to link its first record to, so only the newest matters: writes inside
 * the interval collapse into one, made when the interval has passed (decision 0017).
 */

import { unrefTimer } from '../core/index.js';

export interface LatestWriter<T> {
  /**
   * Persists `value`, or a newer one handed in before the write starts. The first write
   * starts at once; later ones no sooner than `minIntervalMs` after the one before, and never
   * two at a time. Resolves once `value` or a newer one is persisted; rejects with the error
   * of the write that carried it.
   */
  write(value: T): Promise<void>;
  /** Persists the newest value handed in now, without waiting out the interval (a device closing). */
  flush(): Promise<void>;
}

interface Pending<T> {
  value: T;
  done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

export function createLatestWriter<T>(persist: (value: T) => Promise<void>, minIntervalMs: number, now: () => number): LatestWriter<T> {
  let lastStartedAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | null = null;
  let pending: Pending<T> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const run = (): void => {
    timer = null;
    const job = pending;
    if (job === null) return;
    pending = null;
    lastStartedAt = now();
    let written: Promise<void>;
    try {
      written = persist(job.value);
    } catch (err) {
      written = Promise.reject(err instanceof Error ? err : new Error('the write failed'));
    }
    inFlight = written.then(job.resolve, job.reject).finally(() => {
      inFlight = null;
      schedule();
    });
  };

  /** Starts the pending write when allowed: nothing in flight, and the interval since the last start passed. */
  const schedule = (): void => {
    if (pending === null || inFlight !== null || timer !== null) return;
    const wait = lastStartedAt + minIntervalMs - now();
    if (wait <= 0) return run();
    // A pending head must not keep a process alive; a device's close flushes it.
    timer = unrefTimer(setTimeout(run, wait));
  };

  const replace = (value: T): Promise<void> => {
    if (pending !== null) {
      pending.value = value;
      return pending.done;
    }
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    pending = { value, done, resolve, reject };
    return done;
  };

  return {
    write(value) {
      const done = replace(value);
      schedule();
      return done;
    },
    async flush() {
      const job = pending;
      if (job === null) return inFlight ?? undefined;
      // After the write in flight, whatever the interval says.
      if (inFlight !== null) await inFlight;
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      if (pending === job) run();
      return job.done;
    },
  };
}
