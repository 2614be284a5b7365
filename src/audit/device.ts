/**
 * One audit device: a sink, its HMAC key, its signing key and its chain. Records are built
 * in parallel, chained and handed to the sink strictly in order, and each submission waits
 * for its own record up to the device deadline. A failed write starts a new, signed chain
 * segment that names the last record the sink acknowledged, so a verifier can tell an
 * honest gap from a deletion.
 */

import { GatewayError, unrefTimer } from '../core/index.js';
import type { JsonObject, Runtime } from '../core/index.js';
import { createChain, signedPayload } from './chain.js';
import type { ChainHead, Signer } from './chain.js';
import { createDeadlineQueue } from './deadline-queue.js';
import type { AuditDigests } from './digests.js';
import type { Hmacer } from './hmac.js';
import { createLatestWriter } from './latest-writer.js';
import { buildPairTexts, buildRecordText } from './record.js';
import type { AuditEvent } from './record.js';
import type { AuditSink, ChainedRecord, SinkCounters } from './types.js';

export interface DeviceSettings {
  name: string;
  type: string;
  required: boolean;
  /** Debugging only: data values are written in the clear. */
  logRaw: boolean;
  /** How long one write may take before the request fails (ms). */
  deadlineMs: number;
  /** A signed checkpoint after this many records… */
  checkpointEvery: number;
  /** …or after this long, whichever comes first (ms). */
  checkpointIntervalMs: number;
}

export interface AuditDevice {
  readonly settings: DeviceSettings;
  readonly publicKey: string;
  /** Writes the event's record; rejects with `ERR_AUDIT_UNAVAILABLE` if the sink fails or the deadline passes. */
  submit(event: AuditEvent): Promise<void>;
  /**
   * Writes two records, chained one after the other and handed to the sink together (a read
   * cache hit's request and response); resolves once both are accepted, rejects as `submit`.
   */
  submitPair(first: AuditEvent, second: AuditEvent): Promise<void>;
  /** The HMAC of a value an operator already knows (`sys/audit-hash`). */
  hash(value: string): Promise<string>;
  counters(): SinkCounters;
  head(): ChainHead;
  reopen(): Promise<void>;
  /**
   * Appends a checkpoint when records came since the last one and persists the newest chain
   * head at once, without closing: called before the barrier seals (a seal or a shutdown),
   * while the head can still be stored. Never rejects.
   */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface DeviceDeps {
  settings: DeviceSettings;
  sink: AuditSink;
  hmacer: Hmacer;
  signer: Signer;
  runtime: Pick<Runtime, 'now' | 'randomUUID' | 'subtle' | 'logger'>;
  /** The head the previous process last checkpointed, to link the new segment to. */
  previous: ChainHead | null;
  /**
   * Persists the head after a checkpoint (so the next start can link to it): at most once per
   * `headWriteIntervalMs`, the newest head, and at once when the device closes.
   */
  onCheckpoint(head: ChainHead): Promise<void>;
  /** Default 1 s (decision 0017); 0 persists every checkpoint's head. */
  headWriteIntervalMs?: number;
  /** The chain's SHA-256 (default WebCrypto; the Node entry passes node:crypto's). */
  digests?: Pick<AuditDigests, 'sha256Hex'>;
}

const unavailable = (cause?: unknown) =>
  new GatewayError('ERR_AUDIT_UNAVAILABLE', 'the audit log is unavailable; the request was not performed', cause === undefined ? {} : { cause });

/** Starts a device: opens a new chain segment (a signed segment-start record linked to `previous`). */
export async function startAuditDevice(deps: DeviceDeps): Promise<AuditDevice> {
  const { settings, sink, hmacer, signer, runtime } = deps;
  const chain = createChain(runtime, runtime.randomUUID(), deps.digests);
  /** The last record the sink acknowledged: what a new segment links to. */
  let acknowledged: ChainHead | null = deps.previous;
  let restartPending = false;
  let sinceCheckpoint = 0;
  let lastCheckpointAt = runtime.now();
  // Chain steps run one at a time, so sequence numbers and sink calls follow one order.
  let tail: Promise<unknown> = Promise.resolve();

  const signed = async (type: 'segment-start' | 'checkpoint', extra: JsonObject): Promise<ChainedRecord> => {
    const head = chain.head();
    const body: JsonObject = { type, time: new Date(runtime.now()).toISOString(), ...extra };
    // The signature covers the record's own chain position, fixed before appending.
    const payload = signedPayload({ type, device: settings.name, segment: head.segment, seq: head.seq + 1, prev_hash: head.hash });
    return chain.append(settings.name, { ...body, public_key: signer.publicKey, signature: await signer.sign(payload) });
  };

  const segmentStart = (reason: string) =>
    signed('segment-start', { reason, previous: acknowledged === null ? null : { segment: acknowledged.segment, seq: acknowledged.seq, hash: acknowledged.hash } });

  /** The sink's write; a sink that throws instead of rejecting is a failed write all the same. */
  const writeToSink = (record: ChainedRecord, signal: AbortSignal): Promise<void> => {
    try {
      return sink.write(record, signal);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error('the audit sink failed'));
    }
  };

