/**
 * Deadlines for many waits of one length that start one after another (an audit device's
 * submissions): one timer for the whole queue instead of a timer per wait. Since every wait
 * is as long as the others, they expire in the order they were added; a wait settled before
 * its deadline is skipped. Times are from
 * a monotonic clock, so a wall-clock step neither expires waits early nor holds them late.
 *
 * The timer does not keep a Node process alive; it fires at most once per wait length while
 * waits keep coming.
 *
 * Cost per wait: one small object and an array slot, against a `setTimeout` and a
 * `clearTimeout` (a timer-list insertion and removal, and a `Timeout` object) per wait.
 */

import { unrefTimer } from '../core/index.js';

export interface DeadlineEntry {
  /** When it expires, on the queue's clock (ms). */
  readonly at: number;
}

export interface DeadlineQueue {
  /** A wait of the queue's length from now; `onExpire` runs once, at its deadline, unless `settle` came first. */
  add(onExpire: () => void): DeadlineEntry;
  /** Ends a wait: true when it had not expired (the caller settles it), false when it had (or was settled already). */
  settle(entry: DeadlineEntry): boolean;
  /** Waits neither settled nor expired. */
  pending(): number;
}

interface Entry extends DeadlineEntry {
  onExpire: (() => void) | null;
}

/** Settled entries at the head beyond this are cut off the array (amortised). */
const COMPACT_AFTER = 1024;

/** A monotonic clock in ms: `performance.now()`, on every runtime Keygate runs on. */
const monotonic = (): number => performance.now();

/** A queue of waits of `ms` each. */
export function createDeadlineQueue(ms: number, now: () => number = monotonic): DeadlineQueue {
  let entries: Entry[] = [];
  /** Index of the first entry that may still be pending. */
  let head = 0;
  let open = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const skipSettled = (): void => {
    while (head < entries.length && entries[head]?.onExpire === null) head++;
    if (head === entries.length) {
      entries = [];
      head = 0;
    } else if (head >= COMPACT_AFTER && head * 2 >= entries.length) {
      entries = entries.slice(head);
      head = 0;
    }
  };

  const arm = (): void => {
    const first = entries[head];
    if (first === undefined || timer !== null) return;
    timer = setTimeout(fire, Math.max(1, Math.ceil(first.at - now())));
    unrefTimer(timer);
  };

  const fire = (): void => {
    timer = null;
    const t = now();
    for (; head < entries.length; head++) {
      const entry = entries[head];
      if (entry === undefined) continue;
      const expire = entry.onExpire;
      if (expire === null) continue;
      if (entry.at > t) break;
      entry.onExpire = null;
      open--;
      expire();
    }
    skipSettled();
    arm();
  };

  return {
    add(onExpire) {
      const entry: Entry = { at: now() + ms, onExpire };
      entries.push(entry);
      open++;
      // An armed timer fires at or before this entry's time (the earliest pending entry is at
      // the head, since all are as long); when it fires it re-arms for what is left.
      arm();
      return entry;
    },

    settle(entry) {
      const e = entry as Entry;
      if (e.onExpire === null) return false;
      e.onExpire = null;
      open--;
      if (entries[head] === e) skipSettled();
      return true;
    },

    pending: () => open,
  };
}

