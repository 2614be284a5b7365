/**
 * The token store: opaque tokens kept as keyed hashes behind the barrier, a bounded cache
 * of verified tokens on the hot path, and revocation that reaches every replica before it
 * returns (docs/decisions/0008-tokens.md).
 */

import { LRUCache } from 'lru-cache';
import { GatewayError, MAX_LIST_LIMIT, UnauthenticatedError, fromUtf8, toBase64Url, toHex, utf8 } from '../../core/index.js';
import type { Runtime, Storage } from '../../core/index.js';
import { addressInCidrs } from '../methods/cidr.js';
import { createRevocationSync } from './revocation-sync.js';
import type { RevocationSync } from './revocation-sync.js';
import type { CreateTokenInput, TokenRecord, TokenSettings } from './types.js';

/** Token prefix, so secret scanners and people can tell a Keygate token at a glance. */
export const TOKEN_PREFIX = 'kg.';
/** 256 random bits. */
const TOKEN_BYTES = 32;
/** Longest string even considered as a token: bounds the work hostile input can cause. */
const MAX_TOKEN_LENGTH = 256;
/** Revoking a subtree larger than this is refused rather than left half done. */
export const MAX_REVOKE_TREE = 10_000;

const KEY_HMAC = 'token/hmac-key';
const ID = (id: string) => `token/id/${id}`;
const ACCESSOR = (a: string) => `token/accessor/${a}`;
const CHILD = (parent: string, child: string) => `token/children/${parent}/${child}`;
const BY_MOUNT = (mount: string, a: string) => `token/mount/${mount}/${a}`;

export interface TokenStoreDeps {
  /** The barrier's `sys/` view. */
  storage: Pick<Storage, 'get' | 'put' | 'delete' | 'list'>;
  runtime: Pick<Runtime, 'now' | 'randomBytes' | 'randomUUID' | 'subtle' | 'logger'>;
  settings: TokenSettings;
  /** Revocation sync timing (tests shorten them). */
  leaseMs?: number;
  pollMs?: number;
  /** Verified tokens kept in memory (default 10,000). */
  cacheSize?: number;
}

export interface TokenStore {
  /** Loads (or creates) the hashing key and starts revocation sync. Call after unseal. */
  open(): Promise<void>;
  /** Stops sync and forgets every cached token and key (on seal). */
  close(): Promise<void>;
  /** Issues a token; the returned string is the only time it exists in cleartext. */
  create(input: CreateTokenInput): Promise<{ token: string; record: TokenRecord }>;
  /**
   * The record for a presented token, counting one use. Throws `UnauthenticatedError`
   * (one message whatever the reason) for a missing, malformed, unknown, expired or
   * exhausted token, or one used outside its bound CIDRs.
   */
  verify(token: string | null, clientAddress?: string | null): Promise<TokenRecord>;
  /** The record for a token without counting a use; null when unknown or expired. */
  lookup(token: string): Promise<TokenRecord | null>;
  /** The record for an accessor; null when unknown or expired. */
  lookupAccessor(accessor: string): Promise<TokenRecord | null>;
  /**
   * Extends a token's life by `incrementMs` (default: its creation TTL), never past its
   * maximum; periodic tokens renew by their period. Throws `ERR_BAD_REQUEST` for a token
   * that is not renewable. Returns the updated record and whether the maximum capped it.
   */
  renew(record: TokenRecord, incrementMs?: number): Promise<{ record: TokenRecord; capped: boolean }>;
  /**
   * Revokes a token and (unless `orphanChildren`) every token below it, and resolves once
   * every replica refuses them. Returns how many tokens were revoked.
   */
  revoke(record: TokenRecord, opts?: { orphanChildren?: boolean }): Promise<number>;
  /** Revokes every token an auth mount issued (when the mount is disabled). */
  revokeByMount(mountAccessor: string): Promise<number>;
  /** Accessors, sorted, paged. */
  listAccessors(opts?: { after?: string; limit?: number }): Promise<string[]>;
}

