/**
 * Revocation that every replica honours before the revoke call returns, without a storage
 * round-trip on the hot path (docs/decisions/0008-tokens.md).
 *
 * - A revoking replica appends an entry (the revoked token ids) to a log in shared storage.
 * - Every replica polls the log (`pollMs`), evicts what it lists from its verified-token
 *   cache, and records its progress (a sync counter) in a registry.
 * - A replica trusts its cache only while its last successful poll is younger than
 *   `leaseMs`; past that, every token is checked against storage again.
 * - The revoker waits until every other registered replica has completed two syncs since
 *   the entry was written (so one sync started after it), or until `leaseMs` has passed
 *   (by then no replica trusts a cache that predates the entry). No clocks are compared.
 */

import { MAX_LIST_LIMIT, fromUtf8, utf8, unrefTimer } from '../../core/index.js';
import type { Runtime, Storage } from '../../core/index.js';

const LOG_PREFIX = 'token/revocation/log/';
const REPLICA_PREFIX = 'token/replicas/';
/** Entries older than this (by their writer's clock) are pruned; replicas re-read this far back to absorb clock skew. */
const LOG_RETENTION_MS = 10 * 60_000;
const SKEW_WINDOW_MS = 30_000;
/** Replicas silent for this long (by our clock) are dropped from the registry. */
const REPLICA_EXPIRY_MS = 10 * 60_000;
/** Longest list of ids one log entry carries (a revoked subtree is split across entries). */
export const MAX_IDS_PER_ENTRY = 500;

export interface RevocationSyncOptions {
  storage: Pick<Storage, 'get' | 'put' | 'delete' | 'list'>;
  runtime: Pick<Runtime, 'now' | 'randomUUID' | 'logger'>;
  /** Called with the ids to evict, or `'all'` when too much was missed to evict one by one. */
  evict(ids: readonly string[] | 'all'): void;
  leaseMs?: number;
  pollMs?: number;
}

