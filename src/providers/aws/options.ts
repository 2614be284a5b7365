/**
 * Mount options of `aws-secrets-manager` (docs/providers/aws.md). Every field is optional:
 * with none, the mount uses the SDK's standard environment (`AWS_REGION`,
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER` / `AWS_ENDPOINT_URL`, and the default credential chain:
 * environment, web identity, SSO, shared files, ECS and EC2 roles).
 *
 * `name_prefix` and the resilience settings are Keygate's common provider options
 * (`commonProviderOptionsShape` in ../provider-engine.ts), split off before this schema runs;
 * the prefix is checked against `AWS_NAMING.valid` there.
 *
 * The parsed output is itself valid input (no transform changes a value's meaning when it is
 * parsed again), so options persisted in the mount table can be re-validated at every start.
 */

import { z } from 'zod';
import { parseDuration } from '../../core/index.js';

/** AWS's region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `us-isob-east-1`. */
const REGION = /^[a-z]{2}(-[a-z]+){1,2}-[0-9]{1,2}$/;

/** Host names for which a plain-http endpoint is accepted (local emulators only). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The canonical endpoint (`scheme://host[:port]`), or null when it is not acceptable. */
export function canonicalEndpoint(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return null;
  if (url.pathname !== '/' && url.pathname !== '') return null;
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return null;
  return url.origin;
}

const endpointSchema = z
  .string()
  .max(512)
  .transform((text, ctx) => {
    const canonical = canonicalEndpoint(text.trim());
    if (canonical === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an https URL with no path, query or credentials (http only for loopback hosts)' });
      return z.NEVER;
    }
    return canonical;
  });

/** Seconds from a whole number of seconds or a duration text (`1h`, `90m`). */
const durationSecondsSchema = z
  .union([z.int(), z.string().max(32)])
  .transform((value, ctx) => {
    const ms = typeof value === 'number' ? value * 1000 : /^[0-9]{1,6}$/.test(value) ? Number(value) * 1000 : parseDuration(value);
    if (ms === null || ms % 1000 !== 0 || ms < 900_000 || ms > 43_200_000) {
      ctx.addIssue({ code: 'custom', message: 'must be whole seconds between 900 (15m) and 43200 (12h), as a number or a duration such as "1h"' });
      return z.NEVER;
    }
    return ms / 1000;
  });

const credentialsSchema = z
  .strictObject({
    access_key_id: z
      .string()
      .regex(/^[A-Za-z0-9_]{1,128}$/)
      .describe('The access key id.'),
    secret_access_key: z
      .string()
      .min(1)
      .max(1024)
      .describe('The secret access key. Write-only.')
      .meta({ sensitive: true, writeOnly: true }),
    session_token: z
      .string()
      .min(1)
      .max(8192)
      .optional()
      .describe('A session token, for temporary credentials. Write-only.')
      .meta({ sensitive: true, writeOnly: true }),
  })
  .describe('Static credentials. Write-only: never returned when the mount is read. Default: the SDK default provider chain.')
  .meta({ sensitive: true, writeOnly: true });

const assumeRoleSchema = z
  .strictObject({
    role_arn: z
      .string()
      .max(2048)
      .regex(/^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/)
      .describe('The role to assume, e.g. "arn:aws:iam::123456789012:role/keygate".'),
    external_id: z
      .string()
      .regex(/^[A-Za-z0-9+=,.@:/_-]{2,1224}$/)
      .optional()
      .describe("The external id the role's trust policy requires.")
      .meta({ sensitive: true }),
    session_name: z
      .string()
      .regex(/^[A-Za-z0-9+=,.@_-]{2,64}$/)
      .default('keygate')
      .describe('The role session name (appears in CloudTrail).'),
    duration: durationSecondsSchema
      .default(3600)
      .describe('Session length: seconds, or a duration such as "1h" (900 to 43200 seconds). Credentials are refreshed 5 minutes before they expire.'),
    sts_endpoint: endpointSchema
      .optional()
      .describe('STS endpoint. Default: AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL, else the regional STS endpoint.'),
  })
  .describe('A role assumed through STS AssumeRole with the base credentials (explicit or the default chain).');

/** The options schema of an `aws-secrets-manager` mount (strict: unknown keys are refused). */
export const awsSecretsManagerOptionsSchema = z.strictObject({
  region: z
    .string()
    .regex(REGION)
    .optional()
    .describe('The region, e.g. "eu-west-1". Default: AWS_REGION (or the shared config file).'),
  endpoint: endpointSchema
    .optional()
    .describe('A custom endpoint (VPC endpoint, emulator). Default: AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL, else the regional endpoint.'),
  credentials: credentialsSchema.optional(),
  assume_role: assumeRoleSchema.optional(),
  kms_key_id: z
    .string()
    .regex(/^[A-Za-z0-9:/_+=,.@-]{1,2048}$/)
    .optional()
    .describe('The KMS key (id, ARN or alias) new secrets are encrypted with. Default: aws/secretsmanager.'),
  recovery_window_days: z
    .int()
    .min(7)
    .max(30)
    .default(30)
    .describe('Days a deleted secret stays recoverable (7 to 30).'),
});

/** Parsed options of an `aws-secrets-manager` mount. */
export type AwsSecretsManagerOptions = z.output<typeof awsSecretsManagerOptionsSchema>;
