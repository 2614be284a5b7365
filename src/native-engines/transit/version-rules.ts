/**
 * Which key version an operation may use, as Vault decides it: new ciphertexts, signatures
 * and HMACs use the latest version or a chosen one at or above `min_encryption_version`;
 * decryption and verification accept versions from `min_decryption_version` to the latest.
 */

import { fieldError } from './field-error.js';
import type { KeyPolicy } from './policy.js';

/** The version to encrypt, sign or HMAC with; `requested` 0 means the latest. */
export function versionForUse(policy: KeyPolicy, requested: number): number {
  if (requested === 0) return policy.latest_version;
  if (requested > policy.latest_version) throw fieldError('key_version', 'is higher than the latest key version');
  if (requested < policy.min_encryption_version) throw fieldError('key_version', 'is lower than the key\'s min_encryption_version');
  if (requested < Math.max(1, policy.min_available_version)) throw fieldError('key_version', 'has been trimmed');
  return requested;
}

/** Checks that a value made with `version` may still be decrypted or verified. `field` names the input. */
export function checkReadableVersion(policy: KeyPolicy, version: number, field: string): number {
  if (version > policy.latest_version) throw fieldError(field, 'is invalid: its key version is newer than the latest');
  if (version < policy.min_decryption_version) {
    throw fieldError(field, 'version is disallowed by policy (too old): it is below the key\'s min_decryption_version');
  }
  return version;
}
