import { describe, expect, it } from 'vitest';
import { GatewayError, ValidationError, createWebRuntime, fromUtf8, utf8 } from '../core/index.js';
import type { Storage } from '../core/index.js';
import { createMemoryStorage } from '../storage/index.js';
import { DEFAULT_POLICY_TEXT } from './default-policy.js';
import { createPolicyStore } from './store.js';

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

/** Storage that counts reads, to see what the cache saves. */
function counting(storage: Storage): Storage & { reads: number } {
  const wrapped = {
    reads: 0,
    get: async (key: string) => {
      wrapped.reads++;
      return storage.get(key);
    },
    put: (key: string, value: Uint8Array) => storage.put(key, value),
    delete: (key: string) => storage.delete(key),
    list: (prefix: string, opts?: { after?: string; limit?: number }) => storage.list(prefix, opts),
  };
  return wrapped;
}

const READ_ALL = 'path "secret/*" { capabilities = ["read"] }';
const LIST_ALL = 'path "secret/*" { capabilities = ["list"] }';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('policy store', () => {
  it('has the built-in default policy without storing it', async () => {
    const storage = createMemoryStorage();
    const store = createPolicyStore({ storage, runtime: createWebRuntime() });
    expect((await store.get('default'))?.raw).toBe(DEFAULT_POLICY_TEXT);
    expect(await store.read('default')).toBe(DEFAULT_POLICY_TEXT);
    expect(await store.list()).toEqual(['default']);
    expect(await storage.list('')).toEqual([]);
  });

  it('stores { name, text, updated_time } under policy/<name> and reads it back', async () => {
    const storage = createMemoryStorage();
    const t = clock();
    const store = createPolicyStore({ storage, runtime: createWebRuntime({ now: t.now }) });
    const policy = await store.put('dev', READ_ALL);
    expect(policy.rules[0]?.path).toBe('secret/*');
    const bytes = await storage.get('policy/dev');
    expect(JSON.parse(fromUtf8(bytes ?? new Uint8Array()))).toEqual({ name: 'dev', text: READ_ALL, updated_time: new Date(t.now()).toISOString() });
    expect(await store.read('dev')).toBe(READ_ALL);
    expect(await store.list()).toEqual(['default', 'dev']);
    // A second store over the same storage (another replica) reads it too.
    const other = createPolicyStore({ storage, runtime: createWebRuntime() });
    expect((await other.get('dev'))?.rules).toEqual(policy.rules);
  });

  it('lists every stored name, sorted, across pages', async () => {
    const storage = createMemoryStorage();
    const store = createPolicyStore({ storage, runtime: createWebRuntime() });
    const names = Array.from({ length: 1203 }, (_, i) => `p${String(i).padStart(4, '0')}`);
    for (const name of names) await storage.put(`policy/${name}`, utf8(JSON.stringify({ name, text: '', updated_time: '' })));
    expect(await store.list()).toEqual(['default', ...names]);
  });

  it('refuses to write root, to delete root or default, and malformed names', async () => {
    const storage = createMemoryStorage();
    const store = createPolicyStore({ storage, runtime: createWebRuntime() });
    for (const attempt of [store.put('root', READ_ALL), store.delete('root'), store.delete('default'), store.put('Bad', READ_ALL), store.delete('a/b')]) {
      const error = await rejection(attempt);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error instanceof ValidationError ? error.details?.[0]?.field : null).toBe('name');
    }
    expect(await store.get('root')).toBeNull();
    expect(await store.read('root')).toBeNull();
    expect(await storage.list('')).toEqual([]);
  });

  it('parses before storing: bad text is a ValidationError and nothing changes', async () => {
    const storage = createMemoryStorage();
    const store = createPolicyStore({ storage, runtime: createWebRuntime() });
    await store.put('dev', READ_ALL);
    const error = await rejection(store.put('dev', 'path "secret/*" { capabilities = ["fly"] }'));
    expect(error).toBeInstanceOf(ValidationError);
    expect(await store.read('dev')).toBe(READ_ALL);
  });

  it('lets default be edited, and keeps serving the edit', async () => {
    const storage = createMemoryStorage();
    const store = createPolicyStore({ storage, runtime: createWebRuntime() });
    await store.put('default', LIST_ALL);
    expect(await store.read('default')).toBe(LIST_ALL);
    expect(await createPolicyStore({ storage, runtime: createWebRuntime() }).read('default')).toBe(LIST_ALL);
    expect(await store.list()).toEqual(['default']);
  });

  it('deletes, and a deleted or unknown policy is null', async () => {
    const storage = createMemoryStorage();
    const store = createPolicyStore({ storage, runtime: createWebRuntime() });
    await store.put('dev', READ_ALL);
    await store.delete('dev');
    await store.delete('never-existed');
    expect(await store.get('dev')).toBeNull();
    expect(await store.get('never-existed')).toBeNull();
    expect(await store.get('Not A Name')).toBeNull();
    expect(await store.list()).toEqual(['default']);
  });

  it('serves from memory within the staleness bound and re-reads after it (another replica\'s write)', async () => {
    const storage = createMemoryStorage();
    const t = clock();
    const runtime = createWebRuntime({ now: t.now });
    const here = createPolicyStore({ storage, runtime, maxStalenessMs: 1000 });
    const there = createPolicyStore({ storage, runtime, maxStalenessMs: 1000 });
    await there.put('dev', READ_ALL);
    expect(await here.read('dev')).toBe(READ_ALL);
    await there.put('dev', LIST_ALL);
    t.advance(1000);
    expect(await here.read('dev')).toBe(READ_ALL); // still within the bound
    t.advance(1);
    expect(await here.read('dev')).toBe(LIST_ALL); // past it: re-read
    await there.delete('dev');
    t.advance(1001);
    expect(await here.get('dev')).toBeNull();
    // A policy created elsewhere after a miss was cached shows up within the bound too.
    expect(await here.get('late')).toBeNull();
    await there.put('late', READ_ALL);
    expect(await here.get('late')).toBeNull();
    t.advance(1001);
    expect(await here.read('late')).toBe(READ_ALL);
  });

  it('applies its own writes at once, whatever the staleness bound', async () => {
    const storage = createMemoryStorage();
    const store = createPolicyStore({ storage, runtime: createWebRuntime({ now: () => 0 }), maxStalenessMs: 3_600_000 });
    await store.put('dev', READ_ALL);
    expect(await store.read('dev')).toBe(READ_ALL);
    await store.put('dev', LIST_ALL);
    expect(await store.read('dev')).toBe(LIST_ALL);
    await store.delete('dev');
    expect(await store.get('dev')).toBeNull();
  });

  it('caches reads, shares concurrent misses, and keeps the same object when the text did not change', async () => {
    const storage = counting(createMemoryStorage());
    const t = clock();
    const store = createPolicyStore({ storage, runtime: createWebRuntime({ now: t.now }) });
    await createPolicyStore({ storage, runtime: createWebRuntime() }).put('dev', READ_ALL);
    storage.reads = 0;
    const [a, b, c] = await Promise.all([store.get('dev'), store.get('dev'), store.get('dev')]);
    expect(storage.reads).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
    await store.get('dev');
    expect(storage.reads).toBe(1);
    t.advance(5000);
    expect(await store.get('dev')).toBe(a);
    expect(storage.reads).toBe(2);
  });

  it('fails closed on a stored record it cannot read or parse', async () => {
    const storage = createMemoryStorage();
    const store = createPolicyStore({ storage, runtime: createWebRuntime() });
    await storage.put('policy/broken', utf8('{not json'));
    await storage.put('policy/stale', utf8(JSON.stringify({ name: 'stale', text: 'path "a" { capabilities = ["fly"] }', updated_time: '' })));
    for (const name of ['broken', 'stale']) {
      const error = await rejection(store.get(name));
      expect(error).toBeInstanceOf(GatewayError);
      expect(error instanceof GatewayError ? error.code : null).toBe('ERR_INTERNAL');
    }
  });

  it('propagates storage failures instead of answering null', async () => {
    const storage = createMemoryStorage();
    const store = createPolicyStore({ storage, runtime: createWebRuntime() });
    await storage.close();
    const error = await rejection(store.get('dev'));
    expect(error instanceof GatewayError ? error.code : null).toBe('ERR_STORAGE_UNAVAILABLE');
  });
});
