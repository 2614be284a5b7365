import { describe, expect, it } from 'vitest';
import { concatBytes, toBase64 } from '../../core/index.js';
import type { JsonObject } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { createTestRuntime } from '../test-support.js';
import { aeadOpen, aeadSeal, importAesGcmKey } from './aead.js';
import { createTransitHarness, hex, knownKeyBackup, obj, str } from './test-harness.js';

// The GCM specification's test vectors (McGrew & Viega, as used by NIST's GCM validation):
// test cases 2, 3, 4 (AES-128) and 14, 15, 16 (AES-256); 4 and 16 carry associated data.
const K = 'feffe9928665731c6d6a8f9467308308';
const IV = 'cafebabefacedbaddecaf888';
const P60 = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39';
const P64 = `${P60}1aafd255`;
const A = 'feedfacedeadbeeffeedfacedeadbeefabaddad2';
const GCM_VECTORS = [
  { name: 'TC2', type: 'aes128-gcm96', key: '00'.repeat(16), iv: '00'.repeat(12), p: '00'.repeat(16), a: '', c: '0388dace60b6a392f328c2b971b2fe78', t: 'ab6e47d42cec13bdf53a67b21257bddf' },
  {
    name: 'TC3',
    type: 'aes128-gcm96',
    key: K,
    iv: IV,
    p: P64,
    a: '',
    c: '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985',
    t: '4d5c2af327cd64a62cf35abd2ba6fab4',
  },
  {
    name: 'TC4',
    type: 'aes128-gcm96',
    key: K,
    iv: IV,
    p: P60,
    a: A,
    c: '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091',
    t: '5bc94fbc3221a5db94fae95ae7121a47',
  },
  { name: 'TC14', type: 'aes256-gcm96', key: '00'.repeat(32), iv: '00'.repeat(12), p: '00'.repeat(16), a: '', c: 'cea7403d4d606b6e074ec5d3baf39d18', t: 'd0d1c8a799996bf0265b98b5d48ab919' },
  {
    name: 'TC15',
    type: 'aes256-gcm96',
    key: K + K,
    iv: IV,
    p: P64,
    a: '',
    c: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad',
    t: 'b094dac5d93471bdec1a502270e3cc6c',
  },
  {
    name: 'TC16',
    type: 'aes256-gcm96',
    key: K + K,
    iv: IV,
    p: P60,
    a: A,
    c: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
    t: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
] as const;

// RFC 8439 §2.8.2: the AEAD_CHACHA20_POLY1305 example.
const CHACHA = {
  key: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f',
  nonce: '070000004041424344454647',
  aad: '50515253c0c1c2c3c4c5c6c7',
  plaintext: "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  c: 'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116',
  t: '1ae10b594f09e26a7e902ecbd0600691',
};

// RFC 8032 §7.1, TEST 1–3.
const ED25519 = [
  {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

/** A runtime whose 12-byte draws (nonces) are `nonce`, so encryption is reproducible for a known-answer test. */
function fixedNonceRuntime(nonce: Uint8Array<ArrayBuffer>) {
  const runtime = createTestRuntime();
  const randomBytes = runtime.randomBytes;
  return Object.assign(runtime, { randomBytes: (n: number) => (n === nonce.length ? nonce.slice() : randomBytes(n)) });
}

describe('transit: AES-GCM known answers', () => {
  it.each(GCM_VECTORS)('$name through the AEAD layer', async (v) => {
    const key = await importAesGcmKey(crypto.subtle, hex(v.key));
    const sealed = await aeadSeal(crypto.subtle, { cipher: 'aes-gcm', key }, hex(v.iv), hex(v.p), hex(v.a));
    expect(toBase64(sealed)).toBe(toBase64(hex(v.c + v.t)));
    const opened = await aeadOpen(crypto.subtle, { cipher: 'aes-gcm', key }, hex(v.iv), hex(v.c + v.t), hex(v.a));
    expect(opened).toEqual(hex(v.p));
  });

  it.each(GCM_VECTORS)('$name through encrypt and decrypt of a restored key', async (v) => {
    const t = createTransitHarness(createMemoryStorage(), {}, fixedNonceRuntime(hex(v.iv)));
    await t.write('restore/kat', { backup: knownKeyBackup('kat', v.type, { key: hex(v.key) }) });
    const extra: JsonObject = v.a === '' ? {} : { associated_data: toBase64(hex(v.a)) };
    const expected = `vault:v1:${toBase64(concatBytes(hex(v.iv), hex(v.c), hex(v.t)))}`;
    const encrypted = await t.write('encrypt/kat', { plaintext: toBase64(hex(v.p)), ...extra });
    expect(encrypted).toEqual({ ciphertext: expected, key_version: 1 });
    const decrypted = await t.write('decrypt/kat', { ciphertext: expected, ...extra });
    expect(decrypted.plaintext).toBe(toBase64(hex(v.p)));
  });

  it('refuses a known ciphertext with one tag bit flipped, or the wrong associated data', async () => {
    const v = GCM_VECTORS[5];
    const t = createTransitHarness();
    await t.write('restore/kat', { backup: knownKeyBackup('kat', v.type, { key: hex(v.key) }) });
    const tampered = hex(v.iv + v.c + v.t);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    const errors = [
      await t.failure(t.write('decrypt/kat', { ciphertext: `vault:v1:${toBase64(tampered)}`, associated_data: toBase64(hex(v.a)) })),
      await t.failure(t.write('decrypt/kat', { ciphertext: `vault:v1:${toBase64(hex(v.iv + v.c + v.t))}` })),
    ];
    for (const err of errors) {
      expect(err.code).toBe('ERR_VALIDATION');
      expect(err.message).toBe(errors[0]?.message);
    }
  });
});

describe('transit: ChaCha20-Poly1305 known answer (RFC 8439 §2.8.2)', () => {
  it('through the AEAD layer', async () => {
    const sealed = await aeadSeal(crypto.subtle, { cipher: 'chacha20-poly1305', key: hex(CHACHA.key) }, hex(CHACHA.nonce), new TextEncoder().encode(CHACHA.plaintext), hex(CHACHA.aad));
    expect(toBase64(sealed)).toBe(toBase64(hex(CHACHA.c + CHACHA.t)));
  });

  it('through encrypt and decrypt of a restored key', async () => {
    const t = createTransitHarness(createMemoryStorage(), {}, fixedNonceRuntime(hex(CHACHA.nonce)));
    await t.write('restore/cc', { backup: knownKeyBackup('cc', 'chacha20-poly1305', { key: hex(CHACHA.key) }) });
    const expected = `vault:v1:${toBase64(hex(CHACHA.nonce + CHACHA.c + CHACHA.t))}`;
    const ad = { associated_data: toBase64(hex(CHACHA.aad)) };
    expect(await t.encrypt('cc', CHACHA.plaintext, ad)).toBe(expected);
    expect(await t.decrypt('cc', expected, ad)).toBe(CHACHA.plaintext);
  });
});

describe('transit: Ed25519 known answers (RFC 8032 §7.1)', () => {
  it.each(ED25519.map((v, i) => ({ ...v, n: i + 1 })))('TEST $n: signs with the RFC key brought in by restore', async (v) => {
    const t = createTransitHarness();
    await t.write('restore/ed', { backup: knownKeyBackup('ed', 'ed25519', { key: hex(v.secret + v.public) }) });
    const read = await t.read('keys/ed');
    expect(str(obj(obj(read.keys)['1']).public_key)).toBe(toBase64(hex(v.public)));
    const signed = await t.write('sign/ed', { input: toBase64(hex(v.message)) });
    expect(signed.signature).toBe(`vault:v1:${toBase64(hex(v.signature))}`);
    expect(await t.write('verify/ed', { input: toBase64(hex(v.message)), signature: str(signed.signature) })).toEqual({ valid: true });
    const flipped = hex(v.signature);
    flipped[0] = (flipped[0] ?? 0) ^ 0x80;
    expect(await t.write('verify/ed', { input: toBase64(hex(v.message)), signature: `vault:v1:${toBase64(flipped)}` })).toEqual({ valid: false });
    expect((await t.read('export/signing-key/ed/1')).keys).toEqual({ '1': toBase64(hex(v.secret + v.public)) });
    expect((await t.read('export/public-key/ed')).keys).toEqual({ '1': toBase64(hex(v.public)) });
  });

  it('refuses a restored Ed25519 key whose public half does not match its seed', async () => {
    const t = createTransitHarness();
    const [a, b] = ED25519;
    const err = await t.failure(t.write('restore/bad', { backup: knownKeyBackup('bad', 'ed25519', { key: hex((a?.secret ?? '') + (b?.public ?? '')) }) }));
    expect(err.code).toBe('ERR_VALIDATION');
    expect((await t.failure(t.read('keys/bad'))).code).toBe('ERR_NOT_FOUND');
  });
});
