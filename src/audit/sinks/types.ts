/**
 * Contracts of the sinks folder: what every sink factory receives, the transport a queued
 * sink delivers through, and the on-disk spool optional devices fall back on. The
 * `AuditSink` contract itself is `../types.ts`.
 */

import type { Runtime } from '../../core/index.js';

/** What every sink factory needs from its host. */
export interface SinkDeps {
  runtime: Pick<Runtime, 'now' | 'logger' | 'fetch'>;
}

/** One entry of a batch, already encoded in the target's format. */
export interface EncodedEntry {
  /** The entry's text (a HEC event, a bulk action+document pair, a syslog frame, …). */
  text: string;
  /** UTF-8 length of `text`: what batch limits count. */
  bytes: number;
}

/**
 * How a queued sink reaches its target. `send` delivers one batch, in order, and resolves
 * only when the target acknowledged all of it; it rejects with a `TransportError` saying
 * whether a retry may succeed. It must honour `signal` (attempt timeout or close).
 */
export interface Transport {
  send(batch: readonly EncodedEntry[], signal: AbortSignal): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

/**
 * A bounded, crash-safe FIFO of audit lines on disk (`spool.node.ts`). Lines come back in
 * append order; `ack(n)` commits that the first `n` lines of the last `peekBatch` were
 * delivered, durably, so they are never handed out again (except after a crash between
 * delivery and the ack's fsync: at-least-once).
 */
export interface Spool {
  /** Appends one line (no newline inside). False when the spool is full (nothing written). */
  append(line: string): Promise<boolean>;
  /** Up to `n` of the oldest unacknowledged lines (fewer, or none, when the spool holds fewer). */
  peekBatch(n: number): Promise<string[]>;
  /** Commits the first `n` lines of the last `peekBatch` as delivered. */
  ack(n: number): Promise<void>;
  /** Unacknowledged lines and their bytes (newlines included). */
  size(): { records: number; bytes: number };
  /** The limits it was opened with. */
  readonly limits: { maxBytes: number; maxRecords: number };
  close(): Promise<void>;
}
