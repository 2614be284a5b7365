/** The `{name}` of a `role/{name}` path, canonicalised with `roleNameSchema`. */

import { check, invalidInput } from '../../core/index.js';
import { roleNameSchema } from './token-fields.js';

/**
 * The canonical role name captured as `params.name`. Throws `ValidationError`
 * (`ERR_VALIDATION`, field `name`) when it is not a valid role name.
 */
export function roleNameParam(params: Readonly<Record<string, string>>): string {
  const checked = check(roleNameSchema, params.name ?? '', ['name']);
  if (!checked.ok) throw invalidInput('invalid role name', checked.issues);
  return checked.value;
}

/** The canonical role name, or null when `params.name` is not a valid one (for existence checks). */
export function roleNameOrNull(params: Readonly<Record<string, string>>): string | null {
  const parsed = roleNameSchema.safeParse(params.name ?? '');
  return parsed.success ? parsed.data : null;
}
