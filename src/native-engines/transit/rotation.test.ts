import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../../storage/memory.js';
import { TRANSIT_AUTO_ROTATE_PATH, autoRotateRequest } from './auto-rotate.js';
import { b64, createTransitHarness, obj, str } from './test-harness.js';

const HOUR = 3_600_000;

async function threeVersions() {
  const t = createTransitHarness();
  await t.createKey('app');
  const v1 = await t.encrypt('app', 'one');
  await t.call('rotate', 'keys/app');
  const v2 = await t.encrypt('app', 'two');
  await t.call('rotate', 'keys/app');
  const v3 = await t.encrypt('app', 'three');
  return { t, v1, v2, v3 };
}

describe('transit: rotation', () => {
  it('encrypts with the newest version and keeps decrypting older ones', async () => {
    const { t, v1, v2, v3 } = await threeVersions();
    expect([v1, v2, v3].map((c) => c.slice(0, 9))).toEqual(['vault:v1:', 'vault:v2:', 'vault:v3:']);
    expect(await t.decrypt('app', v1)).toBe('one');
    expect(await t.decrypt('app', v2)).toBe('two');
    const key = await t.read('keys/app');
    expect(key).toMatchObject({ latest_version: 3, min_decryption_version: 1, min_encryption_version: 0, min_available_version: 0 });
    expect(Object.keys(obj(key.keys))).toEqual(['1', '2', '3']);
  });

  it('refuses ciphertexts below min_decryption_version, and serves them again when it is lowered', async () => {
    const { t, v1, v2 } = await threeVersions();
    await t.write('keys/app/config', { min_decryption_version: 2 });
    const err = await t.failure(t.write('decrypt/app', { ciphertext: v1 }));
    expect(err.code).toBe('ERR_VALIDATION');
    expect(err.message).toContain('too old');
    expect(await t.decrypt('app', v2)).toBe('two');
    expect(Object.keys(obj((await t.read('keys/app')).keys))).toEqual(['2', '3']);
    await t.write('keys/app/config', { min_decryption_version: 1 });
    expect(await t.decrypt('app', v1)).toBe('one');
  });

  it('rewrap moves a ciphertext to the newest version without exposing the plaintext', async () => {
    const { t, v1 } = await threeVersions();
    const rewrapped = await t.write('rewrap/app', { ciphertext: v1 });
    expect(rewrapped.key_version).toBe(3);
    expect(str(rewrapped.ciphertext).startsWith('vault:v3:')).toBe(true);
    expect(rewrapped.plaintext).toBeUndefined();
    await t.write('keys/app/config', { min_decryption_version: 3 });
    expect(await t.decrypt('app', str(rewrapped.ciphertext))).toBe('one');
    expect((await t.failure(t.write('decrypt/app', { ciphertext: v1 }))).message).toContain('too old');
  });

  it('encrypts with a chosen version only at or above min_encryption_version', async () => {
    const { t } = await threeVersions();
    expect((await t.write('encrypt/app', { plaintext: b64('x'), key_version: 2 })).key_version).toBe(2);
    await t.write('keys/app/config', { min_encryption_version: 3 });
    const err = await t.failure(t.write('encrypt/app', { plaintext: b64('x'), key_version: 2 }));
    expect(err.details?.[0]?.field).toBe('key_version');
    expect((await t.failure(t.write('encrypt/app', { plaintext: b64('x'), key_version: 4 }))).details?.[0]?.field).toBe('key_version');
    const too = await t.failure(t.write('keys/app/config', { min_encryption_version: 1, min_decryption_version: 2 }));
    expect(too.details?.[0]?.field).toBe('min_encryption_version');
    expect((await t.failure(t.write('keys/app/config', { min_decryption_version: 9 }))).code).toBe('ERR_VALIDATION');
  });

  it('trims only below a minimum that encryption and decryption have both left behind', async () => {
    const { t, v1, v2, v3 } = await threeVersions();
    expect((await t.failure(t.write('keys/app/trim', { min_available_version: 2 }))).message).toContain('min_encryption_version');
    await t.write('keys/app/config', { min_encryption_version: 2 });
    expect((await t.failure(t.write('keys/app/trim', { min_available_version: 2 }))).message).toContain('min_decryption_version');
    await t.write('keys/app/config', { min_decryption_version: 2 });
    expect((await t.failure(t.write('keys/app/trim', { min_available_version: 3 }))).code).toBe('ERR_VALIDATION');

    const before = await t.dump();
    const trimmed = await t.write('keys/app/trim', { min_available_version: 2 });
    expect(trimmed).toMatchObject({ min_available_version: 2, latest_version: 3 });
    const after = await t.dump();
    const materials = (dump: Map<string, string>) => [...dump.keys()].filter((k) => k.startsWith('material/')).map((k) => k.split('/').pop());
    expect(materials(before)).toEqual(['1', '2', '3']);
    expect(materials(after)).toEqual(['2', '3']);

    // Version 1 is gone for good: lowering min_decryption_version cannot bring it back.
    expect((await t.failure(t.write('keys/app/config', { min_decryption_version: 1 }))).code).toBe('ERR_VALIDATION');
    expect((await t.failure(t.write('decrypt/app', { ciphertext: v1 }))).message).toContain('too old');
    expect(await t.decrypt('app', v2)).toBe('two');
    expect(await t.decrypt('app', v3)).toBe('three');
    expect((await t.failure(t.write('keys/app/trim', { min_available_version: 1 }))).message).toContain('decreased');
  });

  it('refuses deletion unless deletion_allowed, and a deleted key cannot be used', async () => {
    const { t, v3 } = await threeVersions();
    const refused = await t.failure(t.call('delete', 'keys/app'));
    expect(refused.code).toBe('ERR_VALIDATION');
    expect(refused.details?.[0]?.field).toBe('deletion_allowed');
    expect(await t.decrypt('app', v3)).toBe('three');

    await t.write('keys/app/config', { deletion_allowed: true });
    expect(await t.call('delete', 'keys/app')).toEqual({ status: 204 });
    for (const attempt of [
      t.write('decrypt/app', { ciphertext: v3 }),
      t.write('encrypt/app', { plaintext: b64('x') }),
      t.write('rewrap/app', { ciphertext: v3 }),
      t.call('rotate', 'keys/app'),
      t.read('keys/app'),
      t.write('hmac/app', { input: b64('x') }),
      t.write('datakey/plaintext/app'),
    ]) {
      expect((await t.failure(attempt)).code).toBe('ERR_NOT_FOUND');
    }
    expect([...(await t.dump()).keys()].filter((k) => k.includes('app'))).toEqual([]);

    // A new key of the same name is a different key: the old ciphertext does not open.
    await t.createKey('app');
    expect((await t.failure(t.write('decrypt/app', { ciphertext: v3 }))).code).toBe('ERR_VALIDATION');
  });

  it('makes exportable and allow_plaintext_backup irreversible', async () => {
    const t = createTransitHarness();
    await t.createKey('k');
    await t.write('keys/k/config', { exportable: true, allow_plaintext_backup: true });
    const after = await t.write('keys/k/config', { exportable: false, allow_plaintext_backup: false });
    expect(after).toMatchObject({ exportable: true, allow_plaintext_backup: true });
  });

  it('rotates through PUT keys/{name}/rotate as well as the rotate action', async () => {
    const t = createTransitHarness();
    await t.createKey('k');
    expect(await t.write('keys/k/rotate')).toMatchObject({ latest_version: 2 });
    expect(await t.call('rotate', 'keys/k').then((r) => r.data)).toMatchObject({ latest_version: 3 });
  });

  it('serialises concurrent rotations: 20 in parallel make versions 2..21, each usable', async () => {
    const t = createTransitHarness();
    await t.createKey('hot');
    await Promise.all(Array.from({ length: 20 }, () => t.call('rotate', 'keys/hot')));
    expect((await t.read('keys/hot')).latest_version).toBe(21);
    for (let v = 1; v <= 21; v++) {
      const ct = str((await t.write('encrypt/hot', { plaintext: b64(`v${v}`), key_version: v })).ciphertext);
      expect(await t.decrypt('hot', ct)).toBe(`v${v}`);
    }
  });
});

