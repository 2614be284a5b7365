import { describe, expect, it } from 'vitest';
import { Sensitive, ValidationError } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { backendRequest } from '../test-support.js';
import { createKvHarness } from './test-harness.js';

describe('kv: versions', () => {
  it('numbers versions from 1 and reads older ones with ?version=', async () => {
    const kv = createKvHarness(createMemoryStorage());
    for (let i = 1; i <= 3; i++) {
      const written = await kv.write('app/db', { password: `pw-${i}` });
      expect(written).toEqual({
        data: { version: i, created_time: '2024-01-01T00:00:00.000Z' },
        etag: String(i),
        cache: 'no-store',
      });
    }
    expect(await kv.readSecret('app/db')).toEqual({ password: 'pw-3' });
    expect(await kv.readSecret('app/db', { version: '1' })).toEqual({ password: 'pw-1' });
    expect(await kv.readSecret('app/db', { version: '2' })).toEqual({ password: 'pw-2' });
  });

  it('returns the version\'s metadata, its etag, and marks it cacheable until its scheduled deletion', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('s', { a: 1 });
    kv.runtime.advance(1500);
    await kv.write('s', { a: 2 });
    const response = await kv.call('read', 's', { params: { version: '1' } });
    expect(response.metadata).toEqual({
      version: 1,
      created_time: '2024-01-01T00:00:00.000Z',
      deletion_time: '',
      destroyed: false,
      custom_metadata: null,
    });
    expect(response.etag).toBe('1');
    expect(response.cache).toEqual({ ttlMs: Infinity });
    // A version with a deletion time ahead is cacheable only until then; one due now, never.
    await kv.call('write-metadata', 's', { data: { delete_version_after: '10s' } });
    await kv.write('s', { a: 3 });
    expect((await kv.call('read', 's')).cache).toEqual({ ttlMs: 10_000 });
    kv.runtime.advance(4000);
    expect((await kv.call('read', 's')).cache).toEqual({ ttlMs: 6000 });
  });

  it('wraps every top-level value as sensitive, so a stray JSON.stringify shows nothing', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('s', { password: 'hunter2', nested: { token: 'abc' }, list: [1, 2] });
    const response = await kv.call('read', 's');
    for (const value of Object.values(response.data ?? {})) expect(value).toBeInstanceOf(Sensitive);
    expect(JSON.stringify(response)).not.toContain('hunter2');
    expect(JSON.stringify(response)).not.toContain('abc');
  });

  it('answers 404 for a missing secret and a version that never existed', async () => {
    const kv = createKvHarness(createMemoryStorage());
    const missing = await kv.failure(kv.call('read', 'nope'));
    expect(missing.code).toBe('ERR_NOT_FOUND');
    expect(missing.message).toBe('no such secret');
    await kv.write('s', { a: 1 });
    const future = await kv.failure(kv.call('read', 's', { params: { version: '7' } }));
    expect(future.code).toBe('ERR_NOT_FOUND');
    expect(future.message).toContain('no such version');
  });

  it('refuses a version that is not a positive integer', async () => {
    const kv = createKvHarness(createMemoryStorage());
    for (const version of ['0', '-1', '1.5', '1e3', ' 1', '', 'x', '0x10']) {
      const err = await kv.failure(kv.call('read', 's', { params: { version } }));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.details?.[0]?.field).toBe('version');
    }
  });

  it('requires a secret path for everything but list', async () => {
    const kv = createKvHarness(createMemoryStorage());
    for (const operation of ['read', 'update', 'patch', 'delete', 'rotate', 'read-metadata', 'delete-metadata'] as const) {
      const err = await kv.failure(kv.call(operation, ''));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.message).toBe('a secret path is required');
    }
    expect((await kv.call('list', '')).data).toEqual({ keys: [] });
  });

  it('accepts any JSON object as a secret, create as well as update', async () => {
    const kv = createKvHarness(createMemoryStorage());
    const secret = { s: 'x', n: 1.5, b: false, z: null, arr: [1, 'two', { three: 3 }], obj: { deep: { er: true } } };
    await kv.call('create', 'j', { data: secret });
    expect(await kv.readSecret('j')).toEqual(secret);
  });

  it('keeps a member named __proto__ as data', async () => {
    const kv = createKvHarness(createMemoryStorage());
    const data = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    await kv.write('proto', data);
    const read = await kv.readSecret('proto');
    expect(Object.keys(read)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports existence by metadata, so writes can be classed create or update', async () => {
    const kv = createKvHarness(createMemoryStorage());
    expect(await kv.engine.exists?.(backendRequest('update', 'x'))).toBe(false);
    await kv.write('x', { a: 1 });
    expect(await kv.engine.exists?.(backendRequest('update', 'x'))).toBe(true);
    expect(await kv.engine.exists?.(backendRequest('update', ''))).toBe(false);
  });
});

