import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64, utf8 } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { KEY_TYPES } from './key-types.js';
import { backendRequest } from '../test-support.js';
import { b64, createTransitHarness, obj, revealed, str } from './test-harness.js';

describe('transit: keys', () => {
  it('creates an aes256-gcm96 key by default and describes it as Vault does', async () => {
    const t = createTransitHarness();
    const created = await t.createKey('app');
    expect(created).toEqual({
      name: 'app',
      type: 'aes256-gcm96',
      derived: false,
      deletion_allowed: false,
      exportable: false,
      allow_plaintext_backup: false,
      latest_version: 1,
      min_available_version: 0,
      min_decryption_version: 1,
      min_encryption_version: 0,
      supports_encryption: true,
      supports_decryption: true,
      supports_signing: false,
      supports_derivation: true,
      auto_rotate_period: 0,
      imported_key: false,
      keys: { '1': Math.floor(t.runtime.now() / 1000) },
    });
    expect(await t.read('keys/app')).toEqual(created);
    const again = await t.call('update', 'keys/app', { data: { type: 'rsa-2048' } });
    expect(again.warnings).toEqual(['key app already existed']);
    expect(obj(revealed(again).data).type).toBe('aes256-gcm96');
  });

  it.each(KEY_TYPES)('creates, uses and describes a %s key', async (type) => {
    const t = createTransitHarness();
    const key = await t.createKey('k', { type });
    expect(key.type).toBe(type);
    if (key.supports_encryption === true) expect(await t.decrypt('k', await t.encrypt('k', 'hello'))).toBe('hello');
    if (key.supports_signing === true) {
      const signed = await t.write('sign/k', { input: b64('hello') });
      expect(str(signed.signature)).toMatch(/^vault:v1:/);
      expect(await t.write('verify/k', { input: b64('hello'), signature: str(signed.signature) })).toEqual({ valid: true });
      const version = obj(obj(key.keys)['1']);
      expect(str(version.public_key).length).toBeGreaterThan(40);
      const curveNames: Record<string, string> = { 'ecdsa-p256': 'P-256', 'ecdsa-p384': 'P-384' };
      expect(version.name).toBe(curveNames[type] ?? type);
    }
    const mac = await t.write('hmac/k', { input: b64('hello') });
    expect(await t.write('verify/k', { input: b64('hello'), hmac: str(mac.hmac) })).toEqual({ valid: true });
    if (key.supports_encryption !== true) expect((await t.failure(t.write('encrypt/k', { plaintext: b64('x') }))).details?.[0]?.field).toBe('name');
    if (key.supports_signing !== true) expect((await t.failure(t.write('sign/k', { input: b64('x') }))).details?.[0]?.field).toBe('name');
  });

  it('validates key settings as Vault does', async () => {
    const t = createTransitHarness();
    const fields = async (settings: Record<string, unknown>) => (await t.failure(t.write('keys/x', settings as never))).details?.map((d) => d.field);
    expect(await fields({ type: 'des' })).toEqual(['type']);
    expect(await fields({ type: 'rsa-2048', derived: true })).toEqual(['derived']);
    expect(await fields({ type: 'ed25519', derived: true, convergent_encryption: true })).toEqual(['convergent_encryption']);
    expect(await fields({ key_size: 64 })).toEqual(['key_size']);
    expect(await fields({ type: 'hmac', key_size: 16 })).toEqual(['key_size']);
    expect(await fields({ auto_rotate_period: '59m' })).toEqual(['auto_rotate_period']);
    expect(await fields({ colour: 'blue' })).toEqual(['colour']);
    expect((await t.failure(t.read('keys/bad name'))).details?.[0]?.field).toBe('name');
    expect(await t.createKey('h', { type: 'hmac', key_size: '64', derived: 'false', exportable: 'true' })).toMatchObject({ key_size: 64, exportable: true });
  });

  it('lists keys in pages', async () => {
    const t = createTransitHarness();
    for (const name of ['b', 'a', 'c']) await t.createKey(name);
    expect(await t.call('list', 'keys')).toEqual({ data: { keys: ['a', 'b', 'c'] }, cache: 'no-store' });
    expect(await t.call('list', 'keys', { params: { limit: '2' } })).toMatchObject({ data: { keys: ['a', 'b'] }, metadata: { next_after: 'b' } });
    expect((await t.call('list', 'keys', { params: { after: 'b' } })).data).toEqual({ keys: ['c'] });
  });

  it('creates the key on encrypt when the caller may create it (Vault\'s upsert)', async () => {
    const t = createTransitHarness();
    expect((await t.failure(t.write('encrypt/new', { plaintext: b64('x') }))).code).toBe('ERR_NOT_FOUND');
    const req = { plaintext: b64('x'), type: 'chacha20-poly1305' };
    expect(await t.engine.exists?.(backendRequest('update', 'encrypt/new', { mountPath: 'transit/' }, 'transit'))).toBe(false);
    const created = await t.call('create', 'encrypt/new', { data: req });
    expect(str(obj(revealed(created).data).ciphertext)).toMatch(/^vault:v1:/);
    expect((await t.read('keys/new')).type).toBe('chacha20-poly1305');
    const derived = await t.call('create', 'encrypt/derived', { data: { plaintext: b64('x'), context: b64('c'), convergent_encryption: true } });
    expect(obj(revealed(derived).data).key_version).toBe(1);
    expect(await t.read('keys/derived')).toMatchObject({ derived: true, convergent_encryption: true, kdf: 'hkdf_sha256' });
    expect((await t.failure(t.call('create', 'encrypt/x', { data: { plaintext: b64('x'), type: 'ecdsa-p256' } }))).details?.[0]?.field).toBe('type');
  });
});

