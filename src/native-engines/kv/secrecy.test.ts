import { describe, expect, it } from 'vitest';
import { fromUtf8, revealingStringify } from '../../core/index.js';
import type { GatewayError, Storage } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { createTestRuntime } from '../test-support.js';
import { createKvHarness } from './test-harness.js';

const CANARY = 'CANARY-c0ffee-5ecret-do-not-leak';

/** Storage that records every write, so a test can see exactly what the engine stored where. */
function recording(inner: Storage) {
  const puts: { key: string; value: string }[] = [];
  const storage: Storage = {
    get: (key) => inner.get(key),
    delete: (key) => inner.delete(key),
    list: (prefix, opts) => inner.list(prefix, opts),
    async put(key, value) {
      puts.push({ key, value: fromUtf8(value) });
      await inner.put(key, value);
    },
  };
  return { storage, puts };
}

function everything(err: GatewayError): string {
  return JSON.stringify({ message: err.message, details: err.details, headers: err.headers, stack: err.stack, cause: String(err.cause) });
}

describe('kv: secrets stay in storage', () => {
  it('stores secret values only in version data, never in keys or metadata', async () => {
    const { storage, puts } = recording(createMemoryStorage());
    const runtime = createTestRuntime();
    const kv = createKvHarness(storage, {}, runtime);
    await kv.write('app/db', { password: CANARY });
    await kv.call('patch', 'app/db', { data: { extra: `${CANARY}-2` } });
    await kv.call('write-metadata', 'app/db', { data: { rotation: { fields: ['password'] } } });
    await kv.call('rotate', 'app/db');
    await kv.call('delete', 'app/db', { params: { versions: '1' } });
    await kv.call('destroy', 'app/db', { data: { versions: [2] } });
    await kv.call('list', 'app');
    await kv.call('read', 'app/db');

    const withCanary = puts.filter((put) => put.value.includes(CANARY) || put.key.includes(CANARY));
    expect(withCanary.length).toBeGreaterThan(0);
    for (const put of withCanary) expect(put.key).toMatch(/^data\/app\/db\/[0-9]+$/);
    for (const put of puts.filter((p) => p.key.startsWith('meta/'))) expect(put.value).not.toContain('CANARY');
    expect(runtime.logged.join('\n')).not.toContain(CANARY);
  });

  it('keeps secret values wrapped in responses, and out of write and rotate responses', async () => {
    const kv = createKvHarness(createMemoryStorage());
    const written = await kv.write('s', { password: CANARY });
    expect(revealingStringify(written)).not.toContain(CANARY);
    const read = await kv.call('read', 's');
    expect(JSON.stringify(read)).not.toContain(CANARY);
    expect(revealingStringify(read)).toContain(CANARY);
    const metadata = await kv.call('read-metadata', 's');
    expect(revealingStringify(metadata)).not.toContain(CANARY);
  });

  it('leaves nothing of a secret behind after delete-metadata', async () => {
    const kv = createKvHarness(createMemoryStorage());
    for (let i = 0; i < 3; i++) await kv.write('gone', { password: `${CANARY}-${i}` });
    await kv.call('delete-metadata', 'gone');
    const dump = await kv.dump();
    expect([...dump.values()].join('\n')).not.toContain(CANARY);
    expect(dump.size).toBe(0);
  });

  it('never puts a submitted value into an error', async () => {
    const runtime = createTestRuntime();
    const kv = createKvHarness(createMemoryStorage(), {}, runtime);
    await kv.write('s', { password: CANARY });
    const attempts: Promise<unknown>[] = [
      kv.call('write-metadata', 's', { data: { max_versions: CANARY } }),
      kv.call('write-metadata', 's', { data: { cas_required: [CANARY] } }),
      kv.call('write-metadata', 's', { data: { delete_version_after: CANARY } }),
      kv.call('write-metadata', 's', { data: { custom_metadata: { k: CANARY.repeat(40) } } }),
      kv.call('write-metadata', 's', { data: { custom_metadata: { [CANARY]: 'v', ok: { nested: CANARY } } } }),
      kv.call('write-metadata', 's', { data: { rotation: { fields: ['password'], alphabet: CANARY } } }),
      kv.call('write-metadata', 's', { data: { rotation: { fields: [CANARY.repeat(10)] } } }),
      kv.call('write-metadata', 's', { data: { unknown_setting: CANARY, [CANARY]: CANARY } }),
      kv.call('undelete', 's', { data: { versions: [CANARY] } }),
      kv.call('destroy', 's', { data: { versions: CANARY } }),
      kv.call('read', 's', { params: { version: CANARY } }),
      kv.call('read', 's', { params: { [CANARY]: CANARY } }),
      kv.call('list', 's', { params: { limit: CANARY, after: CANARY.repeat(100) } }),
      kv.call('delete', 's', { params: { versions: `1,${CANARY}` } }),
      kv.write('s', { password: CANARY }, { params: { cas: CANARY } }),
      kv.write('s', { password: CANARY }, { params: { cas: '7' } }),
      kv.write('s', { password: CANARY }, { preconditions: { ifMatch: [CANARY] } }),
      kv.call('patch', 's', { data: { password: CANARY }, params: { cas: '0' } }),
      kv.call('rotate', 's'),
      kv.call('read', 's', { params: { version: '99' } }),
    ];
    for (const attempt of attempts) {
      const err = await kv.failure(attempt);
      expect(everything(err)).not.toContain(CANARY);
      expect(everything(err)).not.toContain('c0ffee');
    }
    expect(runtime.logged.join('\n')).not.toContain(CANARY);
  });
});

describe('kv: concurrency', () => {
  it('serialises 50 parallel writes to one path into versions 1..50, none lost', async () => {
    const kv = createKvHarness(createMemoryStorage(), { max_versions: 100 });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => kv.write('hot', { writer: i })));
    const versions = results.map((r) => r.data?.version).sort((a, b) => Number(a) - Number(b));
    expect(versions).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const writers = new Set<unknown>();
    for (let v = 1; v <= 50; v++) writers.add((await kv.readSecret('hot', { version: String(v) })).writer);
    expect(writers.size).toBe(50);
    expect((await kv.call('read-metadata', 'hot')).data).toMatchObject({ current_version: 50, oldest_version: 1 });
  });

  it('applies 50 parallel patches without losing an update', async () => {
    const kv = createKvHarness(createMemoryStorage(), { max_versions: 100 });
    await kv.write('hot', {});
    await Promise.all(Array.from({ length: 50 }, (_, i) => kv.call('patch', 'hot', { data: { [`f${i}`]: i } })));
    const secret = await kv.readSecret('hot');
    expect(Object.keys(secret)).toHaveLength(50);
    expect((await kv.call('read-metadata', 'hot')).data).toMatchObject({ current_version: 51 });
  });

  it('lets exactly one of many parallel cas=0 creates win', async () => {
    const kv = createKvHarness(createMemoryStorage());
    const settled = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => kv.write('once', { writer: i }, { params: { cas: '0' } })),
    );
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    for (const s of settled) {
      if (s.status === 'rejected') expect(s.reason).toMatchObject({ code: 'ERR_PRECONDITION_FAILED' });
    }
  });
});
