/** `role`, `role/{name}` and `role/{name}/role-id`: managing AppRole roles. */

import { z } from 'zod';
import { ValidationError } from '../../../core/index.js';
import type { JsonObject } from '../../../core/index.js';
import { noBody, noQuery } from '../../../native-engines/framework/index.js';
import { listPage, listQuery, listResponse } from '../list-page.js';
import { roleNameOrNull, roleNameParam } from '../role-param.js';
import { tokenFieldsView, tokenFieldsViewShape, ttlProblem } from '../stored-token-fields.js';
import { saveJson } from '../../../native-engines/framework/stored-json.js';
import { approle, roleLock } from './context.js';
import type { ApproleContext } from './context.js';
import { ROLE_FOLDER, roleKey } from './layout.js';
import { claimRoleId, deleteRole, loadRole, releaseRoleId, requireRole } from './role-store.js';
import { roleBody, roleIdSchema } from './schemas.js';
import type { RoleBody, RoleSettings, StoredRole } from './schemas.js';

/** A role as `read` returns it: durations in seconds, as Vault does; never the role_id. */
export function roleView(role: StoredRole): JsonObject {
  return {
    bind_secret_id: role.bind_secret_id,
    secret_id_bound_cidrs: role.secret_id_bound_cidrs,
    secret_id_num_uses: role.secret_id_num_uses,
    secret_id_ttl: Math.floor(role.secret_id_ttl / 1000),
    local_secret_ids: role.local_secret_ids,
    ...tokenFieldsView(role),
  };
}

/** Schema of `roleView`, for OpenAPI. */
const roleViewSchema = z.object({
  bind_secret_id: z.boolean(),
  secret_id_bound_cidrs: z.array(z.string()),
  secret_id_num_uses: z.int(),
  secret_id_ttl: z.int().describe('Seconds; 0 never expires.'),
  local_secret_ids: z.boolean(),
  ...tokenFieldsViewShape,
});

/**
 * The settings a write leaves a role with: fields in the body win; the rest keep their
 * stored value (or their default, for a new role).
 */
function mergeSettings(body: RoleBody, provided: ReadonlySet<string>, existing: StoredRole | null): RoleSettings {
  const pick = <K extends keyof RoleSettings>(key: K): RoleSettings[K] =>
    existing === null || provided.has(key) ? body[key] : existing[key];
  return {
    bind_secret_id: pick('bind_secret_id'),
    secret_id_bound_cidrs: pick('secret_id_bound_cidrs'),
    secret_id_num_uses: pick('secret_id_num_uses'),
    secret_id_ttl: pick('secret_id_ttl'),
    local_secret_ids: pick('local_secret_ids'),
    token_policies: pick('token_policies'),
    token_ttl: pick('token_ttl'),
    token_max_ttl: pick('token_max_ttl'),
    token_period: pick('token_period'),
    token_num_uses: pick('token_num_uses'),
    token_bound_cidrs: pick('token_bound_cidrs'),
    token_no_default_policy: pick('token_no_default_policy'),
  };
}

/** Refuses a role that would let anyone who knows its role_id log in from anywhere. */
function assertConstrained(settings: RoleSettings): void {
  if (!settings.bind_secret_id && settings.secret_id_bound_cidrs.length === 0 && settings.token_bound_cidrs.length === 0) {
    const reason = 'a role needs at least one of bind_secret_id, secret_id_bound_cidrs or token_bound_cidrs';
    throw new ValidationError(`invalid request: bind_secret_id ${reason}`, [{ field: 'bind_secret_id', reason }]);
  }
  const ttl = ttlProblem(settings);
  if (ttl !== null) throw new ValidationError(`invalid request: token_ttl ${ttl}`, [{ field: 'token_ttl', reason: ttl }]);
}

/** Stores role `name` with `roleId`, moving the role-id index when it changes (role lock held). */
async function saveRole(ctx: ApproleContext, name: string, settings: RoleSettings, existing: StoredRole | null, roleId: string): Promise<void> {
  if (existing?.role_id !== roleId) await claimRoleId(ctx, name, roleId);
  const role: StoredRole = { role_id: roleId, ...settings };
  await saveJson(ctx.storage, roleKey(name), role);
  if (existing !== null && existing.role_id !== roleId) await releaseRoleId(ctx, name, existing.role_id);
}

