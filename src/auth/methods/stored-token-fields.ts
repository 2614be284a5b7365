/**
 * Role token settings at rest and on read. `tokenFieldsShape` (token-fields.ts) parses
 * what an operator writes (TTLs as seconds or duration text, output in ms); this is the
 * shape of its output, used to re-validate a stored role, and the read view, which gives
 * TTLs back in whole seconds as Vault does (so a read can be written back unchanged).
 */

import { z } from 'zod';
import type { TokenFields } from './token-fields.js';

/** The stored form of the token fields (TTLs in ms). Spread into a stored role schema. */
export const storedTokenFieldsShape = {
  token_policies: z.array(z.string().max(128)).max(64),
  token_ttl: z.int().min(0),
  token_max_ttl: z.int().min(0),
  token_period: z.int().min(0),
  token_num_uses: z.int().min(0),
  token_bound_cidrs: z.array(z.string().max(64)).max(64),
  token_no_default_policy: z.boolean(),
};

/** The token fields as a role read returns them: the stored shape, with TTLs in seconds. */
export type TokenFieldsView = TokenFields;

/** The read view of stored token fields. */
export function tokenFieldsView(role: TokenFields): TokenFieldsView {
  return {
    token_policies: [...role.token_policies],
    token_ttl: Math.floor(role.token_ttl / 1000),
    token_max_ttl: Math.floor(role.token_max_ttl / 1000),
    token_period: Math.floor(role.token_period / 1000),
    token_num_uses: role.token_num_uses,
    token_bound_cidrs: [...role.token_bound_cidrs],
    token_no_default_policy: role.token_no_default_policy,
  };
}

/** Response schema of the token fields in a role read (for OpenAPI). */
export const tokenFieldsViewShape = {
  token_policies: z.array(z.string()),
  token_ttl: z.int().describe('Seconds; 0 uses the default.'),
  token_max_ttl: z.int().describe('Seconds; 0 uses the default.'),
  token_period: z.int().describe('Seconds; 0 means not periodic.'),
  token_num_uses: z.int(),
  token_bound_cidrs: z.array(z.string()),
  token_no_default_policy: z.boolean(),
};

/** The problem with a role's TTLs, if any: Vault refuses a TTL above the max TTL. */
export function ttlProblem(role: Pick<TokenFields, 'token_ttl' | 'token_max_ttl'>): string | null {
  return role.token_max_ttl > 0 && role.token_ttl > role.token_max_ttl ? 'must not be greater than token_max_ttl' : null;
}
