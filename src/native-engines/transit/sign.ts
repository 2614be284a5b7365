/** `sign/{name}[/{hash_algorithm}]`: signatures in Vault's `vault:v{n}:` format, single or batched. */

import { z } from 'zod';
import { ValidationError, toBase64 } from '../../core/index.js';
import type { SafeJsonObject } from '../../core/index.js';
import { noQuery } from '../framework/engine-kit.js';
import { batchInputSchema, refuseMixedBatch, runBatch } from './batch.js';
import { keyNameOf, transit } from './context.js';
import type { TransitContext } from './context.js';
import { fieldError } from './field-error.js';
import { base64Field, boolField, contextField, keyVersionField, partialFailureField, referenceField } from './fields.js';
import { signatureHashSchema } from './hashing.js';
import type { HashAlgorithm } from './hashing.js';
import { optionalBytes, requiredBytes } from './item-inputs.js';
import { supportsSigning } from './key-types.js';
import type { KeyPolicy } from './policy.js';
import { signatureResponse } from './responses.js';
import { signWith } from './signing.js';
import type { SaltLength, SignatureOptions } from './signing.js';
import { versionForUse } from './version-rules.js';
import { formatVersioned } from './versioned-value.js';

/** Fields shaping a signature, shared by sign and verify. */
export const signatureFields = {
  hash_algorithm: signatureHashSchema.optional().describe('Hash algorithm (default sha2-256); the path\'s wins. Ignored for ed25519.'),
  algorithm: signatureHashSchema.optional().describe('Older name of hash_algorithm.'),
  prehashed: boolField('The input is already a digest (ECDSA keys).').optional(),
  signature_algorithm: z.enum(['pss', 'pkcs1v15']).optional().describe('RSA scheme: pss (default) or pkcs1v15.'),
  marshaling_algorithm: z.enum(['asn1', 'jws']).optional().describe('asn1 (default; DER for ECDSA) or jws (r‖s for ECDSA, base64url).'),
  salt_length: z
    .union([z.enum(['auto', 'hash']), z.int().min(0).max(1024), z.string().regex(/^[0-9]{1,4}$/)])
    .optional()
    .describe('RSA-PSS salt length: auto (default), hash, or a number of bytes.'),
  partial_failure_response_code: partialFailureField.optional(),
};

type SignatureFieldValues = {
  hash_algorithm?: HashAlgorithm | undefined;
  algorithm?: HashAlgorithm | undefined;
  prehashed?: boolean | undefined;
  signature_algorithm?: 'pss' | 'pkcs1v15' | undefined;
  marshaling_algorithm?: 'asn1' | 'jws' | undefined;
  salt_length?: 'auto' | 'hash' | number | string | undefined;
};

/** The signature options of a request, the path's hash algorithm first. */
export function signatureOptions(ctx: TransitContext, body: SignatureFieldValues, context: Uint8Array<ArrayBuffer>): SignatureOptions {
  let hash: HashAlgorithm = body.hash_algorithm ?? body.algorithm ?? 'sha2-256';
  const fromPath = ctx.params.algorithm;
  if (fromPath !== undefined) {
    const parsed = signatureHashSchema.safeParse(fromPath);
    if (!parsed.success) throw fieldError('hash_algorithm', `must be one of ${signatureHashSchema.options.join(', ')}`);
    hash = parsed.data;
  }
  const salt = body.salt_length ?? 'auto';
  const saltLength: SaltLength = typeof salt === 'string' && salt !== 'auto' && salt !== 'hash' ? Number(salt) : salt;
  return {
    hash,
    prehashed: body.prehashed ?? false,
    signatureAlgorithm: body.signature_algorithm ?? 'pss',
    marshaling: body.marshaling_algorithm ?? 'asn1',
    saltLength,
    context,
  };
}

/** Checks that `policy` can sign and verify. */
export function requireSigningKey(policy: KeyPolicy): void {
  if (!supportsSigning(policy.type)) throw fieldError('name', `names a ${policy.type} key, which does not support signing`);
}

/** One item to sign. */
export const signItemSchema = z.object({
  input: base64Field('Base64 input (or digest, with prehashed).'),
  context: contextField.optional(),
  reference: referenceField.optional(),
});

type SignItem = z.output<typeof signItemSchema>;

/** Body of `sign/{name}`. */
export const signBody = signItemSchema.partial().extend({
  ...signatureFields,
  key_version: keyVersionField.optional(),
  batch_input: batchInputSchema.optional(),
});

async function signItem(ctx: TransitContext, policy: KeyPolicy, version: number, body: SignatureFieldValues, item: SignItem): Promise<SafeJsonObject> {
  const material = await ctx.state.keys.material(policy, version);
  const opts = signatureOptions(ctx, body, optionalBytes(item.context, 'context'));
  const { signature, derivedPublicKey } = await signWith(ctx.runtime, policy, material, requiredBytes(item.input, 'input'), opts);
  return {
    signature: formatVersioned(version, signature, opts.marshaling === 'jws'),
    key_version: version,
    ...(derivedPublicKey === null ? {} : { public_key: toBase64(derivedPublicKey) }),
  };
}

/** `update` on `sign/{name}` and `sign/{name}/{algorithm}`. */
export const signOperation = transit.defineOperation({
  summary: 'Sign',
  description:
    'Signs base64 input (or each batch_input item) with the named asymmetric key: ECDSA (asn1 or jws marshalling, prehashed allowed), ed25519, or RSA (pss or pkcs1v15). Returns vault:v{n}:<base64>.',
  body: signBody,
  query: noQuery,
  response: signatureResponse,
  sensitive: ['input', 'batch_input'],
  async handler(ctx) {
    const name = keyNameOf(ctx);
    const { body } = ctx;
    const batch = body.batch_input;
    if (batch !== undefined) refuseMixedBatch(body, ['input', 'context', 'reference']);
    else if (body.input === undefined) throw new ValidationError('invalid request: input is required', [{ field: 'input', reason: 'is required' }]);
    const policy = await ctx.state.keys.requirePolicy(name);
    requireSigningKey(policy);
    const version = versionForUse(policy, body.key_version ?? 0);
    // Options are checked once up front, so a bad option fails the request rather than every item.
    signatureOptions(ctx, body, new Uint8Array(0));
    if (batch !== undefined) {
      return { data: { batch_results: await runBatch(batch, signItemSchema, (item) => signItem(ctx, policy, version, body, item)) }, cache: 'no-store' };
    }
    return { data: await signItem(ctx, policy, version, body, { input: body.input ?? '', context: body.context }), cache: 'no-store' };
  },
});
