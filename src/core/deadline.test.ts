import { describe, expect, it } from 'vitest';
import { deadline } from './deadline.js';

describe('deadline', () => {
  it('aborts with a TimeoutError when the time is up', async () => {
    const d = deadline(new AbortController().signal, 20);
    await new Promise((r) => setTimeout(r, 60));
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as Error).name).toBe('TimeoutError');
  });

  it('aborts with the parent\'s reason when the parent aborts first, and at once for an aborted parent', () => {
    const parent = new AbortController();
    const d = deadline(parent.signal, 10_000);
    parent.abort(new Error('client left'));
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as Error).message).toBe('client left');
    const late = deadline(parent.signal, 10_000);
    expect(late.signal.aborted).toBe(true);
    expect(deadline(undefined, 10_000).signal.aborted).toBe(false);
  });

  it('after release, neither the timer nor the parent aborts it, and no listener stays on the parent', async () => {
    const parent = new AbortController();
    let added = 0;
    let removed = 0;
    const add = parent.signal.addEventListener.bind(parent.signal);
    const remove = parent.signal.removeEventListener.bind(parent.signal);
    parent.signal.addEventListener = (...args: Parameters<typeof add>) => (added++, add(...args));
    parent.signal.removeEventListener = (...args: Parameters<typeof remove>) => (removed++, remove(...args));
    const d = deadline(parent.signal, 20);
    d.release();
    expect([added, removed]).toEqual([1, 1]);
    await new Promise((r) => setTimeout(r, 60));
    parent.abort();
    expect(d.signal.aborted).toBe(false);
  });
});
