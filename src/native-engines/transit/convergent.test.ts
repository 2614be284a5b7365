import { describe, expect, it } from 'vitest';
import { fromBase64, toHex } from '../../core/index.js';
import { b64, createTransitHarness, items, str } from './test-harness.js';

function nonceOf(ciphertext: string): string {
  const body = fromBase64(ciphertext.replace(/^vault:v[0-9]+:/, ''));
  if (body === null) throw new Error('not base64');
  return toHex(body.subarray(0, 12));
}

describe('transit: convergent encryption', () => {
  it('gives equal ciphertexts for equal plaintext and context, and different ones otherwise', async () => {
    const t = createTransitHarness();
    await t.createKey('c', { derived: true, convergent_encryption: true });
    const enc = (text: string, context: string, extra = {}) => t.encrypt('c', text, { context: b64(context), ...extra });
    const a1 = await enc('4111 1111 1111 1111', 'cards');
    const a2 = await enc('4111 1111 1111 1111', 'cards');
    expect(a1).toBe(a2);
    const otherText = await enc('4111 1111 1111 1112', 'cards');
    const otherContext = await enc('4111 1111 1111 1111', 'cards-eu');
    expect(new Set([a1, otherText, otherContext]).size).toBe(3);
    expect(new Set([nonceOf(a1), nonceOf(otherText), nonceOf(otherContext)]).size).toBe(3);
    expect(await t.decrypt('c', a1, { context: b64('cards') })).toBe('4111 1111 1111 1111');
    expect((await t.failure(t.write('decrypt/c', { ciphertext: a1, context: b64('cards-eu') }))).code).toBe('ERR_VALIDATION');
  });

  it('stays deterministic in a batch, and per key version', async () => {
    const t = createTransitHarness();
    await t.createKey('c', { derived: true, convergent_encryption: true });
    const item = { plaintext: b64('same'), context: b64('ctx') };
    const results = items((await t.write('encrypt/c', { batch_input: [item, item, item] })).batch_results).map((r) => str(r.ciphertext));
    expect(new Set(results).size).toBe(1);
    await t.call('rotate', 'keys/c');
    const v2 = await t.encrypt('c', 'same', { context: b64('ctx') });
    expect(v2.startsWith('vault:v2:')).toBe(true);
    expect(v2).toBe(await t.encrypt('c', 'same', { context: b64('ctx') }));
    expect(v2.slice(9)).not.toBe(results[0]?.slice(9));
  });

  it('never reuses a nonce across different associated data', async () => {
    const t = createTransitHarness();
    await t.createKey('c', { derived: true, convergent_encryption: true });
    const plain = await t.encrypt('c', 'x', { context: b64('ctx') });
    const adA = await t.encrypt('c', 'x', { context: b64('ctx'), associated_data: b64('A') });
    const adA2 = await t.encrypt('c', 'x', { context: b64('ctx'), associated_data: b64('A') });
    const adB = await t.encrypt('c', 'x', { context: b64('ctx'), associated_data: b64('B') });
    expect(adA).toBe(adA2);
    expect(new Set([nonceOf(plain), nonceOf(adA), nonceOf(adB)]).size).toBe(3);
    expect(await t.decrypt('c', adB, { context: b64('ctx'), associated_data: b64('B') })).toBe('x');
  });

  it('needs derivation, and a context on every request', async () => {
    const t = createTransitHarness();
    expect((await t.failure(t.createKey('bad', { convergent_encryption: true }))).details?.[0]?.field).toBe('convergent_encryption');
    await t.createKey('c', { derived: true, convergent_encryption: true });
    const err = await t.failure(t.write('encrypt/c', { plaintext: b64('x') }));
    expect(err.details?.[0]?.field).toBe('context');
  });

  it('is the only deterministic mode: a derived key that is not convergent uses fresh nonces', async () => {
    const t = createTransitHarness();
    await t.createKey('d', { derived: true });
    const a = await t.encrypt('d', 'same', { context: b64('ctx') });
    const b = await t.encrypt('d', 'same', { context: b64('ctx') });
    expect(a).not.toBe(b);
  });
});

describe('transit: nonces', () => {
  it('never repeats a nonce over 100,000 encryptions', async () => {
    const t = createTransitHarness();
    await t.createKey('n');
    const seen = new Set<string>();
    const batch = Array.from({ length: 1000 }, () => ({ plaintext: b64('same plaintext every time') }));
    for (let round = 0; round < 100; round++) {
      const results = items((await t.write('encrypt/n', { batch_input: batch })).batch_results);
      for (const result of results) seen.add(nonceOf(str(result.ciphertext)));
    }
    expect(seen.size).toBe(100_000);
  });

  it('draws every nonce from the runtime\'s random source and takes none from the caller', async () => {
    const t = createTransitHarness();
    const randomBytes = t.runtime.randomBytes;
    const drawn: string[] = [];
    t.runtime.randomBytes = (n: number) => {
      const out = randomBytes(n);
      if (n === 12) drawn.push(toHex(out));
      return out;
    };
    await t.createKey('n');
    const ciphertext = await t.encrypt('n', 'x');
    expect(drawn).toContain(nonceOf(ciphertext));
    const err = await t.failure(t.write('encrypt/n', { plaintext: b64('x'), nonce: b64('123456789012') }));
    expect(err.details?.[0]?.field).toBe('nonce');
  });
});
