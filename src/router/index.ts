export { createRoutingTable } from './routing-table.js';
export type { Route, RouteMatch, RoutingTable } from './routing-table.js';
export { normalizeMountPath, mountsOverlap, MAX_MOUNT_PATH_LENGTH, MAX_MOUNT_SEGMENTS } from './mount-path.js';