  /** Hands a record to the sink (in chain order) and tracks what it acknowledged. */
  const deliver = (record: ChainedRecord, signal: AbortSignal): Promise<void> =>
    writeToSink(record, signal).then(
      () => {
        const head = { segment: record.segment, seq: record.seq, hash: record.hash };
        if (acknowledged === null || acknowledged.segment !== head.segment || acknowledged.seq < head.seq) acknowledged = head;
      },
      (err: unknown) => {
        restartPending = true;
        throw err;
      },
    );

  /** Chain steps started and not finished: while there are any, new records queue behind them. */
  let stepsPending = 0;

  /** Runs one serialised chain step; returns the deliveries it started (not awaited by the chain). */
  const step = (fn: () => Promise<Promise<void>[]>): Promise<Promise<void>[]> => {
    stepsPending++;
    const run = tail.then(fn);
    tail = run.then(
      () => void stepsPending--,
      () => void stepsPending--,
    );
    return run;
  };

  const heads = createLatestWriter((head: ChainHead) => deps.onCheckpoint(head), deps.headWriteIntervalMs ?? HEAD_WRITE_INTERVAL_MS, runtime.now);

  /** Appends a signed checkpoint; once the sink has it, its head is persisted (at once when `final`). */
  const checkpoint = async (final = false): Promise<Promise<void>[]> => {
    sinceCheckpoint = 0;
    lastCheckpointAt = runtime.now();
    const record = await signed('checkpoint', {});
    const head = chain.head();
    const delivery = deliver(record, AbortSignal.timeout(settings.deadlineMs)).then(() => {
      const written = heads.write(head);
      if (!final) return written;
      // The same write as `written` (or a newer head's), started now: one rejection to handle.
      written.catch(() => undefined);
      return heads.flush();
    });
    delivery.catch((err: unknown) => runtime.logger.warn({ device: settings.name, err: errorKind(err) }, 'audit checkpoint not written'));
    return [delivery];
  };

  /**
   * The sink-side deadline signal, shared by the records of submissions made within
   * `shareWindowMs` of each other, `shareMax` records at most. One AbortSignal per record is costly on Node: V8 tends to
   * tenure AbortSignals, and each drags its record's objects into the old generation, which
   * then needs full collections that stall the event loop (bench/README.md). A shared signal
   * aborts `deadlineMs + shareWindowMs` after it was opened, so every member gets at least its
   * full deadline; the request itself is refused at exactly `deadlineMs` by its entry in
   * `deadlines`. For a sink that listens per record, at most SHARE_MAX × 2 listeners (a
   * sink's per record, and a segment start's) are ever on one signal, under Node's
   * EventTarget warning threshold of 10; a sink that listens once per signal shares one among
   * up to SHARE_MAX_ONE_LISTENER records.
   */
  const shareWindowMs = Math.max(1, Math.min(50, Math.floor(settings.deadlineMs / 10)));
  const shareMax = sink.oneListenerPerSignal === true ? SHARE_MAX_ONE_LISTENER : SHARE_MAX;
  let shared: SharedDeadline | null = null;

