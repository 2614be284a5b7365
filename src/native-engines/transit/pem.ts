/** PEM armour (RFC 7468) for the keys `keys/{name}` and `export/…` return, as Go's `pem.EncodeToMemory` writes it. */

import { toBase64 } from '../../core/index.js';

/** Armours DER bytes: 64-character base64 lines between BEGIN and END lines, ending in a newline. */
export function toPem(label: string, der: Uint8Array): string {
  const body = toBase64(der);
  const lines: string[] = [];
  for (let i = 0; i < body.length; i += 64) lines.push(body.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
