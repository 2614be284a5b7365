import { describe, expect, it, vi } from 'vitest';
import { GatewayError, createWebRuntime, fromBase64, fromUtf8, isGatewayError, toBase64, utf8 } from '../core/index.js';
import type { Storage } from '../core/index.js';
import { createMemoryStorage } from '../storage/memory.js';
import { createBarrier } from './barrier.js';
import { createStaticKeySeal } from './seals/static-key.js';
import type { KeyWrapper, NamedSeal, WrappedKey } from './types.js';

const runtime = createWebRuntime();
const staticSeal = (type = 'static'): KeyWrapper => createStaticKeySeal({ key: runtime.randomBytes(32), subtle: runtime.subtle, randomBytes: runtime.randomBytes, type });

/** A seal that can be switched off (a KMS outage) and that records what it was asked. */
function switchable(inner: KeyWrapper) {
  const state = { down: false, hang: false, unwraps: 0, aads: [] as string[], lengths: [] as number[] };
  const wrapper: KeyWrapper = {
    type: inner.type,
    wrap: (key, aad) => {
      state.aads.push(fromUtf8(aad));
      return inner.wrap(key, aad);
    },
    unwrap: async (wrapped, aad, signal) => {
      state.unwraps++;
      if (state.hang) return new Promise<Uint8Array>(() => undefined);
      if (state.down) throw new GatewayError('ERR_SEAL_UNAVAILABLE', 'kms unreachable');
      const out = await inner.unwrap(wrapped, aad, signal);
      state.lengths.push(out.length);
      return out;
    },
  };
  return { wrapper, state };
}

const named = (name: string, wrapper: KeyWrapper): NamedSeal => ({ name, wrapper });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

async function sealRecord(storage: Storage): Promise<Record<string, unknown>> {
  const blob = await storage.get('core/seal');
  if (blob === null) throw new Error('no seal record');
  return JSON.parse(fromUtf8(blob)) as Record<string, unknown>;
}

