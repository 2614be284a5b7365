import { describe, expect, it } from 'vitest';
import { createWebRuntime, isGatewayError } from '../core/index.js';
import { checkShareCounts, combineShares, splitSecret } from './shamir.js';

const runtime = createWebRuntime();

describe('shamir', () => {
  it('reconstructs the secret from any threshold-sized subset, and not from fewer', async () => {
    const secret = runtime.randomBytes(32);
    const shares = await splitSecret(secret, 5, 3);
    expect(shares).toHaveLength(5);
    for (const s of shares) expect(s.length).toBe(33);
    for (const subset of [[0, 1, 2], [0, 2, 4], [1, 3, 4], [4, 3, 2, 1]]) {
      expect(await combineShares(subset.map((i) => shares[i] as Uint8Array), 32)).toEqual(secret);
    }
    // Two of a 3-threshold split combine into something, but not the secret.
    expect(await combineShares([shares[0] as Uint8Array, shares[1] as Uint8Array], 32)).not.toEqual(secret);
  });

  it('uses the secret itself as the single share of a 1-of-1 split', async () => {
    const secret = runtime.randomBytes(32);
    const [only] = await splitSecret(secret, 1, 1);
    expect(only).toEqual(secret);
    expect(await combineShares([only as Uint8Array], 32)).toEqual(secret);
  });

  it('refuses shares of the wrong length, a repeated share, and a share with coordinate zero', async () => {
    const shares = await splitSecret(runtime.randomBytes(32), 3, 2);
    const a = shares[0] as Uint8Array;
    for (const bad of [[a, a], [a, a.subarray(0, 32)], [a, new Uint8Array(33)]]) {
      const err = await combineShares(bad, 32).then(() => null, (e: unknown) => e);
      expect(isGatewayError(err, 'ERR_VALIDATION')).toBe(true);
    }
  });

  it('validates share counts as Vault does, naming the fields', () => {
    expect(() => checkShareCounts(5, 3)).not.toThrow();
    expect(() => checkShareCounts(1, 1)).not.toThrow();
    for (const [n, t] of [[0, 1], [256, 2], [3, 4], [3, 1], [5, 0], [1.5, 1]] as const) {
      expect(() => checkShareCounts(n, t)).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION' }));
    }
    try {
      checkShareCounts(3, 4, { shares: 'recovery_shares', threshold: 'recovery_threshold' });
    } catch (err) {
      expect((err as { details: { field: string }[] }).details[0]?.field).toBe('recovery_threshold');
    }
  });
});
