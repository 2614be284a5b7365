/**
 * PEM inputs: CA bundles (to trust a private endpoint) and public keys (to verify JWTs
 * locally). Shape is checked here; that a public key imports is checked where it is used
 * (it needs an algorithm), and that a CA bundle parses by the runtime's `tlsFetch`.
 */

import { z } from 'zod';

/** Largest accepted PEM bundle or key, in characters. */
export const MAX_PEM_LENGTH = 65_536;

/** Most certificates one CA bundle may hold. */
export const MAX_CA_CERTIFICATES = 32;

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;
const PUBLIC_KEY_BLOCK = /^-----BEGIN (PUBLIC KEY|CERTIFICATE)-----\r?\n[A-Za-z0-9+/=\r\n]+-----END \1-----$/;

/** The certificate blocks of a PEM bundle; empty when there are none. */
export function certificateBlocks(pem: string): string[] {
  return pem.length > MAX_PEM_LENGTH ? [] : [...pem.matchAll(CERTIFICATE_BLOCK)].map((m) => m[0]);
}

/** A CA bundle field: one or more PEM certificates, nothing else. */
export const caBundleSchema = z
  .string()
  .max(MAX_PEM_LENGTH)
  .transform((s) => s.trim())
  .refine(
    (s) => {
      const blocks = certificateBlocks(s);
      return blocks.length > 0 && blocks.length <= MAX_CA_CERTIFICATES && s.replace(CERTIFICATE_BLOCK, '').trim() === '';
    },
    { message: `must be one to ${MAX_CA_CERTIFICATES} PEM certificates (-----BEGIN CERTIFICATE-----)` },
  );

/** Which import a public-key PEM needs. */
export type PublicKeyPemKind = 'spki' | 'x509';

/** `spki` for `-----BEGIN PUBLIC KEY-----`, `x509` for a certificate, null for anything else. */
export function publicKeyPemKind(pem: string): PublicKeyPemKind | null {
  const match = PUBLIC_KEY_BLOCK.exec(pem);
  if (match === null) return null;
  return match[1] === 'PUBLIC KEY' ? 'spki' : 'x509';
}

/** A public key field: one PEM `PUBLIC KEY` (SPKI) or `CERTIFICATE`. PKCS#1 `RSA PUBLIC KEY` is refused. */
export const publicKeyPemSchema = z
  .string()
  .max(MAX_PEM_LENGTH)
  .transform((s) => s.trim())
  .refine((s) => publicKeyPemKind(s) !== null, {
    message: 'must be one PEM public key (-----BEGIN PUBLIC KEY-----) or certificate (-----BEGIN CERTIFICATE-----)',
  });
