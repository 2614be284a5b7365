/**
 * Per-mount options the gateway applies around the backend (not the backend's own options):
 * the read cache's TTLs (docs/cache.md). Validated here so the config file, the mount table
 * and `POST sys/mounts/{path}` share one schema.
 */

import { z } from 'zod';
import { durationSchema, formatDuration, parseDuration } from '../core/index.js';
import type { MountCachePolicy } from '../core/index.js';

/** Longest a mount's answers may stay fresh. */
export const MAX_CACHE_TTL_MS = 24 * 3_600_000;
/** Longest a not-found answer may be remembered: negative caching is meant to be short. */
export const MAX_NEGATIVE_TTL_MS = 5 * 60_000;
/** Longest past freshness a stale answer may be served when the backend fails. */
export const MAX_STALE_IF_ERROR_MS = 7 * 24 * 3_600_000;

/** Default cache TTLs by kind of mount (docs/decisions/0013-read-cache.md). */
export const DEFAULT_CACHE_TTL_MS = {
  /** Native KV: every change goes through Keygate and invalidates; the TTL only bounds what another replica wrote. */
  kv: 60_000,
  /** Cloud stores: secrets also change outside Keygate (console, cloud-side rotation). */
  cloud: 30_000,
  /** Everything else (transit, future dynamic engines): off unless the mount asks. */
  other: 0,
} as const;

const bounded = (maxMs: number, what: string) =>
  durationSchema.refine((text) => (parseDuration(text) ?? Infinity) <= maxMs, `${what} must be at most ${formatDuration(maxMs)}`);

export const mountCacheOptionsSchema = z
  .strictObject({
    ttl: bounded(MAX_CACHE_TTL_MS, 'ttl').optional().describe('How long an answer stays fresh; "0s" turns the cache off for this mount. Default: 60s for kv, 30s for cloud stores, off for other types.'),
    negative_ttl: bounded(MAX_NEGATIVE_TTL_MS, 'negative_ttl').optional().describe('Remember not-found answers this long (at most 5m). Default "0s": never.'),
    stale_if_error: bounded(MAX_STALE_IF_ERROR_MS, 'stale_if_error').optional().describe('When the backend is unavailable, serve an answer up to this long past its freshness, marked stale. Default "0s": never.'),
  })
  .describe('Read cache settings of the mount (docs/cache.md).');

export type MountCacheOptions = z.output<typeof mountCacheOptionsSchema>;

/** The resolved policy: the mount's settings over the default TTL of its type. */
export function resolveCachePolicy(options: MountCacheOptions | undefined, defaultTtlMs: number): MountCachePolicy {
  const ms = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : (parseDuration(text) ?? fallback));
  return {
    ttlMs: ms(options?.ttl, defaultTtlMs),
    negativeTtlMs: ms(options?.negative_ttl, 0),
    staleIfErrorMs: ms(options?.stale_if_error, 0),
  };
}
