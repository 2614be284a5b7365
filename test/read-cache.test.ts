/**
 * The read-through cache through the whole request flow (issue 7, done-when 1): one backend
 * call for many concurrent misses, writes visible to the next read, authorization before
 * the cache, revoked tokens refused, bounded stale-if-error, nothing dynamic or failed
 * cached, an audited bypass, and no secret leaking through it.
 */
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { Sensitive } from '../src/core/index.js';
import { GCP_NAMING, createMemoryProvider, createNameMapper } from '../src/providers/index.js';
import type { ProviderDefinition } from '../src/providers/index.js';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';

const CANARY = 'CANARY-cache-7c3a-never-in-a-log';
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

type MemoryProvider = ReturnType<typeof createMemoryProvider>;

/** A gateway with KV at "", a memory-backed cloud store at "cloud/" (mount `cloud` options) and a hand-driven clock. */
const setup = async (opts: { cloudCache?: Record<string, unknown>; cloudOptions?: Record<string, unknown>; kvCache?: Record<string, unknown>; config?: Record<string, unknown> } = {}) => {
  const clock = { now: Date.now() };
  const instances: MemoryProvider[] = [];
  const definition: ProviderDefinition = {
    type: 'memory-store',
    options: z.strictObject({}),
    naming: GCP_NAMING,
    createPort: () => {
      const p = createMemoryProvider({ now: () => clock.now });
      instances.push(p);
      return p;
    },
  };
  const g = await createTestGateway({
    runtime: { now: () => clock.now },
    providers: [definition],
    config: {
      mounts: [
        { path: '', type: 'kv', ...(opts.kvCache === undefined ? {} : { cache: opts.kvCache }) },
        { path: 'cloud', type: 'memory-store', options: { max_attempts: 1, ...opts.cloudOptions }, ...(opts.cloudCache === undefined ? {} : { cache: opts.cloudCache }) },
        { path: 'transit', type: 'transit' },
      ],
      audit: [{ name: 'main', type: 'memory' }],
      ...opts.config,
    },
  });
  gw = g;
  const provider = instances[instances.length - 1];
  if (provider === undefined) throw new Error('no provider');
  const mapper = createNameMapper(GCP_NAMING, '');
  /** Changes a secret in the "cloud" directly, behind Keygate's back. */
  const outOfBand = (path: string, value: Record<string, unknown>) =>
    provider.addVersion(mapper.toCloud(path), { kind: 'text', text: new Sensitive(JSON.stringify(value)) }, { stage: 'current' }, AbortSignal.timeout(1000));
  return { g, provider, clock, outOfBand };
};

const putPolicy = async (g: TestGateway, name: string, policy: string) => {
  const res = await g.call('PUT', `/api/v1/sys/policies/acl/${name}`, { body: { policy } });
  expect(res.status, res.text).toBe(204);
};
const tokenWith = async (g: TestGateway, policies: string[]) => {
  const res = await g.call('POST', '/api/v1/auth/token/create', { body: { policies } });
  expect(res.status, res.text).toBe(200);
  return res.body.auth as { client_token: string; accessor: string };
};
const records = (g: TestGateway) => (g.sinks.get('main')?.lines ?? []).map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
const stats = (g: TestGateway) => g.core.readCache.stats();

describe('single flight', () => {
  it('answers 1,000 concurrent misses on one key with exactly one backend call', async () => {
    const { g, provider } = await setup();
    expect((await g.call('PUT', '/api/v1/secrets/cloud/hot', { body: { password: CANARY } })).status).toBe(200);
    provider.faults.calls = {};
    // Slow enough that every request is waiting before the first call returns.
    provider.faults.delayMs = 200;
    const answers = await Promise.all(Array.from({ length: 1000 }, () => g.call('GET', '/api/v1/secrets/cloud/hot')));
    expect(answers.every((a) => a.status === 200 && a.body.data.password === CANARY)).toBe(true);
    expect(provider.faults.calls.read).toBe(1);
    // The others either joined the call in flight or, arriving after it returned, hit the entry.
    const s = stats(g);
    expect(s.loads).toBe(1);
    expect(s.coalesced).toBeGreaterThan(0);
    expect(s.coalesced + s.hits).toBe(999);
    // Each request is still on the audit record, request and response.
    const reads = records(g).filter((r) => r.path === 'cloud/hot' && r.operation === 'read');
    expect(reads.filter((r) => r.type === 'request')).toHaveLength(1000);
    expect(reads.filter((r) => r.type === 'response')).toHaveLength(1000);
    // And the next read is a hit: still one call.
    provider.faults.delayMs = 0;
    expect((await g.call('GET', '/api/v1/secrets/cloud/hot')).status).toBe(200);
    expect(provider.faults.calls.read).toBe(1);
  });
});

