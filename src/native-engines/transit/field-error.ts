/** The one way transit reports a bad input, whole-request or per batch item: a `ValidationError` naming the field. */

import { ValidationError } from '../../core/index.js';

/**
 * A 400 naming `field` and why. `reason` is fixed text written here in the engine, never
 * the submitted value; in a batch, its message becomes the item's `error`.
 */
export function fieldError(field: string, reason: string): ValidationError {
  return new ValidationError(`${field} ${reason}`, [{ field, reason }]);
}
