import { getEventListeners } from 'node:events';
import type * as NodeFs from 'node:fs';
import { appendFileSync, chmodSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isGatewayError } from '../../core/index.js';
import { SinkError } from './common.js';
import { createFileSink, rotationStamp } from './file.node.js';
import { captureLogger, makeRecord, tempDir } from './test-receivers.node.js';

/**
 * The sink writes a round with `fs.writeSync` (decision 0018). While `failWrites.armed`, the
 * next call writes half of what it is given (a short write, as a filling disk gives) and the
 * call after it fails with `failWrites.error`.
 */
const failWrites = vi.hoisted(() => ({ armed: false, error: new Error('unset') }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof NodeFs>();
  let halfWritten = false;
  const writeSync = (fd: number, bytes: Uint8Array, offset: number, length: number): number => {
    if (failWrites.armed) {
      if (halfWritten) {
        failWrites.armed = false;
        halfWritten = false;
        throw failWrites.error;
      }
      halfWritten = true;
      return fs.writeSync(fd, bytes, offset, Math.floor(length / 2));
    }
    return fs.writeSync(fd, bytes, offset, length);
  };
  return { ...fs, default: { ...fs, writeSync }, writeSync };
});

const ctx = { name: 'file1', required: true };
const never = () => new AbortController().signal;

/** FileHandle's prototype, to count or stall fsyncs: the property under test is how many happen. */
async function fileHandleProto(dir: string): Promise<FileHandle> {
  const h = await open(join(dir, 'probe'), 'w');
  const proto: FileHandle = Object.getPrototypeOf(h);
  await h.close();
  return proto;
}

/** Stalls the first fsync until `release.now()`: a slow disk cannot be produced otherwise. */
function stallFirstSync(proto: FileHandle): { release: { stalled: boolean; now: () => void } } {
  const original = proto.sync;
  const release = { stalled: false, now: () => undefined as void };
  vi.spyOn(proto, 'sync').mockImplementation(async function (this: FileHandle) {
    if (!release.stalled) {
      release.stalled = true;
      await new Promise<void>((r) => {
        release.now = r;
      });
    }
    return original.call(this);
  });
  return { release };
}

const linesOf = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');

