import { afterEach, describe, expect, it } from 'vitest';
import { createWebRuntime, isGatewayError } from '../core/index.js';
import { createSigner, generateSigningKey } from './chain.js';
import type { ChainHead } from './chain.js';
import { startAuditDevice } from './device.js';
import type { AuditDevice } from './device.js';
import { createWebAuditDigests } from './digests.js';
import { createNodeAuditDigests } from './digests.node.js';
import { createHmacer } from './hmac.js';
import type { AuditEvent } from './record.js';
import type { AuditSink, ChainedRecord, SinkCounters } from './types.js';
import { verifyAuditLines } from './verify.js';

const runtime = createWebRuntime();
const devices: AuditDevice[] = [];
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close().catch(() => undefined);
});

/** A sink that records the signal of every write and can hold writes until released (or aborted). */
function recordingSink() {
  const counters: SinkCounters = { written: 0, failed: 0, spooled: 0, dropped: 0 };
  const state = { hold: false, lines: [] as string[], signals: [] as AbortSignal[], abortedAt: [] as number[], waiting: [] as (() => void)[] };
  const sink: AuditSink = {
    type: 'recording',
    async write(record: ChainedRecord, signal: AbortSignal) {
      state.signals.push(signal);
      if (state.hold) {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            state.abortedAt.push(Date.now());
            reject(new Error('aborted'));
          };
          if (signal.aborted) return onAbort();
          signal.addEventListener('abort', onAbort, { once: true });
          state.waiting.push(() => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          });
        });
      }
      state.lines.push(record.line);
      counters.written++;
    },
    counters: () => ({ ...counters }),
    async close() {},
  };
  return { sink, state };
}

async function device(
  sink: AuditSink,
  deadlineMs: number,
  opts: { digests?: 'node' | 'webcrypto'; checkpointEvery?: number; onCheckpoint?: (head: ChainHead) => Promise<void>; headWriteIntervalMs?: number; now?: () => number } = {},
): Promise<AuditDevice> {
  const keys = await generateSigningKey(runtime.subtle);
  const digests = opts.digests === 'webcrypto' ? createWebAuditDigests(runtime.subtle) : createNodeAuditDigests();
  const started = await startAuditDevice({
    settings: { name: 'main', type: 'recording', required: true, logRaw: false, deadlineMs, checkpointEvery: opts.checkpointEvery ?? 1000, checkpointIntervalMs: 60_000 },
    sink,
    hmacer: await createHmacer(runtime.randomBytes(32), runtime, digests),
    signer: await createSigner(runtime.subtle, keys.pkcs8, keys.publicKey),
    runtime: opts.now === undefined ? runtime : { ...runtime, now: opts.now },
    previous: null,
    onCheckpoint: opts.onCheckpoint ?? (async () => undefined),
    ...(opts.headWriteIntervalMs === undefined ? {} : { headWriteIntervalMs: opts.headWriteIntervalMs }),
    digests,
  });
  devices.push(started);
  return started;
}

const event = (requestId: string): AuditEvent => ({
  type: 'request',
  time: Date.now(),
  requestId,
  operation: 'read',
  path: 'a/b',
  mount: { path: '', type: 'kv' },
  clientAddress: null,
  principal: null,
  requestData: { secret: 'value' },
  params: {},
});

