/**
 * The plaintext backup of one key: base64 of a JSON document holding the policy and every
 * kept version's material. Keygate's own format (not Vault's): a backup restores into
 * Keygate. Restoring checks every version before anything is stored: its shape fits the
 * key type, RSA moduli have the type's size, and each asymmetric pair signs and verifies.
 */

import { z } from 'zod';
import { fromBase64, fromUtf8, isGatewayError, toBase64, utf8 } from '../../core/index.js';
import type { Runtime } from '../../core/index.js';
import { ed25519PublicFromSeed } from './ed25519-keys.js';
import { fieldError } from './field-error.js';
import { isAsymmetric, isRsa, rsaBits } from './key-types.js';
import { storedMaterialSchema, toMaterial } from './material.js';
import type { KeyMaterial, StoredMaterial } from './material.js';
import { keyPolicySchema, lowestKept } from './policy.js';
import type { KeyPolicy } from './policy.js';
import { publicKeyText } from './public-keys.js';
import { signWith, verifyWith } from './signing.js';

const FORMAT = 'keygate-transit-backup';

/** Schema of a decoded backup. */
export const backupSchema = z.object({
  format: z.literal(FORMAT),
  format_version: z.literal(1),
  policy: keyPolicySchema,
  versions: z.record(z.string().regex(/^[1-9][0-9]{0,9}$/), storedMaterialSchema),
});

/** A decoded backup. */
export type Backup = z.output<typeof backupSchema>;

/** Encodes a backup. */
export function encodeBackup(policy: KeyPolicy, versions: Record<string, StoredMaterial>): string {
  const backup: Backup = { format: FORMAT, format_version: 1, policy, versions };
  return toBase64(utf8(JSON.stringify(backup)));
}

const INVALID = 'is not a valid transit backup';

/** Decodes a backup; throws a `fieldError` on `backup` (never quoting it) when it is not one. */
export function decodeBackup(text: string): Backup {
  const raw = fromBase64(text);
  if (raw === null) throw fieldError('backup', 'must be base64');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(raw));
  } catch {
    throw fieldError('backup', INVALID);
  }
  const checked = backupSchema.safeParse(parsed);
  if (!checked.success) throw fieldError('backup', INVALID);
  return checked.data;
}

const PROBE = utf8('keygate transit restore check');

async function checkPair(runtime: Runtime, policy: KeyPolicy, material: KeyMaterial): Promise<string | null> {
  if (!isAsymmetric(policy.type)) return null;
  if (policy.type === 'ed25519') {
    const { key } = material;
    if (key === null) throw fieldError('backup', INVALID);
    const pub = await ed25519PublicFromSeed(runtime.subtle, key.subarray(0, 32));
    if (pub.some((b, i) => b !== key[32 + i])) throw fieldError('backup', 'holds an Ed25519 key whose public half does not match its seed');
  }
  const opts = { hash: 'sha2-256', prehashed: false, signatureAlgorithm: 'pss', marshaling: 'asn1', saltLength: 'hash', context: new Uint8Array(0) } as const;
  const asPlain: KeyPolicy = { ...policy, derived: false };
  const { signature } = await signWith(runtime, asPlain, material, PROBE, opts);
  if (!(await verifyWith(runtime, asPlain, material, PROBE, signature, opts))) throw fieldError('backup', 'holds a key pair whose halves do not match');
  return publicKeyText(runtime.subtle, material);
}

function rsaModulusMatches(policy: KeyPolicy, material: KeyMaterial): boolean {
  if (!isRsa(policy.type) || material.jwk?.kty !== 'RSA') return true;
  const n = fromBase64(material.jwk.n);
  return n !== null && n.length === rsaBits(policy.type) / 8 && (n[0] ?? 0) >= 0x80;
}

/**
 * Checks a decoded backup and returns its policy (public keys recomputed from the material)
 * with the material of every kept version. Throws a `fieldError` on `backup`.
 */
export async function checkBackup(runtime: Runtime, backup: Backup): Promise<{ policy: KeyPolicy; materials: KeyMaterial[] }> {
  const policy: KeyPolicy = { ...backup.policy, versions: { ...backup.policy.versions } };
  const sane =
    policy.min_decryption_version <= policy.latest_version &&
    policy.min_encryption_version <= policy.latest_version &&
    policy.min_available_version <= policy.min_decryption_version &&
    (!policy.convergent_encryption || policy.derived);
  if (!sane) throw fieldError('backup', 'holds key settings that contradict each other');
  const materials: KeyMaterial[] = [];
  for (let version = lowestKept(policy); version <= policy.latest_version; version++) {
    const stored = backup.versions[String(version)];
    const info = policy.versions[String(version)];
    if (stored === undefined || info === undefined) throw fieldError('backup', 'is missing a key version');
    let material: KeyMaterial;
    try {
      material = toMaterial(policy.type, version, stored);
    } catch {
      throw fieldError('backup', 'holds key material that does not fit its key type');
    }
    if (!rsaModulusMatches(policy, material)) throw fieldError('backup', 'holds an RSA key of the wrong size for its type');
    let publicKey: string | null;
    try {
      publicKey = await checkPair(runtime, policy, material);
    } catch (err) {
      if (isGatewayError(err, 'ERR_VALIDATION')) throw err;
      throw fieldError('backup', 'holds key material that cannot be used');
    }
    policy.versions[String(version)] = { ...info, public_key: publicKey };
    materials.push(material);
  }
  return { policy, materials };
}
