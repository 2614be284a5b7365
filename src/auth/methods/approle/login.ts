/**
 * `login`: `{ role_id, secret_id }` in, an `AuthResult` out. Every credential failure is one
 * opaque 401 (`refuse` → `loginFailure`), logged with a fixed reason code. The checks, in order: the
 * role_id names a role (index, then a constant-time check of the role's own role_id); the
 * client address lies in the role's `secret_id_bound_cidrs`; when the role binds secret
 * ids, the secret id (looked up by HMAC, compared in constant time) exists for this role,
 * has not expired, admits the client address by its own `cidr_list`, and has a use left
 * (spent atomically within the process; the record is deleted on its last use).
 */

import { constantTimeEqual, utf8 } from '../../../core/index.js';
import type { AuthResult } from '../../../core/index.js';
import { noQuery } from '../../../native-engines/framework/index.js';
import { addressInCidrs } from '../cidr.js';
import { loginFailure, refuse } from '../login-refusal.js';
import { tokenResultFields } from '../token-fields.js';
import { approle } from './context.js';
import type { ApproleContext } from './context.js';
import { loadRole, roleNameForRoleId } from './role-store.js';
import { loginBody } from './schemas.js';
import type { StoredRole, StoredSecretId } from './schemas.js';
import { secretIdHmac, useSecretId } from './secret-id-store.js';

/** The `AuthResult` for role `name`, logged in with `secretId` (null when the role binds none). */
function authResult(name: string, role: StoredRole, secretId: StoredSecretId | null): AuthResult {
  const token = tokenResultFields(role);
  const boundCidrs = secretId !== null && secretId.token_bound_cidrs.length > 0 ? secretId.token_bound_cidrs : token.boundCidrs;
  return {
    alias: { name: role.role_id, metadata: { role_name: name } },
    displayName: `approle-${name}`,
    // The role name wins over a secret id metadata key of the same name.
    metadata: { ...(secretId?.metadata ?? {}), role_name: name },
    ...token,
    ...(boundCidrs === undefined ? {} : { boundCidrs }),
  };
}

async function login(ctx: ApproleContext<{ role_id: string; secret_id: string }>): Promise<AuthResult> {
  const { role_id: roleId, secret_id: secretIdValue } = ctx.body;
  const address = ctx.req.clientAddress;

  const name = await roleNameForRoleId(ctx, roleId);
  const role = name === null ? null : await loadRole(ctx, name);
  if (name === null || role === null || !constantTimeEqual(utf8(role.role_id), utf8(roleId))) refuse('role_id_unknown');
  if (role.secret_id_bound_cidrs.length > 0 && !addressInCidrs(address, role.secret_id_bound_cidrs)) refuse('role_cidr');
  if (!role.bind_secret_id) return authResult(name, role, null);

  if (secretIdValue === '') refuse('secret_id_missing');
  const outcome = await useSecretId(ctx, name, await secretIdHmac(ctx, secretIdValue), (entry) =>
    entry.cidr_list.length === 0 || addressInCidrs(address, entry.cidr_list),
  );
  if (!outcome.ok) refuse(outcome.reason);
  return authResult(name, role, outcome.entry);
}

/** `login`: exchange a role_id and secret id for a token. */
export const loginPath = approle.definePath({
  pattern: 'login',
  help: {
    synopsis: 'Log in with a role_id and a secret id.',
    description:
      'POST {"role_id": …, "secret_id": …}. On success the gateway issues a token with the role\'s token settings. Any credential failure is one 401, whatever the reason.',
  },
  operations: {
    update: approle.defineOperation({
      summary: 'Log in with AppRole',
      body: loginBody,
      query: noQuery,
      sensitive: ['secret_id'],
      async handler(ctx) {
        try {
          return { auth: await login(ctx) };
        } catch (err) {
          throw loginFailure(ctx.runtime.logger, ctx.req.mount.path, err);
        }
      },
    }),
  },
});
