/**
 * The AEAD ciphers of the symmetric key types. AES-GCM goes through WebCrypto; ChaCha20-
 * Poly1305, which WebCrypto lacks, through `@noble/ciphers` (audited). Both produce
 * ciphertext‖tag (16-byte tag), as Go's `Seal` does; transit prepends the 12-byte nonce, so
 * a ciphertext body is nonce‖ciphertext‖tag, Vault's layout.
 */

import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

/** Nonce length of every AEAD type (96 bits). */
export const NONCE_BYTES = 12;

/** Tag length of every AEAD type (128 bits). */
export const TAG_BYTES = 16;

/** A key ready for one AEAD: an imported AES-GCM key, or ChaCha20-Poly1305's raw 32 bytes. */
export type AeadKey = { cipher: 'aes-gcm'; key: CryptoKey } | { cipher: 'chacha20-poly1305'; key: Uint8Array };

/** Imports a raw AES key for AES-GCM (non-extractable). */
export function importAesGcmKey(subtle: SubtleCrypto, raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** Encrypts: returns ciphertext‖tag. `nonce` must be fresh for this key (or derived, for convergent keys). */
export async function aeadSeal(
  subtle: SubtleCrypto,
  key: AeadKey,
  nonce: Uint8Array<ArrayBuffer>,
  plaintext: Uint8Array<ArrayBuffer>,
  associatedData: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  if (key.cipher === 'chacha20-poly1305') return Uint8Array.from(chacha20poly1305(key.key, nonce, associatedData).encrypt(plaintext));
  return new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: associatedData, tagLength: 128 }, key.key, plaintext));
}

/** Decrypts ciphertext‖tag; null when authentication fails (every failure looks the same). */
export async function aeadOpen(
  subtle: SubtleCrypto,
  key: AeadKey,
  nonce: Uint8Array<ArrayBuffer>,
  sealed: Uint8Array<ArrayBuffer>,
  associatedData: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer> | null> {
  if (sealed.length < TAG_BYTES) return null;
  try {
    if (key.cipher === 'chacha20-poly1305') return Uint8Array.from(chacha20poly1305(key.key, nonce, associatedData).decrypt(sealed));
    return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: associatedData, tagLength: 128 }, key.key, sealed));
  } catch {
    return null;
  }
}
