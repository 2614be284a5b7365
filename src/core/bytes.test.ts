import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concatBytes, constantTimeEqual, fromBase64, fromUtf8, readU32be, toBase64, toBase64Url, toHex, u32be, utf8, utf8ByteLength } from './bytes.js';

describe('bytes', () => {
  it('counts UTF-8 bytes as the encoder writes them, lone surrogates included (property)', () => {
    for (const text of ['', 'a', 'é', '€', '😀', '\ud800', '\udc00x', 'a\ud83d']) expect(utf8ByteLength(text)).toBe(utf8(text).length);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), fc.string({ unit: 'grapheme', maxLength: 64 }), (a, b) => {
        expect(utf8ByteLength(a)).toBe(utf8(a).length);
        expect(utf8ByteLength(b + a)).toBe(utf8(b + a).length);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips base64 against the RFC 4648 test vectors', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy']];
    for (const [plain, encoded] of vectors) {
      expect(toBase64(utf8(plain))).toBe(encoded);
      expect(fromUtf8(fromBase64(encoded) ?? new Uint8Array([0xff]))).toBe(plain);
    }
  });

  it('handles every byte value and base64url', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromBase64(toBase64(all))).toEqual(all);
    const url = toBase64Url(all);
    expect(url).not.toMatch(/[+/=]/);
    expect(fromBase64(url)).toEqual(all);
  });

  it('rejects malformed base64 with null', () => {
    for (const bad of ['a', 'Zg=a', 'Zm9v!', 'Zg===', 'Zh==', 'é']) expect(fromBase64(bad)).toBeNull();
  });

  it('compares in constant time and still gets the answer right', () => {
    expect(constantTimeEqual(utf8('abc'), utf8('abc'))).toBe(true);
    expect(constantTimeEqual(utf8('abc'), utf8('abd'))).toBe(false);
    expect(constantTimeEqual(utf8('abc'), utf8('abcd'))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array([0]))).toBe(false);
  });

  it('refuses malformed UTF-8 instead of substituting', () => {
    expect(() => fromUtf8(new Uint8Array([0xc3, 0x28]))).toThrow(TypeError);
  });

  it('writes and reads big-endian u32, hex and concatenation', () => {
    expect(toHex(u32be(0x01020304))).toBe('01020304');
    expect(readU32be(concatBytes(new Uint8Array([9]), u32be(0xfffffffe)), 1)).toBe(0xfffffffe);
  });
});
