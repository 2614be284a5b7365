/**
 * Signatures, as Vault's transit makes them, through WebCrypto wherever it can:
 *
 * - ECDSA P-256/P-384: WebCrypto signs with SHA-1/-256/-384/-512. A prehashed input, or a
 *   hash WebCrypto lacks (SHA-224, SHA-3), goes to `@noble/curves` (audited), which signs a
 *   digest (hedged with fresh randomness). `asn1` marshalling is DER (what openssl and X.509
 *   use), `jws` is r‖s in base64url.
 * - Ed25519: WebCrypto, pure Ed25519 (the hash algorithm does not apply, as in Vault);
 *   derived keys sign with an HKDF-derived seed per context, as Vault.
 * - RSA: WebCrypto RSA-PSS (default) or PKCS#1 v1.5 with SHA-1/-256/-384/-512. WebCrypto
 *   cannot sign a precomputed digest, so `prehashed` is refused for RSA keys.
 *
 * Verification is the libraries' (constant-time where it matters); a malformed signature is
 * reported as an error, a well-formed wrong one as `valid: false`, as Vault does.
 */

import { p256, p384 } from '@noble/curves/nist.js';
import { GatewayError, concatBytes, fromBase64 } from '../../core/index.js';
import type { Runtime } from '../../core/index.js';
import { hkdfSha256 } from './derivation.js';
import { ed25519PublicFromSeed, ed25519SigningKey, ed25519VerifyKey } from './ed25519-keys.js';
import { fieldError } from './field-error.js';
import { digest, digestLength, webCryptoHash } from './hashing.js';
import type { HashAlgorithm } from './hashing.js';
import { ecdsaCurve, isEcdsa, isRsa } from './key-types.js';
import type { EcdsaKeyType } from './key-types.js';
import { ed25519Parts, importedKey, publicJwk } from './material.js';
import type { KeyMaterial, PrivateJwk } from './material.js';
import type { KeyPolicy } from './policy.js';

/** RSA signature schemes. */
export type SignatureAlgorithm = 'pss' | 'pkcs1v15';

/** How a signature is marshalled: `asn1` (DER for ECDSA; standard base64) or `jws` (r‖s for ECDSA; base64url). */
export type Marshaling = 'asn1' | 'jws';

/** RSA-PSS salt length: `auto` (sign: the largest; verify: the largest or the hash length), `hash`, or a byte count. */
export type SaltLength = 'auto' | 'hash' | number;

/** Everything that shapes one signature besides key and input. */
export interface SignatureOptions {
  hash: HashAlgorithm;
  prehashed: boolean;
  signatureAlgorithm: SignatureAlgorithm;
  marshaling: Marshaling;
  saltLength: SaltLength;
  /** Derivation context (derived Ed25519 keys); empty when absent. */
  context: Uint8Array<ArrayBuffer>;
}

/** A signature's bytes, and for derived Ed25519 keys the derived public key. */
export interface SignatureResult {
  signature: Uint8Array<ArrayBuffer>;
  derivedPublicKey: Uint8Array<ArrayBuffer> | null;
}

function b64url(text: string): Uint8Array<ArrayBuffer> {
  const out = fromBase64(text);
  if (out === null) throw new GatewayError('ERR_INTERNAL', 'stored key material is unreadable');
  return out;
}

function ecJwkOf(material: KeyMaterial): Extract<PrivateJwk, { kty: 'EC' }> {
  const jwk = material.jwk;
  if (jwk === null || jwk.kty !== 'EC') throw new GatewayError('ERR_INTERNAL', 'not an ECDSA key');
  return jwk;
}

function nobleCurve(type: EcdsaKeyType) {
  return type === 'ecdsa-p256' ? p256 : p384;
}

function scalarBytes(type: EcdsaKeyType): number {
  return type === 'ecdsa-p256' ? 32 : 48;
}

async function ecdsaSign(runtime: Runtime, type: EcdsaKeyType, material: KeyMaterial, input: Uint8Array<ArrayBuffer>, opts: SignatureOptions): Promise<Uint8Array<ArrayBuffer>> {
  const jwk = ecJwkOf(material);
  const web = webCryptoHash(opts.hash);
  let compact: Uint8Array<ArrayBuffer>;
  if (!opts.prehashed && web !== null) {
    const key = await importedKey(material, 'ecdsa-sign', () =>
      runtime.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: ecdsaCurve(type) }, false, ['sign']),
    );
    compact = new Uint8Array(await runtime.subtle.sign({ name: 'ECDSA', hash: web }, key, input));
  } else {
    const hashed = opts.prehashed ? input : await digest(runtime.subtle, opts.hash, input);
    compact = Uint8Array.from(
      nobleCurve(type).sign(hashed, b64url(jwk.d), { prehash: false, format: 'compact', extraEntropy: runtime.randomBytes(32) }),
    );
  }
  if (opts.marshaling === 'jws') return compact;
  return Uint8Array.from(nobleCurve(type).Signature.fromBytes(compact, 'compact').toBytes('der'));
}

