import { describe, expect, it } from 'vitest';
import { createKeyedMutex } from './keyed-mutex.js';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe('keyed mutex', () => {
  it('runs holders of one key one at a time, in arrival order', async () => {
    const mutex = createKeyedMutex();
    const events: string[] = [];
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        mutex.run('k', async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          events.push(`start ${i}`);
          await tick();
          events.push(`end ${i}`);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(events.filter((e) => e.startsWith('start'))).toEqual(Array.from({ length: 20 }, (_, i) => `start ${i}`));
  });

  it('lets different keys proceed in parallel', async () => {
    const mutex = createKeyedMutex();
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      ['a', 'b', 'c'].map((key) =>
        mutex.run(key, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await tick();
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(3);
  });

  it('releases after a failure and forgets idle keys', async () => {
    const mutex = createKeyedMutex();
    await expect(mutex.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(mutex.run('k', async () => 'ok')).resolves.toBe('ok');
    const pending = mutex.run('x', tick);
    expect(mutex.size).toBe(1);
    await pending;
    expect(mutex.size).toBe(0);
  });
});
