/**
 * Stanza fields of the `gcpckms` seal (docs/seals/gcpckms.md), named as in Vault's
 * `gcpckms` seal stanza: `project`, `region` (the key ring's location), `key_ring`,
 * `crypto_key`, and `credentials`. Vault's `credentials` is a file path; Keygate's is the
 * service account key itself (write-only), and application default credentials when absent.
 * `api_endpoint`, `port` and `insecure` exist for emulators (plaintext only on loopback).
 *
 * The parsed output is itself valid input, so a stanza can be re-validated at every start.
 */

import { z } from 'zod';

/**
 * A GCP project id: 6 to 30 characters, lower-case letters, digits and hyphens, starting with
 * a letter and not ending with a hyphen; legacy domain-scoped ids (`example.com:project`) too.
 */
const PROJECT_ID = /^(?:[a-z0-9][a-z0-9.-]{0,61}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** A Cloud KMS location: `global`, a region (`europe-west1`), a multi-region (`eu`, `us`) or dual-region (`nam-eur-asia1`). */
const LOCATION = /^[a-z][a-z0-9-]{0,62}$/;

/** Key ring and crypto key ids (CreateKeyRingRequest / CreateCryptoKeyRequest: `[a-zA-Z0-9_-]{1,63}`). */
const RESOURCE_ID = /^[a-zA-Z0-9_-]{1,63}$/;

/** A host name or IP literal, without scheme, port or path (`[::1]` for IPv6). */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;

/** Endpoints for which `insecure` (plaintext gRPC) is accepted: local emulators only. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host);
}

const optionalText = (max: number) => z.string().min(1).max(max).optional();

/** A service account JSON key, as Google issues it (the key file's own fields). Write-only. */
const serviceAccountKeySchema = z
  .strictObject({
    type: z.literal('service_account').default('service_account'),
    client_email: z
      .string()
      .max(320)
      .regex(/^[^\s@]+@[^\s@]+$/)
      .describe('The service account e-mail, e.g. "keygate-seal@my-project.iam.gserviceaccount.com".'),
    private_key: z
      .string()
      .max(16_384)
      .regex(/-----BEGIN (?:RSA )?PRIVATE KEY-----/)
      .describe('The PEM private key. Write-only.')
      .meta({ sensitive: true, writeOnly: true }),
    private_key_id: optionalText(128).meta({ sensitive: true }),
    project_id: optionalText(128),
    client_id: optionalText(128),
    auth_uri: optionalText(2048),
    token_uri: optionalText(2048),
    auth_provider_x509_cert_url: optionalText(2048),
    client_x509_cert_url: optionalText(2048),
    universe_domain: optionalText(253),
  })
  .describe('A service account JSON key (the key file pasted as an object). Write-only. Default: application default credentials.')
  .meta({ sensitive: true, writeOnly: true });

/** The options schema of the `gcpckms` seal (strict: unknown keys are refused). */
export const gcpKmsSealOptionsSchema = z
  .strictObject({
    project: z.string().regex(PROJECT_ID).describe('The project id that holds the key ring, e.g. "keygate-prod".'),
    region: z.string().regex(LOCATION).describe('The key ring\'s location, e.g. "global", "europe-west1", "us".'),
    key_ring: z.string().regex(RESOURCE_ID).describe('The key ring id.'),
    crypto_key: z.string().regex(RESOURCE_ID).describe('The crypto key id: a symmetric ENCRYPT_DECRYPT key; its primary version wraps.'),
    credentials: serviceAccountKeySchema.optional(),
    api_endpoint: z
      .string()
      .max(253)
      .regex(HOST)
      .optional()
      .describe('Host of the Cloud KMS endpoint (Private Service Connect, an emulator). Default: cloudkms.googleapis.com.'),
    port: z.int().min(1).max(65_535).optional().describe('Port of the endpoint. Default: 443.'),
    insecure: z
      .boolean()
      .default(false)
      .describe('Plaintext gRPC, for a local emulator only: refused unless api_endpoint is a loopback host.'),
  })
  .superRefine((options, ctx) => {
    if (options.insecure && (options.api_endpoint === undefined || !isLoopbackHost(options.api_endpoint))) {
      ctx.addIssue({ code: 'custom', path: ['insecure'], message: 'is only allowed with a loopback api_endpoint (a local emulator)' });
    }
  });

/** Parsed options of the `gcpckms` seal. */
export type GcpKmsSealOptions = z.output<typeof gcpKmsSealOptionsSchema>;

/** The crypto key's resource name. */
export function cryptoKeyName(options: Pick<GcpKmsSealOptions, 'project' | 'region' | 'key_ring' | 'crypto_key'>): string {
  return `projects/${options.project}/locations/${options.region}/keyRings/${options.key_ring}/cryptoKeys/${options.crypto_key}`;
}
