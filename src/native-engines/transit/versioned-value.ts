/**
 * Vault's versioned value format, `vault:v{n}:<base64>`, shared by ciphertexts, signatures
 * and HMACs, so code written for Vault parses transit's output unchanged.
 */

import { toBase64, toBase64Url } from '../../core/index.js';
import { fieldError } from './field-error.js';

const PREFIX = 'vault:v';
const VERSIONED = /^vault:v([0-9]{1,10}):/;

/** `vault:v{version}:` followed by `body` in standard base64 (`url`: base64url without padding, for JWS). */
export function formatVersioned(version: number, body: Uint8Array, url = false): string {
  return `${PREFIX}${version}:${url ? toBase64Url(body) : toBase64(body)}`;
}

/** A parsed versioned value: its key version and the base64 text after the prefix. */
export interface Versioned {
  version: number;
  body: string;
}

/**
 * Splits a versioned value. Throws a `fieldError` on `field` when the prefix or version is
 * malformed; version 0 is read as 1, as Vault does for its earliest ciphertexts.
 */
export function parseVersioned(text: string, field: string): Versioned {
  if (!text.startsWith(PREFIX)) throw fieldError(field, 'is invalid: it must start with "vault:v"');
  const match = VERSIONED.exec(text);
  if (match === null) throw fieldError(field, 'is invalid: its version number could not be decoded');
  const version = Number(match[1]);
  return { version: version === 0 ? 1 : version, body: text.slice(match[0].length) };
}
