import type { ApiRoute } from './api-route.js';
import { cacheRoutes } from './cache-routes.js';
import { identityRoutes } from './identity-routes.js';
import { sealRoutes } from './seal-routes.js';
import { sysRoutes } from './sys-routes.js';
import { tokenRoutes } from './token-routes.js';

/** Every API route that is not a backend's path, in match order; the OpenAPI document describes the same list. */
export const apiRoutes: readonly ApiRoute[] = [...sealRoutes, ...sysRoutes, ...cacheRoutes, ...tokenRoutes, ...identityRoutes];
