/**
 * The one bounded signal for outbound calls (cloud stores, KMS seals, login back-ends, audit
 * targets, rotation webhooks): it aborts when its parent does or after `ms`, whichever comes first, and
 * is released when the work ends. `AbortSignal.any([parent, AbortSignal.timeout(ms)])` does
 * the same but keeps its timer (and, on Node 20, weak references and a finalizer per signal)
 * alive for the whole timeout after the work is done: on a gateway calling a cloud store per
 * cache miss, thousands of live timers and signals (bench/README.md).
 */

import { unrefTimer } from './timers.js';

export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer and detaches from the parent; the signal no longer aborts. */
  release(): void;
}

/** What a deadline aborts with when the time is up: a `TimeoutError`, as `AbortSignal.timeout` does. */
function timeoutReason(): Error {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

export function deadline(parent: AbortSignal | undefined, ms: number): Deadline {
  const controller = new AbortController();
  if (parent?.aborted === true) {
    controller.abort(parent.reason);
    return { signal: controller.signal, release: () => undefined };
  }
  const onParentAbort = (): void => {
    clearTimeout(timer);
    controller.abort(parent?.reason);
  };
  const timer = setTimeout(() => {
    parent?.removeEventListener('abort', onParentAbort);
    controller.abort(timeoutReason());
  }, ms);
  // Like AbortSignal.timeout's, the timer alone does not keep a Node process running.
  unrefTimer(timer);
  parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    release() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
