/**
 * Issue 6 through the HTTP API: initialisation, auto-unseal and its retry, multi-seal (any
 * one, and k of n), Shamir unseal with progress and nonce, rekey, root-token generation,
 * manual seal and recovery, root-key rotation and rewrap, and seal migration, each across
 * restarts over the same storage. The seals here are `testkms` (test/helpers/test-seal.ts);
 * the cloud seals run the same flows against their emulators in seals-clouds.test.ts.
 */

import { afterEach, describe, expect, it, vi } from 'vitest';
import { fromBase64, fromUtf8 } from '../src/core/index.js';
import type { ManagedStorage } from '../src/core/index.js';
import { createMemoryStorage } from '../src/storage/index.js';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';
import { createTestKms } from './helpers/test-seal.js';
import type { TestKms } from './helpers/test-seal.js';

const open: TestGateway[] = [];
afterEach(async () => {
  for (const g of open.splice(0)) await g.close();
});

/** A store that outlives gateways: `close` on it is a no-op, so a "restart" reopens the same data. */
function durableStorage(): ManagedStorage {
  const inner = createMemoryStorage();
  return { ...inner, close: async () => undefined };
}

async function boot(storage: ManagedStorage, kms: TestKms, config: Record<string, unknown>, key?: Uint8Array): Promise<TestGateway> {
  const g = await createTestGateway({ storage, sealTypes: [kms.definition], config, ...(key === undefined ? {} : { key }) });
  open.push(g);
  return g;
}

async function restart(g: TestGateway, kms: TestKms, config: Record<string, unknown>): Promise<TestGateway> {
  await g.close();
  open.splice(open.indexOf(g), 1);
  return boot(g.storage, kms, config, g.key);
}

/** The captured log lines, parsed. */
const parsed = (g: TestGateway): Record<string, unknown>[] => g.logs.map((l) => JSON.parse(l) as Record<string, unknown>);

const kmsSeal = (name: string, keyId = name) => ({ type: 'testkms', name, key_id: keyId });

