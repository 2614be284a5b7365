/** The KV mount options (`mounts[].options`), validated once when the mount is created. */

import { z } from 'zod';
import { durationSchema } from '../../core/index.js';

/** Most versions a secret may keep, mount-wide or per secret. */
export const MAX_VERSIONS_LIMIT = 1000;

/** Schema of a KV mount's options; unknown options are refused. */
export const kvOptionsSchema = z.strictObject({
  max_versions: z
    .int()
    .min(1)
    .max(MAX_VERSIONS_LIMIT)
    .default(10)
    .describe('Versions kept per secret unless the secret sets its own; older ones are pruned.'),
  cas_required: z
    .boolean()
    .default(false)
    .describe('Require check-and-set (cas or If-Match/If-None-Match) on every write to this mount.'),
  delete_version_after: durationSchema
    .default('0s')
    .describe('Soft-delete each version this long after it is written; "0s" disables.'),
});

/** Validated KV mount options. */
export type KvOptions = z.output<typeof kvOptionsSchema>;
