/**
 * The in-memory audit sink: the reference implementation of `AuditSink`, for tests and
 * embedding. It can be told to fail or hang, so fail-closed behaviour is testable without
 * mocks.
 */

import type { AuditSink, ChainedRecord, SinkCounters } from './types.js';

export interface MemorySink extends AuditSink {
  /** Every line written, in order. */
  readonly lines: string[];
  /** `ok` writes; `fail` rejects every write; `hang` never answers (until the signal aborts). */
  mode: 'ok' | 'fail' | 'hang';
}

export function createMemorySink(): MemorySink {
  const counters: SinkCounters = { written: 0, failed: 0, spooled: 0, dropped: 0 };
  const sink: MemorySink = {
    type: 'memory',
    lines: [],
    mode: 'ok',
    async write(record: ChainedRecord, signal: AbortSignal) {
      if (sink.mode === 'fail') {
        counters.failed++;
        throw new Error('memory sink set to fail');
      }
      if (sink.mode === 'hang') {
        await new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      }
      sink.lines.push(record.line);
      counters.written++;
    },
    counters: () => ({ ...counters }),
    async close() {},
  };
  return sink;
}
