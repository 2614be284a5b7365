/**
 * Native engines: the framework (engines as data) and an explicit registry of the engines
 * Keygate ships. Nothing registers itself on import; a new engine is added here.
 */

import type { EngineDefinition } from './framework/types.js';
import { kvEngine } from './kv/index.js';
import { transitEngine } from './transit/index.js';

export * from './framework/index.js';
export { kvEngine } from './kv/index.js';
export type { KvMetadata, KvOptions } from './kv/index.js';
export { TRANSIT_AUTO_ROTATE_PATH, autoRotateRequest, transitEngine } from './transit/index.js';
export type { AutoRotateResult, TransitOptions } from './transit/index.js';

/** Every native engine type Keygate can mount, by `type`. */
export const nativeEngines: Readonly<Record<string, EngineDefinition>> = Object.freeze({
  kv: kvEngine,
  transit: transitEngine,
});
