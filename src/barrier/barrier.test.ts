import { describe, expect, it } from 'vitest';
import {
  DecryptionError,
  concatBytes,
  createWebRuntime,
  fromUtf8,
  isGatewayError,
  readU32be,
  toBase64,
  toHex,
  utf8,
} from '../core/index.js';
import type { ManagedStorage, Storage } from '../core/index.js';
import { createMemoryStorage } from '../storage/memory.js';
import { describeStorageConformance } from '../storage/storage.case.js';
import { createBarrier } from './barrier.js';
import { createStaticKeySeal } from './seals/static-key.js';
import type { Barrier, KeyWrapper } from './types.js';

const runtime = createWebRuntime();
const newSeal = (key = runtime.randomBytes(32)): KeyWrapper =>
  createStaticKeySeal({ key, subtle: runtime.subtle, randomBytes: runtime.randomBytes });

async function initialized(storage: Storage = createMemoryStorage(), seal = newSeal()): Promise<{ barrier: Barrier; storage: Storage; seal: KeyWrapper }> {
  const barrier = createBarrier({ storage, runtime });
  await barrier.initialize(seal);
  return { barrier, storage, seal };
}

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

/** Every physical key, walking folders with the storage's own `list`. */
async function allKeys(storage: Storage, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of await storage.list(prefix)) {
    if (name.endsWith('/')) out.push(...(await allKeys(storage, prefix + name)));
    else out.push(prefix + name);
  }
  // A key equal to a folder name ("a" and "a/…") is listed as both; keys never end in "/" here.
  return out;
}

function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

async function physical(storage: Storage, key: string): Promise<Uint8Array> {
  const blob = await storage.get(key);
  if (blob === null) throw new Error(`no physical value at ${key}`);
  return blob;
}

/** Memory storage with hooks, to produce faults (a failed write, a seal mid-operation) that cannot be produced otherwise. */
function hookedStorage(hooks: { beforePut?: (key: string) => void; afterGet?: (key: string) => void }): ManagedStorage {
  const inner = createMemoryStorage();
  return {
    ...inner,
    async get(key) {
      const value = await inner.get(key);
      hooks.afterGet?.(key);
      return value;
    },
    async put(key, value) {
      hooks.beforePut?.(key);
      await inner.put(key, value);
    },
  };
}

describeStorageConformance('barrier view over memory storage', async () => {
  const storage = createMemoryStorage();
  const { barrier } = await initialized(storage);
  // A sibling view with data proves a view sees only its own prefix.
  await barrier.view('logical/y/').put('sibling', utf8('other'));
  const view = barrier.view('logical/x/');
  return { ...view, ping: () => storage.ping(), close: () => storage.close() };
});

describe('barrier: physical format', () => {
  it('writes version 0x01, the term as a big-endian u32, a 12-byte nonce, then ciphertext and a 16-byte tag', async () => {
    const { barrier, storage } = await initialized();
    await barrier.view('logical/x/').put('k', utf8('hello'));
    const blob = await physical(storage, 'logical/x/k');
    expect(blob[0]).toBe(0x01);
    expect(readU32be(blob, 1)).toBe(1);
    expect(blob.length).toBe(5 + 12 + 'hello'.length + 16);
  });

  it('stores the wrapped root key as a plaintext JSON record and the keyring as ciphertext', async () => {
    const { storage } = await initialized();
    const record: unknown = JSON.parse(fromUtf8(await physical(storage, 'core/seal')));
    expect(record).toEqual({
      version: 2,
      cluster_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      created_at: expect.any(Number),
      generation: 1,
      required: 1,
      shares: null,
      entries: [{ name: 'static', wrapped: { type: 'static', ciphertext: expect.any(String), keyId: expect.any(String) }, added_at: expect.any(Number), verified_at: null }],
    });
    const keyring = await physical(storage, 'core/keyring/1');
    for (const marker of ['"term"', '"key"', '"active"', 'installed_at']) {
      expect(containsBytes(keyring, utf8(marker))).toBe(false);
    }
  });
});

