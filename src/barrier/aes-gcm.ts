/**
 * AES-256-GCM over WebCrypto, runtime-neutral. The primitive under the barrier and the
 * static-key seal. Callers supply nonces only from `Runtime.randomBytes(NONCE_BYTES)`;
 * the nonce parameter exists so known-answer tests can pin it.
 */

import { DecryptionError, GatewayError } from '../core/index.js';

/** AES-256 key length. */
export const KEY_BYTES = 32;
/** GCM's 96-bit nonce: the length GCM is specified and analysed for with random nonces. */
export const NONCE_BYTES = 12;
/** Full 128-bit tag; WebCrypto appends it to the ciphertext. */
export const TAG_BYTES = 16;

/**
 * Imports 32 raw bytes as a non-extractable AES-GCM key for encrypt and decrypt. Throws
 * `ERR_INTERNAL` for any other length (never AES-128/192 by accident).
 */
export async function importAesKey(subtle: SubtleCrypto, raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== KEY_BYTES) {
    throw new GatewayError('ERR_INTERNAL', `AES-256-GCM needs a ${KEY_BYTES}-byte key`);
  }
  return subtle.importKey('raw', arrayBacked(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/**
 * Encrypts `plaintext`, authenticating `aad` too; returns ciphertext ‖ 16-byte tag. Throws
 * `ERR_INTERNAL` when `nonce` is not 12 bytes.
 */
export async function seal(
  subtle: SubtleCrypto,
  key: CryptoKey,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  if (nonce.length !== NONCE_BYTES) {
    throw new GatewayError('ERR_INTERNAL', `AES-GCM nonces are ${NONCE_BYTES} bytes`);
  }
  const out = await subtle.encrypt(
    { name: 'AES-GCM', iv: arrayBacked(nonce), additionalData: arrayBacked(aad), tagLength: TAG_BYTES * 8 },
    key,
    arrayBacked(plaintext),
  );
  return new Uint8Array(out);
}

/**
 * Decrypts ciphertext ‖ tag produced by `seal` with the same key, nonce and `aad`. Every
 * failure (wrong key, nonce or aad, altered or short input) throws the one opaque
 * `DecryptionError` (`ERR_DECRYPTION_FAILED`), with no cause attached, so nothing about
 * why leaks through messages, logs or timing of distinct error paths.
 */
export async function open(
  subtle: SubtleCrypto,
  key: CryptoKey,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  if (nonce.length !== NONCE_BYTES || sealed.length < TAG_BYTES) throw new DecryptionError();
  try {
    const out = await subtle.decrypt(
      { name: 'AES-GCM', iv: arrayBacked(nonce), additionalData: arrayBacked(aad), tagLength: TAG_BYTES * 8 },
      key,
      arrayBacked(sealed),
    );
    return new Uint8Array(out);
  } catch {
    throw new DecryptionError();
  }
}

function isArrayBacked(bytes: Uint8Array): bytes is Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer;
}

/** WebCrypto takes only ArrayBuffer-backed views; copy the rare SharedArrayBuffer-backed one. */
function arrayBacked(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return isArrayBacked(bytes) ? bytes : new Uint8Array(bytes);
}
