/** Deleting a folder of the mount's storage, page by page: a key's material when the key is deleted, trimmed or replaced. */

import { MAX_LIST_LIMIT } from '../../core/index.js';
import type { Storage } from '../../core/index.js';

/** Deletes every entry below `folder` (which ends in `/`), sub-folders included. */
export async function deleteFolder(storage: Storage, folder: string): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const page = await storage.list(folder, after === undefined ? { limit: MAX_LIST_LIMIT } : { after, limit: MAX_LIST_LIMIT });
    for (const entry of page) {
      if (entry.endsWith('/')) await deleteFolder(storage, folder + entry);
      else await storage.delete(folder + entry);
    }
    if (page.length < MAX_LIST_LIMIT) return;
    after = page[page.length - 1];
  }
}