describe('transit: auto-rotation tick', () => {
  it('rotates keys whose auto_rotate_period has elapsed, and says when the next is due', async () => {
    const t = createTransitHarness();
    const start = t.runtime.now();
    await t.createKey('daily', { auto_rotate_period: '24h' });
    await t.createKey('hourly', { auto_rotate_period: 3600 });
    await t.createKey('never');
    expect((await t.failure(t.createKey('fast', { auto_rotate_period: '30m' }))).details?.[0]?.field).toBe('auto_rotate_period');

    const first = await t.write(TRANSIT_AUTO_ROTATE_PATH);
    expect(first).toEqual({ rotated: [], rotated_count: 0, checked: 3, next_due: new Date(start + HOUR).toISOString() });

    t.runtime.advance(HOUR);
    expect(await t.write(TRANSIT_AUTO_ROTATE_PATH)).toMatchObject({ rotated: ['hourly'], rotated_count: 1 });
    expect(await t.write(TRANSIT_AUTO_ROTATE_PATH)).toMatchObject({ rotated: [], next_due: new Date(start + 2 * HOUR).toISOString() });

    t.runtime.advance(23 * HOUR);
    const later = await t.write(TRANSIT_AUTO_ROTATE_PATH);
    expect(later).toMatchObject({ rotated: ['daily', 'hourly'], rotated_count: 2 });
    expect((await t.read('keys/daily')).latest_version).toBe(2);
    expect((await t.read('keys/hourly')).latest_version).toBe(3);
    expect((await t.read('keys/never')).latest_version).toBe(1);

    await t.write('keys/hourly/config', { auto_rotate_period: 0 });
    t.runtime.advance(48 * HOUR);
    expect(await t.write(TRANSIT_AUTO_ROTATE_PATH)).toMatchObject({ rotated: ['daily'] });
  });

  it('runs from the request the scheduler builds with autoRotateRequest', async () => {
    const t = createTransitHarness(createMemoryStorage());
    await t.createKey('k', { auto_rotate_period: '1h' });
    t.runtime.advance(HOUR);
    const mount = { path: 'transit/', id: 'mount-test', type: 'transit' };
    const principal = { id: 'scheduler', displayName: 'scheduler', policies: [], expiresAt: null };
    const response = await t.engine.handle(autoRotateRequest(mount, principal, 'tick-1', new AbortController().signal));
    expect(response.data).toMatchObject({ rotated: ['k'], rotated_count: 1 });
  });
});
