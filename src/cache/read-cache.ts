/**
 * The read-through cache (ARCHITECTURE.md, decision 9; docs/cache.md): decrypted answers of
 * cacheable reads, keyed by mount id + operation + path + the request's params, bounded by
 * entries and by bytes (`lru-cache`), fresh for the mount's TTL. Concurrent misses for one key
 * share one backend call; failures are never stored (not-found only when the mount opts in);
 * answers with a lease, an `auth`, `cache: 'no-store'` or no cache mark are never stored nor
 * shared. With stale-if-error, an answer past its freshness but within the mount's bound is
 * served, marked, when the backend is unavailable. It sits after authorization: it knows
 * nothing about who asks.
 */

import { LRUCache } from 'lru-cache';
import { GatewayError, NotFoundError, isGatewayError } from '../core/index.js';
import type { ErrorCode, MountCachePolicy, OperationResponse } from '../core/index.js';
import { covers, parentFolders } from './invalidation.js';
import type { EntryKind, Invalidation, InvalidationBus } from './invalidation.js';
import { estimateBytes, snapshot } from './snapshot.js';

/** Operations whose answers may be cached; everything else goes straight to the backend. */
export type CacheableOperation = 'read' | 'list' | 'read-metadata';

export function isCacheableOperation(operation: string): operation is CacheableOperation {
  return operation === 'read' || operation === 'list' || operation === 'read-metadata';
}

/** Errors after which a stale answer may be served (the backend, not the request, failed). */
const STALE_IF_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_UPSTREAM_UNAVAILABLE',
  'ERR_UPSTREAM_TIMEOUT',
  'ERR_UPSTREAM_THROTTLED',
  'ERR_STORAGE_UNAVAILABLE',
]);

export interface ReadCacheOptions {
  /** Most entries held. */
  maxEntries: number;
  /** Most (estimated) bytes held. */
  maxBytes: number;
  /** Largest single entry kept; larger answers are served but not cached. Default: min(1 MiB, maxBytes). */
  maxEntryBytes?: number;
  /** Clock (ms). */
  now: () => number;
  /** The cache subscribes to it and drops what each message covers. */
  bus?: InvalidationBus;
}

export interface CacheRequest {
  /** Stable mount identity (its uuid), so a renamed mount keeps its entries and a re-created one does not. */
  mountId: string;
  operation: CacheableOperation;
  /** Path relative to the mount; for `list`, the folder (`""`: the mount root). */
  path: string;
  /** Query options that change the answer (`version`, `after`, `limit`, …). All of them are part of the key. */
  params: Readonly<Record<string, string>>;
  policy: MountCachePolicy;
  /** The caller's signal: a caller that goes away stops waiting; the shared call is cancelled once nobody waits. */
  signal: AbortSignal;
  /** Skip the lookup (the answer still refreshes the entry). */
  bypass?: boolean;
}

/**
 * How an answer was found. `hit`: fresh entry; `miss`: this caller's backend call;
 * `coalesced`: another caller's concurrent call; `stale`: stale-if-error; `bypass`: the
 * caller skipped the lookup.
 */
export type CacheOutcome = 'hit' | 'miss' | 'coalesced' | 'stale' | 'bypass';

export interface CacheAnswer {
  response: OperationResponse;
  outcome: CacheOutcome;
  /**
   * True when `response` is the cached object itself: frozen, and the same object for every
   * reader until the entry goes, so a face may memoise work derived from it by identity.
   */
  shared: boolean;
}

/** Calls the backend; gets the signal to honour (cancelled when no caller waits any more). */
export type Loader = (signal: AbortSignal) => Promise<OperationResponse>;

export interface CacheStats {
  entries: number;
  bytes: number;
  maxEntries: number;
  maxBytes: number;
  hits: number;
  misses: number;
  /** Misses answered by another caller's backend call. */
  coalesced: number;
  /** Backend calls made through the cache. */
  loads: number;
  staleServed: number;
  negativeHits: number;
  bypassed: number;
  /** Answers that could not be cached (no-store, lease, unmarked, too large). */
  uncacheable: number;
  evictions: number;
  invalidations: number;
}

export interface ReadCache {
  /** The answer to `req`: from the cache, or from `load` (once for all concurrent callers of one key). */
  read(req: CacheRequest, load: Loader): Promise<CacheAnswer>;
  /**
   * A fresh cached answer for `req`, at once, or null (then `read` decides: a miss, a
   * remembered not-found, a bypass). Counted as a hit when it answers; `req.signal` is not read.
   */
  hit(req: CacheRequest): CacheAnswer | null;
  /** Drops what `invalidation` covers, and keeps concurrent loads that started before it from being stored or joined. */
  invalidate(invalidation: Invalidation): void;
  /** Drops everything (seal). */
  clear(): void;
  /** Drops entries past their last usable moment; returns how many. */
  purgeExpired(): number;
  /**
   * Something derived from a cached answer (e.g. its serialised form), computed once per
   * `key` and kept as long as the answer object lives (weakly). For an answer that is not a
   * cached object, `compute` runs every time.
   */
  derive<T>(response: OperationResponse, key: string, compute: () => T): T;
  stats(): CacheStats;
  /** Unsubscribes from the bus. */
  close(): void;
}

