import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { createKvHarness } from './test-harness.js';

describe('kv: list', () => {
  it('lists secrets and folders below a path, sorted, folders ending in /', async () => {
    const kv = createKvHarness(createMemoryStorage());
    for (const path of ['app/db', 'app/api/key', 'app/api/cert', 'app/cache', 'other']) await kv.write(path, { a: 1 });
    expect((await kv.call('list', 'app')).data).toEqual({ keys: ['api/', 'cache', 'db'] });
    expect((await kv.call('list', 'app/api')).data).toEqual({ keys: ['cert', 'key'] });
  });

  it('lists the mount root', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('a/b', { a: 1 });
    await kv.write('c', { a: 1 });
    await kv.write('a', { a: 1 });
    expect((await kv.call('list', '')).data).toEqual({ keys: ['a', 'a/', 'c'] });
  });

  it('answers an empty folder with no keys and 200', async () => {
    const kv = createKvHarness(createMemoryStorage());
    const response = await kv.call('list', 'nothing/here');
    expect(response).toEqual({ data: { keys: [] }, cache: { ttlMs: Infinity } });
  });

  it('pages through 2,500 secrets with after and limit', async () => {
    const kv = createKvHarness(createMemoryStorage());
    const names = Array.from({ length: 2500 }, (_, i) => `s${String(i).padStart(4, '0')}`);
    for (const name of names) await kv.write(`big/${name}`, { a: 1 });
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const response = await kv.call('list', 'big', { params: after === undefined ? {} : { after } });
      pages++;
      const keys = response.data?.keys;
      if (!Array.isArray(keys)) throw new Error('no keys');
      for (const key of keys) if (typeof key === 'string') seen.push(key);
      const next = response.metadata?.next_after;
      if (typeof next !== 'string') break;
      expect(keys.length).toBe(1000);
      after = next;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(names);

    const small = await kv.call('list', 'big', { params: { limit: '2', after: 's0100' } });
    expect(small).toEqual({ data: { keys: ['s0101', 's0102'] }, metadata: { next_after: 's0102' }, cache: { ttlMs: Infinity } });
  });

  it('drops a secret from listings after delete-metadata, but not after a soft delete', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('f/a', { a: 1 });
    await kv.write('f/b', { a: 1 });
    await kv.call('delete', 'f/a');
    expect((await kv.call('list', 'f')).data).toEqual({ keys: ['a', 'b'] });
    await kv.call('delete-metadata', 'f/a');
    expect((await kv.call('list', 'f')).data).toEqual({ keys: ['b'] });
    await kv.call('delete-metadata', 'f/b');
    expect((await kv.call('list', '')).data).toEqual({ keys: [] });
  });

  it('validates limit and after', async () => {
    const kv = createKvHarness(createMemoryStorage());
    const cases: Record<string, string>[] = [{ limit: '0' }, { limit: '1001' }, { limit: 'x' }, { after: '' }, { page: '2' }];
    for (const params of cases) {
      const err = await kv.failure(kv.call('list', '', { params }));
      expect(err).toBeInstanceOf(ValidationError);
    }
  });
});