  const acquireDeadline = (records: number): SharedDeadline => {
    const at = runtime.now();
    let current = shared;
    if (current === null || current.records + records > shareMax || at - current.openedAt > shareWindowMs || current.controller.signal.aborted) {
      if (current !== null && current.pending === 0) clearTimeout(current.timer);
      const controller = new AbortController();
      const timer = unrefTimer(setTimeout(() => controller.abort(new DOMException('the audit write deadline passed', 'TimeoutError')), settings.deadlineMs + shareWindowMs));
      current = { controller, openedAt: at, timer, records: 0, pending: 0 };
      shared = current;
    }
    current.records += records;
    current.pending++;
    return current;
  };

  const releaseDeadline = (deadline: SharedDeadline): void => {
    deadline.pending--;
    // Closed to newcomers and every member's write settled: nothing needs it to fire.
    if (deadline.pending === 0 && deadline !== shared) clearTimeout(deadline.timer);
  };

  // The first record of every process is a signed segment start linked to the last checkpoint.
  // Not awaited: a sink that is down at start (an optional SIEM) must not hold up the gateway;
  // the records after it queue behind it in order.
  const [first] = await step(async () => [deliver(await segmentStart('start'), AbortSignal.timeout(settings.deadlineMs))]);
  first?.catch((err: unknown) => {
    runtime.logger.warn({ device: settings.name, required: settings.required, err: errorKind(err) }, 'audit device could not write its first record');
  });

  const timer = unrefTimer(setInterval(() => {
    if (sinceCheckpoint === 0 || runtime.now() - lastCheckpointAt < settings.checkpointIntervalMs) return;
    step(checkpoint).catch(() => undefined);
  }, Math.min(settings.checkpointIntervalMs, 60_000)));

  /** Each submission's deadline: one timer for the device, not one per record. */
  const deadlines = createDeadlineQueue(settings.deadlineMs);

  /** Chains the record texts `bodies` in order: synchronously when the chain's digest is, else awaiting each link in turn. */
  const appendAll = (bodies: readonly string[]): ChainedRecord[] | Promise<ChainedRecord[]> => {
    const records: ChainedRecord[] = [];
    for (const [i, body] of bodies.entries()) {
      const record = chain.appendJson(settings.name, body);
      if (record instanceof Promise) return appendRest(records, record, bodies.slice(i + 1));
      records.push(record);
    }
    return records;
  };
  const appendRest = async (records: ChainedRecord[], pending: Promise<ChainedRecord>, rest: readonly string[]): Promise<ChainedRecord[]> => {
    records.push(await pending);
    for (const body of rest) records.push(await chain.appendJson(settings.name, body));
    return records;
  };