describe('transit: encryption details', () => {
  it('authenticates associated data', async () => {
    const t = createTransitHarness();
    await t.createKey('k');
    const ct = await t.encrypt('k', 'x', { associated_data: b64('row 7') });
    expect(await t.decrypt('k', ct, { associated_data: b64('row 7') })).toBe('x');
    expect((await t.failure(t.write('decrypt/k', { ciphertext: ct, associated_data: b64('row 8') }))).code).toBe('ERR_VALIDATION');
    expect((await t.failure(t.write('decrypt/k', { ciphertext: ct }))).code).toBe('ERR_VALIDATION');
  });

  it('encrypts with RSA keys through RSA-OAEP (SHA-256), bounded by the modulus', async () => {
    const t = createTransitHarness();
    await t.createKey('r', { type: 'rsa-2048' });
    const ct = await t.encrypt('r', 'short secret');
    expect(fromBase64(ct.slice(9))).toHaveLength(256);
    expect(await t.decrypt('r', ct)).toBe('short secret');
    expect((await t.failure(t.write('encrypt/r', { plaintext: b64('x'.repeat(191)) }))).details?.[0]?.field).toBe('plaintext');
  });

  it('encrypts empty plaintext and binary data', async () => {
    const t = createTransitHarness();
    await t.createKey('k');
    const empty = await t.write('encrypt/k', { plaintext: '' });
    expect(await t.write('decrypt/k', { ciphertext: str(empty.ciphertext) })).toEqual({ plaintext: '' });
    const binary = toBase64(new Uint8Array(256).map((_, i) => i));
    const ct = str((await t.write('encrypt/k', { plaintext: binary })).ciphertext);
    expect((await t.write('decrypt/k', { ciphertext: ct })).plaintext).toBe(binary);
  });

  it('binds ciphertexts to their key: another key\'s ciphertext does not decrypt', async () => {
    const t = createTransitHarness();
    await t.createKey('a');
    await t.createKey('b');
    const ct = await t.encrypt('a', 'for a');
    expect((await t.failure(t.write('decrypt/b', { ciphertext: ct }))).message).toContain('could not be decrypted');
  });

  it('makes data keys, plaintext and wrapped', async () => {
    const t = createTransitHarness();
    await t.createKey('k');
    const plain = await t.write('datakey/plaintext/k', { bits: 512 });
    expect(fromBase64(str(plain.plaintext))).toHaveLength(64);
    expect((await t.write('decrypt/k', { ciphertext: str(plain.ciphertext) })).plaintext).toBe(plain.plaintext);
    const wrapped = await t.write('datakey/wrapped/k');
    expect(wrapped.plaintext).toBeUndefined();
    expect(fromBase64(str((await t.write('decrypt/k', { ciphertext: str(wrapped.ciphertext) })).plaintext))).toHaveLength(32);
    expect((await t.failure(t.write('datakey/plaintext/k', { bits: 200 }))).details?.[0]?.field).toBe('bits');
    expect((await t.failure(t.write('datakey/other/k'))).details?.[0]?.field).toBe('plaintext');
  });
});