/** What `derive` remembers of one cached answer: the first derived value, and any others by key. */
interface Derived {
  readonly key: string;
  readonly value: unknown;
  more: Map<string, unknown> | null;
}

interface Entry {
  /** The frozen answer; null for a remembered not-found. */
  response: OperationResponse | null;
  notFoundMessage: string;
  storedAt: number;
  freshUntil: number;
  /** Last moment the entry may be served stale (equals `freshUntil` without stale-if-error). */
  staleUntil: number;
  group: string;
}

interface LoadResult {
  response: OperationResponse;
  /** The frozen copy, when the answer may be shared and cached; null otherwise. */
  stored: OperationResponse | null;
}

interface Flight {
  promise: Promise<LoadResult>;
  controller: AbortController;
  waiters: number;
  settled: boolean;
  mountId: string;
  kind: EntryKind;
  path: string;
}

const SEP = '\u0000';
/** Placeholder for a flight's promise until its loader starts (replaced synchronously). */
const PENDING: Promise<never> = new Promise<never>(() => undefined);
/** Recent invalidations remembered for loads still in flight; a load older than this many is never stored. */
const RING_SIZE = 1024;

function paramsKey(params: Readonly<Record<string, string>>): string {
  const names = Object.keys(params);
  if (names.length === 0) return '';
  if (names.length > 1) names.sort();
  let out = '';
  for (const name of names) out += `${encodeURIComponent(name)}=${encodeURIComponent(params[name] ?? '')}&`;
  return out;
}

/** `s` as one flat string of the same text (lossless for any string, lone surrogates included). */
const flatString = (s: string): string => JSON.parse(JSON.stringify(s)) as string;

const kindOf = (operation: CacheableOperation): EntryKind => (operation === 'list' ? 'list' : 'item');
const groupKey = (mountId: string, kind: EntryKind, path: string): string => `${mountId}${SEP}${kind}${SEP}${path}`;

function cancelled(): GatewayError {
  return new GatewayError('ERR_UPSTREAM_TIMEOUT', 'the request was cancelled before the backend answered');
}

/** The engine's bound on how long an answer may be kept, or null when it must not be kept at all. */
function engineTtl(response: OperationResponse): number | null {
  if (response.lease !== undefined || response.auth !== undefined) return null;
  if (response.status !== undefined && response.status !== 200) return null;
  const mark = response.cache;
  if (mark === undefined || mark === 'no-store') return null;
  return mark.ttlMs > 0 ? mark.ttlMs : null;
}

/** Marks a stale answer in its metadata (a new object; the cached one is frozen). */
function markStale(response: OperationResponse, ageMs: number): OperationResponse {
  return { ...response, metadata: { ...response.metadata, cache: { stale: true, age_ms: ageMs } } };
}

