/** How `rotate` regenerates a secret's fields: configured per secret through its metadata. */

import { z } from 'zod';
import { randomString } from './random-string.js';
import type { Runtime } from './runtime.js';
import type { JsonObject } from './types.js';

/** The alphabets rotation draws from. `ascii-printable` is `!`…`~` (no space). */
export const ROTATION_ALPHABETS = {
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  'ascii-printable': Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join(''),
  hex: '0123456789abcdef',
  base64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
  numeric: '0123456789',
} as const;

/** The name of one rotation alphabet. */
export type RotationAlphabet = keyof typeof ROTATION_ALPHABETS;

const ALPHABET_NAMES = ['alphanumeric', 'ascii-printable', 'hex', 'base64url', 'numeric'] as const satisfies readonly RotationAlphabet[];

/** Schema of `rotation` in write-metadata and patch-metadata. */
export const rotationConfigSchema = z
  .strictObject({
    fields: z
      .array(z.string().min(1).max(128))
      .min(1)
      .max(64)
      .refine((fields) => new Set(fields).size === fields.length, { message: 'must not name a field twice' })
      .describe('Top-level fields of the secret that rotate replaces with fresh random values.'),
    length: z.int().min(8).max(1024).default(32).describe('Length of each generated value, in characters.'),
    alphabet: z.enum(ALPHABET_NAMES).default('alphanumeric').describe('Characters each generated value is drawn from.'),
  })
  .describe('How rotate regenerates this secret.');

/** A validated rotation configuration. */
export type RotationConfig = z.output<typeof rotationConfigSchema>;

/**
 * A copy of `current` with each configured field replaced by a fresh random value (own
 * properties only, so a field named `__proto__` is just a field). Values come from
 * `randomString`: uniform over the alphabet, from the secure random source.
 */
export function rotateFields(current: JsonObject, config: RotationConfig, runtime: Pick<Runtime, 'randomBytes'>): JsonObject {
  const next: JsonObject = { ...current };
  for (const field of config.fields) {
    Object.defineProperty(next, field, { value: randomString(runtime, ROTATION_ALPHABETS[config.alphabet], config.length), enumerable: true, writable: true, configurable: true });
  }
  return next;
}
