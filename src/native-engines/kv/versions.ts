/**
 * The version table: which versions are readable, soft-deleted or destroyed, and pruning
 * down to the kept number. Versions of one secret are contiguous from `oldest_version` to
 * `current_version`; every loop here walks the table (at most 1,000 entries), never a
 * numeric range, so a damaged table cannot make it spin.
 */

import type { KvMetadata, VersionInfo } from './metadata.js';

/** What a read of one version finds. */
export type VersionState = 'readable' | 'missing' | 'deleted' | 'destroyed';

/** Whether `info` is soft-deleted at `nowMs` (a future deletion time is only scheduled). */
export function isDeleted(info: VersionInfo, nowMs: number): boolean {
  if (info.deletion_time === '') return false;
  const at = Date.parse(info.deletion_time);
  return Number.isNaN(at) || at <= nowMs;
}

/** The state of `version` of a secret at `nowMs`. */
export function versionState(metadata: KvMetadata, version: number, nowMs: number): VersionState {
  const info = metadata.versions[String(version)];
  if (info === undefined) return 'missing';
  if (info.destroyed) return 'destroyed';
  if (isDeleted(info, nowMs)) return 'deleted';
  return 'readable';
}

/** The version entries named in `versions` that exist in the table. */
export function existingVersions(metadata: KvMetadata, versions: readonly number[]): [number, VersionInfo][] {
  const out: [number, VersionInfo][] = [];
  for (const version of versions) {
    const info = metadata.versions[String(version)];
    if (info !== undefined) out.push([version, info]);
  }
  return out;
}

/**
 * Drops the oldest versions so that at most `keep` remain, advancing `oldest_version`.
 * Mutates `metadata`; returns the dropped version numbers, whose data the caller deletes
 * after the metadata is saved (so metadata never points at missing data).
 */
export function pruneVersions(metadata: KvMetadata, keep: number): number[] {
  const cutoff = metadata.current_version - keep + 1;
  const dropped: number[] = [];
  for (const key of Object.keys(metadata.versions)) {
    const version = Number(key);
    if (version < cutoff) {
      delete metadata.versions[key];
      dropped.push(version);
    }
  }
  if (metadata.current_version > 0 && metadata.oldest_version < cutoff) metadata.oldest_version = cutoff;
  return dropped.sort((a, b) => a - b);
}
