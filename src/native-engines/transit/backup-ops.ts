/**
 * `backup/{name}` and `restore[/{name}]`: a key's policy and material in plaintext, for keys
 * created or configured with `allow_plaintext_backup` (and `exportable`, as Vault requires).
 */

import { z } from 'zod';
import { NotFoundError, sensitive } from '../../core/index.js';
import { noBody, noQuery } from '../framework/engine-kit.js';
import { isKeyName, keyNameOf, transit } from './context.js';
import { checkBackup, decodeBackup, encodeBackup } from './backup-format.js';
import { fieldError } from './field-error.js';
import { boolField } from './fields.js';
import { incarnationFolder } from './layout.js';
import { saveMaterial, toStored } from './material.js';
import type { StoredMaterial } from './material.js';
import { lowestKept, savePolicy } from './policy.js';
import type { KeyPolicy } from './policy.js';
import { deleteFolder } from './purge.js';

/** `read` on `backup/{name}`. */
export const backupOperation = transit.defineOperation({
  summary: 'Back up a key',
  description:
    'Returns the key (settings and every kept version\'s material) as one base64 string, for restore. Only for keys with allow_plaintext_backup and exportable; records backup_info on the key.',
  body: noBody,
  query: noQuery,
  response: z.object({ backup: z.string() }),
  sensitive: ['backup'],
  async handler(ctx) {
    const name = keyNameOf(ctx);
    const { keys } = ctx.state;
    const backup = await keys.write(name, async (current) => {
      if (current === null) throw new NotFoundError('no such key');
      if (!current.exportable) throw fieldError('name', 'names a key that is not exportable, so it cannot be backed up');
      if (!current.allow_plaintext_backup) throw fieldError('name', 'names a key without allow_plaintext_backup');
      const next: KeyPolicy = { ...current, backup_info: { time_ms: ctx.runtime.now(), version: current.latest_version } };
      await savePolicy(ctx.storage, next);
      keys.remember(next);
      const versions: Record<string, StoredMaterial> = {};
      for (let v = lowestKept(next); v <= next.latest_version; v++) versions[String(v)] = toStored(await keys.material(next, v));
      return encodeBackup(next, versions);
    });
    return { data: { backup: sensitive(backup) }, cache: 'no-store' };
  },
});

/** Body of `restore`. */
export const restoreBody = z.object({
  backup: z.string().max(1_500_000).describe('The string backup/{name} returned.'),
  name: z.string().max(128).describe('Name to restore as (default: the path\'s, else the backed-up name).').optional(),
  force: boolField('Replace an existing key of that name.').optional(),
});

/** `update` on `restore` and `restore/{name}`. */
export const restoreOperation = transit.defineOperation({
  summary: 'Restore a key',
  description:
    'Restores a key from a backup, under the path\'s name, the body\'s name, or the backed-up name. An existing key is replaced only with force. Every version is checked before anything is stored.',
  body: restoreBody,
  query: noQuery,
  sensitive: ['backup'],
  async handler(ctx) {
    const backup = decodeBackup(ctx.body.backup);
    const name = ctx.params.name !== undefined ? keyNameOf(ctx) : (ctx.body.name ?? backup.policy.name);
    if (!isKeyName(name)) throw fieldError('name', 'must be 1 to 128 letters, digits, "_", "-", "." or "@"');
    const { policy: restored, materials } = await checkBackup(ctx.runtime, backup);
    const { keys } = ctx.state;
    await keys.write(name, async (current) => {
      if (current !== null && ctx.body.force !== true) throw fieldError('name', 'names an existing key: set force to replace it');
      const now = ctx.runtime.now();
      const id = ctx.runtime.randomUUID();
      for (const material of materials) await saveMaterial(ctx.storage, name, id, material);
      const policy: KeyPolicy = { ...restored, name, id, restore_info: { time_ms: now, version: restored.latest_version } };
      await savePolicy(ctx.storage, policy);
      keys.forget(name);
      keys.remember(policy);
      if (current !== null) await deleteFolder(ctx.storage, incarnationFolder(name, current.id));
    });
    return { status: 204 };
  },
});
