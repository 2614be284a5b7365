/** `verify/{name}[/{hash_algorithm}]`: checks signatures, or HMACs (`hmac` instead of `signature`), single or batched. */

import { z } from 'zod';
import { ValidationError, fromBase64 } from '../../core/index.js';
import type { SafeJsonObject } from '../../core/index.js';
import { noQuery } from '../framework/engine-kit.js';
import { batchInputSchema, refuseMixedBatch, runBatch } from './batch.js';
import { keyNameOf, transit } from './context.js';
import type { TransitContext } from './context.js';
import { fieldError } from './field-error.js';
import { base64Field, contextField, referenceField } from './fields.js';
import { hashAlgorithmSchema } from './hashing.js';
import type { HashAlgorithm } from './hashing.js';
import { verifyHmac } from './hmac-ops.js';
import { optionalBytes, requiredBytes } from './item-inputs.js';
import type { KeyPolicy } from './policy.js';
import { validResponse } from './responses.js';
import { requireSigningKey, signatureFields, signatureOptions } from './sign.js';
import { verifyWith } from './signing.js';
import { checkReadableVersion } from './version-rules.js';
import { parseVersioned } from './versioned-value.js';

/** One item to verify: `signature` or `hmac`, not both. */
export const verifyItemSchema = z.object({
  input: base64Field('Base64 input (or digest, with prehashed).'),
  signature: z.string().max(8192).describe('vault:v{n}: signature to check.').optional(),
  hmac: z.string().max(1024).describe('vault:v{n}: HMAC to check.').optional(),
  context: contextField.optional(),
  reference: referenceField.optional(),
});

type VerifyItem = z.output<typeof verifyItemSchema>;

/** Body of `verify/{name}`. */
export const verifyBody = verifyItemSchema.partial().extend({
  ...signatureFields,
  batch_input: batchInputSchema.optional(),
});

type VerifyBody = z.output<typeof verifyBody>;

function hmacAlgorithm(ctx: TransitContext, body: VerifyBody): HashAlgorithm {
  const named = ctx.params.algorithm ?? body.algorithm ?? body.hash_algorithm ?? 'sha2-256';
  const parsed = hashAlgorithmSchema.safeParse(named);
  if (!parsed.success) throw fieldError('algorithm', `must be one of ${hashAlgorithmSchema.options.join(', ')} for an HMAC`);
  return parsed.data;
}

async function verifyItem(ctx: TransitContext<VerifyBody>, policy: KeyPolicy, item: VerifyItem): Promise<SafeJsonObject> {
  const input = requiredBytes(item.input, 'input');
  if (item.signature !== undefined && item.hmac !== undefined) throw fieldError('signature', 'must not be given together with hmac');
  if (item.hmac !== undefined) {
    return { valid: await verifyHmac(ctx.runtime, ctx.state.keys, policy, hmacAlgorithm(ctx, ctx.body), input, item.hmac) };
  }
  if (item.signature === undefined) throw fieldError('signature', 'is required (or hmac)');
  requireSigningKey(policy);
  const opts = signatureOptions(ctx, ctx.body, optionalBytes(item.context, 'context'));
  const parsed = parseVersioned(item.signature, 'signature');
  const version = checkReadableVersion(policy, parsed.version, 'signature');
  const signature = fromBase64(parsed.body);
  if (signature === null) throw fieldError('signature', 'is invalid: it could not be decoded as base64');
  const material = await ctx.state.keys.material(policy, version);
  return { valid: await verifyWith(ctx.runtime, policy, material, input, signature, opts) };
}

/** `update` on `verify/{name}` and `verify/{name}/{algorithm}`. */
export const verifyOperation = transit.defineOperation({
  summary: 'Verify a signature or HMAC',
  description:
    'Checks a vault:v{n}: signature (or, with hmac, an HMAC) over base64 input, or each batch_input item. Answers valid true or false; a malformed signature or a version below min_decryption_version is an error.',
  body: verifyBody,
  query: noQuery,
  response: validResponse,
  sensitive: ['input', 'batch_input'],
  async handler(ctx) {
    const name = keyNameOf(ctx);
    const { body } = ctx;
    const batch = body.batch_input;
    if (batch !== undefined) refuseMixedBatch(body, ['input', 'signature', 'hmac', 'context', 'reference']);
    else if (body.input === undefined) throw new ValidationError('invalid request: input is required', [{ field: 'input', reason: 'is required' }]);
    const policy = await ctx.state.keys.requirePolicy(name);
    if (batch !== undefined) {
      return { data: { batch_results: await runBatch(batch, verifyItemSchema, (item) => verifyItem(ctx, policy, item)) }, cache: 'no-store' };
    }
    const { input, signature, hmac, context } = body;
    return { data: await verifyItem(ctx, policy, { input: input ?? '', signature, hmac, context }), cache: 'no-store' };
  },
});
