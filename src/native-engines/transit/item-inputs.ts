/** Decoding the base64 inputs of one item (or of a single request), with fixed per-field errors. */

import { fieldError } from './field-error.js';
import { decodeBase64 } from './fields.js';
import type { CipherInputs } from './encryption.js';

/** Decodes a required base64 field. */
export function requiredBytes(value: string, field: string): Uint8Array<ArrayBuffer> {
  const bytes = decodeBase64(value);
  if (bytes === null) throw fieldError(field, 'must be base64');
  return bytes;
}

/** Decodes an optional base64 field; absent or `""` is no bytes. */
export function optionalBytes(value: string | undefined, field: string): Uint8Array<ArrayBuffer> {
  return value === undefined ? new Uint8Array(0) : requiredBytes(value, field);
}

/** `context` and `associated_data` of one item. */
export function cipherInputsOf(item: { context?: string | undefined; associated_data?: string | undefined }): CipherInputs {
  return { context: optionalBytes(item.context, 'context'), associatedData: optionalBytes(item.associated_data, 'associated_data') };
}

/** Refuses a caller-chosen nonce: Keygate generates every nonce (convergent keys derive theirs). */
export function refuseNonce(nonce: string | undefined): void {
  if (nonce !== undefined && nonce !== '') throw fieldError('nonce', 'is not supported: Keygate generates every nonce (convergent keys derive theirs from plaintext and context)');
}