describe('writes through Keygate', () => {
  it('are visible to the next read: versions, listings, metadata, deletes, undeletes, destroys and rotations (KV)', async () => {
    const { g } = await setup();
    const read = async (path: string) => g.call('GET', `/api/v1/secrets/${path}`);
    await g.call('PUT', '/api/v1/secrets/app/db', { body: { password: 'one' } });
    expect((await read('app/db')).body.data.password).toBe('one');
    expect((await read('app/db')).body.data.password).toBe('one');
    expect(stats(g).hits).toBeGreaterThanOrEqual(1);
    await g.call('PUT', '/api/v1/secrets/app/db', { body: { password: 'two' } });
    expect((await read('app/db')).body.data.password).toBe('two');
    await g.call('PATCH', '/api/v1/secrets/app/db', { body: { user: 'u' } });
    expect((await read('app/db')).body.data).toEqual({ password: 'two', user: 'u' });
    expect((await read('app/db?version=1')).body.data.password).toBe('one');

    // Listings of every parent folder.
    expect((await g.call('GET', '/api/v1/secrets/app?list=true')).body.data.keys).toEqual(['db']);
    expect((await g.call('GET', '/api/v1/secrets/?list=true')).body.data.keys).toContain('app/');
    await g.call('PUT', '/api/v1/secrets/app/deep/api', { body: { k: 1 } });
    expect((await g.call('GET', '/api/v1/secrets/app?list=true')).body.data.keys).toEqual(['db', 'deep/']);

    // Metadata.
    expect((await g.call('GET', '/api/v1/metadata/app/db')).body.data.max_versions).toBe(0);
    await g.call('PATCH', '/api/v1/metadata/app/db', { body: { max_versions: 5, custom_metadata: { owner: 'x' } } });
    expect((await g.call('GET', '/api/v1/metadata/app/db')).body.data.max_versions).toBe(5);
    expect((await read('app/db')).body.metadata.custom_metadata).toEqual({ owner: 'x' });

    // Delete, undelete, destroy, delete everything.
    await g.call('DELETE', '/api/v1/secrets/app/db');
    expect((await read('app/db')).status).toBe(404);
    await g.call('POST', '/api/v1/secrets/app/db/undelete', { body: { versions: [3] } });
    expect((await read('app/db')).status).toBe(200);
    await g.call('POST', '/api/v1/secrets/app/db/destroy', { body: { versions: [1] } });
    expect((await read('app/db?version=1')).status).toBe(404);
    await g.call('PUT', '/api/v1/metadata/app/db', { body: { rotation: { fields: ['password'] } } });
    const before = (await read('app/db')).body.data.password as string;
    expect((await g.call('POST', '/api/v1/secrets/app/db/rotate')).status).toBe(200);
    expect((await read('app/db')).body.data.password).not.toBe(before);
    await g.call('DELETE', '/api/v1/metadata/app/db');
    expect((await read('app/db')).status).toBe(404);
    expect((await g.call('GET', '/api/v1/secrets/app?list=true')).body.data.keys).toEqual(['deep/']);
  });

  it('are visible to the next read on a cloud mount; changes made in the cloud show after the TTL', async () => {
    const { g, clock, outOfBand } = await setup({ cloudCache: { ttl: '30s' } });
    await g.call('PUT', '/api/v1/secrets/cloud/app/db', { body: { password: 'one' } });
    expect((await g.call('GET', '/api/v1/secrets/cloud/app/db')).body.data.password).toBe('one');
    await g.call('PUT', '/api/v1/secrets/cloud/app/db', { body: { password: 'two' } });
    expect((await g.call('GET', '/api/v1/secrets/cloud/app/db')).body.data.password).toBe('two');

    await outOfBand('app/db', { password: 'changed-in-the-console' });
    expect((await g.call('GET', '/api/v1/secrets/cloud/app/db')).body.data.password).toBe('two');
    clock.now += 30_000;
    expect((await g.call('GET', '/api/v1/secrets/cloud/app/db')).body.data.password).toBe('changed-in-the-console');
  });
});