const listRolesOperation = approle.defineOperation({
  summary: 'List roles',
  body: noBody,
  query: listQuery,
  response: listResponse,
  handler: (ctx) => listPage(ctx.storage, ROLE_FOLDER, ctx.query),
});

const readRoleOperation = approle.defineOperation({
  summary: 'Read a role',
  description: 'Returns the role\'s settings (durations in seconds). The role_id has its own path; secret ids are never returned.',
  body: noBody,
  query: noQuery,
  response: roleViewSchema,
  async handler(ctx) {
    const role = await requireRole(ctx, roleNameParam(ctx.params));
    return { data: roleView(role), cache: 'no-store' };
  },
});

const writeRoleOperation = approle.defineOperation({
  summary: 'Create or update a role',
  description:
    'Creates the role (with a random role_id unless one is given) or updates the fields given, keeping the others. A role must bind secret ids or CIDR blocks.',
  body: roleBody,
  query: noQuery,
  async handler(ctx) {
    const name = roleNameParam(ctx.params);
    const provided = new Set(Object.keys(ctx.req.data));
    await ctx.state.locks.run(roleLock(name), async () => {
      const existing = await loadRole(ctx, name);
      const settings = mergeSettings(ctx.body, provided, existing);
      assertConstrained(settings);
      await saveRole(ctx, name, settings, existing, ctx.body.role_id ?? existing?.role_id ?? ctx.runtime.randomUUID());
    });
    return { status: 204 };
  },
});

const deleteRoleOperation = approle.defineOperation({
  summary: 'Delete a role',
  description: 'Deletes the role with all its secret ids. Deleting a role that does not exist succeeds.',
  body: noBody,
  query: noQuery,
  async handler(ctx) {
    const name = roleNameParam(ctx.params);
    await ctx.state.locks.run(roleLock(name), async () => {
      const role = await loadRole(ctx, name);
      if (role !== null) await deleteRole(ctx, name, role);
    });
    return { status: 204 };
  },
});

/** `role`: list the roles. */
export const rolesPath = approle.definePath({
  pattern: 'role',
  help: { synopsis: 'The roles of this AppRole mount.', description: 'Lists role names, sorted, a page at a time.' },
  operations: { list: listRolesOperation },
});

/** `role/{name}`: one role. */
export const rolePath = approle.definePath({
  pattern: 'role/{name}',
  help: {
    synopsis: 'One AppRole role.',
    description:
      'A role says how its credentials are checked (bind_secret_id, secret_id_bound_cidrs, secret id uses and TTL) and which tokens a login issues (token_* fields).',
  },
  async exists(ctx) {
    const name = roleNameOrNull(ctx.params);
    return name !== null && (await loadRole(ctx, name)) !== null;
  },
  operations: {
    read: readRoleOperation,
    create: writeRoleOperation,
    update: writeRoleOperation,
    delete: deleteRoleOperation,
  },
});

/** `role/{name}/role-id`: read or set the role_id. */
export const roleIdPath = approle.definePath({
  pattern: 'role/{name}/role-id',
  help: {
    synopsis: "A role's role_id.",
    description: 'The role_id identifies the role at login. Reads return it; writes set a custom one, unique across the roles of the mount (409 otherwise).',
  },
  operations: {
    read: approle.defineOperation({
      summary: "Read a role's role_id",
      body: noBody,
      query: noQuery,
      response: z.object({ role_id: z.string() }),
      async handler(ctx) {
        const role = await requireRole(ctx, roleNameParam(ctx.params));
        return { data: { role_id: role.role_id }, cache: 'no-store' };
      },
    }),
    update: approle.defineOperation({
      summary: "Set a role's role_id",
      body: z.strictObject({ role_id: roleIdSchema }),
      query: noQuery,
      async handler(ctx) {
        const name = roleNameParam(ctx.params);
        await ctx.state.locks.run(roleLock(name), async () => {
          const role = await requireRole(ctx, name);
          const { role_id: _old, ...settings } = role;
          await saveRole(ctx, name, settings, role, ctx.body.role_id);
        });
        return { status: 204 };
      },
    }),
  },
});
