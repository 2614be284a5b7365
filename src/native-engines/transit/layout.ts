/**
 * Where a transit mount keeps things inside its private (barrier-encrypted) storage view.
 * A key's policy (settings, version table, public keys: no secret) lives apart from its key
 * material, one entry per version, under the key's incarnation id, so a restore or a
 * re-creation under the same name never mixes versions of two different keys.
 *
 * - `policy/<name>`: the policy JSON;
 * - `material/<name>/<id>/<version>`: one version's key material;
 * - `config/cache`: the cache size set through `cache-config`.
 */

/** The policy key of key `name`. */
export function policyKey(name: string): string {
  return `policy/${name}`;
}

/** The folder `list` reads for key names. */
export const POLICY_FOLDER = 'policy/';

/** The material key of one version of incarnation `id` of key `name`. */
export function materialKey(name: string, id: string, version: number): string {
  return `material/${name}/${id}/${version}`;
}

/** The folder holding every incarnation's material of key `name`. */
export function materialFolder(name: string): string {
  return `material/${name}/`;
}

/** The folder holding the material of incarnation `id` of key `name`. */
export function incarnationFolder(name: string, id: string): string {
  return `material/${name}/${id}/`;
}

/** Where `cache-config` keeps its setting. */
export const CACHE_CONFIG_KEY = 'config/cache';
