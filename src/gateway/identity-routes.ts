/**
 * `/api/v1/identity/entity/…`: read the identity entities that logins create, and set
 * their name and metadata (what `{{identity.entity.name}}` and
 * `{{identity.entity.metadata.KEY}}` render in templated policies).
 */

import { z } from 'zod';
import { NotFoundError } from '../core/index.js';
import type { Entity } from '../core/index.js';
import { defineRoute } from './api-route.js';
import type { ApiRoute } from './api-route.js';

const entitySchema = z.object({
  id: z.string(),
  name: z.string(),
  metadata: z.record(z.string(), z.string()),
  aliases: z.array(z.object({ mount_accessor: z.string(), mount_type: z.string(), name: z.string(), metadata: z.record(z.string(), z.string()) })),
});

const updateSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'letters, digits, ".", "_", "@", "-"')
    .optional(),
  metadata: z
    .record(z.string().min(1).max(128), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 64, 'at most 64 entries')
    .optional()
    .describe('Replaces the entity metadata whole.'),
});

const shape = (e: Entity) => ({
  id: e.id,
  name: e.name,
  metadata: e.metadata,
  aliases: e.aliases.map((a) => ({ mount_accessor: a.mountAccessor, mount_type: a.mountType, name: a.name, metadata: a.metadata ?? {} })),
});

export const identityRoutes: readonly ApiRoute[] = [
  defineRoute({
    method: 'LIST',
    path: '/api/v1/identity/entity/id',
    summary: 'List entities',
    description: 'Entity ids (GET with ?list=true, or LIST), paged with `after` and `limit`. Needs list on identity/entity/id/.',
    tag: 'identity',
    auth: 'token',
    capability: 'list',
    sealed: false,
    response: z.object({ data: z.object({ keys: z.array(z.string()) }) }),
    handler: async ({ core, query }) => {
      const limit = query.limit === undefined ? 1000 : Math.min(Math.max(Number(query.limit) || 1, 1), 1000);
      const keys = await core.entities.list({ limit, ...(query.after === undefined ? {} : { after: query.after }) });
      return { status: 200, body: { data: { keys } } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/identity/entity/id/{id}',
    summary: 'Read an entity',
    description: 'Needs read on identity/entity/id/<id>.',
    tag: 'identity',
    auth: 'token',
    capability: 'read',
    sealed: false,
    response: z.object({ data: entitySchema }),
    handler: async ({ core, params }) => {
      const entity = await core.entities.get(params.id ?? '');
      if (entity === null) throw new NotFoundError('no such entity');
      return { status: 200, body: { data: shape(entity) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/identity/entity/id/{id}',
    summary: 'Update an entity',
    description: 'Sets the entity\'s name and/or metadata. Needs update on identity/entity/id/<id>.',
    tag: 'identity',
    auth: 'token',
    capability: 'update',
    sealed: false,
    body: updateSchema,
    response: z.object({ data: entitySchema }),
    handler: async ({ core, params, body }) => {
      const entity = await core.entities.update(params.id ?? '', body);
      return { status: 200, body: { data: shape(entity) } };
    },
  }),
];
