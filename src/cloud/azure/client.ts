/**
 * Options of an Azure Key Vault client (`SecretClient`, `KeyClient`, `CryptographyClient`),
 * in the SDK's shape but without importing it. Builds nothing.
 */

/** The options a Key Vault client is built from. */
export interface AzureKeyVaultConnectionOptions<V extends string> {
  disable_challenge_resource_verification: boolean;
  service_version?: V | undefined;
  ca_pem?: string | undefined;
}

/**
 * Client options for `options`: SDK retries off (Keygate retries), the API version and the
 * trusted CAs when set. A fresh object per call: the SDK mutates what it is given.
 */
export function azureKeyVaultClientOptions<V extends string>(options: AzureKeyVaultConnectionOptions<V>) {
  return {
    retryOptions: { maxRetries: 0 },
    disableChallengeResourceVerification: options.disable_challenge_resource_verification,
    ...(options.service_version === undefined ? {} : { serviceVersion: options.service_version }),
    ...(options.ca_pem === undefined ? {} : { tlsOptions: { ca: options.ca_pem } }),
    // Request ids and URLs stay out of Keygate's logs: the SDK logs through @azure/logger only when enabled.
    userAgentOptions: { userAgentPrefix: 'keygate' },
  };
}
