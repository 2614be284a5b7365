/**
 * `rotate`: replaces the configured fields of the current version with fresh random values
 * and writes the result as a new version, through the same write path as any write. The
 * response names the rotated fields, never their values.
 */

import { NotFoundError, ValidationError, rotateFields } from '../../core/index.js';
import { noBody } from '../framework/engine-kit.js';
import { kv, nowOf, requireSecretPath } from './context.js';
import { casQuery, rotateResponse } from './schemas.js';
import { readVersionData, writeVersion } from './write-version.js';

const NOT_CONFIGURED =
  'rotation is not configured for this secret: set it with write-metadata, e.g. {"rotation": {"fields": ["password"], "length": 32, "alphabet": "alphanumeric"}}';

/** `rotate`: new random values for the configured fields, as a new version. */
export const rotateOperation = kv.defineOperation({
  summary: 'Rotate a secret',
  description:
    'Replaces each field named in the secret\'s rotation settings (metadata `rotation`) with a fresh random value of the configured length and alphabet, keeping the other fields, and stores the result as a new version. Honours cas, If-Match and If-None-Match like a write. The response lists the rotated fields, never their values.',
  body: noBody,
  query: casQuery,
  response: rotateResponse,
  async handler(ctx) {
    const p = requireSecretPath(ctx);
    let rotated: string[] = [];
    const written = await writeVersion(ctx, p, { cas: ctx.query.cas, preconditions: ctx.req.preconditions }, async (metadata) => {
      if (metadata === null) throw new NotFoundError('no such secret');
      const rotation = metadata.rotation;
      if (rotation === null) throw new ValidationError(NOT_CONFIGURED, [{ field: 'rotation', reason: 'is not configured for this secret' }]);
      const current = await readVersionData(ctx, p, metadata, undefined, nowOf(ctx));
      rotated = [...rotation.fields];
      return rotateFields(current.data, rotation, ctx.runtime);
    });
    return {
      data: { version: written.version, created_time: written.created_time, rotated_fields: rotated },
      etag: String(written.version),
      cache: 'no-store',
    };
  },
});
