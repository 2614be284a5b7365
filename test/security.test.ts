/** Named security properties of the whole request flow (issue 2, "Done when" 4). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toBase64 } from '../src/core/index.js';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';
import { canaryForms, containsBytes, dumpStorage } from './helpers/storage-walk.js';

const CANARY = 'CANARY-7f3a9c-do-not-leak';

let gw: TestGateway;
beforeEach(async () => {
  gw = await createTestGateway();
});
afterEach(async () => {
  await gw.close();
});

describe('a canary secret', () => {
  it('is never in storage in cleartext, base64 or hex, including metadata and the keyring', async () => {
    await gw.call('PUT', '/api/v1/secrets/canary/one', { body: { password: CANARY, nested: { deeper: [CANARY] } } });
    await gw.call('PUT', '/api/v1/metadata/canary/one', { body: { custom_metadata: { note: CANARY } } });
    await gw.call('POST', '/api/v1/sys/rotate');
    await gw.call('PUT', '/api/v1/secrets/canary/two', { body: { [CANARY]: 'as a key' } });
    const dump = await dumpStorage(gw.storage);
    expect(dump.size).toBeGreaterThan(3);
    for (const [key, value] of dump) {
      expect(key).not.toContain(CANARY);
      for (const form of canaryForms(CANARY)) expect(containsBytes(value, form), `canary in ${key}`).toBe(false);
    }
    // …but it reads back.
    expect((await gw.call('GET', '/api/v1/secrets/canary/one')).body.data.password).toBe(CANARY);
  });

  it('is never echoed in an error body nor written to a log line', async () => {
    await gw.call('PUT', '/api/v1/secrets/c', { body: { password: CANARY } });
    const probes = [
      gw.call('PUT', '/api/v1/secrets/c', { rawBody: `{"password": "${CANARY}" oops}`, headers: { 'content-type': 'application/json' } }),
      gw.call('PUT', '/api/v1/secrets/c', { rawBody: `{"password": "${CANARY}"}`, headers: { 'content-type': 'text/plain' } }),
      gw.call('PUT', '/api/v1/metadata/c', { body: { max_versions: CANARY } }),
      gw.call('PUT', '/api/v1/metadata/c', { body: { custom_metadata: { k: { [CANARY]: 1 } } } }),
      gw.call('PUT', '/api/v1/metadata/c', { body: { rotation: { fields: ['x'], alphabet: CANARY } } }),
      gw.call('PUT', '/api/v1/metadata/c', { body: { [CANARY]: 1 } }),
      gw.call('POST', '/api/v1/secrets/c/undelete', { body: { versions: [CANARY] } }),
      gw.call('GET', `/api/v1/secrets/c?version=${CANARY}`),
      gw.call('PUT', `/api/v1/secrets/c?cas=${CANARY}`, { body: { a: 1 } }),
      gw.call('PUT', '/api/v1/secrets/c', { body: { a: 1 }, headers: { 'if-match': `"${CANARY}"` } }),
      gw.call('GET', '/api/v1/secrets/c', { token: CANARY }),
      gw.call('POST', '/api/v1/sys/unseal', { body: { key: CANARY } }),
      gw.call('POST', '/api/v1/sys/mounts/x', { body: { type: 'kv', options: { max_versions: CANARY } } }),
      gw.call('POST', '/api/v1/sys/mounts/y', { body: { type: CANARY } }),
    ];
    const results = await Promise.all(probes);
    for (const r of results) {
      expect(r.status, r.text).toBeGreaterThanOrEqual(400);
      expect(r.status, r.text).toBeLessThan(500);
      expect(r.text).not.toContain(CANARY);
    }
    expect(gw.logs.length).toBeGreaterThan(0);
    for (const line of gw.logs) expect(line).not.toContain(CANARY);
  });
});

describe('ciphertext integrity', () => {
  const versionKey = async (path: string, version: number) => {
    const dump = await dumpStorage(gw.storage);
    const key = [...dump.keys()].find((k) => k.endsWith(`/data/${path}/${version}`));
    if (key === undefined) throw new Error(`no stored version for ${path}`);
    return key;
  };

  it('refuses a ciphertext moved to another storage key', async () => {
    await gw.call('PUT', '/api/v1/secrets/alice', { body: { password: 'alice-secret' } });
    await gw.call('PUT', '/api/v1/secrets/mallory', { body: { password: 'mallory-secret' } });
    const alice = await gw.storage.get(await versionKey('alice', 1));
    await gw.storage.put(await versionKey('mallory', 1), alice ?? new Uint8Array());
    const res = await gw.call('GET', '/api/v1/secrets/mallory');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('ERR_DECRYPTION_FAILED');
    expect(res.text).not.toContain('alice-secret');
  });

  it('refuses a flipped byte anywhere in a stored value with one opaque error', async () => {
    await gw.call('PUT', '/api/v1/secrets/flip', { body: { password: 'flip-secret' } });
    const key = await versionKey('flip', 1);
    const original = (await gw.storage.get(key)) ?? new Uint8Array();
    const messages = new Set<string>();
    for (const index of [0, 1, 4, 6, 20, original.length - 1]) {
      const tampered = original.slice();
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      await gw.storage.put(key, tampered);
      const res = await gw.call('GET', '/api/v1/secrets/flip');
      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe('ERR_DECRYPTION_FAILED');
      messages.add(res.body.error.message);
    }
    expect(messages.size).toBe(1);
    await gw.storage.put(key, original);
    expect((await gw.call('GET', '/api/v1/secrets/flip')).body.data.password).toBe('flip-secret');
  });
});

describe('sealed', () => {
  it('answers 503 on every secret path, unseals with the key, and refuses a wrong key', async () => {
    await gw.call('PUT', '/api/v1/secrets/s', { body: { a: 1 } });
    expect((await gw.call('POST', '/api/v1/sys/seal')).status).toBe(204);
    for (const [method, path] of [
      ['GET', '/api/v1/secrets/s'],
      ['PUT', '/api/v1/secrets/s'],
      ['DELETE', '/api/v1/secrets/s'],
      ['GET', '/api/v1/secrets/?list=true'],
      ['GET', '/api/v1/metadata/s'],
      ['POST', '/api/v1/secrets/s/rotate'],
      ['GET', '/api/v1/sys/mounts'],
      ['POST', '/api/v1/sys/rotate'],
    ] as const) {
      const res = await gw.call(method, path, method === 'PUT' ? { body: { a: 2 } } : {});
      expect(res.status, `${method} ${path}`).toBe(503);
      expect(res.body.error.code).toBe('ERR_SEALED');
    }
    // Sealed answers 503 before looking at the token: no token can be checked without keys.
    expect((await gw.call('GET', '/api/v1/secrets/s', { token: null })).status).toBe(503);
    expect((await gw.call('GET', '/health', { token: null })).status).toBe(503);
    expect((await gw.call('GET', '/health/live', { token: null })).status).toBe(200);
    expect((await gw.call('GET', '/api/v1/sys/seal-status', { token: null })).body).toMatchObject({ sealed: true, initialized: true });

    const wrong = await gw.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: toBase64(new Uint8Array(32).fill(7)) } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('ERR_UNSEAL_FAILED');
    expect(gw.core.barrier.sealed).toBe(true);

    const ok = await gw.call('POST', '/api/v1/sys/unseal', { token: null, body: { key: toBase64(gw.key) } });
    expect(ok.status).toBe(200);
    expect(ok.body.sealed).toBe(false);
    expect((await gw.call('GET', '/api/v1/secrets/s')).body.data).toEqual({ a: 1 });
  });

  it('requires the root token to seal', async () => {
    expect((await gw.call('POST', '/api/v1/sys/seal', { token: null })).status).toBe(401);
    expect(gw.core.barrier.sealed).toBe(false);
  });
});

describe('keyring rotation', () => {
  it('encrypts new writes under the new term while old ones still decrypt', async () => {
    await gw.call('PUT', '/api/v1/secrets/before', { body: { a: 1 } });
    const before = await gw.call('GET', '/api/v1/sys/key-status');
    const rotated = await gw.call('POST', '/api/v1/sys/rotate');
    expect(rotated.status).toBe(200);
    expect(rotated.body.data.term).toBe(before.body.data.term + 1);
    await gw.call('PUT', '/api/v1/secrets/after', { body: { b: 2 } });
    const dump = await dumpStorage(gw.storage);
    const termOf = (suffix: string) => {
      const value = [...dump.entries()].find(([k]) => k.endsWith(suffix))?.[1] ?? new Uint8Array(5);
      return new DataView(value.buffer, value.byteOffset).getUint32(1);
    };
    expect(termOf('/data/before/1')).toBe(before.body.data.term);
    expect(termOf('/data/after/1')).toBe(rotated.body.data.term);
    expect((await gw.call('GET', '/api/v1/secrets/before')).body.data).toEqual({ a: 1 });
  });
});
