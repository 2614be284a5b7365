/**
 * Field schemas shared by the transit operations. Vault's API takes integers and booleans
 * either as JSON values or as strings (`"2"`, `"true"`), so these accept both; every custom
 * message is fixed text, never the input.
 */

import { z } from 'zod';
import { fromBase64 } from '../../core/index.js';

const DIGITS = /^(?:0|[1-9][0-9]{0,9})$/;

/** An integer in `[min, max]`, as a JSON number or a string of digits. */
export function intField(min: number, max: number, description: string) {
  const reason = `must be an integer from ${min} to ${max}`;
  return z
    .union([z.int(), z.string().max(10)])
    .describe(description)
    .transform((value, ctx) => {
      const n = typeof value === 'number' ? value : DIGITS.test(value) ? Number(value) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: reason });
        return z.NEVER;
      }
      return n;
    });
}

/** A boolean, as JSON `true`/`false` or the strings `"true"`/`"false"`. */
export function boolField(description: string) {
  return z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .describe(description)
    .transform((value) => value === true || value === 'true');
}

/** Longest base64 text a field takes: bodies are at most 1 MiB anyway; this bounds one value. */
export const MAX_BASE64_CHARS = 1_500_000;

/** A base64 field (standard alphabet; url-safe and unpadded are accepted too), decoded in the handler. */
export function base64Field(description: string, max = MAX_BASE64_CHARS) {
  return z.string().max(max).describe(description);
}

/** Decodes a base64 field, or returns null when it is not base64. `""` decodes to no bytes. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
  return fromBase64(text);
}

/** `reference`: an opaque string a batch item carries through to its result. */
export const referenceField = z.string().max(256).describe('Echoed in this item\'s result, to match results to inputs.');

/** The key version to use; 0 means the latest. */
export const keyVersionField = intField(0, 2_147_483_647, 'Key version to use; 0 (default) means the latest.');

/** `context`: base64 key-derivation context (derived keys). */
export const contextField = base64Field('Base64 context for key derivation; required for derived keys.', 16_384);

/** `nonce`: accepted for Vault compatibility, refused unless empty: Keygate generates every nonce. */
export const nonceField = z.string().max(64).describe('Not supported: Keygate generates every nonce. Only an empty value is accepted.');

/** `partial_failure_response_code`: accepted for Vault compatibility; batches always answer 200 with per-item errors. */
export const partialFailureField = intField(100, 599, 'Accepted for Vault compatibility and ignored: a batch always answers 200, with an error on each failed item.');