describe('authorization comes first', () => {
  it('never gives a denied principal what an allowed one just cached', async () => {
    const { g } = await setup();
    await g.call('PUT', '/api/v1/secrets/team-a/db', { body: { password: CANARY } });
    await g.call('PUT', '/api/v1/secrets/cloud/team-a/db', { body: { password: CANARY } });
    await putPolicy(g, 'a', 'path "team-a/*" { capabilities = ["read", "list"] }\npath "cloud/team-a/*" { capabilities = ["read"] }\npath "metadata/team-a/*" { capabilities = ["read"] }');
    await putPolicy(g, 'b', 'path "team-b/*" { capabilities = ["read", "list"] }');
    const a = await tokenWith(g, ['a']);
    const b = await tokenWith(g, ['b']);
    for (const path of ['/api/v1/secrets/team-a/db', '/api/v1/secrets/cloud/team-a/db', '/api/v1/metadata/team-a/db', '/api/v1/secrets/team-a?list=true']) {
      const allowed = await g.call('GET', path, { token: a.client_token });
      expect(allowed.status, path).toBe(200);
      const hitsBefore = stats(g).hits;
      expect((await g.call('GET', path, { token: a.client_token })).status, path).toBe(200);
      expect(stats(g).hits, path).toBe(hitsBefore + 1);
      const denied = await g.call('GET', path, { token: b.client_token });
      expect(denied.status, path).toBe(403);
      expect(denied.text).not.toContain(CANARY);
      // A bypass does not help either.
      expect((await g.call('GET', path, { token: b.client_token, headers: { 'cache-control': 'no-cache' } })).status, path).toBe(403);
      // And no token at all.
      expect((await g.call('GET', path, { token: null })).status, path).toBe(401);
    }
  });

  it('refuses a revoked token although its verification and the secret are cached', async () => {
    const { g } = await setup();
    await g.call('PUT', '/api/v1/secrets/app/db', { body: { password: CANARY } });
    await putPolicy(g, 'reader', 'path "app/*" { capabilities = ["read"] }');
    const t = await tokenWith(g, ['reader']);
    for (let i = 0; i < 3; i++) expect((await g.call('GET', '/api/v1/secrets/app/db', { token: t.client_token })).status).toBe(200);
    expect((await g.call('POST', '/api/v1/auth/token/revoke', { body: { token: t.client_token } })).status).toBe(204);
    const after = await g.call('GET', '/api/v1/secrets/app/db', { token: t.client_token });
    expect(after.status).toBe(401);
    expect(after.text).not.toContain(CANARY);
    // The secret is still cached for everyone else.
    const hits = stats(g).hits;
    expect((await g.call('GET', '/api/v1/secrets/app/db')).status).toBe(200);
    expect(stats(g).hits).toBe(hits + 1);
  });
});

describe('stale-if-error', () => {
  it('serves a stale answer, marked, only within the mount\'s bound', async () => {
    const { g, provider, clock } = await setup({ cloudCache: { ttl: '10s', stale_if_error: '1m' } });
    await g.call('PUT', '/api/v1/secrets/cloud/db', { body: { password: CANARY } });
    const fresh = await g.call('GET', '/api/v1/secrets/cloud/db');
    expect(fresh.body.metadata.cache).toBeUndefined();
    provider.faults.failWith = 'unavailable';
    // Still fresh: a hit, the store is not asked.
    expect((await g.call('GET', '/api/v1/secrets/cloud/db')).status).toBe(200);

    clock.now += 40_000;
    const stale = await g.call('GET', '/api/v1/secrets/cloud/db');
    expect(stale.status).toBe(200);
    expect(stale.body.data.password).toBe(CANARY);
    expect(stale.body.metadata.cache).toEqual({ stale: true, age_ms: 40_000 });
    expect(stale.body.metadata).toMatchObject({ mount: 'cloud/', backend: 'memory-store' });

    clock.now += 30_001; // 70 s old: 60 s past freshness, beyond the bound
    const gone = await g.call('GET', '/api/v1/secrets/cloud/db');
    expect(gone.status).toBe(503);
    expect(gone.body.error.code).toBe('ERR_UPSTREAM_UNAVAILABLE');
    expect(gone.text).not.toContain(CANARY);
    expect(stats(g).staleServed).toBe(1);
  });

  it('is off unless the mount opts in', async () => {
    const { g, provider, clock } = await setup({ cloudCache: { ttl: '10s' } });
    await g.call('PUT', '/api/v1/secrets/cloud/db', { body: { a: 1 } });
    await g.call('GET', '/api/v1/secrets/cloud/db');
    clock.now += 11_000;
    provider.faults.failWith = 'unavailable';
    expect((await g.call('GET', '/api/v1/secrets/cloud/db')).status).toBe(503);
  });
});

