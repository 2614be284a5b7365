/**
 * The storage layer's runtime-neutral surface. The SQLite backend is Node-only and is
 * imported from `./sqlite.node.js` by the Node entry, never from here.
 */

export { createMemoryStorage } from './memory.js';
export { MAX_LIST_LIMIT, compareKeys } from '../core/index.js';
export type { ListOptions, ManagedStorage, Storage } from '../core/index.js';
export { deleteTree, walkKeys } from './walk.js';
