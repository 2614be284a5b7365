/** File helpers shared by the file sink and the spool (Node). */

import { writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** Writes all of `bytes` at the handle's position (append mode: its end), looping over short writes. */
export async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    if (bytesWritten <= 0) throw new Error('short write');
    offset += bytesWritten;
  }
}

/**
 * `writeAll` of the first `length` bytes, on the calling thread: for a regular file this is a
 * copy into the page cache, cheaper than the thread-pool round trip a `FileHandle.write` makes
 * (decision 0018). The caller bounds `length`; waiting for the disk (fsync) stays off the
 * event loop.
 */
export function writeAllSync(fd: number, bytes: Uint8Array, length = bytes.length): void {
  let offset = 0;
  while (offset < length) {
    const written = writeSync(fd, bytes, offset, length - offset);
    if (written <= 0) throw new Error('short write');
    offset += written;
  }
}

/** Makes a directory's entries (a new file, a rename) durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The `code` of a Node system error (`ENOENT`, …), or null. */
export function systemCode(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null;
  const code: unknown = Reflect.get(err, 'code');
  return typeof code === 'string' ? code : null;
}
