import { describe, expect, it } from 'vitest';
import { fromBase64, fromUtf8, toBase64, utf8 } from '../../../core/index.js';
import { decodeEnvelope, encodeEnvelope, parseKeyVersionId } from './envelope.js';

const kid = 'https://kg-prod.vault.azure.net/keys/keygate-root/0123456789abcdef0123456789abcdef';
const envelope = { kid, wrappedDek: new Uint8Array(256).fill(1), nonce: new Uint8Array(12).fill(2), ciphertext: new Uint8Array(48).fill(3) };
const recordOf = (text: string) => JSON.parse(fromUtf8(fromBase64(text) ?? new Uint8Array())) as Record<string, unknown>;
const encodeRecord = (record: unknown) => toBase64(utf8(JSON.stringify(record)));

describe('azurekeyvault envelope', () => {
  it('encodes {v, kid, wrapped_dek, nonce, ciphertext} as base64 JSON and decodes it back', () => {
    const text = encodeEnvelope(envelope);
    expect(recordOf(text)).toEqual({ v: 1, kid, wrapped_dek: toBase64(envelope.wrappedDek), nonce: toBase64(envelope.nonce), ciphertext: toBase64(envelope.ciphertext) });
    expect(decodeEnvelope(text)).toEqual(envelope);
  });

  it('refuses anything but a well-formed version-1 envelope with plausible sizes', () => {
    const good = recordOf(encodeEnvelope(envelope));
    const bad: unknown[] = [
      'not base64!',
      toBase64(utf8('not json')),
      toBase64(new Uint8Array([0xff, 0xfe])),
      encodeRecord({ ...good, v: 2 }),
      encodeRecord({ ...good, extra: true }),
      encodeRecord({ ...good, nonce: toBase64(new Uint8Array(16)) }),
      encodeRecord({ ...good, wrapped_dek: '' }),
      encodeRecord({ ...good, wrapped_dek: toBase64(new Uint8Array(513)) }),
      encodeRecord({ ...good, ciphertext: toBase64(new Uint8Array(16)) }),
      encodeRecord({ ...good, ciphertext: 'a!' }),
      encodeRecord({ v: 1, kid }),
      encodeRecord([good]),
      'A'.repeat(9000),
      42,
      undefined,
    ];
    for (const text of bad) expect(decodeEnvelope(text)).toBeNull();
  });

  it('splits key version ids and refuses other objects, missing versions and extra parts', () => {
    expect(parseKeyVersionId(kid)).toEqual({ origin: 'https://kg-prod.vault.azure.net', name: 'keygate-root', version: '0123456789abcdef0123456789abcdef' });
    expect(parseKeyVersionId('https://kg-prod.vault.azure.net:443/keys/k/abc')?.origin).toBe('https://kg-prod.vault.azure.net');
    for (const other of [
      'https://kg-prod.vault.azure.net/keys/keygate-root',
      'https://kg-prod.vault.azure.net/secrets/keygate-root/0123',
      'https://kg-prod.vault.azure.net/keys/keygate-root/0123/wrapkey',
      'https://kg-prod.vault.azure.net/keys/bad_name/0123',
      'https://kg-prod.vault.azure.net/keys/k/01-23',
      'http://kg-prod.vault.azure.net/keys/k/0123',
      'https://kg-prod.vault.azure.net/keys/k/0123?x=1',
      'https://u:p@kg-prod.vault.azure.net/keys/k/0123',
      'not a url',
    ]) {
      expect(parseKeyVersionId(other), other).toBeNull();
    }
  });
});
