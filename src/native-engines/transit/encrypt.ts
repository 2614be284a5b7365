/**
 * `encrypt/{name}`: one plaintext or a batch. With operation `create` (the key does not exist
 * and the caller may create), the key is made first, as Vault's upsert: derived when the
 * items carry a context.
 */

import { z } from 'zod';
import { ValidationError } from '../../core/index.js';
import type { OperationResponse, SafeJsonObject } from '../../core/index.js';
import { noQuery } from '../framework/engine-kit.js';
import { batchInputSchema, refuseMixedBatch, runBatch } from './batch.js';
import { keyNameOf, transit } from './context.js';
import type { TransitContext } from './context.js';
import { encryptValue } from './encryption.js';
import { fieldError } from './field-error.js';
import { base64Field, boolField, contextField, keyVersionField, nonceField, partialFailureField, referenceField } from './fields.js';
import { cipherInputsOf, refuseNonce, requiredBytes } from './item-inputs.js';
import { isAead, keyTypeSchema, supportsEncryption } from './key-types.js';
import { createKey } from './lifecycle.js';
import type { KeyPolicy } from './policy.js';
import { ciphertextResponse } from './responses.js';
import { versionForUse } from './version-rules.js';

/** One item to encrypt. */
export const encryptItemSchema = z.object({
  plaintext: base64Field('Base64 plaintext.'),
  context: contextField.optional(),
  associated_data: base64Field('Base64 associated data, authenticated but not encrypted (AEAD keys).', 16_384).optional(),
  key_version: keyVersionField.optional(),
  nonce: nonceField.optional(),
  reference: referenceField.optional(),
});

type EncryptItem = z.output<typeof encryptItemSchema>;

/** Body of `encrypt/{name}`. */
export const encryptBody = encryptItemSchema.partial().extend({
  batch_input: batchInputSchema.optional(),
  type: keyTypeSchema.optional().describe('Type of the key to create when it does not exist (upsert); default aes256-gcm96.'),
  convergent_encryption: boolField('Make the key created on upsert convergent (requires context).').optional(),
  partial_failure_response_code: partialFailureField.optional(),
});

type EncryptBody = z.output<typeof encryptBody>;

/** Encrypts one item with `policy`; the item's result. */
export async function encryptItem(ctx: TransitContext, policy: KeyPolicy, item: EncryptItem): Promise<SafeJsonObject> {
  refuseNonce(item.nonce);
  const plaintext = requiredBytes(item.plaintext, 'plaintext');
  const inputs = cipherInputsOf(item);
  const version = versionForUse(policy, item.key_version ?? 0);
  const material = await ctx.state.keys.material(policy, version);
  return { ciphertext: await encryptValue(ctx.runtime, policy, material, plaintext, inputs), key_version: version };
}

/** Checks that `policy` can encrypt; throws `ValidationError` naming the key. */
export function requireEncryptionKey(policy: KeyPolicy): void {
  if (!supportsEncryption(policy.type)) throw fieldError('name', `names a ${policy.type} key, which does not support encryption`);
}

function contextGiven(item: unknown): boolean {
  if (typeof item !== 'object' || item === null) return false;
  const context: unknown = Reflect.get(item, 'context');
  return typeof context === 'string' && context !== '';
}

async function keyFor(ctx: TransitContext<EncryptBody>, name: string, items: readonly unknown[], upsert: boolean): Promise<{ policy: KeyPolicy; warnings: string[] }> {
  if (!upsert) return { policy: await ctx.state.keys.requirePolicy(name), warnings: [] };
  const type = ctx.body.type ?? 'aes256-gcm96';
  if (!isAead(type)) throw fieldError('type', 'must be aes128-gcm96, aes256-gcm96 or chacha20-poly1305 when encrypt creates the key');
  const derived = contextGiven(items[0]);
  const convergent = ctx.body.convergent_encryption ?? false;
  if (convergent && !derived) throw fieldError('convergent_encryption', 'requires a context, so the created key is derived');
  const deps = { storage: ctx.storage, runtime: ctx.runtime, keys: ctx.state.keys };
  const { policy, created } = await createKey(deps, name, {
    type,
    derived,
    convergent,
    exportable: false,
    allowPlaintextBackup: false,
    autoRotatePeriodMs: 0,
    keySize: 0,
  });
  return { policy, warnings: created ? [] : ['the key already existed, so encrypt did not create it'] };
}

async function handle(ctx: TransitContext<EncryptBody>, upsert: boolean): Promise<OperationResponse> {
  const name = keyNameOf(ctx);
  const { body } = ctx;
  const batch = body.batch_input;
  if (batch !== undefined) refuseMixedBatch(body, ['plaintext', 'context', 'associated_data', 'key_version', 'nonce', 'reference']);
  else if (body.plaintext === undefined) throw new ValidationError('invalid request: plaintext is required', [{ field: 'plaintext', reason: 'is required' }]);
  const items: readonly unknown[] = batch ?? [body];
  // Vault's rule: a derived key needs a context on every item, so a batch must not mix them.
  const withContext = items.filter(contextGiven).length;
  if (withContext !== 0 && withContext !== items.length) throw fieldError('context', 'must be given in every batch item or in none');
  const { policy, warnings } = await keyFor(ctx, name, items, upsert);
  requireEncryptionKey(policy);
  const extra = warnings.length > 0 ? { warnings } : {};
  if (batch !== undefined) {
    const results = await runBatch(batch, encryptItemSchema, (item) => encryptItem(ctx, policy, item));
    return { data: { batch_results: results }, ...extra, cache: 'no-store' };
  }
  const { plaintext, context, associated_data, key_version, nonce } = body;
  const result = await encryptItem(ctx, policy, { plaintext: plaintext ?? '', context, associated_data, key_version, nonce });
  return { data: result, ...extra, cache: 'no-store' };
}

const description =
  'Encrypts base64 plaintext with the named key, or each item of batch_input. Returns vault:v{n}:<base64> ciphertexts. Nonces are always generated by Keygate. With create permission on a missing key, creates it first (type, convergent_encryption; derived when a context is given).';

/** `update` on `encrypt/{name}`: the key must exist. */
export const encryptOperation = transit.defineOperation({
  summary: 'Encrypt',
  description,
  body: encryptBody,
  query: noQuery,
  response: ciphertextResponse,
  sensitive: ['plaintext', 'batch_input'],
  handler: (ctx) => handle(ctx, false),
});

/** `create` on `encrypt/{name}`: the key does not exist yet; make it, then encrypt. */
export const encryptUpsertOperation = transit.defineOperation({
  summary: 'Encrypt, creating the key',
  description,
  body: encryptBody,
  query: noQuery,
  response: ciphertextResponse,
  sensitive: ['plaintext', 'batch_input'],
  handler: (ctx) => handle(ctx, true),
});

