/**
 * Reading claims for a role: plain names or JSON pointers (RFC 6901, when the name starts
 * with `/`), bound-claim matching (exact or glob), claim mappings into metadata, the user
 * claim and the groups claim. Everything is bounded; failures are `LoginRefusal`s.
 */

import { globMatch } from '../glob.js';
import { refuse } from '../login-refusal.js';
import { MAX_POINTER_DEPTH } from './role.js';
import type { JwtRole } from './role.js';

/** Longest claim value copied into metadata or used as an alias. */
export const MAX_CLAIM_VALUE_LENGTH = 512;

/** Most values of a list claim considered. */
export const MAX_CLAIM_LIST = 256;

function child(container: unknown, token: string): unknown {
  if (Array.isArray(container)) {
    return /^(0|[1-9][0-9]{0,5})$/.test(token) ? container[Number(token)] : undefined;
  }
  if (typeof container === 'object' && container !== null && Object.hasOwn(container, token)) return Reflect.get(container, token);
  return undefined;
}

/** The claim named `name` (or at JSON pointer `name`), or undefined when absent. */
export function getClaim(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  if (!name.startsWith('/')) return child(claims, name);
  const tokens = name.slice(1).split('/');
  if (tokens.length > MAX_POINTER_DEPTH) return undefined;
  let current: unknown = claims;
  for (const raw of tokens) {
    current = child(current, raw.replaceAll('~1', '/').replaceAll('~0', '~'));
    if (current === undefined) return undefined;
  }
  return current;
}

/** A scalar claim value as text (strings as they are, numbers and booleans printed); null otherwise. */
export function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return null;
}

function matches(expected: string | number | boolean, actual: unknown, type: JwtRole['bound_claims_type']): boolean {
  const text = scalarText(actual);
  if (text === null) return false;
  if (type === 'glob' && typeof expected === 'string') return globMatch(expected, text);
  return text === String(expected);
}

/**
 * Every bound claim must be present and match one of its values; a list claim matches
 * when any of its members does. Throws `bound_claim_missing` or `bound_claim_mismatch`.
 */
export function checkBoundClaims(claims: Readonly<Record<string, unknown>>, role: Pick<JwtRole, 'bound_claims' | 'bound_claims_type'>): void {
  for (const [name, bound] of Object.entries(role.bound_claims)) {
    const actual = getClaim(claims, name);
    if (actual === undefined || actual === null) refuse('bound_claim_missing');
    const actualValues: unknown[] = Array.isArray(actual) ? actual.slice(0, MAX_CLAIM_LIST) : [actual];
    const expectedValues = Array.isArray(bound) ? bound : [bound];
    if (!expectedValues.some((e) => actualValues.some((a) => matches(e, a, role.bound_claims_type)))) refuse('bound_claim_mismatch');
  }
}

/**
 * Metadata from `claim_mappings`: each present claim's scalar value under its key. Throws
 * `claim_mapping_type` for a non-scalar value and `claim_mapping_too_long` past the bound.
 */
export function mappedMetadata(claims: Readonly<Record<string, unknown>>, mappings: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, key] of Object.entries(mappings)) {
    const value = getClaim(claims, name);
    if (value === undefined || value === null) continue;
    const text = scalarText(value);
    if (text === null) refuse('claim_mapping_type');
    if (text.length > MAX_CLAIM_VALUE_LENGTH) refuse('claim_mapping_too_long');
    out[key] = text;
  }
  return out;
}

/** The user claim's value: a non-empty string within the bound. Throws `user_claim_missing` or `user_claim_invalid`. */
export function userClaimValue(claims: Readonly<Record<string, unknown>>, userClaim: string): string {
  const value = getClaim(claims, userClaim);
  if (value === undefined || value === null) refuse('user_claim_missing');
  if (typeof value !== 'string' || value === '' || value.length > MAX_CLAIM_VALUE_LENGTH) refuse('user_claim_invalid');
  return value;
}

/**
 * The groups claim's values (a list of strings, or one string), empty ones dropped. Throws
 * `groups_claim_missing` when the role names a claim the token lacks, `groups_claim_invalid`
 * for any other shape or past the bounds.
 */
export function groupsOf(claims: Readonly<Record<string, unknown>>, groupsClaim: string): string[] {
  if (groupsClaim === '') return [];
  const value = getClaim(claims, groupsClaim);
  if (value === undefined || value === null) refuse('groups_claim_missing');
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length > MAX_CLAIM_LIST) refuse('groups_claim_invalid');
  const groups: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string' || item.length > MAX_CLAIM_VALUE_LENGTH) refuse('groups_claim_invalid');
    if (item !== '') groups.push(item);
  }
  return groups;
}
