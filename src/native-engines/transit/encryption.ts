/**
 * Encrypting and decrypting one value with one key version, in Vault's format:
 * `vault:v{n}:base64(nonce‖ciphertext‖tag)` for AEAD keys, `vault:v{n}:base64(OAEP output)`
 * for RSA keys (RSA-OAEP with SHA-256, as Vault). Nonces are always made here: random from
 * `runtime.randomBytes`, or, for convergent keys only, derived from plaintext and context.
 */

import { GatewayError, concatBytes, fromBase64 } from '../../core/index.js';
import type { Runtime } from '../../core/index.js';
import { NONCE_BYTES, TAG_BYTES, aeadOpen, aeadSeal, importAesGcmKey } from './aead.js';
import type { AeadKey } from './aead.js';
import { convergentNonce, hkdfSha256 } from './derivation.js';
import { fieldError } from './field-error.js';
import { aeadKeyBytes, isAead, isRsa } from './key-types.js';
import type { KeyRing } from './key-ring.js';
import { importedKey, publicJwk } from './material.js';
import type { KeyMaterial } from './material.js';
import type { KeyPolicy } from './policy.js';
import { checkReadableVersion } from './version-rules.js';
import { formatVersioned, parseVersioned } from './versioned-value.js';

/** What one encryption or decryption takes besides the key: decoded `context` and `associated_data` (empty when absent). */
export interface CipherInputs {
  context: Uint8Array<ArrayBuffer>;
  associatedData: Uint8Array<ArrayBuffer>;
}

const EMPTY = new Uint8Array(0);

/** No context, no associated data. */
export const NO_CIPHER_INPUTS: CipherInputs = { context: EMPTY, associatedData: EMPTY };

const DERIVED_NEEDS_CONTEXT =
  'is required: the key was created with derivation, so every request must carry the per-request context it was derived with';

interface ResolvedAead {
  aead: AeadKey;
  /** The convergent HMAC key; null for keys that are not convergent. */
  nonceKey: Uint8Array<ArrayBuffer> | null;
}

async function aeadKeyFor(runtime: Runtime, policy: KeyPolicy, material: KeyMaterial, context: Uint8Array<ArrayBuffer>): Promise<ResolvedAead> {
  const { type } = policy;
  const raw = material.key;
  if (!isAead(type) || raw === null) throw new GatewayError('ERR_INTERNAL', 'not an AEAD key');
  const encBytes = aeadKeyBytes(type);
  let encKey = raw;
  let nonceKey: Uint8Array<ArrayBuffer> | null = null;
  if (policy.derived) {
    if (context.length === 0) throw fieldError('context', DERIVED_NEEDS_CONTEXT);
    const derived = await hkdfSha256(runtime.subtle, raw, context, encBytes + (policy.convergent_encryption ? 32 : 0));
    encKey = derived.slice(0, encBytes);
    if (policy.convergent_encryption) nonceKey = derived.slice(encBytes);
  }
  if (type === 'chacha20-poly1305') return { aead: { cipher: 'chacha20-poly1305', key: encKey }, nonceKey };
  // A non-derived key is imported once per version; a derived key is new for every context.
  const key = policy.derived ? await importAesGcmKey(runtime.subtle, encKey) : await importedKey(material, 'aes-gcm', () => importAesGcmKey(runtime.subtle, encKey));
  return { aead: { cipher: 'aes-gcm', key }, nonceKey };
}

function rsaOaepKey(runtime: Runtime, material: KeyMaterial, use: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  const jwk = material.jwk;
  if (jwk === null) throw new GatewayError('ERR_INTERNAL', 'not an RSA key');
  return importedKey(material, `rsa-oaep-${use}`, () =>
    runtime.subtle.importKey('jwk', use === 'encrypt' ? publicJwk(jwk) : jwk, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, [use]),
  );
}

/** Encrypts `plaintext` with `material` (a version of `policy`), returning `vault:v{n}:…`. */
export async function encryptValue(
  runtime: Runtime,
  policy: KeyPolicy,
  material: KeyMaterial,
  plaintext: Uint8Array<ArrayBuffer>,
  inputs: CipherInputs,
): Promise<string> {
  if (isRsa(policy.type)) {
    if (inputs.associatedData.length > 0) throw fieldError('associated_data', 'is only supported by AES-GCM and ChaCha20-Poly1305 keys');
    const key = await rsaOaepKey(runtime, material, 'encrypt');
    let sealed: ArrayBuffer;
    try {
      sealed = await runtime.subtle.encrypt({ name: 'RSA-OAEP' }, key, plaintext);
    } catch {
      throw fieldError('plaintext', 'is too long for this RSA key (RSA-OAEP with SHA-256 takes at most the modulus size minus 66 bytes)');
    }
    return formatVersioned(material.version, new Uint8Array(sealed));
  }
  const { aead, nonceKey } = await aeadKeyFor(runtime, policy, material, inputs.context);
  const nonce = nonceKey === null ? runtime.randomBytes(NONCE_BYTES) : await convergentNonce(runtime.subtle, nonceKey, plaintext, inputs.associatedData);
  const sealed = await aeadSeal(runtime.subtle, aead, nonce, plaintext, inputs.associatedData);
  return formatVersioned(material.version, concatBytes(nonce, sealed));
}

/** What a decryption produced: the plaintext and the key version of the ciphertext. */
export interface Decrypted {
  plaintext: Uint8Array<ArrayBuffer>;
  version: number;
}

const UNDECRYPTABLE = 'could not be decrypted: wrong key, context or associated data, or it was altered';

/**
 * Decrypts a `vault:v{n}:…` ciphertext of key `policy`. Throws a `fieldError` on
 * `ciphertext` (malformed, version out of range, or failed authentication: the last is one
 * message whatever the cause) or on `context`.
 */
export async function decryptValue(
  runtime: Runtime,
  keys: KeyRing,
  policy: KeyPolicy,
  ciphertext: string,
  inputs: CipherInputs,
): Promise<Decrypted> {
  const parsed = parseVersioned(ciphertext, 'ciphertext');
  const version = checkReadableVersion(policy, parsed.version, 'ciphertext');
  const body = fromBase64(parsed.body);
  if (body === null) throw fieldError('ciphertext', 'is invalid: it could not be decoded as base64');
  const material = await keys.material(policy, version);
  if (isRsa(policy.type)) {
    if (inputs.associatedData.length > 0) throw fieldError('associated_data', 'is only supported by AES-GCM and ChaCha20-Poly1305 keys');
    const key = await rsaOaepKey(runtime, material, 'decrypt');
    try {
      return { plaintext: new Uint8Array(await runtime.subtle.decrypt({ name: 'RSA-OAEP' }, key, body)), version };
    } catch {
      throw fieldError('ciphertext', UNDECRYPTABLE);
    }
  }
  if (body.length < NONCE_BYTES + TAG_BYTES) throw fieldError('ciphertext', UNDECRYPTABLE);
  const { aead } = await aeadKeyFor(runtime, policy, material, inputs.context);
  const plaintext = await aeadOpen(runtime.subtle, aead, body.slice(0, NONCE_BYTES), body.slice(NONCE_BYTES), inputs.associatedData);
  if (plaintext === null) throw fieldError('ciphertext', UNDECRYPTABLE);
  return { plaintext, version };
}
