/**
 * JWT roles (`role/{name}`): which tokens may log in through the role (audiences, subject,
 * bound claims), what identity and metadata they produce (user claim, claim mappings,
 * groups claim), the time leeways, and the token settings. A write replaces the whole role.
 */

import { z } from 'zod';
import { ttlSchema } from '../../../core/index.js';
import type { FieldIssue, Storage } from '../../../core/index.js';
import { roleKey } from '../role-paths.js';
import { stringListSchema } from '../string-list.js';
import { storedTokenFieldsShape, tokenFieldsView, tokenFieldsViewShape, ttlProblem } from '../stored-token-fields.js';
import { tokenFieldsShape } from '../token-fields.js';
import { loadJson, saveJson } from '../../../native-engines/framework/stored-json.js';

/** Most entries in bound_claims or claim_mappings. */
export const MAX_CLAIM_ENTRIES = 32;

/** Largest leeway of any kind: 5 minutes. */
export const MAX_LEEWAY_MS = 300_000;

/** Longest claim name or JSON pointer. */
const MAX_CLAIM_NAME = 256;

/** Most segments in a JSON-pointer claim name. */
export const MAX_POINTER_DEPTH = 16;

/** Metadata keys a claim may be mapped to; `role` is reserved for the role name. */
const METADATA_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * A claim name: a top-level claim, or a JSON pointer (RFC 6901) into nested claims when it
 * starts with `/` (as in Vault). No control characters; `__proto__` is refused.
 */
export const claimNameSchema = z
  .string()
  .min(1)
  .max(MAX_CLAIM_NAME)
  .refine((s) => !hasControlCharacter(s) && s !== '__proto__' && (!s.startsWith('/') || s.split('/').length - 1 <= MAX_POINTER_DEPTH), {
    message: `must be a claim name or a JSON pointer of at most ${MAX_POINTER_DEPTH} segments, without control characters`,
  });

const boundScalar = z.union([z.string().max(1024), z.number(), z.boolean()]);
const boundValue = z.union([boundScalar, z.array(boundScalar).min(1).max(64)]);
const fewEntries = (record: Record<string, unknown>) => Object.keys(record).length <= MAX_CLAIM_ENTRIES;
const FEW_ENTRIES = { message: `must have at most ${MAX_CLAIM_ENTRIES} entries` };

function leeway(defaultSeconds: number, what: string) {
  return ttlSchema
    .refine((ms) => ms <= MAX_LEEWAY_MS, { message: 'must be at most 5 minutes (300 seconds)' })
    .default(defaultSeconds * 1000)
    .describe(`${what}: seconds or a duration, at most 5 minutes. Default ${defaultSeconds}s.`);
}

/** Body of a role write. */
export const jwtRoleBody = z
  .strictObject({
    role_type: z.literal('jwt').default('jwt').describe('Only "jwt": the browser OIDC flow is not supported.'),
    bound_audiences: stringListSchema(32, 256).default([]).describe('Accepted aud values; any one must be in the token. Required unless another binding is set.'),
    bound_subject: z.string().max(512).default('').describe('If set, sub must equal it.'),
    bound_claims_type: z.enum(['string', 'glob']).default('string').describe('How bound_claims values match: exactly, or as globs with *.'),
    bound_claims: z
      .record(claimNameSchema, boundValue)
      .refine(fewEntries, FEW_ENTRIES)
      .default({})
      .describe('Claim (or JSON pointer) to a required value or list of values; any one must match.'),
    claim_mappings: z
      .record(claimNameSchema, z.string().regex(METADATA_KEY, 'must be a metadata key: letters, digits, "_", ".", "-"'))
      .refine(fewEntries, FEW_ENTRIES)
      .refine((m) => new Set(Object.values(m)).size === Object.keys(m).length, { message: 'must not map two claims to one metadata key' })
      .refine((m) => !Object.values(m).includes('role'), { message: 'must not map to the reserved metadata key "role"' })
      .default({})
      .describe('Claim (or JSON pointer) to the metadata key its value is copied into.'),
    user_claim: claimNameSchema.default('sub').describe('Claim whose value names the identity (the alias). Default sub.'),
    groups_claim: z.union([claimNameSchema, z.literal('')]).default('').describe('Claim holding the group list; if set, the token must carry it.'),
    clock_skew_leeway: leeway(60, 'Leeway on exp, nbf and iat'),
    expiration_leeway: leeway(0, 'Extra leeway on exp'),
    not_before_leeway: leeway(0, 'Extra leeway on nbf'),
    ...tokenFieldsShape,
  });

/** A JWT role (TTLs and leeways in ms). */
export type JwtRole = z.output<typeof jwtRoleBody>;

/** Problems of a (merged) role across fields: a binding is required, globs need strings, TTL within max TTL. */
export function checkJwtRole(role: JwtRole): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (role.bound_audiences.length === 0 && role.bound_subject === '' && Object.keys(role.bound_claims).length === 0 && role.token_bound_cidrs.length === 0) {
    issues.push({ field: 'bound_audiences', reason: 'at least one of bound_audiences, bound_subject, bound_claims or token_bound_cidrs must be set' });
  }
  if (role.bound_claims_type === 'glob') {
    const values = Object.values(role.bound_claims).flatMap((v) => (Array.isArray(v) ? v : [v]));
    if (!values.every((v) => typeof v === 'string')) issues.push({ field: 'bound_claims', reason: 'values must be strings when bound_claims_type is glob' });
  }
  const ttl = ttlProblem(role);
  if (ttl !== null) issues.push({ field: 'token_ttl', reason: ttl });
  return issues;
}

/** A role as stored (TTLs and leeways in ms). */
export const storedJwtRoleSchema = z.object({
  role_type: z.literal('jwt'),
  bound_audiences: z.array(z.string()),
  bound_subject: z.string(),
  bound_claims_type: z.enum(['string', 'glob']),
  bound_claims: z.record(z.string(), boundValue),
  claim_mappings: z.record(z.string(), z.string()),
  user_claim: z.string().min(1),
  groups_claim: z.string(),
  clock_skew_leeway: z.int().min(0).max(MAX_LEEWAY_MS),
  expiration_leeway: z.int().min(0).max(MAX_LEEWAY_MS),
  not_before_leeway: z.int().min(0).max(MAX_LEEWAY_MS),
  ...storedTokenFieldsShape,
});

/** Response schema of a role read. */
export const jwtRoleView = storedJwtRoleSchema.extend({
  clock_skew_leeway: z.int().describe('Seconds.'),
  expiration_leeway: z.int().describe('Seconds.'),
  not_before_leeway: z.int().describe('Seconds.'),
  ...tokenFieldsViewShape,
});

/** A role as a read returns it: durations in whole seconds. */
export function roleView(role: JwtRole): z.output<typeof jwtRoleView> {
  return {
    ...role,
    clock_skew_leeway: Math.floor(role.clock_skew_leeway / 1000),
    expiration_leeway: Math.floor(role.expiration_leeway / 1000),
    not_before_leeway: Math.floor(role.not_before_leeway / 1000),
    ...tokenFieldsView(role),
  };
}

/** The role, or null. Throws `ERR_INTERNAL` for an unreadable record. */
export function loadJwtRole(storage: Pick<Storage, 'get'>, name: string): Promise<JwtRole | null> {
  return loadJson<JwtRole>(storage, roleKey(name), storedJwtRoleSchema, 'jwt role');
}

/** Stores role `name`. */
export function saveJwtRole(storage: Pick<Storage, 'put'>, name: string, role: JwtRole): Promise<void> {
  return saveJson(storage, roleKey(name), role);
}
