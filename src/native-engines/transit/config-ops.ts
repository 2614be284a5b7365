/**
 * `keys/{name}/config` and `keys/{name}/trim`, with Vault's rules: the minimum versions stay
 * within `min_available_version … latest_version`; `exportable` and `allow_plaintext_backup`
 * can be switched on, never off; trimming deletes material only below a minimum both
 * encryption and decryption have already left behind.
 */

import { z } from 'zod';
import { NotFoundError, ttlSchema } from '../../core/index.js';
import { noQuery } from '../framework/engine-kit.js';
import { keyNameOf, transit } from './context.js';
import { fieldError } from './field-error.js';
import { boolField, intField } from './fields.js';
import { describeKey } from './key-info.js';
import { materialKey } from './layout.js';
import { MIN_AUTO_ROTATE_MS } from './lifecycle.js';
import { lowestKept, savePolicy } from './policy.js';
import type { KeyPolicy } from './policy.js';
import { keyDescriptionSchema } from './responses.js';

const VERSION_MAX = 2_147_483_647;

/** Body of `keys/{name}/config`: only the fields given change. */
export const keyConfigBody = z.object({
  min_decryption_version: intField(0, VERSION_MAX, 'Oldest version that may decrypt or verify (0 means 1).').optional(),
  min_encryption_version: intField(0, VERSION_MAX, 'Oldest version that may encrypt, sign or HMAC; 0 allows only the latest by default.').optional(),
  deletion_allowed: boolField('Whether the key may be deleted.').optional(),
  exportable: boolField('Allow export (cannot be switched off).').optional(),
  allow_plaintext_backup: boolField('Allow plaintext backups (cannot be switched off).').optional(),
  auto_rotate_period: ttlSchema.optional(),
});

/** Applies a config body to `current`; returns the new policy and warnings. Throws `ValidationError` as Vault refuses. */
export function applyConfig(current: KeyPolicy, body: z.output<typeof keyConfigBody>): { next: KeyPolicy; warnings: string[] } {
  const next: KeyPolicy = { ...current };
  const warnings: string[] = [];
  if (body.min_decryption_version !== undefined) {
    let min = body.min_decryption_version;
    if (min === 0) {
      min = 1;
      warnings.push('transit key numbering starts at 1; min_decryption_version set to 1');
    }
    if (min > current.latest_version) throw fieldError('min_decryption_version', 'cannot be higher than the latest key version');
    next.min_decryption_version = min;
  }
  if (body.min_encryption_version !== undefined) {
    if (body.min_encryption_version > current.latest_version) throw fieldError('min_encryption_version', 'cannot be higher than the latest key version');
    next.min_encryption_version = body.min_encryption_version;
  }
  if (next.min_encryption_version > 0 && next.min_encryption_version < next.min_decryption_version) {
    throw fieldError('min_encryption_version', 'must be 0 or at least min_decryption_version');
  }
  if (body.deletion_allowed !== undefined) next.deletion_allowed = body.deletion_allowed;
  // Irreversible, as in Vault: `false` is accepted and ignored once set.
  if (body.exportable === true) next.exportable = true;
  if (body.allow_plaintext_backup === true) next.allow_plaintext_backup = true;
  if (body.auto_rotate_period !== undefined) {
    if (body.auto_rotate_period !== 0 && body.auto_rotate_period < MIN_AUTO_ROTATE_MS) {
      throw fieldError('auto_rotate_period', 'must be 0 (disabled) or at least one hour');
    }
    next.auto_rotate_period_ms = body.auto_rotate_period;
  }
  if (next.min_available_version > next.min_decryption_version) {
    throw fieldError('min_decryption_version', 'cannot be lower than min_available_version: those versions were trimmed');
  }
  if (next.min_available_version > 0 && next.min_available_version > next.min_encryption_version) {
    throw fieldError('min_encryption_version', 'cannot be lower than min_available_version: those versions were trimmed');
  }
  return { next, warnings };
}

/** `update` on `keys/{name}/config`. */
export const keyConfigOperation = transit.defineOperation({
  summary: 'Configure a key',
  description:
    'Sets min_decryption_version, min_encryption_version, deletion_allowed, exportable, allow_plaintext_backup and auto_rotate_period. exportable and allow_plaintext_backup cannot be switched off once on.',
  body: keyConfigBody,
  query: noQuery,
  response: keyDescriptionSchema,
  async handler(ctx) {
    const name = keyNameOf(ctx);
    const { keys } = ctx.state;
    const { policy, warnings } = await keys.write(name, async (current) => {
      if (current === null) throw new NotFoundError('no such key');
      const { next, warnings: notes } = applyConfig(current, ctx.body);
      await savePolicy(ctx.storage, next);
      keys.remember(next);
      return { policy: next, warnings: notes };
    });
    return {
      data: await describeKey(ctx.runtime, keys, policy, new Uint8Array(0)),
      ...(warnings.length > 0 ? { warnings } : {}),
      cache: 'no-store',
    };
  },
});

/** Body of `keys/{name}/trim`. */
export const trimBody = z.object({
  min_available_version: intField(1, VERSION_MAX, 'Versions below this are deleted for good; at most min_decryption_version and min_encryption_version.'),
});

/** `update` on `keys/{name}/trim`: permanently deletes the material of versions below `min_available_version`. */
export const trimOperation = transit.defineOperation({
  summary: 'Trim old key versions',
  description:
    'Deletes the material of every version below min_available_version, for good. Refused unless min_encryption_version is set and the new minimum is at most both min_encryption_version and min_decryption_version; it never moves down.',
  body: trimBody,
  query: noQuery,
  response: keyDescriptionSchema,
  async handler(ctx) {
    const name = keyNameOf(ctx);
    const { keys } = ctx.state;
    const wanted = ctx.body.min_available_version;
    const policy = await keys.write(name, async (current) => {
      if (current === null) throw new NotFoundError('no such key');
      if (wanted < current.min_available_version) throw fieldError('min_available_version', 'cannot be decreased');
      if (current.min_encryption_version === 0) throw fieldError('min_available_version', 'cannot be set while min_encryption_version is 0');
      if (wanted > current.min_encryption_version) throw fieldError('min_available_version', 'cannot be higher than min_encryption_version');
      if (wanted > current.min_decryption_version) throw fieldError('min_available_version', 'cannot be higher than min_decryption_version');
      const from = lowestKept(current);
      const versions = { ...current.versions };
      for (let v = from; v < wanted; v++) delete versions[String(v)];
      const next: KeyPolicy = { ...current, min_available_version: wanted, versions };
      // The policy first: once it no longer lists a version, nothing uses its material.
      await savePolicy(ctx.storage, next);
      keys.forget(name);
      keys.remember(next);
      for (let v = from; v < wanted; v++) await ctx.storage.delete(materialKey(name, current.id, v));
      return next;
    });
    return { data: await describeKey(ctx.runtime, keys, policy, new Uint8Array(0)), cache: 'no-store' };
  },
});
