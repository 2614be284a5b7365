/**
 * The role paths the JWT and Kubernetes methods share: `role` (list) and `role/{name}`
 * (read, create/update, delete). Role names are canonicalised (`role-param.ts`), so `CI`
 * and `ci` address one role. A write merges as Vault does: fields in the body replace the
 * stored ones, fields left out keep their stored value (or their default for a new role);
 * rules across fields are checked on the merged role. Authorization is the gateway's.
 */

import type { z } from 'zod';
import { NotFoundError, invalidInput } from '../../core/index.js';
import type { FieldIssue, OperationResponse, SafeJsonObject, Storage } from '../../core/index.js';
import { createKeyedMutex, noBody, noQuery } from '../../native-engines/framework/index.js';
import type { EngineKit, PathSpec } from '../../native-engines/framework/index.js';
import { listPage, listQuery, listResponse } from './list-page.js';
import type { AuthMethodOptions } from './request-timeout.js';
import { roleNameOrNull, roleNameParam } from './role-param.js';

/** Storage folder of roles. */
export const ROLE_FOLDER = 'role/';

/** Storage key of role `name` (a canonical role name). */
export function roleKey(name: string): string {
  return `${ROLE_FOLDER}${name}`;
}

/** How one method's roles are parsed, checked, stored and shown. */
export interface RolePathsSpec<Role extends object> {
  /** The method's name in help text, e.g. `JWT`. */
  method: string;
  /** Schema of a role write: every field, with defaults; cross-field rules are in `check`. */
  body: z.ZodType<Role>;
  /** Schema of a role read's `data`, for OpenAPI. */
  view: z.ZodType;
  /** Problems of a merged role across fields (e.g. "at least one binding"); empty when fine. */
  check(role: Role): FieldIssue[];
  /** The role as a read returns it (never secret material). */
  toView(role: Role): SafeJsonObject;
  load(storage: Pick<Storage, 'get'>, name: string): Promise<Role | null>;
  save(storage: Pick<Storage, 'put'>, name: string, role: Role): Promise<void>;
}

/** `body` over `existing`: the fields named in `provided` from the body, the rest as stored. */
export function mergeRole<Role extends object>(body: Role, existing: Role | null, provided: Iterable<string>): Role {
  if (existing === null) return body;
  const merged: Role = { ...existing };
  const given = new Set(provided);
  for (const [key, value] of Object.entries(body)) {
    if (given.has(key)) Reflect.set(merged, key, value);
  }
  return merged;
}

/** The `role` and `role/{name}` path specs for a method. */
export function defineRolePaths<State, Role extends object>(
  kit: EngineKit<AuthMethodOptions, State>,
  spec: RolePathsSpec<Role>,
): PathSpec<AuthMethodOptions, State>[] {
  // Serialises read-merge-write of one role within the process (keyed by mount and name).
  const locks = createKeyedMutex();
  const list = kit.definePath({
    pattern: 'role',
    help: { synopsis: `List ${spec.method} roles.`, description: 'Role names, sorted, one bounded page at a time.' },
    operations: {
      list: kit.defineOperation({
        summary: `List ${spec.method} roles`,
        body: noBody,
        query: listQuery,
        response: listResponse,
        handler: (ctx) => listPage(ctx.storage, ROLE_FOLDER, ctx.query),
      }),
    },
  });
  const one = kit.definePath({
    pattern: 'role/{name}',
    help: {
      synopsis: `One ${spec.method} role.`,
      description:
        'Read, write or delete a role. A write changes the fields it names and keeps the others (defaults for a new role). Names are case-insensitive.',
    },
    async exists(ctx) {
      const name = roleNameOrNull(ctx.params);
      return name !== null && (await ctx.storage.get(roleKey(name))) !== null;
    },
    operations: {
      read: kit.defineOperation({
        summary: `Read a ${spec.method} role`,
        body: noBody,
        query: noQuery,
        response: spec.view,
        async handler(ctx) {
          const role = await spec.load(ctx.storage, roleNameParam(ctx.params));
          if (role === null) throw new NotFoundError('role not found');
          return { data: spec.toView(role), cache: 'no-store' };
        },
      }),
      update: kit.defineOperation({
        summary: `Write a ${spec.method} role`,
        body: spec.body,
        query: noQuery,
        async handler(ctx) {
          const name = roleNameParam(ctx.params);
          return locks.run(`${ctx.req.mount.id}\n${name}`, async (): Promise<OperationResponse> => {
            const role = mergeRole(ctx.body, await spec.load(ctx.storage, name), Object.keys(ctx.req.data));
            const issues = spec.check(role);
            if (issues.length > 0) throw invalidInput('invalid request', issues);
            await spec.save(ctx.storage, name, role);
            return { status: 204 };
          });
        },
      }),
      delete: kit.defineOperation({
        summary: `Delete a ${spec.method} role`,
        body: noBody,
        query: noQuery,
        async handler(ctx) {
          await ctx.storage.delete(roleKey(roleNameParam(ctx.params)));
          return { status: 204 };
        },
      }),
    },
  });
  return [list, one];
}
