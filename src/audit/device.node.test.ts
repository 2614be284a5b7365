import { afterEach, describe, expect, it } from 'vitest';
import { createWebRuntime, isGatewayError } from '../core/index.js';
import { createSigner, generateSigningKey } from './chain.js';
import { startAuditDevice } from './device.js';
import type { AuditDevice } from './device.js';
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

async function device(sink: AuditSink, deadlineMs: number): Promise<AuditDevice> {
  const keys = await generateSigningKey(runtime.subtle);
  const started = await startAuditDevice({
    settings: { name: 'main', type: 'recording', required: true, logRaw: false, deadlineMs, checkpointEvery: 1000, checkpointIntervalMs: 60_000 },
    sink,
    hmacer: await createHmacer(runtime.randomBytes(32), runtime, createNodeAuditDigests()),
    signer: await createSigner(runtime.subtle, keys.pkcs8, keys.publicKey),
    runtime,
    previous: null,
    onCheckpoint: async () => undefined,
    digests: createNodeAuditDigests(),
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
