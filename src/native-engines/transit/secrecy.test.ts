import { describe, expect, it } from 'vitest';
import { fromBase64, fromUtf8, revealingStringify, toBase64, toHex, utf8 } from '../../core/index.js';
import type { GatewayError, JsonObject, Storage } from '../../core/index.js';
import { createMemoryStorage } from '../../storage/memory.js';
import { createTestRuntime } from '../test-support.js';
import { b64, createTransitHarness, items, obj, str } from './test-harness.js';

const CANARY = 'CANARY-c0ffee-transit-plaintext';
const CONTEXT_CANARY = 'CANARY-beef-transit-context';

/** Storage that records every write, so a test sees exactly what the engine stored where. */
function recording(inner: Storage) {
  const puts: { key: string; value: string }[] = [];
  const storage: Storage = {
    get: (key) => inner.get(key),
    delete: (key) => inner.delete(key),
    list: (prefix, opts) => inner.list(prefix, opts),
    async put(key, value) {
      puts.push({ key, value: fromUtf8(value) });
      await inner.put(key, value);
    },
  };
  return { storage, puts };
}

function everything(err: GatewayError): string {
  return JSON.stringify({ message: err.message, details: err.details, headers: err.headers, stack: err.stack, cause: String(err.cause) });
}

/** Every form a secret may take in output: text, base64, base64url-ish and hex. */
function forms(secret: Uint8Array): string[] {
  return [toBase64(secret), toHex(secret), toBase64(secret).replace(/=+$/, '')];
}

