/** Roles and the role-id index in an AppRole mount's storage. */

import { z } from 'zod';
import { GatewayError, NotFoundError } from '../../../core/index.js';
import { deleteFolder } from '../list-page.js';
import { loadJson, saveJson } from '../../../native-engines/framework/stored-json.js';
import type { ApprolePathContext } from './context.js';
import { ROLE_ID_LOCK } from './context.js';
import { accessorFolder, roleIdKey, roleKey } from './layout.js';
import { storedRoleSchema } from './schemas.js';
import type { StoredRole } from './schemas.js';
import { sweepSecretIds } from './secret-id-store.js';

const roleIdIndexSchema = z.object({ role: z.string() });

/** Role `name`, or null when there is none. */
export function loadRole(ctx: ApprolePathContext, name: string): Promise<StoredRole | null> {
  return loadJson(ctx.storage, roleKey(name), storedRoleSchema, 'AppRole role');
}

/** Role `name`; throws `NotFoundError` (404) when there is none. */
export async function requireRole(ctx: ApprolePathContext, name: string): Promise<StoredRole> {
  const role = await loadRole(ctx, name);
  if (role === null) throw new NotFoundError('no such role');
  return role;
}

/** The name of the role that owns `roleId`, per the index, or null. Callers re-check the role's own role_id. */
export async function roleNameForRoleId(ctx: ApprolePathContext, roleId: string): Promise<string | null> {
  const entry = await loadJson(ctx.storage, roleIdKey(await ctx.state.hmac.hex('role-id', roleId)), roleIdIndexSchema, 'AppRole role-id index');
  return entry?.role ?? null;
}

/**
 * Points `roleId` at role `name` in the index (call with the role's lock held, before
 * storing the role). Throws `ERR_CONFLICT` (409) when another role holds `roleId`.
 */
export async function claimRoleId(ctx: ApprolePathContext, name: string, roleId: string): Promise<void> {
  await ctx.state.locks.run(ROLE_ID_LOCK, async () => {
    const key = roleIdKey(await ctx.state.hmac.hex('role-id', roleId));
    const owner = await loadJson(ctx.storage, key, roleIdIndexSchema, 'AppRole role-id index');
    if (owner !== null && owner.role !== name && (await loadRole(ctx, owner.role))?.role_id === roleId) {
      throw new GatewayError('ERR_CONFLICT', 'this role_id is already used by another role');
    }
    await saveJson(ctx.storage, key, { role: name });
  });
}

/** Removes `roleId` from the index if it still points at role `name`. */
export async function releaseRoleId(ctx: ApprolePathContext, name: string, roleId: string): Promise<void> {
  await ctx.state.locks.run(ROLE_ID_LOCK, async () => {
    const key = roleIdKey(await ctx.state.hmac.hex('role-id', roleId));
    const owner = await loadJson(ctx.storage, key, roleIdIndexSchema, 'AppRole role-id index');
    if (owner?.role === name) await ctx.storage.delete(key);
  });
}

/**
 * Deletes role `name` with every secret id and accessor it has (call with the role's lock
 * held). Secret ids go first, so an interrupted delete never leaves old secret ids for a
 * role of the same name created later.
 */
export async function deleteRole(ctx: ApprolePathContext, name: string, role: StoredRole): Promise<void> {
  await sweepSecretIds(ctx, name);
  await deleteFolder(ctx.storage, accessorFolder(name));
  await releaseRoleId(ctx, name, role.role_id);
  await ctx.storage.delete(roleKey(name));
}
