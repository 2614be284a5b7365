/**
 * The key types transit offers, with Vault's names, and what each can do. Every capability
 * check in the engine reads this table, so a type's abilities are stated once.
 */

import { z } from 'zod';

/** Every key type, by Vault's name. */
export const KEY_TYPES = [
  'aes256-gcm96',
  'aes128-gcm96',
  'chacha20-poly1305',
  'ed25519',
  'ecdsa-p256',
  'ecdsa-p384',
  'rsa-2048',
  'rsa-3072',
  'rsa-4096',
  'hmac',
] as const;

/** One key type. */
export type KeyType = (typeof KEY_TYPES)[number];

/** Schema of a key type name. */
export const keyTypeSchema = z.enum(KEY_TYPES);

/** The symmetric AEAD types (AES-GCM, ChaCha20-Poly1305). */
export type AeadKeyType = Extract<KeyType, 'aes256-gcm96' | 'aes128-gcm96' | 'chacha20-poly1305'>;

/** The ECDSA types. */
export type EcdsaKeyType = Extract<KeyType, 'ecdsa-p256' | 'ecdsa-p384'>;

/** The RSA types. */
export type RsaKeyType = Extract<KeyType, 'rsa-2048' | 'rsa-3072' | 'rsa-4096'>;

/** True for AES-GCM and ChaCha20-Poly1305 keys. */
export function isAead(type: KeyType): type is AeadKeyType {
  return type === 'aes256-gcm96' || type === 'aes128-gcm96' || type === 'chacha20-poly1305';
}

/** True for ECDSA keys. */
export function isEcdsa(type: KeyType): type is EcdsaKeyType {
  return type === 'ecdsa-p256' || type === 'ecdsa-p384';
}

/** True for RSA keys. */
export function isRsa(type: KeyType): type is RsaKeyType {
  return type === 'rsa-2048' || type === 'rsa-3072' || type === 'rsa-4096';
}

/** True for types with a public half (ECDSA, Ed25519, RSA). */
export function isAsymmetric(type: KeyType): boolean {
  return isEcdsa(type) || isRsa(type) || type === 'ed25519';
}

/** Encrypt and decrypt (AEAD types, and RSA with OAEP), as Vault's `supports_encryption`. */
export function supportsEncryption(type: KeyType): boolean {
  return isAead(type) || isRsa(type);
}

/** Sign and verify, as Vault's `supports_signing`. */
export function supportsSigning(type: KeyType): boolean {
  return isEcdsa(type) || isRsa(type) || type === 'ed25519';
}

/** Per-context key derivation (`derived: true`), as Vault's `supports_derivation`. */
export function supportsDerivation(type: KeyType): boolean {
  return isAead(type) || type === 'ed25519';
}

/** Raw key length of an AEAD type, in bytes. */
export function aeadKeyBytes(type: AeadKeyType): number {
  return type === 'aes128-gcm96' ? 16 : 32;
}

/** The WebCrypto curve of an ECDSA type. */
export function ecdsaCurve(type: EcdsaKeyType): 'P-256' | 'P-384' {
  return type === 'ecdsa-p256' ? 'P-256' : 'P-384';
}

/** The modulus length of an RSA type, in bits. */
export function rsaBits(type: RsaKeyType): 2048 | 3072 | 4096 {
  return type === 'rsa-2048' ? 2048 : type === 'rsa-3072' ? 3072 : 4096;
}

/** Smallest and largest `key_size` of an `hmac` key, in bytes (Vault's bounds). */
export const HMAC_KEY_SIZE = { min: 32, max: 512, default: 32 } as const;

/** Length of the per-version HMAC key every non-`hmac` type carries (Vault's). */
export const VERSION_HMAC_KEY_BYTES = 32;
