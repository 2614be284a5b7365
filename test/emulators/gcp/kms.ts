/**
 * `google.cloud.kms.v1.KeyManagementService`, in memory, as Google documents it, for the
 * `gcpckms` seal's tests (TESTING.md: Google publishes no Cloud KMS emulator). Symmetric
 * `ENCRYPT_DECRYPT` keys only; each rule is proved through Google's own Node client in
 * `kms.test.ts`, with the page that documents it. Main references:
 *
 * - API reference: https://cloud.google.com/kms/docs/reference/rpc/google.cloud.kms.v1
 *   (and the comments of the shipped `service.proto` / `resources.proto`)
 * - Key states and primary version: https://cloud.google.com/kms/docs/key-states
 * - Rotation: https://cloud.google.com/kms/docs/key-rotation
 * - Data integrity (CRC32C): https://cloud.google.com/kms/docs/data-integrity-guidelines
 * - Additional authenticated data: https://cloud.google.com/kms/docs/additional-authenticated-data
 * - Destroy and restore: https://cloud.google.com/kms/docs/destroy-restore
 *
 * Cryptography is real: each key version holds its own random AES-256 key; a ciphertext is
 * `0x4b ‖ version material id (8 random bytes) ‖ nonce (12) ‖ AES-256-GCM ciphertext ‖ tag`,
 * with the 9-byte header and the request's AAD authenticated, so `Decrypt` finds the version
 * from the ciphertext (after a primary rotation too) and anything altered fails. The format
 * is the double's own; Google's is opaque and undocumented.
 *
 * Features the seal does not use (asymmetric and MAC keys, raw encryption, imports, EKM,
 * automatic rotation schedules, IAM, listing) answer UNIMPLEMENTED rather than pretending.
 */

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { crc32c } from '../../../src/cloud/gcp/crc32c.js';
import type { DoubleService, GcpDouble, UnaryHandler } from './server.js';
import { googleProtoDirs, startGcpDouble } from './server.js';
import { RpcError } from './status.js';

/** Version states the double uses (the import, generation and external states never occur). */
export type KmsVersionState = 'ENABLED' | 'DISABLED' | 'DESTROY_SCHEDULED' | 'DESTROYED';

interface VersionRecord {
  number: number;
  state: KmsVersionState;
  createMs: number;
  /** When DESTROY_SCHEDULED: when it becomes DESTROYED. */
  destroyMs: number | null;
  destroyEventMs: number | null;
  /** The AES-256 key; null once destroyed. */
  material: Buffer | null;
  /** Random, per version: what a ciphertext names (never the version number, which other keys share). */
  materialId: Buffer;
}

interface CryptoKeyRecord {
  name: string;
  createMs: number;
  protectionLevel: 'SOFTWARE' | 'HSM';
  labels: Record<string, string>;
  destroyScheduledSeconds: number;
  primary: number | null;
  versions: VersionRecord[];
}

/** Limits Google documents (EncryptRequest comments: SOFTWARE keys 64 KiB; HSM keys 8 KiB plaintext + AAD). */
export const KMS_LIMITS = {
  softwareBytes: 64 * 1024,
  hsmCombinedBytes: 8 * 1024,
  /** CryptoKey.destroy_scheduled_duration: "If not specified at creation time, the default duration is 30 days." */
  defaultDestroyScheduledSeconds: 30 * 24 * 3600,
} as const;

const RESOURCE_ID = /^[a-zA-Z0-9_-]{1,63}$/;
const PROJECT = /^[a-z0-9][a-z0-9.:-]{0,62}$/;
const LOCATION = /^[a-z][a-z0-9-]{0,62}$/;
const MAGIC = 0x4b;
const HEADER_BYTES = 9;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

