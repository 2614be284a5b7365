/**
 * The queued sink behind the network sinks (HTTP, syslog over TCP/TLS/UDP): records queue
 * in chain order, leave in batches through one sender (so batch N is acknowledged before
 * batch N+1 is sent, and order holds at the target), and each `write()` resolves when the
 * batch holding its record is acknowledged.
 *
 * Required devices retry a batch (bounded, backoff with full jitter, `Retry-After` honoured)
 * and then fail it, so the broker fails the request closed. Optional devices with a spool
 * never wait on a dead target: on the first retryable failure the batch, and everything
 * queued behind it, goes to the on-disk spool in order; from then on new records are
 * appended behind the spool (never overtaking it) and a background drainer delivers the
 * spool, oldest first, with backoff, until it is empty; then records go straight to the
 * target again. Nothing here logs a record's content: only counts, the device name and
 * error kinds.
 */

import { deadline, parseJsonObject, unrefTimer } from '../../core/index.js';
import type { Logger, Runtime } from '../../core/index.js';
import type { AuditSink, ChainedRecord, SinkContext } from '../types.js';
import {
  SinkError,
  abortError,
  asTransportError,
  backoffDelay,
  createCounters,
  createLogThrottle,
  refusedWrite,
  errorKind,
  sleep,
  waiter,
} from './common.js';
import type { Waiter } from './common.js';
import type { EncodedEntry, Spool, Transport } from './types.js';

/** Batching, timeout and retry settings of a queued sink. */
export interface QueueSettings {
  /** Most records in one batch. */
  maxRecords: number;
  /** Most encoded bytes in one batch (a single larger record still goes, alone). */
  maxBytes: number;
  /** How long a partial batch may wait for more records; 0 sends as soon as the sender is idle. */
  flushIntervalMs: number;
  /** Time limit of one delivery attempt. */
  timeoutMs: number;
  retry: {
    /** Attempts per batch, the first included (required devices; the spool drainer retries without limit). */
    maxAttempts: number;
    backoffInitialMs: number;
    backoffMaxMs: number;
  };
}

/** What `createQueuedSink` needs. */
export interface QueuedSinkOptions {
  type: string;
  ctx: SinkContext;
  runtime: Pick<Runtime, 'now' | 'logger'>;
  transport: Transport;
  /** Encodes a record for the target; may throw a `SinkError` (`too_large`) to refuse it. */
  encode(record: ChainedRecord): EncodedEntry;
  settings: QueueSettings;
  /** The device's spool; used only by optional devices (`ctx.required` false). */
  spool?: Spool;
}

/** A `Retry-After` longer than this is cut to it: a record should not wait an hour behind one batch. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;
/** Nesting accepted when reading a spooled record back (the gateway's request limit, plus the record's own levels, with room). */
const SPOOLED_MAX_DEPTH = 256;
/** Repeated delivery warnings are logged at most this often. */
const WARN_INTERVAL_MS = 10_000;

interface Item {
  entry: EncodedEntry;
  line: string;
  w: Waiter;
  /** True once the item left the queue for the transport or the spool. */
  taken: boolean;
  onAbort: () => void;
}

/** Rebuilds a `ChainedRecord` from a spooled line (the line is the record's canonical JSON). */
export function recordFromLine(line: string): ChainedRecord {
  // Records nest request data a few levels below the gateway's own depth limit.
  const record = parseJsonObject(line, SPOOLED_MAX_DEPTH);
  const { seq, segment, hash } = record;
  return { record, line, seq: typeof seq === 'number' ? seq : 0, segment: typeof segment === 'string' ? segment : '', hash: typeof hash === 'string' ? hash : '' };
}

