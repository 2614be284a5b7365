/**
 * The mount table: which backend serves which logical prefix. Mounts declared in the config
 * file and mounts created at run time (`POST sys/mounts/{path}`) are kept in one table in
 * barrier storage, so each mount keeps a stable id, and with it its data, across restarts.
 */

import { z } from 'zod';
import { GatewayError, NotFoundError, ValidationError, fromUtf8, utf8 } from '../core/index.js';
import type { Engine, JsonObject, Runtime, Storage } from '../core/index.js';
import { createRoutingTable, mountCacheOptionsSchema, mountsOverlap, normalizeMountPath, resolveCachePolicy } from '../router/index.js';
import type { MountCacheOptions, RoutingTable } from '../router/index.js';
import { deleteTree } from '../storage/index.js';
import type { MountConfig } from './config.js';

/** Where each mount's data lives, below the barrier: `logical/<mount id>/`. */
export const mountDataPrefix = (id: string): string => `logical/${id}/`;
/** Where each auth mount's data lives: `auth/<mount id>/`. */
export const authMountDataPrefix = (id: string): string => `auth/${id}/`;
/** An auth mount's accessor, as policies' alias templates and token records name it. */
export const mountAccessor = (entry: Pick<MountEntry, 'type' | 'id'>): string => `auth_${entry.type}_${entry.id.slice(0, 8)}`;

const mountEntrySchema = z.object({
  path: z.string(),
  id: z.string(),
  type: z.string(),
  description: z.string(),
  options: z.record(z.string(), z.json()),
  /** Read cache settings (docs/cache.md); absent: the defaults of the mount's type. */
  cache: mountCacheOptionsSchema.optional(),
  /** `config`: declared in the config file (not removable through the API); `api`: created at run time. */
  source: z.enum(['config', 'api']),
  created_time: z.string(),
});
const mountTableSchema = z.object({ version: z.literal(1), mounts: z.array(mountEntrySchema) });

export type MountEntry = z.infer<typeof mountEntrySchema>;

/** Creates a backend for a mount; throws `ValidationError` for bad options or an unknown type. */
export type BackendFactory = (entry: MountEntry, storage: Storage) => Engine;

export interface MountManagerDeps {
  /** The barrier's `sys/` view. */
  sysStorage: Pick<Storage, 'get' | 'put'>;
  /** Key of the table in `sysStorage`: `mounts` for secret backends, `auth-mounts` for auth methods. */
  tableKey?: string;
  /** Gives a mount its private storage (a barrier view under `mountDataPrefix(id)`). */
  mountStorage(id: string): Storage;
  createBackend: BackendFactory;
  /** Known backend types, for validation messages. */
  types: readonly string[];
  /** First path segments no mount may take (e.g. `sys`, `auth`). */
  reserved?: readonly string[];
  runtime: Pick<Runtime, 'randomUUID' | 'now' | 'logger'>;
  /** The read cache TTL of a mount type that sets none (ms; 0: off). Without it no mount is cached. */
  cacheDefaultTtlMs?(type: string): number;
  /** Called after a mount is unrouted (removed), so what was cached for it is dropped. */
  onRemoved?(entry: MountEntry): void;
}

export interface MountManager {
  /** The current routing table; replaced whole on every change. Throws `ERR_SEALED` before `load`. */
  table(): RoutingTable;
  /** Loads the stored table, reconciles it with `declared` (config) mounts, and builds every backend. */
  load(declared: readonly MountConfig[]): Promise<void>;
  /** Drops the table and closes backends (on seal). */
  unload(): Promise<void>;
  list(): readonly MountEntry[];
  /** Creates a run-time mount. Throws `ERR_VALIDATION` for bad input, `ERR_CONFLICT` when the path is taken or overlaps. */
  create(input: { path: string; type: string; description?: string; options?: JsonObject; cache?: MountCacheOptions }): Promise<MountEntry>;
  /** Removes a run-time mount and deletes its data. `ERR_NOT_FOUND` if absent, `ERR_CONFLICT` for config mounts. */
  remove(path: string): Promise<void>;
}

