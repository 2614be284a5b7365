import { describe, expect, it } from 'vitest';
import { GatewayError, createWebRuntime } from './index.js';
import { randomString } from './random-string.js';
import { ROTATION_ALPHABETS } from './rotation-config.js';

/** A random source that replays `bytes` forever. */
function replay(bytes: number[]) {
  let i = 0;
  return {
    randomBytes(length: number) {
      const out = new Uint8Array(length);
      for (let j = 0; j < length; j++) out[j] = bytes[i++ % bytes.length] ?? 0;
      return out;
    },
  };
}

describe('random strings', () => {
  it('rejects bytes at or above the largest multiple of the alphabet size (no modulo bias)', () => {
    // numeric: 256 % 10 = 6, so 250..255 are rejected and 249 maps to "9".
    expect(randomString(replay([255, 250, 249, 0, 10]), '0123456789', 3)).toBe('900');
  });

  it('accepts every byte when the alphabet size divides 256', () => {
    expect(randomString(replay([255, 0, 16]), ROTATION_ALPHABETS.hex, 3)).toBe('f00');
  });

  it('gives up with ERR_INTERNAL instead of spinning on a broken source', () => {
    let caught: unknown;
    try {
      randomString(replay([255]), '0123456789', 8);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GatewayError);
  });

  it('produces a roughly uniform distribution', () => {
    const alphabet = ROTATION_ALPHABETS.alphanumeric;
    const sample = randomString(createWebRuntime(), alphabet, 62_000);
    const counts = new Map<string, number>();
    for (const c of sample) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Expected 1,000 each; a chi-square over 61 degrees of freedom stays far below 150 unless biased.
    let chi = 0;
    for (const count of counts.values()) chi += (count - 1000) ** 2 / 1000;
    expect(chi).toBeLessThan(150);
  });

  it('covers the ascii-printable alphabet without space', () => {
    expect(ROTATION_ALPHABETS['ascii-printable']).toHaveLength(94);
    expect(ROTATION_ALPHABETS['ascii-printable']).not.toContain(' ');
  });
});
