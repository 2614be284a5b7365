/**
 * Test helper (not exported from the folder): a port and a plain `SecretClient` (a "native"
 * Azure reader, as any other application would use) on the Azure Key Vault emulator.
 */

import { SecretClient } from '@azure/keyvault-secrets';
import type { TokenCredential } from '@azure/identity';
import { createWebRuntime } from '../../core/index.js';
import type { SecretProvider } from '../types.js';
import { azureKeyVaultOptionsSchema } from './options.js';
import { createAzureKeyVaultPort } from './port.node.js';
import type { AzureKeyVaultEmulator } from '../../../test/emulators/lowkey-vault.js';

/**
 * Removes every `AZURE_*` variable from this test process, so nothing in `@azure/identity`
 * could pick up a real tenant or secret even if a default chain were built by mistake.
 */
export function clearAzureEnvironment(): void {
  for (const key of Object.keys(process.env)) if (key.startsWith('AZURE_') || key === 'IDENTITY_ENDPOINT' || key === 'MSI_ENDPOINT') delete process.env[key];
}

/** A port on the emulator; `credential` defaults to the emulator's accepted one. */
export function portOn(emulator: AzureKeyVaultEmulator, credential: TokenCredential = emulator.credential, extra: Record<string, unknown> = {}): SecretProvider {
  const options = azureKeyVaultOptionsSchema.parse({
    vault_url: emulator.vaultUrl,
    ca_pem: emulator.caPem,
    service_version: '7.6',
    disable_challenge_resource_verification: true,
    ...extra,
  });
  return createAzureKeyVaultPort(options, { runtime: createWebRuntime(), credential, pollIntervalMs: 20, maxPolls: 100 });
}

/** A plain SDK client on the emulator: what an application reading Azure directly sees. */
export function nativeClient(emulator: AzureKeyVaultEmulator): SecretClient {
  return new SecretClient(emulator.vaultUrl, emulator.credential, {
    serviceVersion: '7.6',
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 0 },
    tlsOptions: { ca: emulator.caPem },
  });
}
