/**
 * The Node entry's request listener. Secret reads (`GET /api/v1/secrets/…`: reads outnumber
 * writes about a thousand to one) are answered straight from `node:http`'s request and response:
 * the same face (`answerFace`), the same pipeline, audit and error answers as every other
 * request, but without building a WHATWG Request, Headers and Response per request and
 * without Hono's router, which cost a cached read most of its CPU (bench/README.md,
 * decision 0014). The reads of one event-loop turn start together (decision 0019). Everything
 * else, HEAD and reads by an absolute-form target included, goes to the Hono app through
 * @hono/node-server, after the reads that arrived before it have started.
 */

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Http2Bindings, HttpBindings } from '@hono/node-server';
import type { GatewayBindings } from './app.js';
import type { Exchange, Exchanges } from './exchange.js';
import type { KeygateCore } from './keygate.js';
import { parseQuery } from './request-input.js';
import type { RequestHeaders } from './request-input.js';
import { toHttpError } from './http-errors.js';
import { jsonAnswer } from './respond.js';
import type { Answer } from './respond.js';
import { lazyRequestSignal, lightweightSignal } from './request-signal.node.js';
import { answerFace } from './secrets-face.js';

const SECRETS_PREFIX = '/api/v1/secrets/';

export type NodeListener = (incoming: IncomingMessage, outgoing: ServerResponse) => void;

/**
 * A request's headers as `RequestHeaders`. A header sent more than once reads as its values
 * joined with ", ", as WHATWG `Headers` gives it on the Hono path, including the ones
 * `IncomingMessage.headers` keeps only the first of (`Authorization`): both paths must see
 * the same request.
 */
export class NodeRequestHeaders implements RequestHeaders {
  readonly #incoming: IncomingMessage;
  constructor(incoming: IncomingMessage) {
    this.#incoming = incoming;
  }
  get(name: string): string | null {
    const headers: IncomingHttpHeaders = this.#incoming.headers;
    const value = headers[name];
    if (value === undefined) return null;
    if (typeof value !== 'string') return value.join(', ');
    if (!ONLY_FIRST_KEPT.has(name)) return value;
    // Node kept the first of these only: read every occurrence from the raw list.
    const raw = this.#incoming.rawHeaders;
    let all: string | null = null;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const field = raw[i] ?? '';
      if (field.length === name.length && field.toLowerCase() === name) all = all === null ? (raw[i + 1] ?? '') : `${all}, ${raw[i + 1] ?? ''}`;
    }
    return all ?? value;
  }
}

/**
 * An answer's headers as a flat `[name, value, …]` list (`writeHead` takes one: no object
 * copied per answer), `content-length` included, for the caller to append to. A frozen
 * answer (a cached response's, shared by every reader) has its list made once and copied.
 */
function headerListOf(answer: Answer): (string | number)[] {
  const frozen = Object.isFrozen(answer);
  if (frozen) {
    const known = HEADER_LISTS.get(answer);
    if (known !== undefined) return known.slice();
  }
  const list: (string | number)[] = [];
  for (const [name, value] of Object.entries(answer.headers)) list.push(name, value);
  if (answer.body !== null) list.push('content-length', Buffer.byteLength(answer.body));
  if (!frozen) return list;
  // The kept list is a copy, which is exactly as long as it needs to be (push leaves room to grow).
  HEADER_LISTS.set(answer, list.slice());
  return list;
}
const HEADER_LISTS = new WeakMap<Answer, (string | number)[]>();

/** The headers `IncomingMessage.headers` drops repeats of (Node's `matchKnownFields`), among those the gateway reads. */
const ONLY_FIRST_KEPT: ReadonlySet<string> = new Set(['authorization', 'content-type', 'content-length']);

/**
 * Builds the listener: the fast path for secret reads, the Hono app for the rest. `hostname`
 * is what @hono/node-server puts in the URLs of the requests it builds.
 */
export function createNodeListener(core: KeygateCore, app: { fetch(request: Request, env: GatewayBindings): Response | Promise<Response> }, exchanges: Exchanges, hostname: string): NodeListener {
  const viaHono = getRequestListener(
    (request: Request, bindings: HttpBindings | Http2Bindings) => {
      lightweightSignal(request, bindings);
      const { url, socket } = bindings.incoming;
      return app.fetch(request, { rawUrl: url, ...(socket.remoteAddress === undefined ? {} : { remoteAddress: socket.remoteAddress }) });
    },
    { hostname },
  );

  const send = (outgoing: ServerResponse, exchange: Exchange, answer: Answer): void => {
    exchanges.finish(exchange, answer.status);
    write(outgoing, answer, exchange.requestId);
  };

  const write = (outgoing: ServerResponse, answer: Answer, requestId: string): void => {
    // The client may be gone; the request is on record either way.
    if (outgoing.destroyed || outgoing.headersSent) return;
    const headers = headerListOf(answer);
    if (requestId !== '') headers.push('x-request-id', requestId);
    outgoing.writeHead(answer.status, headers);
    if (answer.body === null) outgoing.end();
    else outgoing.end(answer.body);
  };

  const serveRead = async (incoming: IncomingMessage, outgoing: ServerResponse, url: string): Promise<void> => {
    const exchange = exchanges.open('GET');
    let answer: Answer;
    try {
      const headers = new NodeRequestHeaders(incoming);
      exchanges.admit(exchange, { url, rawUrl: url, remoteAddress: incoming.socket.remoteAddress ?? null, forwardedFor: headers.get('x-forwarded-for') });
      answer = await answerFace({
        core,
        face: 'secrets',
        method: 'GET',
        headers,
        // A GET's body is never read (the face reads bodies of PUT, POST and PATCH only).
        readBody: () => Promise.resolve({}),
        signal: lazyRequestSignal(incoming, outgoing),
        rawPath: exchange.rawPath,
        query: parseQuery(url),
        requestId: exchange.requestId,
        clientAddress: exchange.clientAddress,
      });
    } catch (err) {
      answer = await exchanges.failure(exchange, err);
    }
    send(outgoing, exchange, answer);
  };

  const startRead = (incoming: IncomingMessage, outgoing: ServerResponse, url: string): void => {
    serveRead(incoming, outgoing, url).catch((err: unknown) => {
      // Only a failure to write the answer lands here: the face's errors became answers.
      core.runtime.logger.error({ err: err instanceof Error ? err.name : typeof err }, 'could not write a response');
      if (outgoing.headersSent) outgoing.end();
      else {
        const mapped = toHttpError(err, '');
        // No request id here: the exchange itself is what failed.
        write(outgoing, jsonAnswer(mapped.status, mapped.body, mapped.headers), '');
      }
    });
  };

  // Reads that arrived in this turn of the event loop, started together once the poll phase
  // is over (decision 0019): their steps then run stage by stage across the batch, and their
  // answers are written back to back, instead of each read running whole between two socket
  // callbacks. At most MAX_BATCH reads.
  let batch: [IncomingMessage, ServerResponse, string][] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const reads = batch;
    batch = [];
    for (const [incoming, outgoing, url] of reads) startRead(incoming, outgoing, url);
  };

  return (incoming, outgoing) => {
    const url = incoming.url ?? '';
    if (incoming.method === 'GET' && url.startsWith(SECRETS_PREFIX)) {
      batch.push([incoming, outgoing, url]);
      if (batch.length >= MAX_BATCH) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      return;
    }
    // Requests start in the order they arrived: the reads queued before this one go first.
    if (batch.length > 0) flush();
    void viaHono(incoming, outgoing);
  };
}

/** Reads queued for one batch at most; a busier turn starts them in several. */
const MAX_BATCH = 1024;
