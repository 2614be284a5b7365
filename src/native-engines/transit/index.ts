/** The transit engine's public surface. */

export { transitEngine } from './engine.js';
export { transitOptionsSchema } from './options.js';
export type { TransitOptions } from './options.js';
export { TRANSIT_AUTO_ROTATE_PATH, autoRotateRequest } from './auto-rotate.js';
export type { AutoRotateResult } from './auto-rotate.js';
export { KEY_TYPES } from './key-types.js';
export type { KeyType } from './key-types.js';
export { MAX_BATCH_ITEMS } from './batch.js';