describe('audit device: deadlines with shared sink signals', () => {
  it('shares a signal among up to 1,024 records with a sink that listens once per signal', async () => {
    const { sink, state } = recordingSink();
    // A clock that stands still: the 50 ms share window never closes a signal early, however slow the machine.
    const frozen = Date.now();
    const d = await device({ ...sink, oneListenerPerSignal: true }, 2000, { now: () => frozen });
    await Promise.all(Array.from({ length: 1100 }, (_, i) => d.submitPair(event(`p${i}`), { ...event(`p${i}`), type: 'response', status: 200 })));
    const perSignal = new Map<AbortSignal, number>();
    for (const s of state.signals) perSignal.set(s, (perSignal.get(s) ?? 0) + 1);
    // 2,200 records submitted in one turn: 1,024 per signal (a pair is never split); the segment start and two checkpoints have their own.
    expect([...perSignal.values()].filter((n) => n > 1).sort((a, b) => a - b)).toEqual([152, 1024, 1024]);
    expect(perSignal.size).toBe(6);
    const report = await verifyAuditLines(state.lines, { subtle: runtime.subtle });
    expect(report.problems).toEqual([]);
    expect(report.records).toBe(2203);
  });

  it('shares each sink signal among at most 5 submissions, writes every record in chain order, and never warns about listeners', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const { sink, state } = recordingSink();
      const d = await device(sink, 2000);
      await Promise.all(Array.from({ length: 60 }, (_, i) => d.submit(event(`r${i}`))));
      const perSignal = new Map<AbortSignal, number>();
      for (const s of state.signals) perSignal.set(s, (perSignal.get(s) ?? 0) + 1);
      // The segment start has its own signal; the 60 submissions share theirs.
      expect(Math.max(...perSignal.values())).toBeLessThanOrEqual(5);
      expect(perSignal.size).toBeLessThan(60);
      expect([...perSignal.keys()].every((s) => !s.aborted)).toBe(true);
      const report = await verifyAuditLines(state.lines, { subtle: runtime.subtle });
      expect(report.problems).toEqual([]);
      expect(report.records).toBe(61);
      await new Promise((r) => setTimeout(r, 10));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('refuses a submission at its deadline, not before, and aborts the sink\'s wait within the deadline plus the sharing window', async () => {
    const { sink, state } = recordingSink();
    const d = await device(sink, 300);
    // Let the segment start through first.
    await new Promise((r) => setTimeout(r, 20));
    state.hold = true;
    const started = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        d.submit(event(`held${i}`)).then(
          () => ({ ok: true, at: Date.now() }),
          (err: unknown) => ({ ok: false, at: Date.now(), code: isGatewayError(err) ? err.code : 'other' }),
        ),
      ),
    );
    for (const o of outcomes) {
      expect(o).toMatchObject({ ok: false, code: 'ERR_AUDIT_UNAVAILABLE' });
      expect(o.at - started).toBeGreaterThanOrEqual(295);
    }
    // The sink's waits end too (the shared signal aborts at most 30 ms, the window, later).
    await new Promise((r) => setTimeout(r, 150));
    expect(state.abortedAt.length).toBeGreaterThan(0);
    for (const at of state.abortedAt) expect(at - started).toBeLessThan(300 + 30 + 100);
  });

  it('answers as soon as the sink accepts a record, whatever the deadline', async () => {
    const { sink, state } = recordingSink();
    const d = await device(sink, 10_000);
    await new Promise((r) => setTimeout(r, 20));
    state.hold = true;
    const pending = d.submit(event('r1'));
    await new Promise((r) => setTimeout(r, 30));
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    const t0 = Date.now();
    expect(state.waiting.length).toBe(1);
    state.hold = false;
    for (const release of state.waiting.splice(0)) release();
    await pending;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(state.lines.some((l) => l.includes('"request_id":"r1"'))).toBe(true);
  });
});

/** The `request_id`s of a sink's lines in order (checkpoints and segment starts have none). */
const requestIds = (lines: readonly string[]) =>
  lines.map((l) => (JSON.parse(l) as { request_id?: string }).request_id).filter((id): id is string => id !== undefined);