export function createTokenStore(deps: TokenStoreDeps): TokenStore {
  const { storage, runtime, settings } = deps;
  let hmacKey: CryptoKey | null = null;
  const idToToken = new Map<string, Set<string>>();
  const cache = new LRUCache<string, TokenRecord>({
    max: deps.cacheSize ?? 10_000,
    dispose: (record, token) => {
      const tokens = idToToken.get(record.id);
      tokens?.delete(token);
      if (tokens?.size === 0) idToToken.delete(record.id);
    },
  });
  const remember = (token: string, record: TokenRecord) => {
    cache.set(token, record);
    let tokens = idToToken.get(record.id);
    if (tokens === undefined) idToToken.set(record.id, (tokens = new Set()));
    tokens.add(token);
  };
  // Bumped by every eviction: a verification that read its record before a revocation must not cache it after.
  let evictions = 0;
  const evict = (ids: readonly string[] | 'all') => {
    evictions++;
    if (ids === 'all') {
      cache.clear();
      idToToken.clear();
      return;
    }
    for (const id of ids) {
      for (const token of [...(idToToken.get(id) ?? [])]) cache.delete(token);
    }
  };
  let sync: RevocationSync | null = null;
  // Use counting and renewals read-modify-write one record; serialise them per token (per process).
  const locks = new Map<string, Promise<unknown>>();
  const withLock = async <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    const previous = locks.get(id) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(fn);
    const tail = run.catch(() => undefined);
    locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (locks.get(id) === tail) locks.delete(id);
    }
  };

  const key = (): CryptoKey => {
    if (hmacKey === null) throw new GatewayError('ERR_SEALED', 'Keygate is sealed');
    return hmacKey;
  };
  const idOf = async (token: string): Promise<string> =>
    toHex(new Uint8Array(await runtime.subtle.sign('HMAC', key(), utf8(token))));

  const read = async (id: string): Promise<TokenRecord | null> => {
    const raw = await storage.get(ID(id));
    return raw === null ? null : (JSON.parse(fromUtf8(raw)) as TokenRecord);
  };
  const write = (record: TokenRecord) => storage.put(ID(record.id), utf8(JSON.stringify(record)));
  const expired = (record: TokenRecord, now: number) => record.expires_at !== 0 && record.expires_at <= now;

  const byAccessor = async (accessor: string): Promise<TokenRecord | null> => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(accessor)) return null;
    const raw = await storage.get(ACCESSOR(accessor));
    return raw === null ? null : read(fromUtf8(raw));
  };

  const listAll = async (prefix: string): Promise<string[]> => {
    const out: string[] = [];
    let after: string | undefined;
    for (;;) {
      const names = await storage.list(prefix, after === undefined ? { limit: MAX_LIST_LIMIT } : { after, limit: MAX_LIST_LIMIT });
      out.push(...names);
      if (names.length < MAX_LIST_LIMIT || out.length >= MAX_REVOKE_TREE) return out;
      after = names[names.length - 1];
    }
  };

  /** Deletes one token's record and indexes (not its children). */
  const remove = async (record: TokenRecord): Promise<void> => {
    await storage.delete(ID(record.id));
    await storage.delete(ACCESSOR(record.accessor));
    if (record.parent !== '') await storage.delete(CHILD(record.parent, record.accessor));
    if (record.mount_accessor !== '') await storage.delete(BY_MOUNT(record.mount_accessor, record.accessor));
  };

  const revokeTree = async (root: TokenRecord, orphanChildren: boolean): Promise<number> => {
    const revoked: TokenRecord[] = [root];
    if (orphanChildren) {
      for (const child of await listAll(`token/children/${root.accessor}/`)) {
        const record = await byAccessor(child.replace(/\/$/, ''));
        await storage.delete(CHILD(root.accessor, child));
        if (record !== null) await write({ ...record, parent: '' });
      }
    } else {
      // Breadth first over the children index, bounded.
      for (let i = 0; i < revoked.length; i++) {
        const node = revoked[i];
        if (node === undefined) break;
        for (const child of await listAll(`token/children/${node.accessor}/`)) {
          const record = await byAccessor(child.replace(/\/$/, ''));
          if (record === null) await storage.delete(CHILD(node.accessor, child));
          else revoked.push(record);
          if (revoked.length > MAX_REVOKE_TREE) {
            throw new GatewayError('ERR_CONFLICT', `token tree exceeds ${MAX_REVOKE_TREE} tokens; revoke its subtrees first`);
          }
        }
      }
    }
    // Leaves first, so a crash midway never leaves a child whose parent is already gone unrevocable.
    for (const record of [...revoked].reverse()) await remove(record);
    const ids = revoked.map((r) => r.id);
    evict(ids);
    await sync?.publish(ids);
    return revoked.length;
  };

  return {
    async open() {
      let raw = await storage.get(KEY_HMAC);
      if (raw === null) {
        raw = runtime.randomBytes(32);
        await storage.put(KEY_HMAC, raw);
      }
      hmacKey = await runtime.subtle.importKey('raw', new Uint8Array(raw), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      sync = createRevocationSync({ storage, runtime, evict, ...(deps.leaseMs === undefined ? {} : { leaseMs: deps.leaseMs }), ...(deps.pollMs === undefined ? {} : { pollMs: deps.pollMs }) });
      await sync.start();
    },

    async close() {
      await sync?.stop();
      sync = null;
      hmacKey = null;
      evict('all');
    },

    async create(input) {
      const now = runtime.now();
      const explicitMax = input.explicitMaxTtlMs ?? 0;
      let ttl = 0;
      let expiresAt = 0;
      let maxExpiresAt = 0;
      if (input.neverExpires !== true && input.periodMs) {
        // Periodic: renewable by the period forever, unless an explicit maximum says otherwise.
        ttl = input.periodMs;
        maxExpiresAt = explicitMax > 0 ? now + explicitMax : 0;
        expiresAt = maxExpiresAt > 0 ? Math.min(now + ttl, maxExpiresAt) : now + ttl;
      } else if (input.neverExpires !== true) {
        ttl = Math.min(input.ttlMs || settings.defaultTtlMs, settings.maxTtlMs);
        maxExpiresAt = now + Math.min(explicitMax || settings.maxTtlMs, settings.maxTtlMs);
        expiresAt = Math.min(now + ttl, maxExpiresAt);
      }
      const token = TOKEN_PREFIX + toBase64Url(runtime.randomBytes(TOKEN_BYTES));
      const parent = input.parent ?? null;
      const record: TokenRecord = {
        v: 1,
        id: await idOf(token),
        accessor: toBase64Url(runtime.randomBytes(18)),
        policies: [...new Set(input.policies)].sort(),
        meta: { ...input.meta },
        display_name: input.displayName,
        entity_id: input.entityId ?? '',
        parent: parent?.accessor ?? '',
        path: input.path,
        mount_accessor: input.mountAccessor ?? '',
        created_at: now,
        ttl_ms: ttl,
        explicit_max_ttl_ms: explicitMax,
        period_ms: input.periodMs ?? 0,
        expires_at: expiresAt,
        max_expires_at: maxExpiresAt,
        num_uses: input.numUses ?? 0,
        bound_cidrs: [...(input.boundCidrs ?? [])],
        renewable: input.neverExpires === true ? false : (input.renewable ?? true),
      };
      await write(record);
      await storage.put(ACCESSOR(record.accessor), utf8(record.id));
      if (record.parent !== '') await storage.put(CHILD(record.parent, record.accessor), utf8('1'));
      if (record.mount_accessor !== '') await storage.put(BY_MOUNT(record.mount_accessor, record.accessor), utf8('1'));
      return { token, record };
    },

    async verify(token, clientAddress = null) {
      if (token === null || token.length === 0 || token.length > MAX_TOKEN_LENGTH || !token.startsWith(TOKEN_PREFIX)) {
        throw new UnauthenticatedError();
      }
      const now = runtime.now();
      // The hot path: a verified token is trusted from memory only while revocation sync is
      // fresh (so another replica's revocation reaches it within the lease), never past its
      // expiry, and never for use-counted tokens. A hit costs no hashing and no storage read.
      const cached = sync?.fresh() === true ? cache.get(token) : undefined;
      if (cached !== undefined && cached.num_uses === 0 && !expired(cached, now)) {
        if (cached.bound_cidrs.length > 0 && !addressInCidrs(clientAddress, cached.bound_cidrs)) throw new UnauthenticatedError();
        return cached;
      }
      // A cached record may be stale in the safe direction only (expired here, renewed elsewhere): re-read.
      const epoch = evictions;
      const record = (await read(await idOf(token))) ?? undefined;
      if (record === undefined) throw new UnauthenticatedError();
      if (expired(record, now)) {
        const stale = record;
        // Expired tokens are deleted on sight (with their children), off the request's path.
        revokeTree(stale, false).catch(() => undefined);
        throw new UnauthenticatedError();
      }
      if (record.bound_cidrs.length > 0 && !addressInCidrs(clientAddress, record.bound_cidrs)) throw new UnauthenticatedError();
      if (record.num_uses === 0) {
        // Revoked (or renewed) while we read it: answer from what was read, but do not keep it.
        if (epoch === evictions) remember(token, record);
        return record;
      }
      const id = record.id;
      return withLock(id, async () => {
        const current = await read(id);
        if (current === null || expired(current, runtime.now())) throw new UnauthenticatedError();
        if (current.num_uses === 1) {
          // The last use: this request proceeds, the token is gone for the next one.
          await revokeTree(current, false);
          return { ...current, num_uses: 0 };
        }
        const next = { ...current, num_uses: current.num_uses - 1 };
        await write(next);
        return next;
      });
    },

    async lookup(token) {
      if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !token.startsWith(TOKEN_PREFIX)) return null;
      const record = await read(await idOf(token));
      return record === null || expired(record, runtime.now()) ? null : record;
    },

    async lookupAccessor(accessor) {
      const record = await byAccessor(accessor);
      return record === null || expired(record, runtime.now()) ? null : record;
    },

    renew: (record, incrementMs) =>
      withLock(record.id, async () => {
        const current = await read(record.id);
        const now = runtime.now();
        if (current === null || expired(current, now)) throw new GatewayError('ERR_NOT_FOUND', 'token not found');
        if (!current.renewable) throw new GatewayError('ERR_BAD_REQUEST', 'token is not renewable');
        if (current.expires_at === 0) return { record: current, capped: false };
        const increment = current.period_ms > 0 ? current.period_ms : Math.min(incrementMs ?? current.ttl_ms, settings.maxTtlMs);
        let expiresAt = now + increment;
        let capped = false;
        if (current.max_expires_at !== 0 && expiresAt > current.max_expires_at) {
          expiresAt = current.max_expires_at;
          capped = true;
        }
        const next = { ...current, expires_at: Math.max(expiresAt, current.expires_at) };
        await write(next);
        evict([next.id]);
        return { record: next, capped };
      }),

    revoke: (record, opts = {}) => revokeTree(record, opts.orphanChildren === true),

    async revokeByMount(mountAccessor) {
      let count = 0;
      for (const name of await listAll(`token/mount/${mountAccessor}/`)) {
        const record = await byAccessor(name);
        await storage.delete(BY_MOUNT(mountAccessor, name));
        if (record !== null) count += await revokeTree(record, false);
      }
      return count;
    },

    async listAccessors(opts = {}) {
      const limit = Math.min(Math.max(opts.limit ?? MAX_LIST_LIMIT, 1), MAX_LIST_LIMIT);
      return storage.list('token/accessor/', opts.after === undefined ? { limit } : { after: opts.after, limit });
    },
  };
}
