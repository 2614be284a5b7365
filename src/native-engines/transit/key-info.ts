/**
 * What `keys/{name}` returns: Vault's key description (settings, capabilities, versions,
 * public keys), built from the policy. No secret material is ever part of it.
 */

import { toBase64 } from '../../core/index.js';
import type { Runtime, SafeJsonObject } from '../../core/index.js';
import { ed25519PublicFromSeed } from './ed25519-keys.js';
import { hkdfSha256 } from './derivation.js';
import { isAsymmetric, isEcdsa, supportsDerivation, supportsEncryption, supportsSigning } from './key-types.js';
import type { KeyRing } from './key-ring.js';
import type { KeyPolicy } from './policy.js';

function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

function publicKeyName(policy: KeyPolicy): string {
  if (isEcdsa(policy.type)) return policy.type === 'ecdsa-p256' ? 'P-256' : 'P-384';
  return policy.type;
}

/** The versions a description lists: those still usable for decryption or verification, oldest first. */
export function listedVersions(policy: KeyPolicy): number[] {
  return Object.keys(policy.versions)
    .map(Number)
    .filter((v) => v >= policy.min_decryption_version)
    .sort((a, b) => a - b);
}

/**
 * Describes a key as Vault's `keys/{name}` does. For a derived Ed25519 key, `context`
 * (when not empty) selects the derived public keys to show, as in Vault.
 */
export async function describeKey(runtime: Runtime, keys: KeyRing, policy: KeyPolicy, context: Uint8Array<ArrayBuffer>): Promise<SafeJsonObject> {
  const data: SafeJsonObject = {
    name: policy.name,
    type: policy.type,
    derived: policy.derived,
    deletion_allowed: policy.deletion_allowed,
    exportable: policy.exportable,
    allow_plaintext_backup: policy.allow_plaintext_backup,
    latest_version: policy.latest_version,
    min_available_version: policy.min_available_version,
    min_decryption_version: policy.min_decryption_version,
    min_encryption_version: policy.min_encryption_version,
    supports_encryption: supportsEncryption(policy.type),
    supports_decryption: supportsEncryption(policy.type),
    supports_signing: supportsSigning(policy.type),
    supports_derivation: supportsDerivation(policy.type),
    auto_rotate_period: Math.floor(policy.auto_rotate_period_ms / 1000),
    imported_key: false,
  };
  if (policy.type === 'hmac') data.key_size = policy.key_size;
  if (policy.derived) {
    data.kdf = 'hkdf_sha256';
    data.convergent_encryption = policy.convergent_encryption;
    if (policy.convergent_encryption) data.convergent_encryption_version = 3;
  }
  if (policy.backup_info !== null) data.backup_info = { time: rfc3339(policy.backup_info.time_ms), version: policy.backup_info.version };
  if (policy.restore_info !== null) data.restore_info = { time: rfc3339(policy.restore_info.time_ms), version: policy.restore_info.version };

  const versions: SafeJsonObject = {};
  for (const version of listedVersions(policy)) {
    const info = policy.versions[String(version)];
    if (info === undefined) continue;
    if (!isAsymmetric(policy.type)) {
      versions[String(version)] = Math.floor(info.created_ms / 1000);
      continue;
    }
    let publicKey = info.public_key ?? '';
    if (policy.derived) {
      // A derived Ed25519 key has one public key per context; without a context there is none to show.
      publicKey = '';
      if (context.length > 0) {
        const material = await keys.material(policy, version);
        if (material.key !== null) publicKey = toBase64(await ed25519PublicFromSeed(runtime.subtle, await hkdfSha256(runtime.subtle, material.key, context, 32)));
      }
    }
    versions[String(version)] = { name: publicKeyName(policy), public_key: publicKey, creation_time: rfc3339(info.created_ms), certificate_chain: '' };
  }
  data.keys = versions;
  return data;
}
