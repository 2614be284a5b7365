/**
 * The spool: a bounded FIFO of audit lines on disk, one per optional device, for while its
 * target is down. Lines are appended to segment files (`seg-<n>.log`, one line per record)
 * and fsynced before `append` resolves; a separate `ack` file holds the committed read
 * position (segment and byte offset), replaced atomically (write, fsync, rename) after each
 * delivered batch, and fully read segments are deleted.
 *
 * Crash behaviour: a record whose `append` resolved survives a crash. A torn last line (a
 * crash mid-append, before its fsync, so never acknowledged to anyone) is cut off on open.
 * A batch delivered but not yet acked when the process dies is delivered again on restart:
 * delivery across a crash is at-least-once, the duplicates limited to that last batch.
 */

import { mkdir, open, readFile, readdir, rename, rm, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../../core/index.js';
import { MiB, SinkError } from './common.js';
import { syncDir, systemCode, writeAll } from './node-io.node.js';
import type { Spool } from './types.js';

/** Options of a spool; a device's `spool` option block uses the same schema. */
export const spoolOptionsSchema = z.strictObject({
  max_bytes: z.int().min(4096).max(64 * 1024 * MiB).default(64 * MiB).describe('Most bytes of unsent records held; beyond it records are dropped (counted, logged).'),
  max_records: z.int().min(1).max(100_000_000).default(1_000_000).describe('Most unsent records held.'),
});

/** Spool options as written in configuration. */
export type SpoolOptionsInput = z.input<typeof spoolOptionsSchema>;

const SEGMENT = /^seg-([0-9]{12})\.log$/;
const segmentName = (n: number) => `seg-${String(n).padStart(12, '0')}.log`;
const READ_CHUNK = 256 * 1024;
const NEWLINE = 0x0a;

interface Position {
  segment: number;
  offset: number;
}

interface Append {
  bytes: Buffer;
  resolve: (stored: boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * Opens (creating if needed) the spool in `options.dir` (mode 0700). Throws `SinkError`
 * (`io`) when the directory is in use by another live process, `ValidationError` for bad
 * limits.
 */
export async function createSpool(options: { dir: string } & SpoolOptionsInput): Promise<Spool> {
  const { dir, ...rest } = options;
  const limits = parseOrThrow(spoolOptionsSchema, rest, 'invalid spool options', ['spool']);
  const maxBytes = limits.max_bytes;
  const maxRecords = limits.max_records;
  const segmentBytes = Math.min(8 * MiB, Math.max(64 * 1024, Math.floor(maxBytes / 8)));

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const lockPath = join(dir, 'lock');
  await takeLock(lockPath);

  const sizes = new Map<number, number>();
  for (const name of await readdir(dir)) {
    const m = SEGMENT.exec(name);
    if (m?.[1] !== undefined) {
      const handle = await open(join(dir, name), 'r');
      try {
        sizes.set(Number(m[1]), (await handle.stat()).size);
      } finally {
        await handle.close();
      }
    }
  }
  const ordered = () => [...sizes.keys()].sort((a, b) => a - b);

  // The committed read position; anything unreadable means "from the oldest segment".
  let read: Position = { segment: ordered()[0] ?? 1, offset: 0 };
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dir, 'ack'), 'utf8'));
    const ack = z.strictObject({ segment: z.int().min(1), offset: z.int().min(0) }).safeParse(parsed);
    if (ack.success) read = ack.data;
  } catch {
    // No ack yet (a fresh spool) or a damaged one: start from the oldest segment.
  }
  const existing = ordered();
  if (!sizes.has(read.segment)) {
    read = { segment: existing.find((n) => n > read.segment) ?? existing[0] ?? read.segment, offset: 0 };
  }
  for (const n of existing) {
    if (n < read.segment) {
      await unlink(join(dir, segmentName(n)));
      sizes.delete(n);
    }
  }

  // Cut a torn tail (a crash mid-append) so the next append starts on a line boundary.
  const last = ordered().at(-1);
  if (last !== undefined) {
    const handle = await open(join(dir, segmentName(last)), 'r+');
    try {
      const size = sizes.get(last) ?? 0;
      const keep = await lastLineEnd(handle, size);
      if (keep < size) {
        await handle.truncate(keep);
        await handle.sync();
        sizes.set(last, keep);
      }
    } finally {
      await handle.close();
    }
  }
  if (read.offset > (sizes.get(read.segment) ?? 0)) read = { segment: read.segment, offset: sizes.get(read.segment) ?? 0 };

  // Count what is waiting.
  let records = 0;
  let bytes = 0;
  for (const n of ordered()) {
    const from = n === read.segment ? read.offset : 0;
    const handle = await open(join(dir, segmentName(n)), 'r');
    try {
      const size = sizes.get(n) ?? 0;
      bytes += size - from;
      records += await countNewlines(handle, from, size);
    } finally {
      await handle.close();
    }
  }

  let writeSegment = ordered().at(-1) ?? read.segment;
  let writer: FileHandle = await open(join(dir, segmentName(writeSegment)), 'a', 0o600);
  if (!sizes.has(writeSegment)) {
    sizes.set(writeSegment, 0);
    await syncDir(dir);
  }

  let queue: Append[] = [];
  let writing: Promise<void> | null = null;
  let closed = false;
  let lastPeek: { ends: Position[]; bytes: number[] } = { ends: [], bytes: [] };

  const roll = async () => {
    await writer.close();
    writeSegment++;
    writer = await open(join(dir, segmentName(writeSegment)), 'a', 0o600);
    sizes.set(writeSegment, 0);
    await syncDir(dir);
  };

  /** Writes every queued append: one write and one fsync per segment touched. */
  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      let done = 0;
      try {
        while (done < batch.length) {
          let size = sizes.get(writeSegment) ?? 0;
          if (size > 0 && size + (batch[done]?.bytes.length ?? 0) > segmentBytes) {
            await roll();
            size = 0;
          }
          const chunk: Buffer[] = [];
          let chunkBytes = 0;
          for (let i = done; i < batch.length; i++) {
            const next = batch[i];
            if (next === undefined || (chunk.length > 0 && size + chunkBytes + next.bytes.length > segmentBytes)) break;
            chunk.push(next.bytes);
            chunkBytes += next.bytes.length;
          }
          await writeAll(writer, Buffer.concat(chunk, chunkBytes));
          await writer.datasync();
          sizes.set(writeSegment, size + chunkBytes);
          for (let i = 0; i < chunk.length; i++) batch[done + i]?.resolve(true);
          done += chunk.length;
        }
      } catch (err) {
        // A failed write may have left part of a line: cut back to the last whole one.
        await writer.truncate(sizes.get(writeSegment) ?? 0).catch(() => undefined);
        for (const a of batch.slice(done)) {
          records--;
          bytes -= a.bytes.length;
          a.reject(err);
        }
      }
    }
  };

  const startWriter = () => {
    if (writing !== null) return;
    writing = flush().finally(() => {
      writing = null;
      if (queue.length > 0) startWriter();
    });
  };

  const writeAck = async (pos: Position) => {
    const tmp = join(dir, 'ack.tmp');
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.write(`${JSON.stringify(pos)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(dir, 'ack'));
  };

  return {
    limits: { maxBytes, maxRecords },

    append(line) {
      if (closed) return Promise.reject(new SinkError('closed', 'the audit spool is closed'));
      if (line.includes('\n')) return Promise.reject(new SinkError('io', 'a spooled record must be one line'));
      const encoded = Buffer.from(`${line}\n`, 'utf8');
      if (records + 1 > maxRecords || bytes + encoded.length > maxBytes) return Promise.resolve(false);
      records++;
      bytes += encoded.length;
      return new Promise<boolean>((resolve, reject) => {
        queue.push({ bytes: encoded, resolve, reject });
        startWriter();
      });
    },

    async peekBatch(n) {
      const lines: string[] = [];
      const ends: Position[] = [];
      const lineBytes: number[] = [];
      let segment = read.segment;
      let offset = read.offset;
      let carry: Buffer[] = [];
      let carryBytes = 0;
      while (lines.length < n) {
        // `sizes` grows only after an append's fsync: a write in progress is never read half-done.
        const durable = sizes.get(segment) ?? 0;
        if (offset >= durable) {
          const next = ordered().find((s) => s > segment);
          if (next === undefined || carryBytes > 0) break;
          segment = next;
          offset = 0;
          continue;
        }
        const handle = await open(join(dir, segmentName(segment)), 'r');
        try {
          while (lines.length < n && offset < durable) {
            const length = Math.min(READ_CHUNK, durable - offset);
            const buf = Buffer.alloc(length);
            const { bytesRead } = await handle.read(buf, 0, length, offset);
            if (bytesRead === 0) break;
            let start = 0;
            for (let i = 0; i < bytesRead && lines.length < n; i++) {
              if (buf[i] !== NEWLINE) continue;
              const piece = buf.subarray(start, i);
              const whole = carryBytes === 0 ? piece : Buffer.concat([...carry, piece]);
              lines.push(whole.toString('utf8'));
              lineBytes.push(whole.length + 1);
              ends.push({ segment, offset: offset + i + 1 });
              carry = [];
              carryBytes = 0;
              start = i + 1;
            }
            if (lines.length >= n) break;
            if (start < bytesRead) {
              carry.push(Buffer.from(buf.subarray(start, bytesRead)));
              carryBytes += bytesRead - start;
            }
            offset += bytesRead;
          }
        } finally {
          await handle.close();
        }
        if (carryBytes > 0 && offset >= durable) break;
      }
      lastPeek = { ends, bytes: lineBytes };
      return lines;
    },

    async ack(n) {
      if (n <= 0) return;
      const end = lastPeek.ends[n - 1];
      if (end === undefined) throw new SinkError('io', 'ack beyond the last peeked batch');
      let pos = end;
      const next = ordered().find((s) => s > pos.segment);
      if (next !== undefined && pos.offset >= (sizes.get(pos.segment) ?? 0)) pos = { segment: next, offset: 0 };
      await writeAck(pos);
      let freed = 0;
      for (const b of lastPeek.bytes.slice(0, n)) freed += b;
      records -= n;
      bytes -= freed;
      read = pos;
      lastPeek = { ends: lastPeek.ends.slice(n), bytes: lastPeek.bytes.slice(n) };
      for (const s of ordered()) {
        if (s >= read.segment) break;
        sizes.delete(s);
        await unlink(join(dir, segmentName(s))).catch(() => undefined);
      }
    },

    size: () => ({ records, bytes }),

    async close() {
      if (closed) return;
      closed = true;
      while (writing !== null) await writing;
      await writer.close().catch(() => undefined);
      await rm(lockPath, { force: true });
    },
  };
}

/** Offset just after the last newline of the file's first `size` bytes (0 if none). */
async function lastLineEnd(handle: FileHandle, size: number): Promise<number> {
  let end = size;
  while (end > 0) {
    const length = Math.min(READ_CHUNK, end);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, end - length);
    const at = buf.lastIndexOf(NEWLINE);
    if (at >= 0) return end - length + at + 1;
    end -= length;
  }
  return 0;
}

async function countNewlines(handle: FileHandle, from: number, to: number): Promise<number> {
  let count = 0;
  const buf = Buffer.alloc(READ_CHUNK);
  for (let offset = from; offset < to; ) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(READ_CHUNK, to - offset), offset);
    if (bytesRead === 0) break;
    for (let i = 0; i < bytesRead; i++) if (buf[i] === NEWLINE) count++;
    offset += bytesRead;
  }
  return count;
}

/** One process per spool directory: a `lock` file holding the owner's pid; a dead owner's lock is taken over. */
async function takeLock(path: string): Promise<void> {
  for (let tries = 0; tries < 2; tries++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.write(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return;
    } catch (err) {
      if (systemCode(err) !== 'EEXIST') throw err;
    }
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new SinkError('io', 'the audit spool directory is in use by another device or process');
    }
    await rm(path, { force: true });
  }
  throw new SinkError('io', 'the audit spool directory could not be locked');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return systemCode(err) === 'EPERM';
  }
}
