/**
 * The `awskms` seal (docs/seals/awskms.md): the root key wrapped by an AWS KMS key.
 * Node-only (the AWS SDK): registered by the Node entry, never imported by runtime-neutral code.
 */

import type { SealDefinition } from '../definition.js';
import { awsKmsSealOptionsSchema } from './options.js';
import type { AwsKmsSealOptions } from './options.js';
import { AWS_KMS_SEAL_TYPE, createAwsKmsSeal } from './seal.node.js';

export { AWS_KMS_PURPOSE, AWS_KMS_SEAL_TYPE, awsKmsEncryptionContext, createAwsKmsSeal } from './seal.node.js';
export { awsKmsSealOptionsSchema } from './options.js';
export type { AwsKmsSealOptions } from './options.js';
export type { AwsKmsSeal } from './seal.node.js';

/** The `awskms` seal type: stanza fields `kms_key_id`, `region`, `endpoint`, `access_key`, `secret_key`, `session_token`, `encryption_context`. */
export const awsKmsSeal: SealDefinition = {
  type: AWS_KMS_SEAL_TYPE,
  options: awsKmsSealOptionsSchema,
  create: (options: AwsKmsSealOptions, deps) => createAwsKmsSeal(options, deps),
};
