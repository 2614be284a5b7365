/**
 * The little DER that key export needs: Vault exports ECDSA private keys as SEC1
 * (`EC PRIVATE KEY`) and RSA private keys as PKCS#1 (`RSA PRIVATE KEY`), while WebCrypto
 * exports PKCS#8. This builds SEC1 from a JWK's fields and unwraps PKCS#1 from PKCS#8; it is
 * encoding, not cryptography, and the openssl tests parse what it writes.
 */

import { concatBytes } from '../../core/index.js';

/** Encodes one definite-length TLV. */
export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  let header: number[];
  if (n < 0x80) header = [tag, n];
  else if (n < 0x100) header = [tag, 0x81, n];
  else if (n < 0x10000) header = [tag, 0x82, n >> 8, n & 0xff];
  else header = [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concatBytes(new Uint8Array(header), content);
}

/** One TLV read from a DER buffer: its tag, its content, and where the next one starts. */
interface Tlv {
  tag: number;
  content: Uint8Array;
  next: number;
}

/** Reads the TLV at `offset`; null when the bytes are not well-formed definite-length DER. */
function readTlv(bytes: Uint8Array, offset: number): Tlv | null {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined) return null;
  let length = first;
  let start = offset + 2;
  if (first >= 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 3) return null;
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = bytes[start + i];
      if (b === undefined) return null;
      length = (length << 8) | b;
    }
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) return null;
  return { tag, content: bytes.subarray(start, end), next: end };
}

/**
 * The `privateKey` OCTET STRING of a PKCS#8 `PrivateKeyInfo` (for RSA, the PKCS#1
 * `RSAPrivateKey`); null when `pkcs8` is not shaped like one.
 */
export function unwrapPkcs8(pkcs8: Uint8Array): Uint8Array | null {
  const outer = readTlv(pkcs8, 0);
  if (outer === null || outer.tag !== 0x30) return null;
  const version = readTlv(outer.content, 0);
  if (version === null || version.tag !== 0x02) return null;
  const algorithm = readTlv(outer.content, version.next);
  if (algorithm === null || algorithm.tag !== 0x30) return null;
  const key = readTlv(outer.content, algorithm.next);
  if (key === null || key.tag !== 0x04) return null;
  return key.content;
}

const CURVE_OIDS: Record<'P-256' | 'P-384', Uint8Array> = {
  // 1.2.840.10045.3.1.7 (prime256v1) and 1.3.132.0.34 (secp384r1).
  'P-256': new Uint8Array([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
  'P-384': new Uint8Array([0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]),
};

/** SEC1 `ECPrivateKey` (RFC 5915) with the curve named and the public point included, as Go's `MarshalECPrivateKey`. */
export function sec1PrivateKey(curve: 'P-256' | 'P-384', d: Uint8Array, x: Uint8Array, y: Uint8Array): Uint8Array {
  return derTlv(
    0x30,
    concatBytes(
      derTlv(0x02, new Uint8Array([1])),
      derTlv(0x04, d),
      derTlv(0xa0, CURVE_OIDS[curve]),
      derTlv(0xa1, derTlv(0x03, concatBytes(new Uint8Array([0x00, 0x04]), x, y))),
    ),
  );
}
