/**
 * CRC32C (Castagnoli), the checksum Google's APIs carry beside the bytes they take and
 * return: Secret Manager with every version payload
 * (https://cloud.google.com/secret-manager/docs/data-integrity), Cloud KMS beside every
 * plaintext, ciphertext and AAD (https://cloud.google.com/kms/docs/data-integrity-guidelines).
 * Keygate sends it so the service verifies what it received, and checks what comes back.
 */

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC32C of `bytes`, as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = (TABLE[(crc ^ b) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
