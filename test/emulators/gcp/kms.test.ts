/**
 * The Cloud KMS double, held to Google's documented behaviour through Google's own Node
 * client (`@google-cloud/kms`), exactly as the `gcpckms` seal talks to it. Each test names
 * one documented rule and the page that documents it; rules marked "assumption" are not
 * spelled out by Google, and the double picks the strict reading.
 */

import { KeyManagementServiceClient } from '@google-cloud/kms';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { crc32c } from '../../../src/cloud/gcp/crc32c.js';
import { KMS_LIMITS, TEST_SERVICE_ACCOUNT_KEY, startKmsDouble } from './index.js';
import type { GcpDouble, KmsDouble } from './index.js';

const PROJECT = 'keygate-test';
const LOCATION = `projects/${PROJECT}/locations/europe-west1`;
const RING = `${LOCATION}/keyRings/keygate`;
const NO_RETRY = { retry: null };
const enc = new TextEncoder();

let clock = Date.UTC(2026, 0, 1);
let double: GcpDouble & { kms: KmsDouble };
let client: KeyManagementServiceClient;

const statusName = (code: unknown): string => Object.entries(status).find(([, v]) => v === code)?.[0] ?? `code ${String(code)}`;
/** The gRPC status a call ends with (`OK` when it succeeds). */
const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'OK',
    (e: unknown) => statusName(typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined),
  );

const createKey = async (id: string, extra: { skipInitialVersionCreation?: boolean; destroySeconds?: number } = {}) => {
  const [key] = await client.createCryptoKey(
    {
      parent: RING,
      cryptoKeyId: id,
      cryptoKey: { purpose: 'ENCRYPT_DECRYPT', ...(extra.destroySeconds === undefined ? {} : { destroyScheduledDuration: { seconds: extra.destroySeconds } }) },
      skipInitialVersionCreation: extra.skipInitialVersionCreation ?? false,
    },
    NO_RETRY,
  );
  return key;
};
const keyName = (id: string) => `${RING}/cryptoKeys/${id}`;
const versionName = (id: string, n: number) => `${keyName(id)}/cryptoKeyVersions/${n}`;
const encrypt = (name: string, plaintext: string | Uint8Array, aad?: string) =>
  client
    .encrypt({ name, plaintext: typeof plaintext === 'string' ? enc.encode(plaintext) : plaintext, ...(aad === undefined ? {} : { additionalAuthenticatedData: enc.encode(aad) }) }, NO_RETRY)
    .then(([r]) => r);
const decrypt = (name: string, ciphertext: Uint8Array, aad?: string) =>
  client.decrypt({ name, ciphertext, ...(aad === undefined ? {} : { additionalAuthenticatedData: enc.encode(aad) }) }, NO_RETRY).then(([r]) => r);
const bytesOf = (v: Uint8Array | string | null | undefined): Uint8Array => (v instanceof Uint8Array ? new Uint8Array(v) : new Uint8Array(0));
const textOf = (v: Uint8Array | string | null | undefined): string => new TextDecoder().decode(bytesOf(v));
const setState = (name: string, state: 'ENABLED' | 'DISABLED' | 'DESTROYED') =>
  client.updateCryptoKeyVersion({ cryptoKeyVersion: { name, state }, updateMask: { paths: ['state'] } }, NO_RETRY).then(([v]) => v);

beforeAll(async () => {
  double = await startKmsDouble({ now: () => clock });
  client = new KeyManagementServiceClient({
    ...double.clientOptions(),
    projectId: PROJECT,
    credentials: { client_email: TEST_SERVICE_ACCOUNT_KEY.client_email, private_key: TEST_SERVICE_ACCOUNT_KEY.private_key },
  });
});

afterAll(async () => {
  await client?.close();
  await double?.stop();
});

beforeEach(async () => {
  double.kms.reset();
  double.faults.clear();
  clock = Date.UTC(2026, 0, 1);
  await client.createKeyRing({ parent: LOCATION, keyRingId: 'keygate', keyRing: {} }, NO_RETRY);
});

