/** `decrypt/{name}`: one ciphertext or a batch; plaintexts come back base64 and wrapped as sensitive. */

import { z } from 'zod';
import { ValidationError, sensitive, toBase64 } from '../../core/index.js';
import type { SafeJsonObject } from '../../core/index.js';
import { noQuery } from '../framework/engine-kit.js';
import { batchInputSchema, refuseMixedBatch, runBatch } from './batch.js';
import { keyNameOf, transit } from './context.js';
import type { TransitContext } from './context.js';
import { decryptValue } from './encryption.js';
import { requireEncryptionKey } from './encrypt.js';
import { base64Field, contextField, nonceField, partialFailureField, referenceField } from './fields.js';
import { cipherInputsOf, refuseNonce } from './item-inputs.js';
import type { KeyPolicy } from './policy.js';
import { plaintextResponse } from './responses.js';

/** One item to decrypt. */
export const decryptItemSchema = z.object({
  ciphertext: z.string().max(1_500_000).describe('vault:v{n}:<base64> ciphertext.'),
  context: contextField.optional(),
  associated_data: base64Field('Base64 associated data given at encryption.', 16_384).optional(),
  nonce: nonceField.optional(),
  reference: referenceField.optional(),
});

type DecryptItem = z.output<typeof decryptItemSchema>;

/** Body of `decrypt/{name}`. */
export const decryptBody = decryptItemSchema.partial().extend({
  batch_input: batchInputSchema.optional(),
  partial_failure_response_code: partialFailureField.optional(),
});

async function decryptItem(ctx: TransitContext, policy: KeyPolicy, item: DecryptItem): Promise<SafeJsonObject> {
  refuseNonce(item.nonce);
  const { plaintext } = await decryptValue(ctx.runtime, ctx.state.keys, policy, item.ciphertext, cipherInputsOf(item));
  return { plaintext: sensitive(toBase64(plaintext)) };
}

/** `update` on `decrypt/{name}`. */
export const decryptOperation = transit.defineOperation({
  summary: 'Decrypt',
  description:
    'Decrypts a vault:v{n}: ciphertext made by the named key (or each item of batch_input), returning base64 plaintext. Versions below min_decryption_version are refused; every authentication failure is the same error.',
  body: decryptBody,
  query: noQuery,
  response: plaintextResponse,
  sensitive: ['plaintext', 'batch_results'],
  async handler(ctx) {
    const name = keyNameOf(ctx);
    const { body } = ctx;
    const batch = body.batch_input;
    if (batch !== undefined) refuseMixedBatch(body, ['ciphertext', 'context', 'associated_data', 'nonce', 'reference']);
    else if (body.ciphertext === undefined) throw new ValidationError('invalid request: ciphertext is required', [{ field: 'ciphertext', reason: 'is required' }]);
    const policy = await ctx.state.keys.requirePolicy(name);
    requireEncryptionKey(policy);
    if (batch !== undefined) {
      return { data: { batch_results: await runBatch(batch, decryptItemSchema, (item) => decryptItem(ctx, policy, item)) }, cache: 'no-store' };
    }
    const { ciphertext, context, associated_data, nonce } = body;
    return { data: await decryptItem(ctx, policy, { ciphertext: ciphertext ?? '', context, associated_data, nonce }), cache: 'no-store' };
  },
});