describe('what is never cached', () => {
  it('transit answers, even on a mount that asks for caching', async () => {
    const { g } = await setup({ config: { mounts: [{ path: '', type: 'kv' }, { path: 'cloud', type: 'memory-store' }, { path: 'transit', type: 'transit', cache: { ttl: '1m' } }] } });
    expect((await g.call('POST', '/api/v1/secrets/transit/keys/k', { body: {} })).status).toBe(200);
    const before = stats(g);
    const one = await g.call('GET', '/api/v1/secrets/transit/keys/k');
    expect(one.status, one.text).toBe(200);
    expect((await g.call('POST', '/api/v1/secrets/transit/keys/k/rotate', { body: {} })).status).toBe(200);
    const two = await g.call('GET', '/api/v1/secrets/transit/keys/k');
    expect(two.body.data.latest_version).toBe(2);
    const enc1 = await g.call('POST', '/api/v1/secrets/transit/encrypt/k', { body: { plaintext: btoa(CANARY) } });
    const enc2 = await g.call('POST', '/api/v1/secrets/transit/encrypt/k', { body: { plaintext: btoa(CANARY) } });
    expect(enc1.body.data.ciphertext).not.toBe(enc2.body.data.ciphertext);
    const after = stats(g);
    expect(after.entries).toBe(before.entries);
    expect(after.hits).toBe(before.hits);
    expect(after.uncacheable).toBe(before.uncacheable + 2);
  });

  it('errors: a failed read is retried at the backend, a not-found is not remembered unless the mount opts in', async () => {
    const { g, provider, outOfBand } = await setup();
    await g.call('PUT', '/api/v1/secrets/cloud/x', { body: { a: 1 } });
    provider.faults.failWith = 'unavailable';
    provider.faults.calls = {};
    expect((await g.call('GET', '/api/v1/secrets/cloud/x')).status).toBe(503);
    expect((await g.call('GET', '/api/v1/secrets/cloud/x')).status).toBe(503);
    expect(provider.faults.calls.read).toBe(2);
    provider.faults.failWith = null;
    expect((await g.call('GET', '/api/v1/secrets/cloud/x')).status).toBe(200);

    // Not found, then created behind Keygate's back: the next read finds it.
    expect((await g.call('GET', '/api/v1/secrets/cloud/later')).status).toBe(404);
    await provider.create(createNameMapper(GCP_NAMING, '').toCloud('later'), { kind: 'text', text: new Sensitive('{"a":1}') }, {}, AbortSignal.timeout(1000));
    expect((await g.call('GET', '/api/v1/secrets/cloud/later')).status).toBe(200);
    void outOfBand;
  });

  it('remembers not-found for negative_ttl when the mount opts in, and forgets it on a write', async () => {
    const { g, provider, clock } = await setup({ cloudCache: { negative_ttl: '5s' } });
    const mapper = createNameMapper(GCP_NAMING, '');
    expect((await g.call('GET', '/api/v1/secrets/cloud/later')).status).toBe(404);
    await provider.create(mapper.toCloud('later'), { kind: 'text', text: new Sensitive('{"a":1}') }, {}, AbortSignal.timeout(1000));
    expect((await g.call('GET', '/api/v1/secrets/cloud/later')).status).toBe(404);
    clock.now += 5_000;
    expect((await g.call('GET', '/api/v1/secrets/cloud/later')).status).toBe(200);

    expect((await g.call('GET', '/api/v1/secrets/cloud/written')).status).toBe(404);
    await g.call('PUT', '/api/v1/secrets/cloud/written', { body: { a: 1 } });
    expect((await g.call('GET', '/api/v1/secrets/cloud/written')).status).toBe(200);
  });
});

