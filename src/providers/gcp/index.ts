/**
 * The `gcp-secret-manager` provider (docs/providers/gcp.md): GCP Secret Manager behind
 * Keygate's `SecretProvider` port. Node-only (the port uses Google's gRPC client); the Node
 * entry registers it, nothing registers it on import.
 */

import type { ProviderDefinition } from '../definition.js';
import { GCP_NAMING } from '../naming.js';
import { gcpSecretManagerOptionsSchema } from './options.js';
import type { GcpSecretManagerOptions } from './options.js';
import { createGcpSecretManagerPort } from './port.node.js';

export { gcpSecretManagerOptionsSchema, isLoopbackHost } from './options.js';
export type { GcpSecretManagerOptions } from './options.js';
export { createGcpSecretManagerPort, GCP_MAX_PAYLOAD_BYTES } from './port.node.js';
export { toProviderError as gcpErrorToProviderError } from './errors.js';

/** The provider definition the registry holds for mount type `gcp-secret-manager`. */
export const gcpSecretManagerProvider = {
  type: 'gcp-secret-manager',
  options: gcpSecretManagerOptionsSchema,
  naming: GCP_NAMING,
  createPort: (options: GcpSecretManagerOptions, deps) => createGcpSecretManagerPort(options, deps),
} satisfies ProviderDefinition;
