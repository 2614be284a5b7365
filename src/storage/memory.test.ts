import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from './memory.js';
import { describeStorageConformance } from './storage.case.js';

describeStorageConformance('memory', async () => createMemoryStorage());

describe('memory storage', () => {
  it('does not alias a Buffer-like input whose slice() shares memory', async () => {
    // Node's Buffer#slice returns a view; a subclass with the same behaviour stands in for it here.
    class SharingArray extends Uint8Array {
      override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
        return this.subarray(start, end);
      }
    }
    const storage = createMemoryStorage();
    const input = new SharingArray([1, 2, 3]);
    await storage.put('k', input);
    input[0] = 9;
    expect(await storage.get('k')).toEqual(Uint8Array.from([1, 2, 3]));
  });
});