describe('kv: pruning', () => {
  it('keeps max_versions of the mount and advances oldest_version', async () => {
    const kv = createKvHarness(createMemoryStorage(), { max_versions: 3 });
    for (let i = 1; i <= 5; i++) await kv.write('p', { v: i });
    const meta = (await kv.call('read-metadata', 'p')).data;
    expect(meta).toMatchObject({ current_version: 5, oldest_version: 3 });
    expect(Object.keys(meta?.versions ?? {})).toEqual(['3', '4', '5']);
    for (const version of ['1', '2']) {
      const err = await kv.failure(kv.call('read', 'p', { params: { version } }));
      expect(err.code).toBe('ERR_NOT_FOUND');
    }
    expect(await kv.readSecret('p', { version: '3' })).toEqual({ v: 3 });
    const keys = [...(await kv.dump()).keys()].filter((k) => k.startsWith('data/'));
    expect(keys.sort()).toEqual(['data/p/3', 'data/p/4', 'data/p/5']);
  });

  it('uses the secret\'s own max_versions over the mount\'s', async () => {
    const kv = createKvHarness(createMemoryStorage(), { max_versions: 10 });
    await kv.call('write-metadata', 'p', { data: { max_versions: 2 } });
    for (let i = 1; i <= 4; i++) await kv.write('p', { v: i });
    const meta = (await kv.call('read-metadata', 'p')).data;
    expect(meta).toMatchObject({ current_version: 4, oldest_version: 3, max_versions: 2 });
    expect((await kv.failure(kv.call('read', 'p', { params: { version: '2' } }))).code).toBe('ERR_NOT_FOUND');
  });

  it('defaults to 10 versions', async () => {
    const kv = createKvHarness(createMemoryStorage());
    for (let i = 1; i <= 12; i++) await kv.write('p', { v: i });
    expect((await kv.call('read-metadata', 'p')).data).toMatchObject({ oldest_version: 3, current_version: 12 });
  });
});

describe('kv: patch', () => {
  it('applies an RFC 7396 merge patch to the current version as a new version', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('p', { user: 'app', password: 'old', opts: { ssl: true, port: 5432 }, tags: ['a', 'b'] });
    const patched = await kv.call('patch', 'p', {
      data: { password: 'new', opts: { port: null, host: 'db' }, tags: ['c'], user: null, added: 1 },
    });
    expect(patched.data).toMatchObject({ version: 2 });
    expect(await kv.readSecret('p')).toEqual({ password: 'new', opts: { ssl: true, host: 'db' }, tags: ['c'], added: 1 });
    expect(await kv.readSecret('p', { version: '1' })).toMatchObject({ password: 'old' });
  });

  it('answers 404 when there is nothing readable to patch', async () => {
    const kv = createKvHarness(createMemoryStorage());
    expect((await kv.failure(kv.call('patch', 'none', { data: { a: 1 } }))).code).toBe('ERR_NOT_FOUND');
    await kv.write('d', { a: 1 });
    await kv.call('delete', 'd');
    expect((await kv.failure(kv.call('patch', 'd', { data: { a: 2 } }))).code).toBe('ERR_NOT_FOUND');
  });

  it('honours cas like a write', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('p', { a: 1 });
    expect((await kv.failure(kv.call('patch', 'p', { data: { a: 2 }, params: { cas: '5' } }))).code).toBe('ERR_PRECONDITION_FAILED');
    expect((await kv.call('patch', 'p', { data: { a: 2 }, params: { cas: '1' } })).data).toMatchObject({ version: 2 });
  });
});
