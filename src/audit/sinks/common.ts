/**
 * Pieces every sink shares: the error a sink rejects with, counters, abort handling, the
 * retry delay (exponential backoff with full jitter, from `crypto.getRandomValues`) and
 * option schemas for durations and sizes. Runtime-neutral.
 */

import { z } from 'zod';
import { parseDuration } from '../../core/index.js';
import type { SinkCounters } from '../types.js';

/**
 * Why a sink could not deliver a record. Messages never carry record content, response
 * bodies or credentials, so the error can be logged as it is.
 *
 * - `closed`: the sink is closed (or closing and out of time).
 * - `aborted`: the caller's deadline passed while the record was still queued.
 * - `too_large`: the record cannot be sent whole (a UDP datagram over its cap).
 * - `unavailable`: the target could not be reached or answered with a retryable failure.
 * - `rejected`: the target refused the data (4xx other than 429, or a per-item failure).
 * - `spool_full`: an optional device's spool is full; the record was dropped.
 * - `io`: a local write failed (file sinks, the spool).
 */
export type SinkErrorKind = 'closed' | 'aborted' | 'too_large' | 'unavailable' | 'rejected' | 'spool_full' | 'io';

/** A sink's failure, with a kind a caller (and a log line) can rely on. */
export class SinkError extends Error {
  readonly kind: SinkErrorKind;

  constructor(kind: SinkErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SinkError';
    this.kind = kind;
  }
}

/**
 * A transport's failure to deliver one batch. `retryable` (network errors, timeouts, 429,
 * 5xx) says another attempt may succeed; `retryAfterMs` carries a peer's `Retry-After`.
 */
export class TransportError extends SinkError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;
  /** HTTP status or item status, when there was one (for logs). */
  readonly status: number | null;

  constructor(retryable: boolean, message: string, options: { cause?: unknown; retryAfterMs?: number | null; status?: number | null } = {}) {
    super(retryable ? 'unavailable' : 'rejected', message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TransportError';
    this.retryable = retryable;
    this.retryAfterMs = options.retryAfterMs ?? null;
    this.status = options.status ?? null;
  }
}

/** Any error as a `TransportError`: unknown failures (a socket reset, a TypeError from fetch) are retryable. */
export function asTransportError(err: unknown): TransportError {
  if (err instanceof TransportError) return err;
  return new TransportError(true, 'the audit target could not be reached', { cause: err });
}

/**
 * Rate-limits a repeated warning: the first occurrence logs at once, later ones at most once
 * per `intervalMs`, each carrying how many were suppressed in between.
 */
export function createLogThrottle(now: () => number, intervalMs: number): (log: (suppressed: number) => void) => void {
  let last = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (log) => {
    const t = now();
    if (t - last >= intervalMs) {
      log(suppressed);
      last = t;
      suppressed = 0;
    } else suppressed++;
  };
}

/** The rejection for a record whose deadline passed while it was queued: the signal's own reason when it is an error. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new SinkError('aborted', 'the audit write deadline passed before the record was written');
}

/**
 * A loggable name for an error: a Node error code (`ECONNREFUSED`), a `SinkError` kind or an
 * error's class name. Never its message, which may quote a peer's answer.
 */
export function errorKind(err: unknown): string {
  if (err instanceof SinkError) return err.kind;
  if (typeof err === 'object' && err !== null) {
    const code: unknown = Reflect.get(err, 'code');
    if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
    const cause: unknown = Reflect.get(err, 'cause');
    if (cause !== undefined && cause !== err && typeof cause === 'object' && cause !== null) {
      const inner: unknown = Reflect.get(cause, 'code');
      if (typeof inner === 'string' && /^[A-Z0-9_]{1,40}$/.test(inner)) return inner;
    }
    if (err instanceof Error) return err.name;
  }
  return 'error';
}

/**
 * The write every sink refuses at once, counted as failed: the sink is closed (`closedMessage`
 * says which), or the caller already gave up. Null when the write may go ahead.
 */
export function refusedWrite(closedMessage: string | null, signal: AbortSignal, counters: { failed: number }): Promise<never> | null {
  if (closedMessage === null && !signal.aborted) return null;
  counters.failed++;
  return Promise.reject(closedMessage !== null ? new SinkError('closed', closedMessage) : abortError(signal));
}

/** Mutable counters with a snapshot for `AuditSink.counters()`. */
export function createCounters(): { c: SinkCounters; snapshot(): SinkCounters } {
  const c: SinkCounters = { written: 0, failed: 0, spooled: 0, dropped: 0 };
  return { c, snapshot: () => ({ ...c }) };
}

/** Resolves after `ms`, or rejects with the signal's abort error as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      if (signal !== undefined) reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A uniform random number in [0, 1) from the platform's secure generator. */
function secureUnit(): number {
  const word = new Uint32Array(1);
  crypto.getRandomValues(word);
  return (word[0] ?? 0) / 0x1_0000_0000;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): "full jitter", uniform in
 * [0, min(max, initial × 2^attempt)], so many replicas retrying after one outage spread out.
 */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(secureUnit() * (ceiling + 1));
}

/** Milliseconds from a `Retry-After` header (seconds or an HTTP date), or null. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const DURATION_REASON = 'must be a duration such as "500ms", "1s" or "1h30m" (units h, m, s, ms)';

/** A duration option: text such as `"1s"` (or the number 0), in milliseconds; `min` bounds it below. */
export function durationMs(min = 0) {
  return z.union([z.literal(0), z.string().max(32)]).transform((value, ctx) => {
    const ms = typeof value === 'number' ? 0 : parseDuration(value);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: DURATION_REASON });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${min}ms` });
      return z.NEVER;
    }
    return ms;
  });
}

/** One mebibyte. */
export const MiB = 1024 * 1024;

/** The settle functions of one pending `write()`, each effective once. */
export interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
  signal: AbortSignal;
  /** True once resolved or rejected. */
  settled: boolean;
}

/** A promise with its settle functions, settled at most once. */
export function waiter(signal: AbortSignal): { promise: Promise<void>; waiter: Waiter } {
  let resolveFn: () => void = () => undefined;
  let rejectFn: (err: unknown) => void = () => undefined;
  const promise = new Promise<void>((resolve, reject) => {
    resolveFn = resolve;
    rejectFn = reject;
  });
  const w: Waiter = {
    signal,
    settled: false,
    resolve() {
      if (w.settled) return;
      w.settled = true;
      resolveFn();
    },
    reject(err) {
      if (w.settled) return;
      w.settled = true;
      rejectFn(err);
    },
  };
  return { promise, waiter: w };
}
