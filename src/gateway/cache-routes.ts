/**
 * `/api/v1/sys/cache`: the read cache's counters, and purging it (docs/cache.md). Both are
 * root-protected (`sudo` on their path), like Vault's operator endpoints.
 */

import { z } from 'zod';
import { NotFoundError, SealedError, ValidationError } from '../core/index.js';
import type { Invalidation } from '../cache/index.js';
import { normalizeMountPath } from '../router/index.js';
import { defineRoute } from './api-route.js';
import type { ApiRoute } from './api-route.js';

const statusSchema = z.object({
  data: z.object({
    enabled: z.boolean().describe('cache.enabled in the configuration.'),
    entries: z.int(),
    bytes: z.int().describe('Estimated bytes held.'),
    max_entries: z.int(),
    max_bytes: z.int(),
    hits: z.int(),
    misses: z.int(),
    coalesced: z.int().describe('Misses answered by a concurrent caller\'s backend call.'),
    loads: z.int().describe('Backend calls made through the cache.'),
    stale_served: z.int(),
    negative_hits: z.int(),
    bypassed: z.int(),
    uncacheable: z.int(),
    evictions: z.int(),
    invalidations: z.int(),
  }),
});

const purgeBodySchema = z.strictObject({
  mount: z.string().max(129).optional().describe('Only this mount (its path, e.g. "aws/"; "" is the default route).'),
  path: z.string().min(1).max(4096).optional().describe('Only this secret (relative to the mount), with its versions, metadata and parent listings. Needs `mount`.'),
});

export const cacheRoutes: readonly ApiRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/sys/cache',
    summary: 'Read cache status',
    description: 'Entries, estimated bytes and counters of this replica\'s read cache (docs/cache.md). Needs read and sudo on sys/cache.',
    tag: 'sys',
    auth: 'token',
    capability: 'read',
    sudo: true,
    sealed: false,
    response: statusSchema,
    handler: async ({ core }) => {
      const s = core.readCache.stats();
      return {
        status: 200,
        body: {
          data: {
            enabled: core.config.cache.enabled,
            entries: s.entries,
            bytes: s.bytes,
            max_entries: s.maxEntries,
            max_bytes: s.maxBytes,
            hits: s.hits,
            misses: s.misses,
            coalesced: s.coalesced,
            loads: s.loads,
            stale_served: s.staleServed,
            negative_hits: s.negativeHits,
            bypassed: s.bypassed,
            uncacheable: s.uncacheable,
            evictions: s.evictions,
            invalidations: s.invalidations,
          },
        },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/sys/cache/purge',
    summary: 'Purge the read cache',
    description:
      'Drops cached answers: everything, one mount\'s ({"mount": "aws/"}) or one secret\'s ({"mount": "aws/", "path": "app/db"}). Goes through the invalidation bus, so every replica on a shared bus purges. Needs update and sudo on sys/cache/purge.',
    tag: 'sys',
    auth: 'token',
    capability: 'update',
    sudo: true,
    sealed: false,
    body: purgeBodySchema,
    handler: async ({ core, body }) => {
      if (core.barrier.sealed) throw new SealedError();
      let invalidation: Invalidation = { kind: 'all' };
      if (body.mount !== undefined) {
        const wanted = normalizeMountPath(body.mount, 'mount');
        const entry = core.mounts.list().find((m) => m.path === wanted);
        if (entry === undefined) throw new NotFoundError(`no mount at "${wanted}"`);
        invalidation = body.path === undefined ? { kind: 'mount', mountId: entry.id } : { kind: 'path', mountId: entry.id, path: body.path.replace(/^\/+|\/+$/g, '') };
      } else if (body.path !== undefined) {
        throw new ValidationError('"path" needs "mount"', [{ field: 'mount', reason: 'is required with path' }]);
      }
      await core.invalidations.publish(invalidation);
      return { status: 204 };
    },
  }),
];
