/** `keys`, `keys/{name}` and `keys/{name}/rotate`: list, create, read, delete and rotate keys. */

import { z } from 'zod';
import { MAX_LIST_LIMIT, NotFoundError, ttlSchema } from '../../core/index.js';
import { noBody, noQuery } from '../framework/engine-kit.js';
import { isKeyName, keyNameOf, transit } from './context.js';
import type { TransitContext } from './context.js';
import { fieldError } from './field-error.js';
import { base64Field, boolField, decodeBase64, intField } from './fields.js';
import { describeKey } from './key-info.js';
import { keyTypeSchema } from './key-types.js';
import { POLICY_FOLDER, materialFolder, policyKey } from './layout.js';
import { createKey, rotateKey } from './lifecycle.js';
import { deleteFolder } from './purge.js';
import { keyDescriptionSchema } from './responses.js';

/** `list`: `?after=…&limit=n`. */
const listQuery = z.object({
  after: z.string().min(1).max(256).describe('Return only names that sort after this one (the previous page\'s next_after).').optional(),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/)
    .describe(`Most names to return (1–${MAX_LIST_LIMIT}, default ${MAX_LIST_LIMIT}).`)
    .optional(),
});

/** `list` on `keys`: key names, sorted, one bounded page at a time. */
export const listKeysOperation = transit.defineOperation({
  summary: 'List keys',
  description: `Names of the mount's keys, sorted. Pages hold at most \`limit\` names (default ${MAX_LIST_LIMIT}); a full page carries \`metadata.next_after\`.`,
  body: noBody,
  query: listQuery,
  response: z.object({ keys: z.array(z.string()) }),
  async handler(ctx) {
    const limit = Math.min(Number(ctx.query.limit ?? MAX_LIST_LIMIT), MAX_LIST_LIMIT);
    const names = await ctx.storage.list(POLICY_FOLDER, ctx.query.after === undefined ? { limit } : { after: ctx.query.after, limit });
    const keys = names.filter((name) => !name.endsWith('/') && isKeyName(name));
    const last = names[names.length - 1];
    return {
      data: { keys },
      ...(names.length === limit && last !== undefined ? { metadata: { next_after: last } } : {}),
      cache: 'no-store',
    };
  },
});

/** Body of `keys/{name}` writes. */
export const createKeyBody = z.object({
  type: keyTypeSchema.default('aes256-gcm96').describe('Key type; default aes256-gcm96.'),
  derived: boolField('Derive a key per request from a context (AEAD and ed25519 keys).').optional(),
  convergent_encryption: boolField('Deterministic encryption: equal plaintext and context give equal ciphertext (requires derived).').optional(),
  exportable: boolField('Allow export of the key material. Cannot be undone.').optional(),
  allow_plaintext_backup: boolField('Allow plaintext backups of the key. Cannot be undone.').optional(),
  auto_rotate_period: ttlSchema.optional(),
  key_size: intField(0, 512, 'Key size in bytes of an hmac key (32–512; default 32).').optional(),
});

async function describe(ctx: TransitContext, name: string, context: Uint8Array<ArrayBuffer> = new Uint8Array(0)) {
  return describeKey(ctx.runtime, ctx.state.keys, await ctx.state.keys.requirePolicy(name), context);
}

/** `create`/`update` on `keys/{name}`: creates the key (an existing key is left as it is, with a warning). */
export const createKeyOperation = transit.defineOperation({
  summary: 'Create a key',
  description:
    'Creates a named key of the given type with its first version. Writing an existing key changes nothing and answers with a warning; use keys/{name}/config to change settings.',
  body: createKeyBody,
  query: noQuery,
  response: keyDescriptionSchema,
  async handler(ctx) {
    const name = keyNameOf(ctx);
    const { body } = ctx;
    const { policy, created } = await createKey({ storage: ctx.storage, runtime: ctx.runtime, keys: ctx.state.keys }, name, {
      type: body.type,
      derived: body.derived ?? false,
      convergent: body.convergent_encryption ?? false,
      exportable: body.exportable ?? false,
      allowPlaintextBackup: body.allow_plaintext_backup ?? false,
      autoRotatePeriodMs: body.auto_rotate_period ?? 0,
      keySize: body.key_size ?? 0,
    });
    return {
      data: await describeKey(ctx.runtime, ctx.state.keys, policy, new Uint8Array(0)),
      ...(created ? {} : { warnings: [`key ${name} already existed`] }),
      cache: 'no-store',
    };
  },
});

/** `read` on `keys/{name}`. */
export const readKeyOperation = transit.defineOperation({
  summary: 'Read a key',
  description:
    'The key\'s type, settings and versions, with public keys for asymmetric types. For a derived ed25519 key, `context` selects the derived public keys shown.',
  body: noBody,
  query: z.object({ context: base64Field('Base64 derivation context (derived ed25519 keys).', 16_384).optional() }),
  response: keyDescriptionSchema,
  async handler(ctx) {
    const name = keyNameOf(ctx);
    const context = ctx.query.context === undefined ? new Uint8Array(0) : decodeBase64(ctx.query.context);
    if (context === null) throw fieldError('context', 'must be base64');
    return { data: await describe(ctx, name, context), cache: 'no-store' };
  },
});

/** `delete` on `keys/{name}`: only when `deletion_allowed`; the policy goes first, so the key is unusable at once. */
export const deleteKeyOperation = transit.defineOperation({
  summary: 'Delete a key',
  description: 'Deletes the key and every version of its material. Refused (400) unless the key\'s deletion_allowed is true.',
  body: noBody,
  query: noQuery,
  async handler(ctx) {
    const name = keyNameOf(ctx);
    const { keys } = ctx.state;
    await keys.write(name, async (current) => {
      if (current === null) throw new NotFoundError('no such key');
      if (!current.deletion_allowed) throw fieldError('deletion_allowed', 'is false for this key: set it with keys/{name}/config before deleting');
      await ctx.storage.delete(policyKey(name));
      keys.forget(name);
      await deleteFolder(ctx.storage, materialFolder(name));
    });
    return { status: 204 };
  },
});

/** `rotate` on `keys/{name}` (and `update` on `keys/{name}/rotate`): a new latest version. */
export const rotateKeyOperation = transit.defineOperation({
  summary: 'Rotate a key',
  description: 'Adds a new version of the key; new ciphertexts, signatures and HMACs use it. Older versions keep decrypting and verifying down to min_decryption_version.',
  body: noBody,
  query: noQuery,
  response: keyDescriptionSchema,
  async handler(ctx) {
    const name = keyNameOf(ctx);
    const policy = await rotateKey({ storage: ctx.storage, runtime: ctx.runtime, keys: ctx.state.keys }, name);
    return { data: await describeKey(ctx.runtime, ctx.state.keys, policy, new Uint8Array(0)), cache: 'no-store' };
  },
});
