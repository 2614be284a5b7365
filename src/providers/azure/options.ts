/**
 * Mount options of `azure-key-vault` (docs/providers/azure.md). One of `vault_url` or
 * `vault_name` names the vault; `credential` defaults to `@azure/identity`'s default chain
 * (environment, workload identity, managed identity, Azure CLI, …).
 *
 * The parsed output is itself valid input (no transform changes a value's meaning when it is
 * parsed again), so options persisted in the mount table can be re-validated at every start.
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
} from '../../cloud/azure/index.js';

export { canonicalVaultUrl } from '../../cloud/azure/index.js';

/** Service versions the SDK (`@azure/keyvault-secrets` 4.11) can speak. */
export const AZURE_SERVICE_VERSIONS = ['7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '2025-07-01'] as const;

const credentialSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('default') }).describe("@azure/identity's DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI, …"),
    z
      .strictObject({
        type: z.literal('client_secret'),
        tenant_id: z.string().regex(AZURE_TENANT).describe('The Entra ID tenant (GUID or domain).'),
        client_id: z.string().regex(AZURE_GUID).describe('The application (client) id.'),
        client_secret: azureClientSecretSchema
          .describe('The client secret. Write-only: never returned when the mount is read.')
          .meta({ sensitive: true, writeOnly: true }),
      })
      .describe('A service principal with a client secret.'),
    z
      .strictObject({
        type: z.literal('workload_identity'),
        tenant_id: z.string().regex(AZURE_TENANT).optional().describe('Default: AZURE_TENANT_ID.'),
        client_id: z.string().regex(AZURE_GUID).optional().describe('Default: AZURE_CLIENT_ID.'),
        token_file_path: z.string().min(1).max(4096).optional().describe('The projected service-account token. Default: AZURE_FEDERATED_TOKEN_FILE.'),
      })
      .describe('Workload identity federation (Kubernetes service-account tokens exchanged for Entra ID tokens).'),
  ])
  .default({ type: 'default' });

/**
 * Valid `name_prefix`: lower-case letters, digits and hyphens only. Azure compares names
 * case-insensitively, so an upper-case prefix would match names Keygate never wrote.
 */
const NAME_PREFIX = /^[a-z0-9-]{0,64}$/;

/** The options schema of an `azure-key-vault` mount (strict: unknown keys are refused). */
export const azureKeyVaultOptionsSchema = z
  .strictObject({
    vault_url: azureVaultUrlSchema.optional().describe('The vault URL, e.g. "https://my-vault.vault.azure.net". Give this or vault_name.'),
    vault_name: z
      .string()
      .regex(AZURE_VAULT_NAME)
      .optional()
      .describe('The vault name; the URL is then https://<name>.vault.azure.net. Give this or vault_url.'),
    credential: credentialSchema.describe('How Keygate authenticates to Entra ID. Default: { "type": "default" }.'),
    name_prefix: z
      .string()
      .regex(NAME_PREFIX, 'must be at most 64 lower-case letters, digits or hyphens (Azure names are case-insensitive)')
      .default('')
      .describe('Put verbatim in front of every mapped secret name, e.g. "keygate-prod-". Names are [0-9a-zA-Z-]{1,127} in all.'),
    ca_pem: azureCaPemSchema
      .optional()
      .describe('PEM bundle trusted instead of the public CAs (private endpoints, emulators).'),
    service_version: z.enum(AZURE_SERVICE_VERSIONS).optional().describe('The Key Vault API version. Default: the SDK\'s newest.'),
    disable_challenge_resource_verification: azureDisableChallengeResourceVerificationSchema,
  })
  .superRefine((options, ctx) => {
    if ((options.vault_url === undefined) === (options.vault_name === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['vault_url'], message: 'give exactly one of vault_url or vault_name' });
    }
  });

/** Parsed options of an `azure-key-vault` mount. */
export type AzureKeyVaultOptions = z.output<typeof azureKeyVaultOptionsSchema>;

/** The vault URL the options name (`vault_url`, or `https://<vault_name>.vault.azure.net`). */
export function vaultUrlOf(options: Pick<AzureKeyVaultOptions, 'vault_url' | 'vault_name'>): string {
  if (options.vault_url !== undefined) return options.vault_url;
  return `https://${(options.vault_name ?? '').toLowerCase()}.vault.azure.net`;
}
