import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/index.js';
import type { JsonObject } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { createTestRuntime } from '../test-support.js';
import { ROTATION_ALPHABETS } from '../../core/index.js';
import { createKvHarness, revealed } from './test-harness.js';

const OLD = 'old-password-value-1234567890';

async function configured(rotation: JsonObject) {
  const kv = createKvHarness(createMemoryStorage());
  await kv.write('db', { username: 'app', password: OLD, api_key: OLD });
  await kv.call('write-metadata', 'db', { data: { rotation } });
  return kv;
}

describe('kv: rotate', () => {
  it('replaces the configured fields with fresh values and keeps the others', async () => {
    const kv = await configured({ fields: ['password', 'api_key'] });
    const response = await kv.call('rotate', 'db');
    expect(response).toEqual({
      data: { version: 2, created_time: '2024-01-01T00:00:00.000Z', rotated_fields: ['password', 'api_key'] },
      etag: '2',
      cache: 'no-store',
    });
    const secret = await kv.readSecret('db');
    expect(secret.username).toBe('app');
    for (const field of ['password', 'api_key']) {
      const value = secret[field];
      expect(typeof value).toBe('string');
      expect(value).not.toBe(OLD);
      expect(value).toMatch(/^[A-Za-z0-9]{32}$/);
    }
    expect(secret.password).not.toBe(secret.api_key);
    expect(await kv.readSecret('db', { version: '1' })).toMatchObject({ password: OLD });
  });

  it('never returns the new values', async () => {
    const kv = await configured({ fields: ['password'] });
    const response = revealed(await kv.call('rotate', 'db'));
    const secret = await kv.readSecret('db');
    expect(JSON.stringify(response)).not.toContain(String(secret.password));
  });

  it('honours the configured length and each alphabet', async () => {
    const patterns: Record<string, RegExp> = {
      alphanumeric: /^[A-Za-z0-9]+$/,
      'ascii-printable': /^[!-~]+$/,
      hex: /^[0-9a-f]+$/,
      base64url: /^[A-Za-z0-9_-]+$/,
      numeric: /^[0-9]+$/,
    };
    for (const [alphabet, pattern] of Object.entries(patterns)) {
      for (const length of [8, 64, 1024]) {
        const kv = await configured({ fields: ['password'], alphabet, length });
        await kv.call('rotate', 'db');
        const value = String((await kv.readSecret('db')).password);
        expect(value).toHaveLength(length);
        expect(value).toMatch(pattern);
      }
    }
  });

  it('adds a rotated field that the secret lacks', async () => {
    const kv = await configured({ fields: ['new_token'], length: 16, alphabet: 'hex' });
    await kv.call('rotate', 'db');
    const secret = await kv.readSecret('db');
    expect(secret.new_token).toMatch(/^[0-9a-f]{16}$/);
    expect(secret.password).toBe(OLD);
  });

  it('explains how to configure rotation when it is not (400)', async () => {
    const kv = createKvHarness(createMemoryStorage());
    await kv.write('db', { password: OLD });
    const err = await kv.failure(kv.call('rotate', 'db'));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain('write-metadata');
    expect(err.message).toContain('"rotation"');
    expect(err.message).not.toContain(OLD);
  });

  it('answers 404 for a missing secret or an unreadable current version', async () => {
    const kv = await configured({ fields: ['password'] });
    expect((await kv.failure(kv.call('rotate', 'nope'))).code).toBe('ERR_NOT_FOUND');
    await kv.call('delete', 'db');
    expect((await kv.failure(kv.call('rotate', 'db'))).code).toBe('ERR_NOT_FOUND');
  });

  it('honours cas and preconditions, and prunes like a write', async () => {
    const kv = await configured({ fields: ['password'] });
    expect((await kv.failure(kv.call('rotate', 'db', { params: { cas: '5' } }))).code).toBe('ERR_PRECONDITION_FAILED');
    expect((await kv.failure(kv.call('rotate', 'db', { preconditions: { ifMatch: ['2'] } }))).code).toBe('ERR_PRECONDITION_FAILED');
    expect((await kv.call('rotate', 'db', { preconditions: { ifMatch: ['1'] } })).data).toMatchObject({ version: 2 });
    await kv.call('patch-metadata', 'db', { data: { max_versions: 1 } });
    await kv.call('rotate', 'db');
    expect((await kv.call('read-metadata', 'db')).data).toMatchObject({ current_version: 3, oldest_version: 3 });
  });

  it('validates the rotation settings', async () => {
    const kv = createKvHarness(createMemoryStorage());
    const bad: JsonObject[] = [
      { fields: [] },
      { fields: ['a', 'a'] },
      { fields: ['a'], length: 7 },
      { fields: ['a'], length: 1025 },
      { fields: ['a'], alphabet: 'emoji' },
      { fields: ['a'], extra: 1 },
      { fields: [''] },
    ];
    for (const rotation of bad) {
      const err = await kv.failure(kv.call('write-metadata', 'db', { data: { rotation } }));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.details?.[0]?.field.startsWith('rotation')).toBe(true);
    }
    await kv.call('write-metadata', 'db', { data: { rotation: { fields: ['a'] } } });
    expect((await kv.call('read-metadata', 'db')).data).toMatchObject({ rotation: { fields: ['a'], length: 32, alphabet: 'alphanumeric' } });
    await kv.call('patch-metadata', 'db', { data: { rotation: null } });
    expect((await kv.call('read-metadata', 'db')).data).toMatchObject({ rotation: null });
  });

  it('draws from the runtime\'s random source', async () => {
    const runtime = createTestRuntime();
    let drawn = 0;
    const counting = { ...runtime, randomBytes: (n: number) => ((drawn += n), runtime.randomBytes(n)) };
    const kv = createKvHarness(createMemoryStorage(), {}, counting);
    await kv.write('db', { password: OLD });
    await kv.call('write-metadata', 'db', { data: { rotation: { fields: ['password'], alphabet: 'hex', length: 40 } } });
    await kv.call('rotate', 'db');
    expect(drawn).toBeGreaterThanOrEqual(40);
    expect(ROTATION_ALPHABETS.hex).toHaveLength(16);
  });
});
