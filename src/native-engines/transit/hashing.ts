/**
 * Hash and HMAC algorithms by Vault's names. SHA-1 and SHA-2/256, /384, /512 go through
 * WebCrypto; SHA-224 and SHA-3, which WebCrypto lacks, through `@noble/hashes` (audited).
 */

import { hmac } from '@noble/hashes/hmac.js';
import { sha224 } from '@noble/hashes/sha2.js';
import { sha3_224, sha3_256, sha3_384, sha3_512 } from '@noble/hashes/sha3.js';
import { z } from 'zod';

/** Hash algorithms of `hash`, `hmac`, and (with `sha1`) `sign`/`verify`. */
export const HASH_ALGORITHMS = [
  'sha2-224',
  'sha2-256',
  'sha2-384',
  'sha2-512',
  'sha3-224',
  'sha3-256',
  'sha3-384',
  'sha3-512',
] as const;

/** Hash algorithms of `sign`/`verify`: the above and SHA-1, as Vault. */
export const SIGNATURE_HASH_ALGORITHMS = ['sha1', ...HASH_ALGORITHMS] as const;

/** One hash algorithm. */
export type HashAlgorithm = (typeof SIGNATURE_HASH_ALGORITHMS)[number];

/** Schema of a `hash`/`hmac` algorithm name. */
export const hashAlgorithmSchema = z.enum(HASH_ALGORITHMS);

/** Schema of a `sign`/`verify` hash algorithm name. */
export const signatureHashSchema = z.enum(SIGNATURE_HASH_ALGORITHMS);

/** WebCrypto's name for `algorithm`, or null when WebCrypto does not offer it. */
export function webCryptoHash(algorithm: HashAlgorithm): 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512' | null {
  switch (algorithm) {
    case 'sha1':
      return 'SHA-1';
    case 'sha2-256':
      return 'SHA-256';
    case 'sha2-384':
      return 'SHA-384';
    case 'sha2-512':
      return 'SHA-512';
    default:
      return null;
  }
}

/** The `@noble/hashes` function of an algorithm WebCrypto lacks. */
function nobleHash(algorithm: HashAlgorithm) {
  switch (algorithm) {
    case 'sha2-224':
      return sha224;
    case 'sha3-224':
      return sha3_224;
    case 'sha3-256':
      return sha3_256;
    case 'sha3-384':
      return sha3_384;
    case 'sha3-512':
      return sha3_512;
    default:
      throw new TypeError('unreachable: a WebCrypto hash');
  }
}

/** Output length of `algorithm`, in bytes. */
export function digestLength(algorithm: HashAlgorithm): number {
  switch (algorithm) {
    case 'sha1':
      return 20;
    case 'sha2-224':
    case 'sha3-224':
      return 28;
    case 'sha2-256':
    case 'sha3-256':
      return 32;
    case 'sha2-384':
    case 'sha3-384':
      return 48;
    default:
      return 64;
  }
}

/** The digest of `data`. */
export async function digest(subtle: SubtleCrypto, algorithm: HashAlgorithm, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const web = webCryptoHash(algorithm);
  if (web !== null) return new Uint8Array(await subtle.digest(web, data));
  return Uint8Array.from(nobleHash(algorithm)(data));
}

/**
 * HMAC of `data` under raw key `key`. `imported` imports the key once per hash (the caller
 * caches it), so WebCrypto hashes skip the import on every call.
 */
export async function hmacBytes(
  subtle: SubtleCrypto,
  algorithm: HashAlgorithm,
  key: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
  imported: (hash: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512') => Promise<CryptoKey>,
): Promise<Uint8Array<ArrayBuffer>> {
  const web = webCryptoHash(algorithm);
  if (web !== null) return new Uint8Array(await subtle.sign('HMAC', await imported(web), data));
  return Uint8Array.from(hmac(nobleHash(algorithm), key, data));
}
