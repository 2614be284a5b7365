import { describe, expect, it } from 'vitest';
import { ClientSecretCredential, WorkloadIdentityCredential } from '@azure/identity';
import { azureKeyVaultOptionsSchema, canonicalVaultUrl, vaultUrlOf } from './options.js';
import { azureClientOptions, azureCredentialOf } from './port.node.js';

const parse = (input: unknown) => azureKeyVaultOptionsSchema.safeParse(input);

describe('azure-key-vault options', () => {
  it('takes a vault URL or a vault name, not both and not neither', () => {
    expect(parse({ vault_url: 'https://my-vault.vault.azure.net/' }).data?.vault_url).toBe('https://my-vault.vault.azure.net');
    const byName = parse({ vault_name: 'My-Vault1' });
    expect(byName.success).toBe(true);
    expect(vaultUrlOf(byName.data ?? { vault_url: undefined, vault_name: undefined })).toBe('https://my-vault1.vault.azure.net');
    expect(parse({}).success).toBe(false);
    expect(parse({ vault_url: 'https://a.vault.azure.net', vault_name: 'abc' }).success).toBe(false);
  });

  it('refuses non-https URLs, paths, queries, credentials and invalid vault names', () => {
    for (const url of ['http://my-vault.vault.azure.net', 'https://my-vault.vault.azure.net/secrets', 'https://x.vault.azure.net?a=b', 'https://u:p@x.vault.azure.net', 'not a url']) {
      expect(canonicalVaultUrl(url)).toBeNull();
      expect(parse({ vault_url: url }).success).toBe(false);
    }
    for (const name of ['ab', '1abc', 'a--b', 'abc-', 'a'.repeat(25), 'a_b']) expect(parse({ vault_name: name }).success).toBe(false);
  });

  it('defaults the credential to the default chain and validates the explicit kinds strictly', () => {
    expect(parse({ vault_name: 'abc' }).data?.credential).toEqual({ type: 'default' });
    const cs = parse({ vault_name: 'abc', credential: { type: 'client_secret', tenant_id: 'contoso.onmicrosoft.com', client_id: '00000000-0000-0000-0000-000000000001', client_secret: 's3cr3t' } });
    expect(cs.success).toBe(true);
    expect(parse({ vault_name: 'abc', credential: { type: 'client_secret', tenant_id: 't', client_id: 'not-a-guid', client_secret: 'x' } }).success).toBe(false);
    expect(parse({ vault_name: 'abc', credential: { type: 'workload_identity' } }).success).toBe(true);
    expect(parse({ vault_name: 'abc', credential: { type: 'workload_identity', extra: 1 } }).success).toBe(false);
    expect(parse({ vault_name: 'abc', credential: { type: 'managed_identity' } }).success).toBe(false);
  });

  it('marks the client secret write-only in the schema', () => {
    const json = JSON.stringify(azureKeyVaultOptionsSchema.toJSONSchema({ io: 'input', unrepresentable: 'any' }));
    expect(json).toContain('writeOnly');
  });

  it('accepts only lower-case Azure name characters as name_prefix', () => {
    expect(parse({ vault_name: 'abc', name_prefix: 'keygate-prod-' }).data?.name_prefix).toBe('keygate-prod-');
    for (const prefix of ['Keygate', 'kg/', 'kg_', 'x'.repeat(65)]) expect(parse({ vault_name: 'abc', name_prefix: prefix }).success).toBe(false);
  });

  it('refuses unknown keys, a non-PEM ca_pem and unknown service versions; its output parses again unchanged', () => {
    expect(parse({ vault_name: 'abc', region: 'x' }).success).toBe(false);
    expect(parse({ vault_name: 'abc', ca_pem: 'hello' }).success).toBe(false);
    expect(parse({ vault_name: 'abc', service_version: '9.9' }).success).toBe(false);
    const once = parse({ vault_url: 'https://x.vault.azure.net/', service_version: '7.6', ca_pem: '-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n' });
    expect(parse(once.data).data).toEqual(once.data);
  });

  it('builds credentials without network calls, and SDK options with retries off', () => {
    const base = azureKeyVaultOptionsSchema.parse({ vault_name: 'abc', credential: { type: 'client_secret', tenant_id: 'contoso.onmicrosoft.com', client_id: '00000000-0000-0000-0000-000000000001', client_secret: 'x' } });
    expect(azureCredentialOf(base)).toBeInstanceOf(ClientSecretCredential);
    expect(azureCredentialOf({ ...base, credential: { type: 'workload_identity', tenant_id: 'contoso.onmicrosoft.com', client_id: '00000000-0000-0000-0000-000000000001', token_file_path: '/nonexistent' } })).toBeInstanceOf(WorkloadIdentityCredential);
    // The default chain is never built here: tests must not reach any credential source.
    const sdk = azureClientOptions({ ...base, ca_pem: 'PEM', service_version: '7.6' });
    expect(sdk).toMatchObject({ retryOptions: { maxRetries: 0 }, serviceVersion: '7.6', tlsOptions: { ca: 'PEM' }, disableChallengeResourceVerification: false });
  });
});