describe('transit: export, backup and restore', () => {
  it('exports only exportable keys, except public keys', async () => {
    const t = createTransitHarness();
    await t.createKey('locked', { type: 'ecdsa-p256' });
    expect((await t.failure(t.read('export/signing-key/locked'))).code).toBe('ERR_VALIDATION');
    expect(str(obj((await t.read('export/public-key/locked')).keys)['1'])).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    await t.write('keys/locked/config', { exportable: true });
    expect(str(obj((await t.read('export/signing-key/locked/v1')).keys)['1'])).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    expect((await t.failure(t.read('export/encryption-key/locked'))).details?.[0]?.field).toBe('type');
    expect((await t.failure(t.read('export/secret-key/locked'))).details?.[0]?.field).toBe('type');
  });

  it('exports versions: all from min_decryption_version, latest, or one', async () => {
    const t = createTransitHarness();
    await t.createKey('k', { exportable: true });
    await t.call('rotate', 'keys/k');
    await t.call('rotate', 'keys/k');
    expect(Object.keys(obj((await t.read('export/encryption-key/k')).keys))).toEqual(['1', '2', '3']);
    expect(Object.keys(obj((await t.read('export/encryption-key/k/latest')).keys))).toEqual(['3']);
    expect(Object.keys(obj((await t.read('export/hmac-key/k/2')).keys))).toEqual(['2']);
    await t.write('keys/k/config', { min_decryption_version: 2 });
    expect(Object.keys(obj((await t.read('export/encryption-key/k')).keys))).toEqual(['2', '3']);
    expect((await t.failure(t.read('export/encryption-key/k/1'))).details?.[0]?.field).toBe('version');
    const raw = fromBase64(str(obj((await t.read('export/encryption-key/k/3')).keys)['3']));
    expect(raw).toHaveLength(32);
  });

  it('backs up and restores a key with every version, under its name or another', async () => {
    const t = createTransitHarness();
    await t.createKey('k', { exportable: true, allow_plaintext_backup: true });
    const v1 = await t.encrypt('k', 'one');
    await t.call('rotate', 'keys/k');
    const v2 = await t.encrypt('k', 'two');
    const backup = str((await t.read('backup/k')).backup);
    expect(await t.read('keys/k')).toMatchObject({ backup_info: { version: 2 } });

    const elsewhere = createTransitHarness(createMemoryStorage());
    await elsewhere.write('restore', { backup });
    expect(await elsewhere.decrypt('k', v1)).toBe('one');
    expect(await elsewhere.decrypt('k', v2)).toBe('two');
    expect(await elsewhere.read('keys/k')).toMatchObject({ latest_version: 2, restore_info: { version: 2 } });

    await elsewhere.write('restore/copy', { backup });
    expect(await elsewhere.decrypt('copy', v1)).toBe('one');
    expect((await elsewhere.failure(elsewhere.write('restore', { backup }))).details?.[0]?.field).toBe('name');
    await elsewhere.call('rotate', 'keys/k');
    await elsewhere.write('restore', { backup, force: true });
    expect((await elsewhere.read('keys/k')).latest_version).toBe(2);
    expect([...(await elsewhere.dump()).keys()].filter((k) => k.startsWith('material/k/'))).toHaveLength(2);
  });

  it('refuses backups of keys without allow_plaintext_backup or exportable, and malformed backups', async () => {
    const t = createTransitHarness();
    await t.createKey('a', { allow_plaintext_backup: true });
    await t.createKey('b', { exportable: true });
    expect((await t.failure(t.read('backup/a'))).code).toBe('ERR_VALIDATION');
    expect((await t.failure(t.read('backup/b'))).code).toBe('ERR_VALIDATION');
    for (const backup of ['%%%', b64('{'), b64('{"format":"keygate-transit-backup"}')]) {
      expect((await t.failure(t.write('restore', { backup }))).details?.[0]?.field).toBe('backup');
    }
  });
});

