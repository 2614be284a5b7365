/** `list`: the secrets and folders below a path, one bounded page at a time. */

import { MAX_LIST_LIMIT } from '../../core/index.js';
import type { JsonObject } from '../../core/index.js';
import { noBody } from '../framework/engine-kit.js';
import { kv, pathOf } from './context.js';
import { listFolder } from './layout.js';
import { listQuery, listResponse } from './schemas.js';

/** `list`: names below the path (or the mount root), sorted, folders ending in `/`. */
export const listOperation = kv.defineOperation({
  summary: 'List secrets',
  description: `Lists the secrets and folders directly below the path, sorted; folders end in "/". Pages hold at most \`limit\` keys (default ${MAX_LIST_LIMIT}); a full page carries \`metadata.next_after\`, to pass as \`after\` for the next one.`,
  body: noBody,
  query: listQuery,
  response: listResponse,
  async handler(ctx) {
    const limit = ctx.query.limit ?? MAX_LIST_LIMIT;
    const keys = await ctx.storage.list(listFolder(pathOf(ctx)), { after: ctx.query.after, limit });
    const last = keys[keys.length - 1];
    const metadata: JsonObject | undefined = keys.length >= limit && last !== undefined ? { next_after: last } : undefined;
    // Listings change only through writes under the folder, which invalidate them.
    return metadata === undefined ? { data: { keys }, cache: { ttlMs: Infinity } } : { data: { keys }, metadata, cache: { ttlMs: Infinity } };
  },
});