describe('initialisation', () => {
  it('leaves a KMS-sealed store uninitialised until sys/init, which returns the root token and recovery shares exactly once', async () => {
    const kms = createTestKms();
    const config = { seal: kmsSeal('aws') };
    const g = await boot(durableStorage(), kms, config);
    expect(g.rootToken).toBe('');
    expect((await g.call('GET', '/api/v1/sys/seal-status', { token: null })).body).toMatchObject({ initialized: false, sealed: true, type: 'testkms' });
    expect((await g.call('GET', '/api/v1/sys/init', { token: null })).body).toEqual({ initialized: false });
    expect((await g.call('GET', '/health', { token: null })).status).toBe(503);

    const init = await g.call('POST', '/api/v1/sys/init', { token: null, body: {} });
    expect(init.status).toBe(200);
    expect(init.body.keys).toEqual([]);
    expect(init.body.recovery_keys).toHaveLength(5);
    expect(init.body.recovery_keys_base64).toHaveLength(5);
    expect(init.body.root_token).toMatch(/\S{20,}/);
    const token: string = init.body.root_token;
    expect((await g.call('GET', '/api/v1/sys/seal-status', { token: null })).body).toMatchObject({ initialized: true, sealed: false, t: 3, n: 5, recovery_seal: true, cluster_id: expect.any(String) });
    expect((await g.call('PUT', '/api/v1/secrets/app/db', { token, body: { password: 'before-restart' } })).status).toBe(200);

    const again = await g.call('POST', '/api/v1/sys/init', { token: null, body: {} });
    expect(again.status).toBe(409);
    expect(again.text).not.toContain(token);

    // Restart: auto-unseal through the KMS, and the secret written before reads back.
    const h = await restart(g, kms, config);
    expect(h.started.initialized).toBe(false);
    expect(h.core.barrier.sealed).toBe(false);
    const read = await h.call('GET', '/api/v1/secrets/app/db', { token });
    expect(read.body.data).toEqual({ password: 'before-restart' });
    expect((await h.call('GET', '/health', { token: null })).status).toBe(200);
  });

  it('validates the share settings with field names, and refuses the other seal kind\'s fields', async () => {
    const kms = createTestKms();
    const g = await boot(durableStorage(), kms, { seal: kmsSeal('aws') });
    for (const [body, field] of [
      [{ recovery_shares: 3, recovery_threshold: 4 }, 'recovery_threshold'],
      [{ recovery_shares: 3, recovery_threshold: 1 }, 'recovery_threshold'],
      [{ secret_shares: 5 }, 'secret_shares'],
      [{ recovery_shares: 300 }, 'recovery_shares'],
    ] as const) {
      const res = await g.call('POST', '/api/v1/sys/init', { token: null, body });
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    expect(await g.core.barrier.isInitialized()).toBe(false);
    // recovery_shares 0: no recovery key at all.
    const init = await g.call('POST', '/api/v1/sys/init', { token: null, body: { recovery_shares: 0 } });
    expect(init.status).toBe(200);
    expect(init.body.recovery_keys).toEqual([]);
    expect((await g.call('GET', '/api/v1/sys/seal-status', { token: null })).body).toMatchObject({ t: 0, n: 0, recovery_seal: false });
  });

  it('refuses to initialise when a seal cannot wrap, committing nothing', async () => {
    const kms = createTestKms();
    kms.down.add('aws');
    const g = await boot(durableStorage(), kms, { seal: kmsSeal('aws') });
    const res = await g.call('POST', '/api/v1/sys/init', { token: null, body: {} });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('ERR_SEAL_UNAVAILABLE');
    expect(await g.core.barrier.isInitialized()).toBe(false);
    kms.down.delete('aws');
    expect((await g.call('POST', '/api/v1/sys/init', { token: null, body: {} })).status).toBe(200);
  });
});

/**
 * A durable store whose reads of the audit device table wait, once `hold` is called, until
 * `release`: it stops an unseal's loading after the mounts and before the audit devices.
 */
function auditLoadGate() {
  const storage = durableStorage();
  let gate: Promise<void> | null = null;
  let open = (): void => undefined;
  let reached = (): void => undefined;
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  const gated: ManagedStorage = {
    ...storage,
    get: async (key) => {
      if (gate !== null && key.endsWith('audit/devices')) {
        reached();
        await gate;
      }
      return storage.get(key);
    },
  };
  return {
    storage: gated,
    hold: () => void (gate = new Promise<void>((resolve) => (open = resolve))),
    arrived,
    release: () => open(),
  };
}

describe('multi-seal', () => {
  it('unseals with one of two KMS seals down (any one is enough)', async () => {
    const kms = createTestKms();
    const config = { seal: [kmsSeal('aws'), kmsSeal('gcp')] };
    const g = await boot(durableStorage(), kms, config);
    const { root_token: token } = (await g.call('POST', '/api/v1/sys/init', { token: null, body: {} })).body;
    await g.call('PUT', '/api/v1/secrets/k', { token, body: { v: '1' } });
    // Prove both seals once, so an outage later costs nothing.
    let h = await restart(g, kms, config);
    kms.down.add('aws');
    h = await restart(h, kms, config);
    expect(h.core.barrier.sealed).toBe(false);
    expect((await h.call('GET', '/api/v1/secrets/k', { token })).body.data).toEqual({ v: '1' });
    expect(parsed(h).some((l) => l.level === 'warn' && String(l.msg).includes('seal aws was unavailable'))).toBe(true);
    const backends = await h.call('GET', '/api/v1/sys/seal-backend-status', { token });
    expect(backends.body.seals.map((s: { name: string; healthy: boolean }) => [s.name, s.healthy])).toEqual([
      ['aws', false],
      ['gcp', true],
    ]);
  });

  it('with 2 of 2 and one down, stays sealed, says why, retries with backoff, and unseals once it is back', async () => {
    const kms = createTestKms();
    const config = { seal: [kmsSeal('aws'), kmsSeal('azure')], multi_seal: { required: 2 } };
    const g = await boot(durableStorage(), kms, config);
    const { root_token: token } = (await g.call('POST', '/api/v1/sys/init', { token: null, body: {} })).body;
    await g.call('PUT', '/api/v1/secrets/k', { token, body: { v: '2of2' } });
    kms.down.add('azure');
    const h = await restart(g, kms, config);
    expect(h.core.barrier.sealed).toBe(true);
    const status = (await h.call('GET', '/api/v1/sys/seal-status', { token: null })).body;
    expect(status).toMatchObject({ sealed: true, initialized: true, auto_unseal: { attempts: 1, last_error_code: 'ERR_SEAL_UNAVAILABLE' } });
    expect(status.auto_unseal.last_error).toContain('azure: unavailable');
    expect(status.auto_unseal.next_attempt_in_ms).toBeGreaterThan(0);
    const health = await h.call('GET', '/health/ready', { token: null });
    expect(health.status).toBe(503);
    expect((await h.call('GET', '/api/v1/secrets/k', { token })).status).toBe(503);
    expect(parsed(h).some((l) => l.level === 'warn' && String(l.msg).startsWith('staying sealed'))).toBe(true);

    kms.down.delete('azure');
    // Unsealed, and loaded behind the barrier (until then secret paths answer 503, fail closed).
    await vi.waitFor(async () => expect((await h.call('GET', '/api/v1/secrets/k', { token })).body.data).toEqual({ v: '2of2' }), { timeout: 10_000, interval: 50 });
    expect(h.core.barrier.sealed).toBe(false);
    expect(h.core.loaded).toBe(true);
    expect((await h.call('GET', '/health/ready', { token: null })).status).toBe(200);
    expect((await h.call('GET', '/api/v1/sys/seal-status', { token: null })).body.auto_unseal).toBeUndefined();
  });

  it('answers 503 while it loads behind the barrier after an unseal: nothing is served or issued before the audit devices are loaded', async () => {
    const kms = createTestKms();
    const config = { seal: [kmsSeal('aws'), kmsSeal('azure')], multi_seal: { required: 2 }, audit: [{ name: 'main', type: 'memory' }] };
    const gate = auditLoadGate();
    const g = await boot(gate.storage, kms, config);
    const { root_token: token } = (await g.call('POST', '/api/v1/sys/init', { token: null, body: {} })).body;
    await g.call('PUT', '/api/v1/secrets/k', { token, body: { v: 'loaded' } });
    kms.down.add('azure');
    const h = await restart(g, kms, config);
    expect(h.core.barrier.sealed).toBe(true);

    gate.hold();
    kms.down.delete('azure');
    // The retry unseals the barrier and loads the tokens and mounts, then waits at the audit devices.
    await gate.arrived;
    expect(h.core.barrier.sealed).toBe(false);
    expect(h.core.loaded).toBe(false);
    const read = await h.call('GET', '/api/v1/secrets/k', { token });
    expect(read.status).toBe(503);
    expect(read.text).not.toContain('loaded');
    expect((await h.call('POST', '/api/v1/auth/token/create', { token, body: { policies: ['default'] } })).status).toBe(503);
    expect((await h.call('GET', '/api/v1/sys/mounts', { token })).status).toBe(503);
    expect((await h.call('GET', '/health/ready', { token: null })).status).toBe(503);

    gate.release();
    await vi.waitFor(() => expect(h.core.loaded).toBe(true), { timeout: 10_000, interval: 20 });
    const after = await h.call('GET', '/api/v1/secrets/k', { token });
    expect(after.body.data).toEqual({ v: 'loaded' });
    // The read that was served is on record; the refused ones were refused before any device existed.
    const records = (h.sinks.get('main')?.lines ?? []).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.filter((r) => r.request_id === after.headers.get('x-request-id')).map((r) => r.type)).toContain('response');
  });

  it('moves an existing store from any one of three seals to 2 of 3, and back, although an unseal with k = 1 proves only one seal', async () => {
    const kms = createTestKms();
    const three = [kmsSeal('aws'), kmsSeal('gcp'), kmsSeal('azure')];
    const g = await boot(durableStorage(), kms, { seal: three });
    const { root_token: token } = (await g.call('POST', '/api/v1/sys/init', { token: null, body: {} })).body;
    await g.call('PUT', '/api/v1/secrets/k', { token, body: { v: 'k-of-n' } });
    let h = await restart(g, kms, { seal: three, multi_seal: { required: 2 } });
    expect(h.core.barrier.sealed).toBe(false);
    expect((await h.core.barrier.record())?.required).toBe(2);
    // Now any one seal is not enough, two are.
    kms.down.add('aws');
    kms.down.add('gcp');
    h = await restart(h, kms, { seal: three, multi_seal: { required: 2 } });
    expect(h.core.barrier.sealed).toBe(true);
    kms.down.delete('gcp');
    await vi.waitFor(async () => expect((await h.call('GET', '/api/v1/secrets/k', { token })).body.data).toEqual({ v: 'k-of-n' }), { timeout: 10_000, interval: 50 });
    expect(h.core.barrier.sealed).toBe(false);
    // Adding a fourth seal to a 2-of-3 store re-splits under all four (aws still down: it must be reachable).
    kms.down.delete('aws');
    h = await restart(h, kms, { seal: [...three, kmsSeal('vault')], multi_seal: { required: 2 } });
    expect(((await h.core.barrier.record())?.entries ?? []).map((e) => e.name)).toEqual(['aws', 'gcp', 'azure', 'vault']);
    // And back to any one.
    h = await restart(h, kms, { seal: three.concat(kmsSeal('vault')) });
    expect((await h.core.barrier.record())?.required).toBe(1);
    kms.down.add('aws');
    kms.down.add('gcp');
    kms.down.add('azure');
    h = await restart(h, kms, { seal: three.concat(kmsSeal('vault')) });
    expect(h.core.barrier.sealed).toBe(false);
    expect((await h.call('GET', '/api/v1/secrets/k', { token })).body.data).toEqual({ v: 'k-of-n' });
  });

  it('a replica still on the old configuration never drops a seal another replica added', async () => {
    const kms = createTestKms();
    const storage = durableStorage();
    const g = await boot(storage, kms, { seal: kmsSeal('aws') });
    const { root_token: token } = (await g.call('POST', '/api/v1/sys/init', { token: null, body: {} })).body;
    // The new configuration: gcp added, aws kept. Two restarts prove gcp.
    let h = await restart(g, kms, { seal: [kmsSeal('aws'), kmsSeal('gcp')] });
    h = await restart(h, kms, { seal: [kmsSeal('aws'), kmsSeal('gcp')] });
    // A replica on the old configuration (aws alone) unseals and leaves gcp's entry alone.
    const old = await restart(h, kms, { seal: kmsSeal('aws') });
    expect(old.core.barrier.sealed).toBe(false);
    expect(((await old.core.barrier.record())?.entries ?? []).map((e) => e.name)).toEqual(['aws', 'gcp']);
    expect(parsed(old).some((l) => String(l.msg).startsWith('the seal record has entries this configuration does not name'))).toBe(true);
    kms.down.add('aws');
    const newOnly = await restart(old, kms, { seal: kmsSeal('gcp') });
    expect(newOnly.core.barrier.sealed).toBe(false);
    expect((await newOnly.call('GET', '/api/v1/sys/seal-status', { token: null })).body.sealed).toBe(false);
    void token;
  });

  it('a replica started before sys/init unseals by itself once another replica initialises the store', async () => {
    const kms = createTestKms();
    const storage = durableStorage();
    const config = { seal: kmsSeal('aws') };
    const first = await boot(storage, kms, config);
    const second = await boot(storage, kms, config);
    expect(second.core.barrier.sealed).toBe(true);
    const init = await first.call('POST', '/api/v1/sys/init', { token: null, body: {} });
    expect(init.status).toBe(200);
    const token: string = init.body.root_token;
    await first.call('PUT', '/api/v1/secrets/shared', { token, body: { v: 'from the first replica' } });
    await vi.waitFor(async () => expect((await second.call('GET', '/api/v1/secrets/shared', { token })).body.data).toEqual({ v: 'from the first replica' }), { timeout: 10_000, interval: 50 });
    expect((await second.call('GET', '/api/v1/sys/seal-status', { token: null })).body).toMatchObject({ initialized: true, sealed: false });
  });

  it('refuses a configuration whose k exceeds the enabled seals', async () => {
    const kms = createTestKms();
    await expect(boot(durableStorage(), kms, { seal: [kmsSeal('a'), { ...kmsSeal('b'), disabled: true }], multi_seal: { required: 2 } })).rejects.toThrow(/multi_seal.required/);
    await expect(boot(durableStorage(), kms, { seal: [kmsSeal('a'), kmsSeal('a', 'other')] })).rejects.toThrow(/seal.1.name/);
    await expect(boot(durableStorage(), kms, { seal: { type: 'testkms' } })).rejects.toThrow(/seal.0.key_id/);
    await expect(boot(durableStorage(), kms, { seal: { type: 'vaultkms' } })).rejects.toThrow(/seal.0.type/);
  });

  it('stays sealed, without retrying, when the seal record was tampered with, and logs which seal refused', async () => {
    const kms = createTestKms();
    const config = { seal: kmsSeal('aws') };
    const g = await boot(durableStorage(), kms, config);
    await g.call('POST', '/api/v1/sys/init', { token: null, body: {} });
    const blob = await g.storage.get('core/seal');
    const record = JSON.parse(fromUtf8(blob as Uint8Array)) as { entries: { wrapped: { ciphertext: string } }[] };
    const entry = record.entries[0] as { wrapped: { ciphertext: string } };
    entry.wrapped.ciphertext = `${entry.wrapped.ciphertext.startsWith('A') ? 'B' : 'A'}${entry.wrapped.ciphertext.slice(1)}`;
    await g.storage.put('core/seal', new TextEncoder().encode(JSON.stringify(record)));
    const h = await restart(g, kms, config);
    expect(h.core.barrier.sealed).toBe(true);
    const status = (await h.call('GET', '/api/v1/sys/seal-status', { token: null })).body;
    expect(status.auto_unseal).toMatchObject({ last_error_code: 'ERR_UNSEAL_FAILED', next_attempt_in_ms: null });
    expect(parsed(h).some((l) => l.level === 'error' && String(l.msg).includes('staying sealed') && String(l.seals).includes('aws (testkms): failed'))).toBe(true);
  });
});

