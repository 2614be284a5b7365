/**
 * Interoperability with the `openssl` command line: signatures transit makes verify with
 * openssl against the exported public key, and signatures openssl makes with the exported
 * private key verify in transit. Exported keys are Vault's formats (SEC1, PKCS#1, PKIX PEM;
 * raw Ed25519), so openssl parsing them also checks the export encoding.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { concatBytes, fromBase64, toBase64 } from '../../core/index.js';
import { toPem } from './pem.js';
import { createTransitHarness, hex, obj, str } from './test-harness.js';

const OPENSSL_MISSING = 'openssl not found on PATH: transit openssl interoperability tests skipped (install it: apt-get install -y openssl)';
const available = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
if (!available) {
  if (process.env.KEYGATE_TEST_REQUIRE_ALL === '1') throw new Error(OPENSSL_MISSING);
  console.warn(`transit: ${OPENSSL_MISSING}`);
}

const dir = mkdtempSync(join(tmpdir(), 'keygate-transit-openssl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, `${counter++}-${name}`);
  writeFileSync(path, content);
  return path;
}

function openssl(args: string[]): { ok: boolean; out: string } {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  return { ok: result.status === 0, out: `${result.stdout}${result.stderr}` };
}

function bytesOf(b64: string): Uint8Array {
  const out = fromBase64(b64);
  if (out === null) throw new Error('not base64');
  return out;
}

const MESSAGE = new TextEncoder().encode('the quick brown fox, signed by transit and by openssl');

function signatureBytes(signature: string): Uint8Array {
  const body = signature.replace(/^vault:v[0-9]+:/, '');
  return bytesOf(body);
}

async function exported(t: ReturnType<typeof createTransitHarness>, type: 'public-key' | 'signing-key', name: string): Promise<string> {
  return str(obj((await t.read(`export/${type}/${name}/latest`)).keys)['1']);
}

// Ed25519 keys export raw (as Vault); openssl needs them wrapped (RFC 8410), which the test does.
function ed25519PublicPem(pub: Uint8Array): string {
  return toPem('PUBLIC KEY', concatBytes(hex('302a300506032b6570032100'), pub));
}

function ed25519PrivatePem(privateKey: Uint8Array): string {
  return toPem('PRIVATE KEY', concatBytes(hex('302e020100300506032b657004220420'), privateKey.subarray(0, 32)));
}

describe.runIf(available)('transit: signatures interoperate with openssl', () => {
  const t = createTransitHarness();
  const message = file('message', MESSAGE);
  const input = toBase64(MESSAGE);

  it.each([
    { type: 'ecdsa-p256', hash: 'sha2-256', dgst: '-sha256' },
    { type: 'ecdsa-p384', hash: 'sha2-384', dgst: '-sha384' },
    { type: 'ecdsa-p256', hash: 'sha2-512', dgst: '-sha512' },
  ])('$type ($hash, asn1): transit signs, openssl verifies; openssl signs, transit verifies', async ({ type, hash, dgst }) => {
    const name = `${type}-${hash}`;
    await t.createKey(name, { type, exportable: true });
    const publicPem = file('pub.pem', await exported(t, 'public-key', name));
    for (let i = 0; i < 5; i++) {
      const signed = await t.write(`sign/${name}/${hash}`, { input });
      const sig = file('sig.der', signatureBytes(str(signed.signature)));
      const verified = openssl(['dgst', dgst, '-verify', publicPem, '-signature', sig, message]);
      expect(verified.out).toContain('Verified OK');
    }
    const privatePem = file('key.pem', await exported(t, 'signing-key', name));
    expect(readFileSync(privatePem, 'utf8')).toContain('BEGIN EC PRIVATE KEY');
    for (let i = 0; i < 5; i++) {
      const sigPath = file('openssl.sig', '');
      expect(openssl(['dgst', dgst, '-sign', privatePem, '-out', sigPath, message]).ok).toBe(true);
      const signature = `vault:v1:${toBase64(readFileSync(sigPath))}`;
      expect(await t.write(`verify/${name}/${hash}`, { input, signature })).toEqual({ valid: true });
      expect(await t.write(`verify/${name}/${hash}`, { input: toBase64(new TextEncoder().encode('another message')), signature })).toEqual({ valid: false });
    }
  });

  it('ecdsa-p256 prehashed: openssl verifies a signature over a digest transit was given', async () => {
    await t.createKey('pre', { type: 'ecdsa-p256', exportable: true });
    const digest = (await t.write('hash/sha2-256', { input, format: 'base64' })).sum;
    const signed = await t.write('sign/pre', { input: str(digest), prehashed: true });
    const sig = file('sig.der', signatureBytes(str(signed.signature)));
    const publicPem = file('pub.pem', await exported(t, 'public-key', 'pre'));
    expect(openssl(['dgst', '-sha256', '-verify', publicPem, '-signature', sig, message]).out).toContain('Verified OK');
    expect(await t.write('verify/pre', { input: str(digest), prehashed: true, signature: str(signed.signature) })).toEqual({ valid: true });
  });

  it.each([
    { scheme: 'pss', opts: ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:max'] },
    { scheme: 'pss', opts: ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest'] },
    { scheme: 'pkcs1v15', opts: [] },
  ])('rsa-2048 ($scheme $opts): transit signs, openssl verifies; openssl signs, transit verifies', async ({ scheme, opts }) => {
    const name = 'rsa';
    await t.createKey(name, { type: 'rsa-2048', exportable: true });
    const publicPem = file('pub.pem', await exported(t, 'public-key', name));
    const signed = await t.write(`sign/${name}`, { input, signature_algorithm: scheme });
    const sig = file('sig.bin', signatureBytes(str(signed.signature)));
    const verifyOpts = scheme === 'pss' ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:max'] : [];
    expect(openssl(['dgst', '-sha256', ...verifyOpts, '-verify', publicPem, '-signature', sig, message]).out).toContain('Verified OK');

    const privatePem = file('key.pem', await exported(t, 'signing-key', name));
    expect(readFileSync(privatePem, 'utf8')).toContain('BEGIN RSA PRIVATE KEY');
    const sigPath = file('openssl.sig', '');
    expect(openssl(['dgst', '-sha256', ...opts, '-sign', privatePem, '-out', sigPath, message]).ok).toBe(true);
    const signature = `vault:v1:${toBase64(readFileSync(sigPath))}`;
    expect(await t.write(`verify/${name}`, { input, signature, signature_algorithm: scheme })).toEqual({ valid: true });
  });

  it('ed25519: transit signs, openssl verifies; openssl signs, transit verifies', async () => {
    await t.createKey('ed', { type: 'ed25519', exportable: true });
    const publicPem = file('pub.pem', ed25519PublicPem(bytesOf(await exported(t, 'public-key', 'ed'))));
    const signed = await t.write('sign/ed', { input });
    const sig = file('sig.bin', signatureBytes(str(signed.signature)));
    expect(openssl(['pkeyutl', '-verify', '-pubin', '-inkey', publicPem, '-rawin', '-in', message, '-sigfile', sig]).out).toContain('Signature Verified Successfully');

    const privatePem = file('key.pem', ed25519PrivatePem(bytesOf(await exported(t, 'signing-key', 'ed'))));
    const sigPath = file('openssl.sig', '');
    expect(openssl(['pkeyutl', '-sign', '-inkey', privatePem, '-rawin', '-in', message, '-out', sigPath]).ok).toBe(true);
    expect(await t.write('verify/ed', { input, signature: `vault:v1:${toBase64(readFileSync(sigPath))}` })).toEqual({ valid: true });
  });

  it('exports public keys openssl reads, matching the private keys it reads', async () => {
    for (const type of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048']) {
      await t.createKey(`pub-${type}`, { type, exportable: true });
      const fromPrivate = openssl(['pkey', '-in', file('key.pem', await exported(t, 'signing-key', `pub-${type}`)), '-pubout']);
      const fromPublic = openssl(['pkey', '-pubin', '-in', file('pub.pem', await exported(t, 'public-key', `pub-${type}`)), '-pubout']);
      expect(fromPrivate.ok && fromPublic.ok).toBe(true);
      expect(fromPrivate.out).toBe(fromPublic.out);
    }
  });
});
