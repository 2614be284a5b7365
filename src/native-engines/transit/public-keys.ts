/** The public half of an asymmetric version, as Vault shows it: PEM (PKIX) for ECDSA and RSA, base64 for Ed25519. */

import { GatewayError, toBase64 } from '../../core/index.js';
import { ecdsaCurve, isEcdsa } from './key-types.js';
import type { KeyMaterial } from './material.js';
import { ed25519Parts, publicJwk } from './material.js';
import { toPem } from './pem.js';

/** DER `SubjectPublicKeyInfo` of an ECDSA or RSA version. */
export async function spkiOf(subtle: SubtleCrypto, material: KeyMaterial): Promise<Uint8Array> {
  if (material.jwk === null) throw new GatewayError('ERR_INTERNAL', 'not an ECDSA or RSA key');
  const algorithm: EcKeyImportParams | RsaHashedImportParams = isEcdsa(material.type)
    ? { name: 'ECDSA', namedCurve: ecdsaCurve(material.type) }
    : { name: 'RSA-PSS', hash: 'SHA-256' };
  const key = await subtle.importKey('jwk', publicJwk(material.jwk), algorithm, true, ['verify']);
  return new Uint8Array(await subtle.exportKey('spki', key));
}

/** The public key text of an asymmetric version; null for symmetric types. */
export async function publicKeyText(subtle: SubtleCrypto, material: KeyMaterial): Promise<string | null> {
  if (material.type === 'ed25519') return toBase64(ed25519Parts(material).pub);
  if (material.jwk === null) return null;
  return toPem('PUBLIC KEY', await spkiOf(subtle, material));
}
