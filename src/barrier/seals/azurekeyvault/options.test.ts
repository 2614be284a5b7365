import { describe, expect, it } from 'vitest';
import { azureKeyVaultSealOptionsSchema, sealVaultUrlOf } from './options.js';

describe('azurekeyvault seal options', () => {
  it('takes Vault\'s stanza fields: vault_name or vault_url, key_name, and optional credentials', () => {
    const parsed = azureKeyVaultSealOptionsSchema.parse({ vault_name: 'kg-prod-seal', key_name: 'keygate-root' });
    expect(parsed).toEqual({ vault_name: 'kg-prod-seal', key_name: 'keygate-root', disable_challenge_resource_verification: false });
    expect(sealVaultUrlOf(parsed)).toBe('https://kg-prod-seal.vault.azure.net');
    const url = azureKeyVaultSealOptionsSchema.parse({ vault_url: 'https://KG.privatelink.vaultcore.azure.net/', key_name: 'k' });
    expect(sealVaultUrlOf(url)).toBe('https://kg.privatelink.vaultcore.azure.net');
  });

  it('places vault_name under the environment\'s vault suffix', () => {
    expect(sealVaultUrlOf(azureKeyVaultSealOptionsSchema.parse({ vault_name: 'Kg-Cn', key_name: 'k', environment: 'AZURECHINACLOUD' }))).toBe('https://kg-cn.vault.azure.cn');
    expect(sealVaultUrlOf(azureKeyVaultSealOptionsSchema.parse({ vault_name: 'kg-gov', key_name: 'k', environment: 'AZUREUSGOVERNMENTCLOUD' }))).toBe('https://kg-gov.vault.usgovcloudapi.net');
    expect(azureKeyVaultSealOptionsSchema.safeParse({ vault_name: 'kg', key_name: 'k', environment: 'AZUREGERMANCLOUD' }).success).toBe(false);
  });

  it('refuses stanzas with neither or both vault fields, bad names, unknown keys, a non-https URL, and a client secret without its tenant and client', () => {
    const bad = [
      { key_name: 'k' },
      { vault_name: 'kg-prod', vault_url: 'https://kg-prod.vault.azure.net', key_name: 'k' },
      { vault_name: 'kg', key_name: 'k' },
      { vault_name: 'kg--prod', key_name: 'k' },
      { vault_name: 'kg-prod', key_name: 'under_score' },
      { vault_name: 'kg-prod', key_name: 'a'.repeat(128) },
      { vault_name: 'kg-prod', key_name: 'k', resource: 'vault.azure.net' },
      { vault_url: 'http://kg-prod.vault.azure.net', key_name: 'k' },
      { vault_url: 'https://user:pw@kg-prod.vault.azure.net', key_name: 'k' },
      { vault_url: 'https://kg-prod.vault.azure.net/keys/k', key_name: 'k' },
      { vault_name: 'kg-prod', key_name: 'k', client_secret: 's' },
      { vault_name: 'kg-prod', key_name: 'k', client_secret: 's', tenant_id: '00000000-0000-0000-0000-000000000001' },
      { vault_name: 'kg-prod', key_name: 'k', client_id: 'not-a-guid' },
      { vault_name: 'kg-prod', key_name: 'k', ca_pem: 'not pem' },
    ];
    for (const stanza of bad) expect(azureKeyVaultSealOptionsSchema.safeParse(stanza).success, JSON.stringify(stanza)).toBe(false);
  });

  it('parses its own output to the same value (options can be re-validated at every start)', () => {
    const once = azureKeyVaultSealOptionsSchema.parse({
      vault_url: 'https://kg-prod.vault.azure.net',
      key_name: 'keygate-root',
      tenant_id: 'contoso.onmicrosoft.com',
      client_id: '00000000-0000-0000-0000-000000000002',
      client_secret: 'secret',
      environment: 'AZUREPUBLICCLOUD',
      service_version: '7.6',
    });
    expect(azureKeyVaultSealOptionsSchema.parse(once)).toEqual(once);
  });

  it('marks client_secret sensitive and write-only', () => {
    expect(azureKeyVaultSealOptionsSchema.shape.client_secret.meta()).toMatchObject({ sensitive: true, writeOnly: true });
  });
});
