/**
 * The file sink (`type: 'file'`): one record per line, `record.line` byte for byte, so
 * `keygate audit verify` can recompute the chain from the file.
 *
 * One writer loop owns the file. A round starts after the current event-loop turn and takes
 * every record queued by then; while its write is in flight, new records queue for the next
 * round. So N concurrent requests cost about one fsync, not N (PERFORMANCE.md), and a cache
 * hit's two records share one. The round's write runs on the event loop (a copy into the page
 * cache, at most MAX_ROUND_BYTES); fsyncs run on the thread pool (decision 0018). Each
 * `write()` resolves only after its own record is written, and fsynced when
 * `fsync: 'always'`: by an fsync that began after its round's write returned.
 * That fsync runs beside the next round's write (at most MAX_SYNCS_IN_FLIGHT at a time), so a
 * record waits for its own round's fsync and not also for the one before it. Once an fsync
 * of a handle fails, no later fsync of that handle acknowledges anything (after a failed
 * fsync, Linux may report success for data it lost): those records fail too and the file is
 * reopened.
 *
 * Rotation (by size, by age) happens between lines, never inside one: the file is renamed to
 * `<path>.<UTC timestamp>` (`audit.log.20261123T010203Z`, a `-N` suffix when one already
 * exists), a new file is opened with `mode`, and rotated files beyond `rotate_keep` are
 * deleted, oldest first. `reopen()` closes and reopens the path (SIGHUP after logrotate).
 */

