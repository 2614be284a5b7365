import { describe, expect, it } from 'vitest';
import { createWebRuntime, isGatewayError } from '../core/index.js';
import type { Engine, Storage } from '../core/index.js';
import { createMemoryStorage } from '../storage/index.js';
import { createMountManager } from './mounts.js';
import type { MountConfig } from './config.js';

/** A backend that records the storage it was given, so tests can see which id owns which data. */
const makeManager = (sys: Storage, data: Storage) =>
  createMountManager({
    sysStorage: sys,
    mountStorage: (id) => ({
      get: (k) => data.get(`${id}/${k}`),
      put: (k, v) => data.put(`${id}/${k}`, v),
      delete: (k) => data.delete(`${id}/${k}`),
      list: (p, o) => data.list(`${id}/${p}`, o),
    }),
    types: ['kv', 'other'],
    runtime: createWebRuntime(),
    createBackend: (entry): Engine => ({ type: entry.type, actions: [], handle: async () => ({ data: { id: entry.id } }) }),
  });

const kv = (path: string, type = 'kv'): MountConfig => ({ path, type, description: '', options: {} });

describe('mount manager', () => {
  it('keeps a declared mount’s id across loads, and the data of one that leaves the config', async () => {
    const sys = createMemoryStorage();
    const data = createMemoryStorage();
    const first = makeManager(sys, data);
    await first.load([kv(''), kv('team/')]);
    const teamId = first.list().find((m) => m.path === 'team/')?.id;
    expect(first.table().match('team/x')?.mount.id).toBe(teamId);

    const second = makeManager(sys, data);
    await second.load([kv('')]);
    expect(second.table().match('team/x')?.mount.path).toBe('');

    const third = makeManager(sys, data);
    await third.load([kv(''), kv('team/')]);
    expect(third.list().find((m) => m.path === 'team/')?.id).toBe(teamId);
  });

  it('refuses to change a stored mount’s type, and nested mounts', async () => {
    const sys = createMemoryStorage();
    const data = createMemoryStorage();
    await makeManager(sys, data).load([kv('a/')]);
    const err = await makeManager(sys, data).load([kv('a/', 'other')]).catch((e: unknown) => e);
    expect(isGatewayError(err, 'ERR_VALIDATION')).toBe(true);
    const nested = await makeManager(createMemoryStorage(), data).load([kv('a/'), kv('a/b/')]).catch((e: unknown) => e);
    expect(isGatewayError(nested, 'ERR_VALIDATION')).toBe(true);
  });

  it('creates and removes run-time mounts, deleting only the removed mount’s data', async () => {
    const sys = createMemoryStorage();
    const data = createMemoryStorage();
    const manager = makeManager(sys, data);
    await manager.load([kv('')]);
    const a = await manager.create({ path: 'a', type: 'kv' });
    const b = await manager.create({ path: 'b', type: 'kv' });
    await data.put(`${a.id}/x`, new Uint8Array([1]));
    await data.put(`${b.id}/y`, new Uint8Array([2]));
    await manager.remove('a');
    expect(await data.get(`${a.id}/x`)).toBeNull();
    expect(await data.get(`${b.id}/y`)).not.toBeNull();
    expect(manager.table().match('a/x')?.mount.path).toBe('');
    const reloaded = makeManager(sys, data);
    await reloaded.load([kv('')]);
    expect(reloaded.list().map((m) => m.path).sort()).toEqual(['', 'b/']);
  });

  it('routes with each mount\'s cache policy, keeps it across loads, and reports removals', async () => {
    const sys = createMemoryStorage();
    const data = createMemoryStorage();
    const removed: string[] = [];
    const make = () =>
      createMountManager({
        sysStorage: sys,
        mountStorage: () => data,
        types: ['kv', 'other'],
        runtime: createWebRuntime(),
        createBackend: (entry): Engine => ({ type: entry.type, actions: [], handle: async () => ({}) }),
        cacheDefaultTtlMs: (type) => (type === 'kv' ? 60_000 : 0),
        onRemoved: (entry) => removed.push(entry.id),
      });
    const manager = make();
    await manager.load([kv(''), { ...kv('fast/'), cache: { ttl: '5s', stale_if_error: '1m' } }, kv('plain/', 'other')]);
    expect(manager.table().match('x')?.cache).toEqual({ ttlMs: 60_000, negativeTtlMs: 0, staleIfErrorMs: 0 });
    expect(manager.table().match('fast/x')?.cache).toEqual({ ttlMs: 5_000, negativeTtlMs: 0, staleIfErrorMs: 60_000 });
    // A type whose default is off, and no settings: no cache at all.
    expect(manager.table().match('plain/x')?.cache).toBeUndefined();
    const api = await manager.create({ path: 'neg', type: 'kv', cache: { negative_ttl: '10s' } });
    expect(manager.table().match('neg/x')?.cache).toEqual({ ttlMs: 60_000, negativeTtlMs: 10_000, staleIfErrorMs: 0 });

    const again = make();
    await again.load([kv(''), kv('fast/'), kv('plain/', 'other')]);
    // The config file is the truth for its mounts; run-time mounts keep what they were created with.
    expect(again.table().match('fast/x')?.cache?.ttlMs).toBe(60_000);
    expect(again.table().match('neg/x')?.cache?.negativeTtlMs).toBe(10_000);
    await again.remove('neg');
    expect(removed).toEqual([api.id]);
  });

  it('answers ERR_SEALED once unloaded', async () => {
    const manager = makeManager(createMemoryStorage(), createMemoryStorage());
    await manager.load([kv('')]);
    await manager.unload();
    expect(() => manager.table()).toThrow(/sealed/);
    const err = await manager.create({ path: 'x', type: 'kv' }).catch((e: unknown) => e);
    expect(isGatewayError(err, 'ERR_SEALED')).toBe(true);
  });
});
