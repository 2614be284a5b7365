/** `hash[/{algorithm}]` and `random[/{source}][/{bytes}]`: keyless helpers, as Vault's. */

import { z } from 'zod';
import { sensitive, toBase64, toHex } from '../../core/index.js';
import { noQuery } from '../framework/engine-kit.js';
import { transit } from './context.js';
import { fieldError } from './field-error.js';
import { base64Field, intField } from './fields.js';
import { digest, hashAlgorithmSchema } from './hashing.js';
import type { HashAlgorithm } from './hashing.js';
import { requiredBytes } from './item-inputs.js';

/** Body of `hash`. */
export const hashBody = z.object({
  input: base64Field('Base64 input to hash.'),
  algorithm: hashAlgorithmSchema.optional().describe('Hash algorithm (default sha2-256); the path\'s wins.'),
  format: z.enum(['hex', 'base64']).optional().describe('Encoding of the sum: hex (default) or base64.'),
});

/** `update` on `hash` and `hash/{algorithm}`. */
export const hashOperation = transit.defineOperation({
  summary: 'Hash data',
  description: 'The digest of base64 input with sha2-224/256/384/512 or sha3-224/256/384/512.',
  body: hashBody,
  query: noQuery,
  response: z.object({ sum: z.string() }),
  sensitive: ['input'],
  async handler(ctx) {
    let algorithm: HashAlgorithm = ctx.body.algorithm ?? 'sha2-256';
    const fromPath = ctx.params.algorithm;
    if (fromPath !== undefined) {
      const parsed = hashAlgorithmSchema.safeParse(fromPath);
      if (!parsed.success) throw fieldError('algorithm', `must be one of ${hashAlgorithmSchema.options.join(', ')}`);
      algorithm = parsed.data;
    }
    const sum = await digest(ctx.runtime.subtle, algorithm, requiredBytes(ctx.body.input, 'input'));
    return { data: { sum: ctx.body.format === 'base64' ? toBase64(sum) : toHex(sum) }, cache: 'no-store' };
  },
});

/** Most bytes one `random` call returns (Vault's bound). */
export const MAX_RANDOM_BYTES = 128 * 1024;

const SOURCES = ['platform', 'seal', 'all'] as const;

/** Body of `random`. */
export const randomBody = z.object({
  bytes: intField(1, MAX_RANDOM_BYTES, 'Number of bytes (default 32); the path\'s wins.').optional(),
  format: z.enum(['base64', 'hex']).optional().describe('Encoding: base64 (default) or hex.'),
  source: z.enum(SOURCES).optional().describe('Accepted for Vault compatibility: every source is the platform\'s CSPRNG.'),
});

function pathBytes(text: string): number {
  const n = /^[1-9][0-9]{0,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > MAX_RANDOM_BYTES) throw fieldError('bytes', `must be an integer from 1 to ${MAX_RANDOM_BYTES}`);
  return n;
}

function pathSource(text: string): void {
  if (!(SOURCES as readonly string[]).includes(text)) throw fieldError('source', 'must be platform, seal or all');
}

/** `update` on `random`, `random/{source_or_bytes}` and `random/{source}/{bytes}`. */
export const randomOperation = transit.defineOperation({
  summary: 'Generate random bytes',
  description:
    'Random bytes from the runtime\'s CSPRNG. A single path segment is a source (platform, seal, all) or a byte count; two are source then count. Every source is the platform generator in Keygate.',
  body: randomBody,
  query: noQuery,
  response: z.object({ random_bytes: z.string() }),
  sensitive: ['random_bytes'],
  async handler(ctx) {
    let bytes = ctx.body.bytes ?? 32;
    const { source_or_bytes: one, source, bytes: urlBytes } = ctx.params;
    if (source !== undefined && urlBytes !== undefined) {
      pathSource(source);
      bytes = pathBytes(urlBytes);
    } else if (one !== undefined) {
      if ((SOURCES as readonly string[]).includes(one)) pathSource(one);
      else bytes = pathBytes(one);
    }
    const random = ctx.runtime.randomBytes(bytes);
    return { data: { random_bytes: sensitive(ctx.body.format === 'hex' ? toHex(random) : toBase64(random)) }, cache: 'no-store' };
  },
});