describe('barrier: several seals, any one unseals (k = 1)', () => {
  it('unseals with either seal alone, and with one of them down', async () => {
    const storage = createMemoryStorage();
    const aws = switchable(staticSeal('awskms'));
    const gcp = switchable(staticSeal('gcpckms'));
    const seals = [named('aws', aws.wrapper), named('gcp', gcp.wrapper)];
    const first = createBarrier({ storage, runtime });
    await first.initialize(seals);
    await first.view('logical/x/').put('k', utf8('v'));
    expect(aws.state.aads[0]).toMatch(/^keygate\/root-key\/v2\/[0-9a-f-]{36}\/1\/aws$/);

    for (const only of [[seals[0] as NamedSeal], [seals[1] as NamedSeal]]) {
      const b = createBarrier({ storage, runtime });
      await b.unseal(only);
      expect(await b.view('logical/x/').get('k')).toEqual(utf8('v'));
    }

    aws.state.down = true;
    const b = createBarrier({ storage, runtime });
    const report = await b.unseal(seals);
    expect(b.sealed).toBe(false);
    expect(report.outcomes).toEqual([
      { name: 'aws', type: 'awskms', outcome: 'unavailable' },
      { name: 'gcp', type: 'gcpckms', outcome: 'unsealed' },
    ]);
  });

  it('reports ERR_SEAL_UNAVAILABLE, naming each seal, when every seal is down, and stays sealed', async () => {
    const storage = createMemoryStorage();
    const aws = switchable(staticSeal('awskms'));
    const gcp = switchable(staticSeal('gcpckms'));
    const seals = [named('aws', aws.wrapper), named('gcp', gcp.wrapper)];
    await createBarrier({ storage, runtime }).initialize(seals);
    aws.state.down = true;
    gcp.state.down = true;
    const b = createBarrier({ storage, runtime });
    const err = await rejection(b.unseal(seals));
    expect(isGatewayError(err, 'ERR_SEAL_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toContain('aws: unavailable, gcp: unavailable');
    expect(b.sealed).toBe(true);
  });

  it('counts a seal that never answers as unavailable after the timeout', async () => {
    const storage = createMemoryStorage();
    const slow = switchable(staticSeal('awskms'));
    const fast = switchable(staticSeal('gcpckms'));
    const seals = [named('slow', slow.wrapper), named('fast', fast.wrapper)];
    await createBarrier({ storage, runtime }).initialize(seals);
    slow.state.hang = true;
    const b = createBarrier({ storage, runtime });
    const started = Date.now();
    // Both are unverified, so the unseal waits for the slow one, but only up to the timeout.
    const report = await b.unseal(seals, { timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['unavailable', 'unsealed']);
    // Once both are verified, an unseal no longer waits for stragglers.
    slow.state.hang = false;
    await createBarrier({ storage, runtime }).unseal(seals);
    slow.state.hang = true;
    const t0 = Date.now();
    await createBarrier({ storage, runtime }).unseal(seals, { timeoutMs: 5_000 });
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('records the first unseal each seal took part in', async () => {
    const storage = createMemoryStorage();
    const seals = [named('a', staticSeal()), named('b', staticSeal())];
    const b = createBarrier({ storage, runtime: { ...runtime, now: () => 1_000 } });
    await b.initialize(seals);
    expect(((await sealRecord(storage)).entries as { verified_at: unknown }[]).map((e) => e.verified_at)).toEqual([null, null]);
    await createBarrier({ storage, runtime: { ...runtime, now: () => 2_000 } }).unseal([seals[1] as NamedSeal]);
    expect(((await sealRecord(storage)).entries as { verified_at: unknown }[]).map((e) => e.verified_at)).toEqual([null, 2_000]);
    const status = await b.record();
    expect(status?.entries.map((e) => [e.name, e.verifiedAt])).toEqual([
      ['a', null],
      ['b', 2_000],
    ]);
  });

  it('refuses a seal set with duplicate names, bad names, or k outside 1..n', async () => {
    const s = staticSeal();
    for (const [seals, required] of [
      [[named('a', s), named('a', s)], 1],
      [[named('bad name', s)], 1],
      [[named('a', s)], 2],
      [[named('a', s)], 0],
      [[], 1],
    ] as [NamedSeal[], number][]) {
      const err = await rejection(createBarrier({ storage: createMemoryStorage(), runtime }).initialize(seals, { required }));
      expect(isGatewayError(err, 'ERR_VALIDATION')).toBe(true);
    }
  });

  it('names the seals the record holds when no configured seal matches it', async () => {
    const storage = createMemoryStorage();
    await createBarrier({ storage, runtime }).initialize([named('aws-prod', staticSeal('awskms'))]);
    const err = await rejection(createBarrier({ storage, runtime }).unseal([named('gcp', staticSeal('gcpckms'))]));
    expect(isGatewayError(err, 'ERR_UNSEAL_FAILED')).toBe(true);
    expect((err as Error).message).toContain('aws-prod (awskms)');
  });
});

describe('barrier: k of n seals', () => {
  it('with 2 of 2, one seal down keeps it sealed and says so; both up unseal', async () => {
    const storage = createMemoryStorage();
    const aws = switchable(staticSeal('awskms'));
    const azure = switchable(staticSeal('azurekeyvault'));
    const seals = [named('aws', aws.wrapper), named('azure', azure.wrapper)];
    await createBarrier({ storage, runtime }).initialize(seals, { required: 2 });
    expect(aws.state.aads[0]).toMatch(/^keygate\/root-key-share\/v2\//);

    azure.state.down = true;
    const b = createBarrier({ storage, runtime });
    const err = await rejection(b.unseal(seals));
    expect(isGatewayError(err, 'ERR_SEAL_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/1 of the 2 seals needed .*azure: unavailable/);
    expect(b.sealed).toBe(true);
    // A configuration naming one of them alone cannot unseal either.
    expect(b.sealed).toBe(true);

    azure.state.down = false;
    await b.unseal(seals);
    expect(b.sealed).toBe(false);
    // Each seal wraps a Shamir share (32 bytes + 1 coordinate byte), never the root key itself.
    expect(new Set([...aws.state.lengths, ...azure.state.lengths])).toEqual(new Set([33]));
  });

  it('with 2 of 3, any two unseal and one alone does not', async () => {
    const storage = createMemoryStorage();
    const seals = [named('a', staticSeal()), named('b', staticSeal()), named('c', staticSeal())];
    const init = createBarrier({ storage, runtime });
    await init.initialize(seals, { required: 2 });
    await init.view('logical/x/').put('k', utf8('v'));
    for (const pair of [[0, 1], [0, 2], [1, 2]]) {
      const b = createBarrier({ storage, runtime });
      await b.unseal(pair.map((i) => seals[i] as NamedSeal));
      expect(await b.view('logical/x/').get('k')).toEqual(utf8('v'));
    }
    const alone = createBarrier({ storage, runtime });
    expect(isGatewayError(await rejection(alone.unseal([seals[0] as NamedSeal])), 'ERR_UNSEAL_FAILED')).toBe(true);
    expect(alone.sealed).toBe(true);
  });
});

describe('barrier: tampering and misuse', () => {
  it('refuses a wrapped key copied from another cluster under the same seal, a renamed entry, and a flipped byte', async () => {
    const seal = staticSeal();
    const a = createMemoryStorage();
    const b = createMemoryStorage();
    await createBarrier({ storage: a, runtime }).initialize([named('s', seal)]);
    await createBarrier({ storage: b, runtime }).initialize([named('s', seal), named('t', seal)]);
    const recordA = await sealRecord(a);
    const recordB = await sealRecord(b);
    const entriesB = recordB.entries as { name: string; wrapped: WrappedKey }[];

    const attempts: Record<string, unknown>[] = [
      // B's wrapped root key dropped into A's record: same seal key, another cluster id in the AAD.
      { ...recordA, entries: [{ ...(recordA.entries as object[])[0], wrapped: entriesB[0]?.wrapped }] },
      // B's entry "t" renamed to "s": the AAD binds the entry name.
      { ...recordB, entries: [{ ...entriesB[1], name: 's' }] },
    ];
    const wrapped = (recordA.entries as { wrapped: WrappedKey }[])[0]?.wrapped as WrappedKey;
    const bytes = fromBase64(wrapped.ciphertext) as Uint8Array;
    for (let i = 0; i < bytes.length; i += 7) {
      const flipped = bytes.slice();
      flipped[i] = (flipped[i] ?? 0) ^ 0x01;
      attempts.push({ ...recordA, entries: [{ ...(recordA.entries as object[])[0], wrapped: { ...wrapped, ciphertext: toBase64(flipped) } }] });
    }
    for (const record of attempts) {
      const storage = record.cluster_id === recordA.cluster_id ? a : b;
      const original = await storage.get('core/seal');
      await storage.put('core/seal', utf8(JSON.stringify(record)));
      const barrier = createBarrier({ storage, runtime });
      const err = await rejection(barrier.unseal([named('s', seal)]));
      expect(isGatewayError(err, 'ERR_UNSEAL_FAILED')).toBe(true);
      expect((err as Error).message).toBe('unseal failed: the seal does not open this store, or its state was altered');
      expect(barrier.sealed).toBe(true);
      expect(() => barrier.view('logical/x/')).not.toThrow();
      await expect(barrier.view('logical/x/').get('k')).rejects.toMatchObject({ code: 'ERR_SEALED' });
      if (original !== null) await storage.put('core/seal', original);
    }
  });

  it('refuses shares from another split: two 2-of-2 stores under the same seals do not mix', async () => {
    const s1 = staticSeal();
    const s2 = staticSeal();
    const seals = [named('one', s1), named('two', s2)];
    const a = createMemoryStorage();
    const b = createMemoryStorage();
    await createBarrier({ storage: a, runtime }).initialize(seals, { required: 2 });
    await createBarrier({ storage: b, runtime }).initialize(seals, { required: 2 });
    const recordA = await sealRecord(a);
    const recordB = await sealRecord(b);
    // Same cluster id forced, so the AAD matches and only the shares differ.
    const mixed = { ...recordA, entries: [(recordA.entries as object[])[0], (recordB.entries as object[])[1]] };
    await a.put('core/seal', utf8(JSON.stringify(mixed)));
    const err = await rejection(createBarrier({ storage: a, runtime }).unseal(seals));
    expect(isGatewayError(err, 'ERR_UNSEAL_FAILED')).toBe(true);
  });
});

describe('barrier: seal changes, migration and root-key rotation', () => {
  it('migrates from one seal to another: the new one is added unverified, proves itself, and the old one can go', async () => {
    const storage = createMemoryStorage();
    const oldSeal = named('dev', staticSeal('dev-key-file'));
    const newSeal = named('aws', staticSeal('awskms'));
    const a = createBarrier({ storage, runtime });
    await a.initialize([oldSeal]);
    await a.view('logical/x/').put('k', utf8('before migration'));

    const added = await a.updateSeals({ wrap: [newSeal] });
    expect(added.entries.map((e) => [e.name, e.verifiedAt === null])).toEqual([
      ['dev', true],
      ['aws', true],
    ]);
    // The next start proves the new seal...
    const b = createBarrier({ storage, runtime });
    await b.unseal([oldSeal, newSeal]);
    expect((await b.record())?.entries.find((e) => e.name === 'aws')?.verifiedAt).not.toBeNull();
    // ...and only then is the old one dropped.
    await b.updateSeals({ drop: ['dev'] });
    const c = createBarrier({ storage, runtime });
    await c.unseal([newSeal]);
    expect(await c.view('logical/x/').get('k')).toEqual(utf8('before migration'));
    const d = createBarrier({ storage, runtime });
    expect(isGatewayError(await rejection(d.unseal([oldSeal])), 'ERR_UNSEAL_FAILED')).toBe(true);
  });

  it('changes k: from 1 of 2 to 2 of 2 re-splits the root key under every seal', async () => {
    const storage = createMemoryStorage();
    const seals = [named('a', staticSeal()), named('b', staticSeal())];
    const barrier = createBarrier({ storage, runtime });
    await barrier.initialize(seals);
    await barrier.view('logical/x/').put('k', utf8('v'));
    await barrier.updateSeals({ required: 2 });
    expect(isGatewayError(await rejection(createBarrier({ storage, runtime }).unseal([seals[0] as NamedSeal])), 'ERR_UNSEAL_FAILED')).toBe(true);
    const both = createBarrier({ storage, runtime });
    await both.unseal(seals);
    expect(await both.view('logical/x/').get('k')).toEqual(utf8('v'));
    // Refuses a change that would leave fewer seals than k.
    expect(isGatewayError(await rejection(both.updateSeals({ drop: ['a'] })), 'ERR_VALIDATION')).toBe(true);
  });

  it('rotates the root key: a new generation, the keyring re-encrypted, old data readable, the old wrapped key useless', async () => {
    const storage = createMemoryStorage();
    const seal = named('s', staticSeal());
    const barrier = createBarrier({ storage, runtime });
    await barrier.initialize([seal]);
    await barrier.view('logical/x/').put('old', utf8('term 1, generation 1'));
    const before = await storage.get('core/seal');
    await barrier.rotate();
    const status = await barrier.rotateRoot();
    expect(status.generation).toBe(2);
    expect(await storage.get('core/keyring/1')).toBeNull();
    expect(await storage.get('core/keyring/2')).not.toBeNull();
    await barrier.view('logical/x/').put('new', utf8('term 2, generation 2'));
    await barrier.rotate();

    const restarted = createBarrier({ storage, runtime });
    await restarted.unseal([seal]);
    expect(restarted.status()).toMatchObject({ term: 3, terms: 3 });
    expect(await restarted.view('logical/x/').get('old')).toEqual(utf8('term 1, generation 1'));
    expect(await restarted.view('logical/x/').get('new')).toEqual(utf8('term 2, generation 2'));

    // Putting the pre-rotation record back does not bring the old root key back into use.
    if (before !== null) await storage.put('core/seal', before);
    expect(isGatewayError(await rejection(createBarrier({ storage, runtime }).unseal([seal])), 'ERR_UNSEAL_FAILED')).toBe(true);
  });

  it('leaves everything as it was when a seal cannot wrap the new root key', async () => {
    const storage = createMemoryStorage();
    const flaky = switchable(staticSeal());
    const barrier = createBarrier({ storage, runtime });
    await barrier.initialize([named('s', flaky.wrapper)]);
    const before = await storage.get('core/seal');
    flaky.state.down = true;
    expect(isGatewayError(await rejection(barrier.rotateRoot()), 'ERR_SEAL_UNAVAILABLE')).toBe(true);
    expect(await storage.get('core/seal')).toEqual(before);
    expect(await storage.get('core/keyring/2')).toBeNull();
    flaky.state.down = false;
    await barrier.view('logical/x/').put('k', utf8('still fine'));
    expect(await barrier.view('logical/x/').get('k')).toEqual(utf8('still fine'));
  });

  it('lets a second process follow a root-key rotation another process made', async () => {
    const storage = createMemoryStorage();
    const seal = named('s', staticSeal());
    const a = createBarrier({ storage, runtime });
    await a.initialize([seal]);
    const b = createBarrier({ storage, runtime });
    await b.unseal([seal]);
    await a.rotateRoot();
    await a.rotate();
    await a.view('logical/x/').put('k', utf8('from a, term 2, generation 2'));
    expect(await b.view('logical/x/').get('k')).toEqual(utf8('from a, term 2, generation 2'));
    expect(await b.rotate()).toMatchObject({ term: 3 });
    expect((await b.record())?.generation).toBe(2);
  });
});

describe('barrier: key-use accounting', () => {
  it('counts encryptions per term and rotates by itself at the threshold', async () => {
    const storage = createMemoryStorage();
    const barrier = createBarrier({ storage, runtime, maxEncryptions: 10, usageFlushEvery: 4 });
    await barrier.initialize(newNamed());
    const view = barrier.view('logical/x/');
    for (let i = 0; i < 9; i++) await view.put(`k${i}`, utf8('v'));
    expect(barrier.status()).toMatchObject({ term: 1, encryptions: 9, maxEncryptions: 10 });
    await view.put('k9', utf8('v'));
    await vi.waitFor(() => expect(barrier.status()?.term).toBe(2));
    expect(barrier.status()).toMatchObject({ term: 2, encryptions: 0 });
    for (let i = 0; i < 10; i++) expect(await view.get(`k${i}`)).toEqual(utf8('v'));
  });

  it('adds up every process sharing the storage, so the term rotates at the shared total', async () => {
    const storage = createMemoryStorage();
    const seal = newNamed();
    const a = createBarrier({ storage, runtime, maxEncryptions: 12, usageFlushEvery: 2 });
    await a.initialize(seal);
    const b = createBarrier({ storage, runtime, maxEncryptions: 12, usageFlushEvery: 2 });
    await b.unseal(seal);
    for (let i = 0; i < 6; i++) await a.view('logical/x/').put(`a${i}`, utf8('v'));
    await a.flushUsage();
    await b.flushUsage();
    expect(b.status()).toMatchObject({ term: 1, encryptions: 6 });
    for (let i = 0; i < 6; i++) await b.view('logical/x/').put(`b${i}`, utf8('v'));
    await vi.waitFor(() => expect(b.status()?.term).toBe(2));
    // A moves to the new term at its next flush.
    await a.flushUsage();
    expect(a.status()?.term).toBe(2);
  });

  it('keeps the count across a seal and unseal of the same store', async () => {
    const storage = createMemoryStorage();
    const seal = newNamed();
    const a = createBarrier({ storage, runtime, usageFlushEvery: 1_000 });
    await a.initialize(seal);
    for (let i = 0; i < 5; i++) await a.view('logical/x/').put(`k${i}`, utf8('v'));
    a.seal();
    await new Promise((r) => setTimeout(r, 10));
    const b = createBarrier({ storage, runtime });
    await b.unseal(seal);
    expect(b.status()).toMatchObject({ encryptions: 5 });
  });

  it('refuses a threshold above 2^32 - 1', () => {
    expect(() => createBarrier({ storage: createMemoryStorage(), runtime, maxEncryptions: 2 ** 32 })).toThrow(/maxEncryptions/);
  });
});

function newNamed(): NamedSeal[] {
  return [named('s', staticSeal())];
}
