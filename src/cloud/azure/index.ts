/** Azure connection glue shared by `providers/azure` and the `azurekeyvault` seal (see ../index.ts). Runtime-neutral. */

export {
  AZURE_GUID,
  AZURE_TENANT,
  AZURE_VAULT_NAME,
  azureCaPemSchema,
  azureClientSecretSchema,
  azureDisableChallengeResourceVerificationSchema,
  azureVaultUrlSchema,
  canonicalVaultUrl,
} from './options.js';
export { azureKeyVaultClientOptions } from './client.js';
export type { AzureKeyVaultConnectionOptions } from './client.js';
export { AZURE_CREDENTIAL_ERRORS, azureServiceErrorShape } from './errors.js';
export type { AzureServiceErrorShape } from './errors.js';