/** Builds a queued, batched sink over `transport` (see the module comment). */
export function createQueuedSink(options: QueuedSinkOptions): AuditSink {
  const { ctx, runtime, transport, settings, type } = options;
  const log: Logger = runtime.logger;
  const spool = ctx.required ? undefined : options.spool;
  const { c: counters, snapshot } = createCounters();
  const warnFailure = createLogThrottle(() => runtime.now(), WARN_INTERVAL_MS);

  let mode: 'direct' | 'spooling' = spool !== undefined && spool.size().records > 0 ? 'spooling' : 'direct';
  let pending: Item[] = [];
  let pendingBytes = 0;
  let sending: Promise<void> | null = null;
  let draining: Promise<void> | null = null;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let flushDue = false;
  let closing = false;
  /** Aborts backoff sleeps when closing. */
  const stopping = new AbortController();
  /** Aborts in-flight attempts when close runs out of time. */
  const killing = new AbortController();
  let appendTail: Promise<unknown> = Promise.resolve();
  let appendsInFlight = 0;
  let burstDrops = 0;

  /** One attempt at the target, bounded by `timeout` and by close running out of time. */
  const sendBounded = async (entries: EncodedEntry[]): Promise<void> => {
    const bounded = deadline(killing.signal, settings.timeoutMs);
    try {
      await transport.send(entries, bounded.signal);
    } finally {
      bounded.release();
    }
  };

  const ready = () =>
    closing || settings.flushIntervalMs === 0 || flushDue || pending.length >= settings.maxRecords || pendingBytes >= settings.maxBytes;

  const clearFlushTimer = () => {
    if (flushTimer !== undefined) clearTimeout(flushTimer);
    flushTimer = undefined;
  };

  const kick = (): void => {
    if (sending !== null || mode !== 'direct' || pending.length === 0) return;
    if (!ready()) {
      if (flushTimer === undefined) {
        flushTimer = setTimeout(() => {
          flushTimer = undefined;
          flushDue = true;
          kick();
        }, settings.flushIntervalMs);
        unrefTimer(flushTimer);
      }
      return;
    }
    sending = pump().finally(() => {
      sending = null;
      kick();
    });
  };

  const take = (): Item[] => {
    const batch: Item[] = [];
    let bytes = 0;
    while (batch.length < settings.maxRecords) {
      const next = pending[0];
      if (next === undefined || (batch.length > 0 && bytes + next.entry.bytes > settings.maxBytes)) break;
      pending.shift();
      pendingBytes -= next.entry.bytes;
      bytes += next.entry.bytes;
      next.taken = true;
      batch.push(next);
    }
    if (pending.length === 0) {
      flushDue = false;
      clearFlushTimer();
    }
    return batch;
  };

  const settle = (items: readonly Item[], err?: unknown) => {
    for (const item of items) {
      item.w.signal.removeEventListener('abort', item.onAbort);
      if (item.w.settled) continue;
      if (err === undefined) item.w.resolve();
      else {
        counters.failed++;
        item.w.reject(err);
      }
    }
  };

  const endBurst = () => {
    if (burstDrops === 0) return;
    log.warn({ device: ctx.name, type, dropped: burstDrops, dropped_total: counters.dropped }, 'audit spool accepts records again after dropping some');
    burstDrops = 0;
  };

  /** Appends one line to the spool behind every earlier append. Resolves true when stored. */
  const appendToSpool = (s: Spool, line: string): Promise<boolean> => {
    appendsInFlight++;
    const result = appendTail.then(() => s.append(line));
    appendTail = result.catch(() => undefined);
    return result.then(
      (stored) => {
        appendsInFlight--;
        if (stored) {
          counters.spooled++;
          endBurst();
          return true;
        }
        counters.dropped++;
        burstDrops++;
        if (burstDrops === 1) {
          const size = s.size();
          log.warn(
            { device: ctx.name, type, spool_records: size.records, spool_bytes: size.bytes, max_records: s.limits.maxRecords, max_bytes: s.limits.maxBytes },
            'audit spool full: dropping records until the target drains it',
          );
        }
        return false;
      },
      (err: unknown) => {
        appendsInFlight--;
        log.error({ device: ctx.name, type, err: errorKind(err) }, 'audit spool write failed');
        throw new SinkError('io', 'the audit spool could not be written', { cause: err });
      },
    );
  };

  /** A write in spooling mode: resolves once the line is in the spool. */
  const spoolWrite = (s: Spool, line: string, signal: AbortSignal): Promise<void> => {
    const stored = appendToSpool(s, line);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        counters.failed++;
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      stored.then(
        (ok) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) return;
          if (ok) resolve();
          else reject(new SinkError('spool_full', 'the audit spool is full; the record was dropped'));
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) return;
          counters.failed++;
          reject(err);
        },
      );
    });
  };

  /** Moves a failed batch and everything queued behind it to the spool, in order. */
  const divert = (s: Spool, batch: Item[], cause: unknown) => {
    mode = 'spooling';
    const items = [...batch, ...pending];
    pending = [];
    pendingBytes = 0;
    flushDue = false;
    clearFlushTimer();
    log.warn({ device: ctx.name, type, records: items.length, err: errorKind(cause) }, 'audit target unavailable: spooling records on disk');
    for (const item of items) {
      item.taken = true;
      item.w.signal.removeEventListener('abort', item.onAbort);
      appendToSpool(s, item.line).then(
        (ok) => {
          if (item.w.settled) return;
          if (ok) item.w.resolve();
          else item.w.reject(new SinkError('spool_full', 'the audit spool is full; the record was dropped'));
        },
        (err: unknown) => {
          if (item.w.settled) return;
          counters.failed++;
          item.w.reject(err);
        },
      );
    }
    startDrainer(s);
  };

  /** Sends one batch straight to the target; never throws. */
  const deliverDirect = async (batch: Item[]): Promise<void> => {
    const entries = batch.map((item) => item.entry);
    for (let attempt = 0; ; attempt++) {
      try {
        await sendBounded(entries);
        counters.written += batch.length;
        settle(batch);
        return;
      } catch (raw) {
        const err = asTransportError(raw);
        if (killing.signal.aborted) {
          settle(batch, new SinkError('closed', 'the audit sink closed before the target acknowledged the record'));
          return;
        }
        if (err.retryable && spool !== undefined) {
          divert(spool, batch, err);
          return;
        }
        const last = !err.retryable || attempt + 1 >= settings.retry.maxAttempts || stopping.signal.aborted;
        if (last) {
          warnFailure((suppressed) =>
            log.warn(
              { device: ctx.name, type, records: batch.length, attempts: attempt + 1, err: errorKind(err), status: err.status, suppressed_warnings: suppressed },
              'audit target did not accept a batch',
            ),
          );
          settle(batch, err);
          return;
        }
        const delay = err.retryAfterMs === null ? backoffDelay(attempt, settings.retry.backoffInitialMs, settings.retry.backoffMaxMs) : Math.min(err.retryAfterMs, MAX_RETRY_AFTER_MS);
        await sleep(delay, stopping.signal).catch(() => undefined);
      }
    }
  };

  const pump = async (): Promise<void> => {
    while (mode === 'direct' && pending.length > 0 && ready()) {
      await deliverDirect(take());
    }
  };

  /** Delivers the spool oldest first until it is empty, then returns to direct delivery. */
  const drain = async (s: Spool): Promise<void> => {
    let attempt = 0;
    while (!closing) {
      try {
        const lines = await s.peekBatch(settings.maxRecords);
        if (lines.length === 0) {
          if (appendsInFlight > 0) {
            await appendTail;
            continue;
          }
          mode = 'direct';
          draining = null;
          endBurst();
          log.info({ device: ctx.name, type, written: counters.written }, 'audit spool drained: delivering directly again');
          kick();
          return;
        }
        const entries: EncodedEntry[] = [];
        let bytes = 0;
        let unreadable = 0;
        for (const line of lines) {
          let entry: EncodedEntry;
          try {
            entry = options.encode(recordFromLine(line));
          } catch {
            // A line that cannot be read back (a damaged spool) cannot ever be sent: skip it, counted.
            if (entries.length === 0) unreadable = 1;
            break;
          }
          if (entries.length > 0 && bytes + entry.bytes > settings.maxBytes) break;
          entries.push(entry);
          bytes += entry.bytes;
        }
        if (unreadable > 0) {
          counters.failed++;
          log.error({ device: ctx.name, type }, 'audit spool held an unreadable record; it was skipped');
          await s.ack(1);
          continue;
        }
        try {
          await sendBounded(entries);
        } catch (raw) {
          const err = asTransportError(raw);
          if (killing.signal.aborted) return;
          if (!err.retryable) {
            counters.failed += entries.length;
            log.error({ device: ctx.name, type, records: entries.length, err: errorKind(err), status: err.status }, 'audit target refused spooled records; they were skipped');
            await s.ack(entries.length);
            continue;
          }
          warnFailure((suppressed) => {
            const size = s.size();
            log.warn(
              { device: ctx.name, type, err: errorKind(err), status: err.status, spool_records: size.records, spool_bytes: size.bytes, suppressed_warnings: suppressed },
              'audit target still unavailable: records wait in the spool',
            );
          });
          const delay = err.retryAfterMs === null ? backoffDelay(attempt, settings.retry.backoffInitialMs, settings.retry.backoffMaxMs) : Math.min(err.retryAfterMs, MAX_RETRY_AFTER_MS);
          attempt++;
          await sleep(delay, stopping.signal).catch(() => undefined);
          continue;
        }
        await s.ack(entries.length);
        counters.written += entries.length;
        attempt = 0;
      } catch (err) {
        // The spool itself failed (a read or an ack): wait and try again rather than spin.
        log.error({ device: ctx.name, type, err: errorKind(err) }, 'audit spool could not be read');
        await sleep(backoffDelay(attempt++, settings.retry.backoffInitialMs, settings.retry.backoffMaxMs), stopping.signal).catch(() => undefined);
      }
    }
  };

  function startDrainer(s: Spool): void {
    if (draining !== null) return;
    const run = drain(s).finally(() => {
      if (draining === run) draining = null;
    });
    draining = run;
  }

  if (mode === 'spooling' && spool !== undefined) {
    log.info({ device: ctx.name, type, records: spool.size().records }, 'audit spool holds records from a previous run: delivering them first');
    startDrainer(spool);
  }

  return {
    type,

    write(record, signal) {
      const refused = refusedWrite(closing ? 'the audit sink is closed' : null, signal, counters);
      if (refused !== null) return refused;
      // Behind a non-empty spool: the record goes to the spool, encoded only when it is sent.
      if (mode === 'spooling' && spool !== undefined) return spoolWrite(spool, record.line, signal);
      let entry: EncodedEntry;
      try {
        entry = options.encode(record);
      } catch (err) {
        counters.failed++;
        warnFailure((suppressed) => log.warn({ device: ctx.name, type, err: errorKind(err), suppressed_warnings: suppressed }, 'audit record refused by the sink'));
        return Promise.reject(err);
      }
      const { promise, waiter: w } = waiter(signal);
      const item: Item = {
        entry,
        line: record.line,
        w,
        taken: false,
        onAbort: () => {
          if (!item.taken) {
            const at = pending.indexOf(item);
            if (at >= 0) {
              pending.splice(at, 1);
              pendingBytes -= item.entry.bytes;
            }
          }
          if (!w.settled) {
            counters.failed++;
            w.reject(abortError(signal));
          }
        },
      };
      signal.addEventListener('abort', item.onAbort, { once: true });
      pending.push(item);
      pendingBytes += entry.bytes;
      kick();
      return promise;
    },

    counters: snapshot,

    async close(signal) {
      if (closing) return;
      closing = true;
      clearFlushTimer();
      stopping.abort();
      kick();
      const settled = (async () => {
        while (sending !== null || pending.length > 0 || draining !== null || appendsInFlight > 0) {
          await Promise.all([sending, draining, appendTail]);
          kick();
        }
      })();
      if (signal === undefined) await settled;
      else {
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          signal.addEventListener('abort', () => resolve(), { once: true });
          void settled.then(resolve);
        });
        if (signal.aborted) killing.abort();
        await settled;
      }
      const leftover = pending;
      pending = [];
      settle(leftover, new SinkError('closed', 'the audit sink closed before the record was sent'));
      await transport.close().catch(() => undefined);
      await spool?.close().catch(() => undefined);
    },
  };
}
