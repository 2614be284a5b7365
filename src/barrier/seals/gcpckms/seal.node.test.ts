/**
 * The `gcpckms` seal against the in-repo Cloud KMS double (test/emulators/gcp/kms.ts, held
 * to Google's documented behaviour by its own tests), through Google's own client: round
 * trip, every refusal (another cluster's AAD, another key, a flipped byte), rotation to a
 * new primary version, version states, CRC32C checks both ways, validation, outages, and
 * that nothing an operator or client sees carries project ids, key names or key material.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWebRuntime, toBase64, toHex } from '../../../core/index.js';
import { TEST_SERVICE_ACCOUNT_KEY, startKmsDouble } from '../../../../test/emulators/gcp/index.js';
import type { GcpDouble, KmsDouble } from '../../../../test/emulators/gcp/index.js';
import { UNSEAL_FAILED_MESSAGE } from '../kms-errors.js';
import { AAD, OTHER_CLUSTER_AAD, codeOf, createCaptureLogger, flip, rejection, rejectionCollector, rendered, rootKey, signal, tamperOutcomes } from '../test-kms.node.js';
import { createGcpKmsSeal, gcpKmsSeal, gcpKmsSealOptionsSchema } from './index.js';
import type { GcpKmsSeal } from './index.js';

const PROJECT = 'keygate-test';

describe('gcpckms seal (GCP KMS double)', () => {
  let double: GcpDouble & { kms: KmsDouble };
  const seals: GcpKmsSeal[] = [];
  const logLines: string[] = [];

  const seal = (extra: Record<string, unknown> = {}, port?: number): GcpKmsSeal => {
    const s = createGcpKmsSeal(
      gcpKmsSealOptionsSchema.parse({
        project: PROJECT,
        region: 'europe-west1',
        key_ring: 'keygate',
        crypto_key: 'root',
        api_endpoint: '127.0.0.1',
        port: port ?? double.port,
        insecure: true,
        credentials: TEST_SERVICE_ACCOUNT_KEY,
        ...extra,
      }),
      { runtime: createWebRuntime({ logger: createCaptureLogger(logLines) }) },
    );
    seals.push(s);
    return s;
  };
  const seed = (cryptoKey = 'root', more: { project?: string; keyRing?: string } = {}) =>
    double.kms.seedKey({ project: more.project ?? PROJECT, location: 'europe-west1', keyRing: more.keyRing ?? 'keygate', cryptoKey });
  /** Calls the double has received for `method` so far (the statistics survive `faults.clear()`). */
  const calls = (method: string): number => double.faults.calls[method] ?? 0;
  const keyPath = (cryptoKey = 'root') => `projects/${PROJECT}/locations/europe-west1/keyRings/keygate/cryptoKeys/${cryptoKey}`;

  beforeAll(async () => {
    double = await startKmsDouble();
  });
  afterAll(async () => {
    for (const s of seals) await s.close();
    await double?.stop();
  });
  beforeEach(() => {
    double.kms.reset();
    double.faults.clear();
    logLines.length = 0;
  });

  it('is a SealDefinition whose strict schema takes Vault’s stanza fields, plaintext only on loopback', () => {
    expect(gcpKmsSeal.type).toBe('gcpckms');
    const base = { project: 'keygate-prod', region: 'global', key_ring: 'keygate', crypto_key: 'root' };
    expect(gcpKmsSeal.options.safeParse(base).success).toBe(true);
    expect(gcpKmsSeal.options.safeParse({ ...base, kms_key_id: 'x' }).success).toBe(false);
    expect(gcpKmsSeal.options.safeParse({ ...base, key_ring: 'has/slash' }).success).toBe(false);
    expect(gcpKmsSeal.options.safeParse({ ...base, api_endpoint: 'kms.example.com', insecure: true }).success).toBe(false);
    expect(gcpKmsSeal.options.safeParse({ ...base, api_endpoint: '127.0.0.1', port: 8443, insecure: true }).success).toBe(true);
    const credentials = gcpKmsSealOptionsSchema.shape.credentials.unwrap();
    expect(credentials.meta()).toMatchObject({ sensitive: true, writeOnly: true });
    expect(credentials.shape.private_key.meta()).toMatchObject({ sensitive: true, writeOnly: true });
  });

  it('wraps and unwraps the root key, recording the primary version and never the key itself', async () => {
    seed();
    const s = seal();
    const key = rootKey();
    const encrypts = calls('Encrypt');
    const wrapped = await s.wrap(key, AAD, signal());
    expect(calls('Encrypt') - encrypts).toBe(1);
    expect(wrapped.type).toBe('gcpckms');
    expect(wrapped.keyId).toBe(`${keyPath()}/cryptoKeyVersions/1`);
    expect(JSON.stringify(wrapped)).not.toContain(toHex(key));
    expect(wrapped.ciphertext).not.toContain(toBase64(key).slice(0, 20));
    expect(await s.unwrap(wrapped, AAD, signal())).toEqual(key);
  });

  it('refuses a wrapped key from another cluster (different AAD) with the opaque ERR_UNSEAL_FAILED', async () => {
    seed();
    const s = seal();
    const wrapped = await s.wrap(rootKey(), AAD, signal());
    const err = await rejection(s.unwrap(wrapped, OTHER_CLUSTER_AAD, signal()));
    expect([err.code, err.message, err.cause]).toEqual(['ERR_UNSEAL_FAILED', UNSEAL_FAILED_MESSAGE, undefined]);
  });

  it('refuses a key wrapped under another crypto key, and a record of another seal type', async () => {
    seed('root');
    seed('other');
    const wrapped = await seal().wrap(rootKey(), AAD, signal());
    const err = await rejection(seal({ crypto_key: 'other' }).unwrap(wrapped, AAD, signal()));
    expect([err.code, err.message]).toEqual(['ERR_UNSEAL_FAILED', UNSEAL_FAILED_MESSAGE]);
    const decrypts = calls('Decrypt');
    expect(await codeOf(seal().unwrap({ ...wrapped, type: 'awskms' }, AAD, signal()))).toBe('ERR_UNSEAL_FAILED');
    expect(calls('Decrypt')).toBe(decrypts);
  });

  it('refuses a ciphertext with any single byte flipped, and malformed records, with one opaque error', async () => {
    seed();
    const s = seal();
    const wrapped = await s.wrap(rootKey(), AAD, signal());
    const malformed = ['', '%%% not base64', toBase64(new Uint8Array(70_000)), wrapped.ciphertext.slice(0, 24)];
    expect(await tamperOutcomes(s, wrapped, malformed)).toEqual([`ERR_UNSEAL_FAILED|${UNSEAL_FAILED_MESSAGE}|undefined`]);
  });

  it('after a rotation to a new primary version, old wrapped keys still unwrap and new wraps use the new version', async () => {
    const name = seed();
    const s = seal();
    const before = rootKey();
    const oldWrapped = await s.wrap(before, AAD, signal());
    expect(oldWrapped.keyId).toBe(`${name}/cryptoKeyVersions/1`);
    const v2 = double.kms.rotate(name);
    expect(await s.unwrap(oldWrapped, AAD, signal())).toEqual(before);
    const after = rootKey();
    const newWrapped = await s.wrap(after, AAD, signal());
    expect(newWrapped.keyId).toBe(v2);
    expect(await s.unwrap(newWrapped, AAD, signal())).toEqual(after);
    // Disabling the old version stops old wraps without calling them tampered: the operator can re-enable it.
    double.kms.setVersionState(`${name}/cryptoKeyVersions/1`, 'DISABLED');
    expect(await codeOf(s.unwrap(oldWrapped, AAD, signal()))).toBe('ERR_SEAL_UNAVAILABLE');
    expect(await s.unwrap(newWrapped, AAD, signal())).toEqual(after);
    double.kms.setVersionState(`${name}/cryptoKeyVersions/1`, 'ENABLED');
    expect(await s.unwrap(oldWrapped, AAD, signal())).toEqual(before);
  });

  it('validates a usable key, and refuses a missing key and a disabled primary with ERR_SEAL_UNAVAILABLE', async () => {
    const name = seed();
    await expect(seal().validate?.(signal())).resolves.toBeUndefined();
    const missing = await rejection(seal({ crypto_key: 'absent' }).validate?.(signal()));
    expect([missing.code, missing.message]).toEqual(['ERR_SEAL_UNAVAILABLE', 'gcpckms seal: the crypto key was not found; check project, region, key_ring and crypto_key (Encrypt)']);
    double.kms.setVersionState(`${name}/cryptoKeyVersions/1`, 'DISABLED');
    const disabled = await rejection(seal().validate?.(signal()));
    expect(disabled.code).toBe('ERR_SEAL_UNAVAILABLE');
    expect(disabled.message).toMatch(/^gcpckms seal: the crypto key version is not enabled/);
    expect(await codeOf(seal().wrap(rootKey(), AAD, signal()))).toBe('ERR_SEAL_UNAVAILABLE');
  });

  it('checks CRC32C both ways: discards a corrupted answer, retries once, and gives up with ERR_SEAL_UNAVAILABLE', async () => {
    seed();
    const s = seal();
    const key = rootKey();
    const encrypts = calls('Encrypt');
    const decrypts = calls('Decrypt');
    double.kms.corruptChecksums(1);
    const wrapped = await s.wrap(key, AAD, signal());
    expect(calls('Encrypt') - encrypts).toBe(2);
    double.kms.corruptChecksums(1);
    expect(await s.unwrap(wrapped, AAD, signal())).toEqual(key);
    expect(calls('Decrypt') - decrypts).toBe(2);
    double.kms.corruptChecksums(2);
    const err = await rejection(s.wrap(key, AAD, signal()));
    expect([err.code, err.message]).toEqual(['ERR_SEAL_UNAVAILABLE', 'gcpckms seal: a Cloud KMS answer failed its CRC32C integrity check (Encrypt)']);
    double.kms.corruptChecksums(2);
    expect(await codeOf(s.unwrap(wrapped, AAD, signal()))).toBe('ERR_SEAL_UNAVAILABLE');
  });

  it('answers ERR_SEAL_UNAVAILABLE, never ERR_UNSEAL_FAILED, when Cloud KMS is down, throttling or slow', async () => {
    seed();
    const s = seal();
    const wrapped = await s.wrap(rootKey(), AAD, signal());
    double.faults.unavailable({ methods: ['Decrypt'], times: 1 });
    const err = await rejection(s.unwrap(wrapped, AAD, signal()));
    expect([err.code, err.message]).toEqual(['ERR_SEAL_UNAVAILABLE', 'gcpckms seal: Cloud KMS could not be reached or failed (Decrypt)']);
    double.faults.throttle({ methods: ['Decrypt'], times: 1 });
    expect((await rejection(s.unwrap(wrapped, AAD, signal()))).message).toBe('gcpckms seal: Cloud KMS is throttling requests (Decrypt)');
    double.faults.add({ methods: ['Decrypt'], code: 'PERMISSION_DENIED', times: 1 });
    expect(await codeOf(s.unwrap(wrapped, AAD, signal()))).toBe('ERR_SEAL_UNAVAILABLE');
    // A slow service: the caller's signal fires, the gRPC call is cancelled on the wire.
    double.faults.latency(5_000, { methods: ['Decrypt'], times: 1 });
    const started = Date.now();
    const slow = await rejection(s.unwrap(wrapped, AAD, AbortSignal.timeout(300)));
    expect([slow.code, slow.message]).toEqual(['ERR_SEAL_UNAVAILABLE', 'gcpckms seal: Cloud KMS did not answer in time (Decrypt)']);
    expect(Date.now() - started).toBeLessThan(3_000);
    await expect.poll(() => double.faults.cancelled.Decrypt ?? 0).toBeGreaterThan(0);
    // A stopped service.
    const gone = await startKmsDouble();
    const port = gone.port;
    await gone.stop();
    const down = seal({}, port);
    expect(await codeOf(down.unwrap(wrapped, AAD, signal()))).toBe('ERR_SEAL_UNAVAILABLE');
    expect(await codeOf(down.validate?.(signal()))).toBe('ERR_SEAL_UNAVAILABLE');
    expect(await s.unwrap(wrapped, AAD, signal())).toHaveLength(32);
  });

  it('never puts project ids, key names, Google’s messages or key material in errors or log lines (canary)', async () => {
    const CANARY = 'kgcanary-proj7f3a';
    const name = seed('kgcanary-key', { project: CANARY, keyRing: 'kgcanary-ring' });
    const mine = { project: CANARY, key_ring: 'kgcanary-ring', crypto_key: 'kgcanary-key' };
    const key = rootKey();
    const s = seal(mine);
    const wrapped = await s.wrap(key, AAD, signal());
    const { errors, collect } = rejectionCollector();
    await collect(seal({ ...mine, crypto_key: 'kgcanary-missing' }).wrap(key, AAD, signal()));
    await collect(s.unwrap(wrapped, OTHER_CLUSTER_AAD, signal()));
    await collect(s.unwrap(flip(wrapped, 5), AAD, signal()));
    double.faults.add({ methods: ['Decrypt'], code: 'UNAVAILABLE', message: `backend for ${name} is down`, times: 1 });
    await collect(s.unwrap(wrapped, AAD, signal()));
    double.kms.setVersionState(`${name}/cryptoKeyVersions/1`, 'DISABLED');
    await collect(s.unwrap(wrapped, AAD, signal()));
    await collect(s.validate(signal()));
    expect(errors).toHaveLength(6);
    expect(logLines.length).toBeGreaterThanOrEqual(6);
    const seen = rendered(errors, logLines);
    for (const forbidden of [CANARY, 'kgcanary', 'projects/', toHex(key), toBase64(key), TEST_SERVICE_ACCOUNT_KEY.private_key.slice(40, 70)]) {
      expect(seen).not.toContain(forbidden);
    }
  });
});
