/**
 * Key export formats, as Vault's `export/{type}/{name}` writes them: raw keys in base64;
 * ECDSA private keys as SEC1 PEM (`EC PRIVATE KEY`), RSA private keys as PKCS#1 PEM
 * (`RSA PRIVATE KEY`), public keys as PKIX PEM; Ed25519 keys in base64 (the 64-byte private
 * key, the 32-byte public key).
 */

import { GatewayError, fromBase64, toBase64 } from '../../core/index.js';
import { sec1PrivateKey, unwrapPkcs8 } from './der.js';
import { fieldError } from './field-error.js';
import { ecdsaCurve, isAead, isEcdsa, isRsa } from './key-types.js';
import type { KeyType } from './key-types.js';
import type { KeyMaterial } from './material.js';
import { ed25519Parts } from './material.js';
import { toPem } from './pem.js';
import { spkiOf } from './public-keys.js';

/** What `export/{type}/…` can export. */
export const EXPORT_TYPES = ['encryption-key', 'signing-key', 'hmac-key', 'public-key'] as const;

/** One export type. */
export type ExportType = (typeof EXPORT_TYPES)[number];

/** Throws a `ValidationError` when a key of `type` has nothing to export as `exportType`. */
export function checkExportable(type: KeyType, exportType: ExportType): void {
  if (exportType === 'encryption-key' && !isAead(type) && !isRsa(type)) throw fieldError('type', 'encryption-key export needs a key that supports encryption');
  if (exportType === 'signing-key' && !isEcdsa(type) && !isRsa(type) && type !== 'ed25519') throw fieldError('type', 'signing-key export needs a key that supports signing');
  if (exportType === 'public-key' && !isEcdsa(type) && !isRsa(type) && type !== 'ed25519') throw fieldError('type', 'public-key export needs an asymmetric key');
}

function bytes(text: string): Uint8Array {
  const out = fromBase64(text);
  if (out === null) throw new GatewayError('ERR_INTERNAL', 'stored key material is unreadable');
  return out;
}

async function rsaPkcs1(subtle: SubtleCrypto, material: KeyMaterial): Promise<string> {
  if (material.jwk === null) throw new GatewayError('ERR_INTERNAL', 'not an RSA key');
  const key = await subtle.importKey('jwk', material.jwk, { name: 'RSA-PSS', hash: 'SHA-256' }, true, ['sign']);
  const pkcs1 = unwrapPkcs8(new Uint8Array(await subtle.exportKey('pkcs8', key)));
  if (pkcs1 === null) throw new GatewayError('ERR_INTERNAL', 'RSA key could not be encoded');
  return toPem('RSA PRIVATE KEY', pkcs1);
}

/** The exported text of one version (checked first with `checkExportable`). */
export async function exportVersion(subtle: SubtleCrypto, material: KeyMaterial, exportType: ExportType): Promise<string> {
  const { type } = material;
  switch (exportType) {
    case 'hmac-key':
      return toBase64(type === 'hmac' && material.key !== null ? material.key : material.hmacKey);
    case 'encryption-key':
      if (isRsa(type)) return rsaPkcs1(subtle, material);
      if (material.key === null) throw new GatewayError('ERR_INTERNAL', 'missing key');
      return toBase64(material.key);
    case 'signing-key':
      if (isRsa(type)) return rsaPkcs1(subtle, material);
      if (type === 'ed25519' && material.key !== null) return toBase64(material.key);
      if (isEcdsa(type) && material.jwk?.kty === 'EC') {
        const { d, x, y } = material.jwk;
        return toPem('EC PRIVATE KEY', sec1PrivateKey(ecdsaCurve(type), bytes(d), bytes(x), bytes(y))).trim();
      }
      throw new GatewayError('ERR_INTERNAL', 'missing key');
    case 'public-key':
      if (type === 'ed25519') return toBase64(ed25519Parts(material).pub);
      // Vault trims the ECDSA PEM but not the RSA one; clients compare them byte for byte.
      return isEcdsa(type) ? toPem('PUBLIC KEY', await spkiOf(subtle, material)).trim() : toPem('PUBLIC KEY', await spkiOf(subtle, material));
  }
}
