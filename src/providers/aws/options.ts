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
import { awsAccessKeyIdSchema, awsEndpointSchema, awsRegionSchema, awsSecretAccessKeySchema, awsSessionTokenSchema } from '../../cloud/aws/index.js';

export { canonicalAwsEndpoint as canonicalEndpoint } from '../../cloud/aws/index.js';

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
    access_key_id: awsAccessKeyIdSchema.describe('The access key id.'),
    secret_access_key: awsSecretAccessKeySchema
      .describe('The secret access key. Write-only.')
      .meta({ sensitive: true, writeOnly: true }),
    session_token: awsSessionTokenSchema
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
    sts_endpoint: awsEndpointSchema
      .optional()
      .describe('STS endpoint. Default: AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL, else the regional STS endpoint.'),
  })
  .describe('A role assumed through STS AssumeRole with the base credentials (explicit or the default chain).');

/** The options schema of an `aws-secrets-manager` mount (strict: unknown keys are refused). */
export const awsSecretsManagerOptionsSchema = z.strictObject({
  region: awsRegionSchema
    .optional()
    .describe('The region, e.g. "eu-west-1". Default: AWS_REGION (or the shared config file).'),
  endpoint: awsEndpointSchema
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
