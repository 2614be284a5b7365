/**
 * Identity entities: one per person or workload, found through the aliases it logs in
 * with (one alias per auth mount). Policies template on them (`{{identity.entity.id}}`, …).
 */

import { LRUCache } from 'lru-cache';
import { NotFoundError, fromUtf8, toHex, utf8 } from '../../core/index.js';
import type { Entity, Runtime, Storage } from '../../core/index.js';

const ENTITY = (id: string) => `identity/entity/${id}`;
const ALIAS = (mountAccessor: string, nameHash: string) => `identity/alias/${mountAccessor}/${nameHash}`;
/** A cached entity older than this is re-read, so an edit on another replica applies within it. */
const MAX_STALENESS_MS = 1000;

export interface StoredEntity {
  id: string;
  name: string;
  metadata: Record<string, string>;
  aliases: { mountAccessor: string; mountType: string; name: string; metadata?: Record<string, string> }[];
  created_time: string;
  updated_time: string;
}

export interface EntityStore {
  /** The entity owning this alias, created on first login; the alias's metadata is refreshed from each login. */
  resolve(mount: { accessor: string; type: string }, aliasName: string, aliasMetadata?: Readonly<Record<string, string>>): Promise<Entity>;
  /** The entity, or null. Cached for at most a second. */
  get(id: string): Promise<Entity | null>;
  /** Sets name and/or metadata. Throws `ERR_NOT_FOUND`. */
  update(id: string, changes: { name?: string; metadata?: Record<string, string> }): Promise<Entity>;
  list(opts?: { after?: string; limit?: number }): Promise<string[]>;
  /** Drops the cache (on seal). */
  reset(): void;
}

export function createEntityStore(deps: {
  storage: Pick<Storage, 'get' | 'put' | 'list'>;
  runtime: Pick<Runtime, 'now' | 'randomUUID' | 'subtle'>;
}): EntityStore {
  const { storage, runtime } = deps;
  const cache = new LRUCache<string, { entity: StoredEntity; at: number }>({ max: 10_000 });
  const resolving = new Map<string, Promise<Entity>>();

  const read = async (id: string): Promise<StoredEntity | null> => {
    const cached = cache.get(id);
    if (cached !== undefined && runtime.now() - cached.at < MAX_STALENESS_MS) return cached.entity;
    const raw = await storage.get(ENTITY(id));
    if (raw === null) return null;
    const entity = JSON.parse(fromUtf8(raw)) as StoredEntity;
    cache.set(id, { entity, at: runtime.now() });
    return entity;
  };
  const write = async (entity: StoredEntity) => {
    await storage.put(ENTITY(entity.id), utf8(JSON.stringify(entity)));
    cache.set(entity.id, { entity, at: runtime.now() });
  };
  const view = (e: StoredEntity): Entity => ({ id: e.id, name: e.name, metadata: e.metadata, aliases: e.aliases });
  const hashName = async (name: string) => toHex(new Uint8Array(await runtime.subtle.digest('SHA-256', utf8(name))));

  const resolveOnce = async (mount: { accessor: string; type: string }, aliasName: string, aliasMetadata: Record<string, string>): Promise<Entity> => {
    const aliasKey = ALIAS(mount.accessor, await hashName(aliasName));
    const existing = await storage.get(aliasKey);
    if (existing !== null) {
      const entity = await read(fromUtf8(existing));
      if (entity !== null) {
        const alias = entity.aliases.find((a) => a.mountAccessor === mount.accessor && a.name === aliasName);
        if (alias === undefined || JSON.stringify(alias.metadata ?? {}) === JSON.stringify(aliasMetadata)) return view(entity);
        const next: StoredEntity = {
          ...entity,
          aliases: entity.aliases.map((a) => (a === alias ? { ...a, metadata: aliasMetadata } : a)),
          updated_time: new Date(runtime.now()).toISOString(),
        };
        await write(next);
        return view(next);
      }
    }
    const id = runtime.randomUUID();
    const now = new Date(runtime.now()).toISOString();
    const entity: StoredEntity = {
      id,
      name: `entity_${id.slice(0, 8)}`,
      metadata: {},
      aliases: [{ mountAccessor: mount.accessor, mountType: mount.type, name: aliasName, metadata: aliasMetadata }],
      created_time: now,
      updated_time: now,
    };
    // Entity first, alias second: a crash between leaves an unreferenced entity, never an alias to nothing.
    await write(entity);
    await storage.put(aliasKey, utf8(id));
    return view(entity);
  };

  return {
    resolve(mount, aliasName, aliasMetadata = {}) {
      // Concurrent first logins of one alias share one creation (per process).
      const key = `${mount.accessor}\u0000${aliasName}`;
      const pending = resolving.get(key);
      if (pending !== undefined) return pending;
      const next = resolveOnce(mount, aliasName, { ...aliasMetadata }).finally(() => resolving.delete(key));
      resolving.set(key, next);
      return next;
    },
    async get(id) {
      if (!/^[0-9a-f-]{36}$/.test(id)) return null;
      const entity = await read(id);
      return entity === null ? null : view(entity);
    },
    async update(id, changes) {
      const entity = /^[0-9a-f-]{36}$/.test(id) ? await read(id) : null;
      if (entity === null) throw new NotFoundError('no such entity');
      const next: StoredEntity = {
        ...entity,
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(changes.metadata === undefined ? {} : { metadata: { ...changes.metadata } }),
        updated_time: new Date(runtime.now()).toISOString(),
      };
      await write(next);
      return view(next);
    },
    list: (opts = {}) => storage.list('identity/entity/', opts),
    reset: () => cache.clear(),
  };
}
