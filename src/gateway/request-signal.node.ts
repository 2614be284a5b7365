/**
 * The Node entry's per-request signals. Node-only: they read the `node:http` request and
 * response (behind @hono/node-server's lightweight request, or the fast path's own).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2Bindings, HttpBindings } from '@hono/node-server';

/**
 * A request's abort signal, made on first call: the answer closed before it finished (the
 * client went away), or the request stream errored. Until something asks, nothing is
 * allocated and no listener is added (a cache hit never asks).
 */
export function lazyRequestSignal(incoming: IncomingMessage, outgoing: ServerResponse): () => AbortSignal {
  let controller: AbortController | null = null;
  const abortIfCut = (c: AbortController): void => {
    if (c.signal.aborted) return;
    if (incoming.errored) c.abort(incoming.errored.toString());
    else if (!outgoing.writableFinished) c.abort('Client connection prematurely closed.');
  };
  return () => {
    if (controller === null) {
      const c = new AbortController();
      controller = c;
      // Already closed before anyone asked: the close event is gone, decide now.
      if (outgoing.destroyed) abortIfCut(c);
      else outgoing.once('close', () => abortIfCut(c));
    }
    return controller.signal;
  };
}

/**
 * Gives @hono/node-server's lightweight request a signal of its own. The library builds a
 * full WHATWG Request (URL, Headers, AbortController, undici internals) the first time
 * anything reads `request.signal`, and every secret request reads it (the operation's
 * abort signal): on a cached read that construction was 12 % of the CPU (bench/README.md).
 * This signal is made on first read and aborts when the library's own would.
 */
export function lightweightSignal(request: Request, bindings: HttpBindings | Http2Bindings): void {
  if (!isHttp1(bindings)) return;
  const signal = lazyRequestSignal(bindings.incoming, bindings.outgoing);
  Object.defineProperty(request, 'signal', { configurable: true, enumerable: true, get: signal });
}

/** HTTP/1 (the only protocol the Node entry serves): an HTTP/2 response has no `writableFinished`. */
const isHttp1 = (bindings: HttpBindings | Http2Bindings): bindings is HttpBindings => 'writableFinished' in bindings.outgoing;