describe('transit: secrets stay where they belong', () => {
  it('never stores plaintext or context, in any encoding', async () => {
    const { storage, puts } = recording(createMemoryStorage());
    const runtime = createTestRuntime();
    const t = createTransitHarness(storage, {}, runtime);
    await t.createKey('k');
    await t.createKey('d', { derived: true, convergent_encryption: true });
    await t.createKey('s', { type: 'ed25519' });
    const plaintext = utf8(CANARY);
    const ct = await t.encrypt('k', CANARY);
    await t.encrypt('d', CANARY, { context: b64(CONTEXT_CANARY) });
    await t.write('encrypt/k', { batch_input: [{ plaintext: b64(CANARY) }, { plaintext: b64(CANARY), associated_data: b64(CONTEXT_CANARY) }] });
    await t.decrypt('k', ct);
    await t.write('rewrap/k', { ciphertext: ct });
    await t.write('sign/s', { input: b64(CANARY) });
    await t.write('hmac/k', { input: b64(CANARY) });
    await t.write('hash', { input: b64(CANARY) });
    await t.call('rotate', 'keys/k');
    const dump = [...(await t.dump()).entries()].map(([k, v]) => `${k}\n${v}`).join('\n');
    for (const form of [CANARY, CONTEXT_CANARY, ...forms(plaintext), ...forms(utf8(CONTEXT_CANARY))]) {
      expect(dump).not.toContain(form);
      expect(puts.some((p) => p.value.includes(form) || p.key.includes(form))).toBe(false);
    }
    expect(runtime.logged.join('\n')).not.toContain(CANARY);
  });

  it('writes key material only to material/ entries, never to policies, logs, errors or other responses', async () => {
    const { storage, puts } = recording(createMemoryStorage());
    const runtime = createTestRuntime();
    const t = createTransitHarness(storage, {}, runtime);
    const secrets: string[] = [];
    const rawKeys: string[] = [];
    const responses: string[] = [];
    for (const type of ['aes256-gcm96', 'chacha20-poly1305', 'hmac', 'ed25519', 'ecdsa-p256', 'rsa-2048']) {
      responses.push(JSON.stringify(await t.createKey(type, { type, exportable: true, allow_plaintext_backup: true })));
      await t.call('rotate', `keys/${type}`);
      responses.push(JSON.stringify(await t.read(`keys/${type}`)));
      for (const kind of ['encryption-key', 'signing-key', 'hmac-key']) {
        const exported = await t.call('read', `export/${kind}/${type}`).catch(() => null);
        if (exported === null) continue;
        expect(JSON.stringify(exported)).not.toMatch(/"keys":\{"1":"[^[]/);
        for (const value of Object.values(obj(obj(JSON.parse(revealingStringify(exported))).data).keys ?? {})) {
          // PEM bodies: compare the base64 line content; raw keys: the base64 itself.
          const text = String(value);
          if (!text.includes('BEGIN')) rawKeys.push(text);
          secrets.push(...(text.includes('BEGIN') ? text.split('\n').filter((l) => l.length === 64) : [text]));
        }
      }
    }
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) {
      const holders = puts.filter((p) => p.value.includes(secret) || p.key.includes(secret));
      for (const put of holders) expect(put.key).toMatch(/^material\//);
      for (const response of responses) expect(response).not.toContain(secret);
      expect(runtime.logged.join('\n')).not.toContain(secret);
    }
    // Every raw key is really stored under material/ (the barrier encrypts it below this view).
    expect(rawKeys.length).toBeGreaterThan(10);
    for (const secret of rawKeys) expect(puts.some((p) => p.key.startsWith('material/') && p.value.includes(secret))).toBe(true);
  });

  it('keeps decrypted plaintext, data keys, exports, backups and random bytes wrapped in responses', async () => {
    const t = createTransitHarness();
    await t.createKey('k', { exportable: true, allow_plaintext_backup: true });
    const ct = await t.encrypt('k', CANARY);
    const wrapped = [
      await t.call('update', 'decrypt/k', { data: { ciphertext: ct } }),
      await t.call('update', 'decrypt/k', { data: { batch_input: [{ ciphertext: ct }] } }),
      await t.call('update', 'datakey/plaintext/k', { data: {} }),
      await t.call('read', 'export/encryption-key/k'),
      await t.call('read', 'backup/k'),
      await t.call('update', 'random/64', { data: {} }),
    ];
    for (const response of wrapped) expect(JSON.stringify(response)).toContain('[redacted]');
    expect(JSON.stringify(wrapped[0])).not.toContain(b64(CANARY));
    expect(revealingStringify(wrapped[0])).toContain(b64(CANARY));
    const encrypted = await t.call('update', 'encrypt/k', { data: { plaintext: b64(CANARY) } });
    expect(JSON.stringify(encrypted)).not.toContain('[redacted]');
  });

  it('never puts a submitted plaintext or context into an error', async () => {
    const runtime = createTestRuntime();
    const t = createTransitHarness(createMemoryStorage(), {}, runtime);
    await t.createKey('k');
    await t.createKey('d', { derived: true });
    await t.createKey('r', { type: 'rsa-2048' });
    await t.createKey('s', { type: 'ecdsa-p256' });
    const c = b64(CONTEXT_CANARY);
    const p = b64(CANARY);
    const attempts: (() => Promise<unknown>)[] = [
      () => t.write('encrypt/k', { plaintext: CANARY }),
      () => t.write('encrypt/k', { plaintext: p, context: CONTEXT_CANARY }),
      () => t.write('encrypt/k', { plaintext: p, key_version: CANARY }),
      () => t.write('encrypt/k', { plaintext: p, nonce: CANARY }),
      () => t.write('encrypt/k', { plaintext: p, [CANARY]: p }),
      () => t.write('encrypt/k', { plaintext: [CANARY] }),
      () => t.write('encrypt/k', { plaintext: p, reference: CANARY.repeat(20) }),
      () => t.write('encrypt/d', { plaintext: p }),
      () => t.write('encrypt/r', { plaintext: b64(CANARY.repeat(20)) }),
      () => t.write('encrypt/r', { plaintext: p, associated_data: c }),
      () => t.write('decrypt/k', { ciphertext: CANARY }),
      () => t.write('decrypt/k', { ciphertext: `vault:v1:${CANARY}` }),
      () => t.write('decrypt/k', { ciphertext: `vault:v1:${b64(CANARY.repeat(3))}` }),
      async () => t.write('decrypt/d', { ciphertext: await t.encrypt('d', CANARY, { context: c }), context: b64(`${CONTEXT_CANARY}-other`) }),
      () => t.write('rewrap/k', { ciphertext: `vault:v${CANARY}:AAAA` }),
      () => t.write('sign/s', { input: p, hash_algorithm: CANARY }),
      () => t.write('sign/s', { input: CANARY }),
      () => t.write('sign/r', { input: p, prehashed: true }),
      () => t.write('verify/s', { input: p, signature: `vault:v1:${b64(CANARY)}` }),
      () => t.write('verify/s', { input: p, hmac: CANARY }),
      () => t.write('hmac/k', { input: p, algorithm: CANARY }),
      () => t.write(`hmac/k/${CANARY}`, { input: p }),
      () => t.write('hash', { input: CANARY }),
      () => t.write(`random/${CANARY}`),
      () => t.write('restore', { backup: b64(CANARY) }),
      () => t.write('restore', { backup: b64(JSON.stringify({ format: CANARY })) }),
      () => t.write('keys/k/config', { min_decryption_version: CANARY }),
      () => t.write('keys/k/trim', { min_available_version: CANARY }),
      () => t.read(`keys/${CANARY}!`),
      () => t.read('keys/k', { context: CANARY }),
      () => t.write(`datakey/${CANARY}/k`),
    ];
    for (const attempt of attempts) {
      const err = await t.failure(attempt());
      expect(everything(err)).not.toContain('c0ffee');
      expect(everything(err)).not.toContain('beef');
    }
    const batch = await t.write('encrypt/k', {
      batch_input: [{ plaintext: CANARY }, { plaintext: p, [CANARY]: 1 }, CANARY, { plaintext: p, nonce: CANARY }, { plaintext: p, associated_data: CANARY }],
    });
    const derived = await t.write('encrypt/d', { batch_input: [{ plaintext: p, context: CONTEXT_CANARY }, { plaintext: CANARY, context: c }] });
    for (const result of [...items(batch.batch_results), ...items(derived.batch_results)]) {
      expect(result.error).toBeDefined();
      expect(str(result.error)).not.toContain('c0ffee');
      expect(str(result.error)).not.toContain('beef');
    }
    expect(runtime.logged.join('\n')).not.toContain('c0ffee');
  });
});

describe('transit: the memory storage dump', () => {
  it('holds only policies, material and configuration, keyed by name', async () => {
    const t = createTransitHarness();
    await t.createKey('k');
    await t.write('cache-config', { size: 50 });
    const keys = [...(await t.dump()).keys()];
    expect(keys.sort()).toEqual(['config/cache', expect.stringMatching(/^material\/k\/[0-9a-f-]{36}\/1$/), 'policy/k']);
    const policy = obj(JSON.parse((await t.dump()).get('policy/k') ?? '{}') as JsonObject);
    expect(Object.keys(policy)).not.toContain('key');
    expect(JSON.stringify(policy)).not.toMatch(/hmac_key|private_jwk/);
    expect(fromBase64(str(obj(JSON.parse([...(await t.dump()).entries()].find(([k]) => k.startsWith('material/'))?.[1] ?? '{}')).key))).toHaveLength(32);
  });
});
