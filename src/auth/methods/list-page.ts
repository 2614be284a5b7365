/** One bounded page of names below a storage folder, for an auth method's `list` operations. */

import { z } from 'zod';
import { MAX_LIST_LIMIT } from '../../core/index.js';
import type { JsonObject, OperationResponse, Storage } from '../../core/index.js';

/** Query of a `list` operation: `after` (the previous page's `next_after`) and `limit`. */
export const listQuery = z.object({
  after: z.string().min(1).max(1024).describe("Return only names that sort after this one (the previous page's next_after).").optional(),
  limit: z
    .string()
    .regex(/^[0-9]{1,4}$/, `must be an integer from 1 to ${MAX_LIST_LIMIT}`)
    .transform(Number)
    .pipe(z.int().min(1).max(MAX_LIST_LIMIT))
    .describe(`Most names to return (default ${MAX_LIST_LIMIT}).`)
    .optional(),
});

/** Validated `listQuery`. */
export type ListQuery = z.output<typeof listQuery>;

/** `data` of a list response. */
export const listResponse = z.object({ keys: z.array(z.string()).describe('Names, sorted.') });

/**
 * Lists the names directly below `folder` (which ends in `/`), sorted; a full page carries
 * `metadata.next_after`. Sub-folders are left out: callers list folders of records only.
 */
export async function listPage(storage: Pick<Storage, 'list'>, folder: string, query: ListQuery): Promise<OperationResponse> {
  const limit = query.limit ?? MAX_LIST_LIMIT;
  const names = await storage.list(folder, query.after === undefined ? { limit } : { after: query.after, limit });
  const keys = names.filter((name) => !name.endsWith('/'));
  const last = names[names.length - 1];
  const metadata: JsonObject | undefined = names.length >= limit && last !== undefined ? { next_after: last } : undefined;
  return metadata === undefined ? { data: { keys } } : { data: { keys }, metadata };
}

/** Deletes every record directly below `folder`, page by page; returns how many. */
export async function deleteFolder(storage: Pick<Storage, 'list' | 'delete'>, folder: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const names = (await storage.list(folder, { limit: MAX_LIST_LIMIT })).filter((name) => !name.endsWith('/'));
    if (names.length === 0) return deleted;
    for (const name of names) {
      await storage.delete(folder + name);
      deleted++;
    }
  }
}
