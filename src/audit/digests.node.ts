/**
 * The audit digests over `node:crypto`, synchronous: no thread-pool round trip per value
 * or per chained record. Same output as `createWebAuditDigests` (`digests.ts`).
 */

import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac, createSecretKey } from 'node:crypto';
import { GatewayError } from '../core/index.js';
import type { AuditDigests } from './digests.js';

/** `crypto.hash` (one-shot, no Hash object: about a third faster on a record) where this Node has it (≥ 20.12). */
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export function createNodeAuditDigests(): AuditDigests {
  return {
    name: 'node',
    async hmacSha256(key) {
      // WebCrypto refuses an empty HMAC key; so does this.
      if (key.length === 0) throw new GatewayError('ERR_INTERNAL', 'an HMAC key must not be empty');
      // Imported once: the key object holds its own copy of the bytes.
      const keyObject = createSecretKey(key);
      return (text) => createHmac('sha256', keyObject).update(text, 'utf8').digest('hex');
    },
    sha256Hex: oneShot === undefined ? (text) => createHash('sha256').update(text, 'utf8').digest('hex') : (text) => oneShot('sha256', text, 'hex'),
  };
}
