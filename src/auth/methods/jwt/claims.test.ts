import { describe, expect, it } from 'vitest';
import { LoginRefusal } from '../login-refusal.js';
import { checkBoundClaims, getClaim, groupsOf, mappedMetadata } from './claims.js';

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof LoginRefusal) return err.reason;
    throw err;
  }
  return 'accepted';
}

const claims: Record<string, unknown> = JSON.parse(
  '{"sub":"s","a/b":1,"nested":{"x/y":{"z":"deep"},"list":["p","q"]},"__proto__":{"polluted":true},"n":3,"t":true}',
);

describe('claims', () => {
  it('reads top-level names and JSON pointers with escapes, own properties only', () => {
    expect(getClaim(claims, 'sub')).toBe('s');
    expect(getClaim(claims, 'a/b')).toBe(1);
    expect(getClaim(claims, '/nested/x~1y/z')).toBe('deep');
    expect(getClaim(claims, '/nested/list/1')).toBe('q');
    expect(getClaim(claims, '/nested/list/01')).toBeUndefined();
    expect(getClaim(claims, 'toString')).toBeUndefined();
    expect(getClaim(claims, '/nested/constructor')).toBeUndefined();
    expect(getClaim(claims, '/__proto__/polluted')).toBe(true);
  });

  it('matches bound scalars as text', () => {
    expect(reason(() => checkBoundClaims(claims, { bound_claims: { n: 3, t: 'true' }, bound_claims_type: 'string' }))).toBe('accepted');
    expect(reason(() => checkBoundClaims(claims, { bound_claims: { '/nested/list': 'q' }, bound_claims_type: 'string' }))).toBe('accepted');
    expect(reason(() => checkBoundClaims(claims, { bound_claims: { nested: 'x' }, bound_claims_type: 'glob' }))).toBe('bound_claim_mismatch');
  });

  it('maps scalars, bounds their length, and reads groups', () => {
    expect(mappedMetadata(claims, { n: 'count', missing: 'm' })).toEqual({ count: '3' });
    expect(reason(() => mappedMetadata({ long: 'x'.repeat(513) }, { long: 'l' }))).toBe('claim_mapping_too_long');
    expect(groupsOf({ g: ['a', '', 'b'] }, 'g')).toEqual(['a', 'b']);
    expect(groupsOf({ g: 'solo' }, 'g')).toEqual(['solo']);
    expect(reason(() => groupsOf({ g: Array.from({ length: 257 }, () => 'x') }, 'g'))).toBe('groups_claim_invalid');
  });
});
