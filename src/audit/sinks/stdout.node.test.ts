import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createStdoutSink } from './stdout.node.js';
import { captureLogger, makeRecord } from './test-receivers.node.js';

const ctx = { name: 'stdout', required: true };
const never = () => new AbortController().signal;

/** A slow consumer with a small buffer: it takes each chunk only after a timer. */
function slowStream(highWaterMark: number) {
  const chunks: string[] = [];
  let maxBuffered = 0;
  const stream = new Writable({
    highWaterMark,
    decodeStrings: false,
    write(chunk: string, _enc, done) {
      maxBuffered = Math.max(maxBuffered, stream.writableLength);
      chunks.push(chunk);
      setTimeout(done, 1);
    },
  });
  return { stream, chunks, maxBuffered: () => maxBuffered };
}

describe('stdout sink', () => {
  it('writes each line in order and waits for drain instead of buffering without bound', async () => {
    const lineBytes = Buffer.byteLength(`${makeRecord(1).line}\n`);
    const slow = slowStream(lineBytes * 2);
    const sink = await createStdoutSink({}, ctx, { runtime: { now: () => 0, logger: captureLogger(), fetch: globalThis.fetch }, stream: slow.stream });
    const records = Array.from({ length: 100 }, (_, i) => makeRecord(i + 1));
    await Promise.all(records.map((r) => sink.write(r, never())));
    expect(slow.chunks.join('')).toBe(records.map((r) => `${r.line}\n`).join(''));
    // Never more than the high-water mark plus the one write that crossed it.
    expect(slow.maxBuffered()).toBeLessThanOrEqual(lineBytes * 3);
    expect(sink.counters()).toMatchObject({ written: 100, failed: 0 });
    await sink.close();
    await expect(sink.write(makeRecord(101), never())).rejects.toMatchObject({ kind: 'closed' });
  });

  it('rejects and counts writes once the stream fails, logging only the error kind', async () => {
    const logger = captureLogger();
    const broken = new Writable({
      write(_chunk, _enc, done) {
        done(Object.assign(new Error('EPIPE: broken pipe'), { code: 'EPIPE' }));
      },
    });
    broken.on('error', () => undefined);
    const sink = await createStdoutSink({}, ctx, { runtime: { now: () => 0, logger, fetch: globalThis.fetch }, stream: broken });
    await expect(sink.write(makeRecord(1), never())).rejects.toMatchObject({ kind: 'io' });
    await expect(sink.write(makeRecord(2), never())).rejects.toMatchObject({ kind: 'io' });
    expect(sink.counters()).toMatchObject({ written: 0, failed: 2 });
    expect(logger.entries.filter((e) => e.level === 'error')).toHaveLength(1);
    expect(logger.entries[0]?.obj).toMatchObject({ device: 'stdout', err: 'EPIPE' });
  });

  it('refuses options it does not know', async () => {
    await expect(createStdoutSink({ path: '/tmp/x' }, ctx, { runtime: { now: () => 0, logger: captureLogger(), fetch: globalThis.fetch } })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      details: [{ field: 'options.path', reason: 'is not a known field' }],
    });
  });
});
