/**
 * `createTlsFetch({ caPem })`: a `fetch` that trusts only the given CA bundle, for private
 * endpoints such as a Kubernetes API server or an in-cluster OIDC issuer. Built on
 * `node:https` (the global fetch cannot take a per-call CA): HTTPS only, certificate and
 * host name always verified (SNI for names), redirects never followed (a 3xx is returned
 * as is), the `AbortSignal` honoured, and the response body capped. The Node entry wires
 * it into the `Runtime` as `tlsFetch`.
 */

import { X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { certificateBlocks } from './pem.js';

/** Options of `createTlsFetch`. */
export interface TlsFetchOptions {
  /** PEM bundle of the CA certificates to trust (instead of the public CAs). */
  caPem: string;
  /** Largest response body accepted; default 4 MiB. */
  maxResponseBytes?: number;
  /** Bound on a request that brings no signal of its own; default 30 s. */
  defaultTimeoutMs?: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

/** Statuses whose responses carry no body. */
const NO_BODY = new Set([204, 205, 304]);

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

function responseHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name !== undefined && value !== undefined) headers.append(name, value);
  }
  return headers;
}

/**
 * A `fetch` trusting only `options.caPem`. Throws `TypeError` at creation when the bundle
 * holds no parsable certificate; each call rejects with `TypeError` for a non-https URL,
 * a network or TLS failure (e.g. a certificate the bundle does not vouch for) or an
 * oversized body, and with the signal's reason when aborted.
 */
export function createTlsFetch(options: TlsFetchOptions): typeof fetch {
  const blocks = certificateBlocks(options.caPem);
  if (blocks.length === 0) throw new TypeError('the CA bundle holds no PEM certificate');
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new TypeError('the CA bundle holds a certificate that does not parse');
    }
  }
  const ca = blocks;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;

  return async function tlsFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.protocol !== 'https:') throw new TypeError('tlsFetch only fetches https URLs');
    const signal = init?.signal ?? (input instanceof Request ? input.signal : null) ?? AbortSignal.timeout(defaultTimeoutMs);
    if (signal.aborted) throw abortReason(signal);
    const body = request.body === null ? null : new Uint8Array(await request.arrayBuffer());
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    if (body !== null) headers['content-length'] = String(body.byteLength);

    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        reject(err);
      };
      const req = httpsRequest({
        protocol: 'https:',
        hostname,
        port: url.port === '' ? 443 : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers,
        ca,
        rejectUnauthorized: true,
        // SNI takes host names only; an IP address is checked against the certificate's IP SANs.
        ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
        agent: false,
      });
      function onAbort(): void {
        const reason = abortReason(signal);
        req.destroy();
        fail(reason);
      }
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => fail(new TypeError('tlsFetch request failed', { cause: err })));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.byteLength;
          if (total > maxBytes) {
            res.destroy();
            req.destroy();
            fail(new TypeError('tlsFetch response body exceeds the size limit'));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) => fail(new TypeError('tlsFetch response failed', { cause: err })));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          const status = res.statusCode ?? 502;
          if (status < 200 || status > 599) {
            reject(new TypeError('tlsFetch got an unusable status'));
            return;
          }
          const bytes = new Uint8Array(Buffer.concat(chunks));
          const hasBody = !NO_BODY.has(status) && request.method !== 'HEAD';
          resolve(new Response(hasBody ? bytes : null, { status, statusText: res.statusMessage ?? '', headers: responseHeaders(res) }));
        });
      });
      req.end(body ?? undefined);
    });
  };
}
