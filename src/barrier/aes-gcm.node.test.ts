import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecryptionError, createWebRuntime, isGatewayError, toHex, utf8 } from '../core/index.js';
import { createMemoryStorage } from '../storage/memory.js';
import { describeStorageConformance } from '../storage/storage.case.js';
import { KEY_BYTES, NONCE_BYTES, TAG_BYTES, createWebAesGcm } from './aes-gcm.js';
import type { AesGcm } from './aes-gcm.js';
import { createNodeAesGcm } from './aes-gcm.node.js';
import { createBarrier } from './barrier.js';
import { createStaticKeySeal } from './seals/static-key.js';

const runtime = createWebRuntime();
const web = createWebAesGcm(runtime.subtle);
const node = createNodeAesGcm();
const implementations: readonly AesGcm[] = [web, node];

const hex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected decryption to fail');
    },
    (err: unknown) => err,
  );
}

describe.each(implementations.map((impl) => [impl.name, impl] as const))('AesGcm port, %s implementation', (_name, impl) => {
  it('gives the published ciphertext and tag of McGrew & Viega test case 16, and opens it', async () => {
    const key = await impl.importKey(hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'));
    const nonce = hex('cafebabefacedbaddecaf888');
    const plaintext = hex(
      'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
    );
    const aad = hex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
    const expected =
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
      '76fc6ece0f4e1768cddf8853bb2d551b';
    expect(toHex(await impl.seal(key, nonce, plaintext, aad))).toBe(expected);
    expect(await impl.open(key, nonce, hex(expected), aad)).toEqual(plaintext);
  });

  it('gives the published tag of test case 13 (empty plaintext)', async () => {
    const key = await impl.importKey(new Uint8Array(32));
    expect(toHex(await impl.seal(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(0)))).toBe('530f8afbc74536b9a963b4f1c4cb738b');
  });

  it('fails with the one opaque DecryptionError for a wrong key, nonce or AAD, any flipped bit, or a short input', async () => {
    const key = await impl.importKey(runtime.randomBytes(KEY_BYTES));
    const other = await impl.importKey(runtime.randomBytes(KEY_BYTES));
    const nonce = runtime.randomBytes(NONCE_BYTES);
    const aad = utf8('logical/x/key');
    const sealed = await impl.seal(key, nonce, utf8('a secret value'), aad);
    const failures: Promise<unknown>[] = [
      impl.open(other, nonce, sealed, aad),
      impl.open(key, runtime.randomBytes(NONCE_BYTES), sealed, aad),
      impl.open(key, nonce, sealed, utf8('logical/x/other')),
      impl.open(key, nonce, sealed, new Uint8Array(0)),
      impl.open(key, nonce, sealed.subarray(0, TAG_BYTES - 1), aad),
      impl.open(key, nonce, sealed.subarray(0, sealed.length - 1), aad),
      impl.open(key, nonce.subarray(0, 8), sealed, aad),
    ];
    // Every single bit of ciphertext and tag is covered.
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const tampered = sealed.slice();
      tampered[bit >> 3] = (tampered[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      failures.push(impl.open(key, nonce, tampered, aad));
    }
    for (const err of await Promise.all(failures.map(rejection))) {
      expect(err).toBeInstanceOf(DecryptionError);
      expect(err instanceof Error && err.message).toBe(new DecryptionError().message);
      expect(err instanceof Error ? err.cause : 'not an error').toBeUndefined();
    }
  });

  it('refuses keys that are not 32 bytes and seal nonces that are not 12 bytes (ERR_INTERNAL)', async () => {
    for (const length of [0, 16, 24, 31, 33]) {
      await expect(impl.importKey(new Uint8Array(length))).rejects.toSatisfy((err) => isGatewayError(err, 'ERR_INTERNAL'));
    }
    const key = await impl.importKey(runtime.randomBytes(KEY_BYTES));
    await expect(impl.seal(key, new Uint8Array(16), utf8('x'), new Uint8Array(0))).rejects.toSatisfy((err) => isGatewayError(err, 'ERR_INTERNAL'));
  });

  it('copies the key at import: zeroing the caller\'s bytes afterwards changes nothing', async () => {
    const raw = runtime.randomBytes(KEY_BYTES);
    const copy = raw.slice();
    const key = await impl.importKey(raw);
    raw.fill(0);
    const nonce = runtime.randomBytes(NONCE_BYTES);
    const sealed = await impl.seal(key, nonce, utf8('v'), new Uint8Array(0));
    expect(await web.open(await web.importKey(copy), nonce, sealed, new Uint8Array(0))).toEqual(utf8('v'));
  });

  it('returns arrays that own their whole buffer (never a view into a shared pool)', async () => {
    const key = await impl.importKey(runtime.randomBytes(KEY_BYTES));
    const nonce = runtime.randomBytes(NONCE_BYTES);
    const sealed = await impl.seal(key, nonce, utf8('short'), new Uint8Array(0));
    expect(sealed.byteOffset).toBe(0);
    expect(sealed.buffer.byteLength).toBe(sealed.length);
    const opened = await impl.open(key, nonce, sealed, new Uint8Array(0));
    expect(opened.byteOffset).toBe(0);
    expect(opened.buffer.byteLength).toBe(opened.length);
  });
});

describe('AesGcm: node:crypto and WebCrypto interoperate', () => {
  it('each opens what the other sealed, for any plaintext, AAD and key (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: KEY_BYTES, maxLength: KEY_BYTES }),
        fc.uint8Array({ minLength: NONCE_BYTES, maxLength: NONCE_BYTES }),
        fc.uint8Array({ maxLength: 4096 }),
        fc.uint8Array({ maxLength: 256 }),
        async (raw, nonce, plaintext, aad) => {
          const [wk, nk] = [await web.importKey(raw), await node.importKey(raw)];
          const fromWeb = await web.seal(wk, nonce, plaintext, aad);
          const fromNode = await node.seal(nk, nonce, plaintext, aad);
          // Same key and nonce: byte-identical output.
          expect(toHex(fromNode)).toBe(toHex(fromWeb));
          expect(await node.open(nk, nonce, fromWeb, aad)).toEqual(plaintext);
          expect(await web.open(wk, nonce, fromNode, aad)).toEqual(plaintext);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('each refuses the other\'s output once tampered with', async () => {
    const raw = runtime.randomBytes(KEY_BYTES);
    const nonce = runtime.randomBytes(NONCE_BYTES);
    const aad = utf8('aad');
    const [wk, nk] = [await web.importKey(raw), await node.importKey(raw)];
    for (const [sealer, sk, opener, ok] of [
      [web, wk, node, nk],
      [node, nk, web, wk],
    ] as const) {
      const sealed = await sealer.seal(sk, nonce, utf8('secret'), aad);
      const body = sealed.slice();
      body[0] = (body[0] ?? 0) ^ 1;
      const tag = sealed.slice();
      tag[tag.length - 1] = (tag[tag.length - 1] ?? 0) ^ 1;
      for (const bad of [body, tag]) expect(await rejection(opener.open(ok, nonce, bad, aad))).toBeInstanceOf(DecryptionError);
      expect(await rejection(opener.open(ok, nonce, sealed, utf8('aae')))).toBeInstanceOf(DecryptionError);
    }
  });

  it('refuses a key handle imported by the other implementation (ERR_INTERNAL)', async () => {
    const raw = runtime.randomBytes(KEY_BYTES);
    const nonce = runtime.randomBytes(NONCE_BYTES);
    await expect(node.seal(await web.importKey(raw), nonce, utf8('x'), new Uint8Array(0))).rejects.toSatisfy((err) => isGatewayError(err, 'ERR_INTERNAL'));
    await expect(web.seal(await node.importKey(raw), nonce, utf8('x'), new Uint8Array(0))).rejects.toSatisfy((err) => isGatewayError(err, 'ERR_INTERNAL'));
  });
});

describe('barrier over the node:crypto implementation', () => {
  const newSeal = (key = runtime.randomBytes(32)) => createStaticKeySeal({ key, subtle: runtime.subtle, randomBytes: runtime.randomBytes });

  it('reads what a WebCrypto barrier wrote on the same storage, and the other way round (keyring, values, rotation)', async () => {
    const storage = createMemoryStorage();
    const seal = newSeal();
    const webBarrier = createBarrier({ storage, runtime });
    await webBarrier.initialize(seal);
    await webBarrier.view('logical/x/').put('from-web', utf8('written by webcrypto'));
    webBarrier.seal();

    const nodeBarrier = createBarrier({ storage, runtime, aesGcm: createNodeAesGcm() });
    await nodeBarrier.unseal(seal);
    expect(await nodeBarrier.view('logical/x/').get('from-web')).toEqual(utf8('written by webcrypto'));
    await nodeBarrier.rotate();
    await nodeBarrier.view('logical/x/').put('from-node', utf8('written by node:crypto'));
    nodeBarrier.seal();

    const again = createBarrier({ storage, runtime });
    await again.unseal(seal);
    expect(await again.view('logical/x/').get('from-node')).toEqual(utf8('written by node:crypto'));
    expect(await again.view('logical/x/').get('from-web')).toEqual(utf8('written by webcrypto'));
  });

  it('refuses a value moved to another key or altered in storage, with the opaque error', async () => {
    const storage = createMemoryStorage();
    const barrier = createBarrier({ storage, runtime, aesGcm: createNodeAesGcm() });
    await barrier.initialize(newSeal());
    const view = barrier.view('logical/x/');
    await view.put('a', utf8('value a'));
    const blob = await storage.get('logical/x/a');
    if (blob === null) throw new Error('missing');
    await storage.put('logical/x/b', blob);
    await expect(view.get('b')).rejects.toBeInstanceOf(DecryptionError);
    const flipped = blob.slice();
    flipped[flipped.length - 3] = (flipped[flipped.length - 3] ?? 0) ^ 0x10;
    await storage.put('logical/x/a', flipped);
    await expect(view.get('a')).rejects.toBeInstanceOf(DecryptionError);
  });
});

describeStorageConformance('barrier view over memory storage, node:crypto AES-GCM', async () => {
  const storage = createMemoryStorage();
  const barrier = createBarrier({ storage, runtime, aesGcm: createNodeAesGcm() });
  await barrier.initialize(createStaticKeySeal({ key: runtime.randomBytes(32), subtle: runtime.subtle, randomBytes: runtime.randomBytes }));
  await barrier.view('logical/y/').put('sibling', utf8('other'));
  const view = barrier.view('logical/x/');
  return { ...view, ping: () => storage.ping(), close: () => storage.close() };
});
