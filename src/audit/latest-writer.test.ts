import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLatestWriter } from './latest-writer.js';

/** A persist function that records what it was given and settles when the test says. */
function recorder() {
  const written: number[] = [];
  const inFlight: { resolve(): void; reject(err: Error): void }[] = [];
  const persist = (value: number) =>
    new Promise<void>((resolve, reject) => {
      written.push(value);
      inFlight.push({ resolve, reject });
    });
  return { written, inFlight, persist };
}

describe('latest writer (audit chain heads)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes the first value at once and the newest of a burst once the interval has passed', async () => {
    const r = recorder();
    const w = createLatestWriter(r.persist, 1000, () => Date.now());
    const first = w.write(1);
    expect(r.written).toEqual([1]);
    r.inFlight[0]?.resolve();
    await first;

    // Inside the interval: held back, the newer values replacing the older.
    const second = w.write(2);
    const third = w.write(3);
    const fourth = w.write(4);
    expect(r.written).toEqual([1]);
    await vi.advanceTimersByTimeAsync(999);
    expect(r.written).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.written).toEqual([1, 4]);
    r.inFlight[1]?.resolve();
    // Every writer of a collapsed value learns when the newest one is persisted.
    await expect(Promise.all([second, third, fourth])).resolves.toEqual([undefined, undefined, undefined]);
  });

  it('never runs two writes at a time, however long one takes', async () => {
    const r = recorder();
    const w = createLatestWriter(r.persist, 10, () => Date.now());
    void w.write(1);
    const later = w.write(2);
    await vi.advanceTimersByTimeAsync(5000);
    // The first write has not settled: the second waits for it, not only for the interval.
    expect(r.written).toEqual([1]);
    r.inFlight[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.written).toEqual([1, 2]);
    r.inFlight[1]?.resolve();
    await later;
  });

  it('flush writes the held-back value at once, after the write in flight', async () => {
    const r = recorder();
    const w = createLatestWriter(r.persist, 60_000, () => Date.now());
    void w.write(1);
    const held = w.write(2);
    const flushed = w.flush();
    expect(r.written).toEqual([1]);
    r.inFlight[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.written).toEqual([1, 2]);
    r.inFlight[1]?.resolve();
    await Promise.all([held, flushed]);
    // Nothing held back any more: the interval's timer was cancelled, not left to write again.
    await vi.advanceTimersByTimeAsync(120_000);
    expect(r.written).toEqual([1, 2]);
    await expect(w.flush()).resolves.toBeUndefined();
  });

  it('passes a failed write to the writers of that value and goes on with the next', async () => {
    const r = recorder();
    const w = createLatestWriter(r.persist, 100, () => Date.now());
    const failed = w.write(1);
    r.inFlight[0]?.reject(new Error('disk full'));
    await expect(failed).rejects.toThrow('disk full');
    const next = w.write(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(r.written).toEqual([1, 2]);
    r.inFlight[1]?.resolve();
    await expect(next).resolves.toBeUndefined();
  });

  it('turns a persist function that throws into a failed write', async () => {
    const w = createLatestWriter(() => {
      throw new Error('not a promise');
    }, 100, () => Date.now());
    await expect(w.write(1)).rejects.toThrow('not a promise');
  });

  it('with an interval of 0 writes every value that is not superseded while another is in flight', async () => {
    const r = recorder();
    const w = createLatestWriter(r.persist, 0, () => Date.now());
    void w.write(1);
    r.inFlight[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    void w.write(2);
    expect(r.written).toEqual([1, 2]);
  });
});
