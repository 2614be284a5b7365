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
import { gcpEndpointShape, gcpProjectIdSchema, gcpServiceAccountKeySchema, refineGcpInsecure } from '../../../cloud/gcp/index.js';

/** A Cloud KMS location: `global`, a region (`europe-west1`), a multi-region (`eu`, `us`) or dual-region (`nam-eur-asia1`). */
const LOCATION = /^[a-z][a-z0-9-]{0,62}$/;

/** Key ring and crypto key ids (CreateKeyRingRequest / CreateCryptoKeyRequest: `[a-zA-Z0-9_-]{1,63}`). */
const RESOURCE_ID = /^[a-zA-Z0-9_-]{1,63}$/;

/** The options schema of the `gcpckms` seal (strict: unknown keys are refused). */
export const gcpKmsSealOptionsSchema = z
  .strictObject({
    project: gcpProjectIdSchema.describe('The project id that holds the key ring, e.g. "keygate-prod".'),
    region: z.string().regex(LOCATION).describe('The key ring\'s location, e.g. "global", "europe-west1", "us".'),
    key_ring: z.string().regex(RESOURCE_ID).describe('The key ring id.'),
    crypto_key: z.string().regex(RESOURCE_ID).describe('The crypto key id: a symmetric ENCRYPT_DECRYPT key; its primary version wraps.'),
    credentials: gcpServiceAccountKeySchema('keygate-seal@my-project.iam.gserviceaccount.com').optional(),
    ...gcpEndpointShape({
      name: 'Cloud KMS',
      host: 'cloudkms.googleapis.com',
      insecure: 'Plaintext gRPC, for a local emulator only: refused unless api_endpoint is a loopback host.',
    }),
  })
  .superRefine(refineGcpInsecure);

/** Parsed options of the `gcpckms` seal. */
export type GcpKmsSealOptions = z.output<typeof gcpKmsSealOptionsSchema>;

/** The crypto key's resource name. */
export function cryptoKeyName(options: Pick<GcpKmsSealOptions, 'project' | 'region' | 'key_ring' | 'crypto_key'>): string {
  return `projects/${options.project}/locations/${options.region}/keyRings/${options.key_ring}/cryptoKeys/${options.crypto_key}`;
}
