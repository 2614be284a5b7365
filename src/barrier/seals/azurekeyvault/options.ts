/**
 * Stanza fields of the `azurekeyvault` seal (docs/seals/azurekeyvault.md), named as in
 * Vault's `azurekeyvault` seal stanza: `vault_name` (or a `vault_url`), `key_name`,
 * `tenant_id`, `client_id`, `client_secret`, `environment`; plus `ca_pem`,
 * `disable_challenge_resource_verification` and `service_version` for private endpoints and
 * emulators. Without `client_secret`, `@azure/identity`'s default chain authenticates
 * (environment, workload identity, managed identity, Azure CLI, …).
 *
 * The parsed output is itself valid input (no transform changes a value's meaning when it is
 * parsed again), so a stanza can be re-validated at every start.
 */

import { z } from 'zod';
import {
  AZURE_GUID,
  AZURE_TENANT,
  AZURE_VAULT_NAME,
  azureCaPemSchema,
  azureClientSecretSchema,
  azureDisableChallengeResourceVerificationSchema,
  azureVaultUrlSchema,
} from '../../../cloud/azure/index.js';

/** Key Vault API versions the SDK (`@azure/keyvault-keys` 4.10) speaks. */
export const AZURE_KEYS_SERVICE_VERSIONS = ['7.2', '7.3', '7.4', '7.5', '7.6', '2025-07-01'] as const;

/**
 * Azure clouds by Vault's `environment` names: the vault DNS suffix `vault_name` is placed
 * under, and the Entra ID authority that issues tokens. (Azure Germany closed in 2021.)
 */
export const AZURE_ENVIRONMENTS = {
  AZUREPUBLICCLOUD: { vaultSuffix: 'vault.azure.net', authorityHost: 'https://login.microsoftonline.com' },
  AZURECHINACLOUD: { vaultSuffix: 'vault.azure.cn', authorityHost: 'https://login.chinacloudapi.cn' },
  AZUREUSGOVERNMENTCLOUD: { vaultSuffix: 'vault.usgovcloudapi.net', authorityHost: 'https://login.microsoftonline.us' },
} as const;

/** A Vault `environment` name. */
export type AzureEnvironment = keyof typeof AZURE_ENVIRONMENTS;

/** Key Vault object names. */
export const KEY_NAME = /^[0-9a-zA-Z-]{1,127}$/;

/** The options schema of the `azurekeyvault` seal (strict: unknown keys are refused). */
export const azureKeyVaultSealOptionsSchema = z
  .strictObject({
    vault_name: z
      .string()
      .regex(AZURE_VAULT_NAME, 'must be 3–24 letters, digits or hyphens, starting with a letter')
      .optional()
      .describe('The vault name; the URL is then https://<name>.<the environment\'s vault suffix>. Give this or vault_url.'),
    vault_url: azureVaultUrlSchema.optional().describe('The vault URL, e.g. "https://my-vault.vault.azure.net" or a private endpoint. Give this or vault_name.'),
    key_name: z.string().regex(KEY_NAME, 'must be 1–127 letters, digits or hyphens').describe('The RSA key (any version) that wraps the data key. New wraps use its newest version.'),
    tenant_id: z.string().regex(AZURE_TENANT, 'must be a tenant GUID or domain').optional().describe('The Entra ID tenant. Default: AZURE_TENANT_ID (default credential chain).'),
    client_id: z
      .string()
      .regex(AZURE_GUID, 'must be a GUID')
      .optional()
      .describe('With client_secret: the service principal. Without: the user-assigned managed identity or workload identity to use.'),
    client_secret: azureClientSecretSchema
      .optional()
      .describe('A service principal secret (needs tenant_id and client_id). Write-only: never returned when the configuration is read.')
      .meta({ sensitive: true, writeOnly: true }),
    environment: z
      .enum(['AZUREPUBLICCLOUD', 'AZURECHINACLOUD', 'AZUREUSGOVERNMENTCLOUD'])
      .optional()
      .describe('The Azure cloud (vault suffix and Entra ID authority). Default: AZUREPUBLICCLOUD.'),
    ca_pem: azureCaPemSchema
      .optional()
      .describe('PEM bundle trusted instead of the public CAs (private endpoints with a private CA, emulators).'),
    disable_challenge_resource_verification: azureDisableChallengeResourceVerificationSchema,
    service_version: z.enum(AZURE_KEYS_SERVICE_VERSIONS).optional().describe('The Key Vault API version. Default: the SDK\'s newest.'),
  })
  .superRefine((options, ctx) => {
    if ((options.vault_url === undefined) === (options.vault_name === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['vault_name'], message: 'give exactly one of vault_name or vault_url' });
    }
    if (options.client_secret !== undefined && (options.tenant_id === undefined || options.client_id === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'client_secret needs tenant_id and client_id' });
    }
  });

/** Parsed options of the `azurekeyvault` seal. */
export type AzureKeyVaultSealOptions = z.output<typeof azureKeyVaultSealOptionsSchema>;

/** The vault URL the options name: `vault_url`, or `https://<vault_name>.<suffix of environment>`. */
export function sealVaultUrlOf(options: Pick<AzureKeyVaultSealOptions, 'vault_url' | 'vault_name' | 'environment'>): string {
  if (options.vault_url !== undefined) return options.vault_url;
  const suffix = AZURE_ENVIRONMENTS[options.environment ?? 'AZUREPUBLICCLOUD'].vaultSuffix;
  return `https://${(options.vault_name ?? '').toLowerCase()}.${suffix}`;
}