export function createMountManager(deps: MountManagerDeps): MountManager {
  const tableKey = deps.tableKey ?? 'mounts';
  let entries: MountEntry[] = [];
  let routing: RoutingTable | null = null;
  let engines = new Map<string, Engine>();
  // Mount changes are rare; serialising them keeps the stored table and the routing table in step.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };

  const readStored = async (): Promise<MountEntry[]> => {
    const raw = await deps.sysStorage.get(tableKey);
    return raw === null ? [] : mountTableSchema.parse(JSON.parse(fromUtf8(raw))).mounts;
  };

  const save = async (next: MountEntry[]): Promise<void> => {
    await deps.sysStorage.put(tableKey, utf8(JSON.stringify({ version: 1, mounts: next })));
  };

  const build = (next: MountEntry[], reuse: Map<string, Engine>): Map<string, Engine> => {
    const built = new Map<string, Engine>();
    for (const entry of next) {
      built.set(entry.id, reuse.get(entry.id) ?? deps.createBackend(entry, deps.mountStorage(entry.id)));
    }
    return built;
  };

  const install = (next: MountEntry[], built: Map<string, Engine>): void => {
    entries = next;
    engines = built;
    routing = createRoutingTable(
      next.map((e) => {
        const engine = built.get(e.id);
        if (engine === undefined) throw new GatewayError('ERR_INTERNAL', 'mount without backend');
        const defaultTtlMs = deps.cacheDefaultTtlMs?.(e.type) ?? 0;
        const cache = resolveCachePolicy(e.cache, defaultTtlMs);
        return { mount: { path: e.path, id: e.id, type: e.type }, engine, ...(cache.ttlMs > 0 ? { cache } : {}) };
      }),
    );
  };

  const checkReserved = (path: string, field: string): void => {
    const first = path.split('/')[0] ?? '';
    if ((deps.reserved ?? []).includes(first)) {
      throw new ValidationError(`"${first}/" is reserved`, [{ field, reason: `must not start with a reserved prefix (${(deps.reserved ?? []).join(', ')})` }]);
    }
  };

  const checkType = (type: string, field: string): void => {
    if (!deps.types.includes(type)) {
      throw new ValidationError('unknown mount type', [
        { field, reason: `must be one of: ${deps.types.join(', ')}` },
      ]);
    }
  };

  const newEntry = (path: string, type: string, description: string, options: JsonObject, source: MountEntry['source'], cache?: MountCacheOptions): MountEntry => ({
    path,
    id: deps.runtime.randomUUID(),
    type,
    description,
    options,
    ...(cache === undefined ? {} : { cache }),
    source,
    created_time: new Date(deps.runtime.now()).toISOString(),
  });

  return {
    table() {
      if (routing === null) throw new GatewayError('ERR_SEALED', 'Keygate is sealed');
      return routing;
    },

    load: (declared) =>
      serial(async () => {
        const stored = await readStored();
        const next: MountEntry[] = [];
        const seen = new Set<string>();
        for (const [i, m] of declared.entries()) {
          const path = normalizeMountPath(m.path, `mounts.${i}.path`);
          checkReserved(path, `mounts.${i}.path`);
          checkType(m.type, `mounts.${i}.type`);
          seen.add(path);
          const existing = stored.find((e) => e.path === path);
          if (existing !== undefined && existing.type !== m.type) {
            throw new ValidationError(`mount "${path}" exists with type "${existing.type}"; it cannot change type`, [
              { field: `mounts.${i}.type`, reason: `stored mount has type ${existing.type}` },
            ]);
          }
          // A declared mount keeps its id (and so its data) when it was seen before, in either source.
          if (existing === undefined) next.push(newEntry(path, m.type, m.description, m.options, 'config', m.cache));
          else {
            // The config file is the truth for its mounts: cache settings removed there are removed here.
            const { cache: _previous, ...rest } = existing;
            next.push({ ...rest, description: m.description, options: m.options, ...(m.cache === undefined ? {} : { cache: m.cache }), source: 'config' });
          }
        }
        for (const e of stored) {
          if (e.source === 'api' && !seen.has(e.path)) next.push(e);
        }
        for (const a of next) {
          for (const b of next) {
            if (a !== b && mountsOverlap(a.path, b.path)) {
              throw new ValidationError(`mounts "${a.path}" and "${b.path}" overlap`, [{ field: 'mounts', reason: 'mount paths may not nest' }]);
            }
          }
        }
        const built = build(next, new Map());
        // Config mounts that disappeared from the file are not routed, but their entry (and data) stays
        // so that putting them back restores them; only the API removes data.
        const kept = stored.filter((e) => e.source === 'config' && !seen.has(e.path));
        for (const e of kept) deps.runtime.logger.warn({ mount: e.path }, 'mount removed from config: not routed, data kept');
        await save([...next, ...kept]);
        install(next, built);
      }),

    unload: () =>
      serial(async () => {
        const closing = [...engines.values()];
        routing = null;
        engines = new Map();
        entries = [];
        await Promise.all(closing.map((e) => e.close?.()));
      }),

    list: () => entries,

    create: (input) =>
      serial(async () => {
        if (routing === null) throw new GatewayError('ERR_SEALED', 'Keygate is sealed');
        const path = normalizeMountPath(input.path);
        if (path === '') throw new ValidationError('the default route is declared in the config file', [{ field: 'path', reason: 'must not be empty' }]);
        checkReserved(path, 'path');
        checkType(input.type, 'type');
        const stored = await readStored();
        const clash = stored.find((e) => e.path === path || mountsOverlap(e.path, path));
        if (clash !== undefined) {
          throw new GatewayError('ERR_CONFLICT', clash.path === path ? `a mount already exists at "${path}"` : `"${path}" overlaps the mount at "${clash.path}"`);
        }
        const entry = newEntry(path, input.type, input.description ?? '', input.options ?? {}, 'api', input.cache);
        // Build first: bad options fail before anything is stored.
        const backend = deps.createBackend(entry, deps.mountStorage(entry.id));
        await save([...stored, entry]);
        const next = [...entries, entry];
        install(next, new Map([...engines, [entry.id, backend]]));
        return entry;
      }),

    remove: (pathInput) =>
      serial(async () => {
        if (routing === null) throw new GatewayError('ERR_SEALED', 'Keygate is sealed');
        const path = normalizeMountPath(pathInput);
        const entry = entries.find((e) => e.path === path);
        if (entry === undefined) throw new NotFoundError(`no mount at "${path}"`);
        if (entry.source === 'config') throw new GatewayError('ERR_CONFLICT', `the mount at "${path}" is declared in the config file; remove it there`);
        const stored = await readStored();
        // Unroute first, then forget, then delete data: a crash in between leaves only unreachable ciphertext.
        const next = entries.filter((e) => e.id !== entry.id);
        const removed = engines.get(entry.id);
        const remaining = new Map(engines);
        remaining.delete(entry.id);
        install(next, remaining);
        deps.onRemoved?.(entry);
        await save(stored.filter((e) => e.id !== entry.id));
        await removed?.close?.();
        await deleteTree(deps.mountStorage(entry.id));
      }),
  };
}
