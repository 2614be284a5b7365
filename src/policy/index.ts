export { createRootOnlyAuthorizer } from './root-only.js';
export type { Authorizer } from './root-only.js';
