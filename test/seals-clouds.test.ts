/**
 * Issue 6, done-when 1 and 2, against the emulators: the gateway initialises, restarts and
 * auto-unseals through moto's KMS, the Key Vault double's keys (or Lowkey Vault) and the
 * Cloud KMS double, and a secret written before the restart reads back after it. Then the
 * three at once: one cloud down still unseals (any one), and 2-of-2 with one down stays
 * sealed and says so.
 */

import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { KeyClient } from '@azure/keyvault-keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedStorage } from '../src/core/index.js';
import type { SealDefinition } from '../src/barrier/index.js';
import { awsKmsSeal } from '../src/barrier/seals/awskms/index.js';
import { azureKeyVaultSeal, createAzureKeyVaultSeal } from '../src/barrier/seals/azurekeyvault/index.js';
import type { AzureKeyVaultSealOptions } from '../src/barrier/seals/azurekeyvault/index.js';
import { gcpKmsSeal } from '../src/barrier/seals/gcpckms/index.js';
import { motoSuite, startMoto } from '../src/providers/aws/test-moto.node.js';
import type { MotoServer } from '../src/providers/aws/test-moto.node.js';
import { createMemoryStorage } from '../src/storage/index.js';
import { TEST_SERVICE_ACCOUNT_KEY, startKmsDouble } from './emulators/gcp/index.js';
import type { GcpDouble, KmsDouble } from './emulators/gcp/index.js';
import { azureEmulatorSkipReason, startLowkeyVault } from './emulators/lowkey-vault.js';
import type { AzureKeyVaultEmulator } from './emulators/lowkey-vault.js';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';

const { skip: noMoto } = motoSuite('KMS seals through the gateway');
const azureSkip = azureEmulatorSkipReason('KMS seals through the gateway');

