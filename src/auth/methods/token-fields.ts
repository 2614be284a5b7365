/**
 * The token settings every auth method's role carries (Vault's `token_*` role fields), as
 * one zod shape to spread into a role schema, and the conversion into `AuthResult` fields.
 */

import { z } from 'zod';
import { ttlSchema } from '../../core/index.js';
import type { AuthResult } from '../../core/index.js';
import { cidrListSchema } from './cidr.js';

/** Policy names: lower-case letters, digits, `-`, `_`, `.`; canonicalised (trimmed, lower-cased). */
export const policyNameSchema = z
  .string()
  .max(128)
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'must be a policy name: letters, digits, ".", "_", "-"'));

/** A list of policy names, as an array or a comma-separated string (Vault accepts both); deduplicated. */
export const policyListSchema = z
  .union([z.array(z.string().max(128)).max(64), z.string().max(64 * 130)])
  .transform((v) => (typeof v === 'string' ? v.split(',').filter((s) => s.trim() !== '') : v))
  .pipe(z.array(policyNameSchema).max(64))
  .transform((list) => [...new Set(list)]);

/** Role fields that shape the token a login issues. Spread into a role's `z.strictObject({...})`. */
export const tokenFieldsShape = {
  token_policies: policyListSchema.default([]).describe('Policies attached to tokens issued through this role.'),
  token_ttl: ttlSchema.default(0).describe('Token TTL; 0 uses the system default.'),
  token_max_ttl: ttlSchema.default(0).describe('Token max TTL; 0 uses the system default.'),
  token_period: ttlSchema.default(0).describe('If set, tokens are periodic: renewable by this period with no max TTL.'),
  token_num_uses: z.int().min(0).max(1_000_000).default(0).describe('Uses per token; 0 is unlimited.'),
  token_bound_cidrs: cidrListSchema.default([]).describe('CIDR blocks tokens may be used from.'),
  token_no_default_policy: z.boolean().default(false).describe('Leave out the default policy.'),
};

/** The token fields as stored on a role (the output of `tokenFieldsShape`: TTLs in ms). */
export type TokenFields = z.output<z.ZodObject<typeof tokenFieldsShape>>;

/** The `AuthResult` fields a role's token settings produce (0 means "use the default"). */
export function tokenResultFields(role: TokenFields): Pick<AuthResult, 'policies' | 'ttlMs' | 'maxTtlMs' | 'periodMs' | 'numUses' | 'boundCidrs' | 'noDefaultPolicy'> {
  return {
    policies: role.token_policies,
    ...(role.token_ttl > 0 ? { ttlMs: role.token_ttl } : {}),
    ...(role.token_max_ttl > 0 ? { maxTtlMs: role.token_max_ttl } : {}),
    ...(role.token_period > 0 ? { periodMs: role.token_period } : {}),
    ...(role.token_num_uses > 0 ? { numUses: role.token_num_uses } : {}),
    ...(role.token_bound_cidrs.length > 0 ? { boundCidrs: role.token_bound_cidrs } : {}),
    noDefaultPolicy: role.token_no_default_policy,
  };
}

/** Role names: canonical lower-case, so `CI` and ` ci ` are one role for bindings and rate limits. */
export const roleNameSchema = z
  .string()
  .max(128)
  .transform((s) => s.normalize('NFKC').trim().toLowerCase())
  .pipe(z.string().regex(/^[a-z0-9][a-z0-9._@-]{0,127}$/, 'must be a role name: letters, digits, ".", "_", "@", "-"'));
