/**
 * Stanza fields of the `awskms` seal (docs/seals/awskms.md), named as in Vault's `awskms`
 * seal stanza. Only `kms_key_id` is required: the region comes from the key's ARN or the
 * SDK's environment (`AWS_REGION`), credentials from the SDK's default chain.
 *
 * The parsed output is itself valid input (no transform changes a value's meaning when it is
 * parsed again), so a stanza can be re-validated at every start.
 */

import { z } from 'zod';
import { awsAccessKeyIdSchema, awsEndpointSchema, awsRegionSchema, awsSecretAccessKeySchema, awsSessionTokenSchema } from '../../../cloud/aws/index.js';

/**
 * A KMS key as `Encrypt` and `Decrypt` accept it: a key id (UUID, or `mrk-…` for a
 * multi-Region key), a key ARN, an alias name (`alias/…`) or an alias ARN.
 */
const KEY_ID = new RegExp(
  [
    '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
    '^mrk-[0-9a-fA-F]{32}$',
    '^alias/[A-Za-z0-9/_-]{1,250}$',
    '^arn:aws[a-z-]*:kms:[a-z0-9-]{1,32}:[0-9]{12}:(?:key/(?:[0-9a-fA-F-]{36}|mrk-[0-9a-fA-F]{32})|alias/[A-Za-z0-9/_-]{1,250})$',
  ].join('|'),
);

/** The region inside a KMS key or alias ARN, or null when `keyId` is not an ARN. */
export function regionOfKeyArn(keyId: string): string | null {
  const m = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(keyId);
  return m?.[1] ?? null;
}

/** Encryption-context keys Keygate sets itself (`keygate:`) or AWS reserves (`aws:`). */
const RESERVED_CONTEXT_KEY = /^(?:keygate|aws):/i;

const encryptionContextSchema = z
  .record(
    z
      .string()
      .min(1)
      .max(256)
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
      .refine((key) => !RESERVED_CONTEXT_KEY.test(key), 'keys starting with "keygate:" or "aws:" are reserved'),
    z.string().min(1).max(1024),
  )
  .refine((context) => Object.keys(context).length <= 16, 'at most 16 entries')
  .describe(
    'Extra encryption-context pairs bound to the wrapped key (they must be the same to unwrap), e.g. {"environment": "prod"}. ' +
      'Not secret: AWS records the encryption context in CloudTrail.',
  );

/** The options schema of the `awskms` seal (strict: unknown keys are refused). */
export const awsKmsSealOptionsSchema = z
  .strictObject({
    kms_key_id: z
      .string()
      .max(2048)
      .regex(KEY_ID, 'must be a KMS key id, key ARN, alias name ("alias/…") or alias ARN')
      .describe('The KMS key that wraps the root key: key id, key ARN, alias name ("alias/keygate") or alias ARN.'),
    region: awsRegionSchema
      .optional()
      .describe("The key's region, e.g. \"eu-west-1\". Default: the region in kms_key_id when it is an ARN, else AWS_REGION."),
    endpoint: awsEndpointSchema
      .optional()
      .describe('A custom KMS endpoint (VPC endpoint, FIPS endpoint, emulator). Default: AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL, else the regional endpoint.'),
    access_key: awsAccessKeyIdSchema
      .optional()
      .describe('Access key id of static credentials. Default: the SDK default credential chain (environment, web identity, SSO, shared files, ECS and EC2 roles).'),
    secret_key: awsSecretAccessKeySchema
      .optional()
      .describe('Secret access key of static credentials. Write-only.')
      .meta({ sensitive: true, writeOnly: true }),
    session_token: awsSessionTokenSchema
      .optional()
      .describe('Session token of temporary static credentials. Write-only.')
      .meta({ sensitive: true, writeOnly: true }),
    encryption_context: encryptionContextSchema.optional(),
  })
  .superRefine((options, ctx) => {
    if ((options.access_key === undefined) !== (options.secret_key === undefined)) {
      ctx.addIssue({ code: 'custom', path: [options.access_key === undefined ? 'access_key' : 'secret_key'], message: 'access_key and secret_key go together' });
    }
    if (options.session_token !== undefined && options.access_key === undefined) {
      ctx.addIssue({ code: 'custom', path: ['session_token'], message: 'needs access_key and secret_key' });
    }
    const arnRegion = regionOfKeyArn(options.kms_key_id);
    if (arnRegion !== null && options.region !== undefined && arnRegion !== options.region) {
      ctx.addIssue({ code: 'custom', path: ['region'], message: 'differs from the region in the kms_key_id ARN' });
    }
  });

/** Parsed options of the `awskms` seal. */
export type AwsKmsSealOptions = z.output<typeof awsKmsSealOptionsSchema>;
