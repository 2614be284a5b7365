/**
 * `role/{name}/secret-id` and its lookup and destroy paths: generating secret ids
 * (returned once, never stored), listing their accessors, looking them up and destroying
 * them by value or by accessor.
 */

import { z } from 'zod';
import { NotFoundError, ValidationError, sensitive, toHex } from '../../../core/index.js';
import type { JsonObject } from '../../../core/index.js';
import { noBody, noQuery } from '../../../native-engines/framework/index.js';
import { listPage, listQuery, listResponse } from '../list-page.js';
import { roleNameParam } from '../role-param.js';
import { cidrsWithin } from './cidr-within.js';
import { approle, roleLock } from './context.js';
import type { ApprolePathContext } from './context.js';
import { accessorFolder, accessorKey } from './layout.js';
import { requireRole } from './role-store.js';
import { accessorBody, generateBody, secretIdBody } from './schemas.js';
import type { StoredSecretId } from './schemas.js';
import { destroySecretId, findSecretId, hmacForAccessor, secretIdHmac, storeSecretId } from './secret-id-store.js';
import type { FoundSecretId } from './secret-id-store.js';

/** Secret ids are 256 bits from the secure RNG, as 64 hex characters. */
const SECRET_ID_BYTES = 32;

const seconds = (ms: number): number => Math.floor(ms / 1000);
const iso = (ms: number): string => new Date(ms).toISOString();

function refuse(field: string, reason: string): ValidationError {
  return new ValidationError(`invalid request: ${field} ${reason}`, [{ field, reason }]);
}

/** What lookups return about a secret id: everything but the value, which is never stored. */
function secretIdView(entry: StoredSecretId): JsonObject {
  return {
    secret_id_accessor: entry.accessor,
    creation_time: iso(entry.created_ms),
    last_updated_time: iso(entry.updated_ms),
    expiration_time: entry.expires_ms === null ? null : iso(entry.expires_ms),
    secret_id_ttl: seconds(entry.ttl_ms),
    secret_id_num_uses: entry.num_uses,
    cidr_list: entry.cidr_list,
    token_bound_cidrs: entry.token_bound_cidrs,
    metadata: entry.metadata,
  };
}

/** The secret id record an accessor names (unexpired), or null. */
async function findByAccessor(ctx: ApprolePathContext, role: string, accessor: string): Promise<FoundSecretId | null> {
  const hmac = await hmacForAccessor(ctx, role, accessor);
  return hmac === null ? null : findSecretId(ctx, role, hmac);
}

const generateOperation = approle.defineOperation({
  summary: 'Generate a secret id',
  description:
    "Generates a secret id for the role and returns it once, with its accessor. Only its HMAC is stored. cidr_list, token_bound_cidrs, num_uses and ttl may narrow the role's settings, never widen them.",
  body: generateBody,
  query: noQuery,
  response: z.object({
    secret_id: z.string(),
    secret_id_accessor: z.string(),
    secret_id_ttl: z.int(),
    secret_id_num_uses: z.int(),
  }),
  sensitive: ['secret_id'],
  async handler(ctx) {
    const name = roleNameParam(ctx.params);
    const body = ctx.body;
    return ctx.state.locks.run(roleLock(name), async () => {
      const role = await requireRole(ctx, name);
      const cidrList = body.cidr_list ?? [];
      if (!cidrsWithin(cidrList, role.secret_id_bound_cidrs)) throw refuse('cidr_list', "must lie within the role's secret_id_bound_cidrs");
      const tokenCidrs = body.token_bound_cidrs ?? [];
      if (!cidrsWithin(tokenCidrs, role.token_bound_cidrs)) throw refuse('token_bound_cidrs', "must lie within the role's token_bound_cidrs");
      const ttlMs = body.ttl !== undefined && body.ttl > 0 ? body.ttl : role.secret_id_ttl;
      if (role.secret_id_ttl > 0 && ttlMs > role.secret_id_ttl) throw refuse('ttl', "must not be longer than the role's secret_id_ttl");
      const numUses = body.num_uses !== undefined && body.num_uses > 0 ? body.num_uses : role.secret_id_num_uses;
      if (role.secret_id_num_uses > 0 && numUses > role.secret_id_num_uses) throw refuse('num_uses', "must not exceed the role's secret_id_num_uses");

      const secretId = toHex(ctx.runtime.randomBytes(SECRET_ID_BYTES));
      const nowMs = ctx.runtime.now();
      const entry: StoredSecretId = {
        hmac: await secretIdHmac(ctx, secretId),
        accessor: ctx.runtime.randomUUID(),
        created_ms: nowMs,
        updated_ms: nowMs,
        expires_ms: ttlMs > 0 ? nowMs + ttlMs : null,
        ttl_ms: ttlMs,
        num_uses: numUses,
        cidr_list: cidrList,
        token_bound_cidrs: tokenCidrs,
        metadata: body.metadata ?? {},
      };
      await storeSecretId(ctx, name, entry);
      return {
        data: {
          secret_id: sensitive(secretId),
          secret_id_accessor: entry.accessor,
          secret_id_ttl: seconds(ttlMs),
          secret_id_num_uses: numUses,
        },
        cache: 'no-store',
      };
    });
  },
});

