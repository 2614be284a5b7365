import type { Storage } from '../core/index.js';
import { MAX_LIST_LIMIT } from '../core/index.js';

/**
 * Every key below `prefix`, depth first, page by page (bounded memory: one page per open
 * folder). Keys are full keys (prefix included).
 */
export async function* walkKeys(storage: Pick<Storage, 'list'>, prefix = ''): AsyncGenerator<string> {
  const stack = [prefix];
  while (stack.length > 0) {
    const folder = stack.pop() ?? '';
    let after: string | undefined;
    for (;;) {
      const page = await storage.list(folder, after === undefined ? { limit: MAX_LIST_LIMIT } : { after, limit: MAX_LIST_LIMIT });
      for (const name of page) {
        if (name.endsWith('/')) stack.push(folder + name);
        else yield folder + name;
      }
      if (page.length < MAX_LIST_LIMIT) break;
      after = page[page.length - 1];
    }
  }
}

/** Deletes every key below `prefix`; returns how many. Deleting while walking is safe: `after` pages past removed names. */
export async function deleteTree(storage: Pick<Storage, 'list' | 'delete'>, prefix = ''): Promise<number> {
  let deleted = 0;
  for await (const key of walkKeys(storage, prefix)) {
    await storage.delete(key);
    deleted++;
  }
  return deleted;
}