  /**
   * Builds, chains and hands `events`' records to the sink in order; resolves once the sink
   * accepted every one of them, rejects with `ERR_AUDIT_UNAVAILABLE` at the first failure or
   * at the deadline. The request's deadline is an entry in `deadlines` (no timer of its own,
   * no listener on a signal); the sink's abort signal is shared by a few submissions (see
   * `acquireDeadline`). When the records' HMACs and the chain's digest are synchronous (Node)
   * and no chain step is pending, the chain step runs at once, without a promise per stage.
   */
  const submitRecords = (count: number, build: () => readonly (string | Promise<string>)[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let left = count;
      const deadline = acquireDeadline(count);
      const signal = deadline.controller.signal;
      const entry = deadlines.add(() => reject(unavailable(new Error('deadline'))));
      /** Settles the submission once: at its first failure, or when every record is accepted. */
      const settle = (err: unknown): void => {
        if (left <= 0) return;
        if (err === undefined && --left > 0) return;
        left = 0;
        releaseDeadline(deadline);
        // False when the deadline came first: the submission was refused then.
        if (!deadlines.settle(entry)) return;
        if (err === undefined) resolve();
        else reject(unavailable(err));
      };
      const accepted = (): void => settle(undefined);
      const failed = (err: unknown): void => settle(err ?? new Error('the audit record was not written'));
      /** Hands chained records to the sink (in chain order); a checkpoint follows when one is due. */
      const deliverAll = (records: readonly ChainedRecord[]): boolean => {
        for (const record of records) deliver(record, signal).then(accepted, failed);
        sinceCheckpoint += records.length;
        return sinceCheckpoint >= settings.checkpointEvery;
      };
      const finishStep = async (started: Promise<void>[], records: readonly ChainedRecord[]): Promise<Promise<void>[]> => {
        if (deliverAll(records)) started.push(...(await checkpoint()));
        return started;
      };
      try {
        const bodies = build();
        if (stepsPending === 0 && !restartPending && bodies.every(isReady)) {
          const records = appendAll(bodies);
          if (records instanceof Promise) {
            // An asynchronous digest (WebCrypto): the step is registered before anything else can append.
            void step(async () => finishStep([], await records)).catch(failed);
          } else if (deliverAll(records)) void step(checkpoint).catch(() => undefined);
          return;
        }
        const built = Promise.all(bodies);
        built.catch(() => undefined);
        void step(async () => {
          const started: Promise<void>[] = [];
          if (restartPending) {
            restartPending = false;
            chain.restart(runtime.randomUUID());
            const start = deliver(await segmentStart('write-failure'), signal);
            start.catch(() => undefined);
            started.push(start);
          }
          return finishStep(started, await appendAll(await built));
        }).catch(failed);
      } catch (err) {
        failed(err);
      }
    });

  /** A last checkpoint when records came since the one before, and the newest head stored (also one the interval held back). Never rejects. */
  const flush = async (): Promise<void> => {
    await tail.catch(() => undefined);
    if (sinceCheckpoint > 0) {
      const [last] = await step(() => checkpoint(true)).catch(() => []);
      await last?.catch(() => undefined);
    }
    await heads.flush().catch(() => undefined);
  };

  return {
    settings,
    publicKey: signer.publicKey,

    submit: (event) => submitRecords(1, () => [buildRecordText(event, hmacer, settings.logRaw)]),
    submitPair: (first, second) =>
      submitRecords(2, () => {
        // The two records share most of their text: it is serialised once (record.ts).
        const texts = buildPairTexts(first, second, hmacer, settings.logRaw);
        if (!(texts instanceof Promise)) return texts;
        return [texts.then(([text]) => text), texts.then(([, text]) => text)];
      }),

    hash: (value) => hmacer.value(value),
    counters: () => sink.counters(),
    head: () => chain.head(),
    reopen: async () => sink.reopen?.(),

    flush,

    async close() {
      clearInterval(timer);
      if (shared !== null && shared.pending === 0) clearTimeout(shared.timer);
      await flush();
      await sink.close(AbortSignal.timeout(settings.deadlineMs));
    },
  };
}

const isReady = <T>(v: T | Promise<T>): v is T => !(v instanceof Promise);

/** The least time between two head writes (decision 0017). */
const HEAD_WRITE_INTERVAL_MS = 1000;

/** Records sharing one sink-side deadline signal at most, for a sink that listens per record… */
const SHARE_MAX = 5;
/** …and for one that adds one listener per signal (`AuditSink.oneListenerPerSignal`). */
const SHARE_MAX_ONE_LISTENER = 1024;

interface SharedDeadline {
  readonly controller: AbortController;
  readonly openedAt: number;
  readonly timer: ReturnType<typeof setTimeout>;
  /** Records of the submissions that joined (at most `shareMax`). */
  records: number;
  /** Submissions whose records have not all settled yet. */
  pending: number;
}

function errorKind(err: unknown): string {
  return err instanceof Error ? err.name : 'error';
}