describe('barrier: confidentiality', () => {
  it('never lets a canary plaintext reach storage: not in any value, the keyring or the seal record, raw or base64', async () => {
    const { barrier, storage } = await initialized();
    const canary = 'CANARY-2f9d-secret-value-\u{1F511}';
    const views = [barrier.view('logical/x/'), barrier.view('sys/'), barrier.view('logical/deep/er/')];
    for (const [i, view] of views.entries()) {
      await view.put(`k${i}`, utf8(canary));
      await view.put(`wrapped/${i}`, utf8(JSON.stringify({ password: canary })));
    }
    await barrier.rotate();
    await views[0]?.put('after-rotate', utf8(canary));

    const needles = [utf8(canary), utf8(toHex(utf8(canary)))];
    // Base64 depends on alignment: take the stable middle of all three encodings.
    for (const shift of [0, 1, 2]) {
      const encoded = toBase64(concatBytes(new Uint8Array(shift), utf8(canary)));
      needles.push(utf8(encoded.slice(4, -4)));
    }
    const keys = await allKeys(storage);
    expect(keys).toEqual(expect.arrayContaining(['core/seal', 'core/keyring/1', 'logical/x/k0', 'sys/k1']));
    for (const key of keys) {
      const blob = await physical(storage, key);
      for (const needle of needles) expect(containsBytes(blob, needle)).toBe(false);
    }
    // Through the barrier the canary is intact.
    expect(fromUtf8((await views[0]?.get('after-rotate')) ?? new Uint8Array(0))).toBe(canary);
  });

  it('never repeats a nonce across 10,000 writes of the same plaintext', async () => {
    const { barrier, storage } = await initialized();
    const view = barrier.view('logical/n/');
    const plaintext = utf8('same plaintext every time');
    const count = 10_000;
    for (let i = 0; i < count; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, j) => view.put(`k${i + j}`, plaintext)));
    }
    const nonces = new Set<string>();
    const ciphertexts = new Set<string>();
    for (let i = 0; i < count; i++) {
      const blob = await physical(storage, `logical/n/k${i}`);
      nonces.add(toHex(blob.subarray(5, 17)));
      ciphertexts.add(toHex(blob.subarray(17)));
    }
    expect(nonces.size).toBe(count);
    expect(ciphertexts.size).toBe(count);
  });
});