describe('bypass', () => {
  it('reads from the backend with Cache-Control: no-cache or ?cache=bypass, refreshes the entry, and is audited', async () => {
    const { g, outOfBand } = await setup({ cloudCache: { ttl: '1h' } });
    await g.call('PUT', '/api/v1/secrets/cloud/db', { body: { password: 'one' } });
    expect((await g.call('GET', '/api/v1/secrets/cloud/db')).body.data.password).toBe('one');
    await outOfBand('db', { password: 'two' });
    expect((await g.call('GET', '/api/v1/secrets/cloud/db')).body.data.password).toBe('one');
    expect((await g.call('GET', '/api/v1/secrets/cloud/db', { headers: { 'cache-control': 'no-cache' } })).body.data.password).toBe('two');
    // The fresh answer replaced the entry.
    expect((await g.call('GET', '/api/v1/secrets/cloud/db')).body.data.password).toBe('two');
    await outOfBand('db', { password: 'three' });
    expect((await g.call('GET', '/api/v1/secrets/cloud/db?cache=bypass')).body.data.password).toBe('three');
    expect((await g.call('GET', '/api/v1/secrets/cloud/db', { headers: { 'cache-control': 'max-age=0' } })).status).toBe(200);
    expect((await g.call('GET', '/api/v1/secrets/cloud/db', { headers: { pragma: 'no-cache' } })).status).toBe(200);
    expect(stats(g).bypassed).toBe(4);
    expect((await g.call('GET', '/api/v1/secrets/cloud/db?cache=sometimes')).status).toBe(400);

    const reads = records(g).filter((r) => r.path === 'cloud/db' && r.operation === 'read' && r.type === 'request');
    // The miss and each bypass have a request record; a hit is its response record alone (decision 0021).
    expect(reads.map((r) => r.cache ?? null)).toEqual([null, 'bypass', 'bypass', 'bypass', 'bypass']);
    // The params stay the caller's own (the query flag is taken off before routing).
    expect(reads.every((r) => !Object.hasOwn(r.request.params, 'cache'))).toBe(true);
    // Responses say how the cache answered.
    const answers = records(g).filter((r) => r.path === 'cloud/db' && r.operation === 'read' && r.type === 'response');
    expect(answers.slice(0, 4).map((r) => r.cache)).toEqual(['miss', 'hit', 'bypass', 'hit']);
  });
});

