import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { createKvHarness } from './test-harness.js';

describe('kv: metadata', () => {
  it('reads the full metadata shape', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('s', { a: 1 });
    kv.runtime.advance(2000);
    await kv.write('s', { a: 2 });
    const response = await kv.call('read-metadata', 's');
    expect(response.data).toEqual({
      current_version: 2,
      oldest_version: 1,
      max_versions: 0,
      cas_required: false,
      delete_version_after: '0s',
      custom_metadata: null,
      rotation: null,
      created_time: '2024-01-01T00:00:00.000Z',
      updated_time: '2024-01-01T00:00:02.000Z',
      versions: {
        '1': { created_time: '2024-01-01T00:00:00.000Z', deletion_time: '', destroyed: false },
        '2': { created_time: '2024-01-01T00:00:02.000Z', deletion_time: '', destroyed: false },
      },
    });
    expect(response.etag).toBe('2');
  });

  it('answers 404 for the metadata of a missing secret', async () => {
    const kv = createKvHarness(createMemoryStorage());
    expect((await kv.failure(kv.call('read-metadata', 'nope'))).code).toBe('ERR_NOT_FOUND');
  });

  it('write-metadata creates metadata for a secret that has none, keeping unset fields', async () => {
    const kv = createKvHarness(createMemoryStorage());
    expect(await kv.call('write-metadata', 'new', { data: { max_versions: 5, custom_metadata: { owner: 'team-a' } } })).toEqual({ status: 204 });
    expect((await kv.call('read-metadata', 'new')).data).toMatchObject({
      current_version: 0,
      oldest_version: 0,
      max_versions: 5,
      cas_required: false,
      custom_metadata: { owner: 'team-a' },
      versions: {},
    });
    expect((await kv.failure(kv.call('read', 'new'))).message).toBe('the secret has no versions');
    await kv.call('write-metadata', 'new', { data: { cas_required: true } });
    expect((await kv.call('read-metadata', 'new')).data).toMatchObject({ max_versions: 5, cas_required: true, custom_metadata: { owner: 'team-a' } });
    await kv.write('new', { a: 1 }, { params: { cas: '0' } });
    expect((await kv.call('read-metadata', 'new')).data).toMatchObject({ current_version: 1, oldest_version: 1 });
  });

  it('write-metadata replaces custom_metadata whole, null clears it', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.call('write-metadata', 's', { data: { custom_metadata: { a: '1', b: '2' } } });
    await kv.call('write-metadata', 's', { data: { custom_metadata: { c: '3' } } });
    expect((await kv.call('read-metadata', 's')).data).toMatchObject({ custom_metadata: { c: '3' } });
    await kv.call('write-metadata', 's', { data: { custom_metadata: null } });
    expect((await kv.call('read-metadata', 's')).data).toMatchObject({ custom_metadata: null });
  });

  it('lowering max_versions prunes at once', async () => {
    const kv = createKvHarness(createMemoryStorage());
    for (let i = 1; i <= 6; i++) await kv.write('s', { v: i });
    await kv.call('write-metadata', 's', { data: { max_versions: 2 } });
    expect((await kv.call('read-metadata', 's')).data).toMatchObject({ oldest_version: 5, current_version: 6 });
    const data = [...(await kv.dump()).keys()].filter((k) => k.startsWith('data/')).sort();
    expect(data).toEqual(['data/s/5', 'data/s/6']);
  });

  it('patch-metadata merges custom_metadata, a null value removing a key', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('s', { a: 1 });
    await kv.call('write-metadata', 's', { data: { custom_metadata: { a: '1', b: '2' }, max_versions: 4 } });
    await kv.call('patch-metadata', 's', { data: { custom_metadata: { b: null, c: '3' } } });
    expect((await kv.call('read-metadata', 's')).data).toMatchObject({ custom_metadata: { a: '1', c: '3' }, max_versions: 4 });
    await kv.call('patch-metadata', 's', { data: { cas_required: true } });
    expect((await kv.call('read-metadata', 's')).data).toMatchObject({ custom_metadata: { a: '1', c: '3' }, cas_required: true });
  });

  it('patch-metadata answers 404 when the secret has no metadata', async () => {
    const kv = createKvHarness(createMemoryStorage());
    expect((await kv.failure(kv.call('patch-metadata', 'nope', { data: { max_versions: 1 } }))).code).toBe('ERR_NOT_FOUND');
  });

  it('bounds custom_metadata: 64 keys, keys 1..128 bytes, values up to 512 bytes', async () => {
    const kv = createKvHarness(createMemoryStorage());
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    const cases: [Record<string, unknown>, string][] = [
      [{ custom_metadata: many }, 'custom_metadata'],
      [{ custom_metadata: { ['x'.repeat(129)]: 'v' } }, 'custom_metadata.[key]'],
      [{ custom_metadata: { '': 'v' } }, 'custom_metadata.[key]'],
      [{ custom_metadata: { k: 'é'.repeat(257) } }, 'custom_metadata.k'],
      [{ custom_metadata: { k: 5 } }, 'custom_metadata.k'],
    ];
    for (const [data, field] of cases) {
      const err = await kv.failure(kv.call('write-metadata', 's', { data: JSON.parse(JSON.stringify(data)) }));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.details?.[0]?.field).toBe(field);
    }
    await kv.call('write-metadata', 's', { data: { custom_metadata: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v'])) } });
    const err = await kv.failure(kv.call('patch-metadata', 's', { data: { custom_metadata: { extra: 'v' } } }));
    expect(err.details).toEqual([{ field: 'custom_metadata', reason: 'must have at most 64 keys after merging' }]);
  });

  it('refuses unknown metadata fields and out-of-range settings', async () => {
    const kv = createKvHarness(createMemoryStorage());
    const err = await kv.failure(kv.call('write-metadata', 's', { data: { max_versions: 1001, colour: 'red', cas_required: 'yes' } }));
    expect(err.details).toEqual([
      { field: 'colour', reason: 'is not a known field' },
      { field: 'max_versions', reason: 'must be at most 1000' },
      { field: 'cas_required', reason: 'must be a boolean' },
    ]);
  });

  it('delete-metadata removes every version and the metadata, idempotently', async () => {
    const kv = createKvHarness(createMemoryStorage());
    for (let i = 1; i <= 3; i++) await kv.write('app/s', { v: i });
    await kv.write('app/s/child', { v: 1 });
    expect(await kv.call('delete-metadata', 'app/s')).toEqual({ status: 204 });
    const keys = [...(await kv.dump()).keys()].sort();
    expect(keys).toEqual(['data/app/s/child/1', 'meta/app/s/child']);
    expect((await kv.failure(kv.call('read', 'app/s'))).code).toBe('ERR_NOT_FOUND');
    expect((await kv.call('list', 'app')).data).toEqual({ keys: ['s/'] });
    expect(await kv.call('delete-metadata', 'app/s')).toEqual({ status: 204 });
    // A new secret at the path starts again at version 1.
    expect((await kv.write('app/s', { v: 9 })).data).toMatchObject({ version: 1 });
  });

  it('delete-metadata sweeps version data a crashed write left behind', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('s', { v: 1 });
    // An interrupted write: the version's data landed, its metadata did not.
    await kv.storage.put('data/s/2', new TextEncoder().encode('{"v":2}'));
    await kv.call('delete-metadata', 's');
    expect((await kv.dump()).size).toBe(0);
  });
});
