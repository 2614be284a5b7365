/**
 * Where an AppRole mount keeps things in its private (barrier-encrypted) storage view.
 * Secret ids and role ids appear in keys only as HMACs under the mount's key, so even the
 * plaintext key names that storage sees reveal neither.
 *
 * - `hmac-key`: the mount's HMAC key (created on first use).
 * - `role/<name>`: a role.
 * - `role-id/<hmac(role_id)>`: which role a role_id belongs to.
 * - `secret-id/<name>/<hmac(secret_id)>`: one secret id's record.
 * - `accessor/<name>/<accessor>`: the HMAC of the secret id an accessor names.
 */

/** The mount's HMAC key record. */
export const HMAC_KEY_KEY = 'hmac-key';

/** Folder of roles. */
export const ROLE_FOLDER = 'role/';

/** Folder of secret-id folders, one per role. */
export const SECRET_ID_FOLDER = 'secret-id/';

/** Folder of accessor folders, one per role. */
export const ACCESSOR_FOLDER = 'accessor/';

/** The key of role `name`. */
export function roleKey(name: string): string {
  return `${ROLE_FOLDER}${name}`;
}

/** The index key of a role_id, by its HMAC (hex). */
export function roleIdKey(roleIdHmac: string): string {
  return `role-id/${roleIdHmac}`;
}

/** The folder of role `name`'s secret ids. */
export function secretIdFolder(name: string): string {
  return `${SECRET_ID_FOLDER}${name}/`;
}

/** The key of one secret id of role `name`, by its HMAC (hex). */
export function secretIdKey(name: string, secretIdHmac: string): string {
  return `${secretIdFolder(name)}${secretIdHmac}`;
}

/** The folder of role `name`'s accessors. */
export function accessorFolder(name: string): string {
  return `${ACCESSOR_FOLDER}${name}/`;
}

/** The key of one accessor of role `name`. */
export function accessorKey(name: string, accessor: string): string {
  return `${accessorFolder(name)}${accessor}`;
}