describe('sys/cache', () => {
  it('reports counters and purges (root-protected), and seal and unmount drop entries', async () => {
    const { g } = await setup();
    await g.call('PUT', '/api/v1/secrets/a', { body: { v: CANARY } });
    await g.call('GET', '/api/v1/secrets/a');
    await g.call('GET', '/api/v1/secrets/a');
    const status = await g.call('GET', '/api/v1/sys/cache');
    expect(status.status).toBe(200);
    expect(status.body.data).toMatchObject({ enabled: true, entries: 1, hits: 1, misses: 1, loads: 1 });
    expect(status.body.data.bytes).toBeGreaterThan(0);
    expect(status.text).not.toContain(CANARY);

    await putPolicy(g, 'ops', 'path "sys/cache" { capabilities = ["read"] }\npath "sys/cache/purge" { capabilities = ["update"] }');
    const ops = await tokenWith(g, ['ops']);
    expect((await g.call('GET', '/api/v1/sys/cache', { token: ops.client_token })).status).toBe(403);
    expect((await g.call('POST', '/api/v1/sys/cache/purge', { token: ops.client_token, body: {} })).status).toBe(403);

    await g.call('GET', '/api/v1/secrets/cloud/x');
    await g.call('PUT', '/api/v1/secrets/cloud/y', { body: { a: 1 } });
    await g.call('GET', '/api/v1/secrets/cloud/y');
    expect((await g.call('POST', '/api/v1/sys/cache/purge', { body: { mount: 'cloud', path: 'y' } })).status).toBe(204);
    expect(stats(g).entries).toBe(1);
    expect((await g.call('POST', '/api/v1/sys/cache/purge', { body: { mount: 'nope' } })).status).toBe(404);
    expect((await g.call('POST', '/api/v1/sys/cache/purge', { body: { path: 'y' } })).status).toBe(400);
    expect((await g.call('POST', '/api/v1/sys/cache/purge', { body: {} })).status).toBe(204);
    expect(stats(g).entries).toBe(0);

    // Removing a mount drops what was cached for it.
    expect((await g.call('POST', '/api/v1/sys/mounts/extra', { body: { type: 'kv', cache: { ttl: '5m' } } })).status).toBe(204);
    expect((await g.call('GET', '/api/v1/sys/mounts/extra')).body.data.cache).toEqual({ ttl: '5m' });
    await g.call('PUT', '/api/v1/secrets/extra/s', { body: { v: 1 } });
    await g.call('GET', '/api/v1/secrets/extra/s');
    await g.call('GET', '/api/v1/secrets/a');
    expect(stats(g).entries).toBe(2);
    expect((await g.call('DELETE', '/api/v1/sys/mounts/extra')).status).toBe(204);
    expect(stats(g).entries).toBe(1);
    expect((await g.call('POST', '/api/v1/sys/mounts/bad', { body: { type: 'kv', cache: { ttl: '48h' } } })).status).toBe(400);

    // Sealing drops every decrypted answer.
    await g.core.seal();
    expect(stats(g)).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('can be turned off for the whole gateway', async () => {
    const { g } = await setup({ config: { cache: { enabled: false } } });
    await g.call('PUT', '/api/v1/secrets/a', { body: { v: 1 } });
    await g.call('GET', '/api/v1/secrets/a');
    await g.call('GET', '/api/v1/secrets/a');
    expect(stats(g)).toMatchObject({ entries: 0, hits: 0, loads: 0 });
    expect((await g.call('GET', '/api/v1/sys/cache')).body.data.enabled).toBe(false);
  });
});

describe('secrecy', () => {
  it('never puts a canary in logs, audit records or error bodies because of the cache', async () => {
    const { g, provider, clock } = await setup({ cloudCache: { ttl: '1s', stale_if_error: '1m', negative_ttl: '5s' }, kvCache: { ttl: '1s', stale_if_error: '1m' } });
    const bodies: string[] = [];
    const call = async (method: string, path: string, opts: Parameters<TestGateway['call']>[2] = {}) => {
      const res = await g.call(method, path, opts);
      if (res.status >= 400) bodies.push(res.text);
      return res;
    };
    await call('PUT', '/api/v1/secrets/cloud/db', { body: { password: CANARY } });
    await call('PUT', '/api/v1/secrets/kvdb', { body: { password: CANARY } });
    await putPolicy(g, 'none', 'path "nothing/*" { capabilities = ["read"] }');
    const outsider = await tokenWith(g, ['none']);
    for (const path of ['/api/v1/secrets/cloud/db', '/api/v1/secrets/kvdb']) {
      expect((await call('GET', path)).body.data.password).toBe(CANARY);
      expect((await call('GET', path)).body.data.password).toBe(CANARY);
      await call('GET', path, { token: outsider.client_token });
      await call('GET', `${path}?cache=bypass`);
      await call('GET', `${path}?cache=${CANARY}`);
    }
    await Promise.all(Array.from({ length: 20 }, () => call('GET', '/api/v1/secrets/cloud/db', { headers: { 'cache-control': 'no-cache' } })));
    clock.now += 5_000;
    provider.faults.failWith = 'unavailable';
    expect((await call('GET', '/api/v1/secrets/cloud/db')).body.metadata.cache.stale).toBe(true);
    clock.now += 120_000;
    await call('GET', '/api/v1/secrets/cloud/db');
    await call('GET', '/api/v1/secrets/cloud/missing');
    await call('POST', '/api/v1/sys/cache/purge', { body: { mount: 'cloud', path: 'db' } });
    await call('GET', '/api/v1/sys/cache');
    g.core.readCache.clear();

    expect(bodies.length).toBeGreaterThan(5);
    for (const body of bodies) expect(body).not.toContain(CANARY);
    expect(JSON.stringify(g.logs)).not.toContain(CANARY);
    expect((g.sinks.get('main')?.lines ?? []).join('\n')).not.toContain(CANARY);
  });
});
