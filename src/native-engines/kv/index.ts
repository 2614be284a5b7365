/** The native KV engine's public surface. */

export { kvEngine } from './engine.js';
export { kvOptionsSchema } from './options.js';
export type { KvOptions } from './options.js';
export type { KvMetadata } from './metadata.js';
