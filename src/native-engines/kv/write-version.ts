/**
 * The one write path every new version takes (create, update, patch, rotate): under the
 * secret's lock, check the write conditions, write the version's data, then the metadata
 * that makes it visible, then delete what pruning dropped. A crash between the steps leaves
 * an invisible orphan blob (overwritten by the next write), never metadata pointing at
 * nothing.
 */

import { GatewayError, NotFoundError, isJsonObject } from '../../core/index.js';
import type { JsonObject } from '../../core/index.js';
import type { KvContext } from './context.js';
import { dataKey } from './layout.js';
import {
  effectiveCasRequired,
  effectiveDeleteAfterMs,
  effectiveMaxVersions,
  emptyMetadata,
  loadMetadata,
  rfc3339,
  saveMetadata,
} from './metadata.js';
import type { KvMetadata, VersionInfo } from './metadata.js';
import { checkWriteConditions } from './preconditions.js';
import type { WriteConditions } from './preconditions.js';
import { decodeJson, encodeJson } from '../framework/stored-json.js';
import { pruneVersions, versionState } from './versions.js';

/** What a successful write reports. */
export interface WrittenVersion {
  version: number;
  created_time: string;
}

/**
 * Builds the new version from the existing metadata (null for a new secret). Runs under
 * the lock, before the write conditions are checked; may throw (404, 400).
 */
export type BuildSecret = (metadata: KvMetadata | null) => Promise<JsonObject>;

/**
 * Reads the data of `version` of `p`, which must be readable at `nowMs`. Throws
 * `NotFoundError` saying which of secret, version, deleted or destroyed is the reason.
 */
export async function readVersionData(
  ctx: Pick<KvContext, 'storage'>,
  p: string,
  metadata: KvMetadata | null,
  version: number | undefined,
  nowMs: number,
): Promise<{ version: number; data: JsonObject; info: VersionInfo }> {
  if (metadata === null) throw new NotFoundError('no such secret');
  const wanted = version ?? metadata.current_version;
  if (wanted === 0) throw new NotFoundError('the secret has no versions');
  const info = metadata.versions[String(wanted)];
  const state = versionState(metadata, wanted, nowMs);
  if (state === 'missing' || info === undefined) throw new NotFoundError(`no such version: ${wanted}`);
  if (state === 'deleted') throw new NotFoundError(`version ${wanted} is deleted`);
  if (state === 'destroyed') throw new NotFoundError(`version ${wanted} is destroyed`);
  const bytes = await ctx.storage.get(dataKey(p, wanted));
  // Destroy removes the data before marking the metadata; a crash in between reads as destroyed.
  if (bytes === null) throw new NotFoundError(`version ${wanted} is destroyed`);
  const data = decodeJson(bytes, 'secret');
  if (!isJsonObject(data)) throw new GatewayError('ERR_INTERNAL', 'stored secret is unreadable');
  return { version: wanted, data, info };
}

/**
 * Writes a new version of `p` built by `build`, honouring `conditions` (cas, If-Match,
 * If-None-Match, cas_required) and pruning beyond the kept number of versions.
 */
export async function writeVersion(
  ctx: KvContext,
  p: string,
  conditions: WriteConditions,
  build: BuildSecret,
): Promise<WrittenVersion> {
  return ctx.state.locks.run(p, async () => {
    const existing = await loadMetadata(ctx.storage, p);
    const secret = await build(existing);
    const current = existing?.current_version ?? 0;
    checkWriteConditions(conditions, current, effectiveCasRequired(existing, ctx.options));

    const nowMs = ctx.runtime.now();
    const version = current + 1;
    if (!Number.isSafeInteger(version)) throw new GatewayError('ERR_CONFLICT', 'the secret has run out of version numbers');
    const metadata: KvMetadata = existing ?? emptyMetadata(nowMs);
    const createdTime = rfc3339(nowMs);
    const deleteAfter = effectiveDeleteAfterMs(metadata, ctx.options);

    await ctx.storage.put(dataKey(p, version), encodeJson(secret));

    metadata.versions[String(version)] = {
      created_time: createdTime,
      deletion_time: deleteAfter > 0 ? rfc3339(nowMs + deleteAfter) : '',
      destroyed: false,
    };
    metadata.current_version = version;
    if (metadata.oldest_version === 0) metadata.oldest_version = version;
    metadata.updated_time = createdTime;
    const dropped = pruneVersions(metadata, effectiveMaxVersions(metadata, ctx.options));
    await saveMetadata(ctx.storage, p, metadata);
    await deleteVersionData(ctx, p, dropped);
    return { version, created_time: createdTime };
  });
}

/** Deletes the data blobs of `versions` of `p` (already gone is fine). */
export async function deleteVersionData(ctx: Pick<KvContext, 'storage'>, p: string, versions: readonly number[]): Promise<void> {
  for (const version of versions) await ctx.storage.delete(dataKey(p, version));
}
