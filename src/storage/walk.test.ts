import { describe, expect, it } from 'vitest';
import { utf8 } from '../core/index.js';
import { createMemoryStorage } from './memory.js';
import { deleteTree, walkKeys } from './walk.js';

describe('walkKeys and deleteTree', () => {
  it('visit every key below a prefix across pages and folders, and only those', async () => {
    const storage = createMemoryStorage();
    const keys = [...Array.from({ length: 2300 }, (_, i) => `m/big/${String(i).padStart(4, '0')}`), 'm/a', 'm/sub/x/y', 'm/sub/z', 'other/keep'];
    for (const k of keys) await storage.put(k, utf8('v'));
    const seen: string[] = [];
    for await (const k of walkKeys(storage, 'm/')) seen.push(k);
    expect(seen.sort()).toEqual(keys.filter((k) => k.startsWith('m/')).sort());

    expect(await deleteTree(storage, 'm/')).toBe(keys.length - 1);
    expect(await storage.list('m/')).toEqual([]);
    expect(await storage.get('other/keep')).not.toBeNull();
  });
});