describe('Shamir seal', () => {
  const config = { seal: { type: 'shamir' } };

  async function initShamir(kms: TestKms, storage = durableStorage(), shares = 5, threshold = 3) {
    const g = await boot(storage, kms, config);
    const init = await g.call('POST', '/api/v1/sys/init', { token: null, body: { secret_shares: shares, secret_threshold: threshold } });
    expect(init.status).toBe(200);
    return { g, keys: init.body.keys as string[], keysB64: init.body.keys_base64 as string[], token: init.body.root_token as string };
  }

  it('unseals with T of N shares, reporting progress and a nonce; fewer than T leave it sealed', async () => {
    const kms = createTestKms();
    const { g, keys, keysB64, token } = await initShamir(kms);
    expect(keys).toHaveLength(5);
    expect(new Set(keys).size).toBe(5);
    await g.call('PUT', '/api/v1/secrets/app', { token, body: { v: 'shamir' } });
    const h = await restart(g, kms, config);
    expect(h.core.barrier.sealed).toBe(true);
    expect((await h.call('GET', '/api/v1/sys/seal-status', { token: null })).body).toMatchObject({ type: 'shamir', sealed: true, t: 3, n: 5, progress: 0, nonce: '' });

    const first = await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: keys[4] } });
    expect(first.body).toMatchObject({ sealed: true, progress: 1, nonce: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const nonce: string = first.body.nonce;
    // base64 works too, and the nonce must match when sent.
    const wrongNonce = await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: keysB64[0], nonce: 'not-the-nonce' } });
    expect(wrongNonce.status).toBe(400);
    expect(wrongNonce.body.error.details[0].field).toBe('nonce');
    const dup = await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: keys[4], nonce } });
    expect(dup.status).toBe(400);
    const second = await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: keysB64[0], nonce } });
    expect(second.body).toMatchObject({ sealed: true, progress: 2, nonce });
    expect((await h.call('GET', '/api/v1/secrets/app', { token })).status).toBe(503);
    const third = await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: keys[2], nonce } });
    expect(third.body).toMatchObject({ sealed: false, progress: 0, nonce: '' });
    expect((await h.call('GET', '/api/v1/secrets/app', { token })).body.data).toEqual({ v: 'shamir' });
  });

  it('fails closed and resets when the share set is wrong: shares from another initialisation, or a reset', async () => {
    const kms = createTestKms();
    const mine = await initShamir(kms);
    const other = await initShamir(kms);
    const h = await restart(mine.g, kms, config);
    await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: mine.keys[0] } });
    await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: mine.keys[1] } });
    const bad = await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: other.keys[2] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('ERR_UNSEAL_FAILED');
    expect(bad.text).not.toContain(other.keys[2]);
    expect((await h.call('GET', '/api/v1/sys/seal-status', { token: null })).body).toMatchObject({ sealed: true, progress: 0 });
    // Three shares all from the other store: refused too.
    for (const k of other.keys.slice(0, 2)) await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: k } });
    expect((await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: other.keys[2] } })).body.error.code).toBe('ERR_UNSEAL_FAILED');
    // reset drops progress.
    await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: mine.keys[0] } });
    expect((await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { reset: true } })).body).toMatchObject({ progress: 0, sealed: true });
    // The same share twice is a 400 that keeps the progress; a different share at the same
    // x-coordinate (another store's, forged here to collide) is a wrong set: refused, reset.
    await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: mine.keys[0] } });
    const twice = await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: mine.keys[0] } });
    expect([twice.status, twice.body.error.code]).toEqual([400, 'ERR_VALIDATION']);
    expect((await h.call('GET', '/api/v1/sys/seal-status', { token: null })).body).toMatchObject({ progress: 1 });
    const mineX = (mine.keys[0] ?? '').slice(-2);
    const colliding = `${(other.keys[3] ?? '').slice(0, -2)}${mineX}`;
    const collided = await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: colliding } });
    expect([collided.status, collided.body.error.code]).toEqual([400, 'ERR_UNSEAL_FAILED']);
    expect((await h.call('GET', '/api/v1/sys/seal-status', { token: null })).body).toMatchObject({ sealed: true, progress: 0 });
    // Malformed shares are 400 ERR_VALIDATION and do not count.
    expect((await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: 'zz not a share' } })).body.error.code).toBe('ERR_VALIDATION');
    expect((await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: mine.keys[0]?.slice(2) } })).body.error.code).toBe('ERR_VALIDATION');
    for (const k of mine.keys.slice(2, 5)) await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: k } });
    expect(h.core.barrier.sealed).toBe(false);
    // No share ever reached a log line.
    const logText = JSON.stringify(h.logs);
    for (const k of [...mine.keys, ...mine.keysB64, ...other.keys]) expect(logText).not.toContain(k);
  });

  it('rekeys the shares: the old ones stop working, the new ones unseal', async () => {
    const kms = createTestKms();
    const { g, keys } = await initShamir(kms);
    const init = await g.call('POST', '/api/v1/sys/rekey/init', { token: null, body: { secret_shares: 3, secret_threshold: 2 } });
    expect(init.body).toMatchObject({ started: true, required: 3, progress: 0, t: 2, n: 3 });
    const nonce: string = init.body.nonce;
    expect((await g.call('POST', '/api/v1/sys/rekey/init', { token: null, body: { secret_shares: 3, secret_threshold: 2 } })).status).toBe(409);
    expect((await g.call('POST', '/api/v1/sys/rekey/update', { token: null, body: { key: keys[0], nonce: 'x' } })).status).toBe(400);
    await g.call('POST', '/api/v1/sys/rekey/update', { token: null, body: { key: keys[0], nonce } });
    expect((await g.call('GET', '/api/v1/sys/rekey/init', { token: null })).body).toMatchObject({ started: true, progress: 1 });
    await g.call('POST', '/api/v1/sys/rekey/update', { token: null, body: { key: keys[1], nonce } });
    const done = await g.call('POST', '/api/v1/sys/rekey/update', { token: null, body: { key: keys[2], nonce } });
    expect(done.body).toMatchObject({ complete: true, t: 2, n: 3 });
    const fresh: string[] = done.body.keys;
    expect(fresh).toHaveLength(3);

    const h = await restart(g, kms, config);
    expect((await h.call('GET', '/api/v1/sys/seal-status', { token: null })).body).toMatchObject({ t: 2, n: 3 });
    for (const k of keys.slice(0, 2)) await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: k } });
    expect(h.core.barrier.sealed).toBe(true);
    await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { reset: true } });
    await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: fresh[2] } });
    await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: fresh[0] } });
    expect(h.core.barrier.sealed).toBe(false);
  });

  it('rekeys the recovery shares of a 2-of-3 KMS store after an unseal that proved only two seals', async () => {
    const kms = createTestKms();
    const config = { seal: [kmsSeal('aws'), kmsSeal('gcp'), kmsSeal('azure')], multi_seal: { required: 2 } };
    const g = await boot(durableStorage(), kms, config);
    const init = (await g.call('POST', '/api/v1/sys/init', { token: null, body: { recovery_shares: 2, recovery_threshold: 2 } })).body;
    kms.down.add('azure');
    const h = await restart(g, kms, config);
    expect(h.core.barrier.sealed).toBe(false);
    kms.down.delete('azure');
    const { nonce } = (await h.call('POST', '/api/v1/sys/rekey-recovery-key/init', { token: null, body: { secret_shares: 3, secret_threshold: 2 } })).body;
    await h.call('POST', '/api/v1/sys/rekey-recovery-key/update', { token: null, body: { key: init.recovery_keys[0], nonce } });
    const done = await h.call('POST', '/api/v1/sys/rekey-recovery-key/update', { token: null, body: { key: init.recovery_keys[1], nonce } });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ complete: true, t: 2, n: 3 });
    expect(done.body.keys).toHaveLength(3);
    // The new shares authorise recovery; the store still unseals with azure and one other.
    const attempt = (await h.call('POST', '/api/v1/sys/generate-root/attempt', { token: null, body: {} })).body;
    await h.call('POST', '/api/v1/sys/generate-root/update', { token: null, body: { key: done.body.keys[2], nonce: attempt.nonce } });
    expect((await h.call('POST', '/api/v1/sys/generate-root/update', { token: null, body: { key: done.body.keys[0], nonce: attempt.nonce } })).body.complete).toBe(true);
    kms.down.add('aws');
    const i = await restart(h, kms, config);
    expect(i.core.barrier.sealed).toBe(false);
  });

  it('refuses a rekey whose shares are wrong, and ends the attempt', async () => {
    const kms = createTestKms();
    const { g } = await initShamir(kms, durableStorage(), 3, 2);
    const other = await initShamir(kms, durableStorage(), 3, 2);
    const { nonce } = (await g.call('POST', '/api/v1/sys/rekey/init', { token: null, body: { secret_shares: 1, secret_threshold: 1 } })).body;
    await g.call('POST', '/api/v1/sys/rekey/update', { token: null, body: { key: other.keys[0], nonce } });
    const res = await g.call('POST', '/api/v1/sys/rekey/update', { token: null, body: { key: other.keys[1], nonce } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ERR_SHARES_INVALID');
    expect((await g.call('GET', '/api/v1/sys/rekey/init', { token: null })).body.started).toBe(false);
  });
});

