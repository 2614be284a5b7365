/**
 * `cache-config`: the size of the mount's key caches, as Vault's. Keygate's caches are
 * always bounded: size 0 (Vault: unlimited) means the default of 1,000 entries. A new size
 * applies at once (Vault applies it on the next mount reload).
 */

import { z } from 'zod';
import { noBody, noQuery } from '../framework/engine-kit.js';
import { transit } from './context.js';
import { fieldError } from './field-error.js';
import { intField } from './fields.js';
import { DEFAULT_CACHE_SIZE, MAX_CACHE_SIZE, MIN_CACHE_SIZE } from './key-ring.js';

/** `read` on `cache-config`. */
export const readCacheConfigOperation = transit.defineOperation({
  summary: 'Read the cache size',
  description: `The number of keys (policies) and key versions each cache holds; 0 means the default, ${DEFAULT_CACHE_SIZE}.`,
  body: noBody,
  query: noQuery,
  response: z.object({ size: z.int() }),
  async handler(ctx) {
    return { data: { size: await ctx.state.keys.cacheSize() }, cache: 'no-store' };
  },
});

/** `update` on `cache-config`. */
export const writeCacheConfigOperation = transit.defineOperation({
  summary: 'Set the cache size',
  description: `Sets how many keys and key versions the caches hold: 0 (the default, ${DEFAULT_CACHE_SIZE}) or ${MIN_CACHE_SIZE} to ${MAX_CACHE_SIZE}. Applies at once; the caches restart empty.`,
  body: z.object({ size: intField(0, MAX_CACHE_SIZE, `0 (default: ${DEFAULT_CACHE_SIZE}) or ${MIN_CACHE_SIZE}–${MAX_CACHE_SIZE}.`) }),
  query: noQuery,
  async handler(ctx) {
    const { size } = ctx.body;
    if (size !== 0 && size < MIN_CACHE_SIZE) throw fieldError('size', `must be 0 or at least ${MIN_CACHE_SIZE}`);
    await ctx.state.keys.setCacheSize(size);
    return { status: 204 };
  },
});
