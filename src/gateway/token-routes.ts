/**
 * `/api/v1/auth/token/…`: Vault's token API. Child tokens, orphans, lookup, renew and
 * revoke by token or accessor. Authorized on `auth/token/…` like every other route; the
 * default policy grants the `-self` ones.
 */

import { z } from 'zod';
import { GatewayError, NotFoundError, PermissionDeniedError, ttlSchema } from '../core/index.js';
import type { JsonObject, Principal } from '../core/index.js';
import { cidrListSchema, policyListSchema } from '../auth/index.js';
import type { TokenRecord } from '../auth/index.js';
import { defineRoute } from './api-route.js';
import type { ApiRoute, RouteContext } from './api-route.js';
import type { KeygateCore } from './keygate.js';

const metaSchema = z
  .record(z.string().max(128), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 64, 'at most 64 entries')
  .describe('Token metadata (not secret: it appears in lookups and audit).');

const createBodySchema = z.strictObject({
  policies: policyListSchema.optional().describe('Defaults to the parent\'s policies; otherwise a subset of them unless the caller is root or has sudo on auth/token/create.'),
  meta: metaSchema.optional(),
  no_parent: z.boolean().default(false).describe('Make an orphan (root or sudo only; or use create-orphan).'),
  no_default_policy: z.boolean().default(false),
  ttl: ttlSchema.optional(),
  explicit_max_ttl: ttlSchema.optional(),
  period: ttlSchema.optional().describe('Periodic token (root or sudo only).'),
  num_uses: z.int().min(0).max(1_000_000).default(0),
  renewable: z.boolean().default(true),
  display_name: z.string().max(128).default('token'),
  bound_cidrs: cidrListSchema.optional(),
});
type CreateBody = z.infer<typeof createBodySchema>;

const tokenBody = z.strictObject({ token: z.string().min(1).max(256).meta({ sensitive: true }) });
const accessorBody = z.strictObject({ accessor: z.string().min(1).max(64) });
const incrementShape = { increment: ttlSchema.optional().describe('Requested extension; capped by the token\'s maximum.') };
const renewTokenBody = z.strictObject({ ...tokenBody.shape, ...incrementShape });
const renewAccessorBody = z.strictObject({ ...accessorBody.shape, ...incrementShape });
const renewSelfBody = z.strictObject(incrementShape);

const authEnvelopeSchema = z.object({
  auth: z.object({
    client_token: z.string(),
    accessor: z.string(),
    policies: z.array(z.string()),
    token_policies: z.array(z.string()),
    metadata: z.record(z.string(), z.string()),
    lease_duration: z.int(),
    renewable: z.boolean(),
    entity_id: z.string(),
    orphan: z.boolean(),
  }),
});

/** Vault's token lookup shape; `id` only when the caller presented the token itself. */
function lookupData(core: KeygateCore, record: TokenRecord, token: string | null): JsonObject {
  const now = core.runtime.now();
  const secs = (ms: number) => Math.round(ms / 1000);
  return {
    ...(token === null ? {} : { id: token }),
    accessor: record.accessor,
    policies: record.policies,
    meta: record.meta,
    display_name: record.display_name,
    entity_id: record.entity_id,
    path: record.path,
    creation_time: secs(record.created_at),
    creation_ttl: secs(record.ttl_ms),
    expire_time: record.expires_at === 0 ? null : new Date(record.expires_at).toISOString(),
    ttl: record.expires_at === 0 ? 0 : Math.max(0, secs(record.expires_at - now)),
    explicit_max_ttl: secs(record.explicit_max_ttl_ms),
    period: secs(record.period_ms),
    num_uses: record.num_uses,
    orphan: record.parent === '',
    renewable: record.renewable,
    bound_cidrs: record.bound_cidrs,
    type: 'service',
  };
}

const requireToken = <T>(ctx: RouteContext<T>): { principal: Principal; token: TokenRecord } => {
  if (ctx.principal === null || ctx.token === null) throw new GatewayError('ERR_INTERNAL', 'no caller');
  return { principal: ctx.principal, token: ctx.token };
};

const isRoot = (record: TokenRecord) => record.policies.includes('root');

/** Whether the caller also has sudo on `auth/token/create`, which lifts the subset rule and allows orphans and periods. */
async function hasSudo(core: KeygateCore, principal: Principal): Promise<boolean> {
  try {
    await core.authorizer.authorize(principal, 'auth/token/create', 'update', { sudo: true });
    return true;
  } catch (err) {
    if (err instanceof PermissionDeniedError) return false;
    throw err;
  }
}