describe('GCP KMS double: key rings and keys', () => {
  // https://cloud.google.com/kms/docs/reference/rpc/google.cloud.kms.v1#createkeyringrequest: id [a-zA-Z0-9_-]{1,63}, unique in a location
  it('creates key rings with valid unique ids, and answers ALREADY_EXISTS and NOT_FOUND', async () => {
    const [ring] = await client.getKeyRing({ name: RING }, NO_RETRY);
    expect(ring.name).toBe(RING);
    expect(await outcome(client.createKeyRing({ parent: LOCATION, keyRingId: 'keygate', keyRing: {} }, NO_RETRY))).toBe('ALREADY_EXISTS');
    expect(await outcome(client.createKeyRing({ parent: LOCATION, keyRingId: 'has.dot', keyRing: {} }, NO_RETRY))).toBe('INVALID_ARGUMENT');
    expect(await outcome(client.createKeyRing({ parent: LOCATION, keyRingId: 'a'.repeat(64), keyRing: {} }, NO_RETRY))).toBe('INVALID_ARGUMENT');
    expect(await outcome(client.getKeyRing({ name: `${LOCATION}/keyRings/absent` }, NO_RETRY))).toBe('NOT_FOUND');
  });

  // CreateCryptoKeyRequest (service.proto): purpose required; version 1 created and primary unless skip_initial_version_creation
  it('creates an ENCRYPT_DECRYPT key with version 1 as its ENABLED primary', async () => {
    const key = await createKey('root');
    expect(key.name).toBe(keyName('root'));
    expect(key.purpose).toBe('ENCRYPT_DECRYPT');
    expect(key.primary?.name).toBe(versionName('root', 1));
    expect(key.primary?.state).toBe('ENABLED');
    expect(key.primary?.algorithm).toBe('GOOGLE_SYMMETRIC_ENCRYPTION');
    expect(await outcome(createKey('root'))).toBe('ALREADY_EXISTS');
    expect(await outcome(client.createCryptoKey({ parent: RING, cryptoKeyId: 'nopurpose', cryptoKey: {} }, NO_RETRY))).toBe('INVALID_ARGUMENT');
    expect(await outcome(client.createCryptoKey({ parent: `${LOCATION}/keyRings/absent`, cryptoKeyId: 'k', cryptoKey: { purpose: 'ENCRYPT_DECRYPT' } }, NO_RETRY))).toBe('NOT_FOUND');
    expect(await outcome(client.getCryptoKey({ name: keyName('absent') }, NO_RETRY))).toBe('NOT_FOUND');
  });

  // skip_initial_version_creation: "create a CryptoKey without any CryptoKeyVersions … before you can use this CryptoKey"
  // (assumption: the first version created afterwards becomes primary, so the key is usable)
  it('creates a key without versions on request; it cannot encrypt until a version exists', async () => {
    const key = await createKey('empty', { skipInitialVersionCreation: true });
    expect(key.primary).toBeFalsy();
    expect(await outcome(encrypt(keyName('empty'), 'x'))).toBe('FAILED_PRECONDITION');
    await client.createCryptoKeyVersion({ parent: keyName('empty'), cryptoKeyVersion: {} }, NO_RETRY);
    expect((await encrypt(keyName('empty'), 'x')).name).toBe(versionName('empty', 1));
  });

  // Features the double does not model answer UNIMPLEMENTED (asymmetric purposes, GetPublicKey, …)
  it('answers UNIMPLEMENTED for what it does not model', async () => {
    expect(await outcome(client.createCryptoKey({ parent: RING, cryptoKeyId: 'sign', cryptoKey: { purpose: 'ASYMMETRIC_SIGN' } }, NO_RETRY))).toBe('UNIMPLEMENTED');
    expect(await outcome(client.getPublicKey({ name: versionName('root', 1) }, NO_RETRY))).toBe('UNIMPLEMENTED');
  });
});