describe('recovery', () => {
  it('generates a new root token from recovery shares, encoded with a one-time pad', async () => {
    const kms = createTestKms();
    const g = await boot(durableStorage(), kms, { seal: kmsSeal('aws') });
    const init = (await g.call('POST', '/api/v1/sys/init', { token: null, body: { recovery_shares: 3, recovery_threshold: 2 } })).body;
    const attempt = await g.call('POST', '/api/v1/sys/generate-root/attempt', { token: null, body: {} });
    expect(attempt.body).toMatchObject({ started: true, required: 2, progress: 0, otp: expect.any(String), otp_length: 64 });
    const { nonce, otp } = attempt.body as { nonce: string; otp: string };
    // The pad is handed out once: status never shows it.
    expect((await g.call('GET', '/api/v1/sys/generate-root/attempt', { token: null })).body.otp).toBeUndefined();
    await g.call('POST', '/api/v1/sys/generate-root/update', { token: null, body: { key: init.recovery_keys[0], nonce } });
    const done = await g.call('POST', '/api/v1/sys/generate-root/update', { token: null, body: { key: init.recovery_keys[2], nonce } });
    expect(done.body.complete).toBe(true);
    const encoded = fromBase64(done.body.encoded_token) as Uint8Array;
    const pad = fromBase64(otp) as Uint8Array;
    const token = new TextDecoder().decode(encoded.map((b, i) => b ^ (pad[i] ?? 0)));
    expect(token).not.toBe(init.root_token);
    const self = await g.call('GET', '/api/v1/auth/token/lookup-self', { token });
    expect(self.status).toBe(200);
    expect(self.body.data.policies).toEqual(['root']);
  });

  it('after an operator seals a KMS-sealed store, it stays sealed until recovery shares are given (or a restart)', async () => {
    const kms = createTestKms();
    const g = await boot(durableStorage(), kms, { seal: kmsSeal('aws') });
    const init = (await g.call('POST', '/api/v1/sys/init', { token: null, body: {} })).body;
    expect((await g.call('POST', '/api/v1/sys/seal', { token: init.root_token })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(g.core.barrier.sealed).toBe(true);
    for (const k of init.recovery_keys.slice(0, 2)) {
      expect((await g.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: k } })).body).toMatchObject({ sealed: true });
    }
    expect((await g.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: init.recovery_keys[4] } })).body).toMatchObject({ sealed: false });
  });
});

