/**
 * The `azurekeyvault` seal (docs/seals/azurekeyvault.md): the root key sealed under a data
 * key that an RSA key in Azure Key Vault wraps (RSA-OAEP-256). Node-only (the Azure SDK):
 * registered by the Node entry, never imported by runtime-neutral code.
 */

import type { SealDefinition } from '../definition.js';
import { azureKeyVaultSealOptionsSchema } from './options.js';
import type { AzureKeyVaultSealOptions } from './options.js';
import { AZURE_KEY_VAULT_SEAL_TYPE, createAzureKeyVaultSeal } from './seal.node.js';

export { AZURE_KEY_VAULT_SEAL_TYPE, AZURE_WRAP_ALGORITHM, CALL_TIMEOUT_MS, azureSealClientOptions, azureSealCredentialOf, createAzureKeyVaultSeal } from './seal.node.js';
export type { AzureKeyVaultSealDeps } from './seal.node.js';
export { AZURE_ENVIRONMENTS, AZURE_KEYS_SERVICE_VERSIONS, azureKeyVaultSealOptionsSchema, sealVaultUrlOf } from './options.js';
export type { AzureEnvironment, AzureKeyVaultSealOptions } from './options.js';
export { UNSEAL_FAILED_MESSAGE } from './errors.js';

/**
 * The `azurekeyvault` seal type: stanza fields `vault_name` or `vault_url`, `key_name`,
 * `tenant_id`, `client_id`, `client_secret` (write-only), `environment`, `ca_pem`,
 * `disable_challenge_resource_verification`, `service_version`. `create` makes no network
 * call; `validate` makes the first.
 */
export const azureKeyVaultSeal: SealDefinition = {
  type: AZURE_KEY_VAULT_SEAL_TYPE,
  options: azureKeyVaultSealOptionsSchema,
  create: (options: AzureKeyVaultSealOptions, deps) => createAzureKeyVaultSeal(options, deps),
};
