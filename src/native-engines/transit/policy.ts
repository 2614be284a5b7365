/**
 * A key's policy: its type, settings and version table, stored at `policy/<name>`. A policy
 * never holds secret key material (that is in `material/…`), only public keys and times, so
 * it may be returned by `keys/{name}` and cached without care.
 */

import { z } from 'zod';
import { GatewayError } from '../../core/index.js';
import type { Storage } from '../../core/index.js';
import { keyTypeSchema } from './key-types.js';
import { policyKey } from './layout.js';
import { decodeJson, encodeJson } from '../framework/stored-json.js';

const versionInfoSchema = z.object({
  /** Creation time, ms since the epoch. */
  created_ms: z.int().min(0),
  /** Public key as `keys/{name}` shows it (PEM for ECDSA and RSA, base64 for Ed25519); null for symmetric types. */
  public_key: z.string().nullable(),
});

const eventSchema = z.object({ time_ms: z.int().min(0), version: z.int().min(0) }).nullable();

/** Schema of a stored policy (also the policy part of a backup). */
export const keyPolicySchema = z.object({
  name: z.string(),
  /** Incarnation id: fresh on creation and on restore, so material of an older key of the same name is never used. */
  id: z.string().regex(/^[0-9a-f-]{36}$/),
  type: keyTypeSchema,
  derived: z.boolean(),
  convergent_encryption: z.boolean(),
  exportable: z.boolean(),
  allow_plaintext_backup: z.boolean(),
  deletion_allowed: z.boolean(),
  latest_version: z.int().min(1),
  min_decryption_version: z.int().min(1),
  min_encryption_version: z.int().min(0),
  min_available_version: z.int().min(0),
  auto_rotate_period_ms: z.int().min(0),
  /** Key length of an `hmac` key, in bytes; 0 for other types. */
  key_size: z.int().min(0),
  created_ms: z.int().min(0),
  /** One entry per version at or above `max(1, min_available_version)`. */
  versions: z.record(z.string().regex(/^[1-9][0-9]{0,9}$/), versionInfoSchema),
  backup_info: eventSchema,
  restore_info: eventSchema,
});

/** A stored policy. */
export type KeyPolicy = z.output<typeof keyPolicySchema>;

/** One entry of `KeyPolicy.versions`. */
export type VersionInfo = z.output<typeof versionInfoSchema>;

/** The policy of `name`, or null when there is no such key. Throws `ERR_INTERNAL` when unreadable. */
export async function loadPolicy(storage: Pick<Storage, 'get'>, name: string): Promise<KeyPolicy | null> {
  const bytes = await storage.get(policyKey(name));
  if (bytes === null) return null;
  const parsed = keyPolicySchema.safeParse(decodeJson(bytes, 'key policy'));
  if (!parsed.success || parsed.data.name !== name) throw new GatewayError('ERR_INTERNAL', 'stored key policy is unreadable');
  return parsed.data;
}

/** Writes the policy of `policy.name`. */
export async function savePolicy(storage: Pick<Storage, 'put'>, policy: KeyPolicy): Promise<void> {
  await storage.put(policyKey(policy.name), encodeJson(policy));
}

/** The lowest version whose material is kept: `min_available_version`, or 1 while it is 0. */
export function lowestKept(policy: KeyPolicy): number {
  return Math.max(1, policy.min_available_version);
}

/** The version info of `version`, or null when the policy has none (trimmed, or never made). */
export function versionInfo(policy: KeyPolicy, version: number): VersionInfo | null {
  return policy.versions[String(version)] ?? null;
}
