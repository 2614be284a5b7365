import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebRuntime, toBase64, utf8 } from '../../core/index.js';
import { createDevKeyFileSeal, loadOrCreateDevKeyFile } from './dev-key-file.node.js';
import { createStaticKeySeal } from './static-key.js';

let dir: string;
let counter = 0;
const freshPath = (): string => join(dir, `seal-${++counter}.key`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keygate-devkey-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dev key file', () => {
  it('creates a 0600 file holding base64 of 32 random bytes and a newline', async () => {
    const path = freshPath();
    const { key, created } = await loadOrCreateDevKeyFile(path, { create: true });
    expect(created).toBe(true);
    expect(key).toHaveLength(32);
    expect(((await stat(path)).mode & 0o777).toString(8)).toBe('600');
    expect(await readFile(path, 'utf8')).toBe(`${toBase64(key)}\n`);
  });

  it('leaves no temporary file behind', async () => {
    const path = freshPath();
    await loadOrCreateDevKeyFile(path, { create: true });
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('returns the same key on a second load, without creating', async () => {
    const path = freshPath();
    const first = await loadOrCreateDevKeyFile(path, { create: true });
    const second = await loadOrCreateDevKeyFile(path, { create: true });
    const third = await loadOrCreateDevKeyFile(path, { create: false });
    expect(second).toEqual({ key: first.key, created: false });
    expect(third).toEqual({ key: first.key, created: false });
  });

  it('gives concurrent creators one key: none replaces a file another has written', async () => {
    const path = freshPath();
    const results = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateDevKeyFile(path, { create: true })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    for (const r of results) expect(r.key).toEqual(results[0]?.key);
  });

  it('refuses, with a clear error, a missing file when create is false', async () => {
    const path = freshPath();
    await expect(loadOrCreateDevKeyFile(path, { create: false })).rejects.toThrow(/does not exist/);
    await expect(stat(path)).rejects.toThrow();
  });

  it('refuses a file readable by group or others, naming the path and chmod 600', async () => {
    const path = freshPath();
    await loadOrCreateDevKeyFile(path, { create: true });
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      await chmod(path, mode);
      const err: unknown = await loadOrCreateDevKeyFile(path, { create: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(String(err)).toContain(path);
      expect(String(err)).toContain('chmod 600');
    }
  });

  it('refuses malformed content without printing it', async () => {
    const secretish = 'SECRET-LOOKING-CONTENT';
    const cases = [
      `${secretish}\n`,
      `${toBase64(new Uint8Array(16))}\n`,
      `${toBase64(new Uint8Array(33))}\n`,
      `${toBase64(new Uint8Array(32))}\n${secretish}\n`,
      ` ${toBase64(new Uint8Array(32))}\n`,
      '',
      'x'.repeat(5000),
    ];
    for (const content of cases) {
      const path = freshPath();
      await writeFile(path, content, { mode: 0o600 });
      const err: unknown = await loadOrCreateDevKeyFile(path, { create: true }).catch((e: unknown) => e);
      expect(String(err)).toMatch(/malformed/);
      expect(String(err)).not.toContain(secretish);
      expect(String(err)).not.toContain(toBase64(new Uint8Array(16)));
      // A malformed file is never silently replaced by a new key.
      expect(await readFile(path, 'utf8')).toBe(content);
    }
  });

  it('accepts a hand-written file without the final newline', async () => {
    const path = freshPath();
    const key = createWebRuntime().randomBytes(32);
    await writeFile(path, toBase64(key), { mode: 0o600 });
    expect(await loadOrCreateDevKeyFile(path, { create: false })).toEqual({ key, created: false });
  });

  it('refuses a directory in place of the file', async () => {
    await expect(loadOrCreateDevKeyFile(dir, { create: false })).rejects.toThrow(/not a regular file/);
  });
});

describe('dev key file seal', () => {
  it('is the static-key seal with type dev-key-file: each unwraps what the other wrapped', async () => {
    const runtime = createWebRuntime();
    const { key } = await loadOrCreateDevKeyFile(freshPath(), { create: true });
    const fileSeal = createDevKeyFileSeal(key, runtime);
    const submitted = createStaticKeySeal({ key, subtle: runtime.subtle, randomBytes: runtime.randomBytes, type: 'dev-key-file' });
    expect(fileSeal.type).toBe('dev-key-file');
    const root = runtime.randomBytes(32);
    const aad = utf8('keygate/root-key/v1');
    expect(await submitted.unwrap(await fileSeal.wrap(root, aad), aad)).toEqual(root);
    expect(await fileSeal.unwrap(await submitted.wrap(root, aad), aad)).toEqual(root);
  });
});