describe('transit: HMAC, hash, random, cache', () => {
  it('HMACs with the version\'s HMAC key, as exported', async () => {
    const t = createTransitHarness();
    await t.createKey('k', { exportable: true });
    const mac = await t.write('hmac/k/sha2-512', { input: b64('data') });
    const hmacKey = fromBase64(str(obj((await t.read('export/hmac-key/k')).keys)['1']));
    if (hmacKey === null) throw new Error('no key');
    const key = await crypto.subtle.importKey('raw', hmacKey, { name: 'HMAC', hash: 'SHA-512' }, false, ['sign']);
    const expected = new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8('data')));
    expect(mac).toEqual({ hmac: `vault:v1:${toBase64(expected)}`, key_version: 1 });
    for (const algorithm of ['sha2-224', 'sha2-256', 'sha2-384', 'sha3-224', 'sha3-256', 'sha3-384', 'sha3-512']) {
      const h = await t.write('hmac/k', { input: b64('data'), algorithm });
      expect(await t.write(`verify/k/${algorithm}`, { input: b64('data'), hmac: str(h.hmac) })).toEqual({ valid: true });
      expect(await t.write('verify/k', { input: b64('data'), hmac: str(h.hmac) })).toEqual({ valid: algorithm === 'sha2-256' });
    }
    await t.call('rotate', 'keys/k');
    await t.write('keys/k/config', { min_decryption_version: 2 });
    expect((await t.failure(t.write('verify/k/sha2-512', { input: b64('data'), hmac: str(mac.hmac) }))).message).toContain('too old');
  });

  it('hashes with SHA-2 and SHA-3 (known digests of "abc")', async () => {
    const t = createTransitHarness();
    const sum = async (algorithm: string) => str((await t.write(`hash/${algorithm}`, { input: b64('abc') })).sum);
    expect(await sum('sha2-256')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sum('sha2-224')).toBe('23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7');
    expect(await sum('sha3-256')).toBe('3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532');
    expect(await sum('sha2-512')).toMatch(/^ddaf35a193617aba/);
    expect((await t.write('hash', { input: b64('abc'), algorithm: 'sha2-256', format: 'base64' })).sum).toBe('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
    expect((await t.failure(t.write('hash/md5', { input: b64('abc') }))).details?.[0]?.field).toBe('algorithm');
  });

  it('returns random bytes in base64 or hex, by path or body', async () => {
    const t = createTransitHarness();
    const length = (text: string) => fromBase64(text)?.length;
    expect(length(str((await t.write('random')).random_bytes))).toBe(32);
    expect(length(str((await t.write('random/64')).random_bytes))).toBe(64);
    expect(length(str((await t.write('random/platform/16')).random_bytes))).toBe(16);
    expect(length(str((await t.write('random/all', { bytes: 8 })).random_bytes))).toBe(8);
    expect(str((await t.write('random', { bytes: 4, format: 'hex' })).random_bytes)).toMatch(/^[0-9a-f]{8}$/);
    expect((await t.failure(t.write('random/0'))).details?.[0]?.field).toBe('bytes');
    expect((await t.failure(t.write('random', { bytes: 200_000 }))).details?.[0]?.field).toBe('bytes');
    const values = new Set(await Promise.all(Array.from({ length: 50 }, async () => str((await t.write('random')).random_bytes))));
    expect(values.size).toBe(50);
  });

  it('sets and keeps the cache size', async () => {
    const storage = createMemoryStorage();
    const t = createTransitHarness(storage);
    expect(await t.read('cache-config')).toEqual({ size: 0 });
    expect((await t.failure(t.write('cache-config', { size: 5 }))).details?.[0]?.field).toBe('size');
    expect(await t.call('update', 'cache-config', { data: { size: 20 } })).toEqual({ status: 204 });
    expect(await createTransitHarness(storage).read('cache-config')).toEqual({ size: 20 });
    await t.createKey('k');
    for (let i = 0; i < 30; i++) await t.createKey(`k${i}`);
    expect(await t.decrypt('k', await t.encrypt('k', 'still works after eviction'))).toBe('still works after eviction');
  });
});

describe('transit: policy cache across replicas', () => {
  it('sees a rotation made through another replica once policy_cache_ttl has passed', async () => {
    const storage = createMemoryStorage();
    const a = createTransitHarness(storage, { policy_cache_ttl: '5s' });
    const b = createTransitHarness(storage, { policy_cache_ttl: '5s' }, a.runtime);
    await a.createKey('k');
    await b.encrypt('k', 'warm the cache');
    await a.call('rotate', 'keys/k');
    expect((await b.encrypt('k', 'x')).startsWith('vault:v1:')).toBe(true);
    a.runtime.advance(5_001);
    expect((await b.encrypt('k', 'x')).startsWith('vault:v2:')).toBe(true);
    const none = createTransitHarness(storage, { policy_cache_ttl: '0s' }, a.runtime);
    await a.call('rotate', 'keys/k');
    expect((await none.encrypt('k', 'x')).startsWith('vault:v3:')).toBe(true);
  });
});
