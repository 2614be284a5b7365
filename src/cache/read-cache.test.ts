import { describe, expect, it } from 'vitest';
import { GatewayError, NotFoundError, Sensitive, revealingStringify, sensitive } from '../core/index.js';
import type { MountCachePolicy, OperationResponse } from '../core/index.js';
import { createInProcessBus } from './invalidation.js';
import { createReadCache } from './read-cache.js';
import type { CacheRequest, ReadCacheOptions } from './read-cache.js';

/** A hand-driven clock. */
const clock = () => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
};

const POLICY: MountCachePolicy = { ttlMs: 30_000, negativeTtlMs: 0, staleIfErrorMs: 0 };

const setup = (overrides: Partial<ReadCacheOptions> = {}) => {
  const time = clock();
  const bus = createInProcessBus();
  const cache = createReadCache({ maxEntries: 1000, maxBytes: 10 * 1024 * 1024, now: time.now, bus, ...overrides });
  const req = (path: string, extra: Partial<CacheRequest> = {}): CacheRequest => ({
    mountId: 'm1',
    operation: 'read',
    path,
    params: {},
    policy: POLICY,
    signal: new AbortController().signal,
    ...extra,
  });
  return { time, bus, cache, req };
};

/** A backend whose answers and calls a test controls. */
const backend = (answer: (n: number) => OperationResponse | Promise<OperationResponse> = (n) => ({ data: { value: sensitive(`v${n}`) }, cache: { ttlMs: Infinity } })) => {
  const state = { calls: 0, signals: [] as AbortSignal[] };
  const load = async (signal: AbortSignal): Promise<OperationResponse> => {
    state.calls++;
    state.signals.push(signal);
    return answer(state.calls);
  };
  return { state, load };
};

const valueOf = (response: OperationResponse): unknown => JSON.parse(revealingStringify(response.data)).value;

