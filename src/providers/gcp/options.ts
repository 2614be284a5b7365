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

/**
 * A GCP project id: 6 to 30 characters, lower-case letters, digits and hyphens, starting with
 * a letter and not ending with a hyphen; legacy domain-scoped ids (`example.com:project`) too.
 */
const PROJECT_ID = /^(?:[a-z0-9][a-z0-9.-]{0,61}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** A Secret Manager location, e.g. `europe-west1`, `us-central1`, `northamerica-northeast2`. */
const LOCATION = /^[a-z]+-[a-z]+[0-9]{1,2}$/;

/** A host name or IP literal, without scheme, port or path (`[::1]` for IPv6). */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;

/** Endpoints for which `insecure` (plaintext gRPC) is accepted: local emulators only. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host);
}

const optionalText = (max: number) => z.string().min(1).max(max).optional();

/**
 * A service account JSON key, as Google issues it (the key file's own fields). Write-only:
 * never returned when the mount is read.
 */
const serviceAccountKeySchema = z
  .strictObject({
    type: z.literal('service_account').default('service_account'),
    client_email: z
      .string()
      .max(320)
      .regex(/^[^\s@]+@[^\s@]+$/)
      .describe('The service account e-mail, e.g. "keygate@my-project.iam.gserviceaccount.com".'),
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
    project: z.string().regex(PROJECT_ID).describe('The project id that holds the secrets, e.g. "payments-prod".'),
    credentials: serviceAccountKeySchema.optional(),
    api_endpoint: z
      .string()
      .max(253)
      .regex(HOST)
      .optional()
      .describe('Host of the Secret Manager endpoint (Private Service Connect, an emulator). Default: secretmanager.googleapis.com.'),
    port: z.int().min(1).max(65_535).optional().describe('Port of the endpoint. Default: 443.'),
    insecure: z
      .boolean()
      .default(false)
      .describe('Plaintext gRPC without credentials, for a local emulator only: refused unless api_endpoint is a loopback host.'),
    replication: replicationSchema.default('automatic'),
  })
  .superRefine((options, ctx) => {
    if (options.insecure && (options.api_endpoint === undefined || !isLoopbackHost(options.api_endpoint))) {
      ctx.addIssue({ code: 'custom', path: ['insecure'], message: 'is only allowed with a loopback api_endpoint (a local emulator)' });
    }
  });

/** Parsed options of a `gcp-secret-manager` mount. */
export type GcpSecretManagerOptions = z.output<typeof gcpSecretManagerOptionsSchema>;
