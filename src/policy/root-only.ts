import { PermissionDeniedError } from '../core/index.js';
import type { Operation, Principal } from '../core/index.js';

/** Decides whether `principal` may perform `operation` on the logical `path`; throws `ERR_PERMISSION_DENIED` if not. */
export interface Authorizer {
  authorize(principal: Principal, operation: Operation, path: string): Promise<void>;
}

/**
 * The authorizer until Vault-style ACL policies land (issue 3): the `root` policy may do
 * everything, every other principal nothing (default deny).
 */
export function createRootOnlyAuthorizer(): Authorizer {
  return {
    async authorize(principal) {
      if (!principal.policies.includes('root')) throw new PermissionDeniedError();
    },
  };
}