/** A promise the test resolves or rejects by hand. */
const deferred = <T>() => {
  let resolve: (v: T) => void = () => undefined;
  let reject: (e: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('read cache: hits, keys and TTL', () => {
  it('keys entries by the exact text of their path, whatever characters it holds (the stored keys are copies)', async () => {
    const { cache, req, bus } = setup();
    const b = backend();
    const paths = ['a\u0000b', 'lone\ud800surrogate', 'lone\udc00', 'emoji\u{1F511}', `${'long/'.repeat(40)}end`];
    for (const path of paths) expect((await cache.read(req(path), b.load)).outcome).toBe('miss');
    for (const path of paths) expect((await cache.read(req(path), b.load)).outcome).toBe('hit');
    // A surrogate the path does not hold is another key.
    expect((await cache.read(req('lone\ud801surrogate'), b.load)).outcome).toBe('miss');
    for (const path of paths) await bus.publish({ kind: 'path', mountId: 'm1', path });
    for (const path of paths) expect((await cache.read(req(path), b.load)).outcome).toBe('miss');
    expect(b.state.calls).toBe(2 * paths.length + 1);
  });

  it('answers a second read from the cache until the TTL passes', async () => {
    const { cache, req, time } = setup();
    const b = backend();
    expect((await cache.read(req('a'), b.load)).outcome).toBe('miss');
    const hit = await cache.read(req('a'), b.load);
    expect(hit.outcome).toBe('hit');
    expect(valueOf(hit.response)).toBe('v1');
    time.advance(29_999);
    expect((await cache.read(req('a'), b.load)).outcome).toBe('hit');
    time.advance(1);
    const after = await cache.read(req('a'), b.load);
    expect(after.outcome).toBe('miss');
    expect(valueOf(after.response)).toBe('v2');
    expect(b.state.calls).toBe(2);
  });

  it('hit() answers a fresh entry at once, never reading the signal, and leaves misses, bypasses, not-founds and stale entries to read()', async () => {
    const { cache, req, time } = setup();
    const b = backend();
    const signalRead = { n: 0 };
    const watched = (path: string, extra: Partial<CacheRequest> = {}): CacheRequest => {
      const r = req(path, extra);
      return Object.defineProperty(r, 'signal', { get: () => (signalRead.n++, new AbortController().signal) });
    };
    expect(cache.hit(watched('a'))).toBeNull();
    await cache.read(req('a'), b.load);
    const hit = cache.hit(watched('a'));
    expect(hit?.outcome).toBe('hit');
    expect(hit?.shared).toBe(true);
    expect(valueOf(hit?.response ?? {})).toBe('v1');
    expect(signalRead.n).toBe(0);
    expect(cache.stats().hits).toBe(1);
    expect(cache.hit(watched('a', { bypass: true }))).toBeNull();
    expect(cache.hit(watched('a', { params: { version: '1' } }))).toBeNull();
    expect(cache.hit(watched('a', { policy: { ...POLICY, ttlMs: 0 } }))).toBeNull();
    time.advance(POLICY.ttlMs);
    expect(cache.hit(watched('a'))).toBeNull();
    const negative = setup();
    const missing = async () => {
      throw new NotFoundError('no such secret');
    };
    await negative.cache.read(negative.req('gone', { policy: { ...POLICY, negativeTtlMs: 5_000 } }), missing).catch(() => undefined);
    expect(negative.cache.hit(negative.req('gone', { policy: { ...POLICY, negativeTtlMs: 5_000 } }))).toBeNull();
    expect(signalRead.n).toBe(0);
  });

  it('keys by mount, operation, path and every param', async () => {
    const { cache, req } = setup();
    const b = backend();
    await cache.read(req('a'), b.load);
    await cache.read(req('a', { mountId: 'm2' }), b.load);
    await cache.read(req('a', { operation: 'read-metadata' }), b.load);
    await cache.read(req('a', { params: { version: '1' } }), b.load);
    await cache.read(req('a', { params: { version: '2' } }), b.load);
    await cache.read(req('a/b'), b.load);
    expect(b.state.calls).toBe(6);
    // Param order does not matter; values are part of the key, exactly.
    await cache.read(req('x', { params: { b: '1', a: '2' } }), b.load);
    expect((await cache.read(req('x', { params: { a: '2', b: '1' } }), b.load)).outcome).toBe('hit');
    expect((await cache.read(req('x', { params: { a: '2', b: '1&a=2' } }), b.load)).outcome).toBe('miss');
  });

  it('keeps an answer no longer than the backend allows, and the mount TTL no longer than the mount says', async () => {
    const { cache, req, time } = setup();
    const b = backend(() => ({ data: {}, cache: { ttlMs: 5_000 } }));
    await cache.read(req('a'), b.load);
    time.advance(4_999);
    expect((await cache.read(req('a'), b.load)).outcome).toBe('hit');
    time.advance(1);
    expect((await cache.read(req('a'), b.load)).outcome).toBe('miss');
    const short = { ...POLICY, ttlMs: 1_000 };
    const c = backend();
    await cache.read(req('b', { policy: short }), c.load);
    time.advance(1_000);
    expect((await cache.read(req('b', { policy: short }), c.load)).outcome).toBe('miss');
  });

  it('hands out the same frozen object on every hit, with Sensitive leaves intact', async () => {
    const { cache, req } = setup();
    const original: OperationResponse = { data: { password: sensitive('pw'), nested: { list: [1, 2] } }, metadata: { version: 1 }, etag: '1', cache: { ttlMs: Infinity } };
    const first = await cache.read(req('a'), async () => original);
    const second = await cache.read(req('a'), async () => original);
    expect(first.shared).toBe(true);
    expect(second.response).toBe(first.response);
    expect(first.response).not.toBe(original);
    expect(Object.isFrozen(first.response)).toBe(true);
    expect(Object.isFrozen(first.response.data)).toBe(true);
    expect(Object.isFrozen(first.response.data?.nested)).toBe(true);
    expect(first.response.data?.password).toBeInstanceOf(Sensitive);
    expect(first.response.cache).toBeUndefined();
    expect(JSON.stringify(first.response)).not.toContain('pw');
    // The engine's own object can change without touching the cached copy.
    (original.metadata as Record<string, unknown>).version = 2;
    expect(second.response.metadata?.version).toBe(1);
  });

  it('computes what is derived from a cached answer once, and from any other answer every time', async () => {
    const { cache, req } = setup();
    const b = backend();
    const cached = (await cache.read(req('a'), b.load)).response;
    let computed = 0;
    const derive = (r: OperationResponse) => cache.derive(r, 'json', () => (computed++, revealingStringify(r.data)));
    expect(derive(cached)).toBe('{"value":"v1"}');
    expect(derive((await cache.read(req('a'), b.load)).response)).toBe('{"value":"v1"}');
    expect(computed).toBe(1);
    const uncached: OperationResponse = { data: { x: 1 } };
    derive(uncached);
    derive(uncached);
    expect(computed).toBe(3);
    // Other keys on the same answer are remembered apart.
    const other = (k: string) => cache.derive(cached, k, () => (computed++, k));
    expect([other('a'), other('b'), other('a'), other('b'), derive(cached)]).toEqual(['a', 'b', 'a', 'b', '{"value":"v1"}']);
    expect(computed).toBe(5);
  });

  it('keeps `__proto__` keys as data, never as a prototype', async () => {
    const { cache, req } = setup();
    const data = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, never>;
    const got = await cache.read(req('a'), async () => ({ data, cache: { ttlMs: Infinity } }));
    expect(Object.keys(got.response.data ?? {})).toEqual(['__proto__', 'x']);
    expect((got.response.data as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('read cache: bounds', () => {
  it('holds at most max entries, evicting the least recently used', async () => {
    const { cache, req } = setup({ maxEntries: 3 });
    const b = backend();
    for (const p of ['a', 'b', 'c']) await cache.read(req(p), b.load);
    await cache.read(req('a'), b.load); // a is now the most recent
    await cache.read(req('d'), b.load); // evicts b
    expect(cache.stats()).toMatchObject({ entries: 3, evictions: 1 });
    expect((await cache.read(req('a'), b.load)).outcome).toBe('hit');
    expect((await cache.read(req('b'), b.load)).outcome).toBe('miss');
  });

  it('holds at most max bytes, and never an entry larger than max entry bytes', async () => {
    const big = (n: number) => ({ data: { value: sensitive('x'.repeat(n)) }, cache: { ttlMs: Infinity } });
    const { cache, req } = setup({ maxBytes: 64 * 1024, maxEntryBytes: 16 * 1024 });
    for (let i = 0; i < 20; i++) await cache.read(req(`s${i}`), async () => big(2_000));
    const stats = cache.stats();
    expect(stats.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(stats.entries).toBeGreaterThan(0);
    expect(stats.entries).toBeLessThan(20);
    expect(stats.evictions).toBeGreaterThan(0);
    // Over the per-entry bound: served, not kept.
    const huge = await cache.read(req('huge'), async () => big(20_000));
    expect(valueOf(huge.response)).toHaveLength(20_000);
    expect((await cache.read(req('huge'), async () => big(1))).outcome).toBe('miss');
    expect(cache.stats().uncacheable).toBeGreaterThanOrEqual(1);
  });
});

describe('read cache: what it never holds', () => {
  it('never stores or shares no-store, unmarked, leased, auth or non-200 answers', async () => {
    const answers: OperationResponse[] = [
      { data: { a: 1 }, cache: 'no-store' },
      { data: { a: 1 } },
      { data: { a: 1 }, lease: { id: 'l', ttlMs: 1000, renewable: true }, cache: { ttlMs: Infinity } },
      { data: { a: 1 }, auth: { alias: { name: 'x' }, displayName: 'x', policies: [], metadata: {} }, cache: { ttlMs: Infinity } },
      { status: 204, cache: { ttlMs: Infinity } },
      { data: { a: 1 }, cache: { ttlMs: 0 } },
    ];
    for (const [i, answer] of answers.entries()) {
      const { cache, req } = setup();
      const b = backend(() => answer);
      expect((await cache.read(req('a'), b.load)).shared, String(i)).toBe(false);
      await cache.read(req('a'), b.load);
      expect(b.state.calls, String(i)).toBe(2);
      expect(cache.stats().entries, String(i)).toBe(0);
    }
  });

  it('does not cache errors: the next read calls the backend again', async () => {
    const { cache, req } = setup();
    let n = 0;
    const load = async (): Promise<OperationResponse> => {
      n++;
      if (n === 1) throw new GatewayError('ERR_UPSTREAM_UNAVAILABLE', 'down');
      return { data: { ok: true }, cache: { ttlMs: Infinity } };
    };
    await expect(cache.read(req('a'), load)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' });
    expect((await cache.read(req('a'), load)).outcome).toBe('miss');
    expect(n).toBe(2);
  });

  it('does not remember not-found unless the mount opts in, and then only for negative_ttl', async () => {
    const { cache, req, time } = setup();
    let calls = 0;
    const missing = async (): Promise<OperationResponse> => {
      calls++;
      throw new NotFoundError('no such secret');
    };
    await expect(cache.read(req('a'), missing)).rejects.toBeInstanceOf(NotFoundError);
    await expect(cache.read(req('a'), missing)).rejects.toBeInstanceOf(NotFoundError);
    expect(calls).toBe(2);

    const negative = { ...POLICY, negativeTtlMs: 2_000 };
    await expect(cache.read(req('b', { policy: negative }), missing)).rejects.toBeInstanceOf(NotFoundError);
    const remembered = await cache.read(req('b', { policy: negative }), missing).catch((e: unknown) => e);
    expect(remembered).toBeInstanceOf(NotFoundError);
    expect((remembered as NotFoundError).message).toBe('no such secret');
    expect(calls).toBe(3);
    expect(cache.stats().negativeHits).toBe(1);
    time.advance(2_000);
    await expect(cache.read(req('b', { policy: negative }), missing)).rejects.toBeInstanceOf(NotFoundError);
    expect(calls).toBe(4);
    // Other failures are never remembered, even with negative caching on.
    let other = 0;
    const failing = async (): Promise<OperationResponse> => {
      other++;
      throw new GatewayError('ERR_INTERNAL', 'boom');
    };
    await expect(cache.read(req('c', { policy: negative }), failing)).rejects.toThrow('boom');
    await expect(cache.read(req('c', { policy: negative }), failing)).rejects.toThrow('boom');
    expect(other).toBe(2);
  });

  it('forgets a remembered not-found when the path is written', async () => {
    const { cache, req, bus } = setup();
    const negative = { ...POLICY, negativeTtlMs: 60_000 };
    let exists = false;
    const load = async (): Promise<OperationResponse> => {
      if (!exists) throw new NotFoundError('no such secret');
      return { data: { a: 1 }, cache: { ttlMs: Infinity } };
    };
    await expect(cache.read(req('a', { policy: negative }), load)).rejects.toBeInstanceOf(NotFoundError);
    exists = true;
    await bus.publish({ kind: 'path', mountId: 'm1', path: 'a' });
    expect((await cache.read(req('a', { policy: negative }), load)).outcome).toBe('miss');
  });
});

describe('read cache: single flight', () => {
  it('shares one backend call among concurrent misses for one key', async () => {
    const { cache, req } = setup();
    const gate = deferred<void>();
    const b = backend(async (n) => {
      await gate.promise;
      return { data: { value: sensitive(`v${n}`) }, cache: { ttlMs: Infinity } };
    });
    const reads = Array.from({ length: 1000 }, () => cache.read(req('a'), b.load));
    gate.resolve();
    const answers = await Promise.all(reads);
    expect(b.state.calls).toBe(1);
    expect(new Set(answers.map((a) => a.response)).size).toBe(1);
    expect(answers.filter((a) => a.outcome === 'miss')).toHaveLength(1);
    expect(answers.filter((a) => a.outcome === 'coalesced')).toHaveLength(999);
    expect(cache.stats()).toMatchObject({ loads: 1, coalesced: 999, misses: 1000 });
  });

  it('propagates the loader\'s failure to every waiter and stores nothing', async () => {
    const { cache, req } = setup();
    const gate = deferred<void>();
    let calls = 0;
    const load = async (): Promise<OperationResponse> => {
      calls++;
      await gate.promise;
      throw new GatewayError('ERR_UPSTREAM_TIMEOUT', 'slow');
    };
    const reads = Array.from({ length: 50 }, () => cache.read(req('a'), load).then(() => 'ok', (e: unknown) => (e as GatewayError).code));
    gate.resolve();
    expect(new Set(await Promise.all(reads))).toEqual(new Set(['ERR_UPSTREAM_TIMEOUT']));
    expect(calls).toBe(1);
    expect(cache.stats().entries).toBe(0);
    await expect(cache.read(req('a'), load)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_TIMEOUT' });
    expect(calls).toBe(2);
  });

  it('never shares a dynamic answer: each waiter gets its own backend call', async () => {
    const { cache, req } = setup();
    const gate = deferred<void>();
    const b = backend(async (n) => {
      await gate.promise;
      return { data: { password: sensitive(`dynamic-${n}`) }, lease: { id: `lease-${n}`, ttlMs: 60_000, renewable: true } };
    });
    const reads = Array.from({ length: 5 }, () => cache.read(req('creds/role'), b.load));
    gate.resolve();
    const answers = await Promise.all(reads);
    const leases = answers.map((a) => a.response.lease?.id);
    expect(new Set(leases).size).toBe(5);
    expect(b.state.calls).toBe(5);
    expect(cache.stats().entries).toBe(0);
  });

  it('lets a caller leave without cancelling the others, and cancels the call once nobody waits', async () => {
    const { cache, req } = setup();
    const gate = deferred<void>();
    const b = backend(async () => {
      await gate.promise;
      return { data: { a: 1 }, cache: { ttlMs: Infinity } };
    });
    const leaving = new AbortController();
    const staying = cache.read(req('a'), b.load);
    const left = cache.read(req('a', { signal: leaving.signal }), b.load);
    leaving.abort();
    await expect(left).rejects.toMatchObject({ code: 'ERR_UPSTREAM_TIMEOUT' });
    expect(b.state.signals[0]?.aborted).toBe(false);
    gate.resolve();
    expect((await staying).outcome).toBe('miss');

    const gate2 = deferred<void>();
    const c = backend(async () => {
      await gate2.promise;
      return { data: { a: 1 }, cache: { ttlMs: Infinity } };
    });
    const only = new AbortController();
    const alone = cache.read(req('b', { signal: only.signal }), c.load);
    only.abort();
    await expect(alone).rejects.toMatchObject({ code: 'ERR_UPSTREAM_TIMEOUT' });
    expect(c.state.signals[0]?.aborted).toBe(true);
    // A later caller starts a fresh call rather than joining the cancelled one.
    gate2.resolve();
    expect((await cache.read(req('b'), c.load)).outcome).toBe('miss');
    expect(c.state.calls).toBe(2);
  });

  it('a loader that throws at once does not leave a flight behind', async () => {
    const { cache, req } = setup();
    let calls = 0;
    const load = (): Promise<OperationResponse> => {
      calls++;
      if (calls === 1) throw new GatewayError('ERR_INTERNAL', 'sync failure');
      return Promise.resolve({ data: { a: 1 }, cache: { ttlMs: Infinity } });
    };
    await expect(cache.read(req('a'), load)).rejects.toThrow('sync failure');
    expect((await cache.read(req('a'), load)).outcome).toBe('miss');
  });
});

describe('read cache: stale-if-error', () => {
  const stale = { ...POLICY, ttlMs: 10_000, staleIfErrorMs: 60_000 };
  const flaky = () => {
    const state = { down: false as false | GatewayError, calls: 0 };
    const load = async (): Promise<OperationResponse> => {
      state.calls++;
      if (state.down !== false) throw state.down;
      return { data: { value: sensitive(`v${state.calls}`) }, metadata: { version: state.calls }, cache: { ttlMs: Infinity } };
    };
    return { state, load };
  };

  it('serves a stale answer, marked with its age, while the backend is unavailable and within the bound', async () => {
    const { cache, req, time } = setup();
    const f = flaky();
    await cache.read(req('a', { policy: stale }), f.load);
    time.advance(10_000 + 30_000);
    f.state.down = new GatewayError('ERR_UPSTREAM_UNAVAILABLE', 'down');
    const answer = await cache.read(req('a', { policy: stale }), f.load);
    expect(answer.outcome).toBe('stale');
    expect(answer.response.metadata).toEqual({ version: 1, cache: { stale: true, age_ms: 40_000 } });
    expect(valueOf(answer.response)).toBe('v1');
    for (const code of ['ERR_UPSTREAM_TIMEOUT', 'ERR_UPSTREAM_THROTTLED', 'ERR_STORAGE_UNAVAILABLE'] as const) {
      f.state.down = new GatewayError(code, 'x');
      expect((await cache.read(req('a', { policy: stale }), f.load)).outcome, code).toBe('stale');
    }
    // Back up: a fresh answer replaces it.
    f.state.down = false;
    const fresh = await cache.read(req('a', { policy: stale }), f.load);
    expect(fresh.outcome).toBe('miss');
    expect(fresh.response.metadata).toEqual({ version: 6 });
    expect(cache.stats().staleServed).toBe(4);
  });

  it('never serves stale past the bound, for other errors, or without the opt-in', async () => {
    const { cache, req, time } = setup();
    const f = flaky();
    await cache.read(req('a', { policy: stale }), f.load);
    time.advance(10_000 + 60_000);
    f.state.down = new GatewayError('ERR_UPSTREAM_UNAVAILABLE', 'down');
    await expect(cache.read(req('a', { policy: stale }), f.load)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' });

    const g = flaky();
    await cache.read(req('b', { policy: stale }), g.load);
    time.advance(20_000);
    for (const err of [new NotFoundError('gone'), new GatewayError('ERR_UPSTREAM_AUTH', 'denied'), new GatewayError('ERR_INTERNAL', 'bug')]) {
      g.state.down = err;
      await expect(cache.read(req('b', { policy: stale }), g.load)).rejects.toBe(err);
    }

    const h = flaky();
    await cache.read(req('c'), h.load);
    time.advance(30_000);
    h.state.down = new GatewayError('ERR_UPSTREAM_UNAVAILABLE', 'down');
    await expect(cache.read(req('c'), h.load)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' });
    expect(cache.stats().staleServed).toBe(0);
  });

  it('never serves stale past the backend\'s own bound, nor after an invalidation', async () => {
    const { cache, req, time, bus } = setup();
    let down = false;
    const load = async (): Promise<OperationResponse> => {
      if (down) throw new GatewayError('ERR_UPSTREAM_UNAVAILABLE', 'down');
      return { data: { a: 1 }, cache: { ttlMs: 15_000 } };
    };
    await cache.read(req('a', { policy: stale }), load);
    time.advance(15_000);
    down = true;
    await expect(cache.read(req('a', { policy: stale }), load)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' });

    down = false;
    await cache.read(req('b', { policy: stale }), load);
    await bus.publish({ kind: 'path', mountId: 'm1', path: 'b' });
    time.advance(11_000);
    down = true;
    await expect(cache.read(req('b', { policy: stale }), load)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' });
  });
});

describe('read cache: invalidation', () => {
  it('drops every version and param of a path, its metadata, and the listings of its parents', async () => {
    const { cache, req, bus } = setup();
    const b = backend();
    const keys: CacheRequest[] = [
      req('app/db'),
      req('app/db', { params: { version: '3' } }),
      req('app/db', { operation: 'read-metadata' }),
      req('app', { operation: 'list' }),
      req('', { operation: 'list' }),
      req('app/db', { operation: 'list' }),
      req('app/dbx'),
      req('app/db', { mountId: 'other' }),
    ];
    for (const k of keys) await cache.read(k, b.load);
    await bus.publish({ kind: 'path', mountId: 'm1', path: 'app/db' });
    const outcomes = [];
    for (const k of keys) outcomes.push((await cache.read(k, b.load)).outcome);
    expect(outcomes).toEqual(['miss', 'miss', 'miss', 'miss', 'miss', 'hit', 'hit', 'hit']);
  });

  it('keeps a path\'s keys right as its group grows from one key to several and shrinks by eviction', async () => {
    const { cache, req, bus } = setup({ maxEntries: 3 });
    const b = backend();
    const latest = req('p');
    const v1 = req('p', { params: { version: '1' } });
    const v2 = req('p', { params: { version: '2' } });
    for (const k of [latest, v1, v2]) await cache.read(k, b.load);
    // A fourth entry evicts the least recently used (`latest`), leaving two keys in the group.
    await cache.read(req('q'), b.load);
    expect(cache.stats().entries).toBe(3);
    await bus.publish({ kind: 'path', mountId: 'm1', path: 'p' });
    expect(cache.stats().entries).toBe(1);
    for (const k of [v1, v2]) expect((await cache.read(k, b.load)).outcome).toBe('miss');
    // A lone key, replaced in place and then invalidated.
    await bus.publish({ kind: 'path', mountId: 'm1', path: 'q' });
    await cache.read(req('q'), b.load);
    await cache.read(req('q', { bypass: true }), b.load);
    await bus.publish({ kind: 'path', mountId: 'm1', path: 'q' });
    expect((await cache.read(req('q'), b.load)).outcome).toBe('miss');
  });

  it('drops a whole mount, or everything', async () => {
    const { cache, req, bus } = setup();
    const b = backend();
    for (const k of [req('a'), req('b', { operation: 'list' }), req('a', { mountId: 'm2' })]) await cache.read(k, b.load);
    await bus.publish({ kind: 'mount', mountId: 'm1' });
    expect(cache.stats().entries).toBe(1);
    expect((await cache.read(req('a', { mountId: 'm2' }), b.load)).outcome).toBe('hit');
    cache.clear();
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('does not store, or let later readers join, a load that started before a write finished', async () => {
    const { cache, req, bus } = setup();
    const gate = deferred<void>();
    let version = 1;
    let calls = 0;
    const load = async (): Promise<OperationResponse> => {
      calls++;
      const seen = version;
      if (calls === 1) await gate.promise;
      return { data: { version: seen }, cache: { ttlMs: Infinity } };
    };
    const early = cache.read(req('a'), load);
    // The write happens, and invalidates, while the first load is still out.
    version = 2;
    await bus.publish({ kind: 'path', mountId: 'm1', path: 'a' });
    const late = await cache.read(req('a'), load);
    expect(late.response.data).toEqual({ version: 2 });
    gate.resolve();
    expect((await early).response.data).toEqual({ version: 1 });
    // The old answer was not stored over the new one.
    expect((await cache.read(req('a'), load)).response.data).toEqual({ version: 2 });
    expect(calls).toBe(2);
  });

  it('purges expired entries on demand', async () => {
    const { cache, req, time } = setup();
    const b = backend();
    await cache.read(req('a'), b.load);
    await cache.read(req('b', { policy: { ...POLICY, ttlMs: 100_000 } }), b.load);
    time.advance(30_000);
    expect(cache.purgeExpired()).toBe(1);
    expect(cache.stats().entries).toBe(1);
  });
});

describe('read cache: bypass', () => {
  it('skips the lookup, calls the backend, and refreshes the entry', async () => {
    const { cache, req } = setup();
    const b = backend();
    await cache.read(req('a'), b.load);
    const bypassed = await cache.read(req('a', { bypass: true }), b.load);
    expect(bypassed.outcome).toBe('bypass');
    expect(valueOf(bypassed.response)).toBe('v2');
    const next = await cache.read(req('a'), b.load);
    expect(next.outcome).toBe('hit');
    expect(valueOf(next.response)).toBe('v2');
    expect(cache.stats()).toMatchObject({ bypassed: 1, loads: 2 });
  });
});
