/**
 * Issue 5, done-when 3: the same client code reads and writes a secret on KV and on each
 * cloud mount, changing nothing but the path. AWS through moto, Azure through Lowkey Vault
 * (or the in-repo Key Vault double, decision 0011), GCP through the in-repo gRPC double.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsSecretsManagerProvider } from '../src/providers/aws/index.js';
import { motoSuite, startMoto } from '../src/providers/aws/test-moto.node.js';
import type { MotoServer } from '../src/providers/aws/test-moto.node.js';
import { azureKeyVaultProvider } from '../src/providers/azure/index.js';
import { createAzureKeyVaultPort } from '../src/providers/azure/port.node.js';
import { gcpSecretManagerProvider } from '../src/providers/gcp/index.js';
import type { ProviderDefinition } from '../src/providers/index.js';
import { azureEmulatorSkipReason, startLowkeyVault } from './emulators/lowkey-vault.js';
import type { AzureKeyVaultEmulator } from './emulators/lowkey-vault.js';
import { TEST_SERVICE_ACCOUNT_KEY, startSecretManagerDouble } from './emulators/gcp/index.js';
import type { GcpDouble } from './emulators/gcp/index.js';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';

const { skip: noMoto } = motoSuite('one client for every store');
const azureSkip = azureEmulatorSkipReason('one client for every store');

describe.skipIf(noMoto || azureSkip !== null)('one client for KV and every cloud', () => {
  let moto: MotoServer;
  let azure: AzureKeyVaultEmulator;
  let gcp: GcpDouble;
  let g: TestGateway;

  beforeAll(async () => {
    [moto, azure, gcp] = await Promise.all([startMoto(), startLowkeyVault(), startSecretManagerDouble()]);
    // The emulator's token credential stands in for Azure AD (never reached in tests).
    const azureForTests: ProviderDefinition = {
      ...azureKeyVaultProvider,
      createPort: (options: never, deps) => createAzureKeyVaultPort(options, { ...deps, credential: azure.credential }),
    };
    g = await createTestGateway({
      providers: [awsSecretsManagerProvider, azureForTests, gcpSecretManagerProvider],
      config: {
        mounts: [
          { path: '', type: 'kv' },
          { path: 'aws', type: 'aws-secrets-manager', options: { region: 'us-east-1', endpoint: moto.endpoint, credentials: { access_key_id: 'testing', secret_access_key: 'testing' } } },
          { path: 'azure', type: 'azure-key-vault', options: { vault_url: azure.vaultUrl, ca_pem: azure.caPem, service_version: '7.6', disable_challenge_resource_verification: true } },
          { path: 'gcp', type: 'gcp-secret-manager', options: { project: 'keygate-test', api_endpoint: '127.0.0.1', port: gcp.port, insecure: true, credentials: TEST_SERVICE_ACCOUNT_KEY, allow_permanent_delete: true } },
        ],
      },
    });
  }, 120_000);

  afterAll(async () => {
    await g?.close();
    await Promise.all([moto?.stop(), azure?.stop(), gcp?.stop()]);
  });

  // The client: what a service does, whatever store is behind the path.
  const client = {
    put: (path: string, secret: Record<string, string>) => g.call('PUT', `/api/v1/secrets/${path}`, { body: secret }),
    get: (path: string, version?: string) => g.call('GET', `/api/v1/secrets/${path}${version === undefined ? '' : `?version=${version}`}`),
    list: (folder: string) => g.call('GET', `/api/v1/secrets/${folder}/?list=true`),
    remove: (path: string) => g.call('DELETE', `/api/v1/secrets/${path}`),
  };

  it.each(['', 'aws/', 'azure/', 'gcp/'])('works the same on %j', async (prefix) => {
    const path = `${prefix}payments/db`;
    expect((await client.put(path, { username: 'app', password: 'first' })).status).toBe(200);
    expect((await client.put(path, { username: 'app', password: 'second' })).status).toBe(200);
    const got = await client.get(path);
    expect(got.status, got.text).toBe(200);
    expect(got.body.data).toEqual({ username: 'app', password: 'second' });
    expect(got.body.metadata.mount).toBe(prefix);
    expect(got.headers.get('etag')).toBeTruthy();
    const listed = await client.list(`${prefix}payments`);
    expect(listed.body.data.keys).toContain('db');
    expect((await client.remove(path)).status).toBe(204);
    expect((await client.get(path)).status).toBe(404);
  });
});
