import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'libsql';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGatewayError, silentLogger, utf8 } from '../core/index.js';
import type { Logger } from '../core/index.js';
import { createSqliteStorage } from './sqlite.node.js';
import { describeStorageConformance } from './storage.case.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');

let workDir: string;
let fileCounter = 0;
const freshPath = (): string => join(workDir, `store-${++fileCounter}.db`);

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'keygate-sqlite-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describeStorageConformance('sqlite', () => createSqliteStorage({ path: freshPath() }));

/** Whether `haystack` contains `needle` as a contiguous byte run. */
function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function capturingLogger(lines: string[]): Logger {
  const record = (a: object | string, b?: string): void => {
    lines.push(typeof a === 'string' ? a : `${b ?? ''} ${JSON.stringify(a)}`);
  };
  const logger: Logger = { debug: record, info: record, warn: record, error: record, child: () => logger };
  return logger;
}

describe('sqlite storage: file and durability settings', () => {
  it('creates the database file with mode 0600, and SQLite gives its WAL and SHM files the same mode', async () => {
    const path = freshPath();
    const storage = await createSqliteStorage({ path });
    await storage.put('k', utf8('v'));
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      expect(((await stat(file)).mode & 0o777).toString(8)).toBe('600');
    }
    await storage.close();
  });

  it('runs in WAL mode with synchronous=FULL and a busy timeout', async () => {
    const path = freshPath();
    const storage = await createSqliteStorage({ path, busyTimeoutMs: 1234 });
    expect(storage.settings()).toEqual({ journalMode: 'wal', synchronous: 2, busyTimeoutMs: 1234 });
    await storage.close();
    // WAL is a property of the file: a separate connection sees it too.
    const db = new Database(path);
    expect(db.prepare('PRAGMA journal_mode').raw().get()).toEqual(['wal']);
    db.close();
  });

  it('refuses to open when the directory does not exist, without creating it', async () => {
    const dir = join(workDir, 'missing-dir');
    await expect(createSqliteStorage({ path: join(dir, 'x.db') })).rejects.toSatisfy(
      (err) => isGatewayError(err, 'ERR_STORAGE_UNAVAILABLE') && /does not exist/.test(err.message),
    );
    await expect(stat(dir)).rejects.toThrow();
  });

  it('refuses a file that is not a SQLite database', async () => {
    const path = freshPath();
    await writeFile(path, 'not a database '.repeat(400), { mode: 0o600 });
    await expect(createSqliteStorage({ path })).rejects.toSatisfy((err) => isGatewayError(err, 'ERR_STORAGE_UNAVAILABLE'));
  });

  it('refuses a file stamped with a newer schema version', async () => {
    const path = freshPath();
    const db = new Database(path);
    db.exec('PRAGMA user_version = 99');
    db.close();
    await expect(createSqliteStorage({ path })).rejects.toSatisfy(
      (err) => isGatewayError(err, 'ERR_STORAGE_UNAVAILABLE') && /schema version 99/.test(err.message),
    );
  });

  it('warns, naming the fix, when an existing file is readable by group or others', async () => {
    const path = freshPath();
    await (await createSqliteStorage({ path })).close();
    await chmod(path, 0o644);
    const lines: string[] = [];
    const storage = await createSqliteStorage({ path, logger: capturingLogger(lines) });
    expect(lines.some((l) => l.includes('chmod 600'))).toBe(true);
    await storage.close();
  });

  it('keeps data across close and reopen', async () => {
    const path = freshPath();
    const first = await createSqliteStorage({ path });
    await first.put('a/b', utf8('one'));
    await first.put('c', new Uint8Array(0));
    await first.close();
    const second = await createSqliteStorage({ path, logger: silentLogger });
    expect(await second.get('a/b')).toEqual(utf8('one'));
    expect(await second.get('c')).toEqual(new Uint8Array(0));
    expect(await second.list('')).toEqual(['a/', 'c']);
    await second.close();
  });

  it('stores the bytes it is given: a canary value is found verbatim in the database files', async () => {
    // This layer does no encryption; the barrier above it does (see barrier.test.ts).
    const path = freshPath();
    const storage = await createSqliteStorage({ path });
    const canary = utf8('CANARY-sqlite-7f3a9c');
    await storage.put('canary', canary);
    await storage.close();
    const files = (await readdir(workDir)).filter((f) => join(workDir, f).startsWith(path));
    const contents = await Promise.all(files.map((f) => readFile(join(workDir, f))));
    expect(contents.some((c) => containsBytes(c, canary))).toBe(true);
  });

  it('reports a write blocked past the busy timeout as ERR_STORAGE_UNAVAILABLE, without the value', async () => {
    const path = freshPath();
    const storage = await createSqliteStorage({ path, busyTimeoutMs: 50 });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      const err: unknown = await storage.put('k', utf8('SECRET-VALUE')).catch((e: unknown) => e);
      expect(isGatewayError(err, 'ERR_STORAGE_UNAVAILABLE')).toBe(true);
      expect(String(err)).not.toContain('SECRET-VALUE');
      expect(String(err)).toContain('SQLITE_BUSY');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await storage.put('k', utf8('ok'));
    expect(await storage.get('k')).toEqual(utf8('ok'));
    await storage.close();
  });

  it('refuses every call after close with ERR_STORAGE_UNAVAILABLE, and closes idempotently', async () => {
    const storage = await createSqliteStorage({ path: freshPath() });
    await storage.close();
    await expect(storage.close()).resolves.toBeUndefined();
    for (const call of [() => storage.get('k'), () => storage.list(''), () => storage.delete('k'), () => storage.ping()]) {
      await expect(call()).rejects.toSatisfy((err) => isGatewayError(err, 'ERR_STORAGE_UNAVAILABLE'));
    }
    expect(() => storage.settings()).toThrow(/closed/);
  });
});

