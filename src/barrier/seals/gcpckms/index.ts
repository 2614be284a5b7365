/**
 * The `gcpckms` seal (docs/seals/gcpckms.md): the root key wrapped by a GCP Cloud KMS key.
 * Node-only (Google's gRPC client): registered by the Node entry, never imported by
 * runtime-neutral code.
 */

import type { SealDefinition } from '../definition.js';
import { gcpKmsSealOptionsSchema } from './options.js';
import type { GcpKmsSealOptions } from './options.js';
import { GCP_KMS_SEAL_TYPE, createGcpKmsSeal } from './seal.node.js';

export { GCP_KMS_SEAL_TYPE, createGcpKmsSeal } from './seal.node.js';
export type { GcpKmsSeal } from './seal.node.js';
export { cryptoKeyName, gcpKmsSealOptionsSchema } from './options.js';
export type { GcpKmsSealOptions } from './options.js';

/** The `gcpckms` seal type: stanza fields `project`, `region`, `key_ring`, `crypto_key`, `credentials`, and `api_endpoint` / `port` / `insecure` for emulators. */
export const gcpKmsSeal: SealDefinition = {
  type: GCP_KMS_SEAL_TYPE,
  options: gcpKmsSealOptionsSchema,
  create: (options: GcpKmsSealOptions, deps) => createGcpKmsSeal(options, deps),
};
