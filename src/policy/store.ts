/**
 * The policy store: named policy texts in storage (`policy/<name>` holding
 * `{ name, text, updated_time }`), parsed once and cached in memory.
 *
 * Replicas share storage, not memory: a cached policy older than `maxStalenessMs` is read
 * again before use, so another replica's write applies here within that bound. This
 * replica's own writes replace its cache entry at once.
 */

import { z } from 'zod';
import { GatewayError, ValidationError, fromUtf8, utf8 } from '../core/index.js';
import type { Runtime, Storage } from '../core/index.js';
import { DEFAULT_POLICY_NAME, DEFAULT_POLICY_TEXT, ROOT_POLICY_NAME } from './default-policy.js';
import { LRUCache } from 'lru-cache';
import { isValidPolicyName, parsePolicy } from './parse.js';
import type { Policy } from './types.js';

/** Storage key prefix of stored policies. */
export const POLICY_PREFIX = 'policy/';

export interface PolicyStoreDeps {
  storage: Pick<Storage, 'get' | 'put' | 'delete' | 'list'>;
  runtime: Pick<Runtime, 'now'>;
  /** How long a cached policy is trusted before it is read again (default 1000 ms). */
  maxStalenessMs?: number;
  /** Most policies (including known-missing names) held in memory (default 4096). */
  maxCachedPolicies?: number;
}

export interface PolicyStore {
  /** The policy `name`, or null when it does not exist (or the name is malformed, or is `root`). Throws `ERR_INTERNAL` for a stored record that cannot be read, and storage errors as they come. */
  get(name: string): Promise<Policy | null>;
  /**
   * What `get` would answer without touching storage: the cached policy (or null) when the
   * cache holds `name` within the staleness bound, else `undefined` (then call `get`). The
   * authorizer's synchronous hot path.
   */
  peek(name: string): Policy | null | undefined;
  /** The raw text of policy `name` as written, or null when it does not exist. Same errors as `get`. */
  read(name: string): Promise<string | null>;
  /**
   * Parses `text` and stores it as policy `name`, replacing any earlier text. Throws
   * `ValidationError` (`ERR_VALIDATION`) for a malformed name, for `root`, and for text
   * `parsePolicy` refuses (nothing is stored then).
   */
  put(name: string, text: string): Promise<Policy>;
  /** Removes policy `name` (a missing one is not an error). Throws `ValidationError` for a malformed name, `default` or `root`. */
  delete(name: string): Promise<void>;
  /** Every policy name, sorted, `default` included (`root` is not stored; a Vault-style list answer adds it). */
  list(): Promise<string[]>;
}

const recordSchema = z.object({ name: z.string(), text: z.string(), updated_time: z.string() });

interface CacheEntry {
  readonly policy: Policy | null;
  readonly fetchedAt: number;
}

function nameError(reason: string): ValidationError {
  return new ValidationError(`invalid policy name: ${reason}`, [{ field: 'name', reason }]);
}

function checkName(name: string): void {
  if (!isValidPolicyName(name)) throw nameError('must be 1 to 128 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit');
}

/**
 * Creates a policy store over `storage`. The built-in `default` policy exists without being
 * stored until it is written; `root` can never be written, read or deleted. Nothing is read
 * until the first call.
 */
