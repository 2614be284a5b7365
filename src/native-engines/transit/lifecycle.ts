/**
 * Creating and rotating keys, shared by `keys/{name}`, the encrypt upsert, `rotate` and the
 * auto-rotation tick. Both run under the key's lock (`KeyRing.write`) and store the new
 * version's material before the policy that makes it visible, so an interrupted write leaves
 * at most unused material, never a policy pointing at nothing.
 */

import { NotFoundError } from '../../core/index.js';
import type { Runtime, Storage } from '../../core/index.js';
import { fieldError } from './field-error.js';
import { generateVersion } from './generate.js';
import { HMAC_KEY_SIZE, supportsDerivation } from './key-types.js';
import type { KeyType } from './key-types.js';
import type { KeyRing } from './key-ring.js';
import { saveMaterial } from './material.js';
import { savePolicy } from './policy.js';
import type { KeyPolicy } from './policy.js';

/** Shortest non-zero `auto_rotate_period` (Vault's: one hour). */
export const MIN_AUTO_ROTATE_MS = 3_600_000;

/** What a new key is made with. */
export interface KeySettings {
  type: KeyType;
  derived: boolean;
  convergent: boolean;
  exportable: boolean;
  allowPlaintextBackup: boolean;
  autoRotatePeriodMs: number;
  /** Bytes of an `hmac` key; 0 means the default. */
  keySize: number;
}

/** What a mount's key operations need. */
export interface KeyDeps {
  storage: Storage;
  runtime: Runtime;
  keys: KeyRing;
}

/** Checks a new key's settings as Vault does; throws `ValidationError` naming the field. */
export function checkSettings(settings: KeySettings): void {
  if (settings.convergent && !settings.derived) throw fieldError('convergent_encryption', 'requires derived to be true');
  if (settings.derived && !supportsDerivation(settings.type)) {
    throw fieldError('derived', 'is only supported by aes128-gcm96, aes256-gcm96, chacha20-poly1305 and ed25519 keys');
  }
  if (settings.convergent && settings.type === 'ed25519') throw fieldError('convergent_encryption', 'is not supported by ed25519 keys');
  if (settings.keySize !== 0 && settings.type !== 'hmac') throw fieldError('key_size', 'applies only to hmac keys');
  if (settings.keySize !== 0 && (settings.keySize < HMAC_KEY_SIZE.min || settings.keySize > HMAC_KEY_SIZE.max)) {
    throw fieldError('key_size', `must be from ${HMAC_KEY_SIZE.min} to ${HMAC_KEY_SIZE.max} bytes`);
  }
  if (settings.autoRotatePeriodMs !== 0 && settings.autoRotatePeriodMs < MIN_AUTO_ROTATE_MS) {
    throw fieldError('auto_rotate_period', 'must be 0 (disabled) or at least one hour');
  }
}

/**
 * Creates key `name` unless it exists. Returns the key's policy and whether it was created
 * (an existing key is returned unchanged, as Vault does, with its settings untouched).
 */
export async function createKey(deps: KeyDeps, name: string, settings: KeySettings): Promise<{ policy: KeyPolicy; created: boolean }> {
  checkSettings(settings);
  return deps.keys.write(name, async (current) => {
    if (current !== null) return { policy: current, created: false };
    const now = deps.runtime.now();
    const id = deps.runtime.randomUUID();
    const keySize = settings.type === 'hmac' ? settings.keySize || HMAC_KEY_SIZE.default : 0;
    const generated = await generateVersion(deps.runtime, settings.type, 1, keySize);
    await saveMaterial(deps.storage, name, id, generated.material);
    const policy: KeyPolicy = {
      name,
      id,
      type: settings.type,
      derived: settings.derived,
      convergent_encryption: settings.convergent,
      exportable: settings.exportable,
      allow_plaintext_backup: settings.allowPlaintextBackup,
      deletion_allowed: false,
      latest_version: 1,
      min_decryption_version: 1,
      min_encryption_version: 0,
      min_available_version: 0,
      auto_rotate_period_ms: settings.autoRotatePeriodMs,
      key_size: keySize,
      created_ms: now,
      versions: { '1': { created_ms: now, public_key: generated.publicKey } },
      backup_info: null,
      restore_info: null,
    };
    await savePolicy(deps.storage, policy);
    deps.keys.remember(policy);
    return { policy, created: true };
  });
}

/** Adds a new latest version to `current` (which the caller read under the key's lock) and stores it. */
export async function addVersion(deps: KeyDeps, current: KeyPolicy): Promise<KeyPolicy> {
  const version = current.latest_version + 1;
  const now = deps.runtime.now();
  const generated = await generateVersion(deps.runtime, current.type, version, current.key_size);
  await saveMaterial(deps.storage, current.name, current.id, generated.material);
  const next: KeyPolicy = {
    ...current,
    latest_version: version,
    versions: { ...current.versions, [String(version)]: { created_ms: now, public_key: generated.publicKey } },
  };
  await savePolicy(deps.storage, next);
  deps.keys.remember(next);
  return next;
}

/** Rotates key `name`: a new version becomes the one new values use. Throws `ERR_NOT_FOUND`. */
export function rotateKey(deps: KeyDeps, name: string): Promise<KeyPolicy> {
  return deps.keys.write(name, async (current) => {
    if (current === null) throw new NotFoundError('no such key');
    return addVersion(deps, current);
  });
}

/** When `policy`'s auto-rotation is due (ms since the epoch), or null when it never is. */
export function nextAutoRotation(policy: KeyPolicy): number | null {
  if (policy.auto_rotate_period_ms === 0) return null;
  const latest = policy.versions[String(policy.latest_version)];
  return (latest?.created_ms ?? policy.created_ms) + policy.auto_rotate_period_ms;
}
