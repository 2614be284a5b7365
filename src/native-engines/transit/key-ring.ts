/**
 * A mount's keys as the operations see them: policies and key material read through two
 * bounded caches (`lru-cache`), and writes serialised per key name.
 *
 * - Material is cached per (name, incarnation id, version). A version's material never
 *   changes, so a cached entry can only be stale if its key was deleted, trimmed or replaced
 *   by a restore; those writes drop the key's entries at once.
 * - Policies are cached for the mount's `policy_cache_ttl` (default 1 s): a write through this
 *   replica replaces the cached policy immediately, and the interval bounds how long a
 *   change made through another replica goes unseen.
 * - Concurrent misses of one entry share one storage read (lru-cache's `fetch`).
 */

import { LRUCache } from 'lru-cache';
import { GatewayError, NotFoundError, parseDuration } from '../../core/index.js';
import type { Runtime, Storage } from '../../core/index.js';
import { createKeyedMutex } from '../framework/keyed-mutex.js';
import { CACHE_CONFIG_KEY } from './layout.js';
import type { KeyMaterial } from './material.js';
import { loadMaterial } from './material.js';
import type { TransitOptions } from './options.js';
import { loadPolicy } from './policy.js';
import type { KeyPolicy } from './policy.js';
import { decodeJson, encodeJson } from '../framework/stored-json.js';

/** Entries each cache holds unless `cache-config` says otherwise. */
export const DEFAULT_CACHE_SIZE = 1000;

/** Largest size `cache-config` accepts. */
export const MAX_CACHE_SIZE = 100_000;

/** Smallest non-zero size `cache-config` accepts (Vault's). */
export const MIN_CACHE_SIZE = 10;

/** A mount's keys: cached reads, serialised writes. */
export interface KeyRing {
  /** The policy of `name`, or null when there is no such key. */
  policy(name: string): Promise<KeyPolicy | null>;
  /** The policy of `name`; throws `ERR_NOT_FOUND` when there is no such key. */
  requirePolicy(name: string): Promise<KeyPolicy>;
  /** The material of `version` of the key `policy` describes; throws `ERR_INTERNAL` when it is not stored. */
  material(policy: KeyPolicy, version: number): Promise<KeyMaterial>;
  /**
   * Runs `fn` with the key's lock held and its policy read fresh from storage (null when
   * absent): every write to a key goes through here, so writes to one key never interleave.
   */
  write<T>(name: string, fn: (current: KeyPolicy | null) => Promise<T>): Promise<T>;
  /** Puts a just-written policy in the cache. */
  remember(policy: KeyPolicy): void;
  /** Drops a key's policy and every cached version of it (delete, trim, restore). */
  forget(name: string): void;
  /** The cache size `cache-config` set: 0 (meaning the default) or 10–100,000. */
  cacheSize(): Promise<number>;
  /** Sets and stores the cache size (0: the default), rebuilding both caches. */
  setCacheSize(size: number): Promise<void>;
}

interface MaterialContext {
  policy: KeyPolicy;
}

function materialCacheKey(name: string, id: string, version: number): string {
  return `${name}\u0000${id}\u0000${version}`;
}

/** Creates the key ring of one mount. Nothing is read from storage until the first request. */
export function createKeyRing(storage: Storage, runtime: Runtime, options: TransitOptions): KeyRing {
  const locks = createKeyedMutex();
  const ttl = parseDuration(options.policy_cache_ttl) ?? 0;
  const perf = { now: () => runtime.now() };
  let configured: Promise<number> | null = null;

  const buildPolicies = (max: number) =>
    new LRUCache<string, KeyPolicy>({
      max,
      ttl: Math.max(ttl, 1),
      // Read the runtime's clock on every check: lru-cache otherwise caches "now" behind a timer.
      ttlResolution: 0,
      perf,
      fetchMethod: async (name) => (await loadPolicy(storage, name)) ?? undefined,
    });
  const buildMaterials = (max: number) =>
    new LRUCache<string, KeyMaterial, MaterialContext>({
      max,
      fetchMethod: async (key, _stale, { context }) => {
        const { policy } = context;
        const version = Number(key.slice(key.lastIndexOf('\u0000') + 1));
        return (await loadMaterial(storage, policy.name, policy.id, policy.type, version)) ?? undefined;
      },
    });
  let policies = buildPolicies(DEFAULT_CACHE_SIZE);
  let materials = buildMaterials(DEFAULT_CACHE_SIZE);

  const applySize = (size: number) => {
    const max = size === 0 ? DEFAULT_CACHE_SIZE : size;
    policies = buildPolicies(max);
    materials = buildMaterials(max);
  };

  // The stored cache size is read once, on first use: setup must stay synchronous.
  const ensureConfigured = (): Promise<number> => {
    configured ??= (async () => {
      const raw = await storage.get(CACHE_CONFIG_KEY);
      const stored: unknown = raw === null ? null : decodeJson(raw, 'cache configuration');
      const size = typeof stored === 'object' && stored !== null ? Reflect.get(stored, 'size') : 0;
      const valid = typeof size === 'number' && Number.isInteger(size) && (size === 0 || (size >= MIN_CACHE_SIZE && size <= MAX_CACHE_SIZE));
      const effective = valid ? size : 0;
      if (effective !== 0) applySize(effective);
      return effective;
    })();
    // A failed read (storage down) is retried by the next request.
    configured.catch(() => {
      configured = null;
    });
    return configured;
  };

  const ring: KeyRing = {
    async policy(name) {
      await ensureConfigured();
      if (ttl === 0) return loadPolicy(storage, name);
      // A fresh hit needs no fetch machinery; fetch shares one storage read among concurrent misses.
      return policies.get(name) ?? (await policies.fetch(name)) ?? null;
    },
    async requirePolicy(name) {
      const policy = await ring.policy(name);
      if (policy === null) throw new NotFoundError('no such key');
      return policy;
    },
    async material(policy, version) {
      const key = materialCacheKey(policy.name, policy.id, version);
      const material = materials.get(key) ?? (await materials.fetch(key, { context: { policy } }));
      if (material === undefined) throw new GatewayError('ERR_INTERNAL', 'key material for this version is missing');
      return material;
    },
    write(name, fn) {
      return locks.run(name, async () => {
        await ensureConfigured();
        return fn(await loadPolicy(storage, name));
      });
    },
    remember(policy) {
      if (ttl > 0) policies.set(policy.name, policy);
    },
    forget(name) {
      policies.delete(name);
      const prefix = `${name}\u0000`;
      for (const key of [...materials.keys()]) if (key.startsWith(prefix)) materials.delete(key);
    },
    cacheSize: ensureConfigured,
    async setCacheSize(size) {
      await ensureConfigured();
      await storage.put(CACHE_CONFIG_KEY, encodeJson({ size }));
      applySize(size);
      configured = Promise.resolve(size);
    },
  };
  return ring;
}
