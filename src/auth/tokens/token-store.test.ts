import { afterEach, describe, expect, it } from 'vitest';
import { createWebRuntime, isGatewayError } from '../../core/index.js';
import type { Runtime, Storage } from '../../core/index.js';
import { createMemoryStorage, walkKeys } from '../../storage/index.js';
import { createTokenStore } from './token-store.js';
import type { TokenStore } from './token-store.js';

const HOUR = 3_600_000;
const open: TokenStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

const clock = () => {
  let now = Date.UTC(2026, 10, 23);
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

const setup = async (opts: { storage?: Storage; runtime?: Partial<Runtime>; leaseMs?: number } = {}) => {
  const storage = opts.storage ?? createMemoryStorage();
  const runtime = createWebRuntime(opts.runtime);
  const store = createTokenStore({ storage, runtime, settings: { defaultTtlMs: HOUR, maxTtlMs: 4 * HOUR }, leaseMs: opts.leaseMs ?? 1000, pollMs: 20 });
  await store.open();
  open.push(store);
  return { storage, store };
};

const refused = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  return isGatewayError(err, 'ERR_UNAUTHENTICATED');
};

describe('token store', () => {
  it('issues prefixed 256-bit tokens and stores only a keyed hash', async () => {
    const { storage, store } = await setup();
    const { token, record } = await store.create({ policies: ['a'], displayName: 'x', path: 'auth/token/create' });
    expect(token).toMatch(/^kg\.[A-Za-z0-9_-]{43}$/);
    expect(record.id).toMatch(/^[0-9a-f]{64}$/);
    for await (const key of walkKeys(storage)) {
      const value = new TextDecoder().decode((await storage.get(key)) ?? new Uint8Array());
      expect(key).not.toContain(token.slice(3));
      expect(value).not.toContain(token.slice(3));
    }
    expect((await store.verify(token)).accessor).toBe(record.accessor);
  });

  it('refuses malformed, unknown and overlong tokens with one error', async () => {
    const { store } = await setup();
    for (const bad of [null, '', 'kg.nope', 'hvs.abc', `kg.${'a'.repeat(300)}`]) expect(await refused(store.verify(bad))).toBe(true);
  });

  it('expires tokens, renews up to the maximum, and refuses renewal past it', async () => {
    const c = clock();
    const { store } = await setup({ runtime: { now: c.now } });
    const { token } = await store.create({ policies: [], displayName: 'x', path: 'p', ttlMs: HOUR, explicitMaxTtlMs: 2 * HOUR });
    c.advance(HOUR - 1000);
    const record = await store.verify(token);
    const { record: renewed, capped } = await store.renew(record, 3 * HOUR);
    expect(capped).toBe(true);
    expect(renewed.expires_at).toBe(renewed.max_expires_at);
    c.advance(HOUR + 2000);
    expect(await refused(store.verify(token))).toBe(true);
  });

  it('renews periodic tokens by their period without a maximum', async () => {
    const c = clock();
    const { store } = await setup({ runtime: { now: c.now } });
    const { token } = await store.create({ policies: [], displayName: 'x', path: 'p', periodMs: HOUR });
    for (let i = 0; i < 10; i++) {
      c.advance(HOUR - 1000);
      await store.renew(await store.verify(token));
    }
    expect((await store.verify(token)).max_expires_at).toBe(0);
  });

  it('revokes a token with its children, but orphans them when asked', async () => {
    const { store } = await setup();
    const parent = await store.create({ policies: [], displayName: 'p', path: 'p' });
    const child = await store.create({ policies: [], displayName: 'c', path: 'p', parent: parent.record });
    const grandchild = await store.create({ policies: [], displayName: 'g', path: 'p', parent: child.record });
    const orphan = await store.create({ policies: [], displayName: 'o', path: 'p', parent: null });
    await store.verify(grandchild.token);
    expect(await store.revoke(parent.record)).toBe(3);
    for (const t of [parent, child, grandchild]) expect(await refused(store.verify(t.token))).toBe(true);
    expect((await store.verify(orphan.token)).parent).toBe('');

    const p2 = await store.create({ policies: [], displayName: 'p', path: 'p' });
    const c2 = await store.create({ policies: [], displayName: 'c', path: 'p', parent: p2.record });
    expect(await store.revoke(p2.record, { orphanChildren: true })).toBe(1);
    expect((await store.verify(c2.token)).parent).toBe('');
  });

  it('looks up and revokes by accessor without the token', async () => {
    const { store } = await setup();
    const { token, record } = await store.create({ policies: ['x'], displayName: 'x', path: 'p' });
    const found = await store.lookupAccessor(record.accessor);
    expect(found?.policies).toEqual(['x']);
    await store.revoke(found ?? record);
    expect(await refused(store.verify(token))).toBe(true);
    expect(await store.lookupAccessor(record.accessor)).toBeNull();
    expect(await store.lookupAccessor('../../x')).toBeNull();
  });

  it('counts uses and refuses the token after the last one, even under concurrency', async () => {
    const { store } = await setup();
    const { token } = await store.create({ policies: [], displayName: 'x', path: 'p', numUses: 3 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => store.verify(token)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(await refused(store.verify(token))).toBe(true);
  });

  it('enforces bound CIDRs against the client address', async () => {
    const { store } = await setup();
    const { token } = await store.create({ policies: [], displayName: 'x', path: 'p', boundCidrs: ['10.0.0.0/8'] });
    expect((await store.verify(token, '10.1.2.3')).display_name).toBe('x');
    expect((await store.verify(token, '::ffff:10.1.2.3')).display_name).toBe('x');
    expect(await refused(store.verify(token, '192.168.1.1'))).toBe(true);
    expect(await refused(store.verify(token, null))).toBe(true);
  });

  it('revokes every token of an auth mount', async () => {
    const { store } = await setup();
    const a = await store.create({ policies: [], displayName: 'a', path: 'auth/approle/login', mountAccessor: 'auth_approle_1' });
    const b = await store.create({ policies: [], displayName: 'b', path: 'auth/jwt/login', mountAccessor: 'auth_jwt_1' });
    expect(await store.revokeByMount('auth_approle_1')).toBe(1);
    expect(await refused(store.verify(a.token))).toBe(true);
    expect((await store.verify(b.token)).display_name).toBe('b');
  });

  it('a revocation on one replica is honoured by another sharing storage before revoke returns', async () => {
    const storage = createMemoryStorage();
    const a = await setup({ storage });
    const b = await setup({ storage });
    const { token, record } = await a.store.create({ policies: [], displayName: 'x', path: 'p' });
    // B verifies (and caches) the token.
    await b.store.verify(token);
    await b.store.verify(token);
    await a.store.revoke(record);
    expect(await refused(b.store.verify(token))).toBe(true);
  });

  it('stops trusting its cache when it cannot sync', async () => {
    const backing = createMemoryStorage();
    let listing = true;
    // A storage whose listing (the revocation log) fails on demand; reads and writes keep working.
    const storage = {
      ...backing,
      list: (prefix: string, o?: { after?: string; limit?: number }) => (listing ? backing.list(prefix, o) : Promise.reject(new Error('unavailable'))),
    };
    const c = clock();
    const { store } = await setup({ storage, runtime: { now: c.now }, leaseMs: 1000 });
    const { token, record } = await store.create({ policies: [], displayName: 'x', path: 'p' });
    await store.verify(token);
    listing = false;
    await backing.delete(`token/id/${record.id}`);
    // Within the lease the cached verification may stand…
    expect((await store.verify(token)).accessor).toBe(record.accessor);
    // …past it, with no successful sync, every token is checked against storage again.
    c.advance(5000);
    expect(await refused(store.verify(token))).toBe(true);
  });
});

describe('token store: the verified-token cache (hot path)', () => {
  /** Memory storage that counts reads and can hold them (to interleave a revocation with a verification). */
  const countingStorage = () => {
    const inner = createMemoryStorage();
    const state = { gets: 0, hold: null as Promise<void> | null };
    const storage: Storage = {
      ...inner,
      async get(key) {
        state.gets++;
        const value = await inner.get(key);
        if (state.hold !== null && key.startsWith('token/id/')) await state.hold;
        return value;
      },
    };
    return { storage, state };
  };

  it('answers a repeat verification from memory: no hashing, no storage read', async () => {
    const { storage, state } = countingStorage();
    const { store } = await setup({ storage });
    const { token } = await store.create({ policies: ['a'], displayName: 'x', path: 'p' });
    const first = await store.verify(token);
    const before = state.gets;
    for (let i = 0; i < 100; i++) expect(await store.verify(token)).toBe(first);
    expect(state.gets).toBe(before);
  });

  it('is bounded by the token\'s expiry: a cached token stops working the moment it expires', async () => {
    const c = clock();
    const { store } = await setup({ runtime: { now: c.now } });
    const { token } = await store.create({ policies: [], displayName: 'x', path: 'p', ttlMs: 60_000 });
    await store.verify(token);
    c.advance(59_999);
    expect((await store.verify(token)).display_name).toBe('x');
    c.advance(1);
    expect(await refused(store.verify(token))).toBe(true);
  });

  it('still checks bound CIDRs on a cached hit', async () => {
    const { store } = await setup();
    const { token } = await store.create({ policies: [], displayName: 'x', path: 'p', boundCidrs: ['10.0.0.0/8'] });
    await store.verify(token, '10.1.2.3');
    expect(await refused(store.verify(token, '192.168.0.1'))).toBe(true);
    expect((await store.verify(token, '10.9.9.9')).display_name).toBe('x');
  });

  it('does not keep a record it read just before the token was revoked', async () => {
    const { storage, state } = countingStorage();
    const { store } = await setup({ storage });
    const { token, record } = await store.create({ policies: [], displayName: 'x', path: 'p' });
    let release: () => void = () => undefined;
    state.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The verification reads the record, then waits; the revocation completes meanwhile.
    const inFlight = store.verify(token);
    await new Promise((r) => setTimeout(r, 10));
    state.hold = null;
    await store.revoke(record);
    release();
    // It was valid when read, so that one request may pass; the next must not.
    await inFlight.catch(() => undefined);
    expect(await refused(store.verify(token))).toBe(true);
  });
});
