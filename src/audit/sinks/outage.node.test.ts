import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditSink } from '../types.js';
import { createAuditSinkFactories } from './index.node.js';
import { captureLogger, freePort, makeRecord, parseRfc5424, startHttpReceiver, startSyslogStream, tempDir, waitFor } from './test-receivers.node.js';
import type { HttpReceiver, SyslogReceiver } from './test-receivers.node.js';

const never = () => new AbortController().signal;
const fastRetry = { backoff_initial: '20ms', backoff_max: '200ms' };

describe('optional devices across a target outage', () => {
  let tmp: ReturnType<typeof tempDir>;
  let logger: ReturnType<typeof captureLogger>;
  const open: { sinks: AuditSink[]; receivers: (HttpReceiver | SyslogReceiver)[] } = { sinks: [], receivers: [] };
  const factories = () => createAuditSinkFactories({ runtime: { now: () => Date.now(), logger, fetch: globalThis.fetch } });
  const received = (r: HttpReceiver) => r.requests.filter((q) => q.headers['x-probe'] === undefined).flatMap((q) => q.body.split('\n').filter((l) => l !== ''));

  beforeEach(() => {
    tmp = tempDir('outage');
    logger = captureLogger();
  });
  afterEach(async () => {
    await Promise.all(open.sinks.splice(0).map((s) => s.close(AbortSignal.timeout(2000))));
    await Promise.all(open.receivers.splice(0).map((r) => r.close()));
    tmp.remove();
  });

  it('delivers every record written during an outage exactly once and in order once the receiver is back', async () => {
    const port = await freePort();
    const ctx = { name: 'siem', required: false, spoolDir: join(tmp.dir, 'siem') };
    const sink = await factories().http({ url: `http://127.0.0.1:${port}/ingest`, format: 'jsonl', gzip: false, flush_interval: '20ms', retry: fastRetry }, ctx);
    open.sinks.push(sink);
    const records = Array.from({ length: 150 }, (_, i) => makeRecord(i + 1));

    // Nothing listens: every write still resolves, once its record is safely in the spool.
    await Promise.all(records.slice(0, 30).map((r) => sink.write(r, never())));
    for (const r of records.slice(30, 50)) await sink.write(r, never());
    expect(sink.counters()).toMatchObject({ written: 0, spooled: 50, failed: 0, dropped: 0 });

    // The receiver comes back, but answers 503 to its first three requests.
    let answered = 0;
    const receiver = await startHttpReceiver(() => (++answered <= 3 ? { status: 503 } : { status: 200 }), port);
    open.receivers.push(receiver);
    // Records written while the spool drains queue behind it, never overtaking.
    await Promise.all(records.slice(50, 100).map((r) => sink.write(r, never())));
    await waitFor(() => sink.counters().written >= 100, 10_000, 'the spool to drain');
    // Back to direct delivery: the next records are acknowledged by the receiver itself.
    await Promise.all(records.slice(100).map((r) => sink.write(r, never())));

    const accepted = receiver.requests.slice(3).flatMap((q) => q.body.split('\n').filter((l) => l !== ''));
    expect(accepted).toEqual(records.map((r) => r.line));
    expect(sink.counters()).toMatchObject({ written: 150, failed: 0, dropped: 0 });
    // The 50 written while the spool drained went through it (the drain needs four requests first).
    expect(sink.counters().spooled).toBe(100);
    expect(logger.entries.some((e) => e.level === 'warn' && e.msg.includes('spooling'))).toBe(true);
    expect(logger.entries.some((e) => e.msg.includes('spool drained'))).toBe(true);
  });

  it('counts and logs spool-full drops once per burst, never silently', async () => {
    const port = await freePort();
    const ctx = { name: 'siem', required: false, spoolDir: join(tmp.dir, 'siem') };
    const sink = await factories().http({ url: `http://127.0.0.1:${port}/`, flush_interval: 0, gzip: false, retry: fastRetry, spool: { max_records: 5 } }, ctx);
    open.sinks.push(sink);
    const records = Array.from({ length: 20 }, (_, i) => makeRecord(i + 1));
    const outcomes: string[] = [];
    for (const r of records) {
      outcomes.push(await sink.write(r, never()).then(() => 'ok', (e: unknown) => (e instanceof Error && 'kind' in e ? String(e.kind) : 'error')));
    }
    expect(outcomes).toEqual([...Array<string>(5).fill('ok'), ...Array<string>(15).fill('spool_full')]);
    expect(sink.counters()).toMatchObject({ spooled: 5, dropped: 15 });
    const full = logger.entries.filter((e) => e.level === 'warn' && e.msg.includes('spool full'));
    expect(full).toHaveLength(1);
    expect(full[0]?.obj).toMatchObject({ device: 'siem', max_records: 5 });

    const receiver = await startHttpReceiver(() => ({ status: 200 }), port);
    open.receivers.push(receiver);
    await waitFor(() => sink.counters().written === 5, 10_000, 'the spool to drain');
    expect(received(receiver)).toEqual(records.slice(0, 5).map((r) => r.line));
    await waitFor(() => logger.entries.some((e) => e.msg.includes('after dropping')), 2000, 'the burst summary');
    const summary = logger.entries.find((e) => e.msg.includes('after dropping'));
    expect(summary?.obj).toMatchObject({ device: 'siem', dropped: 15, dropped_total: 15 });
  });

  it('keeps spooled records across a restart and delivers them before new ones', async () => {
    const port = await freePort();
    const ctx = { name: 'siem', required: false, spoolDir: join(tmp.dir, 'siem') };
    const options = { url: `http://127.0.0.1:${port}/`, flush_interval: 0, gzip: false, retry: fastRetry };
    const first = await factories().http(options, ctx);
    for (let i = 1; i <= 10; i++) await first.write(makeRecord(i), never());
    await first.close(AbortSignal.timeout(1000));
    expect(first.counters()).toMatchObject({ spooled: 10, written: 0 });

    const receiver = await startHttpReceiver(() => ({ status: 200 }), port);
    open.receivers.push(receiver);
    const second = await factories().http(options, ctx);
    open.sinks.push(second);
    for (let i = 11; i <= 15; i++) await second.write(makeRecord(i), never());
    await waitFor(() => received(receiver).length >= 15, 10_000, 'delivery');
    expect(received(receiver)).toEqual(Array.from({ length: 15 }, (_, i) => makeRecord(i + 1).line));
  });

  it('spools an optional syslog device over TCP and delivers in order when the receiver starts', async () => {
    const port = await freePort();
    const ctx = { name: 'syslog', required: false, spoolDir: join(tmp.dir, 'syslog') };
    const sink = await factories().syslog({ transport: 'tcp', host: '127.0.0.1', port, connect_timeout: '500ms', retry: fastRetry }, ctx);
    open.sinks.push(sink);
    const records = Array.from({ length: 40 }, (_, i) => makeRecord(i + 1));
    await Promise.all(records.slice(0, 20).map((r) => sink.write(r, never())));
    expect(sink.counters().spooled).toBe(20);
    const receiver = await startSyslogStream({ port });
    open.receivers.push(receiver);
    await Promise.all(records.slice(20).map((r) => sink.write(r, never())));
    await waitFor(() => receiver.messages.length >= 40, 10_000, 'syslog delivery');
    expect(receiver.messages.map((m) => parseRfc5424(m).msg)).toEqual(records.map((r) => r.line));
  });

  it('never spools a required device: its write fails so the broker fails the request closed', async () => {
    const port = await freePort();
    const spoolDir = join(tmp.dir, 'required');
    const sink = await factories().http({ url: `http://127.0.0.1:${port}/`, flush_interval: 0, retry: { ...fastRetry, max_attempts: 2 } }, { name: 'req', required: true, spoolDir });
    open.sinks.push(sink);
    await expect(sink.write(makeRecord(1), never())).rejects.toMatchObject({ kind: 'unavailable' });
    expect(sink.counters()).toMatchObject({ failed: 1, spooled: 0 });
    expect(existsSync(spoolDir)).toBe(false);
  });
});