describe('barrier: integrity', () => {
  it('refuses a ciphertext copied to another key of the same view', async () => {
    const { barrier, storage } = await initialized();
    const view = barrier.view('logical/x/');
    await view.put('alice/password', utf8('alice-secret'));
    await storage.put('logical/x/bob/password', await physical(storage, 'logical/x/alice/password'));
    await expect(view.get('bob/password')).rejects.toBeInstanceOf(DecryptionError);
    expect(await view.get('alice/password')).toEqual(utf8('alice-secret'));
  });

  it('refuses a ciphertext copied to the same relative key of another view', async () => {
    const { barrier, storage } = await initialized();
    await barrier.view('logical/x/').put('k', utf8('v'));
    await storage.put('logical/y/k', await physical(storage, 'logical/x/k'));
    const err = await rejection(barrier.view('logical/y/').get('k'));
    expect(isGatewayError(err, 'ERR_DECRYPTION_FAILED')).toBe(true);
  });

  it('refuses a blob with any single byte flipped, anywhere, with the same opaque error', async () => {
    const { barrier, storage } = await initialized();
    const view = barrier.view('logical/x/');
    await view.put('k', utf8('sixteen byte msg'));
    const original = await physical(storage, 'logical/x/k');
    const messages = new Set<string>();
    for (let i = 0; i < original.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const tampered = original.slice();
        tampered[i] = (tampered[i] ?? 0) ^ mask;
        await storage.put('logical/x/k', tampered);
        const err = await rejection(view.get('k'));
        expect(isGatewayError(err, 'ERR_DECRYPTION_FAILED')).toBe(true);
        if (err instanceof Error) messages.add(err.message);
      }
    }
    expect(messages).toEqual(new Set([new DecryptionError().message]));
  });

  it('refuses truncated blobs, an unknown version byte and an unknown term with the same opaque error', async () => {
    const { barrier, storage } = await initialized();
    const view = barrier.view('logical/x/');
    await view.put('k', utf8('value'));
    const original = await physical(storage, 'logical/x/k');
    const unknownVersion = original.slice();
    unknownVersion[0] = 0x02;
    const unknownTerm = original.slice();
    new DataView(unknownTerm.buffer).setUint32(1, 7, false);
    const termZero = original.slice();
    new DataView(termZero.buffer).setUint32(1, 0, false);
    const variants = [
      new Uint8Array(0),
      original.subarray(0, 1),
      original.subarray(0, 5),
      original.subarray(0, 17),
      original.subarray(0, 32),
      original.subarray(0, original.length - 1),
      concatBytes(original, Uint8Array.of(0)),
      unknownVersion,
      unknownTerm,
      termZero,
    ];
    for (const blob of variants) {
      await storage.put('logical/x/k', blob);
      const err = await rejection(view.get('k'));
      expect(err).toBeInstanceOf(DecryptionError);
      expect(err instanceof Error && err.message).toBe(new DecryptionError().message);
    }
  });
});

describe('barrier: sealed state', () => {
  it('refuses every view call with ERR_SEALED before initialisation, and after seal()', async () => {
    const storage = createMemoryStorage();
    const barrier = createBarrier({ storage, runtime });
    const early = barrier.view('logical/x/');
    expect(barrier.sealed).toBe(true);
    expect(barrier.status()).toBeNull();

    const calls = (view: Storage) => [
      () => view.get('k'),
      () => view.put('k', utf8('v')),
      () => view.delete('k'),
      () => view.list(''),
      () => view.list('sub/', { after: 'a', limit: 1 }),
    ];
    for (const call of calls(early)) {
      expect(isGatewayError(await rejection(call()), 'ERR_SEALED')).toBe(true);
    }

    await barrier.initialize(newSeal());
    await early.put('k', utf8('v'));
    expect(await early.get('k')).toEqual(utf8('v'));

    barrier.seal();
    barrier.seal();
    expect(barrier.sealed).toBe(true);
    expect(barrier.status()).toBeNull();
    for (const view of [early, barrier.view('logical/later/')]) {
      for (const call of calls(view)) {
        expect(isGatewayError(await rejection(call()), 'ERR_SEALED')).toBe(true);
      }
    }
    expect(isGatewayError(await rejection(barrier.rotate()), 'ERR_SEALED')).toBe(true);
    // Nothing was deleted or written while sealed.
    expect(await storage.get('logical/x/k')).not.toBeNull();
  });

  it('refuses a read that was in flight when the barrier sealed', async () => {
    let barrier: Barrier | null = null;
    const storage = hookedStorage({
      afterGet: (key) => {
        if (key === 'logical/x/k') barrier?.seal();
      },
    });
    ({ barrier } = await initialized(storage));
    await barrier.view('logical/x/').put('k', utf8('v'));
    expect(isGatewayError(await rejection(barrier.view('logical/x/').get('k')), 'ERR_SEALED')).toBe(true);
  });
});

