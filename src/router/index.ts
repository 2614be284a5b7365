export { createRoutingTable } from './routing-table.js';
export type { Route, RouteMatch, RoutingTable } from './routing-table.js';
export { normalizeMountPath, mountsOverlap, MAX_MOUNT_PATH_LENGTH, MAX_MOUNT_SEGMENTS } from './mount-path.js';
export { DEFAULT_CACHE_TTL_MS, MAX_CACHE_TTL_MS, MAX_NEGATIVE_TTL_MS, MAX_STALE_IF_ERROR_MS, mountCacheOptionsSchema, resolveCachePolicy } from './mount-options.js';
export type { MountCacheOptions } from './mount-options.js';