async function ecdsaVerify(runtime: Runtime, type: EcdsaKeyType, material: KeyMaterial, input: Uint8Array<ArrayBuffer>, signature: Uint8Array<ArrayBuffer>, opts: SignatureOptions): Promise<boolean> {
  const jwk = ecJwkOf(material);
  const curve = nobleCurve(type);
  let compact: Uint8Array<ArrayBuffer>;
  if (opts.marshaling === 'jws') {
    if (signature.length !== 2 * scalarBytes(type)) throw fieldError('signature', 'is invalid: a JWS ECDSA signature is r‖s at the curve\'s size');
    compact = signature;
  } else {
    try {
      compact = Uint8Array.from(curve.Signature.fromBytes(signature, 'der').toBytes('compact'));
    } catch {
      throw fieldError('signature', 'is invalid: it is not a DER-encoded ECDSA signature');
    }
  }
  const web = webCryptoHash(opts.hash);
  if (!opts.prehashed && web !== null) {
    const key = await importedKey(material, 'ecdsa-verify', () =>
      runtime.subtle.importKey('jwk', publicJwk(jwk), { name: 'ECDSA', namedCurve: ecdsaCurve(type) }, false, ['verify']),
    );
    return runtime.subtle.verify({ name: 'ECDSA', hash: web }, key, compact, input);
  }
  const hashed = opts.prehashed ? input : await digest(runtime.subtle, opts.hash, input);
  const point = concatBytes(new Uint8Array([4]), b64url(jwk.x), b64url(jwk.y));
  // openssl and Go make high-S signatures half the time; accept them, as they do.
  return curve.verify(compact, hashed, point, { prehash: false, lowS: false, format: 'compact' });
}

async function ed25519Key(runtime: Runtime, policy: KeyPolicy, material: KeyMaterial, context: Uint8Array<ArrayBuffer>): Promise<{ seed: Uint8Array<ArrayBuffer>; derived: boolean }> {
  if (!policy.derived) return { seed: ed25519Parts(material).seed, derived: false };
  if (context.length === 0) {
    throw fieldError('context', 'is required: the key was created with derivation, so every request must carry the per-request context it was derived with');
  }
  // Vault derives from the whole 64-byte private key (seed‖public key), 32 bytes of HKDF output as the new seed.
  const raw = material.key;
  if (raw === null) throw new GatewayError('ERR_INTERNAL', 'not an Ed25519 key');
  return { seed: await hkdfSha256(runtime.subtle, raw, context, 32), derived: true };
}

function rsaModulusBits(jwk: PrivateJwk): number {
  if (jwk.kty !== 'RSA') throw new GatewayError('ERR_INTERNAL', 'not an RSA key');
  const n = b64url(jwk.n);
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  const lead = n[i] ?? 0;
  return (n.length - i - 1) * 8 + (lead === 0 ? 0 : 32 - Math.clz32(lead));
}

/** The largest PSS salt for this key and hash (RFC 8017 §9.1.1: emLen − hLen − 2). */
function maxSalt(jwk: PrivateJwk, hash: HashAlgorithm): number {
  const emLen = Math.ceil((rsaModulusBits(jwk) - 1) / 8);
  return emLen - digestLength(hash) - 2;
}

function rsaHash(opts: SignatureOptions): 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512' {
  if (opts.prehashed) throw fieldError('prehashed', 'is not supported for RSA keys: WebCrypto signs messages, not digests; send the message itself');
  const web = webCryptoHash(opts.hash);
  if (web === null) throw fieldError('hash_algorithm', 'is not supported for RSA keys: use sha1, sha2-256, sha2-384 or sha2-512');
  return web;
}

function rsaKey(runtime: Runtime, material: KeyMaterial, scheme: SignatureAlgorithm, hash: string, use: 'sign' | 'verify'): Promise<CryptoKey> {
  const jwk = material.jwk;
  if (jwk === null) throw new GatewayError('ERR_INTERNAL', 'not an RSA key');
  const name = scheme === 'pss' ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5';
  // WebCrypto binds an RSA key to one scheme and hash at import: one import per combination.
  return importedKey(material, `${name}/${hash}/${use}`, () =>
    runtime.subtle.importKey('jwk', use === 'sign' ? jwk : publicJwk(jwk), { name, hash }, false, [use]),
  );
}

