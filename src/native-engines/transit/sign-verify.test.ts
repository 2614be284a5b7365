import { describe, expect, it } from 'vitest';
import { fromBase64 } from '../../core/index.js';
import { b64, createTransitHarness, str } from './test-harness.js';

const INPUT = b64('sign me');

function sigBytes(signature: string): Uint8Array {
  const out = fromBase64(signature.replace(/^vault:v[0-9]+:/, ''));
  if (out === null) throw new Error('not base64');
  return out;
}

describe('transit: sign and verify', () => {
  it('marshals ECDSA signatures as DER (asn1) or r‖s in base64url (jws)', async () => {
    const t = createTransitHarness();
    await t.createKey('p256', { type: 'ecdsa-p256' });
    await t.createKey('p384', { type: 'ecdsa-p384' });
    for (const [name, size] of [['p256', 64], ['p384', 96]] as const) {
      const der = str((await t.write(`sign/${name}`, { input: INPUT })).signature);
      expect(sigBytes(der)[0]).toBe(0x30);
      const jws = str((await t.write(`sign/${name}`, { input: INPUT, marshaling_algorithm: 'jws' })).signature);
      expect(jws.slice(9)).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(sigBytes(jws)).toHaveLength(size);
      expect(await t.write(`verify/${name}`, { input: INPUT, signature: jws, marshaling_algorithm: 'jws' })).toEqual({ valid: true });
      expect(await t.write(`verify/${name}`, { input: INPUT, signature: der })).toEqual({ valid: true });
      expect((await t.failure(t.write(`verify/${name}`, { input: INPUT, signature: jws }))).details?.[0]?.field).toBe('signature');
    }
  });

  it('signs with every hash algorithm, from the path or the body, and verifies only with the same one', async () => {
    const t = createTransitHarness();
    await t.createKey('ec', { type: 'ecdsa-p256' });
    for (const hash of ['sha1', 'sha2-224', 'sha2-256', 'sha2-384', 'sha2-512', 'sha3-224', 'sha3-256', 'sha3-384', 'sha3-512']) {
      const byPath = str((await t.write(`sign/ec/${hash}`, { input: INPUT })).signature);
      expect(await t.write('verify/ec', { input: INPUT, signature: byPath, hash_algorithm: hash })).toEqual({ valid: true });
      expect(await t.write(`verify/ec/${hash}`, { input: INPUT, signature: byPath })).toEqual({ valid: true });
      const other = hash === 'sha2-256' ? 'sha2-384' : 'sha2-256';
      expect(await t.write(`verify/ec/${other}`, { input: INPUT, signature: byPath })).toEqual({ valid: false });
    }
    const legacy = str((await t.write('sign/ec', { input: INPUT, algorithm: 'sha2-512' })).signature);
    expect(await t.write('verify/ec/sha2-512', { input: INPUT, signature: legacy })).toEqual({ valid: true });
    expect((await t.failure(t.write('sign/ec/md5', { input: INPUT }))).details?.[0]?.field).toBe('hash_algorithm');
  });

  it('signs prehashed input with ECDSA, and refuses it for RSA and ed25519', async () => {
    const t = createTransitHarness();
    await t.createKey('ec', { type: 'ecdsa-p384' });
    await t.createKey('rsa', { type: 'rsa-2048' });
    await t.createKey('ed', { type: 'ed25519' });
    const digest = str((await t.write('hash/sha2-384', { input: INPUT, format: 'base64' })).sum);
    const signed = str((await t.write('sign/ec', { input: digest, prehashed: true, hash_algorithm: 'sha2-384' })).signature);
    expect(await t.write('verify/ec/sha2-384', { input: INPUT, signature: signed })).toEqual({ valid: true });
    expect(await t.write('verify/ec/sha2-384', { input: digest, prehashed: true, signature: signed })).toEqual({ valid: true });
    expect((await t.failure(t.write('sign/rsa', { input: digest, prehashed: true }))).details?.[0]?.field).toBe('prehashed');
    expect((await t.failure(t.write('sign/ed', { input: digest, prehashed: true }))).details?.[0]?.field).toBe('prehashed');
  });

  it('signs RSA with PSS (largest salt by default, or hash-length) and PKCS#1 v1.5, each verifying only as itself', async () => {
    const t = createTransitHarness();
    await t.createKey('rsa', { type: 'rsa-2048' });
    const pss = str((await t.write('sign/rsa', { input: INPUT })).signature);
    const pssHash = str((await t.write('sign/rsa', { input: INPUT, salt_length: 'hash' })).signature);
    const pkcs = str((await t.write('sign/rsa', { input: INPUT, signature_algorithm: 'pkcs1v15' })).signature);
    const pkcsAgain = str((await t.write('sign/rsa', { input: INPUT, signature_algorithm: 'pkcs1v15' })).signature);
    expect(pkcs).toBe(pkcsAgain);
    expect(pss).not.toBe(str((await t.write('sign/rsa', { input: INPUT })).signature));
    expect(await t.write('verify/rsa', { input: INPUT, signature: pss })).toEqual({ valid: true });
    expect(await t.write('verify/rsa', { input: INPUT, signature: pssHash })).toEqual({ valid: true });
    expect(await t.write('verify/rsa', { input: INPUT, signature: pssHash, salt_length: 'hash' })).toEqual({ valid: true });
    expect(await t.write('verify/rsa', { input: INPUT, signature: pss, salt_length: 'hash' })).toEqual({ valid: false });
    expect(await t.write('verify/rsa', { input: INPUT, signature: pss, salt_length: 222 })).toEqual({ valid: true });
    expect(await t.write('verify/rsa', { input: INPUT, signature: pkcs, signature_algorithm: 'pkcs1v15' })).toEqual({ valid: true });
    expect(await t.write('verify/rsa', { input: INPUT, signature: pkcs })).toEqual({ valid: false });
    expect((await t.failure(t.write('sign/rsa/sha3-256', { input: INPUT }))).details?.[0]?.field).toBe('hash_algorithm');
    expect((await t.failure(t.write('sign/rsa', { input: INPUT, salt_length: 300 }))).details?.[0]?.field).toBe('salt_length');
  });

  it('verifies old versions down to min_decryption_version and signs with a chosen version', async () => {
    const t = createTransitHarness();
    await t.createKey('ed', { type: 'ed25519' });
    const v1 = str((await t.write('sign/ed', { input: INPUT })).signature);
    await t.call('rotate', 'keys/ed');
    const v2 = await t.write('sign/ed', { input: INPUT });
    expect(v2.key_version).toBe(2);
    expect(str(v2.signature).startsWith('vault:v2:')).toBe(true);
    expect(str((await t.write('sign/ed', { input: INPUT, key_version: 1 })).signature)).toBe(v1);
    expect(await t.write('verify/ed', { input: INPUT, signature: v1 })).toEqual({ valid: true });
    await t.write('keys/ed/config', { min_decryption_version: 2 });
    expect((await t.failure(t.write('verify/ed', { input: INPUT, signature: v1 }))).message).toContain('too old');
  });

  it('derived ed25519 keys sign per context and need one', async () => {
    const t = createTransitHarness();
    await t.createKey('ed', { type: 'ed25519', derived: true });
    const a = await t.write('sign/ed', { input: INPUT, context: b64('a') });
    const b = await t.write('sign/ed', { input: INPUT, context: b64('b') });
    expect(a.public_key).not.toBe(b.public_key);
    expect(await t.write('verify/ed', { input: INPUT, signature: str(a.signature), context: b64('a') })).toEqual({ valid: true });
    expect(await t.write('verify/ed', { input: INPUT, signature: str(a.signature), context: b64('b') })).toEqual({ valid: false });
    expect((await t.failure(t.write('sign/ed', { input: INPUT }))).details?.[0]?.field).toBe('context');
  });

  it('refuses a signature and an HMAC together, and a version that does not exist', async () => {
    const t = createTransitHarness();
    await t.createKey('ec', { type: 'ecdsa-p256' });
    const sig = str((await t.write('sign/ec', { input: INPUT })).signature);
    expect((await t.failure(t.write('verify/ec', { input: INPUT, signature: sig, hmac: 'vault:v1:AA==' }))).details?.[0]?.field).toBe('signature');
    expect((await t.failure(t.write('verify/ec', { input: INPUT, signature: sig.replace('vault:v1:', 'vault:v2:') }))).message).toContain('newer');
    expect((await t.failure(t.write('verify/ec', { input: INPUT }))).details?.[0]?.field).toBe('signature');
  });
});
