import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/index.js';
import { b64, createTransitHarness, items, str, unb64 } from './test-harness.js';

describe('transit: batches', () => {
  it('encrypts a batch with bad items, answering each item on its own', async () => {
    const t = createTransitHarness();
    await t.createKey('k');
    const data = await t.write('encrypt/k', {
      batch_input: [
        { plaintext: b64('first'), reference: 'a' },
        { plaintext: 'not base64!', reference: 'b' },
        { plaintext: b64('third'), key_version: 7, reference: 'c' },
        { plaintext: 42, reference: 'd' },
        'not an object',
        { plaintext: b64('sixth'), nonce: b64('twelve bytes'), reference: 'f' },
        { plaintext: b64('seventh'), unknown_field: 1 },
        { plaintext: b64('last'), reference: 'h' },
      ],
    });
    const results = items(data.batch_results);
    expect(results).toHaveLength(8);
    expect(results.map((r) => r.reference)).toEqual(['a', 'b', 'c', 'd', '', 'f', '', 'h']);
    expect(results.map((r) => (r.error === undefined ? 'ok' : 'error'))).toEqual(['ok', 'error', 'error', 'error', 'error', 'error', 'error', 'ok']);
    expect(results[1]?.error).toBe('plaintext must be base64');
    expect(results[2]?.error).toContain('key_version');
    expect(results[3]?.error).toBe('plaintext must be a string');
    expect(results[5]?.error).toContain('nonce');
    expect(results[6]?.error).toBe('unknown_field is not a known field');
    expect(results[0]?.key_version).toBe(1);
    expect(await t.decrypt('k', str(results[0]?.ciphertext))).toBe('first');
    expect(await t.decrypt('k', str(results[7]?.ciphertext))).toBe('last');
  });

  it('decrypts and rewraps batches with tampered, foreign and too-old items', async () => {
    const t = createTransitHarness();
    await t.createKey('k');
    await t.createKey('other');
    const good = await t.encrypt('k', 'good');
    const foreign = await t.encrypt('other', 'foreign');
    const tampered = `${good.slice(0, -4)}AAA=`;
    await t.call('rotate', 'keys/k');
    const newer = await t.encrypt('k', 'newer');
    const batch: JsonObject[] = [{ ciphertext: good }, { ciphertext: foreign }, { ciphertext: tampered }, { ciphertext: 'plain text' }, { ciphertext: 'vault:v9:AAAA' }, { ciphertext: newer, reference: 'n' }];

    const decrypted = items((await t.write('decrypt/k', { batch_input: batch })).batch_results);
    expect(decrypted.map((r) => (r.plaintext === undefined ? undefined : unb64(str(r.plaintext))))).toEqual(['good', undefined, undefined, undefined, undefined, 'newer']);
    expect(decrypted[1]?.error).toBe(decrypted[2]?.error);
    expect(decrypted[3]?.error).toContain('vault:v');
    expect(decrypted[4]?.error).toContain('newer than the latest');
    expect(decrypted[5]?.reference).toBe('n');

    await t.write('keys/k/config', { min_decryption_version: 2 });
    const rewrapped = items((await t.write('rewrap/k', { batch_input: [{ ciphertext: good }, { ciphertext: newer }] })).batch_results);
    expect(rewrapped[0]?.error).toContain('too old');
    expect(str(rewrapped[1]?.ciphertext).startsWith('vault:v2:')).toBe(true);
  });

  it('signs, verifies and HMACs batches with bad items', async () => {
    const t = createTransitHarness();
    await t.createKey('s', { type: 'ecdsa-p256' });
    const signed = items((await t.write('sign/s', { batch_input: [{ input: b64('one') }, { input: '%%%' }, { input: b64('three'), reference: 'x' }] })).batch_results);
    expect(signed[1]?.error).toBe('input must be base64');
    expect(signed[2]?.reference).toBe('x');
    const verified = items(
      (
        await t.write('verify/s', {
          batch_input: [
            { input: b64('one'), signature: str(signed[0]?.signature) },
            { input: b64('not one'), signature: str(signed[0]?.signature) },
            { input: b64('three'), signature: 'vault:v1:bm90IGEgc2lnbmF0dXJl' },
            { input: b64('three') },
            { input: b64('three'), signature: str(signed[2]?.signature) },
          ],
        })
      ).batch_results,
    );
    expect(verified.map((r) => r.valid ?? r.error)).toEqual([true, false, expect.stringContaining('DER'), expect.stringContaining('signature'), true]);

    await t.createKey('h', { type: 'hmac' });
    const macs = items((await t.write('hmac/h/sha2-384', { batch_input: [{ input: b64('a') }, { input: 7 }, { input: b64('c') }] })).batch_results);
    expect(macs[1]?.error).toBe('input must be a string');
    const checks = items(
      (
        await t.write('verify/h/sha2-384', {
          batch_input: [
            { input: b64('a'), hmac: str(macs[0]?.hmac) },
            { input: b64('c'), hmac: str(macs[0]?.hmac) },
            { input: b64('c'), hmac: 'garbage' },
            { input: b64('c'), hmac: str(macs[2]?.hmac) },
          ],
        })
      ).batch_results,
    );
    expect(checks.map((r) => r.valid ?? 'error')).toEqual([true, false, 'error', true]);
  });

  it('bounds a batch at 1,000 items and refuses single fields beside batch_input', async () => {
    const t = createTransitHarness();
    await t.createKey('k');
    const item = { plaintext: b64('x') };
    const ok = await t.write('encrypt/k', { batch_input: Array.from({ length: 1000 }, () => item) });
    expect(items(ok.batch_results)).toHaveLength(1000);
    const tooMany = await t.failure(t.write('encrypt/k', { batch_input: Array.from({ length: 1001 }, () => item) }));
    expect(tooMany.details?.[0]).toEqual({ field: 'batch_input', reason: 'must have at most 1000 items' });
    expect((await t.failure(t.write('encrypt/k', { batch_input: [] }))).details?.[0]?.field).toBe('batch_input');
    expect((await t.failure(t.write('encrypt/k', { batch_input: [item], plaintext: b64('y') }))).details?.[0]?.field).toBe('plaintext');
  });

  it('refuses a batch that mixes items with and without context (Vault\'s rule)', async () => {
    const t = createTransitHarness();
    await t.createKey('d', { derived: true });
    const err = await t.failure(t.write('encrypt/d', { batch_input: [{ plaintext: b64('a'), context: b64('c') }, { plaintext: b64('b') }] }));
    expect(err.details?.[0]?.field).toBe('context');
  });
});