const invalid = (message: string) => new RpcError('INVALID_ARGUMENT', message);
const notFound = (message: string) => new RpcError('NOT_FOUND', message);
const precondition = (message: string) => new RpcError('FAILED_PRECONDITION', message);
const unimplemented = (what: string) => new RpcError('UNIMPLEMENTED', `${what} is not implemented by the Keygate GCP double`);
/** Google's message for a ciphertext that does not open under the named key. */
const DECRYPTION_FAILED = "Decryption failed: verify that 'name' refers to the correct CryptoKey.";

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (obj: Record<string, unknown>, key: string): string => (typeof obj[key] === 'string' ? obj[key] : '');
const bytes = (v: unknown): Buffer => (v instanceof Uint8Array ? Buffer.from(v) : Buffer.alloc(0));
const stringMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isRecord(v)) for (const [k, value] of Object.entries(v)) if (typeof value === 'string') out[k] = value;
  return out;
};
/** A `google.protobuf.Int64Value` as proto-loader decodes it (`{ value: '123' }`), or null when absent. */
function int64Value(v: unknown): number | null {
  if (!isRecord(v)) return null;
  const value = v.value;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return 0;
}
const timestamp = (ms: number) => ({ seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 });

/** The double's state and handlers, plus admin hooks for tests. */
export interface KmsDouble {
  service: DoubleService;
  /** Forgets every key ring and key. */
  reset(): void;
  /**
   * Admin helper: creates the key ring (if missing) and an `ENCRYPT_DECRYPT` key with version
   * 1 as primary, as `gcloud kms keys create --purpose=encryption` does. Returns its name.
   */
  seedKey(ref: { project: string; location: string; keyRing: string; cryptoKey: string }): string;
  /** Admin helper: a new version made primary (`gcloud kms keys versions create --primary`). Returns its name. */
  rotate(cryptoKeyName: string): string;
  /** Admin helper: sets a version's state directly (DESTROYED erases its material at once). */
  setVersionState(versionName: string, state: KmsVersionState): void;
  /**
   * Fault hook (not a Google behaviour): the next `times` Encrypt / Decrypt answers carry a
   * wrong CRC32C and unset `verified_*` flags, as a response corrupted in transit would, so
   * tests can prove a client discards them.
   */
  corruptChecksums(times: number): void;
}

