/**
 * Key derivation and convergent nonces checked against an independent implementation
 * (`node:crypto`): a derived key is HKDF-SHA256(key, salt = empty, info = context), and a
 * convergent nonce is HMAC-SHA256(next 32 HKDF bytes, plaintext)[0..12], as Vault's
 * `hkdf_sha256` KDF and convergent version 3 define them.
 */

import { createDecipheriv, createHmac, createPrivateKey, createPublicKey, hkdfSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../../core/index.js';
import { b64, createTransitHarness, hex, obj, str } from './test-harness.js';

function bytes(text: string): Uint8Array {
  const out = fromBase64(text);
  if (out === null) throw new Error('not base64');
  return out;
}

function body(ciphertext: string): Uint8Array {
  return bytes(ciphertext.replace(/^vault:v[0-9]+:/, ''));
}

function nodeOpen(cipher: 'aes-256-gcm' | 'chacha20-poly1305', key: Uint8Array, sealed: Uint8Array): string {
  const nonce = sealed.subarray(0, 12);
  const tag = sealed.subarray(sealed.length - 16);
  const decipher = cipher === 'chacha20-poly1305' ? createDecipheriv(cipher, key, nonce, { authTagLength: 16 }) : createDecipheriv(cipher, key, nonce);
  decipher.setAuthTag(tag);
  return new TextDecoder().decode(new Uint8Array([...decipher.update(sealed.subarray(12, sealed.length - 16)), ...decipher.final()]));
}

const CONTEXT = 'tenant-42';

describe('transit: derived keys match an independent HKDF', () => {
  it.each([
    { type: 'aes256-gcm96', cipher: 'aes-256-gcm' },
    { type: 'chacha20-poly1305', cipher: 'chacha20-poly1305' },
  ] as const)('$type: the ciphertext opens under HKDF-SHA256(key, "", context)', async ({ type, cipher }) => {
    const t = createTransitHarness();
    await t.createKey('d', { type, derived: true, exportable: true });
    const base = bytes(str(obj((await t.read('export/encryption-key/d')).keys)['1']));
    const ciphertext = await t.encrypt('d', 'derived secret', { context: b64(CONTEXT) });
    const derived = new Uint8Array(hkdfSync('sha256', base, new Uint8Array(0), new TextEncoder().encode(CONTEXT), 32));
    expect(nodeOpen(cipher, derived, body(ciphertext))).toBe('derived secret');
  });

  it('convergent: the nonce is HMAC-SHA256 of the plaintext under the next 32 HKDF bytes', async () => {
    const t = createTransitHarness();
    await t.createKey('c', { derived: true, convergent_encryption: true, exportable: true });
    const base = bytes(str(obj((await t.read('export/encryption-key/c')).keys)['1']));
    const ciphertext = await t.encrypt('c', 'same every time', { context: b64(CONTEXT) });
    const okm = new Uint8Array(hkdfSync('sha256', base, new Uint8Array(0), new TextEncoder().encode(CONTEXT), 64));
    const expectedNonce = createHmac('sha256', okm.subarray(32)).update('same every time').digest().subarray(0, 12);
    expect(toBase64(body(ciphertext).subarray(0, 12))).toBe(toBase64(expectedNonce));
    expect(nodeOpen('aes-256-gcm', okm.subarray(0, 32), body(ciphertext))).toBe('same every time');
    expect((await t.read('keys/c')).convergent_encryption_version).toBe(3);
  });

  it('derived ed25519: signs with the seed HKDF-SHA256(private key, "", context) gives', async () => {
    const t = createTransitHarness();
    await t.createKey('e', { type: 'ed25519', derived: true, exportable: true });
    const privateKey = bytes(str(obj((await t.read('export/signing-key/e')).keys)['1']));
    const seed = new Uint8Array(hkdfSync('sha256', privateKey, new Uint8Array(0), new TextEncoder().encode(CONTEXT), 32));
    const nodeKey = createPrivateKey({ key: Buffer.concat([hex('302e020100300506032b657004220420'), seed]), format: 'der', type: 'pkcs8' });
    const expectedPublic = createPublicKey(nodeKey).export({ format: 'der', type: 'spki' }).subarray(12);
    const signed = await t.write('sign/e', { input: b64('message'), context: b64(CONTEXT) });
    expect(signed.public_key).toBe(toBase64(expectedPublic));
    const signature = body(str(signed.signature));
    expect(verify(null, new TextEncoder().encode('message'), createPublicKey(nodeKey), signature)).toBe(true);
    const keys = obj((await t.read('keys/e', { context: b64(CONTEXT) })).keys);
    expect(obj(keys['1']).public_key).toBe(toBase64(expectedPublic));
    expect(obj(obj((await t.read('keys/e')).keys)['1']).public_key).toBe('');
  });
});
