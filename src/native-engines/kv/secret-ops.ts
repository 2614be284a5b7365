/** Reading and writing a secret's versions: `read`, `create`/`update` and `patch`. */

import { mergePatch, sensitive, setOwn } from '../../core/index.js';
import type { OperationResponse, SafeJsonObject } from '../../core/index.js';
import { noBody } from '../framework/engine-kit.js';
import { kv, nowOf, requireSecretPath } from './context.js';
import { loadMetadata } from './metadata.js';
import { casQuery, readQuery, secretSchema, writeResponse } from './schemas.js';
import { readVersionData, writeVersion } from './write-version.js';
import type { WrittenVersion } from './write-version.js';

/** The response to every write: the new version, its etag, never cached. */
export function writtenResponse(written: WrittenVersion): OperationResponse {
  return {
    data: { version: written.version, created_time: written.created_time },
    etag: String(written.version),
    cache: 'no-store',
  };
}

/** `read`: one version (default the current) with each top-level value wrapped as sensitive. */
export const readOperation = kv.defineOperation({
  summary: 'Read a secret',
  description:
    'Returns the current version of the secret, or the version named by `version`. A deleted, destroyed or pruned version is 404.',
  body: noBody,
  query: readQuery,
  response: secretSchema,
  sensitive: ['*'],
  async handler(ctx) {
    const p = requireSecretPath(ctx);
    const nowMs = nowOf(ctx);
    const metadata = await loadMetadata(ctx.storage, p);
    const { version, data, info } = await readVersionData(ctx, p, metadata, ctx.query.version, nowMs);
    const wrapped: SafeJsonObject = {};
    for (const [key, value] of Object.entries(data)) setOwn(wrapped, key, sensitive(value));
    // Cacheable until the version's scheduled deletion (delete_version_after), if it has one;
    // every other change to it is a write through Keygate, which invalidates.
    const deletesAt = info.deletion_time === '' ? Number.NaN : Date.parse(info.deletion_time);
    const ttlMs = Number.isNaN(deletesAt) ? Infinity : Math.max(0, deletesAt - nowMs);
    return {
      data: wrapped,
      metadata: {
        version,
        created_time: info.created_time,
        deletion_time: info.deletion_time,
        destroyed: info.destroyed,
        custom_metadata: metadata?.custom_metadata ?? null,
      },
      etag: String(version),
      cache: ttlMs > 0 ? { ttlMs } : 'no-store',
    };
  },
});

/** `create` / `update`: writes the body as a new version. */
export const writeOperation = kv.defineOperation({
  summary: 'Write a secret',
  description:
    'Stores the body as a new version. `cas`, If-Match and If-None-Match make the write conditional; mounts or secrets with cas_required refuse unconditional writes (428).',
  body: secretSchema,
  query: casQuery,
  response: writeResponse,
  sensitive: ['*'],
  async handler(ctx) {
    const p = requireSecretPath(ctx);
    const secret = ctx.body;
    const written = await writeVersion(ctx, p, { cas: ctx.query.cas, preconditions: ctx.req.preconditions }, async () => secret);
    return writtenResponse(written);
  },
});

/** `patch`: applies a JSON merge patch (RFC 7396) to the current version, writing a new one. */
export const patchOperation = kv.defineOperation({
  summary: 'Patch a secret',
  description:
    'Applies the body as a JSON merge patch (RFC 7396) to the current version and stores the result as a new version: members merge, null removes a member. The current version must be readable (else 404).',
  body: secretSchema,
  query: casQuery,
  response: writeResponse,
  sensitive: ['*'],
  async handler(ctx) {
    const p = requireSecretPath(ctx);
    const patch = ctx.body;
    const written = await writeVersion(ctx, p, { cas: ctx.query.cas, preconditions: ctx.req.preconditions }, async (metadata) => {
      const current = await readVersionData(ctx, p, metadata, undefined, nowOf(ctx));
      return mergePatch(current.data, patch);
    });
    return writtenResponse(written);
  },
});