describe('GCP KMS double: Encrypt and Decrypt', () => {
  // EncryptResponse.name: "The resource name of the CryptoKeyVersion used in encryption"; DecryptRequest.name is the CryptoKey
  it('encrypts with the primary version and decrypts on the crypto key', async () => {
    await createKey('root');
    const out = await encrypt(keyName('root'), 'root key bytes', 'cluster-a');
    expect(out.name).toBe(versionName('root', 1));
    expect(out.protectionLevel).toBe('SOFTWARE');
    const ciphertext = bytesOf(out.ciphertext);
    expect(textOf(ciphertext)).not.toContain('root key bytes');
    const back = await decrypt(keyName('root'), ciphertext, 'cluster-a');
    expect(textOf(back.plaintext)).toBe('root key bytes');
    expect(back.usedPrimary).toBe(true);
    // Decrypt takes a CryptoKey, not a version: "The server will choose the appropriate version."
    expect(await outcome(decrypt(versionName('root', 1), ciphertext, 'cluster-a'))).toBe('INVALID_ARGUMENT');
    // Encrypt may name a version explicitly.
    expect((await encrypt(versionName('root', 1), 'x')).name).toBe(versionName('root', 1));
    expect(await outcome(encrypt(keyName('absent'), 'x'))).toBe('NOT_FOUND');
    expect(await outcome(decrypt(keyName('absent'), ciphertext))).toBe('NOT_FOUND');
  });

  // https://cloud.google.com/kms/docs/additional-authenticated-data: the AAD given to Decrypt must match the AAD given to Encrypt
  it('binds the additional authenticated data: a different or missing AAD fails with INVALID_ARGUMENT', async () => {
    await createKey('root');
    const ciphertext = bytesOf((await encrypt(keyName('root'), 'secret', 'cluster-a')).ciphertext);
    expect(await outcome(decrypt(keyName('root'), ciphertext, 'cluster-b'))).toBe('INVALID_ARGUMENT');
    expect(await outcome(decrypt(keyName('root'), ciphertext))).toBe('INVALID_ARGUMENT');
    const noAad = bytesOf((await encrypt(keyName('root'), 'secret')).ciphertext);
    expect(await outcome(decrypt(keyName('root'), noAad, 'cluster-a'))).toBe('INVALID_ARGUMENT');
    expect(textOf((await decrypt(keyName('root'), noAad)).plaintext)).toBe('secret');
  });

  // Decrypt of a ciphertext made by another key, or altered anywhere, fails (INVALID_ARGUMENT, as Google answers "Decryption failed")
  it('refuses another key’s ciphertext and any single flipped byte with INVALID_ARGUMENT', async () => {
    await createKey('root');
    await createKey('other');
    const ciphertext = bytesOf((await encrypt(keyName('root'), 'secret', 'aad')).ciphertext);
    expect(await outcome(decrypt(keyName('other'), ciphertext, 'aad'))).toBe('INVALID_ARGUMENT');
    const outcomes = new Set<string>();
    for (let i = 0; i < ciphertext.length; i++) {
      const altered = new Uint8Array(ciphertext);
      altered[i] = (altered[i] ?? 0) ^ 0x80;
      outcomes.add(await outcome(decrypt(keyName('root'), altered, 'aad')));
    }
    expect([...outcomes]).toEqual(['INVALID_ARGUMENT']);
    expect(await outcome(decrypt(keyName('root'), ciphertext.subarray(0, 20), 'aad'))).toBe('INVALID_ARGUMENT');
  });

  // EncryptRequest.plaintext: "must be no larger than 64KiB" (SOFTWARE keys)
  it('accepts plaintexts and AAD up to 64 KiB and refuses larger ones with INVALID_ARGUMENT', async () => {
    await createKey('root');
    expect(await outcome(encrypt(keyName('root'), new Uint8Array(KMS_LIMITS.softwareBytes)))).toBe('OK');
    expect(await outcome(encrypt(keyName('root'), new Uint8Array(KMS_LIMITS.softwareBytes + 1)))).toBe('INVALID_ARGUMENT');
    expect(await outcome(encrypt(keyName('root'), 'x', 'a'.repeat(KMS_LIMITS.softwareBytes + 1)))).toBe('INVALID_ARGUMENT');
  });

  // https://cloud.google.com/kms/docs/data-integrity-guidelines: checksums verified, verified_* flags set, INVALID_ARGUMENT on mismatch
  it('verifies request CRC32C fields, reports what it verified, and checksums its answers', async () => {
    await createKey('root');
    const plaintext = enc.encode('checked');
    const aad = enc.encode('aad');
    const [out] = await client.encrypt(
      { name: keyName('root'), plaintext, additionalAuthenticatedData: aad, plaintextCrc32c: { value: crc32c(plaintext) }, additionalAuthenticatedDataCrc32c: { value: crc32c(aad) } },
      NO_RETRY,
    );
    expect(out.verifiedPlaintextCrc32c).toBe(true);
    expect(out.verifiedAdditionalAuthenticatedDataCrc32c).toBe(true);
    const ciphertext = bytesOf(out.ciphertext);
    expect(Number(out.ciphertextCrc32c?.value)).toBe(crc32c(ciphertext));
    const unchecked = await encrypt(keyName('root'), 'x');
    expect(unchecked.verifiedPlaintextCrc32c).toBe(false);
    expect(await outcome(client.encrypt({ name: keyName('root'), plaintext, plaintextCrc32c: { value: crc32c(plaintext) + 1 } }, NO_RETRY))).toBe('INVALID_ARGUMENT');
    expect(await outcome(client.encrypt({ name: keyName('root'), plaintext, additionalAuthenticatedData: aad, additionalAuthenticatedDataCrc32c: { value: 1 } }, NO_RETRY))).toBe('INVALID_ARGUMENT');
    const [back] = await client.decrypt(
      { name: keyName('root'), ciphertext, additionalAuthenticatedData: aad, ciphertextCrc32c: { value: crc32c(ciphertext) }, additionalAuthenticatedDataCrc32c: { value: crc32c(aad) } },
      NO_RETRY,
    );
    expect(Number(back.plaintextCrc32c?.value)).toBe(crc32c(plaintext));
    expect(await outcome(client.decrypt({ name: keyName('root'), ciphertext, additionalAuthenticatedData: aad, ciphertextCrc32c: { value: 7 } }, NO_RETRY))).toBe('INVALID_ARGUMENT');
  });
});

