/**
 * The `aws-secrets-manager` provider: AWS Secrets Manager behind the `SecretProvider` port
 * (ARCHITECTURE.md, decision 5; docs/providers/aws.md). The Node entry registers
 * `awsSecretsManagerProvider` explicitly; nothing here runs on import.
 */

import type { ProviderDefinition } from '../definition.js';
import { AWS_NAMING } from '../naming.js';
import { awsSecretsManagerOptionsSchema } from './options.js';
import type { AwsSecretsManagerOptions } from './options.js';
import { AWS_SECRETS_MANAGER_TYPE, createAwsSecretsManagerPort } from './port.node.js';

export { awsSecretsManagerOptionsSchema, canonicalEndpoint } from './options.js';
export type { AwsSecretsManagerOptions } from './options.js';
export { AWS_SECRETS_MANAGER_TYPE, MAX_DESCRIBED_VERSIONS, awsClientConfig, createAwsSecretsManagerPort } from './port.node.js';
export { awsProviderError, classifyAwsError, parseRetryAfter, toProviderError } from './errors.js';
export type { AwsOperation } from './errors.js';

/**
 * The registry entry: mount type, strict options schema, AWS naming rules, and the port
 * factory (which makes no network call; `validate` does the first one).
 */
export const awsSecretsManagerProvider = {
  type: AWS_SECRETS_MANAGER_TYPE,
  options: awsSecretsManagerOptionsSchema,
  naming: AWS_NAMING,
  createPort: (options: AwsSecretsManagerOptions, deps) => createAwsSecretsManagerPort(options, deps),
} satisfies ProviderDefinition;
