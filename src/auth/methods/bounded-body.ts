/**
 * Reading an upstream response body with a byte cap (JWKS documents, OIDC discovery,
 * Kubernetes TokenReview): a hostile or broken endpoint cannot make us buffer more than
 * the cap, whatever its `Content-Length` says.
 */

import { fromUtf8, readStreamBounded } from '../../core/index.js';

/** The body was larger than allowed. */
export class BodyTooLargeError extends Error {
  constructor() {
    super('response body exceeds the size limit');
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The body's bytes, at most `maxBytes`. Throws `BodyTooLargeError` past the cap (the
 * stream is cancelled) and whatever the stream throws (e.g. an abort).
 */
export async function readBoundedBytes(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError();
  }
  const bytes = await readStreamBounded(response.body, maxBytes);
  if (bytes === null) throw new BodyTooLargeError();
  return bytes;
}

/**
 * The body parsed as JSON, read with `readBoundedBytes`. Throws `BodyTooLargeError`, or
 * `SyntaxError`/`TypeError` for text that is not UTF-8 JSON.
 */
export async function readBoundedJson(response: Response, maxBytes: number): Promise<unknown> {
  const parsed: unknown = JSON.parse(fromUtf8(await readBoundedBytes(response, maxBytes)));
  return parsed;
}
