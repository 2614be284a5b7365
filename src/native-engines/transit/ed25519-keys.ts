/**
 * Ed25519 keys through WebCrypto. Transit keeps Vault's form of an Ed25519 private key, the
 * 64-byte seed‖public key; WebCrypto imports the 32-byte seed as PKCS#8, whose DER prefix is
 * fixed for Ed25519 (RFC 8410), so no ASN.1 library is needed.
 */

import { GatewayError, concatBytes, fromBase64 } from '../../core/index.js';

// SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } }
const PKCS8_PREFIX = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/** The seed (first 32 bytes) of a 64-byte Ed25519 private key. */
export function ed25519Seed(key: Uint8Array): Uint8Array<ArrayBuffer> {
  return key.slice(0, 32);
}

/** A WebCrypto signing key for a 32-byte seed. */
export function ed25519SigningKey(subtle: SubtleCrypto, seed: Uint8Array, extractable = false): Promise<CryptoKey> {
  return subtle.importKey('pkcs8', concatBytes(PKCS8_PREFIX, seed), { name: 'Ed25519' }, extractable, ['sign']);
}

/** A WebCrypto verification key for a 32-byte public key. */
export function ed25519VerifyKey(subtle: SubtleCrypto, pub: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
}

/** The 32-byte public key of a seed (RFC 8032 §5.1.5, computed by WebCrypto). */
export async function ed25519PublicFromSeed(subtle: SubtleCrypto, seed: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const key = await ed25519SigningKey(subtle, seed, true);
  const jwk = await subtle.exportKey('jwk', key);
  const pub = jwk.x === undefined ? null : fromBase64(jwk.x);
  if (pub === null || pub.length !== 32) throw new GatewayError('ERR_INTERNAL', 'Ed25519 public key could not be computed');
  return pub;
}
