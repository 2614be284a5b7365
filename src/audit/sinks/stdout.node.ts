/**
 * The stdout sink (`type: 'stdout'`): `record.line` and a newline per record, for container
 * platforms that collect standard output. Writes keep their order and respect backpressure:
 * when the stream's buffer is full, queued records wait for `'drain'` instead of piling up in
 * memory. A `write()` resolves when the stream has flushed its record.
 */

import type { Writable } from 'node:stream';
import { z } from 'zod';
import { parseOrThrow } from '../../core/index.js';
import type { AuditSink, SinkContext } from '../types.js';
import { SinkError, abortError, createCounters, errorKind, refusedWrite, waiter } from './common.js';
import type { Waiter } from './common.js';
import type { SinkDeps } from './types.js';

/** Options of a `stdout` device: none. */
export const stdoutSinkOptionsSchema = z.strictObject({});

interface Item {
  text: string;
  w: Waiter;
  taken: boolean;
  onAbort: () => void;
}

/**
 * Creates a stdout sink. `deps.stream` replaces `process.stdout` (tests, or another
 * descriptor). Throws `ValidationError` for unknown options.
 */
export async function createStdoutSink(
  options: unknown,
  ctx: SinkContext,
  deps: SinkDeps & { stream?: Writable },
): Promise<AuditSink> {
  parseOrThrow(stdoutSinkOptionsSchema, options ?? {}, 'invalid stdout audit device options', ['options']);
  const stream: Writable = deps.stream ?? process.stdout;
  const log = deps.runtime.logger;
  const { c: counters, snapshot } = createCounters();
  const queue: Item[] = [];
  let pumping = false;
  let broken: unknown = null;
  let closed = false;
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];

  const notifyIdle = () => {
    if (pumping || inFlight > 0 || queue.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const fail = (item: Item, err: unknown) => {
    counters.failed++;
    item.w.reject(err instanceof SinkError ? err : new SinkError('io', `standard output could not be written (${errorKind(err)})`, { cause: err }));
  };

  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        stream.off('drain', done);
        stream.off('close', done);
        stream.off('error', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
      stream.on('error', done);
    });

  const pump = async (): Promise<void> => {
    pumping = true;
    try {
      while (queue.length > 0) {
        // The stream's buffer is full: wait for it to drain before handing it more.
        if (stream.writableNeedDrain && broken === null && !stream.destroyed) await drained();
        const item = queue.shift();
        if (item === undefined) break;
        item.taken = true;
        item.w.signal.removeEventListener('abort', item.onAbort);
        if (broken !== null) {
          fail(item, broken);
          continue;
        }
        inFlight++;
        stream.write(item.text, (err) => {
          inFlight--;
          if (err === undefined || err === null) {
            counters.written++;
            item.w.resolve();
          } else {
            if (broken === null) log.error({ device: ctx.name, type: 'stdout', err: errorKind(err) }, 'audit stdout write failed');
            broken = err;
            fail(item, err);
          }
          notifyIdle();
        });
      }
    } finally {
      pumping = false;
      notifyIdle();
    }
  };

  return {
    type: 'stdout',

    write(record, signal) {
      const refused = refusedWrite(closed ? 'the stdout audit sink is closed' : null, signal, counters);
      if (refused !== null) return refused;
      const { promise, waiter: w } = waiter(signal);
      const item: Item = {
        text: `${record.line}\n`,
        w,
        taken: false,
        onAbort: () => {
          if (item.taken) return;
          const at = queue.indexOf(item);
          if (at >= 0) queue.splice(at, 1);
          counters.failed++;
          w.reject(abortError(signal));
        },
      };
      signal.addEventListener('abort', item.onAbort, { once: true });
      queue.push(item);
      if (!pumping) void pump();
      return promise;
    },

    counters: snapshot,

    async close(signal) {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        if (signal?.aborted === true) resolve();
        signal?.addEventListener('abort', () => resolve(), { once: true });
        idleWaiters.push(resolve);
        notifyIdle();
      });
      for (const item of queue.splice(0)) {
        item.w.signal.removeEventListener('abort', item.onAbort);
        fail(item, new SinkError('closed', 'the stdout audit sink closed before the record was written'));
      }
      // process.stdout is never ended: the process's own logs may still use it.
    },
  };
}
