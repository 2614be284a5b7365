/** JSON in and out of storage, as UTF-8. Failures never quote what was stored. */

import { GatewayError, fromUtf8, utf8 } from '../../core/index.js';

/** Encodes a JSON value for `Storage.put`. */
export function encodeJson(value: unknown): Uint8Array {
  return utf8(JSON.stringify(value));
}

/**
 * Decodes bytes written by `encodeJson`. Throws `ERR_INTERNAL` (message names `what`,
 * never the content) when they are not UTF-8 JSON.
 */
export function decodeJson(bytes: Uint8Array, what: string): unknown {
  try {
    const parsed: unknown = JSON.parse(fromUtf8(bytes));
    return parsed;
  } catch {
    throw new GatewayError('ERR_INTERNAL', `stored ${what} is unreadable`);
  }
}
