/**
 * Key material: one entry per key version at `material/<name>/<id>/<version>`, inside the
 * mount's barrier-encrypted storage and nowhere else. In memory a version is a
 * `KeyMaterial`, which imports its WebCrypto keys once per use (sign, verify, HMAC hash, …)
 * and keeps them, so a hot key costs no import per request.
 */

import { z } from 'zod';
import { GatewayError, fromBase64, toBase64 } from '../../core/index.js';
import type { Storage } from '../../core/index.js';
import { HMAC_KEY_SIZE, aeadKeyBytes, ecdsaCurve, isAead, isEcdsa, isRsa } from './key-types.js';
import type { KeyType } from './key-types.js';
import { materialKey } from './layout.js';
import { decodeJson, encodeJson } from '../framework/stored-json.js';
import { ed25519Seed } from './ed25519-keys.js';

const b64 = z.string().max(4096);

/** An ECDSA private key as JWK fields. */
export const ecJwkSchema = z.object({ kty: z.literal('EC'), crv: z.enum(['P-256', 'P-384']), x: b64, y: b64, d: b64 });
/** An RSA private key as JWK fields. */
export const rsaJwkSchema = z.object({ kty: z.literal('RSA'), n: b64, e: b64, d: b64, p: b64, q: b64, dp: b64, dq: b64, qi: b64 });

/** A private key as JWK fields (ECDSA or RSA), the form WebCrypto imports. */
export const privateJwkSchema = z.union([ecJwkSchema, rsaJwkSchema]);

/** A private JWK. */
export type PrivateJwk = z.output<typeof privateJwkSchema>;

/** Schema of one stored version (also one version of a backup). */
export const storedMaterialSchema = z.object({
  /** Raw key: AEAD key, `hmac` key, or Ed25519 seed‖public key (64 bytes, Vault's form); null for ECDSA and RSA. */
  key: b64.nullable(),
  /** The version's HMAC key (Vault gives every version one). */
  hmac_key: b64,
  private_jwk: privateJwkSchema.nullable(),
});

/** A stored version. */
export type StoredMaterial = z.output<typeof storedMaterialSchema>;

/** One version's key material in memory. */
export interface KeyMaterial {
  readonly version: number;
  readonly type: KeyType;
  /** See `StoredMaterial.key`. */
  readonly key: Uint8Array<ArrayBuffer> | null;
  readonly hmacKey: Uint8Array<ArrayBuffer>;
  readonly jwk: PrivateJwk | null;
  /** WebCrypto keys imported from this material, by use; filled by `importedKey`. */
  readonly imported: Map<string, Promise<CryptoKey>>;
}

/** The WebCrypto key for `use`, imported by `make` on first need and kept with the material. */
export function importedKey(material: KeyMaterial, use: string, make: () => Promise<CryptoKey>): Promise<CryptoKey> {
  const existing = material.imported.get(use);
  if (existing !== undefined) return existing;
  const made = make();
  material.imported.set(use, made);
  // A failed import must not stick: the next call tries again.
  made.catch(() => material.imported.delete(use));
  return made;
}

function bytes(text: string): Uint8Array<ArrayBuffer> {
  const out = fromBase64(text);
  if (out === null) throw new GatewayError('ERR_INTERNAL', 'stored key material is unreadable');
  return out;
}

/** Turns a stored version into `KeyMaterial`; throws `ERR_INTERNAL` when its shape does not fit `type`. */
export function toMaterial(type: KeyType, version: number, stored: StoredMaterial): KeyMaterial {
  const key = stored.key === null ? null : bytes(stored.key);
  const fits =
    (isAead(type) && key?.length === aeadKeyBytes(type)) ||
    (type === 'hmac' && key !== null && key.length >= HMAC_KEY_SIZE.min && key.length <= HMAC_KEY_SIZE.max) ||
    (type === 'ed25519' && key?.length === 64) ||
    (isEcdsa(type) && stored.private_jwk?.kty === 'EC' && stored.private_jwk.crv === ecdsaCurve(type)) ||
    (isRsa(type) && stored.private_jwk?.kty === 'RSA');
  if (!fits) throw new GatewayError('ERR_INTERNAL', 'stored key material does not match its key type');
  return { version, type, key, hmacKey: bytes(stored.hmac_key), jwk: stored.private_jwk, imported: new Map() };
}

/** The stored form of `material`. */
export function toStored(material: KeyMaterial): StoredMaterial {
  return {
    key: material.key === null ? null : toBase64(material.key),
    hmac_key: toBase64(material.hmacKey),
    private_jwk: material.jwk,
  };
}

/** Loads one version; null when it is not stored. Throws `ERR_INTERNAL` when unreadable. */
export async function loadMaterial(
  storage: Pick<Storage, 'get'>,
  name: string,
  id: string,
  type: KeyType,
  version: number,
): Promise<KeyMaterial | null> {
  const raw = await storage.get(materialKey(name, id, version));
  if (raw === null) return null;
  const parsed = storedMaterialSchema.safeParse(decodeJson(raw, 'key material'));
  if (!parsed.success) throw new GatewayError('ERR_INTERNAL', 'stored key material is unreadable');
  return toMaterial(type, version, parsed.data);
}

/** Stores one version. */
export async function saveMaterial(storage: Pick<Storage, 'put'>, name: string, id: string, material: KeyMaterial): Promise<void> {
  await storage.put(materialKey(name, id, material.version), encodeJson(toStored(material)));
}

/** The JWK of the public half of an ECDSA or RSA private JWK. */
export function publicJwk(jwk: PrivateJwk): JsonWebKey {
  return jwk.kty === 'EC' ? { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: 'RSA', n: jwk.n, e: jwk.e };
}

/** The Ed25519 seed and public key of an `ed25519` material. */
export function ed25519Parts(material: KeyMaterial): { seed: Uint8Array<ArrayBuffer>; pub: Uint8Array<ArrayBuffer> } {
  if (material.key === null || material.key.length !== 64) throw new GatewayError('ERR_INTERNAL', 'not an Ed25519 key');
  return { seed: ed25519Seed(material.key), pub: material.key.slice(32) };
}

