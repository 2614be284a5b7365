import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';

describe('crc32c', () => {
  it('matches Google’s published example', () => {
    // https://cloud.google.com/secret-manager/docs/data-integrity: "YQo=" ("a\n") → 163439259
    expect(crc32c(new TextEncoder().encode('a\n'))).toBe(163439259);
  });

  it('is 0 for no bytes and the standard check value for "123456789"', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // The CRC-32C catalogue's check value (RFC 3720, iSCSI).
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });
});