export function createPolicyStore(deps: PolicyStoreDeps): PolicyStore {
  const { storage, runtime } = deps;
  const maxStalenessMs = deps.maxStalenessMs ?? 1000;
  const cache = new LRUCache<string, CacheEntry>({ max: deps.maxCachedPolicies ?? 4096 });
  const inflight = new Map<string, Promise<Policy | null>>();
  let builtinDefault: Policy | null = null;
  // Bumped by every local write: a read that began before it must not overwrite the cache.
  let writeEpoch = 0;

  const defaultPolicy = (): Policy => {
    builtinDefault ??= parsePolicy(DEFAULT_POLICY_NAME, DEFAULT_POLICY_TEXT);
    return builtinDefault;
  };

  const decode = (bytes: Uint8Array): z.infer<typeof recordSchema> => {
    try {
      return recordSchema.parse(JSON.parse(fromUtf8(bytes)));
    } catch (cause) {
      throw new GatewayError('ERR_INTERNAL', 'a stored policy record is unreadable', { cause });
    }
  };

  const load = async (name: string, previous: Policy | null): Promise<Policy | null> => {
    const bytes = await storage.get(POLICY_PREFIX + name);
    if (bytes === null) return name === DEFAULT_POLICY_NAME ? defaultPolicy() : null;
    const record = decode(bytes);
    // Same text: keep the same object, so ACLs compiled from it stay valid in the authorizer's cache.
    if (previous !== null && previous.raw === record.text) return previous;
    try {
      return parsePolicy(name, record.text);
    } catch (cause) {
      // Fail closed: ignoring the policy could drop a deny rule and so widen access.
      throw new GatewayError('ERR_INTERNAL', 'a stored policy no longer parses', { cause });
    }
  };

  const fetchFresh = (name: string, previous: Policy | null): Promise<Policy | null> => {
    const pending = inflight.get(name);
    if (pending !== undefined) return pending;
    const epoch = writeEpoch;
    const promise = load(name, previous)
      .then((policy) => {
        if (epoch === writeEpoch) cache.set(name, { policy, fetchedAt: runtime.now() });
        return policy;
      })
      .finally(() => inflight.delete(name));
    inflight.set(name, promise);
    return promise;
  };

  const peek = (name: string): Policy | null | undefined => {
    if (name === ROOT_POLICY_NAME) return null;
    // Only valid names are ever cached: the name check is for a miss.
    const entry = cache.get(name);
    if (entry === undefined) return isValidPolicyName(name) ? undefined : null;
    return runtime.now() - entry.fetchedAt <= maxStalenessMs ? entry.policy : undefined;
  };

  const get = async (name: string): Promise<Policy | null> => {
    if (name === ROOT_POLICY_NAME || !isValidPolicyName(name)) return null;
    const entry = cache.get(name);
    if (entry !== undefined && runtime.now() - entry.fetchedAt <= maxStalenessMs) return entry.policy;
    return fetchFresh(name, entry?.policy ?? null);
  };

  return {
    get,
    peek,

    async read(name) {
      return (await get(name))?.raw ?? null;
    },

    async put(name, text) {
      checkName(name);
      if (name === ROOT_POLICY_NAME) throw nameError('the root policy cannot be written');
      const policy = parsePolicy(name, text);
      const record = { name, text, updated_time: new Date(runtime.now()).toISOString() };
      writeEpoch++;
      await storage.put(POLICY_PREFIX + name, utf8(JSON.stringify(record)));
      cache.set(name, { policy, fetchedAt: runtime.now() });
      return policy;
    },

    async delete(name) {
      checkName(name);
      if (name === ROOT_POLICY_NAME) throw nameError('the root policy cannot be deleted');
      if (name === DEFAULT_POLICY_NAME) throw nameError('the default policy cannot be deleted');
      writeEpoch++;
      await storage.delete(POLICY_PREFIX + name);
      cache.set(name, { policy: null, fetchedAt: runtime.now() });
    },

    async list() {
      const names = new Set<string>([DEFAULT_POLICY_NAME]);
      const limit = 1000;
      let after: string | undefined;
      // Each page starts strictly after the last name, so the walk ends.
      for (;;) {
        const page = await storage.list(POLICY_PREFIX, after === undefined ? { limit } : { after, limit });
        for (const entry of page) {
          if (isValidPolicyName(entry) && entry !== ROOT_POLICY_NAME) names.add(entry);
        }
        const last = page[page.length - 1];
        if (page.length < limit || last === undefined) break;
        after = last;
      }
      return [...names].sort();
    },
  };
}
