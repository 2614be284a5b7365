import { describe, expect, it } from 'vitest';
import { DecryptionError, createWebRuntime, isGatewayError, toHex, utf8 } from '../core/index.js';
import { KEY_BYTES, NONCE_BYTES, TAG_BYTES, importAesKey, open, seal } from './aes-gcm.js';

const { subtle, randomBytes } = createWebRuntime();

const hex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));

async function openError(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected decryption to fail');
    },
    (err: unknown) => err,
  );
}

describe('AES-256-GCM known answers (McGrew & Viega, "The Galois/Counter Mode of Operation", AES-256 test cases)', () => {
  it('test case 13: zero key, zero nonce, empty plaintext gives the published tag', async () => {
    const key = await importAesKey(subtle, new Uint8Array(32));
    const out = await seal(subtle, key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(0));
    expect(toHex(out)).toBe('530f8afbc74536b9a963b4f1c4cb738b');
  });

  it('test case 14: zero key and nonce, one zero block gives the published ciphertext and tag', async () => {
    const key = await importAesKey(subtle, new Uint8Array(32));
    const out = await seal(subtle, key, new Uint8Array(12), new Uint8Array(16), new Uint8Array(0));
    expect(toHex(out)).toBe('cea7403d4d606b6e074ec5d3baf39d18' + 'd0d1c8a799996bf0265b98b5d48ab919');
  });

  it('test case 16: key, 96-bit nonce, 60-byte plaintext and 20-byte AAD give the published ciphertext and tag', async () => {
    const key = await importAesKey(subtle, hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'));
    const nonce = hex('cafebabefacedbaddecaf888');
    const plaintext = hex(
      'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
    );
    const aad = hex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
    const expected =
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
      '76fc6ece0f4e1768cddf8853bb2d551b';
    expect(toHex(await seal(subtle, key, nonce, plaintext, aad))).toBe(expected);
    expect(await open(subtle, key, nonce, hex(expected), aad)).toEqual(plaintext);
  });
});

describe('AES-256-GCM seal/open', () => {
  const fixture = async () => {
    const key = await importAesKey(subtle, randomBytes(KEY_BYTES));
    const nonce = randomBytes(NONCE_BYTES);
    const aad = utf8('logical/x/key');
    const plaintext = utf8('a secret value');
    return { key, nonce, aad, plaintext, sealed: await seal(subtle, key, nonce, plaintext, aad) };
  };

  it('round-trips, and the output is the plaintext length plus a 16-byte tag', async () => {
    const { key, nonce, aad, plaintext, sealed } = await fixture();
    expect(sealed.length).toBe(plaintext.length + TAG_BYTES);
    expect(await open(subtle, key, nonce, sealed, aad)).toEqual(plaintext);
  });

  it('round-trips an empty plaintext', async () => {
    const { key, nonce, aad } = await fixture();
    const sealed = await seal(subtle, key, nonce, new Uint8Array(0), aad);
    expect(await open(subtle, key, nonce, sealed, aad)).toEqual(new Uint8Array(0));
  });

  it('fails with the one opaque DecryptionError for a wrong key, nonce or AAD, a flipped byte or a short input', async () => {
    const { key, nonce, aad, sealed } = await fixture();
    const otherKey = await importAesKey(subtle, randomBytes(KEY_BYTES));
    const flipped = sealed.slice();
    flipped[3] = (flipped[3] ?? 0) ^ 0x01;
    const flippedTag = sealed.slice();
    flippedTag[flippedTag.length - 1] = (flippedTag[flippedTag.length - 1] ?? 0) ^ 0x80;
    const failures = [
      open(subtle, otherKey, nonce, sealed, aad),
      open(subtle, key, randomBytes(NONCE_BYTES), sealed, aad),
      open(subtle, key, nonce, sealed, utf8('logical/x/other')),
      open(subtle, key, nonce, flipped, aad),
      open(subtle, key, nonce, flippedTag, aad),
      open(subtle, key, nonce, sealed.subarray(0, TAG_BYTES - 1), aad),
      open(subtle, key, nonce.subarray(0, 8), sealed, aad),
    ];
    const errors = await Promise.all(failures.map(openError));
    for (const err of errors) {
      expect(err).toBeInstanceOf(DecryptionError);
      expect(isGatewayError(err, 'ERR_DECRYPTION_FAILED')).toBe(true);
      expect(err instanceof Error && err.message).toBe(new DecryptionError().message);
      expect(err instanceof Error ? err.cause : 'not an error').toBeUndefined();
    }
  });

  it('refuses keys that are not 32 bytes, so AES-128 or AES-192 never happen by accident', async () => {
    for (const length of [16, 24, 31, 33]) {
      await expect(importAesKey(subtle, new Uint8Array(length))).rejects.toSatisfy((err) => isGatewayError(err, 'ERR_INTERNAL'));
    }
  });

  it('imports keys as non-extractable', async () => {
    const key = await importAesKey(subtle, randomBytes(KEY_BYTES));
    expect(key.extractable).toBe(false);
    await expect(subtle.exportKey('raw', key)).rejects.toThrow();
  });

  it('refuses a nonce that is not 12 bytes when sealing', async () => {
    const key = await importAesKey(subtle, randomBytes(KEY_BYTES));
    await expect(seal(subtle, key, new Uint8Array(16), utf8('x'), new Uint8Array(0))).rejects.toSatisfy((err) =>
      isGatewayError(err, 'ERR_INTERNAL'),
    );
  });
});
