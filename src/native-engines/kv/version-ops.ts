/**
 * Version lifecycle: `delete` (soft, reversible), `undelete`, and `destroy` (permanent).
 * All are idempotent: a missing secret or version is not an error, as in Vault.
 */

import { noBody, noQuery } from '../framework/engine-kit.js';
import type { KvContext } from './context.js';
import { kv, nowOf, requireSecretPath } from './context.js';
import { loadMetadata, rfc3339, saveMetadata } from './metadata.js';
import type { KvMetadata } from './metadata.js';
import { refuseConditions } from './preconditions.js';
import { deleteQuery, versionsBody } from './schemas.js';
import { existingVersions, isDeleted } from './versions.js';
import { deleteVersionData } from './write-version.js';

/**
 * Runs `change` on the metadata of `p` under its lock and saves it when `change` says it
 * changed something. A missing secret is left alone.
 */
async function changeVersions(
  ctx: KvContext,
  p: string,
  change: (metadata: KvMetadata, nowMs: number) => Promise<boolean>,
): Promise<void> {
  await ctx.state.locks.run(p, async () => {
    const metadata = await loadMetadata(ctx.storage, p);
    if (metadata === null) return;
    const nowMs = nowOf(ctx);
    if (await change(metadata, nowMs)) {
      metadata.updated_time = rfc3339(nowMs);
      await saveMetadata(ctx.storage, p, metadata);
    }
  });
}

/** `delete`: soft-deletes the current version, or the versions listed in `versions`. */
export const deleteOperation = kv.defineOperation({
  summary: 'Soft-delete versions of a secret',
  description:
    'Marks the current version, or each version listed in `versions`, as deleted: reads of it return 404 until it is undeleted. Destroyed versions and versions already deleted are left as they are. Deleting a missing secret succeeds.',
  body: noBody,
  query: deleteQuery,
  async handler(ctx) {
    const p = requireSecretPath(ctx);
    refuseConditions(ctx.req.preconditions);
    await changeVersions(ctx, p, async (metadata, nowMs) => {
      const wanted = ctx.query.versions ?? [metadata.current_version];
      let changed = false;
      for (const [, info] of existingVersions(metadata, wanted)) {
        if (info.destroyed || isDeleted(info, nowMs)) continue;
        info.deletion_time = rfc3339(nowMs);
        changed = true;
      }
      return changed;
    });
    return { status: 204 };
  },
});

/** `undelete`: clears the deletion (done or scheduled) of the listed versions. */
export const undeleteOperation = kv.defineOperation({
  summary: 'Undelete versions of a secret',
  description:
    'Restores soft-deleted versions (and cancels a scheduled deletion from delete_version_after). Destroyed versions cannot be restored.',
  body: versionsBody,
  query: noQuery,
  async handler(ctx) {
    const p = requireSecretPath(ctx);
    refuseConditions(ctx.req.preconditions);
    await changeVersions(ctx, p, async (metadata) => {
      let changed = false;
      for (const [, info] of existingVersions(metadata, ctx.body.versions)) {
        if (info.destroyed || info.deletion_time === '') continue;
        info.deletion_time = '';
        changed = true;
      }
      return changed;
    });
    return { status: 204 };
  },
});

/** `destroy`: permanently deletes the data of the listed versions. */
export const destroyOperation = kv.defineOperation({
  summary: 'Destroy versions of a secret',
  description:
    'Permanently deletes the data of the listed versions; their metadata entries remain, marked destroyed. This cannot be undone.',
  body: versionsBody,
  query: noQuery,
  async handler(ctx) {
    const p = requireSecretPath(ctx);
    refuseConditions(ctx.req.preconditions);
    await changeVersions(ctx, p, async (metadata) => {
      const targets = existingVersions(metadata, ctx.body.versions).filter(([, info]) => !info.destroyed);
      // Data first: if the metadata write then fails, the version already reads as
      // destroyed (its data is gone), which is what the caller asked for.
      await deleteVersionData(
        ctx,
        p,
        targets.map(([version]) => version),
      );
      for (const [, info] of targets) info.destroyed = true;
      return targets.length > 0;
    });
    return { status: 204 };
  },
});