export function createReadCache(opts: ReadCacheOptions): ReadCache {
  const now = opts.now;
  const maxEntryBytes = Math.min(opts.maxEntryBytes ?? 1024 * 1024, opts.maxBytes);
  const counters = { hits: 0, misses: 0, coalesced: 0, loads: 0, staleServed: 0, negativeHits: 0, bypassed: 0, uncacheable: 0, evictions: 0, invalidations: 0 };
  /** Cache keys by group (mount, kind, path), so one write finds every version and param variant of its path. */
  const groups = new Map<string, string | Set<string>>();
  const flights = new Map<string, Flight>();
  /**
   * Values derived from cached answers, by the answer object (weak: they go with it); `null`
   * for a cached answer nothing was derived from yet. A lone key's group is kept as the key
   * itself and a first derived value in the memo's own fields: each cached entry would
   * otherwise carry a Set and a Map of its own (about 3 % of the cache's memory each).
   */
  const derived = new WeakMap<OperationResponse, Derived | null>();
  let epoch = 0;
  const ring: Invalidation[] = new Array<Invalidation>(RING_SIZE);

  const unindex = (key: string, entry: Entry): void => {
    const members = groups.get(entry.group);
    if (members === undefined) return;
    if (typeof members === 'string') {
      if (members === key) groups.delete(entry.group);
      return;
    }
    members.delete(key);
    if (members.size === 0) groups.delete(entry.group);
  };

  const lru = new LRUCache<string, Entry>({
    max: opts.maxEntries,
    maxSize: opts.maxBytes,
    maxEntrySize: maxEntryBytes,
    dispose: (entry, key, reason) => {
      // 'set' replaces the value of the same key: its group is unchanged.
      if (reason === 'set') return;
      if (reason === 'evict') counters.evictions++;
      unindex(key, entry);
    },
  });

  const store = (built: string, entry: Entry, size: number): void => {
    if (size > maxEntryBytes) {
      counters.uncacheable++;
      lru.delete(built);
      return;
    }
    // The keys are built by concatenation, which engines keep as a tree of string pieces; an
    // entry holds flat copies (about 140 bytes less per entry on V8, bench/README.md).
    const key = flatString(built);
    entry.group = flatString(entry.group);
    lru.set(key, entry, { size });
    if (!lru.has(key)) return;
    const members = groups.get(entry.group);
    if (members === undefined) groups.set(entry.group, key);
    else if (typeof members !== 'string') members.add(key);
    else if (members !== key) groups.set(entry.group, new Set([members, key]));
  };

  /** Whether an invalidation since `since` covers the entry; conservatively true once the ring has wrapped. */
  const invalidatedSince = (since: number, mountId: string, kind: EntryKind, path: string): boolean => {
    if (epoch === since) return false;
    if (epoch - since >= RING_SIZE) return true;
    for (let e = since + 1; e <= epoch; e++) {
      const inv = ring[e % RING_SIZE];
      if (inv === undefined || covers(inv, mountId, kind, path)) return true;
    }
    return false;
  };

  const startFlight = (key: string, req: CacheRequest, load: Loader): Flight => {
    const kind = kindOf(req.operation);
    const startEpoch = epoch;
    const controller = new AbortController();
    const { policy } = req;
    const flight: Flight = { promise: PENDING, controller, waiters: 0, settled: false, mountId: req.mountId, kind, path: req.path };
    // Registered before the loader runs: a loader that fails at once must find (and remove) itself.
    flights.set(key, flight);
    counters.loads++;
    flight.promise = (async (): Promise<LoadResult> => {
      try {
        const response = await load(controller.signal);
        const bound = engineTtl(response);
        if (bound === null) {
          counters.uncacheable++;
          return { response, stored: null };
        }
        const stored = snapshot(response);
        derived.set(stored, null);
        if (!invalidatedSince(startEpoch, req.mountId, kind, req.path)) {
          const at = now();
          const freshFor = Math.min(policy.ttlMs, bound);
          const usableFor = Math.min(policy.ttlMs + Math.max(0, policy.staleIfErrorMs), bound);
          const entry: Entry = { response: stored, notFoundMessage: '', storedAt: at, freshUntil: at + freshFor, staleUntil: at + usableFor, group: groupKey(req.mountId, kind, req.path) };
          store(key, entry, estimateBytes(key, stored));
        }
        return { response, stored };
      } catch (err) {
        if (isGatewayError(err, 'ERR_NOT_FOUND') && policy.negativeTtlMs > 0 && !invalidatedSince(startEpoch, req.mountId, kind, req.path)) {
          const at = now();
          const entry: Entry = { response: null, notFoundMessage: err.message, storedAt: at, freshUntil: at + policy.negativeTtlMs, staleUntil: at + policy.negativeTtlMs, group: groupKey(req.mountId, kind, req.path) };
          store(key, entry, key.length * 2 + err.message.length * 2 + 256);
        }
        throw err;
      } finally {
        flight.settled = true;
        if (flights.get(key) === flight) flights.delete(key);
      }
    })();
    // Nobody may be waiting when it fails (every caller left): never an unhandled rejection.
    flight.promise.catch(() => undefined);
    return flight;
  };

  /** Waits for `flight` as one of its callers; leaving (abort) cancels the call once nobody waits. */
  const wait = (key: string, flight: Flight, signal: AbortSignal): Promise<LoadResult> => {
    if (signal.aborted) return Promise.reject(cancelled());
    flight.waiters++;
    return new Promise<LoadResult>((resolve, reject) => {
      const onAbort = (): void => {
        flight.waiters--;
        if (flight.waiters === 0 && !flight.settled) {
          // Nobody waits: cancel the backend call, and let no later caller join a cancelled call.
          if (flights.get(key) === flight) flights.delete(key);
          flight.controller.abort();
        }
        reject(cancelled());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (result) => {
          signal.removeEventListener('abort', onAbort);
          resolve(result);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  };

  /** A stale answer for `key` after `err`, when the mount allows it and the entry is within its bound. */
  const staleFallback = (key: string, err: unknown, signal: AbortSignal): CacheAnswer | null => {
    if (signal.aborted || !isGatewayError(err) || !STALE_IF_ERROR_CODES.has(err.code)) return null;
    const entry = lru.peek(key);
    const at = now();
    if (entry === undefined || entry.response === null || at >= entry.staleUntil) return null;
    counters.staleServed++;
    return { response: markStale(entry.response, Math.max(0, at - entry.storedAt)), outcome: 'stale', shared: false };
  };

  const dropGroup = (group: string): void => {
    const members = groups.get(group);
    if (members === undefined) return;
    for (const key of typeof members === 'string' ? [members] : [...members]) lru.delete(key);
    groups.delete(group);
  };

  const invalidate = (invalidation: Invalidation): void => {
    counters.invalidations++;
    epoch++;
    ring[epoch % RING_SIZE] = invalidation;
    for (const [key, flight] of flights) {
      if (covers(invalidation, flight.mountId, flight.kind, flight.path)) flights.delete(key);
    }
    if (invalidation.kind === 'all') {
      lru.clear();
      groups.clear();
      return;
    }
    if (invalidation.kind === 'mount') {
      const prefix = `${invalidation.mountId}${SEP}`;
      for (const group of [...groups.keys()]) if (group.startsWith(prefix)) dropGroup(group);
      return;
    }
    dropGroup(groupKey(invalidation.mountId, 'item', invalidation.path));
    for (const folder of parentFolders(invalidation.path)) dropGroup(groupKey(invalidation.mountId, 'list', folder));
  };

  const keyOf = (req: CacheRequest): string => `${groupKey(req.mountId, kindOf(req.operation), req.path)}${SEP}${req.operation}${SEP}${paramsKey(req.params)}`;

  const unsubscribe = opts.bus?.subscribe(invalidate);

  return {
    hit(req) {
      if (!(req.policy.ttlMs > 0) || req.bypass === true) return null;
      const entry = lru.get(keyOf(req));
      if (entry === undefined || entry.response === null || !(now() < entry.freshUntil)) return null;
      counters.hits++;
      return { response: entry.response, outcome: 'hit', shared: true };
    },

    async read(req, load) {
      if (!(req.policy.ttlMs > 0)) return { response: await load(req.signal), outcome: 'miss', shared: false };
      const key = keyOf(req);
      let flight: Flight | undefined;
      if (req.bypass === true) {
        counters.bypassed++;
      } else {
        const entry = lru.get(key);
        if (entry !== undefined) {
          const at = now();
          if (at < entry.freshUntil) {
            if (entry.response === null) {
              counters.negativeHits++;
              throw new NotFoundError(entry.notFoundMessage);
            }
            counters.hits++;
            return { response: entry.response, outcome: 'hit', shared: true };
          }
          // Past freshness: kept only as a stale-if-error fallback while within its bound.
          if (at >= entry.staleUntil) lru.delete(key);
        }
        counters.misses++;
        flight = flights.get(key);
      }
      const leader = flight === undefined;
      flight ??= startFlight(key, req, load);
      let result: LoadResult;
      try {
        result = await wait(key, flight, req.signal);
      } catch (err) {
        const stale = staleFallback(key, err, req.signal);
        if (stale !== null) return stale;
        throw err;
      }
      if (leader) {
        return result.stored === null
          ? { response: result.response, outcome: req.bypass === true ? 'bypass' : 'miss', shared: false }
          : { response: result.stored, outcome: req.bypass === true ? 'bypass' : 'miss', shared: true };
      }
      if (result.stored === null) {
        // Not shareable (no-store, a lease, dynamic): this caller gets its own answer from the backend.
        counters.loads++;
        return { response: await load(req.signal), outcome: 'miss', shared: false };
      }
      counters.coalesced++;
      return { response: result.stored, outcome: 'coalesced', shared: true };
    },

    invalidate,

    clear() {
      invalidate({ kind: 'all' });
    },

    purgeExpired() {
      const at = now();
      let dropped = 0;
      for (const [key, entry] of lru.entries()) {
        if (at >= entry.staleUntil) {
          lru.delete(key);
          dropped++;
        }
      }
      return dropped;
    },

    derive<T>(response: OperationResponse, key: string, compute: () => T): T {
      const memo = derived.get(response);
      if (memo === undefined) return compute();
      if (memo === null) {
        const value = compute();
        derived.set(response, { key, value, more: null });
        return value;
      }
      if (memo.key === key) return memo.value as T;
      memo.more ??= new Map();
      if (memo.more.has(key)) return memo.more.get(key) as T;
      const value = compute();
      memo.more.set(key, value);
      return value;
    },

    stats() {
      return { entries: lru.size, bytes: lru.calculatedSize, maxEntries: opts.maxEntries, maxBytes: opts.maxBytes, ...counters };
    },

    close() {
      unsubscribe?.();
    },
  };
}
