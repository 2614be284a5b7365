import { describe, expect, it } from 'vitest';
import { compareKeys } from '../core/index.js';
import { assertStorageKey, childName, effectiveListLimit, listStartKey, prefixUpperBound } from './keys.js';

describe('prefixUpperBound', () => {
  it('increments the last code point of an ASCII prefix', () => {
    expect(prefixUpperBound('app/')).toBe('app0');
    expect(prefixUpperBound('a')).toBe('b');
  });

  it('increments a character outside the BMP as one code point, not as a UTF-16 unit', () => {
    expect(prefixUpperBound('x😀')).toBe('x😁');
    expect(prefixUpperBound('\u{FFFF}')).toBe('\u{10000}');
  });

  it('jumps over the surrogate range and carries past U+10FFFF', () => {
    expect(prefixUpperBound('a\uD7FF')).toBe('a\uE000');
    expect(prefixUpperBound('a\u{10FFFF}')).toBe('b');
    expect(prefixUpperBound('\u{10FFFF}\u{10FFFF}')).toBeNull();
    expect(prefixUpperBound('')).toBeNull();
  });

  it('bounds every string that starts with the prefix and nothing after it', () => {
    for (const prefix of ['p/', 'x😀', 'a\u{10FFFF}', '日本']) {
      const upper = prefixUpperBound(prefix) ?? '';
      for (const suffix of ['', 'a', '\u{10FFFF}\u{10FFFF}', '😀/x']) {
        expect(compareKeys(prefix + suffix, upper)).toBeLessThan(0);
      }
      expect(compareKeys(upper, prefix)).toBeGreaterThan(0);
    }
  });
});

describe('list walk helpers', () => {
  it('names a child by the rest of its key, cut after the first slash', () => {
    expect(childName('a/', 'a/b')).toBe('b');
    expect(childName('a/', 'a/b/c/d')).toBe('b/');
    expect(childName('', 'x/y')).toBe('x/');
  });

  it('starts a walk past the whole folder when `after` names a folder', () => {
    expect(listStartKey('p/', 'a/')).toBe('p/a0');
    expect(listStartKey('p/', 'a/zz')).toBe('p/a0');
    expect(listStartKey('p/', 'a')).toBe('p/a\u0000');
    expect(listStartKey('p/', undefined)).toBe('p/\u0000');
  });

  it('caps the limit and treats nonsense as the cap or zero', () => {
    expect(effectiveListLimit(undefined)).toBe(1000);
    expect(effectiveListLimit(5000)).toBe(1000);
    expect(effectiveListLimit(Number.NaN)).toBe(1000);
    expect(effectiveListLimit(2.9)).toBe(2);
    expect(effectiveListLimit(-1)).toBe(0);
  });

  it('accepts paired surrogates and refuses NUL and lone surrogates without quoting the key', () => {
    expect(() => assertStorageKey('😀/ok')).not.toThrow();
    for (const bad of ['secret\u0000', 'secret\uD83D', '\uDE00secret']) {
      expect(() => assertStorageKey(bad)).toThrow(/NUL or an unpaired surrogate/);
      expect(() => assertStorageKey(bad)).not.toThrow(/secret/);
    }
  });
});