export interface RevocationSync {
  readonly replicaId: string;
  /** Whether the local cache may be trusted: the last poll succeeded less than `leaseMs` ago. */
  fresh(): boolean;
  /**
   * Records a revocation and resolves once every replica honours it (see the module
   * comment). The caller has already removed the tokens from storage and its own cache.
   */
  publish(ids: readonly string[]): Promise<void>;
  /** Polls once now (tests, and start-up). */
  syncNow(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface LogEntry {
  ids: string[];
}

interface ReplicaRecord {
  seq: number;
  at: number;
}

const pad = (n: number) => String(Math.max(0, Math.floor(n))).padStart(15, '0');

export function createRevocationSync(options: RevocationSyncOptions): RevocationSync {
  const { storage, runtime } = options;
  const leaseMs = options.leaseMs ?? 1000;
  const pollMs = options.pollMs ?? 100;
  const replicaId = runtime.randomUUID();
  let lastSyncAt = Number.NEGATIVE_INFINITY;
  let seq = 0;
  let lastSeenTs = 0;
  let counter = 0;
  const processed = new Map<string, number>();
  let othersPresent = true;
  let lastRegistryCheck = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setInterval> | null = null;
  let chain: Promise<void> = Promise.resolve();

  const readJson = async <T>(key: string): Promise<T | null> => {
    const raw = await storage.get(key);
    return raw === null ? null : (JSON.parse(fromUtf8(raw)) as T);
  };

  const listAll = async (prefix: string, after?: string): Promise<string[]> => {
    const out: string[] = [];
    let cursor = after;
    for (let page = 0; page < 100; page++) {
      const names = await storage.list(prefix, cursor === undefined ? { limit: MAX_LIST_LIMIT } : { after: cursor, limit: MAX_LIST_LIMIT });
      out.push(...names);
      if (names.length < MAX_LIST_LIMIT) return out;
      cursor = names[names.length - 1];
    }
    // Too much to walk: the caller treats a truncated walk as "evict everything".
    throw new Error('revocation log too long');
  };

  const replicas = async (): Promise<Map<string, ReplicaRecord>> => {
    const out = new Map<string, ReplicaRecord>();
    for (const name of await listAll(REPLICA_PREFIX)) {
      const record = await readJson<ReplicaRecord>(REPLICA_PREFIX + name);
      if (record !== null) out.set(name, record);
    }
    return out;
  };

  const sync = async (): Promise<void> => {
    const startedAt = runtime.now();
    let names: string[];
    try {
      names = await listAll(LOG_PREFIX, pad(lastSeenTs - SKEW_WINDOW_MS));
    } catch (err) {
      if (err instanceof Error && err.message === 'revocation log too long') {
        options.evict('all');
        names = [];
      } else throw err;
    }
    const fresh: string[] = [];
    for (const name of names) {
      if (processed.has(name)) continue;
      const entry = await readJson<LogEntry>(LOG_PREFIX + name);
      const ts = Number(name.slice(0, 15));
      processed.set(name, ts);
      if (ts > lastSeenTs) lastSeenTs = ts;
      if (entry !== null) fresh.push(...entry.ids);
      // The oldest entries are pruned by whoever reads them first; readers re-list a window, so a prune never hides an unread entry.
      if (ts < startedAt - LOG_RETENTION_MS) await storage.delete(LOG_PREFIX + name);
    }
    if (fresh.length > 0) options.evict(fresh);
    for (const [name, ts] of processed) if (ts < lastSeenTs - 2 * SKEW_WINDOW_MS) processed.delete(name);

    seq++;
    // Acknowledge every poll while other replicas may be waiting on us; otherwise a slow heartbeat so they can find us.
    if (startedAt - lastRegistryCheck >= leaseMs) {
      lastRegistryCheck = startedAt;
      const registry = await replicas();
      registry.delete(replicaId);
      for (const [id, record] of registry) {
        if (record.at < startedAt - REPLICA_EXPIRY_MS) {
          await storage.delete(REPLICA_PREFIX + id);
          registry.delete(id);
        }
      }
      othersPresent = registry.size > 0;
    }
    if (othersPresent || seq % 50 === 1) {
      await storage.put(REPLICA_PREFIX + replicaId, utf8(JSON.stringify({ seq, at: startedAt } satisfies ReplicaRecord)));
    }
    lastSyncAt = startedAt;
  };

  // One poll at a time; a caller arriving mid-poll gets the next full one.
  const syncNow = (): Promise<void> => {
    const next = chain.catch(() => undefined).then(sync);
    chain = next;
    return next;
  };

  return {
    replicaId,
    fresh: () => runtime.now() - lastSyncAt < leaseMs,

    async publish(ids) {
      const writtenAt = runtime.now();
      for (let i = 0; i < ids.length; i += MAX_IDS_PER_ENTRY) {
        const key = `${pad(writtenAt)}-${replicaId}-${String(counter++).padStart(6, '0')}`;
        await storage.put(LOG_PREFIX + key, utf8(JSON.stringify({ ids: ids.slice(i, i + MAX_IDS_PER_ENTRY) } satisfies LogEntry)));
        processed.set(key, writtenAt);
      }
      const others = await replicas();
      others.delete(replicaId);
      if (others.size > 0) othersPresent = true;
      const deadline = writtenAt + leaseMs;
      while (others.size > 0 && runtime.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(20, pollMs)));
        const now = await replicas();
        for (const [id, before] of others) {
          const after = now.get(id);
          if (after === undefined || after.seq >= before.seq + 2) others.delete(id);
        }
      }
      if (others.size > 0) {
        runtime.logger.warn({ replicas: others.size }, 'revocation: some replicas did not acknowledge within the lease; their caches have expired');
      }
    },

    syncNow,

    async start() {
      await syncNow();
      timer = setInterval(() => {
        syncNow().catch((err: unknown) => {
          runtime.logger.warn({ err: err instanceof Error ? err.message : 'error' }, 'revocation sync failed; token cache disabled until it recovers');
        });
      }, pollMs);
      // Never keep the process alive for this.
      unrefTimer(timer);
    },

    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      lastSyncAt = Number.NEGATIVE_INFINITY;
      await chain.catch(() => undefined);
      await storage.delete(REPLICA_PREFIX + replicaId).catch(() => undefined);
    },
  };
}
