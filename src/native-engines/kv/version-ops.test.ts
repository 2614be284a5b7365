import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/index.js';
import type { JsonObject } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { createKvHarness } from './test-harness.js';

async function threeVersions() {
  const kv = createKvHarness(createMemoryStorage());
  for (let i = 1; i <= 3; i++) await kv.write('s', { v: i });
  return kv;
}

describe('kv: delete and undelete', () => {
  it('soft-deletes the current version: reads are 404, older versions still readable', async () => {
    const kv = await threeVersions();
    kv.runtime.advance(1000);
    expect(await kv.call('delete', 's')).toEqual({ status: 204 });
    const err = await kv.failure(kv.call('read', 's'));
    expect(err.code).toBe('ERR_NOT_FOUND');
    expect(err.message).toBe('version 3 is deleted');
    expect(await kv.readSecret('s', { version: '2' })).toEqual({ v: 2 });
    const meta = (await kv.call('read-metadata', 's')).data;
    expect(meta).toMatchObject({ versions: { '3': { deletion_time: '2024-01-01T00:00:01.000Z', destroyed: false } } });
    // Soft delete keeps the data.
    expect((await kv.dump()).has('data/s/3')).toBe(true);
  });

  it('soft-deletes the listed versions, deduplicated, ignoring unknown ones', async () => {
    const kv = await threeVersions();
    await kv.call('delete', 's', { params: { versions: '1,2,2,99' } });
    for (const version of ['1', '2']) expect((await kv.failure(kv.call('read', 's', { params: { version } }))).code).toBe('ERR_NOT_FOUND');
    expect(await kv.readSecret('s')).toEqual({ v: 3 });
  });

  it('keeps the first deletion time when deleting again', async () => {
    const kv = await threeVersions();
    await kv.call('delete', 's');
    kv.runtime.advance(5000);
    await kv.call('delete', 's');
    expect((await kv.call('read-metadata', 's')).data).toMatchObject({
      versions: { '3': { deletion_time: '2024-01-01T00:00:00.000Z' } },
    });
  });

  it('undelete restores soft-deleted versions', async () => {
    const kv = await threeVersions();
    await kv.call('delete', 's', { params: { versions: '2,3' } });
    expect(await kv.call('undelete', 's', { data: { versions: [3, 2] } })).toEqual({ status: 204 });
    expect(await kv.readSecret('s')).toEqual({ v: 3 });
    expect(await kv.readSecret('s', { version: '2' })).toEqual({ v: 2 });
  });

  it('is idempotent for a missing secret', async () => {
    const kv = createKvHarness(createMemoryStorage());
    expect(await kv.call('delete', 'nope')).toEqual({ status: 204 });
    expect(await kv.call('undelete', 'nope', { data: { versions: [1] } })).toEqual({ status: 204 });
    expect(await kv.call('destroy', 'nope', { data: { versions: [1] } })).toEqual({ status: 204 });
    expect((await kv.dump()).size).toBe(0);
  });

  it('validates the versions lists', async () => {
    const kv = await threeVersions();
    for (const versions of ['', '0', '1,,2', 'a', '1;2', Array.from({ length: 101 }, (_, i) => i + 1).join(',')]) {
      const err = await kv.failure(kv.call('delete', 's', { params: { versions } }));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.details?.[0]?.field).toBe('versions');
    }
    const bodies: JsonObject[] = [{}, { versions: [] }, { versions: [0] }, { versions: ['1'] }, { versions: Array.from({ length: 101 }, (_, i) => i + 1) }];
    for (const data of bodies) {
      const err = await kv.failure(kv.call('undelete', 's', { data }));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.details?.[0]?.field.startsWith('versions')).toBe(true);
    }
  });
});

describe('kv: destroy', () => {
  it('removes the data from storage for good and reads 404', async () => {
    const kv = await threeVersions();
    expect(await kv.call('destroy', 's', { data: { versions: [2] } })).toEqual({ status: 204 });
    const keys = [...(await kv.dump()).keys()].filter((k) => k.startsWith('data/')).sort();
    expect(keys).toEqual(['data/s/1', 'data/s/3']);
    const err = await kv.failure(kv.call('read', 's', { params: { version: '2' } }));
    expect(err.code).toBe('ERR_NOT_FOUND');
    expect(err.message).toBe('version 2 is destroyed');
    expect((await kv.call('read-metadata', 's')).data).toMatchObject({ versions: { '2': { destroyed: true } } });
  });

  it('is not undone by undelete, and delete leaves it alone', async () => {
    const kv = await threeVersions();
    await kv.call('delete', 's', { params: { versions: '2' } });
    await kv.call('destroy', 's', { data: { versions: [2] } });
    await kv.call('undelete', 's', { data: { versions: [2] } });
    expect((await kv.failure(kv.call('read', 's', { params: { version: '2' } }))).message).toBe('version 2 is destroyed');
    await kv.call('delete', 's', { params: { versions: '2' } });
    expect((await kv.call('read-metadata', 's')).data).toMatchObject({ versions: { '2': { destroyed: true } } });
  });

  it('of the current version makes the secret read 404 until a new version is written', async () => {
    const kv = await threeVersions();
    await kv.call('destroy', 's', { data: { versions: [3] } });
    expect((await kv.failure(kv.call('read', 's'))).code).toBe('ERR_NOT_FOUND');
    await kv.write('s', { v: 4 });
    expect(await kv.readSecret('s')).toEqual({ v: 4 });
  });
});

describe('kv: delete_version_after', () => {
  it('makes versions expire with the clock (mount option)', async () => {
    const kv = createKvHarness(createMemoryStorage(), { delete_version_after: '1h30m' });
    await kv.write('s', { v: 1 });
    expect((await kv.call('read-metadata', 's')).data).toMatchObject({
      versions: { '1': { deletion_time: '2024-01-01T01:30:00.000Z' } },
    });
    kv.runtime.advance(90 * 60_000 - 1);
    expect(await kv.readSecret('s')).toEqual({ v: 1 });
    kv.runtime.advance(1);
    expect((await kv.failure(kv.call('read', 's'))).message).toBe('version 1 is deleted');
    // Undelete cancels the expiry.
    await kv.call('undelete', 's', { data: { versions: [1] } });
    expect(await kv.readSecret('s')).toEqual({ v: 1 });
  });

  it('uses the shorter of the mount and secret settings', async () => {
    const kv = createKvHarness(createMemoryStorage(), { delete_version_after: '1h' });
    await kv.call('write-metadata', 's', { data: { delete_version_after: '45s' } });
    await kv.write('s', { v: 1 });
    kv.runtime.advance(45_000);
    expect((await kv.failure(kv.call('read', 's'))).code).toBe('ERR_NOT_FOUND');
    await kv.call('write-metadata', 't', { data: { delete_version_after: '2h' } });
    await kv.write('t', { v: 1 });
    kv.runtime.advance(3_600_000 - 1);
    expect(await kv.readSecret('t')).toEqual({ v: 1 });
    kv.runtime.advance(1);
    expect((await kv.failure(kv.call('read', 't'))).code).toBe('ERR_NOT_FOUND');
  });

  it('refuses malformed durations in mount options and metadata', async () => {
    expect(() => createKvHarness(createMemoryStorage(), { delete_version_after: '1 hour' })).toThrow(ValidationError);
    const kv = createKvHarness(createMemoryStorage());
    const err = await kv.failure(kv.call('write-metadata', 's', { data: { delete_version_after: '-5s' } }));
    expect(err.details?.[0]?.field).toBe('delete_version_after');
  });
});
