/** A secret's metadata: `read-metadata`, `write-metadata`, `patch-metadata`, `delete-metadata`. */

import { NotFoundError, ValidationError, setOwn } from '../../core/index.js';
import { noBody, noQuery } from '../framework/engine-kit.js';
import type { KvContext } from './context.js';
import { kv, nowOf, requireSecretPath } from './context.js';
import { dataFolder, isVersionName, metaKey } from './layout.js';
import { effectiveMaxVersions, emptyMetadata, loadMetadata, rfc3339, saveMetadata } from './metadata.js';
import type { KvMetadata } from './metadata.js';
import { refuseConditions } from './preconditions.js';
import { MAX_CUSTOM_METADATA_KEYS, metadataResponse, patchMetadataBody, writeMetadataBody } from './schemas.js';
import type { z } from 'zod';
import { pruneVersions } from './versions.js';
import { deleteVersionData } from './write-version.js';

/** Pages of `data/<p>/` that delete-metadata sweeps for orphans (1,000 names each). */
const MAX_SWEEP_PAGES = 5;
const SWEEP_PAGE = 1000;

type Settings = Pick<z.output<typeof writeMetadataBody>, 'max_versions' | 'cas_required' | 'delete_version_after' | 'rotation'>;

function applySettings(metadata: KvMetadata, body: Settings): void {
  if (body.max_versions !== undefined) metadata.max_versions = body.max_versions;
  if (body.cas_required !== undefined) metadata.cas_required = body.cas_required;
  if (body.delete_version_after !== undefined) metadata.delete_version_after = body.delete_version_after;
  if (body.rotation !== undefined) metadata.rotation = body.rotation;
}

/** Saves changed metadata, then prunes to the (possibly lowered) number of kept versions. */
async function commit(ctx: KvContext, p: string, metadata: KvMetadata): Promise<void> {
  metadata.updated_time = rfc3339(nowOf(ctx));
  const dropped = pruneVersions(metadata, effectiveMaxVersions(metadata, ctx.options));
  await saveMetadata(ctx.storage, p, metadata);
  await deleteVersionData(ctx, p, dropped);
}

/** `read-metadata`: the version table and settings; never secret values. */
export const readMetadataOperation = kv.defineOperation({
  summary: 'Read a secret\'s metadata',
  description: 'Returns the version table (created, deletion and destroyed state per version) and the per-secret settings.',
  body: noBody,
  query: noQuery,
  response: metadataResponse,
  async handler(ctx) {
    const p = requireSecretPath(ctx);
    const metadata = await loadMetadata(ctx.storage, p);
    if (metadata === null) throw new NotFoundError('no such secret');
    // Changes only through writes to the secret, which invalidate it.
    return { data: metadata, etag: String(metadata.current_version), cache: { ttlMs: Infinity } };
  },
});

/** `write-metadata`: sets the given settings (creating metadata if there is none); lowering max_versions prunes. */
export const writeMetadataOperation = kv.defineOperation({
  summary: 'Write a secret\'s metadata',
  description:
    'Sets the given fields; fields not given keep their values. Creates the metadata of a secret that has none. custom_metadata is replaced whole. Lowering max_versions prunes older versions at once.',
  body: writeMetadataBody,
  query: noQuery,
  async handler(ctx) {
    const p = requireSecretPath(ctx);
    refuseConditions(ctx.req.preconditions);
    await ctx.state.locks.run(p, async () => {
      const metadata = (await loadMetadata(ctx.storage, p)) ?? emptyMetadata(nowOf(ctx));
      applySettings(metadata, ctx.body);
      if (ctx.body.custom_metadata !== undefined) metadata.custom_metadata = ctx.body.custom_metadata;
      await commit(ctx, p, metadata);
    });
    return { status: 204 };
  },
});

/** `patch-metadata`: like write-metadata, but merges custom_metadata (null removes a key); 404 when there is none. */
export const patchMetadataOperation = kv.defineOperation({
  summary: 'Patch a secret\'s metadata',
  description:
    'Sets the given fields, keeping the others; custom_metadata is merged, a null value removing that key. 404 when the secret has no metadata.',
  body: patchMetadataBody,
  query: noQuery,
  async handler(ctx) {
    const p = requireSecretPath(ctx);
    refuseConditions(ctx.req.preconditions);
    await ctx.state.locks.run(p, async () => {
      const metadata = await loadMetadata(ctx.storage, p);
      if (metadata === null) throw new NotFoundError('no such secret');
      applySettings(metadata, ctx.body);
      const patch = ctx.body.custom_metadata;
      if (patch !== undefined) {
        const merged: Record<string, string> = { ...(metadata.custom_metadata ?? {}) };
        for (const [key, value] of Object.entries(patch)) {
          if (value === null) delete merged[key];
          else setOwn(merged, key, value);
        }
        if (Object.keys(merged).length > MAX_CUSTOM_METADATA_KEYS) {
          throw new ValidationError('custom_metadata would have too many keys', [
            { field: 'custom_metadata', reason: `must have at most ${MAX_CUSTOM_METADATA_KEYS} keys after merging` },
          ]);
        }
        metadata.custom_metadata = merged;
      }
      await commit(ctx, p, metadata);
    });
    return { status: 204 };
  },
});

/**
 * Deletes stray version blobs under `data/<p>/` (left by interrupted writes). Version names
 * are digits, so the walk starts just before "0" and stops at the first name past "9";
 * sub-folders of other secrets are never touched. Bounded to a few pages.
 */
async function sweepOrphans(ctx: KvContext, p: string): Promise<void> {
  const folder = dataFolder(p);
  let after = '/';
  for (let page = 0; page < MAX_SWEEP_PAGES; page++) {
    const names = await ctx.storage.list(folder, { after, limit: SWEEP_PAGE });
    for (const name of names) {
      if (name.charCodeAt(0) > 0x39 /* past "9" */) return;
      if (isVersionName(name)) await ctx.storage.delete(folder + name);
    }
    const last = names[names.length - 1];
    if (names.length < SWEEP_PAGE || last === undefined) return;
    after = last;
  }
}

/** `delete-metadata`: deletes every version's data and the metadata; the secret is gone. */
export const deleteMetadataOperation = kv.defineOperation({
  summary: 'Delete a secret with all its versions',
  description: 'Permanently deletes every version\'s data and the metadata; the secret disappears from listings. Succeeds when the secret does not exist.',
  body: noBody,
  query: noQuery,
  async handler(ctx) {
    const p = requireSecretPath(ctx);
    refuseConditions(ctx.req.preconditions);
    await ctx.state.locks.run(p, async () => {
      const metadata = await loadMetadata(ctx.storage, p);
      // Data first, then the metadata: an interruption leaves a visible secret whose versions
      // read as destroyed, and repeating the call finishes the job.
      if (metadata !== null) await deleteVersionData(ctx, p, Object.keys(metadata.versions).map(Number));
      await sweepOrphans(ctx, p);
      await ctx.storage.delete(metaKey(p));
    });
    return { status: 204 };
  },
});
