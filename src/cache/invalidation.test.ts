import { describe, expect, it } from 'vitest';
import { covers, createInProcessBus, parentFolders } from './invalidation.js';
import type { Invalidation } from './invalidation.js';

describe('invalidation bus (in-process)', () => {
  it('delivers to every subscriber before publish resolves, until unsubscribed', async () => {
    const bus = createInProcessBus();
    const a: Invalidation[] = [];
    const b: Invalidation[] = [];
    const offA = bus.subscribe((inv) => a.push(inv));
    bus.subscribe((inv) => b.push(inv));
    const message: Invalidation = { kind: 'path', mountId: 'm', path: 'x' };
    const done = bus.publish(message);
    expect(a).toEqual([message]);
    await done;
    offA();
    await bus.publish({ kind: 'all' });
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(2);
  });

  it('keeps delivering when one handler throws', async () => {
    const errors: unknown[] = [];
    const bus = createInProcessBus({ onHandlerError: (e) => errors.push(e) });
    const got: Invalidation[] = [];
    bus.subscribe(() => {
      throw new Error('bad handler');
    });
    bus.subscribe((inv) => got.push(inv));
    await bus.publish({ kind: 'all' });
    expect(got).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });
});

describe('what an invalidation covers', () => {
  it('names the parent folders of a path, up to the mount root', () => {
    expect(parentFolders('a/b/c')).toEqual(['a/b', 'a', '']);
    expect(parentFolders('a')).toEqual(['']);
    expect(parentFolders('')).toEqual([]);
  });

  it('covers the path itself, the listings above it, nothing beside it', () => {
    const inv: Invalidation = { kind: 'path', mountId: 'm', path: 'a/b' };
    expect(covers(inv, 'm', 'item', 'a/b')).toBe(true);
    expect(covers(inv, 'm', 'list', 'a')).toBe(true);
    expect(covers(inv, 'm', 'list', '')).toBe(true);
    expect(covers(inv, 'm', 'item', 'a')).toBe(false);
    expect(covers(inv, 'm', 'item', 'a/bc')).toBe(false);
    expect(covers(inv, 'm', 'list', 'a/b')).toBe(false);
    expect(covers(inv, 'm', 'list', 'a/')).toBe(false);
    expect(covers(inv, 'other', 'item', 'a/b')).toBe(false);
    expect(covers({ kind: 'mount', mountId: 'm' }, 'm', 'item', 'z')).toBe(true);
    expect(covers({ kind: 'mount', mountId: 'm' }, 'n', 'item', 'z')).toBe(false);
    expect(covers({ kind: 'all' }, 'n', 'list', '')).toBe(true);
  });
});