/** A fresh, empty Cloud KMS. `now` is the service clock (ms since the epoch). */
export function createKmsDouble(opts: { now?: () => number } = {}): KmsDouble {
  const now = opts.now ?? Date.now;
  const keyRings = new Map<string, number>();
  let corruptAnswers = 0;
  /** Whether this answer is one `corruptChecksums` asked to corrupt (consumes one). */
  const corruptThis = (): boolean => {
    if (corruptAnswers <= 0) return false;
    corruptAnswers -= 1;
    return true;
  };
  const keys = new Map<string, CryptoKeyRecord>();

  const versionName = (key: CryptoKeyRecord, v: VersionRecord) => `${key.name}/cryptoKeyVersions/${v.number}`;

  /** Applies a scheduled destruction whose time has come (the service does it in the background). */
  function settle(v: VersionRecord): VersionRecord {
    if (v.state === 'DESTROY_SCHEDULED' && v.destroyMs !== null && now() >= v.destroyMs) destroy(v, v.destroyMs);
    return v;
  }
  function destroy(v: VersionRecord, at: number): void {
    v.state = 'DESTROYED';
    v.material?.fill(0);
    v.material = null;
    v.destroyEventMs = at;
  }

  const versionView = (key: CryptoKeyRecord, v: VersionRecord) => {
    settle(v);
    return {
      name: versionName(key, v),
      state: v.state,
      protection_level: key.protectionLevel,
      algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION',
      create_time: timestamp(v.createMs),
      generate_time: timestamp(v.createMs),
      ...(v.destroyMs === null ? {} : { destroy_time: timestamp(v.destroyMs) }),
      ...(v.destroyEventMs === null ? {} : { destroy_event_time: timestamp(v.destroyEventMs) }),
    };
  };
  const keyView = (key: CryptoKeyRecord) => {
    const primary = key.versions.find((v) => v.number === key.primary);
    return {
      name: key.name,
      ...(primary === undefined ? {} : { primary: versionView(key, primary) }),
      purpose: 'ENCRYPT_DECRYPT',
      create_time: timestamp(key.createMs),
      version_template: { protection_level: key.protectionLevel, algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION' },
      labels: key.labels,
      destroy_scheduled_duration: { seconds: String(key.destroyScheduledSeconds), nanos: 0 },
    };
  };

  function parseLocation(parent: string): string {
    const m = /^projects\/([^/]+)\/locations\/([^/]+)$/.exec(parent);
    if (m === null || !PROJECT.test(m[1] ?? '') || !LOCATION.test(m[2] ?? '')) throw invalid('The parent must be of the form projects/*/locations/*.');
    return parent;
  }
  function getKeyRing(name: string): string {
    const m = /^(projects\/[^/]+\/locations\/[^/]+)\/keyRings\/([^/]+)$/.exec(name);
    if (m === null || !RESOURCE_ID.test(m[2] ?? '')) throw invalid('The name must be of the form projects/*/locations/*/keyRings/*.');
    parseLocation(m[1] ?? '');
    if (!keyRings.has(name)) throw notFound(`KeyRing ${name} not found.`);
    return name;
  }
  function getKey(name: string): CryptoKeyRecord {
    const m = /^(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+)\/cryptoKeys\/([^/]+)$/.exec(name);
    if (m === null || !RESOURCE_ID.test(m[2] ?? '')) throw invalid('The name must be of the form projects/*/locations/*/keyRings/*/cryptoKeys/*.');
    getKeyRing(m[1] ?? '');
    const key = keys.get(name);
    if (key === undefined) throw notFound(`CryptoKey ${name} not found.`);
    return key;
  }
  function getVersion(name: string): { key: CryptoKeyRecord; version: VersionRecord } {
    const m = /^(.+)\/cryptoKeyVersions\/([^/]+)$/.exec(name);
    if (m === null || !/^[1-9][0-9]{0,9}$/.test(m[2] ?? '')) throw invalid('The name must be of the form projects/*/locations/*/keyRings/*/cryptoKeys/*/cryptoKeyVersions/*.');
    const key = getKey(m[1] ?? '');
    const version = key.versions.find((v) => v.number === Number(m[2]));
    if (version === undefined) throw notFound(`CryptoKeyVersion ${name} not found.`);
    return { key, version: settle(version) };
  }
  const notEnabled = (key: CryptoKeyRecord, v: VersionRecord) =>
    precondition(`${versionName(key, v)} is not enabled, current state is: ${v.state}.`);

  function addVersion(key: CryptoKeyRecord, state: 'ENABLED' | 'DISABLED'): VersionRecord {
    const last = key.versions[key.versions.length - 1];
    const version: VersionRecord = {
      number: (last?.number ?? 0) + 1,
      state,
      createMs: now(),
      destroyMs: null,
      destroyEventMs: null,
      material: randomBytes(32),
      materialId: randomBytes(8),
    };
    key.versions.push(version);
    return version;
  }

  function createKey(parent: string, id: string, body: Record<string, unknown>, skipInitialVersion: boolean): CryptoKeyRecord {
    getKeyRing(parent);
    if (!RESOURCE_ID.test(id)) throw invalid('crypto_key_id must match [a-zA-Z0-9_-]{1,63}.');
    const purpose = str(body, 'purpose');
    if (purpose === '' || purpose === 'CRYPTO_KEY_PURPOSE_UNSPECIFIED') throw invalid('CryptoKey.purpose is required.');
    if (purpose !== 'ENCRYPT_DECRYPT') throw unimplemented(`CryptoKey purpose ${purpose}`);
    const template = isRecord(body.version_template) ? body.version_template : {};
    const algorithm = str(template, 'algorithm');
    if (algorithm !== '' && algorithm !== 'GOOGLE_SYMMETRIC_ENCRYPTION' && algorithm !== 'CRYPTO_KEY_VERSION_ALGORITHM_UNSPECIFIED') {
      throw invalid(`Algorithm ${algorithm} is not valid for purpose ENCRYPT_DECRYPT.`);
    }
    const level = str(template, 'protection_level');
    if (level !== '' && level !== 'PROTECTION_LEVEL_UNSPECIFIED' && level !== 'SOFTWARE' && level !== 'HSM') throw unimplemented(`Protection level ${level}`);
    for (const f of ['rotation_period', 'next_rotation_time', 'import_only', 'crypto_key_backend', 'key_access_justifications_policy']) {
      const v = body[f];
      if (v !== undefined && v !== null && v !== false && v !== '') throw unimplemented(`CryptoKey.${f}`);
    }
    const name = `${parent}/cryptoKeys/${id}`;
    if (keys.has(name)) throw new RpcError('ALREADY_EXISTS', `CryptoKey ${name} already exists.`);
    const duration = isRecord(body.destroy_scheduled_duration) ? Number(str(body.destroy_scheduled_duration, 'seconds') || 0) : 0;
    const key: CryptoKeyRecord = {
      name,
      createMs: now(),
      protectionLevel: level === 'HSM' ? 'HSM' : 'SOFTWARE',
      labels: stringMap(body.labels),
      destroyScheduledSeconds: duration > 0 ? duration : KMS_LIMITS.defaultDestroyScheduledSeconds,
      primary: null,
      versions: [],
    };
    // "If set to true, the request will create a CryptoKey without any CryptoKeyVersions."
    if (!skipInitialVersion) key.primary = addVersion(key, 'ENABLED').number;
    keys.set(name, key);
    return key;
  }

  function checkSize(key: CryptoKeyRecord, plaintext: Buffer, aad: Buffer): void {
    if (key.protectionLevel === 'HSM') {
      if (plaintext.length + aad.length > KMS_LIMITS.hsmCombinedBytes) throw invalid('For HSM keys, plaintext and additional_authenticated_data together must be no larger than 8KiB.');
      return;
    }
    if (plaintext.length > KMS_LIMITS.softwareBytes) throw invalid('The plaintext must be no larger than 64KiB.');
    if (aad.length > KMS_LIMITS.softwareBytes) throw invalid('The additional_authenticated_data must be no larger than 64KiB.');
  }

  /** Checks an optional request checksum; true when one was sent (and matched). */
  function verifyChecksum(request: Record<string, unknown>, field: string, data: Buffer, dataField: string): boolean {
    const given = int64Value(request[field]);
    if (given === null) return false;
    // https://cloud.google.com/kms/docs/data-integrity-guidelines: a mismatch is INVALID_ARGUMENT.
    if (given !== crc32c(data)) throw invalid(`The checksum in field ${field} did not match the data in field ${dataField}.`);
    return true;
  }

  const handlers: Record<string, UnaryHandler> = {
    CreateKeyRing(request) {
      const parent = parseLocation(str(request, 'parent'));
      const id = str(request, 'key_ring_id');
      if (!RESOURCE_ID.test(id)) throw invalid('key_ring_id must match [a-zA-Z0-9_-]{1,63}.');
      const name = `${parent}/keyRings/${id}`;
      if (keyRings.has(name)) throw new RpcError('ALREADY_EXISTS', `KeyRing ${name} already exists.`);
      keyRings.set(name, now());
      return { name, create_time: timestamp(now()) };
    },

    GetKeyRing(request) {
      const name = getKeyRing(str(request, 'name'));
      return { name, create_time: timestamp(keyRings.get(name) ?? 0) };
    },

    CreateCryptoKey(request) {
      const body = isRecord(request.crypto_key) ? request.crypto_key : null;
      if (body === null) throw invalid('CryptoKey is required.');
      return keyView(createKey(str(request, 'parent'), str(request, 'crypto_key_id'), body, request.skip_initial_version_creation === true));
    },

    GetCryptoKey(request) {
      return keyView(getKey(str(request, 'name')));
    },

    CreateCryptoKeyVersion(request) {
      const key = getKey(str(request, 'parent'));
      const body = isRecord(request.crypto_key_version) ? request.crypto_key_version : {};
      const state = str(body, 'state');
      // "If unset, state will be set to ENABLED."
      if (state !== '' && state !== 'CRYPTO_KEY_VERSION_STATE_UNSPECIFIED' && state !== 'ENABLED' && state !== 'DISABLED') {
        throw invalid('A new CryptoKeyVersion may only be ENABLED or DISABLED.');
      }
      const version = addVersion(key, state === 'DISABLED' ? 'DISABLED' : 'ENABLED');
      // Assumption (not spelled out by Google): a key created without versions gets its first one as
      // primary, which the CreateCryptoKeyRequest comment implies ("before you can use this CryptoKey").
      // Otherwise a new version is not primary until UpdateCryptoKeyPrimaryVersion (key-rotation page).
      if (key.primary === null) key.primary = version.number;
      return versionView(key, version);
    },

    GetCryptoKeyVersion(request) {
      const { key, version } = getVersion(str(request, 'name'));
      return versionView(key, version);
    },

    UpdateCryptoKeyPrimaryVersion(request) {
      const key = getKey(str(request, 'name'));
      const id = str(request, 'crypto_key_version_id');
      if (!/^[1-9][0-9]{0,9}$/.test(id)) throw invalid('crypto_key_version_id must be a version id.');
      getVersion(`${key.name}/cryptoKeyVersions/${id}`);
      // key-states page: "a version which is not enabled can be made the primary version".
      key.primary = Number(id);
      return keyView(key);
    },

    UpdateCryptoKeyVersion(request) {
      const body = isRecord(request.crypto_key_version) ? request.crypto_key_version : null;
      if (body === null) throw invalid('CryptoKeyVersion is required.');
      const paths = isRecord(request.update_mask) && Array.isArray(request.update_mask.paths) ? request.update_mask.paths : [];
      if (paths.length === 0) throw invalid('update_mask is required.');
      const { key, version } = getVersion(str(body, 'name'));
      for (const path of paths) {
        if (path === 'external_protection_level_options') throw unimplemented('External protection level options');
        if (path !== 'state') throw invalid(`The update_mask path ${String(path)} cannot be updated.`);
      }
      const target = str(body, 'state');
      if (target !== 'ENABLED' && target !== 'DISABLED') throw invalid('state may only be changed to ENABLED or DISABLED with UpdateCryptoKeyVersion.');
      // key-states page: ENABLED ↔ DISABLED only; other states move by Destroy/Restore.
      if (version.state !== 'ENABLED' && version.state !== 'DISABLED') {
        throw precondition(`${versionName(key, version)} is in state ${version.state} and cannot be changed to ${target}.`);
      }
      version.state = target;
      return versionView(key, version);
    },

    DestroyCryptoKeyVersion(request) {
      const { key, version } = getVersion(str(request, 'name'));
      if (version.state !== 'ENABLED' && version.state !== 'DISABLED') {
        throw precondition(`${versionName(key, version)} is in state ${version.state} and cannot be destroyed.`);
      }
      version.state = 'DESTROY_SCHEDULED';
      version.destroyMs = now() + key.destroyScheduledSeconds * 1000;
      return versionView(key, version);
    },

    RestoreCryptoKeyVersion(request) {
      const { key, version } = getVersion(str(request, 'name'));
      if (version.state !== 'DESTROY_SCHEDULED') throw precondition(`${versionName(key, version)} is in state ${version.state} and cannot be restored.`);
      version.state = 'DISABLED';
      version.destroyMs = null;
      return versionView(key, version);
    },

    Encrypt(request) {
      const name = str(request, 'name');
      let key: CryptoKeyRecord;
      let version: VersionRecord;
      if (/\/cryptoKeyVersions\/[^/]+$/.test(name)) {
        ({ key, version } = getVersion(name));
      } else {
        key = getKey(name);
        const primary = key.versions.find((v) => v.number === key.primary);
        if (primary === undefined) throw precondition(`${key.name} has no primary version.`);
        version = settle(primary);
      }
      const plaintext = bytes(request.plaintext);
      const aad = bytes(request.additional_authenticated_data);
      if (plaintext.length === 0) throw invalid('plaintext is required.');
      checkSize(key, plaintext, aad);
      const verifiedPlaintext = verifyChecksum(request, 'plaintext_crc32c', plaintext, 'plaintext');
      const verifiedAad = verifyChecksum(request, 'additional_authenticated_data_crc32c', aad, 'additional_authenticated_data');
      // key-states page: "If the primary CryptoKeyVersion is disabled, the CryptoKey cannot be used to encrypt data."
      if (version.state !== 'ENABLED' || version.material === null) throw notEnabled(key, version);
      const header = Buffer.concat([Buffer.from([MAGIC]), version.materialId]);
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', version.material, nonce);
      cipher.setAAD(Buffer.concat([header, aad]));
      const ciphertext = Buffer.concat([header, nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      const corrupt = corruptThis();
      return {
        name: versionName(key, version),
        ciphertext,
        ciphertext_crc32c: { value: String(corrupt ? crc32c(ciphertext) ^ 1 : crc32c(ciphertext)) },
        verified_plaintext_crc32c: verifiedPlaintext && !corrupt,
        verified_additional_authenticated_data_crc32c: verifiedAad && !corrupt,
        protection_level: key.protectionLevel,
      };
    },

    Decrypt(request) {
      const name = str(request, 'name');
      // DecryptRequest.name is a CryptoKey: "The server will choose the appropriate version."
      if (/\/cryptoKeyVersions\//.test(name)) throw invalid('The name must be of the form projects/*/locations/*/keyRings/*/cryptoKeys/*.');
      const key = getKey(name);
      const ciphertext = bytes(request.ciphertext);
      const aad = bytes(request.additional_authenticated_data);
      if (ciphertext.length === 0) throw invalid('ciphertext is required.');
      verifyChecksum(request, 'ciphertext_crc32c', ciphertext, 'ciphertext');
      verifyChecksum(request, 'additional_authenticated_data_crc32c', aad, 'additional_authenticated_data');
      if (ciphertext.length < HEADER_BYTES + NONCE_BYTES + TAG_BYTES || ciphertext[0] !== MAGIC) throw invalid(DECRYPTION_FAILED);
      const header = ciphertext.subarray(0, HEADER_BYTES);
      const materialId = header.subarray(1);
      const found = key.versions.find((v) => v.materialId.equals(materialId));
      if (found === undefined) throw invalid(DECRYPTION_FAILED);
      const version = settle(found);
      // key-states page: "A CryptoKeyVersion can be used to decrypt data as long as it is enabled."
      if (version.state !== 'ENABLED' || version.material === null) throw notEnabled(key, version);
      const nonce = ciphertext.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
      const body = ciphertext.subarray(HEADER_BYTES + NONCE_BYTES, ciphertext.length - TAG_BYTES);
      const tag = ciphertext.subarray(ciphertext.length - TAG_BYTES);
      let plaintext: Buffer;
      try {
        const decipher = createDecipheriv('aes-256-gcm', version.material, nonce);
        decipher.setAAD(Buffer.concat([header, aad]));
        decipher.setAuthTag(tag);
        plaintext = Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        throw invalid(DECRYPTION_FAILED);
      }
      return {
        plaintext,
        plaintext_crc32c: { value: String(corruptThis() ? crc32c(plaintext) ^ 1 : crc32c(plaintext)) },
        used_primary: version.number === key.primary,
        protection_level: key.protectionLevel,
      };
    },
  };

  return {
    service: {
      name: 'google.cloud.kms.v1.KeyManagementService',
      protoFile: 'google/cloud/kms/v1/service.proto',
      includeDirs: googleProtoDirs('@google-cloud/kms'),
      handlers,
    },
    reset() {
      corruptAnswers = 0;
      keyRings.clear();
      for (const key of keys.values()) for (const v of key.versions) v.material?.fill(0);
      keys.clear();
    },
    seedKey({ project, location, keyRing, cryptoKey }) {
      const parent = parseLocation(`projects/${project}/locations/${location}`);
      const ring = `${parent}/keyRings/${keyRing}`;
      if (!keyRings.has(ring)) keyRings.set(ring, now());
      return createKey(ring, cryptoKey, { purpose: 'ENCRYPT_DECRYPT' }, false).name;
    },
    rotate(cryptoKeyName) {
      const key = getKey(cryptoKeyName);
      const version = addVersion(key, 'ENABLED');
      key.primary = version.number;
      return versionName(key, version);
    },
    setVersionState(name, state) {
      const { version } = getVersion(name);
      if (state === 'DESTROYED') destroy(version, now());
      else version.state = state;
    },
    corruptChecksums(times) {
      corruptAnswers = times;
    },
  };
}

/** Starts a double hosting Cloud KMS alone. Stop it with `stop()` when the suite ends. */
export async function startKmsDouble(opts: { now?: () => number } = {}): Promise<GcpDouble & { kms: KmsDouble }> {
  const kms = createKmsDouble(opts);
  const double = await startGcpDouble([kms.service]);
  return { ...double, kms };
}