async function createChild(core: KeygateCore, ctx: RouteContext<CreateBody>, orphan: boolean) {
  const { principal, token: parent } = requireToken(ctx);
  const body = ctx.body;
  const privileged = isRoot(parent) || (await hasSudo(core, principal));
  const inherited = parent.policies.filter((p) => p !== 'default' || !body.no_default_policy);
  const requested = body.policies ?? inherited;
  if (!isRoot(parent)) {
    if (requested.includes('root')) throw new PermissionDeniedError('only a root token can create a root token');
    if (!privileged) {
      const outside = requested.filter((p) => p !== 'default' && !parent.policies.includes(p));
      if (outside.length > 0) throw new PermissionDeniedError('child token policies must be a subset of the parent\'s');
    }
  }
  if ((body.no_parent && !orphan) || body.period !== undefined) {
    if (!privileged) throw new PermissionDeniedError(body.period !== undefined ? 'periodic tokens need root or sudo' : 'orphan tokens need root or sudo, or auth/token/create-orphan');
  }
  // A root token carries `root` alone (an ACL mixing root with others grants nothing, as in Vault).
  const policies = requested.includes('root') ? ['root'] : body.no_default_policy ? requested.filter((p) => p !== 'default') : [...new Set([...requested, 'default'])];
  const { token, record } = await core.tokens.create({
    policies,
    meta: body.meta ?? {},
    displayName: `token-${body.display_name}`,
    entityId: parent.entity_id,
    parent: orphan || body.no_parent ? null : parent,
    path: orphan ? 'auth/token/create-orphan' : 'auth/token/create',
    ...(body.ttl === undefined ? {} : { ttlMs: body.ttl }),
    ...(body.explicit_max_ttl === undefined ? {} : { explicitMaxTtlMs: body.explicit_max_ttl }),
    ...(body.period === undefined ? {} : { periodMs: body.period }),
    numUses: body.num_uses,
    renewable: body.renewable,
    ...(body.bound_cidrs === undefined ? {} : { boundCidrs: body.bound_cidrs }),
  });
  return { status: 200 as const, body: { auth: core.envelope(token, record) } };
}

async function mustLookup(core: KeygateCore, token: string): Promise<TokenRecord> {
  const record = await core.tokens.lookup(token);
  if (record === null) throw new NotFoundError('token not found');
  return record;
}

async function mustLookupAccessor(core: KeygateCore, accessor: string): Promise<TokenRecord> {
  const record = await core.tokens.lookupAccessor(accessor);
  if (record === null) throw new NotFoundError('token not found');
  return record;
}

async function renewed(core: KeygateCore, record: TokenRecord, increment: number | undefined) {
  const { record: next, capped } = await core.tokens.renew(record, increment);
  const envelope = core.envelope('', next);
  const { client_token: _omitted, ...auth } = envelope;
  return {
    status: 200 as const,
    body: { auth, ...(capped ? { warnings: ['TTL of the token is capped by its maximum TTL'] } : {}) },
  };
}

const route = {
  tag: 'token',
  auth: 'token' as const,
  sealed: false,
};