describe('audit device: pairs, order and checkpoints', () => {
  for (const digests of ['node', 'webcrypto'] as const) {
    it(`chains singles and pairs in the order they were submitted, concurrently, and the chain verifies (${digests} digests)`, async () => {
      const { sink, state } = recordingSink();
      const d = await device(sink, 2000, { digests, checkpointEvery: 7 });
      const expected: string[] = [];
      const submissions: Promise<void>[] = [];
      // A checkpoint follows the submission that brings the count since the last one to 7 or more.
      let since = 0;
      let checkpoints = 0;
      for (let i = 0; i < 40; i++) {
        since += i % 3 === 0 ? 1 : 2;
        if (since >= 7) {
          checkpoints++;
          since = 0;
        }
        if (i % 3 === 0) {
          expected.push(`s${i}`);
          submissions.push(d.submit(event(`s${i}`)));
        } else {
          expected.push(`p${i}`, `p${i}`);
          submissions.push(d.submitPair(event(`p${i}`), { ...event(`p${i}`), type: 'response', status: 200, responseData: { v: `pair-${i}` } }));
        }
        // Some submissions arrive while a checkpoint (an asynchronous signature) is being chained.
        if (i % 5 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      await Promise.all(submissions);
      expect(requestIds(state.lines)).toEqual(expected);
      // A pair counts as two records on a shared sink signal: never more than 5 on one.
      const perSignal = new Map<AbortSignal, number>();
      for (const signal of state.signals) perSignal.set(signal, (perSignal.get(signal) ?? 0) + 1);
      expect(Math.max(...perSignal.values())).toBeLessThanOrEqual(5);
      const report = await verifyAuditLines(state.lines, { subtle: runtime.subtle });
      expect(report.problems).toEqual([]);
      const types = state.lines.map((l) => (JSON.parse(l) as { type: string }).type);
      expect(types.filter((t) => t === 'checkpoint').length).toBe(checkpoints);
      expect(report.records).toBe(1 + expected.length + checkpoints);
    });
  }

  it('keeps order when the records are ready at once but the chain digest is asynchronous (WebCrypto, nothing to HMAC)', async () => {
    const { sink, state } = recordingSink();
    const d = await device(sink, 2000, { digests: 'webcrypto' });
    const bare = (id: string): AuditEvent => ({ ...event(id), requestData: {} });
    const ids: string[] = [];
    const submissions: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      if (i % 2 === 0) {
        ids.push(`b${i}`);
        submissions.push(d.submit(bare(`b${i}`)));
      } else {
        ids.push(`b${i}`, `b${i}`);
        submissions.push(d.submitPair(bare(`b${i}`), { ...bare(`b${i}`), type: 'response', status: 204 }));
      }
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(submissions);
    expect(requestIds(state.lines)).toEqual(ids);
    const report = await verifyAuditLines(state.lines, { subtle: runtime.subtle });
    expect(report.problems).toEqual([]);
    expect(report.records).toBe(1 + ids.length);
  });

  it('resolves a pair only once both records are accepted', async () => {
    const { sink, state } = recordingSink();
    const d = await device(sink, 10_000);
    await new Promise((r) => setTimeout(r, 20));
    state.hold = true;
    let settled = false;
    const pending = d.submitPair(event('a'), { ...event('a'), type: 'response', status: 200 }).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(state.waiting.length).toBe(2);
    state.waiting.shift()?.();
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    state.hold = false;
    state.waiting.shift()?.();
    await pending;
    expect(settled).toBe(true);
    expect(requestIds(state.lines)).toEqual(['a', 'a']);
  });

  it('refuses a pair whose second record fails, and starts a new segment linked to the last record written', async () => {
    let writes = 0;
    const { sink, state } = recordingSink();
    const failing: AuditSink = {
      ...sink,
      write: (record, signal) => (++writes === 3 ? Promise.reject(new Error('disk full')) : sink.write(record, signal)),
    };
    const d = await device(failing, 2000);
    // Write 1 is the segment start; the pair is writes 2 and 3.
    const failed = await d.submitPair(event('x'), { ...event('x'), type: 'response', status: 200 }).catch((err: unknown) => err);
    expect(isGatewayError(failed) && failed.code).toBe('ERR_AUDIT_UNAVAILABLE');
    await d.submit(event('after'));
    const types = state.lines.map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toEqual(['segment-start', 'request', 'segment-start', 'request']);
    const second = JSON.parse(state.lines[2] ?? '{}') as { previous?: { seq?: number } };
    expect(second.previous?.seq).toBe(2);
    const report = await verifyAuditLines(state.lines, { subtle: runtime.subtle });
    expect(report.problems).toEqual([]);
  });

  it('treats a sink that throws instead of rejecting as a failed write: refused, and a new segment follows', async () => {
    let writes = 0;
    const { sink, state } = recordingSink();
    const throwing: AuditSink = {
      ...sink,
      write: (record, signal) => {
        if (++writes === 3) throw new Error('sink bug');
        return sink.write(record, signal);
      },
    };
    const d = await device(throwing, 2000);
    const failed = await d.submitPair(event('t'), { ...event('t'), type: 'response', status: 200 }).catch((err: unknown) => err);
    expect(isGatewayError(failed) && failed.code).toBe('ERR_AUDIT_UNAVAILABLE');
    await d.submit(event('next'));
    const types = state.lines.map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toEqual(['segment-start', 'request', 'segment-start', 'request']);
    const report = await verifyAuditLines(state.lines, { subtle: runtime.subtle });
    expect(report.problems).toEqual([]);
  });

  it('refuses a pair at the deadline when the sink hangs', async () => {
    const { sink, state } = recordingSink();
    const d = await device(sink, 200);
    await new Promise((r) => setTimeout(r, 20));
    state.hold = true;
    const started = Date.now();
    const failed = await d.submitPair(event('h'), { ...event('h'), type: 'response', status: 200 }).catch((err: unknown) => err);
    expect(isGatewayError(failed) && failed.code).toBe('ERR_AUDIT_UNAVAILABLE');
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('audit device: persisted chain heads', () => {
  it('persists the newest checkpoint head at most once per interval, and the last one when it closes', async () => {
    const { sink, state } = recordingSink();
    const heads: ChainHead[] = [];
    const d = await device(sink, 2000, { checkpointEvery: 2, onCheckpoint: async (head) => void heads.push(head), headWriteIntervalMs: 60_000 });
    for (let i = 0; i < 20; i++) await d.submit(event(`r${i}`));
    // Ten checkpoints in the log (the last one's signature may still be on its way);
    // the first head written at once, the other nine held back.
    const checkpointLines = () => state.lines.filter((l) => l.includes('"type":"checkpoint"'));
    for (let i = 0; i < 100 && checkpointLines().length < 10; i++) await new Promise((r) => setTimeout(r, 5));
    const checkpoints = checkpointLines();
    expect(checkpoints).toHaveLength(10);
    expect(heads).toHaveLength(1);
    expect(heads[0]?.seq).toBe((JSON.parse(checkpoints[0] ?? '{}') as { seq: number }).seq);
    const last = JSON.parse(checkpoints.at(-1) ?? '{}') as { segment: string; seq: number; hash: string };

    await d.close();
    devices.splice(devices.indexOf(d), 1);
    // Closing wrote the newest head without waiting out the interval: what the next process links to.
    expect(heads).toHaveLength(2);
    expect(heads[1]).toEqual({ segment: last.segment, seq: last.seq, hash: last.hash });
  });

  it('persists every checkpoint head with an interval of 0', async () => {
    const { sink } = recordingSink();
    const heads: ChainHead[] = [];
    const d = await device(sink, 2000, { checkpointEvery: 2, onCheckpoint: async (head) => void heads.push(head), headWriteIntervalMs: 0 });
    for (let i = 0; i < 6; i++) await d.submit(event(`r${i}`));
    for (let i = 0; i < 100 && heads.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(heads.map((h) => h.seq)).toEqual([4, 7, 10]);
  });
});
