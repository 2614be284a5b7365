/** AppRole's input schemas (validated at the edge) and the shapes of its stored records. */

import { z } from 'zod';
import { ttlSchema } from '../../../core/index.js';
import { cidrListSchema } from '../cidr.js';
import { storedTokenFieldsShape } from '../stored-token-fields.js';
import { tokenFieldsShape } from '../token-fields.js';

/** Most uses a secret id may be given. */
export const MAX_SECRET_ID_USES = 1_000_000;

/** Longest role_id or secret_id accepted on input (ours are 36 and 64 characters). */
export const MAX_CREDENTIAL_LENGTH = 256;

/** A role_id: printable ASCII without spaces (ours are UUIDs; Vault allows custom ones). */
export const roleIdSchema = z
  .string()
  .min(1)
  .max(MAX_CREDENTIAL_LENGTH)
  .refine((s) => /^[\x21-\x7e]+$/.test(s), 'must be printable ASCII without spaces')
  .describe('The role_id: a UUID unless set to a custom value, unique across the roles of the mount.');

/** A secret id as a client presents it (to log in, look up or destroy). */
export const secretIdSchema = z.string().min(1).max(MAX_CREDENTIAL_LENGTH).describe('A secret id.');

/** A secret id accessor: ours are UUIDs; anything else cannot name one. */
export const accessorSchema = z
  .string()
  .min(1)
  .max(64)
  .refine((s) => /^[a-z0-9-]+$/.test(s), 'must be a secret id accessor')
  .describe('The accessor of a secret id (returned when it was generated).');

/** Body of `role/{name}` writes. Fields left out keep their current value (defaults on creation). */
export const roleBody = z.strictObject({
  role_id: roleIdSchema.optional(),
  bind_secret_id: z.boolean().default(true).describe('Require a secret id at login.'),
  secret_id_bound_cidrs: cidrListSchema.default([]).describe('CIDR blocks logins through this role must come from.'),
  secret_id_num_uses: z
    .int()
    .min(0)
    .max(MAX_SECRET_ID_USES)
    .default(0)
    .describe('Logins each secret id allows; 0 is unlimited.'),
  secret_id_ttl: ttlSchema.default(0).describe('Lifetime of each secret id; 0 never expires.'),
  local_secret_ids: z.boolean().default(false).describe('Accepted for Vault compatibility; has no effect.'),
  ...tokenFieldsShape,
});

/** Validated `roleBody`. */
export type RoleBody = z.output<typeof roleBody>;

/** A role as stored (durations in milliseconds). */
export const storedRoleSchema = z.object({
  role_id: z.string(),
  bind_secret_id: z.boolean(),
  secret_id_bound_cidrs: z.array(z.string()),
  secret_id_num_uses: z.int(),
  secret_id_ttl: z.number(),
  local_secret_ids: z.boolean(),
  ...storedTokenFieldsShape,
});

/** A stored role. */
export type StoredRole = z.output<typeof storedRoleSchema>;

/** The role fields a write may set (everything but the role_id, which has its own rules). */
export type RoleSettings = Omit<StoredRole, 'role_id'>;

const METADATA_KEY = /^[A-Za-z0-9_.-]{1,128}$/;

const metadataMap = z
  .record(z.string().regex(METADATA_KEY, 'must be a metadata key: letters, digits, "_", ".", "-"'), z.string().max(512))
  .refine((map) => Object.keys(map).length <= 32, 'must have at most 32 entries');

/**
 * Secret id metadata: a map of strings, or (as Vault takes it) a JSON string holding one.
 * It is copied into the metadata of tokens issued with the secret id.
 */
export const metadataSchema = z
  .union([metadataMap, z.string().max(32 * 700)])
  .transform((value, ctx) => {
    if (typeof value !== 'string') return value;
    let parsed: unknown;
    try {
      parsed = value.trim() === '' ? {} : JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an object of strings, or a JSON string holding one' });
      return z.NEVER;
    }
    return parsed;
  })
  .pipe(metadataMap)
  .describe('Metadata copied into issued tokens: an object of strings (or a JSON string of one).');

/** Body of `role/{name}/secret-id` (generate). */
export const generateBody = z.strictObject({
  metadata: metadataSchema.optional(),
  cidr_list: cidrListSchema
    .optional()
    .describe("CIDR blocks logins with this secret id must come from; within the role's secret_id_bound_cidrs."),
  token_bound_cidrs: cidrListSchema
    .optional()
    .describe("CIDR blocks tokens issued with this secret id may be used from; within the role's token_bound_cidrs."),
  num_uses: z
    .int()
    .min(0)
    .max(MAX_SECRET_ID_USES)
    .optional()
    .describe("Logins this secret id allows; 0 or absent: the role's secret_id_num_uses. At most the role's, when it sets one."),
  ttl: ttlSchema.optional().describe("Lifetime; 0 or absent: the role's secret_id_ttl. At most the role's, when it sets one."),
});

/** A secret id as stored: never the secret id itself, only its HMAC. */
export const storedSecretIdSchema = z.object({
  hmac: z.string(),
  accessor: z.string(),
  created_ms: z.number(),
  updated_ms: z.number(),
  /** Null: never expires. */
  expires_ms: z.number().nullable(),
  ttl_ms: z.number(),
  /** Logins left; 0 is unlimited. */
  num_uses: z.int(),
  cidr_list: z.array(z.string()),
  token_bound_cidrs: z.array(z.string()),
  metadata: z.record(z.string(), z.string()),
});

/** A stored secret id record. */
export type StoredSecretId = z.output<typeof storedSecretIdSchema>;

/** An accessor's index record: the HMAC of the secret id it names. */
export const storedAccessorSchema = z.object({ hmac: z.string() });

/** Body of `…/secret-id/lookup` and `…/secret-id/destroy`. */
export const secretIdBody = z.strictObject({ secret_id: secretIdSchema });

/** Body of `…/secret-id-accessor/lookup` and `…/secret-id-accessor/destroy`. */
export const accessorBody = z.strictObject({ secret_id_accessor: accessorSchema });

/** Body of `login`. */
export const loginBody = z.strictObject({
  role_id: z.string().min(1).max(MAX_CREDENTIAL_LENGTH).describe('The role_id of the role to log in with.'),
  secret_id: z.string().max(MAX_CREDENTIAL_LENGTH).default('').describe('A secret id of that role (when it binds secret ids).'),
});
