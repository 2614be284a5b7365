/** List fields that Vault accepts as a JSON array or a comma-separated string. */

import { z } from 'zod';

/**
 * A list of up to `maxItems` strings of at most `maxLength` characters, as an array or a
 * comma-separated string; entries trimmed, empty ones dropped, duplicates removed.
 */
export function stringListSchema(maxItems: number, maxLength: number) {
  return z
    .union([z.array(z.string().max(maxLength)).max(maxItems), z.string().max(maxItems * (maxLength + 2))])
    .transform((v) => (typeof v === 'string' ? v.split(',') : v).map((s) => s.trim()).filter((s) => s !== ''))
    .pipe(z.array(z.string().max(maxLength)).max(maxItems))
    .transform((list) => [...new Set(list)]);
}
