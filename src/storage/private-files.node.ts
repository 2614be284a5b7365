/** Owner-only files on Node: the few file-system steps that storage, seals and the entry share. */

import { constants as fsConstants } from 'node:fs';
import { chmod, open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Flushes a directory's entries (a new or renamed file's name) to disk. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` atomically with `content`, readable by the owner only: a 0600 temp file
 * in the same directory, fsync, rename, directory fsync. A crash leaves the old file or the
 * new one, never half of either.
 */
export async function writePrivateFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(temp, 0o600);
  await rename(temp, path);
  await syncDirectory(dirname(path));
}
