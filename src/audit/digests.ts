/**
 * The two digests every audit record costs: HMAC-SHA256 of each data value (`hmac.ts`) and
 * SHA-256 of the record for its chain (`chain.ts`). A port, so the Node entry can pass the
 * synchronous `node:crypto` implementation (`digests.node.ts`): the chain step of a device
 * is serialised, and a WebCrypto digest there is a thread-pool round trip per record
 * (PERFORMANCE.md). Both implementations give the same hex for the same input.
 */

import { toHex, utf8 } from '../core/index.js';

/** A keyed MAC over UTF-8 text, hex. Synchronous where the runtime allows it. */
export type HmacFn = (text: string) => string | Promise<string>;

export interface AuditDigests {
  /** `webcrypto` or `node`: for tests. */
  readonly name: string;
  /** Imports `key` once (copied) and returns the HMAC-SHA256 function over it. */
  hmacSha256(key: Uint8Array): Promise<HmacFn>;
  /** SHA-256 of the UTF-8 bytes of `text`, hex. */
  sha256Hex(text: string): string | Promise<string>;
}

/** The WebCrypto implementation (the default on every runtime). */
export function createWebAuditDigests(subtle: SubtleCrypto): AuditDigests {
  return {
    name: 'webcrypto',
    async hmacSha256(key) {
      const cryptoKey = await subtle.importKey('raw', new Uint8Array(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      return async (text) => toHex(new Uint8Array(await subtle.sign('HMAC', cryptoKey, utf8(text))));
    },
    sha256Hex: async (text) => toHex(new Uint8Array(await subtle.digest('SHA-256', utf8(text)))),
  };
}