function saltFor(jwk: PrivateJwk, opts: SignatureOptions, forVerify: boolean): number[] {
  const max = maxSalt(jwk, opts.hash);
  const hashLength = digestLength(opts.hash);
  if (opts.saltLength === 'hash') return [hashLength];
  if (opts.saltLength === 'auto') return forVerify ? [...new Set([max, hashLength])] : [max];
  if (opts.saltLength > max) throw fieldError('salt_length', 'is larger than this key and hash allow');
  return [opts.saltLength];
}

/** Signs `input` with `material`, a version of `policy` (a signing type). */
export async function signWith(runtime: Runtime, policy: KeyPolicy, material: KeyMaterial, input: Uint8Array<ArrayBuffer>, opts: SignatureOptions): Promise<SignatureResult> {
  const { type } = policy;
  if (isEcdsa(type)) return { signature: await ecdsaSign(runtime, type, material, input, opts), derivedPublicKey: null };
  if (type === 'ed25519') {
    if (opts.prehashed) throw fieldError('prehashed', 'is not supported for ed25519 keys, which hash the message themselves');
    const { seed, derived } = await ed25519Key(runtime, policy, material, opts.context);
    const key = derived ? await ed25519SigningKey(runtime.subtle, seed) : await importedKey(material, 'ed25519-sign', () => ed25519SigningKey(runtime.subtle, seed));
    const signature = new Uint8Array(await runtime.subtle.sign({ name: 'Ed25519' }, key, input));
    return { signature, derivedPublicKey: derived ? await ed25519PublicFromSeed(runtime.subtle, seed) : null };
  }
  if (isRsa(type)) {
    const jwk = material.jwk;
    if (jwk === null) throw new GatewayError('ERR_INTERNAL', 'not an RSA key');
    const hash = rsaHash(opts);
    const key = await rsaKey(runtime, material, opts.signatureAlgorithm, hash, 'sign');
    const params: RsaPssParams | AlgorithmIdentifier =
      opts.signatureAlgorithm === 'pss' ? { name: 'RSA-PSS', saltLength: saltFor(jwk, opts, false)[0] ?? 0 } : { name: 'RSASSA-PKCS1-v1_5' };
    return { signature: new Uint8Array(await runtime.subtle.sign(params, key, input)), derivedPublicKey: null };
  }
  throw fieldError('name', 'names a key that does not support signing');
}

/** Verifies `signature` (already decoded from base64) over `input` with `material`. */
export async function verifyWith(
  runtime: Runtime,
  policy: KeyPolicy,
  material: KeyMaterial,
  input: Uint8Array<ArrayBuffer>,
  signature: Uint8Array<ArrayBuffer>,
  opts: SignatureOptions,
): Promise<boolean> {
  const { type } = policy;
  if (isEcdsa(type)) return ecdsaVerify(runtime, type, material, input, signature, opts);
  if (type === 'ed25519') {
    if (opts.prehashed) throw fieldError('prehashed', 'is not supported for ed25519 keys, which hash the message themselves');
    const { seed, derived } = await ed25519Key(runtime, policy, material, opts.context);
    const pub = derived ? await ed25519PublicFromSeed(runtime.subtle, seed) : ed25519Parts(material).pub;
    const key = derived ? await ed25519VerifyKey(runtime.subtle, pub) : await importedKey(material, 'ed25519-verify', () => ed25519VerifyKey(runtime.subtle, pub));
    if (signature.length !== 64) return false;
    return runtime.subtle.verify({ name: 'Ed25519' }, key, signature, input);
  }
  if (isRsa(type)) {
    const jwk = material.jwk;
    if (jwk === null) throw new GatewayError('ERR_INTERNAL', 'not an RSA key');
    const hash = rsaHash(opts);
    const key = await rsaKey(runtime, material, opts.signatureAlgorithm, hash, 'verify');
    if (opts.signatureAlgorithm === 'pkcs1v15') return runtime.subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, key, signature, input);
    // WebCrypto needs the salt length; `auto` tries the two that signers use (the largest, and the hash length).
    for (const saltLength of saltFor(jwk, opts, true)) {
      if (await runtime.subtle.verify({ name: 'RSA-PSS', saltLength }, key, signature, input)) return true;
    }
    return false;
  }
  throw fieldError('name', 'names a key that does not support verification');
}