const listAccessorsOperation = approle.defineOperation({
  summary: "List a role's secret id accessors",
  body: noBody,
  query: listQuery,
  response: listResponse,
  async handler(ctx) {
    const name = roleNameParam(ctx.params);
    await requireRole(ctx, name);
    return listPage(ctx.storage, accessorFolder(name), ctx.query);
  },
});

/** `role/{name}/secret-id`: generate (write) and list accessors. */
export const secretIdPath = approle.definePath({
  pattern: 'role/{name}/secret-id',
  help: {
    synopsis: "A role's secret ids.",
    description: 'A write generates a secret id (returned once). A list returns the accessors of the role\'s secret ids.',
  },
  operations: { create: generateOperation, update: generateOperation, list: listAccessorsOperation },
});

const lookupOperation = approle.defineOperation({
  summary: 'Look up a secret id',
  description: 'Returns what is known about a secret id of the role (never the value). 404 when it does not exist or has expired.',
  body: secretIdBody,
  query: noQuery,
  sensitive: ['secret_id'],
  async handler(ctx) {
    const name = roleNameParam(ctx.params);
    await requireRole(ctx, name);
    const found = await findSecretId(ctx, name, await secretIdHmac(ctx, ctx.body.secret_id));
    if (found === null) throw new NotFoundError('no such secret id');
    return { data: secretIdView(found.entry), cache: 'no-store' };
  },
});

const destroyOperation = approle.defineOperation({
  summary: 'Destroy a secret id',
  description: 'Destroys a secret id of the role. Destroying one that does not exist succeeds.',
  body: secretIdBody,
  query: noQuery,
  sensitive: ['secret_id'],
  async handler(ctx) {
    const name = roleNameParam(ctx.params);
    await destroySecretId(ctx, name, await secretIdHmac(ctx, ctx.body.secret_id));
    return { status: 204 };
  },
});

/** `role/{name}/secret-id/lookup`. */
export const secretIdLookupPath = approle.definePath({
  pattern: 'role/{name}/secret-id/lookup',
  help: { synopsis: 'Look up a secret id by value.', description: 'POST {"secret_id": …}: its accessor, TTL, uses left, CIDR bindings and metadata.' },
  operations: { update: lookupOperation },
});

/** `role/{name}/secret-id/destroy`. */
export const secretIdDestroyPath = approle.definePath({
  pattern: 'role/{name}/secret-id/destroy',
  help: { synopsis: 'Destroy a secret id by value.', description: 'POST or DELETE {"secret_id": …}.' },
  operations: { update: destroyOperation, delete: destroyOperation },
});

const accessorLookupOperation = approle.defineOperation({
  summary: 'Look up a secret id by accessor',
  description: 'Returns what is known about the secret id the accessor names (never the value). 404 when it does not exist or has expired.',
  body: accessorBody,
  query: noQuery,
  async handler(ctx) {
    const name = roleNameParam(ctx.params);
    await requireRole(ctx, name);
    const found = await findByAccessor(ctx, name, ctx.body.secret_id_accessor);
    if (found === null) throw new NotFoundError('no such secret id accessor');
    return { data: secretIdView(found.entry), cache: 'no-store' };
  },
});

const accessorDestroyOperation = approle.defineOperation({
  summary: 'Destroy a secret id by accessor',
  description: 'Destroys the secret id the accessor names. Destroying one that does not exist succeeds.',
  body: accessorBody,
  query: noQuery,
  async handler(ctx) {
    const name = roleNameParam(ctx.params);
    const accessor = ctx.body.secret_id_accessor;
    const hmac = await hmacForAccessor(ctx, name, accessor);
    if (hmac !== null) await destroySecretId(ctx, name, hmac);
    // A stale index entry (its secret id already gone) goes too.
    await ctx.storage.delete(accessorKey(name, accessor));
    return { status: 204 };
  },
});

/** `role/{name}/secret-id-accessor/lookup`. */
export const accessorLookupPath = approle.definePath({
  pattern: 'role/{name}/secret-id-accessor/lookup',
  help: { synopsis: 'Look up a secret id by accessor.', description: 'POST {"secret_id_accessor": …}.' },
  operations: { update: accessorLookupOperation },
});

/** `role/{name}/secret-id-accessor/destroy`. */
export const accessorDestroyPath = approle.definePath({
  pattern: 'role/{name}/secret-id-accessor/destroy',
  help: { synopsis: 'Destroy a secret id by accessor.', description: 'POST or DELETE {"secret_id_accessor": …}.' },
  operations: { update: accessorDestroyOperation, delete: accessorDestroyOperation },
});
