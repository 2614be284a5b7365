/**
 * GCP connection glue shared by `providers/gcp` and the `gcpckms` seal (see ../index.ts).
 * Runtime-neutral; client construction and call cancellation are in `client.node.ts`.
 */

export { crc32c } from './crc32c.js';
export { GRPC_STATUS, grpcStatusName, grpcStatusOf } from './grpc-status.js';
export type { GrpcStatusName } from './grpc-status.js';
export { gcpEndpointShape, gcpProjectIdSchema, gcpServiceAccountKeySchema, refineGcpInsecure } from './options.js';
export type { GcpConnectionOptions, GcpServiceAccountKey } from './options.js';
