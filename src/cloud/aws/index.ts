/** AWS connection glue shared by `providers/aws` and the `awskms` seal (see ../index.ts). Runtime-neutral. */

export { AWS_REGION, awsAccessKeyIdSchema, awsEndpointSchema, awsRegionSchema, awsSecretAccessKeySchema, awsSessionTokenSchema, canonicalAwsEndpoint } from './options.js';
export { awsClientSettings, awsStaticCredentials } from './client.js';
export type { AwsClientSettings, AwsClientSettingsInput, AwsStaticCredentials } from './client.js';
export { AWS_CREDENTIAL_ERRORS, AWS_THROTTLING_ERRORS, awsErrorShape, isAwsRegionMissing, isAwsThrottling } from './errors.js';
export type { AwsErrorShape } from './errors.js';
