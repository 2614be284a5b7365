/**
 * Unbiased random strings for rotation. Bytes come from `runtime.randomBytes` (a CSPRNG);
 * a byte is accepted only below the largest multiple of the alphabet size that fits in a
 * byte, so every character is equally likely (rejection sampling, no modulo bias).
 */

import { GatewayError } from './errors.js';
import type { Runtime } from './runtime.js';

/** Draws beyond this many rounds mean the random source is broken, not unlucky. */
const MAX_ROUNDS = 64;

/**
 * A string of `length` characters drawn uniformly from `alphabet` (2 to 256 distinct
 * characters). Throws `ERR_INTERNAL` if the random source keeps producing rejected bytes.
 */
export function randomString(runtime: Pick<Runtime, 'randomBytes'>, alphabet: string, length: number): string {
  const symbols = [...alphabet];
  const size = symbols.length;
  if (size < 2 || size > 256) throw new TypeError('alphabet must have 2 to 256 characters');
  const accept = 256 - (256 % size);
  const out: string[] = [];
  for (let round = 0; out.length < length; round++) {
    if (round >= MAX_ROUNDS) throw new GatewayError('ERR_INTERNAL', 'the random source failed to produce a value');
    // Ask for enough bytes to finish in one round on average, plus slack.
    const wanted = Math.ceil(((length - out.length) * 256) / accept) + 16;
    for (const byte of runtime.randomBytes(wanted)) {
      if (byte >= accept) continue;
      out.push(symbols[byte % size] ?? '');
      if (out.length === length) break;
    }
  }
  return out.join('');
}