import { open, readdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { parseOrThrow, unrefTimer } from '../../core/index.js';
import type { AuditSink, SinkContext } from '../types.js';
import { MiB, SinkError, abortError, createCounters, durationMs, errorKind, refusedWrite, waiter } from './common.js';
import type { Waiter } from './common.js';
import { syncDir, systemCode, writeAll, writeAllSync } from './node-io.node.js';
import type { SinkDeps } from './types.js';

const fileMode = z
  .union([z.int().min(0).max(0o777), z.string().regex(/^(?:0o?)?[0-7]{3}$/)])
  .transform((value, ctx) => {
    const mode = typeof value === 'number' ? value : Number.parseInt(value.replace(/^0o?/, ''), 8);
    if ((mode & 0o200) === 0 || (mode & 0o002) !== 0) {
      ctx.addIssue({ code: 'custom', message: 'must let the owner write and others not write (e.g. 0600 or 0640)' });
      return z.NEVER;
    }
    return mode;
  });

/** Options of a `file` device. */
export const fileSinkOptionsSchema = z.strictObject({
  path: z.string().min(1).max(4096).describe('The audit log file; created if missing (its directory must exist).'),
  mode: fileMode.default(0o600).describe('Permissions of the file (and of every new file after rotation): a number or an octal string such as "0600".'),
  fsync: z.enum(['always', 'interval', 'never']).default('always').describe('When written lines are forced to disk: before each write() resolves, every fsync_interval, or when the OS decides.'),
  fsync_interval: durationMs(1).default(1000).describe('With fsync "interval": how often.'),
  rotate_max_bytes: z.int().min(0).max(2 ** 48).default(100 * MiB).describe('Rotate before the file would pass this size; 0 turns size rotation off.'),
  rotate_interval: durationMs(0).default(0).describe('Rotate a non-empty file once it is this old (checked at each write); 0 turns it off.'),
  rotate_keep: z.int().min(0).max(100_000).default(10).describe('Rotated files kept (oldest deleted first); 0 keeps all.'),
});

/** Validated `file` options (durations in ms). */
export type FileSinkOptions = z.output<typeof fileSinkOptionsSchema>;

/**
 * Most bytes one write gathers (the size of the buffer rounds encode into), and the most text
 * one round takes from the queue; a busier queue is written in several rounds. Writes run on
 * the event loop (decision 0018), so this also bounds how long one can hold it.
 */
const MAX_ROUND_BYTES = 1 * MiB;
/** With `fsync: always`: rounds whose fsync is under way at once (each holds a thread-pool thread). */
const MAX_SYNCS_IN_FLIGHT = 2;

interface Item {
  /** The record's line, without its newline (the round adds it). */
  line: string;
  w: Waiter;
}

/**
 * The UTF-8 bytes of `line` and its newline at `offset` of `buffer`, when they surely fit (a
 * UTF-16 code unit is at most 3 bytes) or are counted to fit; -1 when they do not.
 */
function encodeLine(buffer: Buffer, offset: number, line: string): number {
  const room = buffer.length - offset;
  if (line.length * 3 + 1 > room && Buffer.byteLength(line, 'utf8') + 1 > room) return -1;
  const n = buffer.write(line, offset, 'utf8');
  buffer[offset + n] = 0x0a;
  return n + 1;
}

/** `20261123T010203Z` for a time in ms. */
export function rotationStamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/**
 * Creates a file sink and opens its file (so a bad path fails at start, not at the first
 * request). Throws `ValidationError` for bad options, `SinkError` (`io`) when the file
 * cannot be opened.
 */
export async function createFileSink(options: unknown, ctx: SinkContext, deps: SinkDeps): Promise<AuditSink> {
  const opts = parseOrThrow(fileSinkOptionsSchema, options, 'invalid file audit device options', ['options']);
  const { runtime } = deps;
  const log = runtime.logger;
  const { c: counters, snapshot } = createCounters();
  const path = opts.path;
  const rotatedName = new RegExp(`^${escapeRegExp(basename(path))}\\.([0-9]{8}T[0-9]{6}Z)(?:-([0-9]{1,9}))?$`);

  let fh: FileHandle | null = null;
  let size = 0;
  let openedAt = 0;
  let dirty = false;
  let queue: Item[] = [];
  let running = false;
  let idle: Promise<void> = Promise.resolve();
  let markIdle: () => void = () => undefined;
  let closed = false;
  let syncDue = false;
  /** An interval fsync under way: it runs beside the writes that follow it, never in front of them. */
  let syncing: Promise<void> | null = null;
  const reopenWaiters: { resolve(): void; reject(err: unknown): void }[] = [];
  /** With `fsync: always`: the fsyncs under way, each acknowledging its round (never rejects). */
  const acks = new Set<Promise<void>>();
  /** Handles an fsync failed on: nothing synced on them afterwards counts as durable. */
  const failedHandles = new WeakSet<FileHandle>();

  const openFile = async (): Promise<void> => {
    const handle = await open(path, 'a+', opts.mode);
    try {
      await handle.chmod(opts.mode);
      const current = (await handle.stat()).size;
      if (current > 0) {
        // A line torn by a crash is ended here, so the next record starts on its own line.
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, current - 1);
        if (last[0] !== 0x0a) await writeAll(handle, Buffer.from('\n'));
      }
      size = (await handle.stat()).size;
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    fh = handle;
    openedAt = runtime.now();
  };

  const closeFile = async (): Promise<void> => {
    const handle = fh;
    fh = null;
    if (handle === null) return;
    // The handle must outlive the fsyncs still running on it.
    if (syncing !== null) await syncing;
    while (acks.size > 0) await Promise.all(acks);
    try {
      if (dirty && opts.fsync !== 'never') await handle.sync();
      dirty = false;
    } finally {
      await handle.close();
    }
  };

  /** Rotated files, oldest first (by stamp, then suffix). */
  const listRotated = async (): Promise<{ name: string; stamp: string; n: number }[]> => {
    const rotated: { name: string; stamp: string; n: number }[] = [];
    for (const name of await readdir(dirname(path))) {
      const m = rotatedName.exec(name);
      if (m?.[1] !== undefined) rotated.push({ name, stamp: m[1], n: Number(m[2] ?? 0) });
    }
    return rotated.sort((a, b) => (a.stamp === b.stamp ? a.n - b.n : a.stamp < b.stamp ? -1 : 1));
  };

  /** `<path>.<stamp>`, or `<path>.<stamp>-N` past the highest N of that second, so names sort in rotation order. */
  const uniqueRotatedPath = async (): Promise<string> => {
    const stamp = rotationStamp(runtime.now());
    const same = (await listRotated()).filter((r) => r.stamp === stamp);
    const last = same.at(-1);
    return last === undefined ? `${path}.${stamp}` : `${path}.${stamp}-${last.n + 1}`;
  };

  const prune = async (): Promise<void> => {
    if (opts.rotate_keep === 0) return;
    const dir = dirname(path);
    const rotated = await listRotated();
    for (const old of rotated.slice(0, Math.max(0, rotated.length - opts.rotate_keep))) {
      await unlink(join(dir, old.name)).catch((err: unknown) => {
        if (systemCode(err) !== 'ENOENT') throw err;
      });
    }
  };

  const rotate = async (): Promise<void> => {
    await closeFile();
    const target = await uniqueRotatedPath();
    try {
      await rename(path, target);
    } catch (err) {
      // Moved away by someone else already: just start a new file.
      if (systemCode(err) !== 'ENOENT') throw err;
    }
    await openFile();
    if (opts.fsync !== 'never') await syncDir(dirname(path));
    log.info({ device: ctx.name, type: 'file' }, 'audit file rotated');
    await prune();
  };

  const due = (next: number): boolean => {
    if (size === 0) return false;
    if (opts.rotate_max_bytes > 0 && size + next > opts.rotate_max_bytes) return true;
    return opts.rotate_interval > 0 && runtime.now() - openedAt >= opts.rotate_interval;
  };

  /**
   * `fsync: always`: fsyncs `handle` and then acknowledges `items`, not awaited by the writer
   * loop; fails them if this or an earlier fsync of the handle failed.
   */
  const syncThenAck = (handle: FileHandle, items: readonly Item[]): void => {
    dirty = false;
    const ack = handle
      .sync()
      .then(() => {
        if (failedHandles.has(handle)) throw new SinkError('io', 'an earlier fsync of the audit file failed');
        counters.written += items.length;
        for (const item of items) item.w.resolve();
      })
      .catch((err: unknown) => {
        failedHandles.add(handle);
        counters.failed += items.length;
        log.error({ device: ctx.name, type: 'file', records: items.length, err: errorKind(err) }, 'audit file fsync failed');
        const failure = err instanceof SinkError ? err : new SinkError('io', `the audit file could not be written (${errorKind(err)})`, { cause: err });
        for (const item of items) item.w.reject(failure);
        // The next round reopens the path (writeRound); wake the loop if it is idle.
        kick();
      })
      .finally(() => {
        acks.delete(ack);
      });
    acks.add(ack);
  };

  /** Where each round's lines are encoded (MAX_ROUND_BYTES, allocated at the first round): one buffer, not one per write. */
  let roundBuffer: Buffer | null = null;

  /** Writes one round: rotation only between lines; never throws. */
  const writeRound = async (batch: Item[]): Promise<void> => {
    let done = 0;
    try {
      // After a failed fsync the handle's state is unknown: start again from the path.
      if (fh !== null && failedHandles.has(fh)) await closeFile().catch(() => undefined);
      if (fh === null) await openFile();
      const buffer = (roundBuffer ??= Buffer.allocUnsafeSlow(MAX_ROUND_BYTES));
      while (done < batch.length) {
        const first = batch[done];
        if (first === undefined) break;
        // The chunk's first line is encoded before the rotation check, which needs its size;
        // a line longer than the buffer is written on its own.
        let chunk = buffer;
        let used = encodeLine(buffer, 0, first.line);
        if (used < 0) {
          chunk = Buffer.from(`${first.line}\n`, 'utf8');
          used = chunk.length;
        }
        if (due(used)) await rotate();
        const handle = fh;
        if (handle === null) throw new SinkError('io', 'the audit file is not open');
        let count = 1;
        if (chunk === buffer) {
          for (let i = done + 1; i < batch.length; i++) {
            const next = batch[i];
            if (next === undefined) break;
            // A line that does not fit (the buffer, or the file before rotation) starts the next chunk.
            const n = encodeLine(buffer, used, next.line);
            if (n < 0 || (opts.rotate_max_bytes > 0 && size + used + n > opts.rotate_max_bytes)) break;
            used += n;
            count++;
          }
        }
        const before = size;
        try {
          // On the event loop: a copy into the page cache, no thread-pool round trip (decision 0018).
          writeAllSync(handle.fd, chunk, used);
        } catch (err) {
          // Never leave half a line for the next record to be glued onto.
          await handle.truncate(before).catch(() => undefined);
          throw err;
        }
        size += used;
        dirty = true;
        if (opts.fsync === 'always') {
          // Beside the next round's write; the oldest first when as many as allowed are under way.
          while (acks.size >= MAX_SYNCS_IN_FLIGHT) await Promise.race(acks);
          syncThenAck(handle, batch.slice(done, done + count));
        } else {
          counters.written += count;
          for (let i = 0; i < count; i++) batch[done + i]?.w.resolve();
        }
        done += count;
      }
    } catch (err) {
      const failed = batch.slice(done);
      counters.failed += failed.length;
      log.error({ device: ctx.name, type: 'file', records: failed.length, err: errorKind(err) }, 'audit file write failed');
      // After a failed write or fsync the handle's state is unknown: start again from the path.
      await closeFile().catch(() => undefined);
      const failure = new SinkError('io', `the audit file could not be written (${errorKind(err)})`, { cause: err });
      for (const item of failed) item.w.reject(failure);
    }
  };

  /** The signals a listener was added to: one each, however many records share one. */
  const watched = new WeakSet<AbortSignal>();

  /** A deadline passed: its records still queued are not written (those handed to write(2) complete). */
  const dropAborted = (signal: AbortSignal): void => {
    if (!queue.some((item) => item.w.signal === signal)) return;
    const kept: Item[] = [];
    for (const item of queue) {
      if (item.w.signal !== signal) kept.push(item);
      else {
        counters.failed++;
        item.w.reject(abortError(signal));
      }
    }
    queue = kept;
  };

  /** The queued records of the next round: up to MAX_ROUND_BYTES of text (UTF-16 units; the chunks bound the bytes). */
  const takeRound = (): Item[] => {
    let units = 0;
    let count = 0;
    for (const next of queue) {
      if (count > 0 && units + next.line.length + 1 > MAX_ROUND_BYTES) break;
      units += next.line.length + 1;
      count++;
    }
    // Handed to write(2): out of the queue, so the records complete even if their deadline passes now.
    if (count === queue.length) {
      const batch = queue;
      queue = [];
      return batch;
    }
    return queue.splice(0, count);
  };

  const loop = async (): Promise<void> => {
    for (;;) {
      if (reopenWaiters.length > 0) {
        const waiters = reopenWaiters.splice(0);
        try {
          await closeFile();
          await openFile();
          for (const w of waiters) w.resolve();
        } catch (err) {
          log.error({ device: ctx.name, type: 'file', err: errorKind(err) }, 'audit file could not be reopened');
          for (const w of waiters) w.reject(new SinkError('io', `the audit file could not be reopened (${errorKind(err)})`, { cause: err }));
        }
        continue;
      }
      if (queue.length > 0) {
        await writeRound(takeRound());
        continue;
      }
      if (syncDue) {
        syncDue = false;
        const handle = fh;
        if (dirty && handle !== null && syncing === null) {
          dirty = false;
          // Not awaited here: records that arrive meanwhile are written while the fsync runs
          // (it covers what was written before it began), so the once-a-second fsync does not
          // hold up the requests behind it.
          syncing = handle
            .sync()
            .catch((err: unknown) => {
              dirty = true;
              log.error({ device: ctx.name, type: 'file', err: errorKind(err) }, 'audit file fsync failed');
            })
            .finally(() => {
              syncing = null;
            });
        }
        continue;
      }
      return;
    }
  };

  const kick = (): void => {
    if (running) return;
    running = true;
    idle = new Promise<void>((resolve) => {
      markIdle = resolve;
    });
    // The round starts after this turn of the event loop: the records every request of this
    // turn submitted (a cache hit's pair among them) share one write and one fsync, instead of
    // the first record of a burst going alone.
    setImmediate(() => {
      void loop().finally(() => {
        running = false;
        markIdle();
        if (queue.length > 0 || reopenWaiters.length > 0 || syncDue) kick();
      });
    });
  };

  try {
    await openFile();
  } catch (err) {
    throw new SinkError('io', `the audit file could not be opened (${errorKind(err)})`, { cause: err });
  }

  const timer = opts.fsync === 'interval' ? setInterval(() => {
    if (!dirty) return;
    syncDue = true;
    kick();
  }, opts.fsync_interval) : undefined;
  unrefTimer(timer);

  return {
    type: 'file',
    oneListenerPerSignal: true,

    write(record, signal) {
      const refused = refusedWrite(closed ? 'the audit file sink is closed' : null, signal, counters);
      if (refused !== null) return refused;
      const { promise, waiter: w } = waiter(signal);
      // Encoded (and measured) once, when its round writes it.
      queue.push({ line: record.line, w });
      // One listener per deadline signal, not per record: the device shares a signal among
      // consecutive records (`oneListenerPerSignal`).
      if (!watched.has(signal)) {
        watched.add(signal);
        signal.addEventListener('abort', () => dropAborted(signal), { once: true });
      }
      kick();
      return promise;
    },

    counters: snapshot,

    reopen() {
      if (closed) return Promise.reject(new SinkError('closed', 'the audit file sink is closed'));
      return new Promise<void>((resolve, reject) => {
        reopenWaiters.push({ resolve, reject });
        kick();
      });
    },

    async close(signal) {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      if (signal !== undefined && running) {
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          signal.addEventListener('abort', () => resolve(), { once: true });
          void idle.then(resolve);
        });
        // Out of time: what is still queued is not written; the round in flight completes.
        const left = queue;
        queue = [];
        for (const item of left) {
          counters.failed++;
          item.w.reject(new SinkError('closed', 'the audit file sink closed before the record was written'));
        }
      }
      while (running) await idle;
      await closeFile().catch((err: unknown) => {
        log.error({ device: ctx.name, type: 'file', err: errorKind(err) }, 'audit file could not be closed cleanly');
      });
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