describe('rotation', () => {
  it('after a root-key rotation and a keyring term rotation, old data still reads, across a restart', async () => {
    const kms = createTestKms();
    const config = { seal: [kmsSeal('aws'), kmsSeal('gcp')] };
    const g = await boot(durableStorage(), kms, config);
    const { root_token: token } = (await g.call('POST', '/api/v1/sys/init', { token: null, body: {} })).body;
    await g.call('PUT', '/api/v1/secrets/old', { token, body: { v: 'gen1-term1' } });
    const rotated = await g.call('POST', '/api/v1/sys/rotate/root', { token });
    expect(rotated.status).toBe(200);
    expect(rotated.body.generation).toBe(2);
    expect((await g.call('POST', '/api/v1/sys/rotate', { token })).body.data.term).toBe(2);
    await g.call('PUT', '/api/v1/secrets/new', { token, body: { v: 'gen2-term2' } });
    const rewrapped = await g.call('POST', '/api/v1/sys/seal/rewrap', { token });
    // The fresh wraps are proven at once, not left unverified until a restart.
    expect(rewrapped.body.seals.map((s: { name: string; in_record: boolean; verified_time: string | null }) => [s.name, s.in_record, s.verified_time !== null])).toEqual([
      ['aws', true, true],
      ['gcp', true, true],
    ]);
    const h = await restart(g, kms, config);
    expect((await h.call('GET', '/api/v1/secrets/old', { token })).body.data).toEqual({ v: 'gen1-term1' });
    expect((await h.call('GET', '/api/v1/secrets/new', { token })).body.data).toEqual({ v: 'gen2-term2' });
    const keyStatus = (await h.call('GET', '/api/v1/sys/key-status', { token })).body.data;
    expect(keyStatus).toMatchObject({ term: 2, terms: 2, max_encryptions: 3_865_470_566 });
    expect(keyStatus.encryptions).toBeGreaterThan(0);
  });

  it('rotates the keyring term on keyring.rotation_interval, once per interval, and old values still read', async () => {
    let now = Date.now();
    const g = await createTestGateway({ runtime: { now: () => now }, config: { keyring: { rotation_interval: '720h' } } });
    open.push(g);
    await g.call('PUT', '/api/v1/secrets/before', { body: { v: 'term1' } });
    await g.core.scheduler.runOnce();
    expect(g.core.barrier.status()?.term).toBe(1);
    now += 720 * 3_600_000;
    await g.core.scheduler.runOnce();
    expect(g.core.barrier.status()?.term).toBe(2);
    // Not again until the new term is itself old enough.
    now += 3_600_000;
    await g.core.scheduler.runOnce();
    expect(g.core.barrier.status()?.term).toBe(2);
    expect((await g.call('GET', '/api/v1/secrets/before')).body.data).toEqual({ v: 'term1' });
    expect(parsed(g).some((l) => l.msg === 'keyring term rotated (rotation_interval)' && l.term === 2)).toBe(true);
  });

  it('refuses an invalid keyring.rotation_interval with the field named', async () => {
    await expect(createTestGateway({ config: { keyring: { rotation_interval: 'monthly' } } })).rejects.toThrow(/keyring\.rotation_interval/);
  });

  it('refuses a root-key rotation while a seal is down, changing nothing', async () => {
    const kms = createTestKms();
    const g = await boot(durableStorage(), kms, { seal: [kmsSeal('aws'), kmsSeal('gcp')] });
    const { root_token: token } = (await g.call('POST', '/api/v1/sys/init', { token: null, body: {} })).body;
    kms.down.add('gcp');
    const res = await g.call('POST', '/api/v1/sys/rotate/root', { token });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('ERR_SEAL_UNAVAILABLE');
    expect((await g.core.barrier.record())?.generation).toBe(1);
  });

  it('needs sudo for rotate/root, seal/rewrap and seal, and a token for seal-backend-status', async () => {
    const kms = createTestKms();
    const g = await boot(durableStorage(), kms, { seal: kmsSeal('aws') });
    const { root_token: token } = (await g.call('POST', '/api/v1/sys/init', { token: null, body: {} })).body;
    await g.call('PUT', '/api/v1/sys/policies/acl/ops', { token, body: { policy: 'path "sys/*" { capabilities = ["read", "update"] }' } });
    const ops = (await g.call('POST', '/api/v1/auth/token/create', { token, body: { policies: ['ops'] } })).body.auth.client_token;
    for (const path of ['/api/v1/sys/rotate/root', '/api/v1/sys/seal/rewrap', '/api/v1/sys/seal']) {
      expect((await g.call('POST', path, { token: ops })).status).toBe(403);
    }
    expect((await g.call('GET', '/api/v1/sys/seal-backend-status', { token: ops })).status).toBe(200);
    expect((await g.call('GET', '/api/v1/sys/seal-backend-status', { token: null })).status).toBe(401);
  });
});

