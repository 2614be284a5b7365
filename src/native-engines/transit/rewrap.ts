/**
 * `rewrap/{name}`: decrypts a ciphertext and encrypts it again with the latest version (or
 * `key_version`), inside Keygate: the plaintext never leaves. The way to move old
 * ciphertexts forward before raising `min_decryption_version`.
 */

import { z } from 'zod';
import { ValidationError } from '../../core/index.js';
import type { SafeJsonObject } from '../../core/index.js';
import { noQuery } from '../framework/engine-kit.js';
import { batchInputSchema, refuseMixedBatch, runBatch } from './batch.js';
import { keyNameOf, transit } from './context.js';
import type { TransitContext } from './context.js';
import { decryptValue, encryptValue } from './encryption.js';
import { requireEncryptionKey } from './encrypt.js';
import { base64Field, contextField, keyVersionField, nonceField, partialFailureField, referenceField } from './fields.js';
import { cipherInputsOf, refuseNonce } from './item-inputs.js';
import type { KeyPolicy } from './policy.js';
import { ciphertextResponse } from './responses.js';
import { versionForUse } from './version-rules.js';

/** One item to rewrap. */
export const rewrapItemSchema = z.object({
  ciphertext: z.string().max(1_500_000).describe('vault:v{n}:<base64> ciphertext.'),
  context: contextField.optional(),
  associated_data: base64Field('Base64 associated data given at encryption; kept for the new ciphertext.', 16_384).optional(),
  key_version: keyVersionField.optional(),
  nonce: nonceField.optional(),
  reference: referenceField.optional(),
});

type RewrapItem = z.output<typeof rewrapItemSchema>;

/** Body of `rewrap/{name}`. */
export const rewrapBody = rewrapItemSchema.partial().extend({
  batch_input: batchInputSchema.optional(),
  partial_failure_response_code: partialFailureField.optional(),
});

async function rewrapItem(ctx: TransitContext, policy: KeyPolicy, item: RewrapItem): Promise<SafeJsonObject> {
  refuseNonce(item.nonce);
  const inputs = cipherInputsOf(item);
  const { plaintext } = await decryptValue(ctx.runtime, ctx.state.keys, policy, item.ciphertext, inputs);
  const version = versionForUse(policy, item.key_version ?? 0);
  const material = await ctx.state.keys.material(policy, version);
  return { ciphertext: await encryptValue(ctx.runtime, policy, material, plaintext, inputs), key_version: version };
}

/** `update` on `rewrap/{name}`. */
export const rewrapOperation = transit.defineOperation({
  summary: 'Rewrap',
  description:
    'Re-encrypts a ciphertext of the named key (or each item of batch_input) with the latest key version, or key_version, without revealing the plaintext.',
  body: rewrapBody,
  query: noQuery,
  response: ciphertextResponse,
  async handler(ctx) {
    const name = keyNameOf(ctx);
    const { body } = ctx;
    const batch = body.batch_input;
    if (batch !== undefined) refuseMixedBatch(body, ['ciphertext', 'context', 'associated_data', 'key_version', 'nonce', 'reference']);
    else if (body.ciphertext === undefined) throw new ValidationError('invalid request: ciphertext is required', [{ field: 'ciphertext', reason: 'is required' }]);
    const policy = await ctx.state.keys.requirePolicy(name);
    requireEncryptionKey(policy);
    if (batch !== undefined) {
      return { data: { batch_results: await runBatch(batch, rewrapItemSchema, (item) => rewrapItem(ctx, policy, item)) }, cache: 'no-store' };
    }
    const { ciphertext, context, associated_data, key_version, nonce } = body;
    return { data: await rewrapItem(ctx, policy, { ciphertext: ciphertext ?? '', context, associated_data, key_version, nonce }), cache: 'no-store' };
  },
});
