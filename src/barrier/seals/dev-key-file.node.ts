/**
 * The development seal: a 256-bit key in a local file (mode 0600), next to the data it
 * protects. It keeps the barrier honest in development; production uses a KMS seal, since a
 * key stored beside the ciphertext protects only against leaks of the storage file alone.
 */

import { constants as fsConstants } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { toBase64, toHex } from '../../core/index.js';
import type { Runtime } from '../../core/index.js';
import type { KeyWrapper } from '../types.js';
import { createStaticKeySeal, parseDevKey } from './static-key.js';
import { syncDirectory } from '../../storage/private-files.node.js';

/** `KeyWrapper.type` of the dev key file seal, recorded in `core/seal`. */
export const DEV_KEY_FILE_SEAL_TYPE = 'dev-key-file';

/** A key file holds 45 bytes; anything much larger is not one, and is not read whole. */
const MAX_FILE_BYTES = 1024;

export interface LoadedDevKey {
  /** The 32-byte key. The caller should zero it once the seal is built. */
  key: Uint8Array;
  /** True when this call created the file. */
  created: boolean;
}

/**
 * Reads the dev key at `path`, or creates it (32 random bytes, base64 and a newline, mode
 * 0600, written atomically) when it is missing and `create` is true. Throws a plain `Error`
 * naming the path and the fix when the file is missing and `create` is false, when it is
 * accessible to group or others, or when it does not hold exactly 32 bytes of base64; the
 * file's content never appears in a message.
 */
export async function loadOrCreateDevKeyFile(path: string, options: { create: boolean }): Promise<LoadedDevKey> {
  const existing = await readDevKeyFile(path);
  if (existing !== null) return { key: existing, created: false };
  if (!options.create) {
    throw new Error(
      `dev seal key file ${path} does not exist; restore the key file this store was initialised with (a new key cannot open existing data)`,
    );
  }
  return createDevKeyFile(path);
}

/** The dev key file seal: the static-key seal with type `dev-key-file`. Throws `ERR_INTERNAL` unless `key` is 32 bytes. */
export function createDevKeyFileSeal(key: Uint8Array, runtime: Pick<Runtime, 'subtle' | 'randomBytes'>): KeyWrapper {
  return createStaticKeySeal({ key, subtle: runtime.subtle, randomBytes: runtime.randomBytes, type: DEV_KEY_FILE_SEAL_TYPE });
}

/** The key in `path`, or null when the file does not exist. */
async function readDevKeyFile(path: string): Promise<Uint8Array | null> {
  let handle;
  try {
    handle = await open(path, fsConstants.O_RDONLY);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw new Error(`cannot open dev seal key file ${path}: ${errnoCode(err) ?? 'unknown error'}`, { cause: err });
  }
  try {
    // Check the file we opened, not the path, so a swap between check and read cannot slip by.
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`dev seal key file ${path} is not a regular file`);
    if ((info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw new Error(`dev seal key file ${path} is accessible to group or others (mode ${mode}); fix it with: chmod 600 ${path}`);
    }
    const malformed = new Error(`dev seal key file ${path} is malformed: it must hold the base64 of exactly 32 bytes and a newline`);
    if (info.size > MAX_FILE_BYTES) throw malformed;
    const buffer = new Uint8Array(MAX_FILE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, bytesRead));
    } catch {
      throw malformed;
    } finally {
      buffer.fill(0);
    }
    // Exactly "base64\n" (a final newline optional): parseDevKey alone would also accept
    // surrounding spaces, which an editor or a copy-paste may have added to a corrupt file.
    const key = /^[A-Za-z0-9+/_-]+={0,2}\n?$/.test(text) ? parseDevKey(text) : null;
    if (key === null) throw malformed;
    return key;
  } finally {
    await handle.close();
  }
}

async function createDevKeyFile(path: string): Promise<LoadedDevKey> {
  const key = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${toHex(globalThis.crypto.getRandomValues(new Uint8Array(8)))}.tmp`);
  const handle = await open(temp, 'wx', 0o600).catch((err: unknown) => {
    throw new Error(`cannot create dev seal key file in ${dir}: ${errnoCode(err) ?? 'unknown error'}`, { cause: err });
  });
  try {
    try {
      // Explicit, so the mode does not depend on the process umask.
      await handle.chmod(0o600);
      await handle.writeFile(`${toBase64(key)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!(await publish(temp, path))) {
      // Another process created the file first: use its key, never replace it.
      key.fill(0);
      const theirs = await readDevKeyFile(path);
      if (theirs === null) throw new Error(`dev seal key file ${path} vanished while it was being created`);
      return { key: theirs, created: false };
    }
    await syncDirectory(dir);
    return { key, created: true };
  } catch (err) {
    key.fill(0);
    throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * Makes the fully written temp file appear at `path` in one step. A hard link fails if
 * `path` exists, where a rename would silently replace a key another process just created
 * (and may already have initialised a store with). Returns false when `path` already exists.
 */
async function publish(temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
  }
  // File systems without hard links: rename, after a best-effort check that nothing is there.
  if ((await readDevKeyFile(path).catch(() => 'exists')) !== null) return false;
  await rename(temp, path);
  return true;
}

function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