describe('barrier: initialise and unseal', () => {
  it('reports initialisation, and unseals with the same seal after a restart', async () => {
    const storage = createMemoryStorage();
    const seal = newSeal();
    const first = createBarrier({ storage, runtime });
    expect(await first.isInitialized()).toBe(false);
    await first.initialize(seal);
    expect(await first.isInitialized()).toBe(true);
    expect(first.sealed).toBe(false);
    await first.view('logical/x/').put('k', utf8('persisted'));

    const restarted = createBarrier({ storage, runtime });
    expect(restarted.sealed).toBe(true);
    await restarted.unseal(seal);
    expect(restarted.sealed).toBe(false);
    expect(await restarted.view('logical/x/').get('k')).toEqual(utf8('persisted'));
  });

  it('refuses to initialise twice with ERR_CONFLICT, keeping the first root key', async () => {
    const { barrier, storage, seal } = await initialized();
    await barrier.view('logical/x/').put('k', utf8('v'));
    expect(isGatewayError(await rejection(barrier.initialize(newSeal())), 'ERR_CONFLICT')).toBe(true);
    const other = createBarrier({ storage, runtime });
    expect(isGatewayError(await rejection(other.initialize(seal)), 'ERR_CONFLICT')).toBe(true);
    await other.unseal(seal);
    expect(await other.view('logical/x/').get('k')).toEqual(utf8('v'));
  });

  it('lets only one of two concurrent initialisations win', async () => {
    const storage = createMemoryStorage();
    const barrier = createBarrier({ storage, runtime });
    const results = await Promise.allSettled([barrier.initialize(newSeal()), barrier.initialize(newSeal())]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('refuses to unseal before initialisation with ERR_NOT_INITIALIZED', async () => {
    const barrier = createBarrier({ storage: createMemoryStorage(), runtime });
    expect(isGatewayError(await rejection(barrier.unseal(newSeal())), 'ERR_NOT_INITIALIZED')).toBe(true);
    expect(barrier.sealed).toBe(true);
  });

  it('refuses a different key with ERR_UNSEAL_FAILED and stays sealed; the right key still works', async () => {
    const { storage, seal } = await initialized();
    const barrier = createBarrier({ storage, runtime });
    const err = await rejection(barrier.unseal(newSeal()));
    expect(isGatewayError(err, 'ERR_UNSEAL_FAILED')).toBe(true);
    expect(barrier.sealed).toBe(true);
    await barrier.unseal(seal);
    expect(barrier.sealed).toBe(false);
  });

  it('keeps an unsealed barrier unsealed when a wrong key is submitted again', async () => {
    const { barrier } = await initialized();
    expect(isGatewayError(await rejection(barrier.unseal(newSeal())), 'ERR_UNSEAL_FAILED')).toBe(true);
    expect(barrier.sealed).toBe(false);
  });

  it('fails to unseal, with the same opaque error, when the keyring or the seal record was altered or removed', async () => {
    const { barrier, storage, seal } = await initialized();
    await barrier.rotate();
    barrier.seal();
    const keyring = await physical(storage, 'core/keyring/1');
    const record = await physical(storage, 'core/seal');
    const flippedKeyring = keyring.slice();
    flippedKeyring[keyring.length - 20] = (flippedKeyring[keyring.length - 20] ?? 0) ^ 1;
    const tamperings: Array<[string, Uint8Array | null]> = [
      ['core/keyring/1', flippedKeyring],
      ['core/keyring/1', keyring.subarray(0, 20)],
      ['core/keyring/1', null],
      ['core/seal', utf8('{"version":2,"entries":"nope"}')],
      ['core/seal', utf8('not json')],
      ['core/seal', utf8(fromUtf8(record).replace('"version":2', '"version":3'))],
      // Another generation: the keyring of generation 2 does not exist, and the AAD differs.
      ['core/seal', utf8(fromUtf8(record).replace('"generation":1', '"generation":2'))],
      // Another cluster id: the wrapped key's AAD no longer matches.
      ['core/seal', utf8(fromUtf8(record).replace(/"cluster_id":"([0-9a-f])/, (_m, c: string) => `"cluster_id":"${c === '0' ? '1' : '0'}`))],
      // The wrapped key itself altered.
      ['core/seal', utf8(fromUtf8(record).replace(/"ciphertext":"(.)/, (_m, c: string) => `"ciphertext":"${c === 'A' ? 'B' : 'A'}`))],
    ];
    const messages = new Set<string>();
    for (const [key, value] of tamperings) {
      if (value === null) await storage.delete(key);
      else await storage.put(key, value);
      const err = await rejection(barrier.unseal(seal));
      expect(isGatewayError(err, 'ERR_UNSEAL_FAILED')).toBe(true);
      if (err instanceof Error) messages.add(err.message);
      expect(barrier.sealed).toBe(true);
      await storage.put('core/keyring/1', keyring);
      await storage.put('core/seal', record);
    }
    expect(messages.size).toBe(1);
    await barrier.unseal(seal);
    expect(barrier.status()).toMatchObject({ term: 2, terms: 2 });
  });

  it('refuses a keyring encrypted under the right root key but moved from another store', async () => {
    // Two stores, two root keys: a keyring only opens under its own root key.
    const a = await initialized();
    const b = await initialized(createMemoryStorage(), a.seal);
    await b.storage.put('core/keyring/1', await physical(a.storage, 'core/keyring/1'));
    b.barrier.seal();
    expect(isGatewayError(await rejection(b.barrier.unseal(b.seal)), 'ERR_UNSEAL_FAILED')).toBe(true);
  });

  it('does not commit an initialisation whose seal cannot unwrap what it wrapped', async () => {
    const storage = createMemoryStorage();
    const good = newSeal();
    const broken: KeyWrapper = { type: 'broken', wrap: (key, aad) => good.wrap(key, aad), unwrap: () => Promise.reject(new Error('kms down')) };
    const barrier = createBarrier({ storage, runtime });
    expect(isGatewayError(await rejection(barrier.initialize(broken)), 'ERR_SEAL_UNAVAILABLE')).toBe(true);
    expect(await barrier.isInitialized()).toBe(false);
    expect(barrier.sealed).toBe(true);
  });
});

describe('barrier: rotation', () => {
  const termOf = async (storage: Storage, key: string): Promise<number> => readU32be(await physical(storage, key), 1);

  it('writes new values under the new term while old values still decrypt, across seal and unseal', async () => {
    const { barrier, storage, seal } = await initialized();
    const view = barrier.view('logical/x/');
    await view.put('old', utf8('written under term 1'));
    expect(barrier.status()).toMatchObject({ term: 1, terms: 1 });

    const status = await barrier.rotate();
    expect(status).toMatchObject({ term: 2, terms: 2 });
    expect(barrier.status()).toEqual(status);
    await view.put('new', utf8('written under term 2'));
    expect(await termOf(storage, 'logical/x/old')).toBe(1);
    expect(await termOf(storage, 'logical/x/new')).toBe(2);

    await barrier.rotate();
    await view.put('newer', utf8('written under term 3'));
    expect(await termOf(storage, 'logical/x/newer')).toBe(3);

    barrier.seal();
    await barrier.unseal(seal);
    expect(barrier.status()).toMatchObject({ term: 3, terms: 3 });
    expect(await view.get('old')).toEqual(utf8('written under term 1'));
    expect(await view.get('new')).toEqual(utf8('written under term 2'));
    expect(await view.get('newer')).toEqual(utf8('written under term 3'));
  });

  it('records when the active term was installed, from the runtime clock', async () => {
    let clock = 1_700_000_000_000;
    const storage = createMemoryStorage();
    const barrier = createBarrier({ storage, runtime: { ...runtime, now: () => clock } });
    await barrier.initialize(newSeal());
    expect(barrier.status()).toMatchObject({ term: 1, installedAt: 1_700_000_000_000, terms: 1 });
    clock += 60_000;
    expect(await barrier.rotate()).toMatchObject({ term: 2, installedAt: 1_700_000_060_000, terms: 2 });
  });

  it('loses no term when rotations run concurrently', async () => {
    const { barrier, seal } = await initialized();
    const statuses = await Promise.all(Array.from({ length: 6 }, () => barrier.rotate()));
    expect(statuses.map((s) => s.term).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(barrier.status()).toMatchObject({ term: 7, terms: 7 });
    barrier.seal();
    await barrier.unseal(seal);
    expect(barrier.status()).toMatchObject({ term: 7, terms: 7 });
  });

  it('persists the keyring before switching: when that write fails, new writes stay on the old term', async () => {
    let failKeyringWrites = false;
    const storage = hookedStorage({
      beforePut: (key) => {
        if (failKeyringWrites && key === 'core/keyring/1') throw new Error('disk full');
      },
    });
    const { barrier, seal } = await initialized(storage);
    failKeyringWrites = true;
    await expect(barrier.rotate()).rejects.toThrow('disk full');
    expect(barrier.status()).toMatchObject({ term: 1, terms: 1 });
    await barrier.view('logical/x/').put('k', utf8('v'));
    expect(await termOf(storage, 'logical/x/k')).toBe(1);

    failKeyringWrites = false;
    await barrier.rotate();
    barrier.seal();
    await barrier.unseal(seal);
    expect(await barrier.view('logical/x/').get('k')).toEqual(utf8('v'));
  });

  it('never persists zeroed keys when the barrier seals in the middle of a rotation', async () => {
    let barrier: Barrier | null = null;
    let sealDuringRotate = false;
    const storage = hookedStorage({
      afterGet: (key) => {
        if (sealDuringRotate && key === 'core/keyring/1') barrier?.seal();
      },
    });
    const setup = await initialized(storage);
    barrier = setup.barrier;
    await barrier.view('logical/x/').put('k', utf8('v'));
    sealDuringRotate = true;
    expect(isGatewayError(await rejection(barrier.rotate()), 'ERR_SEALED')).toBe(true);
    sealDuringRotate = false;
    await barrier.unseal(setup.seal);
    expect(await barrier.view('logical/x/').get('k')).toEqual(utf8('v'));
    expect(barrier.status()).toMatchObject({ term: 1, terms: 1 });
  });

  it('lets a second process over the same storage read values written under a term it rotated to', async () => {
    const { barrier: a, storage, seal } = await initialized();
    const b = createBarrier({ storage, runtime });
    await b.unseal(seal);
    await a.rotate();
    await a.view('logical/x/').put('k', utf8('from a, term 2'));
    expect(await b.view('logical/x/').get('k')).toEqual(utf8('from a, term 2'));
    expect(b.status()).toMatchObject({ term: 2, terms: 2 });
    // B now knows term 2 exists, so its own rotation picks 3, not a second term 2.
    expect(await b.rotate()).toMatchObject({ term: 3, terms: 3 });
    await b.view('logical/x/').put('k3', utf8('from b, term 3'));
    expect(await a.view('logical/x/').get('k3')).toEqual(utf8('from b, term 3'));
  });
});

describe('barrier: views', () => {
  it('refuses an empty prefix, one not ending in "/", and any prefix inside core/', () => {
    const barrier = createBarrier({ storage: createMemoryStorage(), runtime });
    for (const prefix of ['', 'logical', 'core/', 'core/keys/', 'core']) {
      expect(() => barrier.view(prefix)).toThrow(/prefix/);
    }
    expect(() => barrier.view('corex/')).not.toThrow();
    expect(() => barrier.view('logical/core/')).not.toThrow();
  });

  it('maps keys to prefix + key and lists names unencrypted, relative to the prefix', async () => {
    const { barrier, storage } = await initialized();
    const view = barrier.view('logical/x/');
    await view.put('app/db', utf8('v'));
    expect(await storage.list('logical/x/')).toEqual(['app/']);
    expect(await view.list('')).toEqual(['app/']);
    expect(await view.list('app/')).toEqual(['db']);
    await view.delete('app/db');
    expect(await storage.get('logical/x/app/db')).toBeNull();
  });
});
