/**
 * Shamir secret sharing over GF(2^8), by the audited `shamir-secret-sharing` library (Cure53
 * and Zellic audits; the share format of HashiCorp Vault: the secret's length plus one
 * trailing x-coordinate byte). This module only checks arguments and shapes errors; it does
 * no arithmetic of its own. Runtime-neutral: the library draws randomness from WebCrypto.
 *
 * Reconstruction is not self-verifying: the wrong shares combine into a wrong secret without
 * error. Callers verify the result (the barrier by unwrapping with it, share checks by
 * comparing a hash in constant time).
 */

import { combine, split } from 'shamir-secret-sharing';
import { GatewayError, ValidationError } from '../core/index.js';

/** The most shares a secret can be split into (the field has 255 non-zero x-coordinates). */
export const MAX_SHARES = 255;

/**
 * Validates `shares`/`threshold` as an operator would type them, with Vault's rules: both
 * 1..255, threshold ≤ shares, and a threshold of 1 only with a single share (a one-of-many
 * split would hand the whole secret to each holder). Throws `ValidationError` naming `fields`.
 */
export function checkShareCounts(shares: number, threshold: number, fields = { shares: 'secret_shares', threshold: 'secret_threshold' }): void {
  const issues: { field: string; reason: string }[] = [];
  if (!Number.isInteger(shares) || shares < 1 || shares > MAX_SHARES) issues.push({ field: fields.shares, reason: `must be an integer from 1 to ${MAX_SHARES}` });
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > MAX_SHARES) issues.push({ field: fields.threshold, reason: `must be an integer from 1 to ${MAX_SHARES}` });
  if (issues.length === 0 && threshold > shares) issues.push({ field: fields.threshold, reason: `must not exceed ${fields.shares}` });
  if (issues.length === 0 && threshold === 1 && shares !== 1) issues.push({ field: fields.threshold, reason: `must be at least 2 when ${fields.shares} is more than 1` });
  if (issues.length === 0 && threshold > 1 && shares < 2) issues.push({ field: fields.shares, reason: `must be at least 2 when ${fields.threshold} is more than 1` });
  if (issues.length > 0) throw new ValidationError('invalid share settings', issues);
}

/**
 * Splits `secret` into `shares` shares of which any `threshold` reconstruct it. With one
 * share and threshold 1 the share is a copy of the secret (Vault does the same).
 */
export async function splitSecret(secret: Uint8Array, shares: number, threshold: number): Promise<Uint8Array[]> {
  checkShareCounts(shares, threshold);
  if (shares === 1) return [new Uint8Array(secret)];
  return split(secret, shares, threshold);
}

/**
 * Combines shares. `expectedLength` is the secret's length: a single share must be exactly
 * that, more shares one byte longer. Throws `ValidationError` for malformed input (a wrong
 * length, two shares with one x-coordinate); a wrong set of well-formed shares yields a
 * wrong secret without error, which the caller detects.
 */
export async function combineShares(shares: readonly Uint8Array[], expectedLength: number): Promise<Uint8Array> {
  if (shares.length === 0 || shares.length > MAX_SHARES) throw new ValidationError(`between 1 and ${MAX_SHARES} shares are needed`);
  if (shares.length === 1) {
    const only = shares[0] as Uint8Array;
    if (only.length !== expectedLength) throw new ValidationError('the share has the wrong length');
    return new Uint8Array(only);
  }
  for (const share of shares) checkShare(share, shares.length === 1 ? expectedLength : expectedLength + 1);
  const seen = new Set<number>();
  for (const share of shares) {
    const x = shareCoordinate(share);
    if (x === 0) throw new ValidationError('a share is malformed', [{ field: 'key', reason: 'is not a share' }]);
    if (seen.has(x)) throw new ValidationError('the same share was submitted twice');
    seen.add(x);
  }
  try {
    return await combine([...shares]);
  } catch {
    throw new GatewayError('ERR_INTERNAL', 'the shares could not be combined');
  }
}

/**
 * Checks one submitted share's shape: `length` bytes and, for a split share (longer than a
 * bare secret), a non-zero x-coordinate. Throws `ValidationError` on field `key`.
 */
export function checkShare(share: Uint8Array, length: number): void {
  if (share.length !== length) throw new ValidationError('the share has the wrong length', [{ field: 'key', reason: `must decode to ${length} bytes` }]);
}

/** A split share's x-coordinate: its last byte (public, not secret). */
export function shareCoordinate(share: Uint8Array): number {
  return share[share.length - 1] ?? 0;
}
