/**
 * New key versions: symmetric keys, HMAC keys and Ed25519 seeds from `runtime.randomBytes`;
 * ECDSA and RSA pairs from WebCrypto's generator, exported once as JWK for storage.
 */

import { GatewayError, toBase64 } from '../../core/index.js';
import type { Runtime } from '../../core/index.js';
import { ed25519PublicFromSeed } from './ed25519-keys.js';
import { VERSION_HMAC_KEY_BYTES, aeadKeyBytes, ecdsaCurve, isAead, isEcdsa, isRsa, rsaBits } from './key-types.js';
import type { KeyType } from './key-types.js';
import { ecJwkSchema, rsaJwkSchema } from './material.js';
import type { KeyMaterial, PrivateJwk } from './material.js';
import { publicKeyText } from './public-keys.js';

function ecJwk(jwk: JsonWebKey): PrivateJwk {
  const parsed = ecJwkSchema.safeParse({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d });
  if (!parsed.success) throw new GatewayError('ERR_INTERNAL', 'generated key could not be exported');
  return parsed.data;
}

function rsaJwk(jwk: JsonWebKey): PrivateJwk {
  const { kty, n, e, d, p, q, dp, dq, qi } = jwk;
  const parsed = rsaJwkSchema.safeParse({ kty, n, e, d, p, q, dp, dq, qi });
  if (!parsed.success) throw new GatewayError('ERR_INTERNAL', 'generated key could not be exported');
  return parsed.data;
}

/** A fresh key version, with the public key text `keys/{name}` shows (null for symmetric types). */
export interface GeneratedVersion {
  material: KeyMaterial;
  publicKey: string | null;
}

/**
 * Generates version `version` of a key of `type`. Symmetric keys, HMAC keys and Ed25519
 * seeds come from `runtime.randomBytes`; ECDSA and RSA pairs from WebCrypto's generator.
 */
export async function generateVersion(runtime: Runtime, type: KeyType, version: number, keySize: number): Promise<GeneratedVersion> {
  const hmacKey = runtime.randomBytes(VERSION_HMAC_KEY_BYTES);
  const base = { version, type, hmacKey, imported: new Map<string, Promise<CryptoKey>>() };
  if (isAead(type)) return { material: { ...base, key: runtime.randomBytes(aeadKeyBytes(type)), jwk: null }, publicKey: null };
  if (type === 'hmac') return { material: { ...base, key: runtime.randomBytes(keySize), jwk: null }, publicKey: null };
  if (type === 'ed25519') {
    const seed = runtime.randomBytes(32);
    const pub = await ed25519PublicFromSeed(runtime.subtle, seed);
    const key = new Uint8Array(64);
    key.set(seed, 0);
    key.set(pub, 32);
    return { material: { ...base, key, jwk: null }, publicKey: toBase64(pub) };
  }
  let jwk: PrivateJwk;
  if (isEcdsa(type)) {
    const pair = await runtime.subtle.generateKey({ name: 'ECDSA', namedCurve: ecdsaCurve(type) }, true, ['sign', 'verify']);
    jwk = ecJwk(await runtime.subtle.exportKey('jwk', pair.privateKey));
  } else if (isRsa(type)) {
    const pair = await runtime.subtle.generateKey(
      { name: 'RSA-PSS', modulusLength: rsaBits(type), publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    );
    jwk = rsaJwk(await runtime.subtle.exportKey('jwk', pair.privateKey));
  } else {
    throw new GatewayError('ERR_INTERNAL', 'unknown key type');
  }
  const material: KeyMaterial = { ...base, key: null, jwk };
  return { material, publicKey: await publicKeyText(runtime.subtle, material) };
}

