/**
 * Cloud secret stores behind one contract. The SDK-backed providers (`aws/`, `azure/`,
 * `gcp/`) are Node-only and registered by the Node entry; the memory provider is here for
 * tests and demos. Nothing registers itself on import.
 */

import { providerEngineDefinition } from './provider-engine.js';
import { GCP_NAMING } from './naming.js';
import { createMemoryProvider } from './memory-provider.js';
import type { ProviderDefinition } from './definition.js';
import { z } from 'zod';

export type { ProviderDefinition } from './definition.js';
export { providerEngineDefinition, OWNERSHIP_TAG, MOUNT_TAG, commonProviderOptionsShape } from './provider-engine.js';
export { withResilience, DEFAULT_RESILIENCE } from './resilience.js';
export type { ResilienceSettings, ResilienceStatus } from './resilience.js';
export { AWS_NAMING, AZURE_NAMING, GCP_NAMING, createNameMapper } from './naming.js';
export type { NamingRules } from './naming.js';
export { ProviderError } from './types.js';
export type { NameMapper, ProviderCapabilities, ProviderSecretInfo, ProviderValue, ProviderVersion, ReadResult, SecretProvider, Stage, VersionSelector } from './types.js';
export { createMemoryProvider } from './memory-provider.js';
export { rotationSettingsSchema } from './rotation.js';

/** The memory provider as a mount type (`memory-store`): a cloud-shaped store in this process, for tests and demos. */
export const memoryProviderDefinition: ProviderDefinition = {
  type: 'memory-store',
  options: z.strictObject({}),
  naming: GCP_NAMING,
  createPort: () => createMemoryProvider(),
};

/** Engine definitions for the given providers, keyed by mount type. */
export function providerEngines(definitions: readonly ProviderDefinition[]) {
  return Object.fromEntries(definitions.map((d) => [d.type, providerEngineDefinition(d)]));
}
