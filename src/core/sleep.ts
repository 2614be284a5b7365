/**
 * Waits `ms`, or rejects as soon as `signal` aborts (with `onAbort()`'s error), cleaning up
 * its timer and listener either way: the one abortable sleep for backoffs and delays.
 */
export function sleep(ms: number, signal: AbortSignal, onAbort: () => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(onAbort());
      return;
    }
    const abort = () => {
      clearTimeout(timer);
      reject(onAbort());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal.addEventListener('abort', abort, { once: true });
  });
}
