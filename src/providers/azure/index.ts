/**
 * The `azure-key-vault` provider: Azure Key Vault secrets behind the `SecretProvider` port
 * (ARCHITECTURE.md, decision 5; docs/providers/azure.md). The Node entry registers
 * `azureKeyVaultProvider` explicitly; nothing here runs on import.
 */

import type { ProviderDefinition } from '../definition.js';
import { AZURE_NAMING } from '../naming.js';
import { azureKeyVaultOptionsSchema } from './options.js';
import type { AzureKeyVaultOptions } from './options.js';
import { AZURE_KEY_VAULT_TYPE, createAzureKeyVaultPort } from './port.node.js';

export { AZURE_SERVICE_VERSIONS, azureKeyVaultOptionsSchema, canonicalVaultUrl, vaultUrlOf } from './options.js';
export type { AzureKeyVaultOptions } from './options.js';
export { AZURE_KEY_VAULT_TYPE, BINARY_CONTENT_TYPE, COPY_TAG, MAX_DESCRIBED_VERSIONS, STAGE_TAG, azureClientOptions, azureCredentialOf, createAzureKeyVaultPort } from './port.node.js';
export type { AzureKeyVaultPortDeps } from './port.node.js';
export { classifyAzureError, retryAfterMsOf, shapeOfAzureError, toProviderError } from './errors.js';
export type { AzureErrorShape } from './errors.js';

/**
 * The registry entry: mount type, strict options schema, Azure naming rules, and the port
 * factory (which makes no network call; `validate` does the first one).
 */
export const azureKeyVaultProvider = {
  type: AZURE_KEY_VAULT_TYPE,
  options: azureKeyVaultOptionsSchema,
  naming: AZURE_NAMING,
  createPort: (options: AzureKeyVaultOptions, deps) => createAzureKeyVaultPort(options, deps),
} satisfies ProviderDefinition;
