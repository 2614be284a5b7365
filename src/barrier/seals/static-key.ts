/**
 * A seal over one static 256-bit key held by the process: the development seal (the key
 * lives in a 0600 file, see `dev-key-file.node.ts`) and the base of anything that unwraps
 * with a locally known key. Runtime-neutral.
 */

import { GatewayError, concatBytes, fromBase64, toBase64, toHex } from '../../core/index.js';
import type { Runtime } from '../../core/index.js';
import { KEY_BYTES, NONCE_BYTES, TAG_BYTES, importAesKey, open, seal } from '../aes-gcm.js';
import type { KeyWrapper, WrappedKey } from '../types.js';

export interface StaticKeySealOptions {
  /** The 32-byte wrapping key. Copied; the caller may zero its own array afterwards. */
  key: Uint8Array;
  subtle: Runtime['subtle'];
  randomBytes: Runtime['randomBytes'];
  /** `KeyWrapper.type`, recorded in every `WrappedKey`; default `static`. */
  type?: string;
  /** Recorded in every `WrappedKey` and required on unwrap; default: the key's fingerprint (`keyFingerprint`). */
  keyId?: string;
}

/** The one message for every unwrap failure, so a caller cannot tell a wrong key from tampering. */
const UNSEAL_FAILED = 'unseal failed: the seal could not unwrap the root key';

/**
 * Creates a `KeyWrapper` that wraps with AES-256-GCM under `key`: `ciphertext` is base64 of
 * nonce ‖ ciphertext ‖ tag, with a fresh random nonce and `aad` bound. `unwrap` throws
 * `ERR_UNSEAL_FAILED` (one opaque message) when the `WrappedKey`'s type or keyId differ or
 * it fails to authenticate. Throws `ERR_INTERNAL` at once when `key` is not 32 bytes.
 */
export function createStaticKeySeal(options: StaticKeySealOptions): KeyWrapper {
  if (options.key.length !== KEY_BYTES) {
    throw new GatewayError('ERR_INTERNAL', `a static seal key must be ${KEY_BYTES} bytes`);
  }
  const { subtle, randomBytes } = options;
  const type = options.type ?? 'static';
  let raw: Uint8Array | null = new Uint8Array(options.key);
  // Import once, on first use (factories stay synchronous); afterwards only the
  // non-extractable CryptoKey remains and the raw copy is zeroed.
  let ready: Promise<{ cryptoKey: CryptoKey; keyId: string }> | null = null;
  const prepare = (): Promise<{ cryptoKey: CryptoKey; keyId: string }> => {
    ready ??= (async () => {
      const bytes = raw ?? new Uint8Array(0);
      const [cryptoKey, keyId] = await Promise.all([importAesKey(subtle, bytes), options.keyId ?? keyFingerprint(subtle, bytes)]);
      bytes.fill(0);
      raw = null;
      return { cryptoKey, keyId };
    })();
    return ready;
  };

  return {
    type,

    async wrap(key, aad) {
      const { cryptoKey, keyId } = await prepare();
      const nonce = randomBytes(NONCE_BYTES);
      const sealed = await seal(subtle, cryptoKey, nonce, key, aad);
      return { type, keyId, ciphertext: toBase64(concatBytes(nonce, sealed)) };
    },

    async unwrap(wrapped: WrappedKey, aad) {
      const { cryptoKey, keyId } = await prepare();
      if (wrapped.type !== type || wrapped.keyId !== keyId) throw unsealFailed();
      const blob = typeof wrapped.ciphertext === 'string' ? fromBase64(wrapped.ciphertext) : null;
      if (blob === null || blob.length < NONCE_BYTES + TAG_BYTES) throw unsealFailed();
      try {
        return await open(subtle, cryptoKey, blob.subarray(0, NONCE_BYTES), blob.subarray(NONCE_BYTES), aad);
      } catch {
        throw unsealFailed();
      }
    },
  };
}

/**
 * A key's public fingerprint: the first 16 hex characters (64 bits) of its SHA-256. Tells
 * key files apart in stored `WrappedKey`s and logs; it does not help recover the key.
 */
export async function keyFingerprint(subtle: Runtime['subtle'], key: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await subtle.digest('SHA-256', new Uint8Array(key)));
  return toHex(digest.subarray(0, 8));
}

/**
 * Parses a dev key as written in a key file or submitted to `POST /api/v1/sys/unseal`:
 * base64 (or base64url) of exactly 32 bytes, surrounding whitespace ignored. Returns null
 * for anything else; callers choose the error and must not echo the input.
 */
export function parseDevKey(text: string): Uint8Array | null {
  // 32 bytes are 44 base64 characters; refuse anything far longer before decoding it.
  if (text.length > 256) return null;
  const bytes = fromBase64(text.trim());
  if (bytes === null || bytes.length !== KEY_BYTES) {
    bytes?.fill(0);
    return null;
  }
  return bytes;
}

function unsealFailed(): GatewayError {
  return new GatewayError('ERR_UNSEAL_FAILED', UNSEAL_FAILED);
}