/** The token routes, in match order. */
export const tokenRoutes: readonly ApiRoute[] = [
  defineRoute({
    ...route,
    method: 'POST',
    path: '/api/v1/auth/token/create',
    summary: 'Create a child token',
    description: 'A token whose parent is the caller: revoked with it. Policies default to the caller\'s. Needs update on auth/token/create.',
    capability: 'update',
    body: createBodySchema,
    response: authEnvelopeSchema,
    handler: (ctx) => createChild(ctx.core, ctx, false),
  }),
  defineRoute({
    ...route,
    method: 'POST',
    path: '/api/v1/auth/token/create-orphan',
    summary: 'Create an orphan token',
    description: 'A token with no parent: it outlives the caller. Needs update on auth/token/create-orphan.',
    capability: 'update',
    body: createBodySchema,
    response: authEnvelopeSchema,
    handler: (ctx) => createChild(ctx.core, ctx, true),
  }),
  defineRoute({
    ...route,
    method: 'GET',
    path: '/api/v1/auth/token/lookup-self',
    summary: 'Look up the caller\'s token',
    description: 'Needs read on auth/token/lookup-self (the default policy grants it).',
    capability: 'read',
    handler: async (ctx) => {
      const { token } = requireToken(ctx);
      return { status: 200, body: { data: lookupData(ctx.core, token, null) } };
    },
  }),
  defineRoute({
    ...route,
    method: 'POST',
    path: '/api/v1/auth/token/lookup',
    summary: 'Look up a token',
    description: 'Needs update on auth/token/lookup.',
    capability: 'update',
    body: tokenBody,
    handler: async ({ core, body }) => ({ status: 200, body: { data: lookupData(core, await mustLookup(core, body.token), null) } }),
  }),
  defineRoute({
    ...route,
    method: 'POST',
    path: '/api/v1/auth/token/lookup-accessor',
    summary: 'Look up a token by accessor',
    description: 'Everything but the token itself. Needs update on auth/token/lookup-accessor.',
    capability: 'update',
    body: accessorBody,
    handler: async ({ core, body }) => ({ status: 200, body: { data: lookupData(core, await mustLookupAccessor(core, body.accessor), null) } }),
  }),
  defineRoute({
    ...route,
    method: 'POST',
    path: '/api/v1/auth/token/renew-self',
    summary: 'Renew the caller\'s token',
    description: 'Extends its TTL by `increment` (default: its creation TTL), never past its maximum. Needs update on auth/token/renew-self.',
    capability: 'update',
    body: renewSelfBody,
    handler: async (ctx) => renewed(ctx.core, requireToken(ctx).token, ctx.body.increment),
  }),
  defineRoute({
    ...route,
    method: 'POST',
    path: '/api/v1/auth/token/renew',
    summary: 'Renew a token',
    description: 'Needs update on auth/token/renew.',
    capability: 'update',
    body: renewTokenBody,
    handler: async ({ core, body }) => renewed(core, await mustLookup(core, body.token), body.increment),
  }),
  defineRoute({
    ...route,
    method: 'POST',
    path: '/api/v1/auth/token/renew-accessor',
    summary: 'Renew a token by accessor',
    description: 'Needs update on auth/token/renew-accessor.',
    capability: 'update',
    body: renewAccessorBody,
    handler: async ({ core, body }) => renewed(core, await mustLookupAccessor(core, body.accessor), body.increment),
  }),
  defineRoute({
    ...route,
    method: 'POST',
    path: '/api/v1/auth/token/revoke-self',
    summary: 'Revoke the caller\'s token',
    description: 'And every token below it. Returns once every replica refuses them. Needs update on auth/token/revoke-self.',
    capability: 'update',
    handler: async (ctx) => {
      await ctx.core.tokens.revoke(requireToken(ctx).token);
      return { status: 204 };
    },
  }),
  defineRoute({
    ...route,
    method: 'POST',
    path: '/api/v1/auth/token/revoke',
    summary: 'Revoke a token',
    description: 'And every token below it. Returns once every replica refuses them. Needs update on auth/token/revoke.',
    capability: 'update',
    body: tokenBody,
    handler: async ({ core, body }) => {
      const record = await core.tokens.lookup(body.token);
      if (record !== null) await core.tokens.revoke(record);
      return { status: 204 };
    },
  }),
  defineRoute({
    ...route,
    method: 'POST',
    path: '/api/v1/auth/token/revoke-accessor',
    summary: 'Revoke a token by accessor',
    description: 'Without knowing the token. Needs update on auth/token/revoke-accessor.',
    capability: 'update',
    body: accessorBody,
    handler: async ({ core, body }) => {
      const record = await core.tokens.lookupAccessor(body.accessor);
      if (record !== null) await core.tokens.revoke(record);
      return { status: 204 };
    },
  }),
  defineRoute({
    ...route,
    method: 'POST',
    path: '/api/v1/auth/token/revoke-orphan',
    summary: 'Revoke a token, orphaning its children',
    description: 'Its children become orphans instead of being revoked. Needs update and sudo on auth/token/revoke-orphan.',
    capability: 'update',
    sudo: true,
    body: tokenBody,
    handler: async ({ core, body }) => {
      const record = await core.tokens.lookup(body.token);
      if (record !== null) await core.tokens.revoke(record, { orphanChildren: true });
      return { status: 204 };
    },
  }),
  defineRoute({
    ...route,
    method: 'LIST',
    path: '/api/v1/auth/token/accessors',
    summary: 'List token accessors',
    description: 'Sorted, paged with `after` and `limit` (GET with ?list=true, or LIST). Needs list and sudo on auth/token/accessors/.',
    capability: 'list',
    sudo: true,
    response: z.object({ data: z.object({ keys: z.array(z.string()) }) }),
    handler: async ({ core, query }) => {
      const limit = query.limit === undefined ? undefined : Number(query.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) {
        throw new GatewayError('ERR_VALIDATION', 'limit must be 1..1000', { details: [{ field: 'limit', reason: 'must be an integer from 1 to 1000' }] });
      }
      const keys = await core.tokens.listAccessors({ ...(query.after === undefined ? {} : { after: query.after }), ...(limit === undefined ? {} : { limit }) });
      return { status: 200, body: { data: { keys } } };
    },
  }),
];