describe('seal migration', () => {
  it('moves from the dev seal to a KMS seal without downtime; the old seal can then be removed', async () => {
    const kms = createTestKms();
    const storage = durableStorage();
    const dev = await boot(storage, kms, {});
    const token = dev.rootToken;
    await dev.call('PUT', '/api/v1/secrets/app', { token, body: { v: 'from the dev seal' } });

    // Step 1: add the new seal, keep the old one as disabled. The restart unseals with the
    // old, and wraps the root key under the new.
    const both = { seal: [{ type: 'dev-key-file', disabled: true }, kmsSeal('aws')] };
    let g = await restart(dev, kms, both);
    let backends = (await g.call('GET', '/api/v1/sys/seal-backend-status', { token })).body.seals;
    expect(backends.map((s: { name: string; in_record: boolean; verified_time: string | null }) => [s.name, s.in_record, s.verified_time === null])).toEqual([
      ['dev-key-file', true, false],
      ['aws', true, true],
    ]);
    // Step 2: the next restart proves the new seal, and only then drops the old one.
    g = await restart(g, kms, both);
    backends = (await g.call('GET', '/api/v1/sys/seal-backend-status', { token })).body.seals;
    expect(backends.map((s: { name: string; in_record: boolean }) => [s.name, s.in_record])).toEqual([
      ['dev-key-file', false],
      ['aws', true],
    ]);
    // Step 3: the old stanza removed, the new seal alone unseals.
    g = await restart(g, kms, { seal: kmsSeal('aws') });
    expect(g.core.barrier.sealed).toBe(false);
    expect((await g.call('GET', '/api/v1/secrets/app', { token })).body.data).toEqual({ v: 'from the dev seal' });
    // And the dev key no longer opens it.
    g = await restart(g, kms, {});
    expect(g.core.barrier.sealed).toBe(true);
  });

  it('moves from Shamir to a KMS seal: the unseal shares become the recovery shares', async () => {
    const kms = createTestKms();
    const g = await boot(durableStorage(), kms, { seal: { type: 'shamir' } });
    const init = (await g.call('POST', '/api/v1/sys/init', { token: null, body: { secret_shares: 3, secret_threshold: 2 } })).body;
    await g.call('PUT', '/api/v1/secrets/app', { token: init.root_token, body: { v: 'shamir era' } });
    // The old seal stays in the configuration, disabled, until the new one has proven itself.
    const kmsOnly = { seal: [{ type: 'shamir', disabled: true }, kmsSeal('aws')] };
    let h = await restart(g, kms, kmsOnly);
    // The KMS seal does not wrap the root key yet: the shares unseal this once.
    expect(h.core.barrier.sealed).toBe(true);
    for (const k of init.keys.slice(0, 2)) await h.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: k } });
    expect(h.core.barrier.sealed).toBe(false);
    h = await restart(h, kms, kmsOnly);
    expect(h.core.barrier.sealed).toBe(false);
    const status = (await h.call('GET', '/api/v1/sys/seal-status', { token: null })).body;
    expect(status).toMatchObject({ type: 'testkms', recovery_seal: true, t: 2, n: 3 });
    expect(((await h.core.barrier.record())?.entries ?? []).map((e) => e.name)).toEqual(['aws']);
    // The old unseal shares now authorise recovery operations.
    const { nonce } = (await h.call('POST', '/api/v1/sys/generate-root/attempt', { token: null, body: {} })).body;
    await h.call('POST', '/api/v1/sys/generate-root/update', { token: null, body: { key: init.keys[0], nonce } });
    expect((await h.call('POST', '/api/v1/sys/generate-root/update', { token: null, body: { key: init.keys[2], nonce } })).body.complete).toBe(true);
    expect((await h.call('GET', '/api/v1/secrets/app', { token: init.root_token })).body.data).toEqual({ v: 'shamir era' });
  });
});
