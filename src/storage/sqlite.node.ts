/**
 * Embedded SQLite storage (the default backend on Node), over the synchronous `libsql`
 * driver. One table of opaque bytes keyed by text; durability settings are verified, not
 * assumed, because a secrets store that silently loses acknowledged writes is worse than
 * one that refuses to start.
 */

import { constants as fsConstants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'libsql';
import { GatewayError, isGatewayError, silentLogger } from '../core/index.js';
import type { ListOptions, Logger, ManagedStorage } from '../core/index.js';
import { assertStorageKey, childName, effectiveListLimit, listStartKey, prefixUpperBound } from './keys.js';
import { syncDirectory } from './private-files.node.js';

/** Options of `createSqliteStorage`. */
export interface SqliteStorageOptions {
  /** Database file. Created with mode 0600 if missing; its directory must already exist. */
  path: string;
  logger?: Logger;
  /** How long a write waits for another connection's lock before failing; default 5,000 ms. */
  busyTimeoutMs?: number;
}

/** What the connection actually runs with, read back from SQLite (for health checks and tests). */
export interface SqliteSettings {
  journalMode: string;
  /** SQLite's `synchronous` level: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  synchronous: number;
  busyTimeoutMs: number;
}

/** SQLite storage: `ManagedStorage` plus a read-back of its durability settings. */
export interface SqliteStorage extends ManagedStorage {
  /** Reads the live settings; throws `ERR_STORAGE_UNAVAILABLE` once closed. */
  settings(): SqliteSettings;
}

/** The schema this code writes; a file stamped with a newer one is refused rather than misread. */
const SCHEMA_VERSION = 1;
const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

// The walk of `list`, done inside SQLite so a page is one native call: each step is one
// primary-key seek for the least key ≥ a cursor. After a plain key the cursor is that key
// followed by NUL (the least greater key, as keys never hold NUL); after a key inside a
// sub-folder it is `prefix + folder + '0'`, past the whole folder. So a page costs one seek
// per returned name, however large the sub-folders are. `substr` and `instr` count
// characters (code points), hence `:plen` is the prefix length in code points.
const walkSql = (bounded: boolean): string => {
  const upper = bounded ? 'AND key < :upper' : '';
  return `WITH RECURSIVE walk(k) AS (
    SELECT (SELECT key FROM entries WHERE key >= :start ${upper} ORDER BY key LIMIT 1)
    UNION ALL
    SELECT (SELECT key FROM entries WHERE key >= (
        CASE WHEN instr(substr(walk.k, :plen + 1), '/') > 0
          THEN :prefix || substr(walk.k, :plen + 1, instr(substr(walk.k, :plen + 1), '/') - 1) || '0'
          ELSE walk.k || char(0)
        END) ${upper} ORDER BY key LIMIT 1)
    FROM walk WHERE walk.k IS NOT NULL
    LIMIT :limit
  ) SELECT k FROM walk WHERE k IS NOT NULL`;
};

// Primary result codes that mean the store cannot serve right now (as opposed to a bug in
// a statement): BUSY, LOCKED, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL, NOTADB.
const UNAVAILABLE_CODES = new Set([5, 6, 7, 8, 10, 11, 13, 14, 15, 26]);
const UNAVAILABLE_NAMES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_CORRUPT',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
  'SQLITE_NOTADB',
];

/**
 * Opens (creating if missing, mode 0600) a SQLite storage file in WAL mode with
 * `synchronous=FULL`, so a resolved `put` survives a crash or SIGKILL. Throws
 * `ERR_STORAGE_UNAVAILABLE` when the file cannot be opened, its directory is missing, WAL or
 * FULL do not take effect, or the file carries a newer schema. Calls on the returned store
 * throw `ERR_STORAGE_UNAVAILABLE` when SQLite cannot serve (I/O error, read-only, corrupt,
 * still locked after the busy timeout, closed) and `ERR_INTERNAL` otherwise; messages never
 * include values.
 */
export async function createSqliteStorage(options: SqliteStorageOptions): Promise<SqliteStorage> {
  const { path } = options;
  const logger = (options.logger ?? silentLogger).child({ component: 'storage', backend: 'sqlite' });
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;

  const created = await createPrivateFile(path);
  if (!created) await warnIfShared(path, logger);

  let db: Database.Database;
  try {
    db = new Database(path, { timeout: busyTimeoutMs });
  } catch (err) {
    throw unavailable('cannot open the database file', err);
  }
  try {
    configure(db, busyTimeoutMs);
  } catch (err) {
    closeQuietly(db);
    throw isGatewayError(err) ? err : toStorageError(err, 'open');
  }

  let statements: Statements | null = prepareStatements(db);
  logger.info({ path, created }, 'sqlite storage opened');

  const use = (): Statements => {
    if (statements === null) throw new GatewayError('ERR_STORAGE_UNAVAILABLE', 'sqlite storage is closed');
    return statements;
  };

  return {
    async get(key) {
      assertStorageKey(key);
      const s = use();
      let row: unknown;
      try {
        row = s.get.get(key);
      } catch (err) {
        throw toStorageError(err, 'get');
      }
      if (row === undefined) return null;
      const value = firstColumn(row);
      if (!(value instanceof Uint8Array)) {
        throw new GatewayError('ERR_STORAGE_UNAVAILABLE', 'sqlite storage returned a value that is not a blob');
      }
      // A fresh plain Uint8Array: callers may mutate it, and a Buffer would expose more API
      // (and, for small buffers, pooled memory) than the contract promises.
      return new Uint8Array(value);
    },

    async put(key, value) {
      assertStorageKey(key);
      const s = use();
      try {
        s.put.run(key, value);
      } catch (err) {
        throw toStorageError(err, 'put');
      }
    },

    async delete(key) {
      assertStorageKey(key);
      const s = use();
      try {
        s.delete.run(key);
      } catch (err) {
        throw toStorageError(err, 'delete');
      }
    },

    async list(prefix, opts: ListOptions = {}) {
      assertStorageKey(prefix, 'list prefix');
      if (opts.after !== undefined) assertStorageKey(opts.after, 'list cursor');
      const s = use();
      const limit = effectiveListLimit(opts.limit);
      if (limit === 0) return [];
      const upper = prefixUpperBound(prefix);
      const params = {
        start: listStartKey(prefix, opts.after),
        prefix,
        plen: codePointLength(prefix),
        limit,
        ...(upper === null ? {} : { upper }),
      };
      let rows: unknown[];
      try {
        rows = (upper === null ? s.walkAll : s.walkBounded).all(params);
      } catch (err) {
        throw toStorageError(err, 'list');
      }
      const names: string[] = [];
      for (const row of rows) {
        const key = firstColumn(row);
        if (typeof key === 'string') names.push(childName(prefix, key));
      }
      return names;
    },

    async ping() {
      const s = use();
      try {
        s.ping.get();
      } catch (err) {
        throw toStorageError(err, 'ping');
      }
    },

    settings() {
      use();
      try {
        return {
          journalMode: String(pragma(db, 'journal_mode')),
          synchronous: Number(pragma(db, 'synchronous')),
          busyTimeoutMs: Number(pragma(db, 'busy_timeout')),
        };
      } catch (err) {
        throw toStorageError(err, 'settings');
      }
    },

    async close() {
      if (statements === null) return;
      // libsql keeps the connection alive while statements reference it; dropping them lets
      // the native handles go as soon as they are collected.
      statements = null;
      closeQuietly(db);
      logger.info({ path }, 'sqlite storage closed');
    },
  };
}

interface Statements {
  get: Database.Statement;
  put: Database.Statement;
  delete: Database.Statement;
  walkBounded: Database.Statement;
  walkAll: Database.Statement;
  ping: Database.Statement;
}

function prepareStatements(db: Database.Database): Statements {
  // Raw mode returns rows as arrays: no per-row object with column names (and no libsql
  // `_metadata` property) to build, which is measurably cheaper on the read path. `pluck()`
  // would be simpler still, but libsql 0.5 ignores it in `get()` (it only applies to `all()`).
  return {
    get: db.prepare('SELECT value FROM entries WHERE key = ?').raw(),
    put: db.prepare('INSERT INTO entries (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    delete: db.prepare('DELETE FROM entries WHERE key = ?'),
    walkBounded: db.prepare(walkSql(true)).raw(),
    walkAll: db.prepare(walkSql(false)).raw(),
    ping: db.prepare('SELECT 1').raw(),
  };
}

function configure(db: Database.Database, busyTimeoutMs: number): void {
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  const journal = pragma(db, 'journal_mode = WAL');
  if (typeof journal !== 'string' || journal.toLowerCase() !== 'wal') {
    throw new GatewayError(
      'ERR_STORAGE_UNAVAILABLE',
      `sqlite storage: WAL journal mode did not take effect (got ${String(journal)}); the file system may not support it`,
    );
  }
  db.exec('PRAGMA synchronous = FULL');
  // 2 is FULL: every commit is fsynced before it is acknowledged.
  const synchronous = pragma(db, 'synchronous');
  if (synchronous !== 2) {
    throw new GatewayError('ERR_STORAGE_UNAVAILABLE', `sqlite storage: synchronous=FULL did not take effect (got ${String(synchronous)})`);
  }
  const version = pragma(db, 'user_version');
  if (typeof version !== 'number' || version > SCHEMA_VERSION) {
    throw new GatewayError('ERR_STORAGE_UNAVAILABLE', `sqlite storage: the file has schema version ${String(version)}, newer than ${SCHEMA_VERSION}`);
  }
  db.exec('CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID');
  if (version < SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
}

/** Runs a PRAGMA that returns a row and gives its first column; setters without a result row go through `exec`. */
function pragma(db: Database.Database, source: string): unknown {
  return firstColumn(db.prepare(`PRAGMA ${source}`).raw().get());
}

function firstColumn(row: unknown): unknown {
  return Array.isArray(row) ? row[0] : undefined;
}

function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Creates `path` with mode 0600 if it does not exist, so SQLite (which gives its -wal and
 * -shm files the database file's mode) never makes a world-readable file. Returns whether
 * it created the file.
 */
async function createPrivateFile(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    if (errnoCode(err) === 'ENOENT') {
      throw unavailable(`the directory ${dirname(path)} does not exist; create it first`, err);
    }
    throw unavailable('cannot create the database file', err);
  }
  try {
    // The umask can only clear bits, but a umask of 0 and an explicit mode keep us exact.
    await handle.chmod(0o600);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncDirectory(dirname(path));
  return true;
}

async function warnIfShared(path: string, logger: Logger): Promise<void> {
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) {
      logger.warn(
        { path, mode: (info.mode & 0o777).toString(8) },
        'sqlite storage file is accessible to group or others; run chmod 600 on it',
      );
    }
  } catch {
    // Opening the database reports a missing or unreadable file with a better error.
  }
}

function closeQuietly(db: Database.Database): void {
  try {
    db.close();
  } catch {
    // Already closed, or the handle is broken: nothing left to release.
  }
}

function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

function unavailable(reason: string, cause: unknown): GatewayError {
  return new GatewayError('ERR_STORAGE_UNAVAILABLE', `sqlite storage: ${reason}`, { cause });
}

/**
 * Maps a driver error to a coded one. SQLite's messages name tables and columns, never
 * bound parameters, so the cause is safe to keep; our own message names only the operation.
 */
function toStorageError(err: unknown, operation: string): GatewayError {
  if (isGatewayError(err)) return err;
  const code = errnoCode(err) ?? '';
  const raw = typeof err === 'object' && err !== null && 'rawCode' in err && typeof err.rawCode === 'number' ? err.rawCode : -1;
  const isUnavailable = UNAVAILABLE_NAMES.some((name) => code.startsWith(name)) || UNAVAILABLE_CODES.has(raw & 0xff);
  const detail = code === '' ? '' : ` (${code})`;
  return isUnavailable
    ? new GatewayError('ERR_STORAGE_UNAVAILABLE', `sqlite storage: ${operation} failed${detail}`, { cause: err })
    : new GatewayError('ERR_INTERNAL', `sqlite storage: ${operation} failed${detail}`, { cause: err });
}
