/**
 * AES-256-GCM over WebCrypto, runtime-neutral. The primitive under the barrier and the
 * static-key seal. Callers supply nonces only from `Runtime.randomBytes(NONCE_BYTES)`;
 * the nonce parameter exists so known-answer tests can pin it.
 *
 * `AesGcm` is the same primitive as a port, so the barrier's hot path can take a faster
 * implementation where the runtime has one: `aes-gcm.node.ts` (node:crypto, 3-4x faster
 * than WebCrypto on Node, PERFORMANCE.md) is injected by the Node entry; `createWebAesGcm`
 * is the default everywhere else (Workers). Both produce the same bytes (ciphertext ‖
 * 16-byte tag), so either opens what the other sealed.
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

/**
 * A key imported by one `AesGcm` implementation: an opaque handle that only that
 * implementation can use (passing it to another throws `ERR_INTERNAL`).
 */
export interface AesGcmKey {
  readonly algorithm: 'AES-256-GCM';
}

/** AES-256-GCM as a port: the contract of `importAesKey`, `seal` and `open` above, without the `subtle` argument. */
export interface AesGcm {
  /** `webcrypto` or `node`: for logs and tests. */
  readonly name: string;
  /** Imports 32 raw bytes (copied: the caller may zero its array). Throws `ERR_INTERNAL` for any other length. */
  importKey(raw: Uint8Array): Promise<AesGcmKey>;
  /** Ciphertext ‖ 16-byte tag. Throws `ERR_INTERNAL` when `nonce` is not 12 bytes. */
  seal(key: AesGcmKey, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array<ArrayBuffer>>;
  /** The plaintext; every failure is the one opaque `DecryptionError`. */
  open(key: AesGcmKey, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array<ArrayBuffer>>;
}

/**
 * Keeps the implementation's own key object behind an opaque `AesGcmKey` handle: a handle
 * from another implementation (or a forged one) is refused rather than misused.
 */
export function createKeyHandles<K extends object>(implementation: string): { wrap(key: K): AesGcmKey; unwrap(handle: AesGcmKey): K } {
  const keys = new WeakMap<AesGcmKey, K>();
  return {
    wrap(key) {
      const handle: AesGcmKey = Object.freeze({ algorithm: 'AES-256-GCM' as const });
      keys.set(handle, key);
      return handle;
    },
    unwrap(handle) {
      const key = keys.get(handle);
      if (key === undefined) throw new GatewayError('ERR_INTERNAL', `this AES-GCM key was not imported by the ${implementation} implementation`);
      return key;
    },
  };
}

/** The WebCrypto implementation of the port (the default on every runtime). */
export function createWebAesGcm(subtle: SubtleCrypto): AesGcm {
  const handles = createKeyHandles<CryptoKey>('webcrypto');
  return {
    name: 'webcrypto',
    importKey: async (raw) => handles.wrap(await importAesKey(subtle, raw)),
    seal: async (key, nonce, plaintext, aad) => seal(subtle, handles.unwrap(key), nonce, plaintext, aad),
    open: async (key, nonce, sealed, aad) => open(subtle, handles.unwrap(key), nonce, sealed, aad),
  };
}

function isArrayBacked(bytes: Uint8Array): bytes is Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer;
}

/** WebCrypto takes only ArrayBuffer-backed views; copy the rare SharedArrayBuffer-backed one. */
function arrayBacked(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return isArrayBacked(bytes) ? bytes : new Uint8Array(bytes);
}
