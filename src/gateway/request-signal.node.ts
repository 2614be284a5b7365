/**
 * The Node entry's per-request signal (see `lightweightSignal`). Node-only: it reads the
 * `node:http` request and response behind @hono/node-server's lightweight request.
 */

import type { Http2Bindings, HttpBindings } from '@hono/node-server';

/**
 * Gives @hono/node-server's lightweight request a signal of its own. The library builds a
 * full WHATWG Request (URL, Headers, AbortController, undici internals) the first time
 * anything reads `request.signal`, and every secret request reads it (the operation's
 * abort signal): on a cached read that construction was 12 % of the CPU (bench/README.md).
 * This signal is made on first read and aborts when the library's own would: the response
 * closed before it finished (the client went away), or the request stream errored.
 */
export function lightweightSignal(request: Request, bindings: HttpBindings | Http2Bindings): void {
  const { incoming, outgoing } = bindings;
  if (!('writableFinished' in outgoing)) return;
  let controller: AbortController | null = null;
  const abortIfCut = (c: AbortController): void => {
    if (c.signal.aborted) return;
    if (incoming.errored) c.abort(incoming.errored.toString());
    else if (!outgoing.writableFinished) c.abort('Client connection prematurely closed.');
  };
  Object.defineProperty(request, 'signal', {
    configurable: true,
    enumerable: true,
    get(): AbortSignal {
      if (controller === null) {
        const c = new AbortController();
        controller = c;
        // Already closed before anyone asked: the close event is gone, decide now.
        if (outgoing.destroyed) abortIfCut(c);
        else outgoing.once('close', () => abortIfCut(c));
      }
      return controller.signal;
    },
  });
}
