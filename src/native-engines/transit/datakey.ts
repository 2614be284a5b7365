/**
 * `datakey/{plaintext|wrapped}/{name}`: a fresh random data key, returned encrypted under the
 * named key, and with `plaintext` also in the clear (sensitive), for envelope encryption.
 */

import { z } from 'zod';
import { sensitive, toBase64 } from '../../core/index.js';
import { noQuery } from '../framework/engine-kit.js';
import { keyNameOf, transit } from './context.js';
import { encryptValue } from './encryption.js';
import { requireEncryptionKey } from './encrypt.js';
import { fieldError } from './field-error.js';
import { contextField, intField, keyVersionField, nonceField } from './fields.js';
import { optionalBytes, refuseNonce } from './item-inputs.js';
import { versionForUse } from './version-rules.js';

/** Body of `datakey/…`. */
export const datakeyBody = z.object({
  bits: intField(128, 512, 'Data key length: 128, 256 (default) or 512 bits.').optional(),
  context: contextField.optional(),
  key_version: keyVersionField.optional(),
  nonce: nonceField.optional(),
  padding_scheme: z.literal('oaep').describe('RSA keys: only "oaep" (the default) is supported.').optional(),
});

/** `update` on `datakey/{plaintext}/{name}`. */
export const datakeyOperation = transit.defineOperation({
  summary: 'Generate a data key',
  description:
    'Generates a random data key of `bits` bits and returns it encrypted under the named key (ciphertext, key_version); on the "plaintext" path also the key itself, base64.',
  body: datakeyBody,
  query: noQuery,
  response: z.object({ ciphertext: z.string(), key_version: z.int(), plaintext: z.string().optional() }),
  sensitive: ['plaintext'],
  async handler(ctx) {
    const kind = ctx.params.plaintext;
    if (kind !== 'plaintext' && kind !== 'wrapped') throw fieldError('plaintext', 'must be "plaintext" or "wrapped" in the path');
    const name = keyNameOf(ctx);
    refuseNonce(ctx.body.nonce);
    const bits = ctx.body.bits ?? 256;
    if (bits !== 128 && bits !== 256 && bits !== 512) throw fieldError('bits', 'must be 128, 256 or 512');
    const policy = await ctx.state.keys.requirePolicy(name);
    requireEncryptionKey(policy);
    const version = versionForUse(policy, ctx.body.key_version ?? 0);
    const material = await ctx.state.keys.material(policy, version);
    const dataKey = ctx.runtime.randomBytes(bits / 8);
    const ciphertext = await encryptValue(ctx.runtime, policy, material, dataKey, { context: optionalBytes(ctx.body.context, 'context'), associatedData: new Uint8Array(0) });
    return {
      data: { ciphertext, key_version: version, ...(kind === 'plaintext' ? { plaintext: sensitive(toBase64(dataKey)) } : {}) },
      cache: 'no-store',
    };
  },
});
