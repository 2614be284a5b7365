/** The transit mount options (`mounts[].options`), validated once when the mount is created. */

import { z } from 'zod';
import { durationSchema } from '../../core/index.js';

/** Schema of a transit mount's options; unknown options are refused. */
export const transitOptionsSchema = z.strictObject({
  policy_cache_ttl: durationSchema
    .default('1s')
    .describe(
      'How long a replica may serve a key\'s cached policy (versions, minimums, settings) before reading it again. Writes through this replica refresh it at once; the interval bounds how late a change made through another replica is seen. "0s" reads the policy on every request.',
    ),
});

/** Validated transit mount options. */
export type TransitOptions = z.output<typeof transitOptionsSchema>;
