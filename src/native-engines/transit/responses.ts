/** Response schemas of the transit operations, for help and OpenAPI (the handlers build the data). */

import { z } from 'zod';

/** `data` of `keys/{name}` reads and writes, `rotate`, `config` and `trim`. */
export const keyDescriptionSchema = z.object({
  name: z.string(),
  type: z.string(),
  derived: z.boolean(),
  deletion_allowed: z.boolean(),
  exportable: z.boolean(),
  allow_plaintext_backup: z.boolean(),
  latest_version: z.int(),
  min_available_version: z.int(),
  min_decryption_version: z.int(),
  min_encryption_version: z.int(),
  supports_encryption: z.boolean(),
  supports_decryption: z.boolean(),
  supports_signing: z.boolean(),
  supports_derivation: z.boolean(),
  auto_rotate_period: z.int().describe('Seconds; 0: no automatic rotation.'),
  keys: z
    .record(z.string(), z.unknown())
    .describe('Per version: creation time (Unix seconds) for symmetric keys; {name, public_key, creation_time} for asymmetric keys.'),
});

const batchResults = (item: z.ZodType) =>
  z.array(item).describe('One result per batch_input item, in order; a failed item has "error" instead.');

const withError = { error: z.string().optional(), reference: z.string().optional() };

/** `data` of `encrypt` and `rewrap`. */
export const ciphertextResponse = z.object({
  ciphertext: z.string().optional().describe('vault:v{n}:<base64>'),
  key_version: z.int().optional(),
  batch_results: batchResults(z.object({ ciphertext: z.string().optional(), key_version: z.int().optional(), ...withError })).optional(),
});

/** `data` of `decrypt`. */
export const plaintextResponse = z.object({
  plaintext: z.string().optional().describe('Base64 plaintext (secret).'),
  batch_results: batchResults(z.object({ plaintext: z.string().optional(), ...withError })).optional(),
});

/** `data` of `sign`. */
export const signatureResponse = z.object({
  signature: z.string().optional().describe('vault:v{n}:<base64>'),
  key_version: z.int().optional(),
  public_key: z.string().optional().describe('Derived ed25519 keys: the public key for this context.'),
  batch_results: batchResults(z.object({ signature: z.string().optional(), key_version: z.int().optional(), public_key: z.string().optional(), ...withError })).optional(),
});

/** `data` of `verify`. */
export const validResponse = z.object({
  valid: z.boolean().optional(),
  batch_results: batchResults(z.object({ valid: z.boolean().optional(), ...withError })).optional(),
});

/** `data` of `hmac`. */
export const hmacResponse = z.object({
  hmac: z.string().optional().describe('vault:v{n}:<base64>'),
  key_version: z.int().optional(),
  batch_results: batchResults(z.object({ hmac: z.string().optional(), key_version: z.int().optional(), ...withError })).optional(),
});