describe.skipIf(noMoto || azureSkip !== null)('KMS seals through the gateway', () => {
  let moto: MotoServer;
  let azure: AzureKeyVaultEmulator;
  let gcp: GcpDouble & { kms: KmsDouble };
  let sealTypes: SealDefinition[];
  const stanzas: Record<'aws' | 'gcp' | 'azure', Record<string, unknown>> = { aws: {}, gcp: {}, azure: {} };

  beforeAll(async () => {
    [moto, azure, gcp] = await Promise.all([startMoto(), startLowkeyVault(), startKmsDouble()]);
    const kms = new KMSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const key = await kms.send(new CreateKeyCommand({ KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT' }));
    kms.destroy();
    stanzas.aws = { type: 'awskms', name: 'aws', kms_key_id: key.KeyMetadata?.Arn, region: 'us-east-1', endpoint: moto.endpoint, access_key: 'testing', secret_key: 'testing' };

    gcp.kms.seedKey({ project: 'keygate-test', location: 'europe-west1', keyRing: 'keygate', cryptoKey: 'root' });
    stanzas.gcp = { type: 'gcpckms', name: 'gcp', project: 'keygate-test', region: 'europe-west1', key_ring: 'keygate', crypto_key: 'root', api_endpoint: '127.0.0.1', port: gcp.port, insecure: true, credentials: TEST_SERVICE_ACCOUNT_KEY };

    const admin = new KeyClient(azure.vaultUrl, azure.credential, { serviceVersion: '7.6', disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 }, tlsOptions: { ca: azure.caPem } } as never);
    await admin.createRsaKey('keygate-root', { keySize: 2048, keyOps: ['wrapKey', 'unwrapKey'] });
    stanzas.azure = { type: 'azurekeyvault', name: 'azure', vault_url: azure.vaultUrl, key_name: 'keygate-root', ca_pem: azure.caPem, disable_challenge_resource_verification: true, service_version: '7.6' };

    // The emulator's token credential stands in for Azure AD (never reached in tests).
    const azureForTests: SealDefinition = {
      ...azureKeyVaultSeal,
      create: (options: AzureKeyVaultSealOptions, deps) => createAzureKeyVaultSeal(options, { ...deps, credential: azure.cryptoUserCredential }),
    };
    sealTypes = [awsKmsSeal, gcpKmsSeal, azureForTests];
  }, 120_000);

  afterAll(async () => {
    await Promise.all([moto?.stop(), azure?.stop(), gcp?.stop()]);
  });

  const durable = (): ManagedStorage => ({ ...createMemoryStorage(), close: async () => undefined });
  const boot = (storage: ManagedStorage, config: Record<string, unknown>): Promise<TestGateway> => createTestGateway({ storage, sealTypes, config });

  it.each(['aws', 'gcp', 'azure'] as const)('initialises, restarts and auto-unseals through the %s seal', async (cloud) => {
    const storage = durable();
    const config = { seal: stanzas[cloud] };
    const g = await boot(storage, config);
    expect(g.core.barrier.sealed).toBe(true);
    const init = await g.call('POST', '/api/v1/sys/init', { token: null, body: { recovery_shares: 3, recovery_threshold: 2 } });
    expect(init.status).toBe(200);
    const token: string = init.body.root_token;
    expect((await g.call('PUT', '/api/v1/secrets/app/db', { token, body: { password: `written-under-${cloud}` } })).status).toBe(200);
    await g.close();

    const h = await boot(storage, config);
    try {
      expect(h.core.barrier.sealed).toBe(false);
      expect((await h.call('GET', '/api/v1/secrets/app/db', { token })).body.data).toEqual({ password: `written-under-${cloud}` });
      const status = (await h.call('GET', '/api/v1/sys/seal-status', { token: null })).body;
      expect(status).toMatchObject({ type: stanzas[cloud].type, sealed: false, recovery_seal: true, t: 2, n: 3 });
      const backends = (await h.call('GET', '/api/v1/sys/seal-backend-status', { token })).body.seals;
      expect(backends).toEqual([expect.objectContaining({ name: cloud, in_record: true, healthy: true, verified_time: expect.any(String) })]);
      // A root-key rotation and a rewrap go through the cloud too.
      expect((await h.call('POST', '/api/v1/sys/rotate/root', { token })).status).toBe(200);
      expect((await h.call('POST', '/api/v1/sys/seal/rewrap', { token })).status).toBe(200);
    } finally {
      await h.close();
    }
    const again = await boot(storage, config);
    expect((await again.call('GET', '/api/v1/secrets/app/db', { token })).body.data).toEqual({ password: `written-under-${cloud}` });
    await again.close();
  });

  it('wraps under all three clouds; with one of them down it still unseals, and 2-of-2 with one down stays sealed', async () => {
    const storage = durable();
    const all = { seal: [stanzas.aws, stanzas.azure, stanzas.gcp] };
    const g = await boot(storage, all);
    const { root_token: token } = (await g.call('POST', '/api/v1/sys/init', { token: null, body: {} })).body;
    await g.call('PUT', '/api/v1/secrets/multi', { token, body: { v: 'three clouds' } });
    await g.close();
    // Prove each seal once.
    await (await boot(storage, all)).close();

    // GCP's KMS goes away: AWS or Azure still unseal.
    const gcpDown = { seal: [stanzas.aws, stanzas.azure, { ...stanzas.gcp, port: 1 }], multi_seal: { unwrap_timeout: '3s' } };
    const h = await boot(storage, gcpDown);
    expect(h.core.barrier.sealed).toBe(false);
    expect((await h.call('GET', '/api/v1/secrets/multi', { token })).body.data).toEqual({ v: 'three clouds' });
    await h.close();

    // A second store needing both AWS and GCP: with GCP down it stays sealed and says why.
    const strict = durable();
    const both = { seal: [stanzas.aws, stanzas.gcp], multi_seal: { required: 2 } };
    const s = await boot(strict, both);
    const init = await s.call('POST', '/api/v1/sys/init', { token: null, body: {} });
    expect(init.status).toBe(200);
    await s.call('PUT', '/api/v1/secrets/strict', { token: init.body.root_token, body: { v: '2 of 2' } });
    await s.close();
    const down = await boot(strict, { seal: [stanzas.aws, { ...stanzas.gcp, port: 1 }], multi_seal: { required: 2, unwrap_timeout: '3s' } });
    expect(down.core.barrier.sealed).toBe(true);
    const status = (await down.call('GET', '/api/v1/sys/seal-status', { token: null })).body;
    expect(status.auto_unseal).toMatchObject({ last_error_code: 'ERR_SEAL_UNAVAILABLE' });
    expect(status.auto_unseal.last_error).toMatch(/1 of the 2 seals needed.*gcp: unavailable/);
    await down.close();
    const up = await boot(strict, both);
    expect((await up.call('GET', '/api/v1/secrets/strict', { token: init.body.root_token })).body.data).toEqual({ v: '2 of 2' });
    await up.close();
  }, 60_000);
});
