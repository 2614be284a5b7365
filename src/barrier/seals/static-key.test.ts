import { describe, expect, it } from 'vitest';
import { createWebRuntime, fromBase64, isGatewayError, toBase64, toBase64Url, toHex, utf8 } from '../../core/index.js';
import type { WrappedKey } from '../types.js';
import { createStaticKeySeal, keyFingerprint, parseDevKey } from './static-key.js';

const runtime = createWebRuntime();
const aad = utf8('keygate/root-key/v1');
const sealWith = (key: Uint8Array, type?: string) =>
  createStaticKeySeal({ key, subtle: runtime.subtle, randomBytes: runtime.randomBytes, ...(type === undefined ? {} : { type }) });

async function unsealError(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected unwrap to fail');
    },
    (err: unknown) => err,
  );
}

describe('static-key seal', () => {
  it('wraps and unwraps a root key, recording its type and the key fingerprint', async () => {
    const key = runtime.randomBytes(32);
    const seal = sealWith(key);
    const root = runtime.randomBytes(32);
    const wrapped = await seal.wrap(root, aad);
    expect(seal.type).toBe('static');
    expect(wrapped.type).toBe('static');
    expect(wrapped.keyId).toBe(await keyFingerprint(runtime.subtle, key));
    expect(wrapped.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(await seal.unwrap(wrapped, aad)).toEqual(root);
  });

  it('uses the given type, as the dev key file seal does', async () => {
    const seal = sealWith(runtime.randomBytes(32), 'dev-key-file');
    expect(seal.type).toBe('dev-key-file');
    expect((await seal.wrap(runtime.randomBytes(32), aad)).type).toBe('dev-key-file');
  });

  it('fingerprints with the first 16 hex characters of SHA-256', async () => {
    const key = new Uint8Array(32);
    const digest = new Uint8Array(await runtime.subtle.digest('SHA-256', key));
    expect(await keyFingerprint(runtime.subtle, key)).toBe(toHex(digest).slice(0, 16));
  });

  it('never puts the root key or the wrapping key into the WrappedKey', async () => {
    const key = runtime.randomBytes(32);
    const root = runtime.randomBytes(32);
    const wrapped = await sealWith(key).wrap(root, aad);
    const text = JSON.stringify(wrapped);
    for (const secret of [root, key]) {
      expect(text).not.toContain(toBase64(secret));
      expect(text).not.toContain(toHex(secret));
      expect(text).not.toContain(toBase64Url(secret));
    }
  });

  it('uses a fresh nonce on every wrap', async () => {
    const seal = sealWith(runtime.randomBytes(32));
    const root = runtime.randomBytes(32);
    const a = await seal.wrap(root, aad);
    const b = await seal.wrap(root, aad);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(fromBase64(a.ciphertext)?.subarray(0, 12)).not.toEqual(fromBase64(b.ciphertext)?.subarray(0, 12));
  });

  it('keeps working after the caller zeroes the key it passed in', async () => {
    const key = runtime.randomBytes(32);
    const seal = sealWith(key);
    const root = runtime.randomBytes(32);
    const wrapped = await seal.wrap(root, aad);
    key.fill(0);
    expect(await seal.unwrap(wrapped, aad)).toEqual(root);
  });

  it('refuses, with one opaque ERR_UNSEAL_FAILED, a wrong key, another type, another keyId, another AAD or altered bytes', async () => {
    const key = runtime.randomBytes(32);
    const seal = sealWith(key);
    const wrapped = await seal.wrap(runtime.randomBytes(32), aad);
    const blob = fromBase64(wrapped.ciphertext) ?? new Uint8Array(0);
    const flipped = blob.slice();
    flipped[20] = (flipped[20] ?? 0) ^ 1;

    // A different key file recorded under the same keyId, so only authentication can catch it.
    const wrongKey = createStaticKeySeal({ key: runtime.randomBytes(32), subtle: runtime.subtle, randomBytes: runtime.randomBytes, keyId: wrapped.keyId ?? '' });
    const attempts: Array<Promise<unknown>> = [
      wrongKey.unwrap(wrapped, aad),
      sealWith(runtime.randomBytes(32)).unwrap(wrapped, aad),
      sealWith(key, 'dev-key-file').unwrap(wrapped, aad),
      seal.unwrap({ ...wrapped, type: 'awskms' }, aad),
      seal.unwrap({ ...wrapped, keyId: '0000000000000000' }, aad),
      seal.unwrap({ type: wrapped.type, ciphertext: wrapped.ciphertext }, aad),
      seal.unwrap(wrapped, utf8('keygate/root-key/v2')),
      seal.unwrap({ ...wrapped, ciphertext: toBase64(flipped) }, aad),
      seal.unwrap({ ...wrapped, ciphertext: toBase64(blob.subarray(0, 27)) }, aad),
      seal.unwrap({ ...wrapped, ciphertext: 'not base64!' }, aad),
    ];
    const errors = await Promise.all(attempts.map(unsealError));
    const messages = new Set<string>();
    for (const err of errors) {
      expect(isGatewayError(err, 'ERR_UNSEAL_FAILED')).toBe(true);
      if (err instanceof Error) messages.add(err.message);
    }
    expect(messages.size).toBe(1);
  });

  it('refuses a WrappedKey whose ciphertext is not a string', async () => {
    const seal = sealWith(runtime.randomBytes(32));
    const wrapped = await seal.wrap(runtime.randomBytes(32), aad);
    const malformed: WrappedKey = JSON.parse(JSON.stringify({ ...wrapped, ciphertext: 42 }));
    await expect(seal.unwrap(malformed, aad)).rejects.toSatisfy((err) => isGatewayError(err, 'ERR_UNSEAL_FAILED'));
  });

  it('refuses at creation a key that is not 32 bytes', () => {
    for (const length of [0, 16, 31, 33, 64]) {
      expect(() => sealWith(new Uint8Array(length))).toThrow(/32 bytes/);
    }
  });
});

describe('parseDevKey', () => {
  it('accepts base64 of 32 bytes, with or without a trailing newline or padding, and base64url', () => {
    const key = runtime.randomBytes(32);
    for (const text of [toBase64(key), `${toBase64(key)}\n`, `  ${toBase64(key)}\r\n`, toBase64Url(key), toBase64(key).replace(/=+$/, '')]) {
      expect(parseDevKey(text)).toEqual(key);
    }
  });

  it('returns null for any other length, bad characters, or absurdly long input', () => {
    for (const text of ['', toBase64(new Uint8Array(31)), toBase64(new Uint8Array(33)), toBase64(new Uint8Array(16)), '!!!!', 'A'.repeat(100_000)]) {
      expect(parseDevKey(text)).toBeNull();
    }
  });
});
