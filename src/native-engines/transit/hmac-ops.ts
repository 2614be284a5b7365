/**
 * HMACs with a key's per-version HMAC key (or an `hmac` key's own key), as Vault:
 * `hmac/{name}[/{algorithm}]` makes them, `verify` checks them (see verify.ts) in constant
 * time.
 */

import { z } from 'zod';
import { ValidationError, constantTimeEqual, fromBase64 } from '../../core/index.js';
import type { Runtime, SafeJsonObject } from '../../core/index.js';
import { noQuery } from '../framework/engine-kit.js';
import { batchInputSchema, refuseMixedBatch, runBatch } from './batch.js';
import { keyNameOf, transit } from './context.js';
import type { TransitContext } from './context.js';
import { fieldError } from './field-error.js';
import { base64Field, keyVersionField, partialFailureField, referenceField } from './fields.js';
import { hashAlgorithmSchema, hmacBytes } from './hashing.js';
import type { HashAlgorithm } from './hashing.js';
import { requiredBytes } from './item-inputs.js';
import type { KeyRing } from './key-ring.js';
import { importedKey } from './material.js';
import type { KeyMaterial } from './material.js';
import type { KeyPolicy } from './policy.js';
import { hmacResponse } from './responses.js';
import { checkReadableVersion, versionForUse } from './version-rules.js';
import { formatVersioned, parseVersioned } from './versioned-value.js';

/** The HMAC of `input` with version `material` of `policy`. */
export async function hmacWith(runtime: Runtime, policy: KeyPolicy, material: KeyMaterial, algorithm: HashAlgorithm, input: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const key = policy.type === 'hmac' && material.key !== null ? material.key : material.hmacKey;
  return hmacBytes(runtime.subtle, algorithm, key, input, (hash) =>
    importedKey(material, `hmac/${hash}`, () => runtime.subtle.importKey('raw', key, { name: 'HMAC', hash }, false, ['sign'])),
  );
}

/** Checks a `vault:v{n}:` HMAC over `input` in constant time; throws a `fieldError` on `hmac` when it is malformed or too old. */
export async function verifyHmac(runtime: Runtime, keys: KeyRing, policy: KeyPolicy, algorithm: HashAlgorithm, input: Uint8Array<ArrayBuffer>, hmac: string): Promise<boolean> {
  const parsed = parseVersioned(hmac, 'hmac');
  const version = checkReadableVersion(policy, parsed.version, 'hmac');
  const given = fromBase64(parsed.body);
  if (given === null) throw fieldError('hmac', 'is invalid: it could not be decoded as base64');
  const expected = await hmacWith(runtime, policy, await keys.material(policy, version), algorithm, input);
  return constantTimeEqual(expected, given);
}

/** One item to HMAC. */
export const hmacItemSchema = z.object({
  input: base64Field('Base64 input.'),
  reference: referenceField.optional(),
});

/** Body of `hmac/{name}`. */
export const hmacBody = hmacItemSchema.partial().extend({
  algorithm: hashAlgorithmSchema.optional().describe('Hash algorithm (default sha2-256); the path\'s algorithm wins.'),
  key_version: keyVersionField.optional(),
  batch_input: batchInputSchema.optional(),
  partial_failure_response_code: partialFailureField.optional(),
});

/** The algorithm named by the path, else the body, else sha2-256. */
export function algorithmOf(ctx: TransitContext, fromBody: HashAlgorithm | undefined): HashAlgorithm {
  const fromPath = ctx.params.algorithm;
  if (fromPath === undefined) return fromBody ?? 'sha2-256';
  const parsed = hashAlgorithmSchema.safeParse(fromPath);
  if (!parsed.success) throw fieldError('algorithm', `must be one of ${hashAlgorithmSchema.options.join(', ')}`);
  return parsed.data;
}

/** `update` on `hmac/{name}` and `hmac/{name}/{algorithm}`. */
export const hmacOperation = transit.defineOperation({
  summary: 'Generate an HMAC',
  description: 'HMAC of base64 input (or of each batch_input item) with the named key\'s HMAC key, as vault:v{n}:<base64>. Any key type has one; an hmac key uses its own key.',
  body: hmacBody,
  query: noQuery,
  response: hmacResponse,
  sensitive: ['input', 'batch_input'],
  async handler(ctx) {
    const name = keyNameOf(ctx);
    const { body } = ctx;
    const algorithm = algorithmOf(ctx, body.algorithm);
    const batch = body.batch_input;
    if (batch !== undefined) refuseMixedBatch(body, ['input', 'reference']);
    else if (body.input === undefined) throw new ValidationError('invalid request: input is required', [{ field: 'input', reason: 'is required' }]);
    const policy = await ctx.state.keys.requirePolicy(name);
    const version = versionForUse(policy, body.key_version ?? 0);
    const material = await ctx.state.keys.material(policy, version);
    const one = async (input: string): Promise<SafeJsonObject> => ({
      hmac: formatVersioned(version, await hmacWith(ctx.runtime, policy, material, algorithm, requiredBytes(input, 'input'))),
      key_version: version,
    });
    if (batch !== undefined) return { data: { batch_results: await runBatch(batch, hmacItemSchema, (item) => one(item.input)) }, cache: 'no-store' };
    return { data: await one(body.input ?? ''), cache: 'no-store' };
  },
});
