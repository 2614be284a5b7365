/**
 * Option schemas every Google API client of Keygate shares: the project id, a service
 * account key, and the endpoint fields (`api_endpoint`, `port`, `insecure`) with the rule
 * that plaintext gRPC is for a loopback emulator only. Each caller composes its own strict
 * schema from these (the `gcpckms` seal with Vault's stanza names, `gcp-secret-manager`
 * with its mount options).
 */

import { z } from 'zod';
import { isLoopbackHost } from '../endpoints.js';

/**
 * A GCP project id: 6 to 30 characters, lower-case letters, digits and hyphens, starting with
 * a letter and not ending with a hyphen; legacy domain-scoped ids (`example.com:project`) too.
 */
const PROJECT_ID = /^(?:[a-z0-9][a-z0-9.-]{0,61}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** A host name or IP literal, without scheme, port or path (`[::1]` for IPv6). */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;

/** A project id (the caller adds the description). */
export const gcpProjectIdSchema = z.string().regex(PROJECT_ID);

const optionalText = (max: number) => z.string().min(1).max(max).optional();

/**
 * A service account JSON key, as Google issues it (the key file's own fields). Write-only:
 * never returned when the configuration is read. `exampleEmail` goes in the e-mail's description.
 */
export function gcpServiceAccountKeySchema(exampleEmail: string) {
  return z
    .strictObject({
      type: z.literal('service_account').default('service_account'),
      client_email: z
        .string()
        .max(320)
        .regex(/^[^\s@]+@[^\s@]+$/)
        .describe(`The service account e-mail, e.g. "${exampleEmail}".`),
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
}

/** A parsed service account key. */
export type GcpServiceAccountKey = z.output<ReturnType<typeof gcpServiceAccountKeySchema>>;

/**
 * The endpoint fields of a Google API client, to spread into a strict object schema (refine
 * it with `refineGcpInsecure`): `api_endpoint` (a host; the default is `service.host`),
 * `port` (default 443) and `insecure` (plaintext gRPC, described by `service.insecure`).
 */
export function gcpEndpointShape(service: { name: string; host: string; insecure: string }) {
  return {
    api_endpoint: z
      .string()
      .max(253)
      .regex(HOST)
      .optional()
      .describe(`Host of the ${service.name} endpoint (Private Service Connect, an emulator). Default: ${service.host}.`),
    port: z.int().min(1).max(65_535).optional().describe('Port of the endpoint. Default: 443.'),
    insecure: z.boolean().default(false).describe(service.insecure),
  };
}

/** The endpoint options a client is built from (see `client.node.ts`). */
export interface GcpConnectionOptions {
  project: string;
  credentials?: GcpServiceAccountKey | undefined;
  api_endpoint?: string | undefined;
  port?: number | undefined;
  insecure: boolean;
}

/** `superRefine` step: `insecure` is refused unless `api_endpoint` is a loopback host (a local emulator). */
export function refineGcpInsecure(options: { insecure: boolean; api_endpoint?: string | undefined }, ctx: z.RefinementCtx): void {
  if (options.insecure && (options.api_endpoint === undefined || !isLoopbackHost(options.api_endpoint))) {
    ctx.addIssue({ code: 'custom', path: ['insecure'], message: 'is only allowed with a loopback api_endpoint (a local emulator)' });
  }
}