describe('file sink', () => {
  let tmp: ReturnType<typeof tempDir>;
  let now: number;
  const runtime = () => ({ now: () => now, logger: captureLogger(), fetch: globalThis.fetch });

  beforeEach(() => {
    tmp = tempDir('file-sink');
    now = Date.UTC(2026, 10, 23, 1, 2, 3);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    tmp.remove();
  });

  it('writes 200 concurrent records in order with fsync always, with far fewer fsyncs than records', async () => {
    const proto = await fileHandleProto(tmp.dir);
    const sync = vi.spyOn(proto, 'sync');
    const path = join(tmp.dir, 'audit.log');
    const sink = await createFileSink({ path, fsync: 'always' }, ctx, { runtime: runtime() });
    const records = Array.from({ length: 200 }, (_, i) => makeRecord(i + 1));
    const syncsAtResolve: number[] = [];
    await Promise.all(
      records.map((r) =>
        sink.write(r, never()).then(() => {
          // Resolved only after its own line is on disk and fsynced.
          expect(linesOf(path)).toContain(r.line);
          syncsAtResolve.push(sync.mock.calls.length);
        }),
      ),
    );
    expect(linesOf(path)).toEqual(records.map((r) => r.line));
    expect(Math.min(...syncsAtResolve)).toBeGreaterThan(0);
    expect(sync.mock.calls.length).toBeLessThanOrEqual(5);
    expect(sink.counters()).toEqual({ written: 200, failed: 0, spooled: 0, dropped: 0 });
    await sink.close();
  });

  it('fails the records of a round whose write fails, leaves no partial line, and writes the next round to the reopened path', async () => {
    const path = join(tmp.dir, 'audit.log');
    const logger = captureLogger();
    const sink = await createFileSink({ path }, ctx, { runtime: { ...runtime(), logger } });
    await sink.write(makeRecord(1), never());
    failWrites.armed = true;
    failWrites.error = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    const failed = await Promise.allSettled([sink.write(makeRecord(2), never()), sink.write(makeRecord(3), never())]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(failed[0]?.status === 'rejected' ? failed[0].reason : null).toMatchObject({ kind: 'io' });
    await sink.write(makeRecord(4), never());
    await sink.close();
    expect(linesOf(path)).toEqual([makeRecord(1).line, makeRecord(4).line]);
    expect(sink.counters()).toMatchObject({ written: 2, failed: 2 });
    expect(JSON.stringify(logger.lines)).toContain('ENOSPC');
  });

  it('creates the file with mode 0600, and tightens an existing looser file', async () => {
    const path = join(tmp.dir, 'audit.log');
    const sink = await createFileSink({ path }, ctx, { runtime: runtime() });
    await sink.write(makeRecord(1), never());
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await sink.close();

    const loose = join(tmp.dir, 'loose.log');
    writeFileSync(loose, '');
    chmodSync(loose, 0o644);
    const again = await createFileSink({ path: loose, mode: '0640' }, ctx, { runtime: runtime() });
    expect(statSync(loose).mode & 0o777).toBe(0o640);
    await again.close();
  });

  it('rotates by size without splitting a line, keeps every line exactly once, and honours rotate_keep', async () => {
    const path = join(tmp.dir, 'audit.log');
    const records = Array.from({ length: 60 }, (_, i) => makeRecord(i + 1));
    const lineBytes = Buffer.byteLength(`${records[0]?.line ?? ''}\n`);
    const sink = await createFileSink({ path, rotate_max_bytes: lineBytes * 7 + 10, rotate_keep: 0 }, ctx, { runtime: runtime() });
    // Half concurrently (one round crosses several rotations), half one by one.
    await Promise.all(records.slice(0, 30).map((r) => sink.write(r, never())));
    for (const r of records.slice(30)) await sink.write(r, never());
    await sink.close();

    const rotated = readdirSync(tmp.dir).filter((n) => n.startsWith('audit.log.')).sort(byRotation);
    expect(rotated.length).toBeGreaterThanOrEqual(8);
    const files = [...rotated.map((n) => join(tmp.dir, n)), path];
    const all: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(lineBytes * 7 + 10);
      expect(statSync(f).mode & 0o777).toBe(0o600);
      all.push(...linesOf(f));
    }
    expect(all).toEqual(records.map((r) => r.line));
    // Same second: names are unique through a -N suffix.
    expect(rotated[0]).toBe(`audit.log.${rotationStamp(now)}`);
    expect(rotated[1]).toBe(`audit.log.${rotationStamp(now)}-1`);

    const keepDir = tempDir('file-keep');
    try {
      const kept = join(keepDir.dir, 'audit.log');
      const keeper = await createFileSink({ path: kept, rotate_max_bytes: lineBytes * 5, rotate_keep: 2 }, ctx, { runtime: runtime() });
      for (const r of records.slice(0, 40)) await keeper.write(r, never());
      await keeper.close();
      const left = readdirSync(keepDir.dir).filter((n) => n.startsWith('audit.log.')).sort(byRotation);
      expect(left).toHaveLength(2);
      const survived = [...left.map((n) => join(keepDir.dir, n)), kept].flatMap(linesOf);
      // The newest lines survive, contiguous and in order: only whole old files were deleted.
      expect(survived).toEqual(records.slice(40 - survived.length, 40).map((r) => r.line));
    } finally {
      keepDir.remove();
    }
  });

  it('writes multi-byte lines and a line longer than a round byte for byte, in order, rotating by their UTF-8 size', async () => {
    const path = join(tmp.dir, 'audit.log');
    // 'é' is 2 bytes, '€' 3 and '🔑' 4 in UTF-8: a line's size is not its length.
    const wide = (i: number) => makeRecord(i, { note: `${'é€🔑'.repeat(40)}-${i}` });
    const records = [
      ...Array.from({ length: 20 }, (_, i) => wide(i + 1)),
      // Over 1 MiB (the sink's round buffer): written on its own, between the lines around it.
      makeRecord(21, { note: '€'.repeat(400_000) }),
      ...Array.from({ length: 20 }, (_, i) => wide(i + 22)),
    ];
    const lineBytes = Buffer.byteLength(`${records[0]?.line ?? ''}\n`);
    const max = lineBytes * 4 + 5;
    const sink = await createFileSink({ path, rotate_max_bytes: max, rotate_keep: 0 }, ctx, { runtime: runtime() });
    await Promise.all(records.map((r) => sink.write(r, never())));
    await sink.close();

    const files = [...readdirSync(tmp.dir).filter((n) => n.startsWith('audit.log.')).sort(byRotation).map((n) => join(tmp.dir, n)), path];
    const all: string[] = [];
    for (const f of files) {
      const bytes = readFileSync(f);
      const lines = linesOf(f);
      // Only a file holding the one oversized line may pass the limit, and then holds only it.
      if (bytes.length > max) expect(lines).toEqual([records[20]?.line]);
      all.push(...lines);
    }
    expect(all).toEqual(records.map((r) => r.line));
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  it('rotates a file once it is older than rotate_interval, at the next write', async () => {
    const path = join(tmp.dir, 'audit.log');
    const sink = await createFileSink({ path, rotate_interval: '1h', rotate_max_bytes: 0 }, ctx, { runtime: runtime() });
    await sink.write(makeRecord(1), never());
    now += 30 * 60_000;
    await sink.write(makeRecord(2), never());
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith('audit.log.'))).toEqual([]);
    now += 31 * 60_000;
    const stamp = rotationStamp(now);
    await sink.write(makeRecord(3), never());
    await sink.close();
    expect(linesOf(`${path}.${stamp}`)).toEqual([makeRecord(1).line, makeRecord(2).line]);
    expect(linesOf(path)).toEqual([makeRecord(3).line]);
  });

  it('reopens the path after the file was moved away (logrotate, then SIGHUP)', async () => {
    const path = join(tmp.dir, 'audit.log');
    const sink = await createFileSink({ path }, ctx, { runtime: runtime() });
    await sink.write(makeRecord(1), never());
    renameSync(path, `${path}.moved`);
    await sink.write(makeRecord(2), never());
    await sink.reopen?.();
    await sink.write(makeRecord(3), never());
    await sink.close();
    expect(linesOf(`${path}.moved`)).toEqual([makeRecord(1).line, makeRecord(2).line]);
    expect(linesOf(path)).toEqual([makeRecord(3).line]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('rejects a record still queued behind a slow write when its deadline passes; the write in flight completes', async () => {
    const proto = await fileHandleProto(tmp.dir);
    const path = join(tmp.dir, 'audit.log');
    const sink = await createFileSink({ path }, ctx, { runtime: runtime() });
    const { release } = stallFirstSync(proto);
    const first = sink.write(makeRecord(1), never());
    await vi.waitFor(() => expect(release.stalled).toBe(true));
    const deadline = new AbortController();
    const second = sink.write(makeRecord(2), deadline.signal);
    const third = sink.write(makeRecord(3), never());
    deadline.abort(new SinkError('aborted', 'deadline'));
    await expect(second).rejects.toMatchObject({ kind: 'aborted' });
    release.now();
    await first;
    await third;
    await sink.close();
    expect(linesOf(path)).toEqual([makeRecord(1).line, makeRecord(3).line]);
    expect(sink.counters()).toMatchObject({ written: 2, failed: 1 });
  });

  it('with fsync "always", writes and fsyncs the next round while an earlier fsync is slow, two fsyncs at most at a time', async () => {
    const proto = await fileHandleProto(tmp.dir);
    const path = join(tmp.dir, 'audit.log');
    const sink = await createFileSink({ path, fsync: 'always' }, ctx, { runtime: runtime() });
    const gates: (() => void)[] = [];
    const original = proto.sync;
    const sync = vi.spyOn(proto, 'sync').mockImplementation(async function (this: FileHandle) {
      // The first two fsyncs wait until the test lets them go; the rest run at once.
      if (gates.length < 2) await new Promise<void>((r) => gates.push(r));
      return original.call(this);
    });
    const settled: number[] = [];
    const write = (n: number) => sink.write(makeRecord(n), never()).then(() => void settled.push(n));
    const first = write(1);
    await vi.waitFor(() => expect(gates).toHaveLength(1));
    // Round 2 is written while round 1's fsync is under way, and gets its own fsync.
    const second = write(2);
    await vi.waitFor(() => expect(gates).toHaveLength(2));
    expect(linesOf(path)).toEqual([makeRecord(1).line, makeRecord(2).line]);
    // Two fsyncs under way: round 3 is written, but its fsync waits for one of them to end.
    const third = write(3);
    await vi.waitFor(() => expect(linesOf(path)).toHaveLength(3));
    await new Promise((r) => setTimeout(r, 20));
    expect(sync).toHaveBeenCalledTimes(2);
    expect(settled).toEqual([]);
    // Round 2's fsync ends first: round 2 is acknowledged without waiting for round 1's.
    gates[1]?.();
    await second;
    expect(settled).toEqual([2]);
    await third;
    expect(settled).toEqual([2, 3]);
    gates[0]?.();
    await first;
    expect(sync).toHaveBeenCalledTimes(3);
    expect(sink.counters()).toMatchObject({ written: 3, failed: 0 });
    await sink.close();
  });

  it('with fsync "always", fails a round whose fsync fails and every round fsynced on that handle after it, then writes to the reopened path', async () => {
    const proto = await fileHandleProto(tmp.dir);
    const path = join(tmp.dir, 'audit.log');
    const logger = captureLogger();
    const sink = await createFileSink({ path, fsync: 'always' }, ctx, { runtime: { ...runtime(), logger } });
    const handles = new Set<FileHandle>();
    const gates: (() => void)[] = [];
    const original = proto.sync;
    vi.spyOn(proto, 'sync').mockImplementation(async function (this: FileHandle) {
      handles.add(this);
      const call = gates.length;
      if (call >= 2) return original.call(this);
      await new Promise<void>((r) => gates.push(r));
      // The first fsync fails (EIO); the second, begun before that failure was known, reports success.
      if (call === 0) throw Object.assign(new Error('input/output error'), { code: 'EIO' });
      return original.call(this);
    });
    const first = sink.write(makeRecord(1), never());
    await vi.waitFor(() => expect(gates).toHaveLength(1));
    const second = sink.write(makeRecord(2), never());
    await vi.waitFor(() => expect(gates).toHaveLength(2));
    gates[0]?.();
    await expect(first).rejects.toMatchObject({ kind: 'io' });
    gates[1]?.();
    // Linux may report success for data a failed fsync lost: what was synced on that handle afterwards does not count.
    await expect(second).rejects.toMatchObject({ kind: 'io' });
    await sink.write(makeRecord(3), never());
    expect(handles.size).toBe(2);
    await sink.close();
    expect(sink.counters()).toMatchObject({ written: 1, failed: 2 });
    expect(linesOf(path).at(-1)).toBe(makeRecord(3).line);
    expect(JSON.stringify(logger.lines)).toContain('EIO');
  });

  it('writes records submitted in one turn of the event loop in one round, one fsync, even when the sink was idle', async () => {
    const proto = await fileHandleProto(tmp.dir);
    const path = join(tmp.dir, 'audit.log');
    const sink = await createFileSink({ path, fsync: 'always' }, ctx, { runtime: runtime() });
    const sync = vi.spyOn(proto, 'sync');
    // A cache hit's request and response records, then a burst from other requests.
    await Promise.all([sink.write(makeRecord(1), never()), sink.write(makeRecord(2), never())]);
    expect(sync).toHaveBeenCalledTimes(1);
    await Promise.all([3, 4, 5, 6].map((n) => sink.write(makeRecord(n), never())));
    expect(sync).toHaveBeenCalledTimes(2);
    await sink.close();
    expect(linesOf(path)).toEqual([1, 2, 3, 4, 5, 6].map((n) => makeRecord(n).line));
  });

  it('drops every queued record of a deadline signal when it aborts, with one listener per signal however many records share it', async () => {
    const proto = await fileHandleProto(tmp.dir);
    const path = join(tmp.dir, 'audit.log');
    const sink = await createFileSink({ path }, ctx, { runtime: runtime() });
    const { release } = stallFirstSync(proto);
    const first = sink.write(makeRecord(1), never());
    await vi.waitFor(() => expect(release.stalled).toBe(true));
    const shared = new AbortController();
    const other = new AbortController();
    const writes = [2, 3, 4].map((n) => sink.write(makeRecord(n), shared.signal));
    const kept = sink.write(makeRecord(5), other.signal);
    writes.push(sink.write(makeRecord(6), shared.signal));
    for (let n = 7; n <= 12; n++) writes.push(sink.write(makeRecord(n), shared.signal));
    // Records 2-4 and 6-12 share a signal, interrupted once by record 5's: still one listener.
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    expect(sink.oneListenerPerSignal).toBe(true);
    shared.abort(new SinkError('aborted', 'deadline'));
    for (const w of writes) await expect(w).rejects.toMatchObject({ kind: 'aborted' });
    release.now();
    await first;
    await kept;
    await sink.close();
    expect(linesOf(path)).toEqual([makeRecord(1).line, makeRecord(5).line]);
    expect(sink.counters()).toMatchObject({ written: 2, failed: 10 });
  });

  it('fsyncs on a timer with fsync "interval" and not at all with "never"', async () => {
    const proto = await fileHandleProto(tmp.dir);
    const sync = vi.spyOn(proto, 'sync');
    const path = join(tmp.dir, 'audit.log');
    const never1 = await createFileSink({ path, fsync: 'never' }, ctx, { runtime: runtime() });
    for (let i = 1; i <= 20; i++) await never1.write(makeRecord(i), never());
    await never1.close();
    expect(sync).not.toHaveBeenCalled();

    const interval = await createFileSink({ path: join(tmp.dir, 'b.log'), fsync: 'interval', fsync_interval: '20ms' }, ctx, { runtime: runtime() });
    for (let i = 1; i <= 20; i++) await interval.write(makeRecord(i), never());
    expect(sync.mock.calls.length).toBeLessThan(20);
    await vi.waitFor(() => expect(sync).toHaveBeenCalled(), { timeout: 2000 });
    await interval.close();
  });

  it('with fsync "interval", writes records while a slow fsync runs instead of queueing them behind it, and closes only after it ends', async () => {
    const proto = await fileHandleProto(tmp.dir);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    const sync = vi.spyOn(proto, 'sync').mockImplementation(async () => {
      started++;
      await held;
    });
    const path = join(tmp.dir, 'slow-sync.log');
    const sink = await createFileSink({ path, fsync: 'interval', fsync_interval: '10ms' }, ctx, { runtime: runtime() });
    await sink.write(makeRecord(1), never());
    await vi.waitFor(() => expect(started).toBe(1), { timeout: 2000 });
    // The fsync is stuck; later records are still written (and acknowledged) at once.
    for (let i = 2; i <= 5; i++) await sink.write(makeRecord(i), never());
    expect(linesOf(path)).toHaveLength(5);
    // One fsync at a time: the stuck one is not joined by another on the same handle.
    await new Promise((r) => setTimeout(r, 50));
    expect(started).toBe(1);
    let closed = false;
    const closing = sink.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(closed).toBe(true);
    sync.mockRestore();
  });

  it('ends a line torn by a crash before appending, so the next record stands on its own line', async () => {
    const path = join(tmp.dir, 'audit.log');
    appendFileSync(path, `${makeRecord(1).line}\n{"type":"requ`);
    const sink = await createFileSink({ path }, ctx, { runtime: runtime() });
    await sink.write(makeRecord(2), never());
    await sink.close();
    expect(linesOf(path)).toEqual([makeRecord(1).line, '{"type":"requ', makeRecord(2).line]);
  });

  it('refuses bad options naming each field, and writes after close', async () => {
    const err: unknown = await createFileSink({ path: '', mode: 0o666, fsync: 'sometimes', rotate_keep: -1, colour: 'red' }, ctx, { runtime: runtime() }).catch((e: unknown) => e);
    expect(isGatewayError(err, 'ERR_VALIDATION')).toBe(true);
    const fields = isGatewayError(err) ? (err.details ?? []).map((d) => d.field).sort() : [];
    expect(fields).toEqual(['options.colour', 'options.fsync', 'options.mode', 'options.path', 'options.rotate_keep']);

    const sink = await createFileSink({ path: join(tmp.dir, 'a.log') }, ctx, { runtime: runtime() });
    await sink.close();
    await expect(sink.write(makeRecord(1), never())).rejects.toMatchObject({ kind: 'closed' });
    await expect(createFileSink({ path: join(tmp.dir, 'missing-dir', 'a.log') }, ctx, { runtime: runtime() })).rejects.toMatchObject({ kind: 'io' });
  });
});

function byRotation(a: string, b: string): number {
  const key = (n: string) => {
    const m = /\.([0-9]{8}T[0-9]{6}Z)(?:-([0-9]+))?$/.exec(n);
    return [m?.[1] ?? '', Number(m?.[2] ?? 0)] as const;
  };
  const [sa, na] = key(a);
  const [sb, nb] = key(b);
  return sa === sb ? na - nb : sa < sb ? -1 : 1;
}
