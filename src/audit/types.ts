/**
 * Audit contracts (ARCHITECTURE.md, decision 8). The broker builds each record (every value
 * in request and response data HMAC'd), chains it (sequence number and the previous record's
 * hash) and hands the finished record to each device's sink. Sinks only deliver.
 */

import type { JsonObject } from '../core/index.js';

/**
 * One finished audit record, as a sink receives it: a plain JSON object whose `line` is the
 * exact canonical text the chain hash covers. File-like sinks write `line` verbatim (one
 * per line) so `keygate audit verify` can recompute the chain; SIEM formats wrap `record`.
 */
export interface ChainedRecord {
  /** The record object (already HMAC'd and chained: `seq`, `prev_hash`, `hash` inside). */
  readonly record: JsonObject;
  /** `JSON.stringify(record)`: what is written to line-oriented sinks, byte for byte. */
  readonly line: string;
  /** The device's sequence number of this record. */
  readonly seq: number;
  /** The chain segment it belongs to. */
  readonly segment: string;
  /** Its hash (the record's `hash` field). */
  readonly hash: string;
}

/** Delivery counters a sink keeps; exposed at `GET /api/v1/sys/audit`. */
export interface SinkCounters {
  /** Records accepted by the target (or written to the file). */
  written: number;
  /** Records the sink failed to deliver and reported as failed to the broker. */
  failed: number;
  /** Records put in the on-disk spool because the target was down (optional devices). */
  spooled: number;
  /** Records lost because the spool was full; never silent: counted and logged. */
  dropped: number;
}

/**
 * A destination for audit records. `write` receives records in chain order and must deliver
 * them in that order. It resolves when the record is as durable as the sink's policy says
 * (file: written, and fsynced per its fsync policy; HTTP: acknowledged by the receiver, or
 * for an optional device with a spool, safely spooled), and rejects otherwise. It must
 * honour `signal` (the device deadline) by rejecting promptly; a write that completes after
 * its deadline is allowed (the record then exists although the request was refused).
 */
export interface AuditSink {
  /** The sink type: `file`, `stdout`, `syslog`, `http`. */
  readonly type: string;
  /**
   * True when the sink adds at most one abort listener to a signal however many records it
   * is handed with (the file sink). The device then shares one deadline signal among more
   * records (decision 0014's finding: every AbortSignal costs, and V8 tends to tenure them);
   * a sink that listens per record gets a signal per few records, under Node's warning
   * threshold of 10 listeners on one target.
   */
  readonly oneListenerPerSignal?: boolean;
  write(record: ChainedRecord, signal: AbortSignal): Promise<void>;
  /** Counters since start. */
  counters(): SinkCounters;
  /** Re-opens files (SIGHUP, after external rotation). No-op for other sinks. */
  reopen?(): Promise<void>;
  /** Flushes what it can within `signal` and releases resources. */
  close(signal?: AbortSignal): Promise<void>;
}

/** What a sink factory receives: the device's name and options (validated by the factory). */
export interface SinkContext {
  /** Device name (also the directory name of its spool). */
  name: string;
  /** Whether the device is required (optional devices spool instead of failing). */
  required: boolean;
  /** A directory the sink may use for its spool (Node sinks). */
  spoolDir?: string;
}
