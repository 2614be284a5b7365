/**
 * Request and response schemas of the KV operations. Query options arrive as strings and
 * are parsed strictly here (no `Number()` leniency: `""`, `" 1"`, `1e3`, `0x10` are refused).
 * Custom messages never interpolate the input (see src/core/validation.ts).
 */

import { z } from 'zod';
import { MAX_LIST_LIMIT, isJsonObject, utf8 } from '../../core/index.js';
import type { JsonObject } from '../../core/index.js';
import { durationSchema } from '../../core/index.js';
import { kvMetadataSchema } from './metadata.js';
import { MAX_VERSIONS_LIMIT } from './options.js';
import { rotationConfigSchema } from '../../core/index.js';

/** Most versions one delete, undelete or destroy may name. */
export const MAX_VERSIONS_PER_REQUEST = 100;

const DIGITS = /^(?:0|[1-9][0-9]{0,15})$/;

/** A query option holding an integer in `[min, max]`. */
export function queryInteger(min: number, max: number, description: string) {
  const reason = `must be an integer from ${min} to ${max}`;
  return z
    .string()
    .describe(description)
    .transform((text, ctx) => {
      const n = DIGITS.test(text) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: reason });
        return z.NEVER;
      }
      return n;
    });
}

/**
 * A secret: any JSON object, every value secret material. The gateway has already parsed
 * the body as a bounded JSON object, so this checks only that; unlike `z.record`, it passes
 * the object through untouched instead of rebuilding it (a rebuild by assignment would drop
 * a member named `__proto__`). The JSON Schema is spelled out for OpenAPI.
 */
export const secretSchema = z
  .custom<JsonObject>(isJsonObject, { message: 'must be a JSON object' })
  .meta({
    type: 'object',
    additionalProperties: {},
    description: 'The secret: a JSON object whose every value is secret material.',
    sensitive: true,
  });

/** `read`: `?version=n`. */
export const readQuery = z.object({
  version: queryInteger(1, Number.MAX_SAFE_INTEGER, 'The version to read; default the current one.').optional(),
});

/** `list`: `?after=…&limit=n`. */
export const listQuery = z.object({
  after: z.string().min(1).max(1024).describe('Return only keys that sort after this one (the previous page\'s next_after).').optional(),
  limit: queryInteger(1, MAX_LIST_LIMIT, `Most keys to return (default ${MAX_LIST_LIMIT}).`).optional(),
});

/** Writes (`create`, `update`, `patch`, `rotate`): `?cas=n`. */
export const casQuery = z.object({
  cas: queryInteger(
    0,
    Number.MAX_SAFE_INTEGER,
    'Check-and-set: the write succeeds only if the current version is this (0: only if the secret has none).',
  ).optional(),
});

const VERSION_LIST_REASON = `must be a comma-separated list of 1 to ${MAX_VERSIONS_PER_REQUEST} version numbers`;

/** `delete`: `?versions=1,2,3`, deduplicated. */
export const deleteQuery = z.object({
  versions: z
    .string()
    .max(MAX_VERSIONS_PER_REQUEST * 17)
    .describe('Comma-separated versions to soft-delete; default the current version.')
    .transform((text, ctx) => {
      const parts = text.split(',');
      const versions = new Set<number>();
      for (const part of parts) {
        const n = DIGITS.test(part) ? Number(part) : Number.NaN;
        if (!Number.isSafeInteger(n) || n < 1 || parts.length > MAX_VERSIONS_PER_REQUEST) {
          ctx.addIssue({ code: 'custom', message: VERSION_LIST_REASON });
          return z.NEVER;
        }
        versions.add(n);
      }
      return [...versions];
    })
    .optional(),
});

/** `undelete` and `destroy`: `{ "versions": [1, 2] }`, deduplicated. */
export const versionsBody = z.object({
  versions: z
    .array(z.int().min(1))
    .min(1)
    .max(MAX_VERSIONS_PER_REQUEST)
    .describe('The versions to act on.')
    .transform((versions) => [...new Set(versions)]),
});

const utf8Bytes = (max: number, min = 0) =>
  z.string().refine(
    (text) => {
      const length = utf8(text).length;
      return length >= min && length <= max;
    },
    { message: min > 0 ? `must be ${min} to ${max} bytes of UTF-8` : `must be at most ${max} bytes of UTF-8` },
  );

/** Most custom metadata keys per secret. */
export const MAX_CUSTOM_METADATA_KEYS = 64;

const customMetadataKey = utf8Bytes(128, 1);
const customMetadataValue = utf8Bytes(512);
const fewKeys = (value: Record<string, unknown>) => Object.keys(value).length <= MAX_CUSTOM_METADATA_KEYS;
const FEW_KEYS = { message: `must have at most ${MAX_CUSTOM_METADATA_KEYS} keys` };

const settings = {
  max_versions: z.int().min(0).max(MAX_VERSIONS_LIMIT).describe('Versions to keep; 0 means the mount default.').optional(),
  cas_required: z.boolean().describe('Require check-and-set on every write to this secret.').optional(),
  delete_version_after: durationSchema.optional(),
  rotation: rotationConfigSchema.nullable().optional(),
};

/** `write-metadata`: fields given replace the stored ones; `custom_metadata` is replaced whole. */
export const writeMetadataBody = z.object({
  ...settings,
  custom_metadata: z
    .record(customMetadataKey, customMetadataValue)
    .refine(fewKeys, FEW_KEYS)
    .nullable()
    .describe('Non-secret string labels; replaces the stored ones (null clears them).')
    .optional(),
});

/** `patch-metadata`: like write-metadata, but `custom_metadata` merges and a null value removes a key. */
export const patchMetadataBody = z.object({
  ...settings,
  custom_metadata: z
    .record(customMetadataKey, customMetadataValue.nullable())
    .refine(fewKeys, FEW_KEYS)
    .describe('Labels to merge into the stored ones; a null value removes that label.')
    .optional(),
});

/** `data` of a write's response. */
export const writeResponse = z.object({ version: z.int(), created_time: z.string() });

/** `data` of a list response. */
export const listResponse = z.object({ keys: z.array(z.string()).describe('Names below the path; folders end in "/".') });

/** `data` of a rotate response: never the new values. */
export const rotateResponse = writeResponse.extend({ rotated_fields: z.array(z.string()) });

/** `data` of read-metadata. */
export const metadataResponse = kvMetadataSchema;
