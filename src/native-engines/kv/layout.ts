/**
 * Where a KV mount keeps things inside its private (barrier-encrypted) storage view:
 * `meta/<p>` holds a secret's metadata and `data/<p>/<version>` each version's JSON.
 * Metadata and data live in separate trees so that listing `meta/` shows only secrets,
 * never version numbers.
 */

/** The metadata key of secret path `p`. */
export function metaKey(p: string): string {
  return `meta/${p}`;
}

/** The data key of version `version` of secret path `p`. */
export function dataKey(p: string, version: number): string {
  return `data/${p}/${version}`;
}

/** The folder holding every version blob of secret path `p` (and the data of secrets below it). */
export function dataFolder(p: string): string {
  return `data/${p}/`;
}

/** The metadata folder that `list` reads for path `p` (`""` is the mount root). */
export function listFolder(p: string): string {
  return p === '' ? 'meta/' : `meta/${p}/`;
}

/** True for a name under `dataFolder(p)` that is a version blob rather than a sub-folder. */
export function isVersionName(name: string): boolean {
  return /^[1-9][0-9]{0,15}$/.test(name);
}
