/**
 * The AppRole auth method (type `approle`), Vault's AppRole API on the engine framework.
 * Machines log in with a role_id (which names the role, like a user name) and a secret id
 * (a 256-bit credential, returned once when generated and stored only as an HMAC under a
 * per-mount key). Roles bind secret ids, CIDR blocks, use counts and TTLs, and carry the
 * token settings of the tokens a login issues.
 */

import type { EngineDefinition } from '../../../native-engines/framework/index.js';
import { approle, approleOptionsSchema, createApproleState } from './context.js';
import { loginPath } from './login.js';
import { roleIdPath, rolePath, rolesPath } from './role-paths.js';
import {
  accessorDestroyPath,
  accessorLookupPath,
  secretIdDestroyPath,
  secretIdLookupPath,
  secretIdPath,
} from './secret-id-paths.js';
import { tidyPath } from './tidy.js';

/** The AppRole auth method definition (type `approle`), mounted by the gateway under `/api/v1/auth/{mount}/`. */
export const approleMethod: EngineDefinition = approle.defineEngine({
  type: 'approle',
  description: 'AppRole: machines log in with a role_id and a secret id (Vault-compatible API).',
  options: approleOptionsSchema,
  actions: [],
  setup: (ctx) => createApproleState(ctx),
  paths: [
    loginPath,
    rolesPath,
    rolePath,
    roleIdPath,
    secretIdPath,
    secretIdLookupPath,
    secretIdDestroyPath,
    accessorLookupPath,
    accessorDestroyPath,
    tidyPath,
  ],
});
