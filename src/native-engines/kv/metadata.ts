/**
 * A secret's metadata: its version table and per-secret settings, stored at `meta/<p>`.
 * Metadata never holds secret values, so it may be returned whole by read-metadata.
 */

import { z } from 'zod';
import { GatewayError } from '../../core/index.js';
import type { Storage } from '../../core/index.js';
import { parseDuration } from '../../core/index.js';
import { metaKey } from './layout.js';
import type { KvOptions } from './options.js';
import { rotationConfigSchema } from '../../core/index.js';
import { decodeJson, encodeJson } from '../framework/stored-json.js';

const versionInfoSchema = z.object({
  created_time: z.string(),
  /** `""`, or when the version is (or will be) soft-deleted. */
  deletion_time: z.string(),
  destroyed: z.boolean(),
});

/** Schema of stored metadata; also the response schema of read-metadata. */
export const kvMetadataSchema = z.object({
  current_version: z.int().min(0),
  oldest_version: z.int().min(0),
  max_versions: z.int().min(0).describe('Versions kept; 0 means the mount default.'),
  cas_required: z.boolean(),
  delete_version_after: z.string().describe('"0s" means the mount default.'),
  custom_metadata: z.record(z.string(), z.string()).nullable(),
  rotation: rotationConfigSchema.nullable(),
  created_time: z.string(),
  updated_time: z.string(),
  versions: z.record(z.string(), versionInfoSchema),
});

/** A secret's metadata. */
export type KvMetadata = z.output<typeof kvMetadataSchema>;

/** One entry of `KvMetadata.versions`. */
export type VersionInfo = z.output<typeof versionInfoSchema>;

/** RFC 3339 with milliseconds, UTC. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

/** Metadata for a secret that has none yet (write-metadata before the first write, or the first write). */
export function emptyMetadata(nowMs: number): KvMetadata {
  const now = rfc3339(nowMs);
  return {
    current_version: 0,
    oldest_version: 0,
    max_versions: 0,
    cas_required: false,
    delete_version_after: '0s',
    custom_metadata: null,
    rotation: null,
    created_time: now,
    updated_time: now,
    versions: {},
  };
}

/** The metadata of `p`, or null when the secret does not exist. Throws `ERR_INTERNAL` if unreadable. */
export async function loadMetadata(storage: Pick<Storage, 'get'>, p: string): Promise<KvMetadata | null> {
  const bytes = await storage.get(metaKey(p));
  if (bytes === null) return null;
  const parsed = kvMetadataSchema.safeParse(decodeJson(bytes, 'metadata'));
  if (!parsed.success) throw new GatewayError('ERR_INTERNAL', 'stored metadata is unreadable');
  return parsed.data;
}

/** Writes the metadata of `p`. */
export async function saveMetadata(storage: Pick<Storage, 'put'>, p: string, metadata: KvMetadata): Promise<void> {
  await storage.put(metaKey(p), encodeJson(metadata));
}

/** Versions kept for this secret: its own `max_versions` when set, else the mount's. */
export function effectiveMaxVersions(metadata: KvMetadata | null, options: KvOptions): number {
  return metadata !== null && metadata.max_versions > 0 ? metadata.max_versions : options.max_versions;
}

/** Whether writes need check-and-set: the mount or the secret says so. */
export function effectiveCasRequired(metadata: KvMetadata | null, options: KvOptions): boolean {
  return options.cas_required || (metadata?.cas_required ?? false);
}

/**
 * How long after writing a version is soft-deleted, in ms (0: never). When both the mount
 * and the secret set one, the shorter wins, as in Vault.
 */
export function effectiveDeleteAfterMs(metadata: KvMetadata | null, options: KvOptions): number {
  const limits = [parseDuration(options.delete_version_after), parseDuration(metadata?.delete_version_after ?? '0s')]
    .filter((ms): ms is number => ms !== null && ms > 0);
  return limits.length === 0 ? 0 : Math.min(...limits);
}
