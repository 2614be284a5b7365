/**
 * Option schemas every Azure Key Vault client of Keygate shares: the vault (name or URL),
 * Entra ID tenant and client ids, a client secret, and the TLS and challenge settings for
 * private endpoints and emulators. Each caller names and describes the fields in its own
 * strict schema (Vault's stanza names for the `azurekeyvault` seal, mount options for
 * `azure-key-vault`).
 */

import { z } from 'zod';
import { canonicalOrigin, originSchema } from '../endpoints.js';

/** Azure vault names: 3–24 characters, letters, digits and hyphens, starting with a letter, no `--`, not ending with `-`. */
export const AZURE_VAULT_NAME = /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

/** Entra ID client (and tenant) ids: GUIDs. */
export const AZURE_GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A tenant: a GUID or a verified domain. */
export const AZURE_TENANT = /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[a-zA-Z0-9][a-zA-Z0-9.-]{0,253}[a-zA-Z0-9])$/;

/**
 * The canonical vault URL (`https://host[:port]`, lower-case host, no trailing slash), or
 * null when `text` is not acceptable: https only, no credentials, path, query or fragment.
 */
export function canonicalVaultUrl(text: string): string | null {
  return canonicalOrigin(text);
}

/** A vault URL, trimmed and canonicalised by `canonicalVaultUrl`. */
export const azureVaultUrlSchema = originSchema(canonicalVaultUrl, 'must be an https URL with no path, query or credentials, e.g. "https://my-vault.vault.azure.net"');

/** A service principal's client secret (the caller marks it write-only). */
export const azureClientSecretSchema = z.string().min(1).max(1024);

/** A PEM bundle trusted instead of the public CAs (the caller adds `.optional()` and a description). */
export const azureCaPemSchema = z
  .string()
  .max(65_536)
  .regex(/-----BEGIN CERTIFICATE-----/, 'must be PEM certificates');

/** Whether to accept an authentication challenge for another resource (emulators, private DNS names). */
export const azureDisableChallengeResourceVerificationSchema = z
  .boolean()
  .default(false)
  .describe('Accept an authentication challenge whose resource is not the vault\'s domain (emulators, private DNS names only).');
