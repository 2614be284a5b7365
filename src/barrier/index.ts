/**
 * The barrier's runtime-neutral surface. The dev key file loader is Node-only and is
 * imported from `./seals/dev-key-file.node.js` by the Node entry, never from here.
 */

export { createBarrier, KEYRING_STORAGE_KEY, RESERVED_PREFIX, SEAL_STORAGE_KEY } from './barrier.js';
export type { BarrierDeps } from './barrier.js';
export { createStaticKeySeal, keyFingerprint, parseDevKey } from './seals/static-key.js';
export type { StaticKeySealOptions } from './seals/static-key.js';
export type { Barrier, KeyWrapper, KeyringStatus, WrappedKey } from './types.js';