/**
 * Compiles src/core and src/storage to plain ESM in `outDir`, so a child `node` process can
 * run the real storage code (Node 20 cannot run TypeScript itself).
 */
async function buildStorageForChild(outDir: string): Promise<void> {
  for (const folder of ['core', 'storage']) {
    const srcDir = join(repoRoot, 'src', folder);
    await mkdir(join(outDir, 'src', folder), { recursive: true });
    for (const file of await readdir(srcDir)) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts') || file.endsWith('.case.ts')) continue;
      const source = await readFile(join(srcDir, file), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      });
      await writeFile(join(outDir, 'src', folder, file.replace(/\.ts$/, '.js')), outputText);
    }
  }
  await writeFile(join(outDir, 'package.json'), '{"type":"module"}\n');
  await symlink(join(repoRoot, 'node_modules'), join(outDir, 'node_modules'), 'dir');
}

// The writer below computes the same values.
const valueFor = (i: number): string => `value-${i}-`.repeat(1 + (i % 7));

const CHILD_SCRIPT = `
import { createSqliteStorage } from './src/storage/sqlite.node.js';
const storage = await createSqliteStorage({ path: process.argv[2] });
const valueFor = (i) => ('value-' + i + '-').repeat(1 + (i % 7));
const encoder = new TextEncoder();
for (let i = 0; ; i++) {
  await storage.put('k/' + i, encoder.encode(valueFor(i)));
  process.stdout.write(i + '\\n');
}
`;

describe('sqlite storage: crash durability', () => {
  it('keeps every write acknowledged before the process was SIGKILLed', async () => {
    const childDir = await mkdtemp(join(tmpdir(), 'keygate-sqlite-child-'));
    try {
      await buildStorageForChild(childDir);
      const scriptPath = join(childDir, 'writer.mjs');
      await writeFile(scriptPath, CHILD_SCRIPT);
      const dbPath = join(childDir, 'crash.db');

      const acknowledged = await new Promise<number[]>((resolveAcks, reject) => {
        const child = spawn(process.execPath, [scriptPath, dbPath], { cwd: childDir, stdio: ['ignore', 'pipe', 'pipe'] });
        const acks: number[] = [];
        let pending = '';
        let stderr = '';
        child.stderr.on('data', (chunk: Uint8Array) => {
          stderr += new TextDecoder().decode(chunk);
        });
        child.stdout.on('data', (chunk: Uint8Array) => {
          pending += new TextDecoder().decode(chunk);
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) acks.push(Number(line));
          // Kill mid-stream, while writes are still being issued.
          if (acks.length >= 300 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
        });
        child.on('error', reject);
        child.on('exit', (code, signal) => {
          if (signal === 'SIGKILL') resolveAcks(acks);
          else reject(new Error(`writer exited with ${String(code)} before being killed: ${stderr}`));
        });
      });

      expect(acknowledged.length).toBeGreaterThanOrEqual(300);
      const storage = await createSqliteStorage({ path: dbPath });
      for (const i of acknowledged) {
        expect(await storage.get(`k/${i}`)).toEqual(utf8(valueFor(i)));
      }
      await storage.close();
    } finally {
      await rm(childDir, { recursive: true, force: true });
    }
  });
});
