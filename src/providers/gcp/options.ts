/**
 * Mount options of `gcp-secret-manager` (docs/providers/gcp.md). Only `project` is required:
 * credentials default to Google's application default credentials (ADC), the endpoint to
 * `secretmanager.googleapis.com:443` over TLS, and new secrets replicate automatically.
 *
 * `name_prefix` and the resilience settings are Keygate's common provider options
 * (`commonProviderOptionsShape` in ../provider-engine.ts), split off before this schema runs;
 * the prefix is checked against `GCP_NAMING.valid` (`[a-zA-Z0-9_-]`) there.
 *
 * The parsed output is itself valid input (no transform changes a value's meaning when it is
 * parsed again), so options persisted in the mount table can be re-validated at every start.
 */

import { z } from 'zod';
import { gcpEndpointShape, gcpProjectIdSchema, gcpServiceAccountKeySchema, refineGcpInsecure } from '../../cloud/gcp/index.js';

export { isLoopbackHost } from '../../cloud/index.js';

/** A Secret Manager location, e.g. `europe-west1`, `us-central1`, `northamerica-northeast2`. */
const LOCATION = /^[a-z]+-[a-z]+[0-9]{1,2}$/;

const replicationSchema = z
  .union([
    z.literal('automatic'),
    z.strictObject({
      user_managed: z
        .array(z.string().regex(LOCATION))
        .min(1)
        .max(32)
        .refine((locations) => new Set(locations).size === locations.length, 'must not repeat a location')
        .describe('The locations new secrets are replicated to, e.g. ["europe-west1", "europe-west4"].'),
    }),
  ])
  .describe('Replication of secrets Keygate creates: "automatic" (Google chooses), or user-managed locations.');

/** The options schema of a `gcp-secret-manager` mount (strict: unknown keys are refused). */
export const gcpSecretManagerOptionsSchema = z
  .strictObject({
    project: gcpProjectIdSchema.describe('The project id that holds the secrets, e.g. "payments-prod".'),
    credentials: gcpServiceAccountKeySchema('keygate@my-project.iam.gserviceaccount.com').optional(),
    ...gcpEndpointShape({
      name: 'Secret Manager',
      host: 'secretmanager.googleapis.com',
      insecure: 'Plaintext gRPC without credentials, for a local emulator only: refused unless api_endpoint is a loopback host.',
    }),
    replication: replicationSchema.default('automatic'),
  })
  .superRefine(refineGcpInsecure);

/** Parsed options of a `gcp-secret-manager` mount. */
export type GcpSecretManagerOptions = z.output<typeof gcpSecretManagerOptionsSchema>;