describe('GCP KMS double: rotation and version states', () => {
  // https://cloud.google.com/kms/docs/key-rotation: a new version marked primary encrypts new data; old versions keep decrypting
  it('rotates: a new version is not primary until promoted; old ciphertexts still decrypt afterwards', async () => {
    await createKey('root');
    const old = bytesOf((await encrypt(keyName('root'), 'before', 'aad')).ciphertext);
    const [v2] = await client.createCryptoKeyVersion({ parent: keyName('root'), cryptoKeyVersion: {} }, NO_RETRY);
    expect(v2.name).toBe(versionName('root', 2));
    expect(v2.state).toBe('ENABLED');
    expect((await encrypt(keyName('root'), 'x')).name).toBe(versionName('root', 1));
    const [key] = await client.updateCryptoKeyPrimaryVersion({ name: keyName('root'), cryptoKeyVersionId: '2' }, NO_RETRY);
    expect(key.primary?.name).toBe(versionName('root', 2));
    expect((await encrypt(keyName('root'), 'after', 'aad')).name).toBe(versionName('root', 2));
    const back = await decrypt(keyName('root'), old, 'aad');
    expect(textOf(back.plaintext)).toBe('before');
    expect(back.usedPrimary).toBe(false);
    expect(await outcome(client.updateCryptoKeyPrimaryVersion({ name: keyName('root'), cryptoKeyVersionId: '9' }, NO_RETRY))).toBe('NOT_FOUND');
  });

  // https://cloud.google.com/kms/docs/key-states: DISABLED "may not be used"; ENABLED ↔ DISABLED with UpdateCryptoKeyVersion;
  // a disabled primary cannot encrypt; "A CryptoKeyVersion can be used to decrypt data as long as it is enabled."
  // (FAILED_PRECONDITION, as Google answers for a version that is not enabled)
  it('refuses a disabled version for Encrypt and Decrypt with FAILED_PRECONDITION, until it is enabled again', async () => {
    await createKey('root');
    const ciphertext = bytesOf((await encrypt(keyName('root'), 'data', 'aad')).ciphertext);
    expect((await setState(versionName('root', 1), 'DISABLED')).state).toBe('DISABLED');
    expect(await outcome(encrypt(keyName('root'), 'x'))).toBe('FAILED_PRECONDITION');
    expect(await outcome(decrypt(keyName('root'), ciphertext, 'aad'))).toBe('FAILED_PRECONDITION');
    await setState(versionName('root', 1), 'ENABLED');
    expect(textOf((await decrypt(keyName('root'), ciphertext, 'aad')).plaintext)).toBe('data');
    // Only ENABLED and DISABLED can be set this way.
    expect(await outcome(setState(versionName('root', 1), 'DESTROYED'))).toBe('INVALID_ARGUMENT');
  });

  // key-states page: "a version which is not enabled can be made the primary version"; the key then cannot encrypt
  it('lets a disabled version become primary, after which Encrypt fails', async () => {
    await createKey('root');
    await client.createCryptoKeyVersion({ parent: keyName('root'), cryptoKeyVersion: { state: 'DISABLED' } }, NO_RETRY);
    await client.updateCryptoKeyPrimaryVersion({ name: keyName('root'), cryptoKeyVersionId: '2' }, NO_RETRY);
    expect(await outcome(encrypt(keyName('root'), 'x'))).toBe('FAILED_PRECONDITION');
  });

  // https://cloud.google.com/kms/docs/destroy-restore and key-states: Destroy → DESTROY_SCHEDULED for destroy_scheduled_duration
  // (default 30 days), Restore → DISABLED, then DESTROYED for good: material gone, no way back
  it('schedules destruction, restores to DISABLED, and destroys for good when the time comes', async () => {
    await createKey('root');
    const ciphertext = bytesOf((await encrypt(keyName('root'), 'data', 'aad')).ciphertext);
    const [scheduled] = await client.destroyCryptoKeyVersion({ name: versionName('root', 1) }, NO_RETRY);
    expect(scheduled.state).toBe('DESTROY_SCHEDULED');
    expect(Number(scheduled.destroyTime?.seconds) * 1000).toBe(clock + KMS_LIMITS.defaultDestroyScheduledSeconds * 1000);
    expect(await outcome(decrypt(keyName('root'), ciphertext, 'aad'))).toBe('FAILED_PRECONDITION');
    const [restored] = await client.restoreCryptoKeyVersion({ name: versionName('root', 1) }, NO_RETRY);
    expect(restored.state).toBe('DISABLED');
    expect(await outcome(client.restoreCryptoKeyVersion({ name: versionName('root', 1) }, NO_RETRY))).toBe('FAILED_PRECONDITION');
    await client.destroyCryptoKeyVersion({ name: versionName('root', 1) }, NO_RETRY);
    clock += KMS_LIMITS.defaultDestroyScheduledSeconds * 1000;
    const [destroyed] = await client.getCryptoKeyVersion({ name: versionName('root', 1) }, NO_RETRY);
    expect(destroyed.state).toBe('DESTROYED');
    expect(await outcome(decrypt(keyName('root'), ciphertext, 'aad'))).toBe('FAILED_PRECONDITION');
    expect(await outcome(setState(versionName('root', 1), 'ENABLED'))).toBe('FAILED_PRECONDITION');
    expect(await outcome(client.restoreCryptoKeyVersion({ name: versionName('root', 1) }, NO_RETRY))).toBe('FAILED_PRECONDITION');
    expect(await outcome(client.destroyCryptoKeyVersion({ name: versionName('root', 1) }, NO_RETRY))).toBe('FAILED_PRECONDITION');
  });

  // CryptoKey.destroy_scheduled_duration is set at creation (immutable)
  it('uses the key’s own destroy_scheduled_duration', async () => {
    await createKey('short', { destroySeconds: 86_400 });
    const [scheduled] = await client.destroyCryptoKeyVersion({ name: versionName('short', 1) }, NO_RETRY);
    expect(Number(scheduled.destroyTime?.seconds) * 1000).toBe(clock + 86_400_000);
  });
});

describe('GCP KMS double: faults', () => {
  // The shared fault injection of the GCP double applies to KMS methods too
  it('answers injected UNAVAILABLE and throttling on KMS methods', async () => {
    await createKey('root');
    double.faults.unavailable({ methods: ['Encrypt'], times: 1 });
    expect(await outcome(encrypt(keyName('root'), 'x'))).toBe('UNAVAILABLE');
    expect(await outcome(encrypt(keyName('root'), 'x'))).toBe('OK');
    double.faults.throttle({ methods: ['KeyManagementService/Decrypt'], times: 1 });
    expect(await outcome(decrypt(keyName('root'), new Uint8Array(40)))).toBe('RESOURCE_EXHAUSTED');
  });
});
