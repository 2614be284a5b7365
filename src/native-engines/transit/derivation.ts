/**
 * Key derivation for `derived` keys and the convergent nonce, as Vault does them for keys it
 * creates today (`kdf: hkdf_sha256`, convergent version 3):
 *
 * - a derived key is HKDF-SHA256 (RFC 5869) with the version's key as input keying
 *   material, an empty salt and the request's `context` as info, through WebCrypto;
 * - a convergent key takes 32 more bytes of the same HKDF output as an HMAC key, and the
 *   nonce is the first 12 bytes of HMAC-SHA256(that key, plaintext). Equal plaintext and
 *   context give equal ciphertext; anything else gives a different nonce.
 *
 * Vault's convergent nonce ignores `associated_data`. Keygate keeps Vault's nonce when there
 * is none, and otherwise mixes the associated data in under a separate HMAC key, so the same
 * plaintext under two different associated data never reuses a nonce with one key.
 */

import { concatBytes, u32be, utf8 } from '../../core/index.js';
import { NONCE_BYTES } from './aead.js';

const AD_LABEL = utf8('keygate transit convergent nonce with associated data');

/** `length` bytes of HKDF-SHA256(ikm, salt = empty, info = context). */
export async function hkdfSha256(subtle: SubtleCrypto, ikm: Uint8Array<ArrayBuffer>, context: Uint8Array<ArrayBuffer>, length: number): Promise<Uint8Array<ArrayBuffer>> {
  const base = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  const bits = await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: context }, base, length * 8);
  return new Uint8Array(bits);
}

async function hmacSha256(subtle: SubtleCrypto, key: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const imported = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', imported, data));
}

/** The convergent nonce of `plaintext` (and `associatedData`, when not empty) under `hmacKey`. */
export async function convergentNonce(
  subtle: SubtleCrypto,
  hmacKey: Uint8Array<ArrayBuffer>,
  plaintext: Uint8Array<ArrayBuffer>,
  associatedData: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  if (associatedData.length === 0) return (await hmacSha256(subtle, hmacKey, plaintext)).slice(0, NONCE_BYTES);
  const adKey = await hmacSha256(subtle, hmacKey, AD_LABEL);
  const mac = await hmacSha256(subtle, adKey, concatBytes(u32be(associatedData.length), associatedData, plaintext));
  return mac.slice(0, NONCE_BYTES);
}
