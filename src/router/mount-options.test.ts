import { describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_TTL_MS, mountCacheOptionsSchema, resolveCachePolicy } from './mount-options.js';

describe('mount cache options', () => {
  it('resolves over the type\'s default TTL, with negative caching and stale-if-error off unless set', () => {
    expect(resolveCachePolicy(undefined, DEFAULT_CACHE_TTL_MS.kv)).toEqual({ ttlMs: 60_000, negativeTtlMs: 0, staleIfErrorMs: 0 });
    expect(resolveCachePolicy(undefined, DEFAULT_CACHE_TTL_MS.cloud)).toEqual({ ttlMs: 30_000, negativeTtlMs: 0, staleIfErrorMs: 0 });
    const options = mountCacheOptionsSchema.parse({ ttl: '2m', negative_ttl: '5s', stale_if_error: '1h' });
    expect(resolveCachePolicy(options, 30_000)).toEqual({ ttlMs: 120_000, negativeTtlMs: 5_000, staleIfErrorMs: 3_600_000 });
    expect(resolveCachePolicy(mountCacheOptionsSchema.parse({ ttl: '0s' }), 30_000).ttlMs).toBe(0);
  });

  it('refuses unknown fields, bad durations and bounds beyond the limits', () => {
    for (const bad of [{ ttl: 'soon' }, { ttl: '25h' }, { negative_ttl: '6m' }, { stale_if_error: '169h' }, { tll: '1s' }]) {
      expect(mountCacheOptionsSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(mountCacheOptionsSchema.safeParse({ ttl: '24h', negative_ttl: '5m', stale_if_error: '168h' }).success).toBe(true);
  });
});
