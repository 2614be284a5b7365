import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDeadlineQueue } from './deadline-queue.js';

describe('deadline queue', () => {
  let clock = 0;
  const now = () => clock;
  /** Moves the clock and the fake timers together. */
  const advance = async (ms: number) => {
    clock += ms;
    await vi.advanceTimersByTimeAsync(ms);
  };

  beforeEach(() => {
    clock = 1_000;
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires a wait at its deadline, not before, and only once', async () => {
    const q = createDeadlineQueue(300, now);
    const expired: string[] = [];
    const a = q.add(() => expired.push('a'));
    expect(a.at).toBe(1_300);
    await advance(299);
    expect(expired).toEqual([]);
    await advance(1);
    expect(expired).toEqual(['a']);
    expect(q.settle(a)).toBe(false);
    await advance(1_000);
    expect(expired).toEqual(['a']);
    expect(q.pending()).toBe(0);
  });

  it('never expires a settled wait, and settle says who came first', async () => {
    const q = createDeadlineQueue(100, now);
    const expired: string[] = [];
    const a = q.add(() => expired.push('a'));
    await advance(10);
    const b = q.add(() => expired.push('b'));
    expect(q.settle(a)).toBe(true);
    expect(q.settle(a)).toBe(false);
    await advance(95);
    expect(expired).toEqual([]);
    await advance(5);
    expect(expired).toEqual(['b']);
    expect(q.settle(b)).toBe(false);
  });

  it('expires waits in the order they were added, each at its own time, with settled ones in between skipped', async () => {
    const q = createDeadlineQueue(50, now);
    const expired: number[] = [];
    const entries = [];
    for (let i = 0; i < 10; i++) {
      entries.push(q.add(() => expired.push(i)));
      await advance(4);
    }
    // Added at 0, 4, …, 36 ms: due at 50, 54, …, 86; the clock is at 40.
    expect(expired).toEqual([]);
    // Out of order: the middle ones settle first.
    for (const i of [3, 4, 7]) {
      const entry = entries[i];
      if (entry === undefined) throw new Error('no entry');
      expect(q.settle(entry)).toBe(true);
    }
    expect(q.pending()).toBe(7);
    await advance(31); // 71 ms: entries 0 to 5 are due
    expect(expired).toEqual([0, 1, 2, 5]);
    await advance(200);
    expect(expired).toEqual([0, 1, 2, 5, 6, 8, 9]);
    expect(q.pending()).toBe(0);
  });

  it('uses one timer for many waits, and keeps expiring correctly after thousands settle (compaction)', async () => {
    const q = createDeadlineQueue(1_000, now);
    const expired: number[] = [];
    const entries = Array.from({ length: 5_000 }, (_, i) => q.add(() => expired.push(i)));
    expect(vi.getTimerCount()).toBe(1);
    // All but the last ten settle, in order, as an audit sink acknowledges records.
    for (const e of entries.slice(0, 4_990)) expect(q.settle(e)).toBe(true);
    expect(q.pending()).toBe(10);
    await advance(1_000);
    expect(expired).toEqual([4_990, 4_991, 4_992, 4_993, 4_994, 4_995, 4_996, 4_997, 4_998, 4_999]);
    expect(q.pending()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('re-arms after a timer that fired early for a settled head', async () => {
    const q = createDeadlineQueue(100, now);
    const expired: string[] = [];
    const a = q.add(() => expired.push('a'));
    await advance(60);
    const b = q.add(() => expired.push('b')); // due at +160
    q.settle(a);
    await advance(40); // the timer armed for `a` fires at +100 and re-arms for `b`
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    await advance(59);
    expect(expired).toEqual([]);
    await advance(1);
    expect(expired).toEqual(['b']);
    expect(q.settle(b)).toBe(false);
  });

  it('runs on the monotonic clock by default', async () => {
    vi.useRealTimers();
    const q = createDeadlineQueue(20);
    const t0 = performance.now();
    const done = new Promise<number>((resolve) => q.add(() => resolve(performance.now())));
    const at = await done;
    expect(at - t0).toBeGreaterThanOrEqual(19);
  });
});
