/** `tidy/secret-id`: removes expired secret ids, those of deleted roles, and dangling accessors. */

import { z } from 'zod';
import { MAX_LIST_LIMIT } from '../../../core/index.js';
import type { Storage } from '../../../core/index.js';
import { noBody, noQuery } from '../../../native-engines/framework/index.js';
import { approle, roleLock } from './context.js';
import type { ApprolePathContext } from './context.js';
import { ACCESSOR_FOLDER, SECRET_ID_FOLDER, accessorFolder, secretIdKey } from './layout.js';
import { loadRole } from './role-store.js';
import { hmacForAccessor, isExpired, sweepSecretIds } from './secret-id-store.js';

/** Every name directly below `folder`, page by page. */
async function* names(storage: Pick<Storage, 'list'>, folder: string): AsyncGenerator<string> {
  let after: string | undefined;
  for (;;) {
    const page = await storage.list(folder, after === undefined ? { limit: MAX_LIST_LIMIT } : { after, limit: MAX_LIST_LIMIT });
    yield* page;
    if (page.length < MAX_LIST_LIMIT) return;
    after = page[page.length - 1];
  }
}

async function tidyRole(ctx: ApprolePathContext, role: string): Promise<{ secretIds: number; accessors: number }> {
  return ctx.state.locks.run(roleLock(role), async () => {
    const exists = (await loadRole(ctx, role)) !== null;
    const nowMs = ctx.runtime.now();
    const secretIds = await sweepSecretIds(ctx, role, (entry) => !exists || isExpired(entry, nowMs));
    let accessors = 0;
    for await (const accessor of names(ctx.storage, accessorFolder(role))) {
      if (accessor.endsWith('/')) continue;
      const hmac = await hmacForAccessor(ctx, role, accessor);
      if (!exists || hmac === null || (await ctx.storage.get(secretIdKey(role, hmac))) === null) {
        await ctx.storage.delete(accessorFolder(role) + accessor);
        accessors++;
      }
    }
    return { secretIds, accessors };
  });
}

/** `tidy/secret-id`: runs synchronously and reports what it removed. */
export const tidyPath = approle.definePath({
  pattern: 'tidy/secret-id',
  help: {
    synopsis: 'Clean up secret id storage.',
    description: 'Removes expired secret ids, secret ids of roles that no longer exist, and accessors whose secret id is gone.',
  },
  operations: {
    update: approle.defineOperation({
      summary: 'Tidy secret ids',
      body: noBody,
      query: noQuery,
      response: z.object({ secret_ids_removed: z.int(), accessors_removed: z.int() }),
      async handler(ctx) {
        const roles = new Set<string>();
        for (const folder of [SECRET_ID_FOLDER, ACCESSOR_FOLDER]) {
          for await (const name of names(ctx.storage, folder)) if (name.endsWith('/')) roles.add(name.slice(0, -1));
        }
        let secretIds = 0;
        let accessors = 0;
        for (const role of roles) {
          const removed = await tidyRole(ctx, role);
          secretIds += removed.secretIds;
          accessors += removed.accessors;
        }
        return { data: { secret_ids_removed: secretIds, accessors_removed: accessors }, cache: 'no-store' };
      },
    }),
  },
});
